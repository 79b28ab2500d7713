"""The load command's parts without Locust: parsing, shapes, tenants, pacing, verdicts, the report."""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner

from harness.cli import main
from mock_idp.load import LoadConfig, LoadError, parse_thresholds, shape_of, tenant_specs
from mock_idp.load.config import parse_duration, parse_pace
from mock_idp.load.outcome import judge
from mock_idp.load.tenant import RealTimeClock, TenantReport, predict_quarantine
from mock_idp.engine import Job
from harness.idp.profile import load_profile
from reports.load_report import render_load_html


def test_thresholds_parse_units_and_name_the_bad_term() -> None:
    p95, errors, q = parse_thresholds("p95>1s, errors>1%,quarantined>0")
    assert (p95.metric, p95.value, errors.value, q.value) == ("p95", 1000.0, 1.0, 0.0)
    assert p95.broken(1001) and not p95.broken(1000)
    assert parse_thresholds("rps<50")[0].broken(49)
    with pytest.raises(LoadError, match="latency"):
        parse_thresholds("latency>5")
    with pytest.raises(LoadError, match="time"):
        parse_thresholds("p95>5%")


def test_pace_and_duration() -> None:
    assert parse_pace("documented") == 1.0 and parse_pace("fast") is None and parse_pace("60x") == pytest.approx(1 / 60)
    assert parse_duration("30m") == 1800 and parse_duration("90s") == 90 and parse_duration("2h") == 7200
    for bad in ("0x", "slow"):
        with pytest.raises(LoadError):
            parse_pace(bad)
    with pytest.raises(LoadError):
        parse_duration("soon")


def test_a_bound_is_required() -> None:
    with pytest.raises(LoadError, match="bound"):
        LoadConfig("http://127.0.0.1:1/")


def test_tenants_get_their_own_prefix_seed_and_idp() -> None:
    config = LoadConfig("http://x/", idps=("entra", "jumpcloud"), tenants=5, cycles=1, initial_share=0.4)
    specs = tenant_specs(config)
    assert [s.idp for s in specs] == ["entra", "jumpcloud"] * 2 + ["entra"]
    assert len({s.prefix for s in specs}) == len({s.seed for s in specs}) == 5
    assert all(s.prefix.startswith(config.run_prefix) for s in specs)
    assert [s.initial for s in specs] == [True, True, False, False, False]


def test_shapes_name_the_kind_of_request_never_the_object() -> None:
    assert shape_of("GET", "/Users", [("filter", 'userName eq "lt1-t0001-a@b"')]) == "GET Users filter userName eq"
    assert shape_of("GET", "/Users/123") == "GET Users/{id}"
    assert shape_of("POST", "/Users", None, {"userName": "x"}) == "POST Users"
    ops = {"Operations": [{"op": "remove", "path": 'members[value eq "1"]'}]}
    assert shape_of("PATCH", "/Groups/9", None, ops) == "PATCH Groups/{id} members remove"
    ops = {"Operations": [{"op": "replace", "value": {"active": False}}]}
    assert shape_of("PATCH", "/Users/9", None, ops) == "PATCH Users/{id} active"


def test_profile_rules_predict_quarantine_from_the_failure_ratio() -> None:
    profile = load_profile("entra")
    job = Job(failures=30, changes=50)
    text = predict_quarantine(profile, job, hours=2.0)
    assert text and "quarantine after 4970 more failure(s)" in text
    assert predict_quarantine(profile, Job(failures=10, changes=50), hours=2.0) is None  # 20 % < 40 %


def test_real_time_clock_follows_the_wall_clock_scaled() -> None:
    clock = RealTimeClock(1 / 1000)
    before = clock.monotonic()
    clock.sleep(5)  # five IdP seconds: five real milliseconds
    assert clock.monotonic() - before >= 5


def _raw(p95: float, failures: int, at_risk: bool) -> dict:
    tenant = TenantReport(0, "entra", "lt1-t0000-", True, requests=100, predicted="soon" if at_risk else None).to_dict()
    return {"total": {"requests": 100, "failures": failures, "p95_ms": p95}, "tenants": [tenant], "elapsed_s": 10,
            "started_at": 0, "finished_at": 10, "timeline": [{"t": 2, "rps": 10, "p50": 1, "p95": 2, "p99": 3}],
            "shapes": [{"name": "<script>POST Users", "method": "POST", "requests": 100}]}


