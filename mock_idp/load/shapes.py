"""Names of request shapes for the statistics: ``GET Users filter userName eq``, ``PATCH Users active``.

A shape says what kind of request an IdP sent, never which object: ids, values and tenant
prefixes are left out, so a run of 300 tenants has a few dozen rows, not millions.
"""

from __future__ import annotations

from typing import Any

__all__ = ["shape_of"]


def _root(path: str) -> str:
    """``emails[type eq "work"].value`` → ``emails``; ``urn:…:User:manager`` → ``manager``."""
    head = path.split("[", 1)[0]
    if head.lower().startswith("urn:"):
        return head.rsplit(":", 1)[-1].split(".", 1)[0]
    return head.split(".", 1)[0]


def _patch_part(body: Any) -> str:
    ops = body.get("Operations") if isinstance(body, dict) else None
    if not isinstance(ops, list) or not ops:
        return ""
    roots: set[str] = set()
    kinds: list[str] = []
    for op in ops:
        if not isinstance(op, dict):
            continue
        kind = str(op.get("op", "")).lower()
        if kind not in kinds:
            kinds.append(kind)
        path = op.get("path")
        if isinstance(path, str) and path:
            roots.add(_root(path))
        elif isinstance(op.get("value"), dict):
            roots.update(_root(str(k)) for k in op["value"])
    if roots == {"members"}:
        return "members " + "+".join(kinds)
    if len(roots) == 1:
        return next(iter(roots))
    return "attributes"


def shape_of(method: str, path: str, params: Any = None, body: Any = None) -> str:
    """The statistics name of one request (method, path relative to the base, query pairs, JSON body)."""
    method = method.upper()
    parts = [p for p in path.split("?", 1)[0].strip("/").split("/") if p]
    resource = parts[0] if parts else ""
    name = f"{method} {resource}" + ("/{id}" if len(parts) > 1 else "")
    pairs = list(params.items()) if isinstance(params, dict) else list(params or ())
    flt = next((str(v) for k, v in pairs if k == "filter"), None)
    if flt:
        words = flt.split()
        name += " filter " + " ".join(words[:2])
    elif method == "GET" and len(parts) == 1:
        name += " list"
    if method == "PATCH":
        part = _patch_part(body)
        if part:
            name += " " + part
    return name
