"""The one redaction layer (redaction/): one list for both sides, secrets registered at run time,
the last pass every writer makes. The end-to-end proof over real sockets is test_no_leaks.py."""

from __future__ import annotations

import base64
import io
import json
import secrets
from pathlib import Path

import pytest

from harness.config import ConfigError, make_target, public_url
from harness.http import Auth, Target
from harness.recorder import Recorder
from harness.results import CheckResult, Level, Outcome, RunResult
from redaction import (
    REDACTED,
    SENSITIVE_HEADERS,
    SENSITIVE_QUERY_PARAMS,
    URL_CREDENTIALS_REFUSED,
    Redactor,
    ScrubbedStream,
    register_secret,
    scrub,
)
from reference_server.recorder import Recorder as ServerRecorder
from reference_server.recorder import _header_lines


def fresh(label: str) -> str:
    return f"{label}-{secrets.token_hex(8)}"


@pytest.mark.parametrize("name", sorted(SENSITIVE_HEADERS))
def test_harness_and_server_mask_the_same_headers(name: str) -> None:
    value = "Bearer " + fresh("h")
    header = name.title()
    harness_side = Redactor().headers([(header, value)])[0][1]
    server_str = _header_lines([(header, value)])
    server_bytes = _header_lines([(header.encode(), value.encode())])
    assert harness_side == "Bearer " + REDACTED
    assert server_str == server_bytes == f"{header}: Bearer {REDACTED}"
    # a header not on the list is kept by both
    assert Redactor().headers([("X-Trace", value)])[0][1] == value
    assert _header_lines([("X-Trace", value)]) == f"X-Trace: {value}"


def test_credential_without_a_known_scheme_is_masked_whole() -> None:
    assert Redactor().headers([("Cookie", "session=abc; other=def")]) == [("Cookie", REDACTED)]
    assert _header_lines([(b"cookie", b"session=abc")]) == f"cookie: {REDACTED}"


@pytest.mark.parametrize("param", sorted(SENSITIVE_QUERY_PARAMS))
def test_harness_and_server_hide_the_same_query_parameters(param: str) -> None:
    secret = fresh("q")
    query = f"filter=x&{param}={secret}&count=2"
    harness_url = Redactor().url(f"https://sp.example/Users?{query}")
    assert secret not in harness_url and f"{param}={REDACTED}" in harness_url and "count=2" in harness_url

    class Store:
        rows: list[tuple[object, ...]] = []

        def add_recordings(self, rows: list[tuple[object, ...]]) -> None:
            self.rows.extend(rows)

        def recorder_key(self) -> bytes:
            return b"k" * 32

    store = Store()
    recorder = ServerRecorder(store, 1000)  # type: ignore[arg-type]
    recorder.record(at="2026-01-01T00:00:00Z", method="GET", path="/Users", query=query, status=200, duration_ms=1.0,
                    request_headers=[], request_body=b"", response_headers=[], response_body=b"")
    recorder.flush()
    recorded_query = str(store.rows[-1][3])
    assert secret not in recorded_query and f"{param}={REDACTED}" in recorded_query


def test_the_server_hides_its_own_credentials_wherever_a_client_puts_them() -> None:
    token = fresh("srv")
    rows: list[tuple[object, ...]] = []

    class Store:
        def add_recordings(self, new: list[tuple[object, ...]]) -> None:
            rows.extend(new)

        def recorder_key(self) -> bytes:
            return b"k" * 32

    recorder = ServerRecorder(Store(), 1000, (token,))  # type: ignore[arg-type]
    recorder.record(at="2026-01-01T00:00:00Z", method="POST", path=f"/Users/{token}", query="", status=400,
                    duration_ms=1.0, request_headers=[(b"x-custom", token.encode())],
                    request_body=json.dumps({"note": token, "password": "pw-1"}).encode(),
                    response_headers=[], response_body=b'{"detail": "' + token.encode() + b'"}')
    recorder.flush()
    assert rows and not any(token in str(cell) or "pw-1" in str(cell) for cell in rows[0])


