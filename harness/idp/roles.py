"""Entra app roles as they travel (E6): the one place both the engine's mapping functions and the
readiness checks take a role's shape from.

- A POST carries ``roles`` as ``AppRoleAssignmentsComplex`` makes them: every role
  ``primary: false`` with its ``type``, ``display`` and ``value``.
- The legacy PATCH (no ``aadOptscim062020``) sends each role as ``{"value": "<JSON text>"}``,
  the text holding the app role's ``id``, ``value`` and ``displayName``, and no ``type``.

Example::

    role_entries(["Admin"])     # [{"primary": False, "type": ROLE_TYPE, "display": "Admin", "value": "Admin"}]
    legacy_role_items(role_entries(["Admin"]))  # [{"value": '{"id":"…","value":"Admin","displayName":"Admin"}'}]
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from typing import Any

__all__ = ["ROLE_TYPE", "app_role_id", "role_entries", "legacy_role_items"]

#: The type Entra gives an app role in a user POST (E6: SingleAppRoleAssignment, AppRoleAssignmentsComplex).
ROLE_TYPE = "WindowsAzureActiveDirectoryRole"
_APP_ROLE_IDS = uuid.UUID("5f0c2d7e-3b7a-4c55-9d2e-6a1f8b0c4e13")


def app_role_id(value: str) -> str:
    """The simulated tenant's id of the app role ``value``: Entra app roles are GUIDs (E6); the
    same role always gets the same id, so the same seed sends the same bytes."""
    return str(uuid.uuid5(_APP_ROLE_IDS, value))


def role_entries(values: Iterable[str]) -> list[dict[str, Any]]:
    """App roles as Entra's POST carries them from ``AppRoleAssignmentsComplex`` (E6: "All roles
    will be provisioned as primary = false")."""
    return [{"primary": False, "type": ROLE_TYPE, "display": v, "value": v} for v in values]


def legacy_role_items(value: Any) -> Any:
    """Roles as Entra's legacy PATCH sends them (E6); anything but a list is left as it is."""
    if not isinstance(value, list):
        return value
    out = []
    for item in value:
        role = item if isinstance(item, dict) else {"value": item}
        text = {"id": app_role_id(str(role.get("value"))), "value": role.get("value"),
                "displayName": role.get("display") or role.get("value")}
        out.append({"value": json.dumps(text, separators=(",", ":"))})
    return out
