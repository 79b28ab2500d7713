"""Comparing a replayed answer with the recorded one, at three levels.

- ``status``: the status code (and so its class).
- ``shape`` (default): the status, the media type (``application/json`` and
  ``application/scim+json`` count as one: the IdPs accept both), what the body is (a
  ListResponse, an Error, a User or Group resource, empty), the attributes the IdP reads back
  (every top-level attribute the recorded resource had, and how many values each multi-valued
  one held: a group's ``members``), and ``totalResults`` of lists and lookups.
- ``strict``: also the values, recorded ids translated through the id map, ignoring what the
  server assigns (``id``, ``meta``, ``$ref``, ``location``, ETags, timestamps).

A different status is the one divergence reported for an exchange (one cause, one finding):
the body of a 400 differs from the body of a 200 because of the status, not besides it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from harness.recorder import json_or_none
from harness.replay.remap import IdMap

__all__ = ["LEVELS", "Divergence", "compare", "body_kind", "Answer"]

LEVELS = ("status", "shape", "strict")
_JSON_TYPES = {"application/scim+json", "application/json"}
#: Attributes whose value the server assigns: never compared by value.
_ASSIGNED = frozenset({"id", "meta", "$ref", "location", "lastModified", "created", "version"})
_MAX_VALUE_DIFFS = 5


@dataclass(frozen=True)
class Answer:
    """What a server answered: status, content type and body text (``None``: no answer)."""

    status: int | None
    content_type: str
    body: str | None
    error: str | None = None


@dataclass(frozen=True)
class Divergence:
    aspect: str  # status | transport | media type | body | attributes | values count | totalResults | value
    recorded: str
    replayed: str
    path: str = ""  # where in the body, for attribute and value divergences

    def describe(self) -> str:
        where = f" at {self.path}" if self.path else ""
        return f"{self.aspect}{where}: recorded {self.recorded}, replayed {self.replayed}"


def body_kind(status: int | None, content_type: str, doc: Any, text: str | None) -> str:
    """What a body is: "ListResponse", "Error", "User", "Group", "resource", "empty", "non-JSON"."""
    if not text or not text.strip():
        return "empty"
    if not isinstance(doc, dict):
        return "non-JSON" if doc is None else "JSON " + type(doc).__name__
    schemas = " ".join(str(s) for s in doc.get("schemas") or [])
    if "ListResponse" in schemas or "Resources" in doc:
        return "ListResponse"
    if "api:messages:2.0:Error" in schemas or ("status" in doc and "detail" in doc and "id" not in doc):
        return "Error"
    if "core:2.0:User" in schemas:
        return "User"
    if "core:2.0:Group" in schemas:
        return "Group"
    return "resource" if "id" in doc else "JSON object"


def _media(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def compare(recorded: Answer, replayed: Answer, level: str, ids: IdMap | None = None) -> list[Divergence]:
    """The divergences of ``replayed`` from ``recorded`` at ``level`` (empty: they agree)."""
    if level not in LEVELS:
        raise ValueError(f"compare level must be one of {', '.join(LEVELS)}, not {level!r}")
    if replayed.status is None:
        return [Divergence("transport", str(recorded.status), replayed.error or "no answer")]
    if recorded.status != replayed.status:
        return [Divergence("status", str(recorded.status), str(replayed.status))]
    if level == "status":
        return []
    out: list[Divergence] = []
    rec_doc, rep_doc = json_or_none(recorded.body), json_or_none(replayed.body)
    rec_kind = body_kind(recorded.status, recorded.content_type, rec_doc, recorded.body)
    rep_kind = body_kind(replayed.status, replayed.content_type, rep_doc, replayed.body)
    rec_media, rep_media = _media(recorded.content_type), _media(replayed.content_type)
    if rec_kind != "empty" and rec_media != rep_media and not {rec_media, rep_media} <= _JSON_TYPES:
        out.append(Divergence("media type", rec_media or "(none)", rep_media or "(none)"))
    if rec_kind != rep_kind:
        out.append(Divergence("body", rec_kind, rep_kind))
        return out
    if rec_kind == "ListResponse":
        out.extend(_list_shape(rec_doc, rep_doc))
    elif isinstance(rec_doc, dict) and isinstance(rep_doc, dict) and rec_kind != "Error":
        out.extend(_resource_shape(rec_doc, rep_doc, ""))
    if level == "strict":
        if rec_media != rep_media:
            out.append(Divergence("media type", rec_media, rep_media))
        if not out:
            expected = ids.json(rec_doc) if ids is not None else rec_doc
            _values(expected, rep_doc, "", out)
    return out


def _list_shape(rec: dict[str, Any], rep: dict[str, Any]) -> list[Divergence]:
    out = []
    if rec.get("totalResults") != rep.get("totalResults"):
        out.append(Divergence("totalResults", str(rec.get("totalResults")), str(rep.get("totalResults"))))
        return out  # the resources differ because the count does
    rec_items = [r for r in rec.get("Resources") or [] if isinstance(r, dict)]
    rep_items = [r for r in rep.get("Resources") or [] if isinstance(r, dict)]
    if len(rec_items) != len(rep_items):
        out.append(Divergence("values count", str(len(rec_items)), str(len(rep_items)), "Resources"))
        return out
    for n, (a, b) in enumerate(zip(rec_items, rep_items)):
        out.extend(_resource_shape(a, b, f"Resources[{n}]."))
    return out


def _resource_shape(rec: dict[str, Any], rep: dict[str, Any], prefix: str) -> list[Divergence]:
    """Attributes the recorded resource had that the replayed one lacks, and multi-valued counts."""
    out = []
    for key, value in rec.items():
        if key in _ASSIGNED or key == "schemas":
            continue
        if key not in rep or rep[key] is None:
            if value not in (None, [], {}):
                out.append(Divergence("attributes", "present", "absent", prefix + key))
            continue
        if isinstance(value, list) and isinstance(rep[key], list) and len(value) != len(rep[key]):
            out.append(Divergence("values count", str(len(value)), str(len(rep[key])), prefix + key))
    return out


def _values(rec: Any, rep: Any, path: str, out: list[Divergence]) -> None:
    if len(out) >= _MAX_VALUE_DIFFS:
        return
    if isinstance(rec, dict) and isinstance(rep, dict):
        for key, value in rec.items():
            if key in _ASSIGNED:
                continue
            _values(value, rep.get(key), f"{path}.{key}" if path else key, out)
        return
    if isinstance(rec, list) and isinstance(rep, list) and len(rec) == len(rep):
        rec, rep = _ordered(rec), _ordered(rep)  # members and emails: a set, whatever the order
        for n, (a, b) in enumerate(zip(rec, rep)):
            _values(a, b, f"{path}[{n}]", out)
        return
    if rec != rep:
        out.append(Divergence("value", _short(rec), _short(rep), path))


def _ordered(items: list[Any]) -> list[Any]:
    if items and all(isinstance(i, dict) and "value" in i for i in items):
        return sorted(items, key=lambda i: str(i.get("value")))
    return items


def _short(value: Any) -> str:
    import json

    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 120 else text[:117] + "..."
