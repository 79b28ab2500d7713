"""Replay a failing request through the harness client and shrink it to a minimal reproducer.

schemathesis finds a failing request; this module makes it small and proves it real. Every
replay goes through :class:`~harness.http.TargetClient`, so it is recorded with the
credentials redacted: the last reproducing exchange is the finding's evidence.

Shrinking is greedy and bounded (``budget`` replays): drop query parameters, drop body
members one by one, then replace each remaining value by the simplest of its type. A step is
kept only when the replay still fails the same way (``still_fails``). Names that must be
unique (``userName``, ``displayName``) get a fresh prefixed value on every replay, so a 409
from an earlier replay never masks the failure. A path ``{id}`` that no longer exists is
replaced by a fresh object the fuzzer creates (prefixed, cleaned up with the rest).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from harness.http import TargetClient
from harness.recorder import Exchange

__all__ = ["Replay", "Replayer", "replay_from", "shrink", "UNIQUE_NAMES"]

UNIQUE_NAMES = ("userName", "displayName")


@dataclass(frozen=True)
class Replay:
    """One request to replay. ``body`` is parsed JSON when ``raw`` is ``None``."""

    method: str
    template: str  # "/Users/{id}"
    path: str  # "/Users/abc" (relative to the target's base)
    query: tuple[tuple[str, str], ...] = ()
    body: Any = None
    raw: bytes | None = None  # a body that is not JSON, sent as is
    content_type: str = "application/scim+json"

    def size(self) -> int:
        body = self.raw if self.raw is not None else json.dumps(self.body, ensure_ascii=False).encode()
        return len(body) + len(urlencode(self.query))


class Replayer:
    """Sends replays with fresh unique names; remembers what they created (for cleanup)."""

    def __init__(self, client: TargetClient, prefix: str, created: dict[str, str],
                 fixture: Callable[[str], str | None]) -> None:
        self.client = client
        self.prefix = prefix
        self.created = created  # path -> name; shared with the run's cleanup
        self.fixture = fixture  # template -> a fresh id, or None
        self._n = itertools.count(1)
        self.sent = 0

    def fresh(self, body: Any) -> Any:
        if not isinstance(body, dict):
            return body
        out = dict(body)
        for key in UNIQUE_NAMES:
            if isinstance(out.get(key), str):
                out[key] = f"{self.prefix}r{next(self._n)}-{_unprefixed(out[key], self.prefix)}"
        return out

    def send(self, replay: Replay) -> Exchange:
        self.sent += 1
        query = urlencode(replay.query, quote_via=quote) if replay.query else None
        if replay.raw is not None:
            ex = self.client.request(replay.method, replay.path, query=query, content=replay.raw,
                                     content_type=replay.content_type)
        elif replay.body is not None:
            ex = self.client.request(replay.method, replay.path, query=query, json=self.fresh(replay.body),
                                     content_type=replay.content_type)
        else:
            ex = self.client.request(replay.method, replay.path, query=query)
        self._track(replay, ex)
        return ex

    def _track(self, replay: Replay, ex: Exchange) -> None:
        if replay.method == "POST" and ex.status == 201:
            body = ex.json_or_none()
            if isinstance(body, dict) and isinstance(body.get("id"), str):
                base = replay.path.rstrip("/")
                self.created[f"{base}/{quote(body['id'], safe='')}"] = str(body.get("userName") or body.get("displayName"))


def _unprefixed(value: str, prefix: str) -> str:
    """The generated part of a name the fuzzer prefixed (``fz-abc-00012-xyz`` -> ``xyz``)."""
    if value.startswith(prefix):
        rest = value[len(prefix):]
        head, sep, tail = rest.partition("-")
        return tail if sep and head.lstrip("r").isdigit() else rest
    return value


def _simplest(value: Any) -> Any:
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return 0
    if isinstance(value, str):
        return ""
    if isinstance(value, list):
        return []
    if isinstance(value, dict):
        return {}
    return None


def _variants(value: Any, depth: int = 0) -> Iterator[Any]:
    """Smaller versions of a JSON value, biggest cuts first: drop a member or an item, then
    shrink one child, then replace a child by the simplest value of its type."""
    if depth > 6:
        return
    if isinstance(value, dict):
        for key in value:
            yield {k: v for k, v in value.items() if k != key}
        for key, child in value.items():
            if key in UNIQUE_NAMES:
                continue  # re-prefixed on every replay; its content never matters
            for smaller in _variants(child, depth + 1):
                yield {**value, key: smaller}
    elif isinstance(value, list):
        for index in range(len(value)):
            yield value[:index] + value[index + 1:]
        for index, child in enumerate(value):
            for smaller in _variants(child, depth + 1):
                yield [*value[:index], smaller, *value[index + 1:]]
    else:
        simple = _simplest(value)
        if simple != value or type(simple) is not type(value):
            yield simple


def shrink(replayer: Replayer, first: Replay, still_fails: Callable[[Exchange], bool],
           budget: int = 40) -> tuple[Replay, Exchange | None, bool]:
    """The smallest variant of ``first`` that still fails, its exchange, and whether it reproduced.

    Greedy: take the first smaller variant that still fails, start again from it; stop when no
    variant fails or ``budget`` replays (real requests to the target) are spent.
    """

    def attempt(candidate: Replay) -> Exchange | None:
        nonlocal budget
        if budget <= 0:
            return None
        budget -= 1
        ex = replayer.send(candidate)
        return ex if still_fails(ex) else None

    current = first
    evidence = attempt(current)
    if evidence is None and "{" in current.template:
        fresh_id = replayer.fixture(current.template)
        if fresh_id is not None:
            current = replace(current, path=current.template.replace("{id}", quote(fresh_id, safe="")))
            evidence = attempt(current)
    if evidence is None:
        return first, None, False
    for index in reversed(range(len(current.query))):
        candidate = replace(current, query=current.query[:index] + current.query[index + 1:])
        found = attempt(candidate)
        if found is not None:
            current, evidence = candidate, found
    improved = current.raw is None and current.body is not None
    while improved and budget > 0:
        improved = False
        for body in _variants(current.body):
            if budget <= 0:
                break
            candidate = replace(current, body=body)
            if candidate.size() >= current.size():
                continue
            found = attempt(candidate)
            if found is not None:
                current, evidence, improved = candidate, found, True
                break
    return current, evidence, True


def replay_from(method: str, template: str, url: str, base_path: str, body: bytes | str | None,
                content_type: str | None) -> Replay:
    """A :class:`Replay` from what schemathesis sent (absolute ``url``, raw ``body``)."""
    parts = urlsplit(url)
    path = parts.path[len(base_path):] if base_path and parts.path.startswith(base_path) else parts.path
    query = tuple(parse_qsl(parts.query, keep_blank_values=True))
    raw = body.encode("utf-8") if isinstance(body, str) else body
    parsed: Any = None
    if raw:
        try:
            parsed = json.loads(raw)
            raw = None
        except (ValueError, UnicodeDecodeError):
            parsed = None
    else:
        raw = None
    return Replay(method=method.upper(), template=template, path=path or "/", query=query, body=parsed, raw=raw,
                  content_type=(content_type or "application/scim+json").split(";")[0].strip())
