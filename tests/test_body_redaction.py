"""Passwords and token values inside bodies never reach a recording (redaction/body.py).

Units: what :func:`redaction.redact_body` hides (any depth, any case, PATCH to ``password``, a
form, a body cut at the record bound) and what it leaves alone. Then over real sockets, each
output that carries bodies, searched byte for byte for the planted values:
- ``run`` (results.json, exchanges.har, report.html) against a server whose answers carry a
  ``password`` and a ``client_secret`` nested in every resource;
- ``simulate`` with Okta, which sends a ``password`` in every user POST (provisioning.jsonl,
  results.json, exchanges.har);
- ``replay`` of a devtools HAR whose requests and answers carry passwords (results.json,
  report.html, exchanges.har).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from harness.cli import main
from harness.recorder import Recorder
from mock_idp import commands as idp_commands
from redaction import REDACTED, Redactor, redact_body
from reference_server.app import create_app
from reference_server.settings import ServerSettings
from tests.live import serve
from tests.scenarios.faults import FaultMiddleware, Req, Resp

TOKEN = "body-redaction-token-31"
PLANTED = "Planted-Pa55word-7f3a9c"
PLANTED_SECRET = "planted-client-secret-b81e2d"


# -- units ---------------------------------------------------------------------------------
def test_a_password_member_is_hidden_at_any_depth_and_in_any_case() -> None:
    body = json.dumps({"userName": "kim", "password": PLANTED,
                       "urn:x:ext": {"Password": PLANTED, "list": [{"CLIENT_SECRET": PLANTED_SECRET}]}})
    out = redact_body(body)
    assert PLANTED not in out and PLANTED_SECRET not in out
    data = json.loads(out)
    assert data["userName"] == "kim" and data["password"] == REDACTED
    assert data["urn:x:ext"]["Password"] == REDACTED and data["urn:x:ext"]["list"] == [{"CLIENT_SECRET": REDACTED}]


def test_a_patch_to_password_hides_its_value_only() -> None:
    body = json.dumps({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [
        {"op": "replace", "path": "password", "value": PLANTED},
        {"op": "replace", "path": "urn:ietf:params:scim:schemas:core:2.0:User:password", "value": PLANTED},
        {"op": "replace", "path": "active", "value": False},
        {"op": "replace", "value": {"password": PLANTED, "displayName": "Kim"}}]})
    ops = json.loads(redact_body(body))["Operations"]
    assert [op["value"] for op in ops] == [REDACTED, REDACTED, False, {"password": REDACTED, "displayName": "Kim"}]


def test_a_form_and_a_cut_body_are_masked_too() -> None:
    form = redact_body(f"grant_type=client_credentials&client_secret={PLANTED_SECRET}")
    assert PLANTED_SECRET not in form and "grant_type=client_credentials" in form
    cut = json.dumps({"userName": "kim", "password": PLANTED, "x": "y" * 100})[:60]
    assert PLANTED not in redact_body(cut) and '"userName": "kim"' in redact_body(cut)
    inside = json.dumps({"password": PLANTED})[:20]  # cut inside the value
    assert PLANTED[:5] not in redact_body(inside)
    patch = '{"Operations": [{"op": "replace", "path": "password", "value": "' + PLANTED  # cut, no closing quote
    assert PLANTED not in redact_body(patch)


def test_every_sensitive_name_passes_the_first_look() -> None:
    from redaction import SENSITIVE_BODY_KEYS
    from redaction.body import HINTS

    assert all(any(hint in key for hint in HINTS) for key in SENSITIVE_BODY_KEYS)


def test_bodies_without_secrets_are_left_as_they_were() -> None:
    for body in ('{"userName":"kim" ,  "passwordExpired": false}', '{"userName": "password"}', "plain text",
                 '{"schemas": []}', ""):
        assert redact_body(body) == body


def test_the_recorder_hides_them_in_both_bodies() -> None:
    recorder = Recorder(Redactor())
    ex = recorder.record(method="POST", url="http://t/Users", request_headers=[],
                         request_body=json.dumps({"password": PLANTED}).encode(), status=201, response_headers=[],
                         response_body=json.dumps({"nested": {"password": PLANTED}}).encode(), elapsed_ms=1.0)
    assert PLANTED not in json.dumps(ex.to_dict())
    assert PLANTED in ex.body.decode()  # what checks judge is the answer as read, never serialised


# -- every output, over real sockets -------------------------------------------------------
def _leaks(root: Path, *needles: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            hit = [n for n in needles if n.encode() in data]
            if hit:
                found[str(path.relative_to(root))] = hit
    return found


class PlantInAnswers(FaultMiddleware):
    """Every JSON object the app answers gets a ``password`` and, nested, a ``client_secret``."""

    def __init__(self, app: Any) -> None:
        super().__init__(app, response_hook=self._plant)
        self.planted = 0

    def _plant(self, req: Req, resp: Resp) -> Resp:
        data = resp.json()
        if not isinstance(data, dict):
            return resp
        self.planted += 1
        return resp.with_json({**data, "password": PLANTED, "urn:example:ext": {"deep": [{"client_secret": PLANTED_SECRET}]}})


@pytest.mark.socket
def test_run_outputs_hold_no_password_a_target_answered(tmp_path: Path) -> None:
    app = create_app(ServerSettings(db=str(tmp_path / "s.db"), tokens=(TOKEN,)))
    planting = PlantInAnswers(app)
    out = tmp_path / "run"
    with serve(planting) as url:
        result = CliRunner().invoke(main, ["run", "--target", url, "--token", TOKEN, "--suite", "entra",
                                           "--out", str(out)])
    app.close()
    assert result.exit_code in (0, 1), result.output
    assert planting.planted > 10
    assert {"results.json", "exchanges.har", "report.html"} <= {p.name for p in out.iterdir()}
    assert REDACTED in (out / "results.json").read_text()  # the members were there, and hidden
    assert _leaks(out, PLANTED, PLANTED_SECRET) == {}
    assert PLANTED not in result.output


class CapturePasswords(FaultMiddleware):
    """Keeps every ``password`` a client sent in a JSON body."""

    def __init__(self, app: Any) -> None:
        super().__init__(app, request_hook=self._keep)
        self.passwords: list[str] = []

    def _keep(self, req: Req) -> Req:
        body = req.json()
        if isinstance(body, dict) and isinstance(body.get("password"), str):
            self.passwords.append(body["password"])
        return req


@pytest.mark.socket
def test_simulate_outputs_hold_no_password_okta_sent(tmp_path: Path) -> None:
    app = create_app(ServerSettings(db=str(tmp_path / "s.db"), tokens=(TOKEN,)))
    capture = CapturePasswords(app)
    out = tmp_path / "sim"
    with serve(capture) as url:
        result = CliRunner().invoke(idp_commands.simulate, ["--idp", "okta", "--target", url + "/", "--token", TOKEN,
                                                            "--users", "4", "--groups", "1", "--days", "0.1", "-q",
                                                            "--out", str(out)])
    app.close()
    assert result.exit_code == 0, result.output
    assert len(capture.passwords) >= 4  # Okta did send one per created user
    assert {"provisioning.jsonl", "results.json", "exchanges.har"} <= {p.name for p in out.iterdir()}
    assert _leaks(out, *capture.passwords) == {}
    assert REDACTED in (out / "exchanges.har").read_text()


def _devtools_har(tmp_path: Path) -> Path:
    """A session as a browser's devtools would save it: passwords in a POST and a PATCH, and in an answer."""
    user = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "har.kim@example.com",
            "password": PLANTED, "active": True}
    answer = {**user, "id": "2819c223", "password": PLANTED, "meta": {"resourceType": "User"}}
    patch = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations": [{"op": "replace", "path": "password", "value": PLANTED_SECRET}]}

    def entry(method: str, url: str, body: Any, status: int, answered: Any) -> dict[str, Any]:
        headers = [{"name": "Content-Type", "value": "application/scim+json"}]
        return {"startedDateTime": "2026-01-05T09:00:00.000Z", "time": 5,
                "request": {"method": method, "url": url, "httpVersion": "HTTP/1.1", "headers": headers,
                            "queryString": [], "cookies": [], "headersSize": -1, "bodySize": -1,
                            **({"postData": {"mimeType": "application/scim+json", "text": json.dumps(body)}}
                               if body is not None else {})},
                "response": {"status": status, "statusText": "", "httpVersion": "HTTP/1.1", "headers": headers,
                             "cookies": [], "content": {"size": -1, "mimeType": "application/scim+json",
                                                        "text": json.dumps(answered)},
                             "redirectURL": "", "headersSize": -1, "bodySize": -1},
                "cache": {}, "timings": {"send": 0, "wait": 5, "receive": 0}}

    base = "https://idp-recorded.example.com/scim/v2"
    har = {"log": {"version": "1.2", "creator": {"name": "devtools", "version": "1"}, "entries": [
        entry("POST", f"{base}/Users", user, 201, answer),
        entry("PATCH", f"{base}/Users/2819c223", patch, 200, answer)]}}
    path = tmp_path / "devtools.har"
    path.write_text(json.dumps(har), encoding="utf-8")
    return path