def test_a_registered_secret_is_hidden_by_every_redactor_and_the_last_pass() -> None:
    early = Redactor(["own-secret-1"])
    client_id, client_secret, access_token = "app-1", fresh("cs"), fresh("at")
    register_secret(f"{client_id}:{client_secret}", client_secret, access_token)
    basic = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
    text = f"secret={client_secret} token {access_token} basic {basic} own own-secret-1"
    for red in (early, Redactor()):
        out = red.text(text)
        assert client_secret not in out and access_token not in out and basic not in out
    assert "own-secret-1" not in early.text(text) and "own-secret-1" in scrub(text)
    assert client_secret not in scrub(text) and access_token not in scrub(text)
    stream = io.StringIO()
    ScrubbedStream(stream).write(text)
    assert access_token not in stream.getvalue() and REDACTED in stream.getvalue()


def test_add_teaches_one_redactor_only() -> None:
    red, other = Redactor(), Redactor()
    late = fresh("late")
    red.add(late)
    assert late not in red.text(f"x {late} y") and late in other.text(f"x {late} y")


def test_secrets_travel_percent_encoded_too() -> None:
    secret = "p@ss/w0rd+" + secrets.token_hex(4)
    red = Target("http://h.example/", Auth.basic(f"u:{secret}")).redactor()
    assert "w0rd" not in red.url(f"http://h.example/x?q={secret.replace('@', '%40').replace('/', '%2F').replace('+', '%2B')}")


def test_the_recorder_hides_userinfo_and_query_credentials_in_urls() -> None:
    rec = Recorder(Redactor())
    ex = rec.record(method="GET", url="https://u:pw-hidden@h.example/Users?access_token=abc123&count=1",
                    request_headers=[], request_body=None, status=200, response_headers=[
                        ("Location", "https://other:pw2-hidden@h.example/Users/1")], response_body=b"{}",
                    elapsed_ms=1.0)
    assert "pw-hidden" not in ex.url and "abc123" not in ex.url and "count=1" in ex.url
    assert "pw2-hidden" not in dict(ex.response_headers)["Location"]


def test_a_url_with_credentials_is_refused_first_and_by_target_itself() -> None:
    with pytest.raises(ValueError, match="not in the target URL"):
        Target("https://u:pw@h.example/scim", Auth.bearer("tok"))
    with pytest.raises(ConfigError) as caught:  # no credentials given either: the URL is named first
        make_target("https://u:pw@h.example/scim")
    assert str(caught.value) == URL_CREDENTIALS_REFUSED
    assert public_url("https://h.example/scim?aadOptscim062020&token=xyz") == (
        f"https://h.example/scim?aadOptscim062020&token={REDACTED}")


def test_every_writer_makes_the_last_pass(tmp_path: Path) -> None:
    from reports.html import write_html
    from reports.json_writer import write_results
    from reports.junit import write_junit

    leaked = fresh("late-token")
    register_secret(leaked)
    result = CheckResult(id="x.y", title="t", area="x", level=Level.MUST, outcome=Outcome.FAIL, rests_on="RFC",
                         fix="f", message=f"the server said {leaked} at https://u:pw-x1@h.example/")
    run = RunResult(kind="conformance", target="https://h.example/", started_at="2026-01-01T00:00:00Z",
                    finished_at="2026-01-01T00:00:01Z", duration_ms=1.0, exit_code=1, results=[result])
    for write, name in ((write_results, "results.json"), (write_junit, "junit.xml"), (write_html, "report.html")):
        data = write(run, tmp_path / name).read_text(encoding="utf-8")
        assert leaked not in data and "pw-x1" not in data and REDACTED in data, name


def test_the_server_refuses_credentials_in_its_public_url() -> None:
    from reference_server.settings import ServerSettings

    with pytest.raises(ValueError, match="must not carry user:password@"):
        ServerSettings(db=":memory:", tokens=("tok-123",), public_url="https://u:pw-pub-9@sp.example/scim")
    assert ServerSettings(db=":memory:", public_url="https://sp.example/scim").public_url
