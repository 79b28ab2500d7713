"""Which IdP profile a client's requests resemble, knob by knob (the profiles in ``harness/idp``).

Only knobs a session can show are observed: the User-Agent, the Tenant URL flag, the case of
PATCH op names, booleans sent as strings, the update form (pathed ops, one path-less replace, or
PUT), meta in the create body, the group create's extra schemas and the Content-Type.  A knob
the session does not show is not held against any profile.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from harness.grade.source import user_agent
from harness.idp import Profile, load_profile, profile_names
from harness.recorder import json_or_none
from harness.replay.session import Recorded

_USER = re.compile(r"^/Users/[^/]+$")
_QUIET = ("active", "members")  # deactivation and membership ops have their own forms in every profile


@lru_cache(maxsize=1)
def _profiles() -> tuple[Profile, ...]:
    return tuple(load_profile(name) for name in profile_names())


def _ops(r: Recorded) -> list[dict[str, Any]]:
    body = json_or_none(r.request_body)
    ops = body.get("Operations") if isinstance(body, dict) else None
    return [o for o in ops if isinstance(o, dict)] if isinstance(ops, list) else []


def observe(exchanges: list[Recorded]) -> dict[str, Any]:
    """The knobs this session shows, with the value it shows."""
    seen: dict[str, Any] = {}
    agent = user_agent(exchanges)
    if agent:
        seen["user_agent"] = agent.split(" ")[0]
    queries = {part for r in exchanges for part in r.query.split("&") if part}
    seen["tenant_url_query"] = next((q for q in sorted(queries) if "=" not in q), "")
    patches = [r for r in exchanges if r.method == "PATCH"]
    names = [str(o["op"]) for r in patches for o in _ops(r) if isinstance(o.get("op"), str)]
    if names:
        seen["op_case"] = "capitalized" if any(n[:1].isupper() for n in names) else "lower"
    flags = [o.get("value") for r in patches for o in _ops(r) if str(o.get("path", "")).lower() == "active"]
    flags += [o["value"].get("active") for r in patches for o in _ops(r)
              if not o.get("path") and isinstance(o.get("value"), dict) and "active" in o["value"]]
    if flags:
        seen["patch_booleans_as_strings"] = any(isinstance(v, str) for v in flags)
    updates = [o for r in patches if _USER.match(r.path) for o in _ops(r)]
    if any(r.method == "PUT" and _USER.match(r.path) for r in exchanges):
        seen["update_form"] = "put"
    elif any(not o.get("path") and isinstance(o.get("value"), dict) and set(o["value"]) - set(_QUIET)
             for o in updates):
        seen["update_form"] = "pathless"
    elif any(o.get("path") and str(o["path"]).split("[")[0].lower() not in _QUIET for o in updates):
        seen["update_form"] = "pathed"
    user_creates = [json_or_none(r.request_body) for r in exchanges if r.method == "POST" and r.path == "/Users"]
    if user_creates:
        seen["user_create_meta"] = any(isinstance(b, dict) and "meta" in b for b in user_creates)
    group_creates = [json_or_none(r.request_body) for r in exchanges if r.method == "POST" and r.path == "/Groups"]
    if group_creates:
        seen["group_extra_schemas"] = tuple(sorted({s for b in group_creates if isinstance(b, dict)
                                                    for s in b.get("schemas") or [] if "core:2.0:Group" not in s}))
    types = {r.header("content-type", response=False) for r in exchanges if r.request_body}
    if types:
        seen["content_type"] = sorted(types)[0]
    return seen


def _expected(profile: Profile, knob: str) -> Any:
    value = getattr(profile, knob)
    if knob == "user_agent":
        return str(value).split(" ")[0]
    if knob == "group_extra_schemas":
        return tuple(sorted(value))
    return value


@dataclass(frozen=True)
class Resemblance:
    """The profile the session is closest to, and where it differs."""

    profile: str
    matched: int
    observed: int
    differences: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # knob -> (seen, profile's)
    scores: dict[str, float] = field(default_factory=dict)

    @property
    def sentence(self) -> str:
        if not self.profile:
            return "no request showed an IdP profile's knobs"
        head = f"requests match the {self.profile} profile ({self.matched}/{self.observed} observed knobs)"
        if not self.differences:
            return head
        except_ = "; ".join(f"{k}: sent {seen!r}, profile {want!r}" for k, (seen, want) in self.differences.items())
        return f"{head}, except {except_}"

    def to_dict(self) -> dict[str, Any]:
        return {"profile": self.profile, "matched": self.matched, "observed": self.observed,
                "differences": {k: {"sent": s, "profile": p} for k, (s, p) in self.differences.items()},
                "scores": self.scores, "sentence": self.sentence}


def resemble(exchanges: list[Recorded]) -> Resemblance:
    seen = observe(exchanges)
    best: Resemblance | None = None
    scores: dict[str, float] = {}
    for profile in _profiles():
        diffs = {k: (v, _expected(profile, k)) for k, v in seen.items() if v != _expected(profile, k)}
        matched = len(seen) - len(diffs)
        scores[profile.name] = round(matched / len(seen), 3) if seen else 0.0
        if best is None or matched > best.matched:
            best = Resemblance(profile.name, matched, len(seen), diffs)
    if best is None or not seen:
        return Resemblance("", 0, 0, {}, scores)
    return Resemblance(best.profile, best.matched, best.observed, best.differences, scores)
