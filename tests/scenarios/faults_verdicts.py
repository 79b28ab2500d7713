"""Faults for the one-cause-one-finding proofs: each breaks one behaviour of the reference server."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

from tests.scenarios import faults as f
from tests.scenarios.faults import Req, Resp
from tests.scenarios.faults_b import LISTS

_USERNAME_EQ = re.compile(r'^\s*username\s+eq\s+"((?:[^"\\]|\\.)*)"\s*$', re.IGNORECASE)


def numeric_error_status() -> f.Fault:
    """Every error body carries ``status`` as a JSON number (``404``) instead of a string."""

    def hook(req: Req, resp: Resp) -> Resp:
        body = resp.json()
        if resp.status >= 400 and isinstance(body, dict) and isinstance(body.get("status"), str) and body["status"].isdigit():
            body["status"] = int(body["status"])
            resp.with_json(body)
        return resp

    return f.on_response(hook)


def case_sensitive_username_eq() -> f.Fault:
    """``userName eq "V"`` matches only the exact spelling V (userName is caseExact false)."""

    def hook(req: Req, resp: Resp) -> Resp:
        flt = dict(parse_qsl(req.query)).get("filter", "")
        match = _USERNAME_EQ.match(flt)
        body: Any = resp.json()
        if match and isinstance(body, dict) and isinstance(body.get("Resources"), list):
            wanted = match.group(1)
            body["Resources"] = [r for r in body["Resources"] if isinstance(r, dict) and r.get("userName") == wanted]
            body["totalResults"] = len(body["Resources"])
            body["itemsPerPage"] = len(body["Resources"])
            resp.with_json(body)
        return resp

    return f.on_response(hook, "GET", LISTS)


def ignore_filter() -> f.Fault:
    """The server silently ignores ``filter``: on GET lists and in SearchRequests."""

    def drop_from_search(body: Any) -> Any:
        if isinstance(body, dict):
            body.pop("filter", None)
        return body

    return f.chain(f.drop_query_param("filter", "GET", r"/(Users|Groups)?"),
                   f.edit_request_json(drop_from_search, "POST", r".*/\.search"))
