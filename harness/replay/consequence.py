"""The IdP consequence of a divergence, read from ``consequences.json`` (IdP behaviour as data)."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any

from harness.replay.compare import Divergence
from harness.replay.session import Recorded

__all__ = ["idp_name", "request_kind", "consequence", "situation"]


@lru_cache(maxsize=1)
def _data() -> dict[str, Any]:
    text = (resources.files("harness.replay") / "consequences.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def idp_name(user_agent: str) -> str:
    """The IdP a User-Agent belongs to ("Entra ID", "JumpCloud"…), or "the IdP"."""
    for marker, name in _data()["idps"].items():
        if marker.lower() in user_agent.lower():
            return str(name)
    return "the IdP"


def request_kind(r: Recorded) -> str:
    parts = [p for p in r.path.split("/") if p]
    resource = parts[0] if parts else ""
    if resource not in {"Users", "Groups"}:
        return "discovery" if r.method == "GET" else "other"
    if r.method == "POST":
        return "lookup" if parts[-1] == ".search" else "create"
    if r.method in {"PATCH", "PUT"}:
        return "update"
    if r.method == "DELETE":
        return "delete"
    if r.method == "GET":
        if len(parts) > 1:
            return "read"
        return "lookup" if "filter=" in r.query else "list"
    return "other"


def _class(status: str) -> str:
    return f"{status[0]}xx" if status[:1].isdigit() else status


def situation(r: Recorded, d: Divergence) -> list[str]:
    """Keys for this divergence, most specific first."""
    kind = request_kind(r)
    detail = ""
    if d.aspect == "status":
        detail = f"{_class(d.recorded)}->{_class(d.replayed)}"
    elif d.aspect == "totalResults":
        try:
            before, after = int(d.recorded), int(d.replayed)
        except ValueError:
            before, after = 0, 0
        detail = "found->none" if before and not after else "none->found" if after and not before else (
            "more" if after > before else "fewer")
    elif d.aspect in {"values count", "attributes", "value"}:
        detail = d.path.rsplit(".", 1)[-1].split("[", 1)[0]
    keys = []
    for k in (kind, "*"):
        if detail:
            keys.append(f"{k}:{d.aspect}:{detail}")
        keys.append(f"{k}:{d.aspect}")
    return keys


def consequence(r: Recorded, d: Divergence | None, idp: str, unresolved: bool = False) -> tuple[str, str]:
    """(situation key, the sentence saying what the IdP does about it); ("", "") when nothing is known.

    The key names the behaviour: divergences with the same key are one cause (one finding).
    """
    table = _data()["situations"]
    keys = ["*:unresolved"] if unresolved or d is None else situation(r, d)
    for key in keys:
        texts = table.get(key)
        if texts:
            text = str(texts.get(idp) or texts.get("default", "")).replace("{idp}", idp)
            return key, text[:1].upper() + text[1:]
    return (keys[0] if keys else ""), ""
