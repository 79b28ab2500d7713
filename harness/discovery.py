"""What a target says about itself: ServiceProviderConfig, ResourceTypes, Schemas.

Checks read this to decide what applies (RFC 7643 §5-§7). Attribute characteristics fall
back to the RFC defaults when a schema omits a key (RFC 7643 §2.2, checklist ATTR-01).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from harness.endpoints import DEFAULT_ENDPOINTS, ResolvedEndpoint, resolve_endpoint

if TYPE_CHECKING:  # only for the annotation: discovery needs no HTTP machinery at import time
    from harness.http import TargetClient

__all__ = ["discover", "Discovery", "ATTRIBUTE_DEFAULTS", "CORE_USER", "CORE_GROUP", "ENTERPRISE_USER",
           "resolve_endpoint", "ResolvedEndpoint"]

CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
CORE_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE_USER = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

ATTRIBUTE_DEFAULTS: dict[str, Any] = {
    "type": "string",
    "multiValued": False,
    "required": False,
    "caseExact": False,
    "mutability": "readWrite",
    "returned": "default",
    "uniqueness": "none",
}

#: Capability names a check may require, mapped to the ServiceProviderConfig member.
FEATURES = ("patch", "bulk", "filter", "changePassword", "sort", "etag")


@dataclass
class Discovery:
    spc: dict[str, Any] | None = None
    resource_types: list[dict[str, Any]] = field(default_factory=list)
    schemas: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # what could not be read, and why
    base_url: str = ""  # the target's base URL: endpoints resolve against it (harness/endpoints.py)
    #: resource type name (lower case) -> the path used instead of an advertised endpoint that
    #: is refused (another origin) or does not answer while ``{base}/Users`` does
    fallbacks: dict[str, str] = field(default_factory=dict)

    # -- capabilities ------------------------------------------------------------------
    def supports(self, feature: str) -> bool | None:
        """``True``/``False`` as advertised; ``None`` when the SPC does not say."""
        if feature in {"groups", "users"}:
            return self.resource_type("Group" if feature == "groups" else "User") is not None or None
        if feature == "enterprise":
            if self.has_extension("User", ENTERPRISE_USER) or self.schema(ENTERPRISE_USER) is not None:
                return True
            # Not advertised only when the target did describe its User type and schemas
            # and neither names the extension (RFC 7643 §6 schemaExtensions, §7 /Schemas).
            return False if self.resource_type("User") is not None and self.schemas else None
        if not isinstance(self.spc, dict):
            return None
        member = self.spc.get(feature)
        if isinstance(member, dict) and isinstance(supported := member.get("supported"), bool):
            return supported
        return None

    def limit(self, feature: str, name: str) -> int | None:
        """An integer limit such as ``filter.maxResults`` or ``bulk.maxOperations``."""
        if not isinstance(self.spc, dict):
            return None
        member = self.spc.get(feature)
        value = member.get(name) if isinstance(member, dict) else None
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    # -- resource types ----------------------------------------------------------------
    def resource_type(self, name: str) -> dict[str, Any] | None:
        for rt in self.resource_types:
            if isinstance(rt, dict) and str(rt.get("name", "")).lower() == name.lower():
                return rt
        return None

    def resolved(self, name: str) -> ResolvedEndpoint | None:
        """The advertised endpoint of resource type ``name``, resolved against the base URL."""
        rt = self.resource_type(name)
        return resolve_endpoint(self.base_url, rt.get("endpoint")) if rt and "endpoint" in rt else None

    def endpoint(self, name: str, default: str | None = None) -> str:
        """Where to send requests for resource type ``name``: ``"/Users"`` (relative to the
        base) or a same-origin absolute URL (harness/endpoints.py resolves it)."""
        fallback = self.fallbacks.get(name.lower())
        if fallback:
            return fallback
        resolved = self.resolved(name)
        if resolved is not None and resolved.usable:
            return resolved.path
        return default or DEFAULT_ENDPOINTS.get(name.lower(), f"/{name}s")

    def extensions(self, name: str) -> list[dict[str, Any]]:
        rt = self.resource_type(name) or {}
        exts = rt.get("schemaExtensions") or []
        return [e for e in exts if isinstance(e, dict) and isinstance(e.get("schema"), str)]

    def has_extension(self, name: str, urn: str) -> bool:
        return any(e["schema"].lower() == urn.lower() for e in self.extensions(name))

    # -- schemas -----------------------------------------------------------------------
    def schema(self, urn: str) -> dict[str, Any] | None:
        for s in self.schemas:
            if isinstance(s, dict) and str(s.get("id", "")).lower() == urn.lower():
                return s
        return None

    def attribute(self, urn: str, path: str) -> dict[str, Any] | None:
        """The definition of ``path`` (``name`` or ``name.sub``) in schema ``urn``, with
        RFC defaults filled in; ``None`` if the schema does not define it."""
        schema = self.schema(urn)
        if not schema:
            return None
        attrs = schema.get("attributes") or []
        parts = path.split(".")
        found: dict[str, Any] | None = None
        for part in parts:
            found = next(
                (a for a in attrs if isinstance(a, dict) and str(a.get("name", "")).lower() == part.lower()),
                None,
            )
            if found is None:
                return None
            attrs = found.get("subAttributes") or []
        assert found is not None
        return {**ATTRIBUTE_DEFAULTS, **found}

    def attributes_where(self, urn: str, **criteria: Any) -> list[dict[str, Any]]:
        """Top-level attributes of ``urn`` whose characteristics match, e.g.
        ``attributes_where(CORE_USER, returned="request")``."""
        schema = self.schema(urn) or {}
        out = []
        for a in schema.get("attributes") or []:
            if not isinstance(a, dict):
                continue
            full = {**ATTRIBUTE_DEFAULTS, **a}
            if all(full.get(k) == v for k, v in criteria.items()):
                out.append(full)
        return out

    def to_dict(self) -> dict[str, Any]:
        """A summary for results.json: what was advertised, not whole documents."""
        return {
            "features": {f: self.supports(f) for f in FEATURES},
            "resource_types": [
                {
                    "name": rt.get("name"),
                    "endpoint": rt.get("endpoint"),
                    "resolved": self.endpoint(str(rt.get("name", ""))),
                    "schema": rt.get("schema"),
                    "extensions": [e.get("schema") for e in rt.get("schemaExtensions") or [] if isinstance(e, dict)],
                }
                for rt in self.resource_types
                if isinstance(rt, dict)
            ],
            "schemas": [s.get("id") for s in self.schemas if isinstance(s, dict)],
            "problems": list(self.problems),
        }


def discover(client: TargetClient) -> tuple[Discovery, list[str]]:
    """Read the three discovery endpoints (RFC 7644 §4). Returns the discovery and the ids
    of the exchanges it used. Problems (unreachable, non-JSON, wrong shape) are listed in
    ``Discovery.problems``; they never raise."""
    found = Discovery(base_url=client.target.base_url)
    ids: list[str] = []

    def read(path: str) -> Any:
        ex = client.get(path)
        ids.append(ex.id)
        if ex.error:
            found.problems.append(f"GET {path}: {ex.error}")
            return None
        if ex.status != 200:
            found.problems.append(f"GET {path} answered {ex.status}")
            return None
        body = ex.json_or_none()
        if body is None:
            found.problems.append(f"GET {path}: the body is not JSON")
        return body

    spc = read("/ServiceProviderConfig")
    found.spc = spc if isinstance(spc, dict) else None
    for path, attr in (("/ResourceTypes", "resource_types"), ("/Schemas", "schemas")):
        body = read(path)
        if isinstance(body, dict) and isinstance(body.get("Resources"), list):
            setattr(found, attr, [r for r in body["Resources"] if isinstance(r, dict)])
        elif isinstance(body, list):  # not a ListResponse, but usable
            setattr(found, attr, [r for r in body if isinstance(r, dict)])
            found.problems.append(f"GET {path} returned a bare JSON array, not a ListResponse")
        elif body is not None:
            found.problems.append(f"GET {path} did not return a ListResponse")
    return found, ids
