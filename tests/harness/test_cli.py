"""The CLI: run, cleanup and scenarios list, through click's CliRunner and once as a real process.

The token is distinctive; every file written and every console line is searched for it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from harness.cli import main
from tests.harness.fakes import FakeScim
from tests.harness.support import TOKEN, out_files
from tests.live import free_port, serve

ROOT = Path(__file__).resolve().parents[2]


def assert_no_token(out: Path, *texts: str) -> None:
    files = out_files(out)
    assert files, "the run wrote nothing"
    for path in files:
        assert TOKEN not in path.read_text(encoding="utf-8", errors="replace"), f"the token leaked into {path}"
    for text in texts:
        assert TOKEN not in text, "the token leaked into the console"


@pytest.mark.socket
def test_run_writes_results_and_junit_and_never_the_token(tmp_path: Path) -> None:
    fake = FakeScim(token=TOKEN)
    with serve(fake.app) as url:
        res = CliRunner().invoke(main, ["run", "--target", url, "--token", TOKEN, "--out", str(tmp_path),
                                        "--workers", "4", "--timeout", "3", "--suite", "rfc", "--select", "auth"])
    assert res.exit_code in (0, 1), res.output
    assert f"results.json: {tmp_path / 'results.json'}" in res.output
    assert f"junit.xml:    {tmp_path / 'junit.xml'}" in res.output
    data = json.loads((tmp_path / "results.json").read_text())
    assert data["exit_code"] == res.exit_code and data["results"] and data["exchanges"]
    assert data["options"]["auth"] == "bearer token" and data["options"]["workers"] == 4
    ET.parse(tmp_path / "junit.xml")
    assert (tmp_path / "report.html").stat().st_size > 0 and "report.html:" in res.output
    assert_no_token(tmp_path, res.output)
    assert fake.store["Users"] == {} and fake.store["Groups"] == {}


@pytest.mark.socket
def test_run_that_cannot_test_exits_2_with_one_line_and_writes_results(tmp_path: Path) -> None:
    fake = FakeScim(token="a-different-token")
    with serve(fake.app) as url:
        res = CliRunner().invoke(main, ["run", "--target", url, "--token", TOKEN, "--out", str(tmp_path)])
    assert res.exit_code == 2
    assert "Cannot test: the target refused the credentials (bearer token): GET /Users answered 401" in res.output
    assert "Traceback" not in res.output
    assert json.loads((tmp_path / "results.json").read_text())["exit_code"] == 2
    assert_no_token(tmp_path, res.output)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--target", "http://127.0.0.1:9"], "give credentials"),
        (["--target", "not a url", "--token", "t"], "target URL must be"),
        (["--target", "http://127.0.0.1:9", "--token", "t", "--prefix", "a b"], "prefix"),
        (["--target", "http://127.0.0.1:9", "--token", "t", "--suite", "azure"], "azure"),
        (["--target", "http://127.0.0.1:9", "--token", "t", "--workers", "0"], "workers"),
        (["--target", "http://127.0.0.1:9", "--token", "t", "--select", "no-such-check"], "no check matches"),
    ],
)
def test_bad_input_is_a_clear_error_and_exit_2(args: list[str], message: str) -> None:
    res = CliRunner().invoke(main, ["run", *args])
    assert res.exit_code == 2 and message in res.output and "Traceback" not in res.output


def test_help_teaches_with_an_example() -> None:
    import click

    with click.Context(main) as ctx:
        everything = [[name] for name in main.list_commands(ctx)]  # entry-point commands included
    assert {"run", "cleanup", "scenarios", "serve", "simulate", "report", "demo", "fuzz"} <= {c[0] for c in everything}
    for command in (*everything, ["scenarios", "list"]):
        res = CliRunner().invoke(main, [*command, "--help"])
        assert res.exit_code == 0 and "Example" in res.output and "scim-harness" in res.output


def test_scenarios_list_table_and_json() -> None:
    res = CliRunner().invoke(main, ["scenarios", "list", "--select", "auth"])
    assert res.exit_code == 0 and "auth.missing-credentials-401" in res.output and "rests on" in res.output
    res = CliRunner().invoke(main, ["scenarios", "list", "--select", "auth", "--json"])
    rows = json.loads(res.output)
    assert rows and all(r["area"] == "auth" or "auth" in r["tags"] for r in rows)
    assert {"id", "level", "area", "suites", "rests_on"} <= set(rows[0])


@pytest.mark.socket
def test_cleanup_command(tmp_path: Path) -> None:
    fake = FakeScim(token=TOKEN)
    fake.seed("Users", userName="sh-clean1-a@example.com")
    fake.seed("Groups", displayName="sh-clean1-group")
    fake.seed("Users", userName="keep@example.com")
    with serve(fake.app) as url:
        dry = CliRunner().invoke(main, ["cleanup", "--target", url, "--token", TOKEN, "--prefix", "sh-clean1-", "--dry-run"])
        assert dry.exit_code == 0 and dry.output.count("would delete") == 3 and len(fake.store["Users"]) == 2
        res = CliRunner().invoke(main, ["cleanup", "--target", url, "--token", TOKEN, "--prefix", "sh-clean1-"])
    assert res.exit_code == 0, res.output
    assert "found 2, deleted 2" in res.output and TOKEN not in res.output
    # One line per object actually deleted (it used to say "found" for them).
    assert res.output.count("deleted /") == 2 and "found /" not in res.output
    assert [u["userName"] for u in fake.store["Users"].values()] == ["keep@example.com"] and not fake.store["Groups"]


def test_cleanup_of_an_unreachable_target_exits_2() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    res = CliRunner().invoke(main, ["cleanup", "--target", url, "--token", TOKEN, "--prefix", "sh-x1-", "--timeout", "1"])
    assert res.exit_code == 2 and "could not list" in res.output


@pytest.mark.socket
def test_run_as_a_real_process(tmp_path: Path) -> None:
    fake = FakeScim(token=TOKEN)
    env = {**os.environ, "SCIM_HARNESS_TOKEN": TOKEN, "NO_COLOR": "1"}
    with serve(fake.app) as url:
        proc = subprocess.run(
            [str(Path(sys.executable).with_name("scim-harness")), "run", "--target", url, "--out", str(tmp_path), "--workers", "2",
             "--suite", "rfc", "--timeout", "10"],
            capture_output=True, text=True, timeout=180, cwd=ROOT, env=env,
        )
    assert proc.returncode in (0, 1), proc.stderr
    assert "checks," in proc.stdout and "results.json:" in proc.stdout
    assert "\x1b" not in proc.stdout  # not a terminal: no colour, no live line
    assert_no_token(tmp_path, proc.stdout, proc.stderr)
    data = json.loads((tmp_path / "results.json").read_text())
    assert len(data["results"]) > 20 and data["exit_code"] == proc.returncode
    assert fake.store["Users"] == {} and fake.store["Groups"] == {}, "the whole suite cleaned up after itself"


@pytest.mark.socket
@pytest.mark.parametrize("signame", ["SIGINT", "SIGTERM"])  # Ctrl-C, and a CI job being cancelled
def test_ctrl_c_on_a_real_process_cleans_up_and_still_writes_results(tmp_path: Path, signame: str) -> None:
    import signal
    import time

    fake = FakeScim(token=TOKEN, delay=0.02)
    env = {**os.environ, "SCIM_HARNESS_TOKEN": TOKEN}
    with serve(fake.app) as url:
        fake.seed("Users", userName="not-ours@example.com")
        proc = subprocess.Popen(
            [str(Path(sys.executable).with_name("scim-harness")), "run", "--target", url, "--out", str(tmp_path),
             "--suite", "rfc", "--prefix", "sh-sigint-", "--timeout", "10"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env,
        )
        deadline = time.monotonic() + 60
        while len(fake.store["Users"]) < 2 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)  # test edge: wait until the run has created something of its own
        assert proc.poll() is None, "the run ended before it could be interrupted"
        proc.send_signal(getattr(signal, signame))
        out, err = proc.communicate(timeout=120)
        left = [u["userName"] for u in fake.store["Users"].values()]
    assert proc.returncode == 2, out + err
    assert "Traceback" not in err and "interrupted" in out
    data = json.loads((tmp_path / "results.json").read_text())
    assert data["exit_code"] == 2 and data["message"].startswith("interrupted")
    assert any(r["message"].startswith("not judged: the run was interrupted") for r in data["results"])
    assert left == ["not-ours@example.com"], "everything the run created was removed, nothing else"
    assert_no_token(tmp_path, out, err)


def test_basic_wins_over_a_token_from_the_environment() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    res = CliRunner().invoke(main, ["cleanup", "--target", url, "--basic", "u:p", "--prefix", "sh-x1-", "--timeout", "1"],
                             env={"SCIM_HARNESS_TOKEN": TOKEN})
    assert res.exit_code == 2 and "could not list" in res.output  # it tried, with Basic; no "one way" error
    res = CliRunner().invoke(main, ["cleanup", "--target", url, "--token", "t", "--basic", "u:p", "--prefix", "sh-x1-"])
    assert res.exit_code == 2 and "give one way to authenticate" in res.output


@pytest.mark.socket
def test_run_takes_the_token_from_scim_token_like_serve_and_the_curl_lines(tmp_path: Path) -> None:
    # `scim-harness serve` and every report's curl line say $SCIM_TOKEN; run must accept it too.
    fake = FakeScim(token=TOKEN)
    with serve(fake.app) as url:
        res = CliRunner().invoke(main, ["run", "--target", url, "--out", str(tmp_path), "--suite", "rfc",
                                        "--select", "auth.missing-credentials-401"],
                                 env={"SCIM_HARNESS_TOKEN": None, "SCIM_TOKEN": TOKEN})
    assert res.exit_code == 0, res.output
    assert "OK: 1 check, 1 passed" in res.output  # and singular: "1 check", not "1 checks"
    assert_no_token(tmp_path, res.output)


def test_run_without_credentials_says_which_variables_it_reads() -> None:
    res = CliRunner().invoke(main, ["run", "--target", "http://127.0.0.1:9/"],
                             env={"SCIM_HARNESS_TOKEN": None, "SCIM_TOKEN": None})
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert "--header 'Name: value' (or set $SCIM_HARNESS_TOKEN or $SCIM_TOKEN)" in res.output


def test_counts_are_in_the_right_number() -> None:
    from types import SimpleNamespace

    from harness.console import counted, counts_line

    assert counted(1, "check") == "1 check" and counted(0, "check") == "0 checks" and counted(2, "check") == "2 checks"
    one = SimpleNamespace(total=1, passed=1, failed=0, warned=1, errored=1, skipped=0)
    assert counts_line(one) == "1 check, 1 passed, 0 failed, 1 warning, 1 error, 0 skipped"
    assert counts_line(one, errors=("not judged", "not judged")).endswith("1 not judged, 0 skipped")


def test_an_unwritable_out_folder_is_refused_before_anything_runs(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    # --out under a regular file cannot be created: exit 2 at once, before any request (port 9 is
    # never contacted; before the fix the whole suite ran first and only the writers failed).
    res = CliRunner().invoke(main, ["run", "--target", "http://127.0.0.1:9/", "--token", TOKEN,
                                    "--out", str(blocker / "sub")])
    assert res.exit_code == 2 and "cannot write into --out" in res.output and "Traceback" not in res.output
    assert "scim-harness: testing" not in res.output  # the run never started


def test_the_examples_in_scenarios_list_help_select_something() -> None:
    import shlex

    helptext = CliRunner().invoke(main, ["scenarios", "list", "--help"]).output
    examples = [line.strip() for line in helptext.splitlines() if line.strip().startswith("scim-harness scenarios list")]
    assert examples, helptext
    for example in examples:
        res = CliRunner().invoke(main, shlex.split(example)[1:])
        assert res.exit_code == 0, (example, res.output)
        listed = json.loads(res.output) if "--json" in example else res.output.strip().splitlines()[1:-1]
        assert listed, f"the help's example selects no check: {example}"


def test_the_select_example_in_run_help_selects_something() -> None:
    helptext = " ".join(CliRunner().invoke(main, ["run", "--help"]).output.split())
    selector = helptext.split("id prefix ('", 1)[1].split("')", 1)[0]
    res = CliRunner().invoke(main, ["scenarios", "list", "--select", selector, "--json"])
    assert res.exit_code == 0 and json.loads(res.output), selector


@pytest.mark.socket
def test_a_target_ending_in_users_is_told_the_base_url(tmp_path: Path) -> None:
    fake = FakeScim(token=TOKEN)
    with serve(fake.app) as url:
        res = CliRunner().invoke(main, ["run", "--target", url.rstrip("/") + "/Users?aadOptscim062020",
                                        "--token", TOKEN, "--out", str(tmp_path), "--select", "auth"])
    assert res.exit_code == 2 and "does not look like a SCIM 2.0 endpoint" in res.output
    assert f"; try --target {url.rstrip('/')}/?aadOptscim062020" in res.output


def test_base_url_hint_only_for_an_endpoint_name() -> None:
    from harness.runner import base_url_hint

    assert base_url_hint("https://h/scim/v2/Users/") == "; try --target https://h/scim/v2/"
    assert base_url_hint("https://h/scim/v2/serviceProviderConfig") == "; try --target https://h/scim/v2/"
    assert base_url_hint("https://h/scim/v2") == "" and base_url_hint("https://h/") == ""
