"""The IdP consequence of a divergence, read from ``consequences.json`` (IdP behaviour as data).

Which IdP recorded a session is read from the IdP profiles (``harness/idp``): the session's
User-Agent names the profile, and the Tenant URL flag (``aadOptscim062020``) tells Entra's two
apart. Numbers in the sentences (the escrow schedule) come from that profile too.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any

from harness.idp.profile import Profile, load_profile, profile_names
from harness.replay.compare import Divergence
from harness.replay.session import Recorded, Session

__all__ = ["IdP", "identify", "idp_name", "request_kind", "consequence", "situation"]


class IdP:
    """Who sent a session: a display name and, when a profile matched, the profile."""

    def __init__(self, name: str, profile: Profile | None = None) -> None:
        self.name, self.profile = name, profile

    def fill(self, text: str) -> str:
        escrow = ", ".join(f"{h:g} h" for h in self.profile.escrow_retry_hours) if self.profile else ""
        text = text.replace("{idp}", self.name).replace("{escrow}", escrow or "on its schedule")
        return text[:1].upper() + text[1:]


@lru_cache(maxsize=1)
def _profiles() -> tuple[Profile, ...]:
    return tuple(load_profile(name) for name in profile_names())


def identify(session: Session) -> IdP:
    """The IdP whose profile's User-Agent the session carries (the Tenant URL flag decides ties)."""
    agent = session.user_agent.lower()
    found = [p for p in _profiles() if p.user_agent and p.user_agent.split(" ")[0].lower() in agent]
    if len(found) > 1:  # one User-Agent, several profiles (Entra with and without aadOptscim062020)
        queries = {part for r in session.exchanges for part in r.query.split("&")}
        flagged = [p for p in found if p.tenant_url_query and p.tenant_url_query in queries]
        found = flagged or [p for p in found if not p.tenant_url_query] or found
    if not found:
        return IdP(idp_name(session.user_agent))
    profile = found[0]
    return IdP(str(_data()["idps"].get(profile.name, profile.name)), profile)


@lru_cache(maxsize=1)
def _data() -> dict[str, Any]:
    text = (resources.files("harness.replay") / "consequences.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def idp_name(user_agent: str) -> str:
    """The IdP a User-Agent belongs to ("Entra ID", "JumpCloud"…), or "the IdP"."""
    agent = user_agent.lower()
    for profile in _profiles():
        if profile.user_agent and profile.user_agent.split(" ")[0].lower() in agent:
            return str(_data()["idps"].get(profile.name, profile.name))
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


def consequence(r: Recorded, d: Divergence | None, idp: str | IdP, unresolved: bool = False) -> tuple[str, str]:
    """(situation key, the sentence saying what the IdP does about it); ("", "") when nothing is known.

    The key names the behaviour: divergences with the same key are one cause (one finding).
    """
    who = idp if isinstance(idp, IdP) else IdP(idp)
    table = _data()["situations"]
    keys = ["*:unresolved"] if unresolved or d is None else situation(r, d)
    for key in keys:
        texts = table.get(key)
        if texts:
            return key, who.fill(str(texts.get(who.name) or texts.get("default", "")))
    return (keys[0] if keys else ""), ""