def test_verdict_and_exit_codes() -> None:
    config = LoadConfig("http://x/", cycles=1, thresholds="p95>100ms,errors>1%")
    run, load = judge(_raw(50, 0, False), config, options={}, cleanup=None)
    assert run.exit_code == 0 and run.message.startswith("sustained 1 Entra tenant(s): p95 50 ms")
    run, load = judge(_raw(150, 5, False), config, options={}, cleanup=None)
    assert run.exit_code == 1 and {t["term"] for t in load["thresholds"] if t["broken"]} == {"p95>100ms", "errors>1%"}
    run, _ = judge(_raw(50, 0, True), LoadConfig("http://x/", cycles=1), options={}, cleanup=None)
    assert run.exit_code == 1 and any(r.id == "load.tenant.lt1-t0000" for r in run.results)
    run, _ = judge(_raw(50, 0, False), config, options={}, cleanup=None, reason="cannot reach")
    assert run.exit_code == 2


def test_report_is_self_contained_and_escaped() -> None:
    config = LoadConfig("http://x/", cycles=1)
    run, load = judge(_raw(50, 0, True), config, options={"pace": "fast", "tenants": 1}, cleanup=None)
    html = render_load_html({**run.to_dict(), "load": load})
    assert "default-src 'none'" in html and "<script" not in html and "&lt;script&gt;POST Users" in html
    assert html.count("<svg") == 2 and "<polyline" in html and "at risk" in html


def test_cli_help_and_bad_input_exit_2() -> None:
    runner = CliRunner()
    assert "Example" in runner.invoke(main, ["load", "--help"]).output
    result = runner.invoke(main, ["load", "--target", "http://127.0.0.1:1/", "--token", "t"])
    assert result.exit_code == 2 and "bound" in result.output
    result = runner.invoke(main, ["load", "--target", "http://127.0.0.1:1/", "--token", "t", "--cycles", "1",
                                  "--fail-on", "nonsense"])
    assert result.exit_code == 2 and "--fail-on" in result.output and "Traceback" not in result.output


