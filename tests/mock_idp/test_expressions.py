"""Entra's expression language: parsing, evaluation, and errors that point at the mistake."""

from __future__ import annotations

import pytest

from mock_idp.expressions import ExpressionError, evaluate, parse

ATTRS = {
    "IsSoftDeleted": False,
    "jobTitle": "Folder 1, Folder 2",
    "givenName": "Zoë",
    "surname": "Ångström",
    "companyName": None,
    "mail": "Jo.Li@Contoso.com",
    "country": "US",
    "appRoleAssignments": [{"value": "Admin", "displayName": "Admin"}],
}


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("Not([IsSoftDeleted])", True),
        ('Switch([IsSoftDeleted], , "False", "True", "True", "False")', "True"),
        ('Split([jobTitle], ",")', ["Folder 1", " Folder 2"]),  # seed 003: the leading space stays
        ('Join(" ", [givenName], [surname])', "Zoë Ångström"),
        ('Coalesce([companyName], "Premium")', "Premium"),
        ('IIF([country]="US", "domestic", "abroad")', "domestic"),
        ('IIF([country]<>"US", "abroad", "domestic")', "domestic"),
        ("IsNullOrEmpty([companyName])", True),
        ('Append([givenName], "@x")', "Zoë@x"),
        ('Replace([mail], "@Contoso.com", , , "@fabrikam.com", , )', "Jo.Li@fabrikam.com"),
        ('Replace([mail], , "(?<dom>@.*)$", "dom", "@x.org", , )', "Jo.Li@x.org"),
        ("ToLower([mail])", "jo.li@contoso.com"),
        ("ToUpper([country])", "US"),
        ('StripSpaces("a b  c")', "abc"),
        ("NormalizeDiacritics([surname])", "Angstrom"),
        ("SingleAppRoleAssignment([appRoleAssignments])", "Admin"),
        ('ToLower(NormalizeDiacritics(Join(".", [givenName], [surname])))', "zoe.angstrom"),
    ],
)
def test_evaluates(source: str, expected: object) -> None:
    assert evaluate(source, ATTRS) == expected


def test_app_roles_complex() -> None:
    roles = evaluate("AppRoleAssignmentsComplex([appRoleAssignments])", ATTRS)
    # E6: "All roles will be provisioned as primary = false."
    assert roles == [{"primary": False, "type": "WindowsAzureActiveDirectoryRole", "display": "Admin", "value": "Admin"}]


def test_attributes_read() -> None:
    assert parse('Join(" ", [givenName], Coalesce([surname], [mail]))').attributes == {"givenName", "surname", "mail"}


@pytest.mark.parametrize(
    ("source", "position", "words"),
    [
        ('Join(" ", [givenName]', 0, "missing its closing ')'"),
        ('Join(" " [givenName])', 9, "expected ',' or ')'"),
        ("toLower([mail])", 0, "did you mean ToLower"),
        ("Frobnicate([mail])", 0, "unknown function"),
        ('Split([jobTitle, ",")', 6, "closing ']'"),
        ('Append([mail], "x)', 15, "closing quote"),
        ("Not([a], [b])", 0, "Not takes 1 arguments"),
        ("Split([a], \u201c,\u201d)", 11, "straight quotes"),
        ('ToLower([mail]) x', 16, "after the end"),
        ("givenName", 0, "attributes go in brackets"),
        ("", 0, "ends too early"),
    ],
)
def test_errors_point_at_the_mistake(source: str, position: int, words: str) -> None:
    with pytest.raises(ExpressionError) as info:
        parse(source)
    assert info.value.position == position
    assert words in str(info.value)
    caret_line = str(info.value).splitlines()[-1]
    assert caret_line.index("^") - 2 == position  # the caret sits under the mistake


def test_length_limit() -> None:
    with pytest.raises(ExpressionError, match="10000"):
        parse('Append("' + "x" * 10_001 + '", "y")')
