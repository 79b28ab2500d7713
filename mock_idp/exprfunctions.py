"""The functions of Entra's expression language (E7), as plain Python over mapping values.

Values are ``None``, strings, booleans, integers or lists; Entra coerces to strings where a
function needs one ("True"/"False" for booleans). ``ARITY`` drives the parser's argument
count errors.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable
from typing import Any

from harness.idp.roles import role_entries

__all__ = ["FUNCTIONS", "ARITY", "Value", "text"]

Value = Any  # None | str | bool | int | list[str] | list[dict]


def text(value: Value) -> str | None:
    """Entra coerces to string: booleans as "True"/"False"."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, list):
        return ",".join(str(text(v)) for v in value)
    return str(value)


def _empty(value: Value) -> bool:
    return value is None or value == "" or value == []


def _truthy(value: Value) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


def _switch(source: Value, default: Value = None, *pairs: Value) -> Value:
    if len(pairs) % 2:
        raise ValueError("Switch needs key/value pairs after the default")
    key = text(source)
    for k, v in zip(pairs[::2], pairs[1::2]):
        if text(k) == key:
            return v
    return default


def _join(separator: Value, *sources: Value) -> Value:
    parts: list[str] = []
    for s in sources:
        if isinstance(s, list):
            parts.extend(str(text(x)) for x in s if not _empty(x))
        elif not _empty(s):
            parts.append(str(text(s)))
    return (text(separator) or "").join(parts)


def _split(source: Value, delimiter: Value) -> Value:
    if _empty(source):
        return None
    return str(text(source)).split(str(text(delimiter)))


def _coalesce(*sources: Value) -> Value:
    return next((s for s in sources if not _empty(s)), None)


def _iif(condition: Value, if_true: Value, if_false: Value) -> Value:
    return if_true if _truthy(condition) else if_false


def _append(source: Value, suffix: Value) -> Value:
    return (text(source) or "") + (text(suffix) or "")


def _replace(
    source: Value,
    old: Value = None,
    pattern: Value = None,
    group: Value = None,
    replacement: Value = None,
    replacement_attribute: Value = None,
    template: Value = None,
) -> Value:
    if _empty(source):
        return source
    original = str(text(source))
    new = (text(replacement_attribute) if not _empty(replacement_attribute) else text(replacement)) or ""
    if not _empty(old):
        result = original.replace(str(text(old)), new)
    elif not _empty(pattern):
        # .NET named groups (?<name>…) are Python's (?P<name>…); lookbehinds stay as they are
        regex = re.compile(re.sub(r"\(\?<(?![=!])", "(?P<", str(pattern)))
        if not _empty(group):
            m = regex.search(original)
            result = original if not m else original[: m.start(str(group))] + new + original[m.end(str(group)) :]
        else:
            result = regex.sub(lambda _m: new, original)
    else:
        result = original
    if not _empty(template):
        result = str(template).replace("{source}", result)
    return result


def _lower(source: Value, culture: Value = None) -> Value:
    return None if source is None else str(text(source)).lower()


def _upper(source: Value, culture: Value = None) -> Value:
    return None if source is None else str(text(source)).upper()


def _strip_spaces(source: Value) -> Value:
    return None if source is None else "".join(str(text(source)).split(" "))


def _normalize_diacritics(source: Value) -> Value:
    if source is None:
        return None
    decomposed = unicodedata.normalize("NFKD", str(text(source)))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _roles(assignments: Value) -> list[str]:
    if _empty(assignments):
        return []
    if isinstance(assignments, str):
        assignments = json.loads(assignments) if assignments.startswith("[") else [assignments]
    out = []
    for a in assignments:
        out.append(str(a.get("value") or a.get("displayName")) if isinstance(a, dict) else str(a))
    return out


def _single_app_role(assignments: Value) -> Value:
    roles = _roles(assignments)
    return roles[0] if roles else None


def _app_roles_complex(assignments: Value) -> Value:
    roles = _roles(assignments)
    if not roles:
        return None
    return role_entries(roles)  # every role primary false (E6); one builder for engine and checks


def _trim(source: Value) -> Value:
    return None if source is None else str(text(source)).strip()


def _mid(source: Value, start: Value, length: Value) -> Value:
    if source is None:
        return None
    begin = int(start) - 1  # Mid is 1-based in Entra
    return str(text(source))[begin : begin + int(length)]


def _left(source: Value, count: Value) -> Value:
    return None if source is None else str(text(source))[: int(count)]


FUNCTIONS: dict[str, Callable[..., Value]] = {
    "Switch": _switch,
    "Join": _join,
    "Split": _split,
    "Coalesce": _coalesce,
    "IIF": _iif,
    "IsNullOrEmpty": _empty,
    "IsNull": lambda v: v is None,
    "IsPresent": lambda v: not _empty(v),
    "Not": lambda v: not _truthy(v),
    "Append": _append,
    "Replace": _replace,
    "ToLower": _lower,
    "ToUpper": _upper,
    "StripSpaces": _strip_spaces,
    "NormalizeDiacritics": _normalize_diacritics,
    "SingleAppRoleAssignment": _single_app_role,
    "AppRoleAssignmentsComplex": _app_roles_complex,
    "Trim": _trim,
    "Mid": _mid,
    "Left": _left,
}

#: (minimum, maximum) arguments per function; 99 = any number.
ARITY: dict[str, tuple[int, int]] = {
    "Switch": (2, 99),
    "Join": (2, 99),
    "Split": (2, 2),
    "Coalesce": (1, 99),
    "IIF": (3, 3),
    "IsNullOrEmpty": (1, 1),
    "IsNull": (1, 1),
    "IsPresent": (1, 1),
    "Not": (1, 1),
    "Append": (2, 2),
    "Replace": (3, 7),
    "ToLower": (1, 2),
    "ToUpper": (1, 2),
    "StripSpaces": (1, 1),
    "NormalizeDiacritics": (1, 1),
    "SingleAppRoleAssignment": (1, 1),
    "AppRoleAssignmentsComplex": (1, 1),
    "Trim": (1, 1),
    "Mid": (3, 3),
    "Left": (2, 2),
}
