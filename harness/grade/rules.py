"""The client-side rules of RFC 7644 (and RFC 7643, RFC 6585), judged on what a client sent.

Each rule is data (id, level, the RFC it rests on, the sentence whose keyword sets the level)
plus a judge: ``judge(exchanges) -> (skip reason or None, findings)``; a finding names the
exchange and says what is wrong in one line.  A rule with nothing to judge SKIPs with the reason.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qsl

from harness.grade.filters import filter_problem
from harness.recorder import json_or_none
from harness.replay.session import Recorded
from harness.results import Level

PATCH_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
JSON_TYPES = ("application/scim+json", "application/json")
_ENTITY_TAG = re.compile(r'^(W/)?"[^"]*"$')
_RESOURCE = re.compile(r"^/(Users|Groups)/[^/]+$")
_COLLECTION = re.compile(r"^/(Users|Groups)?$")
MAX_COUNT = 1000  # a page larger than this asks a server for more than any IdP needs
MAX_REPEATS = 3  # the same list request more often in a row than this is a paging loop
READ_ONLY_ON_CREATE = ("groups",)  # RFC 7643 §4.1.2: User.groups is readOnly

Finding = tuple[Recorded, str]
Judge = Callable[[list[Recorded]], tuple[str | None, list[Finding]]]


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    level: Level
    rests_on: str
    fix: str
    judge: Judge
    quote: str = ""


def _writes(exchanges: list[Recorded], method: str, path: re.Pattern[str] | None = None) -> list[Recorded]:
    return [r for r in exchanges if r.method == method and (path is None or path.match(r.path))]


def _patch_schema(exchanges: list[Recorded]) -> tuple[str | None, list[Finding]]:
    patches = _writes(exchanges, "PATCH")
    if not patches:
        return "the client sent no PATCH", []
    bad: list[Finding] = []
    for r in patches:
        body = json_or_none(r.request_body)
        schemas = body.get("schemas") if isinstance(body, dict) else None
        if not isinstance(schemas, list) or PATCH_URN not in schemas:
            bad.append((r, f"{r.label}: schemas is {schemas!r}, not [{PATCH_URN}]"))
        elif not isinstance(body.get("Operations"), list) or not body["Operations"]:
            bad.append((r, f"{r.label}: no Operations array"))
    return None, bad


def _patch_ops(exchanges: list[Recorded]) -> tuple[str | None, list[Finding]]:
    patches = _writes(exchanges, "PATCH")
    if not patches:
        return "the client sent no PATCH", []
    bad: list[Finding] = []
    for r in patches:
        body = json_or_none(r.request_body)
        ops = body.get("Operations") if isinstance(body, dict) else None
        for op in ops if isinstance(ops, list) else []:
            name = op.get("op") if isinstance(op, dict) else None
            # op values compare case-insensitively (legacy Entra sends "Replace"): not a finding here
            if not isinstance(name, str) or name.lower() not in ("add", "remove", "replace"):
                bad.append((r, f"{r.label}: op {name!r} is not add, remove or replace"))
                break
            if name.lower() == "remove" and not op.get("path"):
                bad.append((r, f"{r.label}: remove without a path"))
                break
    return None, bad


def _media_type(exchanges: list[Recorded]) -> tuple[str | None, list[Finding]]:
    sent = [r for r in exchanges if r.request_body and r.method in ("POST", "PUT", "PATCH")]
    if not sent:
        return "the client sent no request body", []
    bad: list[Finding] = []
    for r in sent:
        ctype = r.header("content-type", response=False).split(";")[0].strip().lower()
        if ctype not in JSON_TYPES:
            bad.append((r, f"{r.label}: Content-Type {ctype or '(none)'!r}, not application/scim+json"))
    for r in exchanges:
        accept = r.header("accept", response=False).lower()
        if accept and not any(t in accept for t in (*JSON_TYPES, "*/*", "application/*")):
            bad.append((r, f"{r.label}: Accept {accept[:60]!r} refuses SCIM's application/scim+json"))
    return None, bad


def _create_no_id(exchanges: list[Recorded]) -> tuple[str | None, list[Finding]]:
    creates = _writes(exchanges, "POST", re.compile(r"^/(Users|Groups)$"))
    if not creates:
        return "the client created no resource", []
    bad: list[Finding] = []
    for r in creates:
        body = json_or_none(r.request_body)
        if isinstance(body, dict) and any(k.lower() == "id" for k in body):
            bad.append((r, f"{r.label}: the create body carries an id ({str(body.get('id'))[:40]!r})"))
    return None, bad


def _create_read_only(exchanges: list[Recorded]) -> tuple[str | None, list[Finding]]:
    creates = _writes(exchanges, "POST", re.compile(r"^/(Users|Groups)$"))
    if not creates:
        return "the client created no resource", []
    bad: list[Finding] = []
    for r in creates:
        body = json_or_none(r.request_body)
        if not isinstance(body, dict):
            continue
        meta = body.get("meta")
        extra = sorted(set(meta) - {"resourceType"}) if isinstance(meta, dict) else []
        if extra:
            bad.append((r, f"{r.label}: sets read-only meta.{', meta.'.join(extra)}"))
        for name in READ_ONLY_ON_CREATE:
            if r.path == "/Users" and body.get(name):
                bad.append((r, f"{r.label}: sets the read-only {name} attribute"))
    return None, bad


def _filters(exchanges: list[Recorded]) -> tuple[str | None, list[Finding]]:
    queried = [r for r in exchanges if "filter=" in r.query]
    searched = [r for r in exchanges if r.method == "POST" and r.path.endswith("/.search")]
    if not queried and not searched:
        return "the client sent no filter", []
    bad: list[Finding] = []
    for r in queried:
        raw = next((v for k, v in (p.split("=", 1) for p in r.query.split("&") if "=" in p) if k == "filter"), "")
        if re.search(r'[ "]', raw):
            bad.append((r, f"{r.label}: the filter is not percent-encoded (a raw space or quote in the URL)"))
            continue
        value = dict(parse_qsl(r.query, keep_blank_values=True)).get("filter", "")
        if (problem := filter_problem(value)) is not None:
            bad.append((r, f"{r.label}: filter {value[:80]!r} is not RFC 7644 syntax: {problem}"))
    for r in searched:
        body = json_or_none(r.request_body)
        text = body.get("filter") if isinstance(body, dict) else None
        if isinstance(text, str) and (problem := filter_problem(text)) is not None:
            bad.append((r, f"{r.label}: filter {text[:80]!r} is not RFC 7644 syntax: {problem}"))
    return None, bad


def _etag_of(r: Recorded) -> str:
    tag = r.header("etag")
    if tag:
        return tag
    body = json_or_none(r.response_body)
    meta = body.get("meta") if isinstance(body, dict) else None
    return str(meta.get("version", "")) if isinstance(meta, dict) else ""


def _if_match(exchanges: list[Recorded]) -> tuple[str | None, list[Finding]]:
    sent = [r for r in exchanges if r.header("if-match", response=False)]
    if not sent:
        return "the client sent no If-Match", []
    seen: dict[str, set[str]] = {}
    bad: list[Finding] = []
    for r in exchanges:
        value = r.header("if-match", response=False)
        path = r.path.rstrip("/")
        if value:
            tags = [t.strip() for t in value.split(",")]
            if value.strip() != "*" and not all(_ENTITY_TAG.match(t) for t in tags):
                bad.append((r, f"{r.label}: If-Match {value[:60]!r} is not a quoted entity-tag"))
            elif value.strip() != "*" and not set(tags) & seen.get(path, set()):
                bad.append((r, f"{r.label}: If-Match {value[:60]!r} is no ETag the server gave for {path}"))
        if r.status is not None and r.status < 300 and _RESOURCE.match(path):
            seen.setdefault(path, set()).add(_etag_of(r))
        if r.status in (200, 201) and r.method == "POST" and (location := r.header("location")):
            seen.setdefault(re.sub(r"^.*?(?=/(Users|Groups)/)", "", location).rstrip("/"), set()).add(_etag_of(r))
    return None, bad


def _paging(exchanges: list[Recorded]) -> tuple[str | None, list[Finding]]:
    lists = [r for r in exchanges if r.method == "GET" and _COLLECTION.match(r.path.rstrip("/") or "/")]
    if not lists:
        return "the client listed nothing", []
    bad: list[Finding] = []
    for r in lists:
        params = dict(parse_qsl(r.query, keep_blank_values=True))
        for name, low, high in (("count", 0, MAX_COUNT), ("startIndex", 1, None)):
            if name not in params:
                continue
            try:
                value = int(params[name])
            except ValueError:
                bad.append((r, f"{r.label}: {name}={params[name][:20]!r} is not an integer"))
                continue
            if value < low or (high is not None and value > high):
                bad.append((r, f"{r.label}: {name}={value} is outside {low}..{high or 'n'}"))
    run = 1
    for before, r in zip(exchanges, exchanges[1:]):
        run = run + 1 if r.method == "GET" and before.method == "GET" and r.label == before.label else 1
        if run == MAX_REPEATS + 1 and r in lists:
            bad.append((r, f"{r.label}: the same list request {MAX_REPEATS + 1} times in a row (a paging loop)"))
    return None, bad


def _at(r: Recorded) -> datetime | None:
    try:
        return datetime.fromisoformat(r.at.replace("Z", "+00:00"))
    except ValueError:
        return None


def _retry_after(exchanges: list[Recorded]) -> tuple[str | None, list[Finding]]:
    limited = [i for i, r in enumerate(exchanges) if r.status == 429]
    if not limited:
        return "the server never answered 429 (turn on the rate-limit-429 quirk to judge this)", []
    bad: list[Finding] = []
    for i in limited:
        r = exchanges[i]
        try:
            wait = float(r.header("retry-after"))
        except ValueError:
            continue  # no (or an HTTP-date) Retry-After: nothing to honour here
        if i + 1 >= len(exchanges):
            continue
        nxt, t0 = exchanges[i + 1], _at(r)
        t1 = _at(nxt)
        if t0 is None or t1 is None:
            continue
        waited = (t1 - t0).total_seconds() + nxt.elapsed_ms / 1000  # ``at`` is when an answer was sent
        if waited < wait * 0.9:
            bad.append((nxt, f"{nxt.label} came {waited:.2f} s after a 429 that said Retry-After: {wait:g}"))
    return None, bad


RULES: tuple[Rule, ...] = (
    Rule("client.patch-schema", "Every PATCH carries the PatchOp schema and an Operations array", Level.MUST,
         "RFC 7644 §3.5.2", 'Send {"schemas": ["' + PATCH_URN + '"], "Operations": [...]}.', _patch_schema,
         quote='The body of each request MUST contain the "schemas" attribute with the URI value of '
               '"urn:ietf:params:scim:api:messages:2.0:PatchOp".'),
    Rule("client.patch-op-names", "PATCH ops are add, remove or replace (remove with a path)", Level.MUST,
         "RFC 7644 §3.5.2", "Use only add, remove and replace; a remove names its target with path.", _patch_ops,
         quote='Each PATCH operation object MUST have exactly one "op" member, whose value indicates the '
               'operation to perform and MAY be one of "add", "remove", or "replace".'),
    Rule("client.media-type", "Bodies are sent as application/scim+json (or application/json)", Level.SHOULD,
         "RFC 7644 §3.1, §8.1", "Send Content-Type: application/scim+json and accept it.", _media_type),
    Rule("client.create-no-id", "A create never sets id", Level.MUST, "RFC 7643 §3.1",
         "Leave id out of POST bodies: the service provider issues it.", _create_no_id,
         quote='The value of the "id" attribute is always issued by the service provider and MUST NOT be '
               'specified by the client.'),
    Rule("client.create-read-only", "A create sets no read-only attribute (meta beyond resourceType, groups)",
         Level.SHOULD, "RFC 7643 §2.2, §3.1, §4.1.2",
         "Leave meta and User.groups out of creates: the server ignores them; change groups via /Groups.",
         _create_read_only),
    Rule("client.filter-syntax", "Filters follow RFC 7644 grammar and are percent-encoded", Level.MUST,
         "RFC 7644 §3.4.2.2; RFC 3986 §2.1",
         'Quote strings with ", use the RFC operators, and percent-encode the filter (%20, %22).', _filters),
    Rule("client.if-match", "If-Match carries an ETag the server gave for that resource (or *)", Level.SHOULD,
         "RFC 7644 §3.14; RFC 9110 §13.1.1",
         "Send back the ETag (or meta.version) of the latest GET/PUT/PATCH of the same resource.", _if_match),
    Rule("client.paging", "Paging asks sane pages (integer count 0-1000, startIndex >= 1) and does not loop",
         Level.SHOULD, "RFC 7644 §3.4.2.4",
         "Page with startIndex/count integers, advance startIndex by itemsPerPage, stop at totalResults.", _paging),
    Rule("client.retry-after", "After a 429, the next request waits at least Retry-After", Level.SHOULD,
         "RFC 6585 §4; RFC 9110 §10.2.3", "Wait the Retry-After seconds before the next request.", _retry_after),
)