@pytest.mark.socket
def test_replay_outputs_hold_no_password_a_recorded_session_carried(tmp_path: Path) -> None:
    session = _devtools_har(tmp_path)
    app = create_app(ServerSettings(db=str(tmp_path / "s.db"), tokens=(TOKEN,)))
    out = tmp_path / "replay"
    with serve(app) as url:
        result = CliRunner().invoke(main, ["replay", str(session), "--target", url, "--token", TOKEN,
                                           "--out", str(out)])
    app.close()
    assert result.exit_code in (0, 1), result.output
    assert {"results.json", "report.html", "exchanges.har"} <= {p.name for p in out.iterdir()}
    recorded = [e for e in json.loads((out / "results.json").read_text())["exchanges"] if e["id"].startswith("rec-")]
    assert len(recorded) == 2 and all(REDACTED in e["request"]["body"] for e in recorded)
    assert _leaks(out, PLANTED, PLANTED_SECRET) == {}
    assert PLANTED not in result.output and PLANTED_SECRET not in result.output


def test_the_reference_server_hides_any_spelling_and_a_patch_to_password() -> None:
    from reference_server.recorder import bounded_body

    for body in ({"userName": "kim", "passWord": PLANTED}, {"Operations": [{"op": "replace", "path": "PASSword",
                                                                             "value": PLANTED}]}):
        text, _ = bounded_body(json.dumps(body).encode(), 65_536)
        assert text is not None and PLANTED not in text and REDACTED in text