def test_importing_the_project_never_imports_locust_or_gevent() -> None:
    code = ("import sys, harness, harness.cli, scenarios, mock_idp, mock_idp.load, mock_idp.load.commands, reports;"
            "import reports.load_report;"
            "bad = [m for m in ('locust', 'gevent') if m in sys.modules]; print(bad); sys.exit(1 if bad else 0)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


GEVENT_CLIENT = """
from gevent import monkey; monkey.patch_all()
import socket, sys, threading
from harness.http import Auth, Target, TargetClient
from mock_idp.load.gevent_wire import GeventWire
silent = socket.socket(); silent.bind(("127.0.0.1", 0)); silent.listen(5)  # accepts, never answers
port = silent.getsockname()[1]
client = TargetClient(Target(f"http://127.0.0.1:{port}/", Auth.bearer("t"), timeout=0.5),
                      wire=GeventWire())
ex = client.get("/Users")
closed = socket.socket(); closed.bind(("127.0.0.1", 0)); gone = closed.getsockname()[1]; closed.close()
ex2 = TargetClient(Target(f"http://127.0.0.1:{gone}/", Auth.bearer("t")), wire=GeventWire()).get("/Users")
print(ex.status, ex.error); print(ex2.status, ex2.error)
"""


def test_the_gevent_wire_turns_silence_and_refusal_into_recorded_errors() -> None:
    done = subprocess.run([sys.executable, "-c", GEVENT_CLIENT], capture_output=True, text=True, timeout=60)
    first, second = done.stdout.strip().splitlines()
    assert first.startswith("None timeout after 0.5s"), done.stdout + done.stderr
    assert second.startswith("None ConnectError"), done.stdout + done.stderr


LOAD_CLIENT = """
from gevent import monkey; monkey.patch_all()
import socket, threading
from harness.http import Auth, Target, TargetClient
from mock_idp.load.gevent_wire import GeventWire
heads = []
server = socket.socket(); server.bind(("127.0.0.1", 0)); server.listen(5)
def serve():
    conn, _ = server.accept()
    for _ in range(2):  # two requests on one keep-alive connection
        head = b""
        while b"\\r\\n\\r\\n" not in head:
            head += conn.recv(4096)
        heads.append(head)
        conn.sendall(b"HTTP/1.1 200 OK\\r\\nSet-Cookie: session=abc; Path=/\\r\\nX-Name: caf\\xe9\\r\\n"
                     b"Content-Type: application/scim+json\\r\\nContent-Length: 2\\r\\n\\r\\n{}")
threading.Thread(target=serve, daemon=True).start()
client = TargetClient(Target(f"http://127.0.0.1:{server.getsockname()[1]}/", Auth.bearer("t"), timeout=5), wire=GeventWire())
first, second = client.get("/Users"), client.get("/Users")
print(first.status, second.status, repr(second.header("X-Name")), second.error)
print(b"cookie:" in heads[1].lower(), b"authorization: bearer t" in heads[1].lower())
"""


def test_the_load_client_keeps_no_cookies_and_reads_a_latin_1_head() -> None:
    done = subprocess.run([sys.executable, "-c", LOAD_CLIENT], capture_output=True, text=True, timeout=60)
    assert done.stdout.splitlines() == ["200 200 'café' None", "False True"], done.stdout + done.stderr


def test_report_command_re_renders_a_load_run(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json

    run, load = judge(_raw(50, 0, True), LoadConfig("http://x/", cycles=1), options={"pace": "fast", "tenants": 1},
                      cleanup=None)
    path = tmp_path / "results.json"
    path.write_text(json.dumps({**run.to_dict(), "load": load}))
    result = CliRunner().invoke(main, ["report", str(path), "-o", str(tmp_path / "again.html")])
    assert result.exit_code == 0, result.output
    html = (tmp_path / "again.html").read_text()
    assert "Load at IdP scale" in html and "lt1-t0000-" in html


def test_memory_per_tenant_is_the_growth_over_the_most_tenants_held() -> None:
    from mock_idp.load.outcome import memory_of

    raw = {"memory": {"w1": {"rss_start": 100_000_000, "rss_max": 180_000_000, "tenants_max": 10},
                      "w2": {"rss_start": 100_000_000, "rss_max": 100_000_000, "tenants_max": 0}}}
    assert memory_of(raw)["per_tenant_bytes"] == 8_000_000
    assert memory_of({})["per_tenant_bytes"] is None


def test_a_synced_tenant_starts_at_its_own_moment_a_new_one_at_once() -> None:
    from harness.http import Auth, Target
    from mock_idp.load.config import TenantSpec
    from mock_idp.load.tenant import TenantJob

    waits: list[float] = []
    for initial in (True, False):
        spec = TenantSpec(0, "entra", 5, "lt1-t0000-", 0, 0, initial)
        job = TenantJob(spec, Target("http://127.0.0.1:1/", Auth.bearer("t"), timeout=0.2), lambda *a: None,
                        factor=1e-6, cycles=1, duration=None)
        slept: list[float] = []
        job.clock.sleep = lambda s, slept=slept: slept.append(s)  # type: ignore[method-assign]
        job.run()  # the target is unreachable: the test connection fails at once
        waits.append(slept[0] if slept else 0.0)
        assert job.report.error  # and says why
    assert waits[0] == 0.0 and 0 < waits[1] < 40 * 60


def test_without_locust_the_run_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    from harness.http import Auth, Target
    from mock_idp.load import run as load_run

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "locust" else real(name, *a))
    assert "pip install 'scim-harness[load]'" in (load_run.preflight(Target("http://127.0.0.1:1/", Auth.bearer("t")))
                                                  or "")


def test_the_console_p95_covers_the_last_ten_seconds_though_reports_come_every_three() -> None:
    from mock_idp.load.windows import Recent, between, percentile

    recent, cumulative, last = Recent(10.0), {}, {}  # type: ignore[var-annotated]
    empty_windows, shown = 0, []
    for tick in range(1, 16):  # a sample every 2 s; a worker report every 3 s
        t = tick * 2.0
        if int(t // 3) > int((t - 2) // 3):  # a report arrived in this window
            ms = 900 if t <= 10 else 20  # slow at first, then fast
            cumulative = {**cumulative, ms: cumulative.get(ms, 0) + 100}
        empty_windows += percentile(between(last, cumulative), 0.95) is None
        recent.add(t, cumulative)
        shown.append(recent.percentile(0.95))
        last = dict(cumulative)
    assert empty_windows >= 4  # why the console does not show the 2-s window's p95
    assert None not in shown[1:]
    assert shown[4] == 900.0 and shown[-1] == 20.0  # the slow start has left the last 10 s
    assert percentile({10: 94, 500: 6}, 0.95) == 500.0 and percentile({}, 0.5) is None
