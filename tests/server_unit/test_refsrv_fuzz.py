"""Arbitrary JSON into validate / patch / projection / sorting raises only ScimError, never a crash
(a crash would be a 500 at the HTTP layer).  ``password`` is not among the names: scrypt is slow by
design and has its own tests."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reference_server.errors import ScimError
from reference_server.patch import PATCH_URN, apply_patch
from reference_server.projection import project
from reference_server.schema import ENTERPRISE_URN, USER_URN
from reference_server.sorting import sort_resources
from reference_server.validate import prepare_create, prepare_replace

NAMES = st.sampled_from(["userName", "name", "name.givenName", "emails", "active", "title", "id", "meta", "groups",
                         "manager", "roles", "x509Certificates", "nosuch", "schemas", "members",
                         ENTERPRISE_URN, f"{ENTERPRISE_URN}:manager", f"{ENTERPRISE_URN}:employeeNumber",
                         "emails[type eq \"work\"].value", "emails[type eq \"work\"]", "emails.value", "value",
                         "type", "primary", "givenName", "$ref", "urn:x:y"])
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.floats(allow_nan=False), st.text(max_size=8),
                    st.sampled_from(["True", "False", "work", USER_URN, "2024-01-01T00:00:00Z", "[1]", '[{"value":"a"}]']))
JSON = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                     st.dictionaries(NAMES, inner, max_size=4)), max_leaves=12)
BASE = {"schemas": [USER_URN], "id": "u1", "userName": "b", "emails": [{"type": "work", "value": "a@x"}],
        "name": {"givenName": "B"}, "meta": {"resourceType": "User"}}


def _only_scim_errors(fn, *args, **kw):
    try:
        return fn(*args, **kw)
    except ScimError:
        return None


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(JSON, st.dictionaries(NAMES, JSON, max_size=6).map(lambda d: {"schemas": [USER_URN], **d})),
       st.booleans())
def test_create_and_replace(users, body, lenient):
    _only_scim_errors(prepare_create, users, body, lenient=lenient)
    _only_scim_errors(prepare_replace, users, BASE, body, lenient=lenient)


OPS = st.fixed_dictionaries({"op": st.sampled_from(["add", "remove", "replace", "Add", "REPLACE", "move", 5])},
                            optional={"path": st.one_of(NAMES, st.text(max_size=12)), "value": JSON})


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(OPS, min_size=1, max_size=4), st.booleans())
def test_patch(users, operations, lenient):
    result = _only_scim_errors(apply_patch, users, BASE, {"schemas": [PATCH_URN], "Operations": operations},
                               lenient=lenient)
    if result is not None:
        new, _ = result
        project(users, new)  # whatever PATCH stores can be rendered
        assert new["schemas"][0] == USER_URN


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(NAMES, JSON, max_size=6), st.one_of(st.none(), NAMES), st.one_of(st.none(), NAMES),
       st.one_of(st.none(), NAMES))
def test_projection_and_sorting_of_odd_data(users, stored, attributes, excluded, sort_by):
    _only_scim_errors(project, users, stored, attributes, excluded)
    _only_scim_errors(sort_resources, users, [stored, BASE, {}], sort_by)
