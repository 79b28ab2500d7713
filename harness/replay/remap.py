"""Id remapping: the target assigns its own ids, so recorded ids are translated before sending.

The mapping is learned, exchange by exchange, from what the two servers answered to the same
request: a create's resource (recorded ``id`` → replayed ``id``), a read of one resource, and a
lookup's ``Resources`` (paired by ``userName``/``displayName``/``externalId``, else by place).
It is applied to every string of a request: the path, the query (filters), and the JSON body
(``members[].value``, ``manager.value``, ``$ref`` URLs, a ``.search`` filter…).

Only the ids the *session* knows are translated: :meth:`IdMap.scan` collects every id the
recorded responses carried. A request that names one of them before its mapping was learned
(its create failed or was not replayed) is reported, never sent with the recorded id. An id the
recording never saw in a response (a random probe, a made-up id that must 404) is sent as is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

__all__ = ["IdMap", "ids_in"]

#: Attributes that identify a resource across two servers (the ones the IdPs match on).
_KEYS = ("userName", "displayName", "externalId")
#: An id is replaced only as a whole token: not inside a longer word or number.
_TOKEN = re.compile(r"[A-Za-z0-9_-]+")


def _resources(doc: Any) -> Iterator[dict[str, Any]]:
    """The resources an answer carries: itself, or a ListResponse's ``Resources``."""
    if not isinstance(doc, dict):
        return
    if isinstance(doc.get("Resources"), list):
        yield from (r for r in doc["Resources"] if isinstance(r, dict))
    elif isinstance(doc.get("id"), str):
        yield doc


def ids_in(doc: Any) -> set[str]:
    """Every resource id and member/manager value in a recorded answer."""
    found: set[str] = set()
    for res in _resources(doc):
        if isinstance(res.get("id"), str):
            found.add(res["id"])
        for member in res.get("members") or []:
            if isinstance(member, dict) and isinstance(member.get("value"), str):
                found.add(member["value"])
    return {i for i in found if i}


class IdMap:
    """Recorded id → the target's id, with the session's known ids to tell what must be mapped."""

    def __init__(self) -> None:
        self.mapping: dict[str, str] = {}
        self.session_ids: set[str] = set()
        self.applied = 0  # how many replacements were made (a proof that remapping happened)
        self._odd: list[str] = []  # learned ids that are not one token (replaced as strings)

    # -- learning ------------------------------------------------------------------------
    def scan(self, recorded_answers: Iterable[Any]) -> None:
        """Note every id the recorded responses carry (call once, before replaying)."""
        for doc in recorded_answers:
            self.session_ids |= ids_in(doc)

    def learn(self, recorded: Any, replayed: Any) -> int:
        """Learn from two answers to the same request; returns how many new pairs were learned."""
        rec = list(_resources(recorded))
        rep = list(_resources(replayed))
        if not rec or not rep:
            return 0
        pairs: list[tuple[dict[str, Any], dict[str, Any]]] = []
        if len(rec) == 1 and len(rep) == 1:
            pairs = [(rec[0], rep[0])]
        else:
            for r in rec:
                match = next((p for p in rep if any(r.get(k) is not None and r.get(k) == p.get(k) for k in _KEYS)),
                             None)
                if match is not None:
                    pairs.append((r, match))
        learned = 0
        for r, p in pairs:
            old, new = r.get("id"), p.get("id")
            if isinstance(old, str) and isinstance(new, str) and old and new and self.mapping.get(old) != new:
                self.mapping[old] = new
                learned += 1
        if learned:
            self._odd = sorted((k for k in self.mapping if not _TOKEN.fullmatch(k)), key=len, reverse=True)
        return learned

    # -- applying ------------------------------------------------------------------------
    def _swap(self, match: re.Match[str]) -> str:
        token = match.group(0)
        new = self.mapping.get(token)
        if new is None:
            return token
        self.applied += 1
        return new

    def text(self, value: str) -> str:
        """``value`` with every learned recorded id replaced by the target's id.

        Ids are whole tokens of letters, digits, ``-`` and ``_`` (UUIDs, numbers, hex, Okta-style
        ids): each token is looked up in the map, so the cost does not grow with the map. An id with
        other characters (rare) is replaced as a whole string.
        """
        if not value or not self.mapping:
            return value
        out = _TOKEN.sub(self._swap, value)
        for old in self._odd:
            if old in out:
                self.applied += out.count(old)
                out = out.replace(old, self.mapping[old])
        return out

    def json(self, value: Any) -> Any:
        """A JSON value with :meth:`text` applied to every string (keys kept)."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.json(v) for v in value]
        if isinstance(value, dict):
            return {k: self.json(v) for k, v in value.items()}
        return value

    def unresolved(self, *texts: str | None) -> list[str]:
        """Session ids named in ``texts`` that have no mapping yet (the request must not be sent)."""
        missing = self.session_ids - self.mapping.keys()
        if not missing:
            return []
        found: list[str] = []
        for text in texts:
            if not text:
                continue
            candidates = set(_TOKEN.findall(text)) | {m for m in missing if not _TOKEN.fullmatch(m) and m in text}
            found.extend(sorted((candidates & missing) - set(found)))
        return found
