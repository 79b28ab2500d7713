"""The fuzzer over real sockets against a tiny fake SCIM app, and the ``fuzz`` command."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
import schemathesis
from click.testing import CliRunner

from harness.fuzz import FuzzConfig, fuzz_target
from harness.fuzz.commands import fuzz
from harness.http import Auth, Target
from harness.results import Outcome
from tests.fuzz.fake_scim import FakeScim
from tests.live import free_port, serve

TOKEN = "fuzz-secret-token-42"
pytestmark = pytest.mark.socket


def _config(url: str, **kw: object) -> FuzzConfig:
    # Bounded by a request count (stable across machine load), with a time limit as the backstop.
    options = {"max_examples": 25, "time_limit": 25.0, "max_requests": 400, "seed": 7, **kw}
    return FuzzConfig(Target(url, Auth.bearer(TOKEN)), **options)  # type: ignore[arg-type]


def test_a_clean_target_gives_no_findings_and_is_left_clean() -> None:
    fake = FakeScim(token=TOKEN)
    with serve(fake.app) as url:
        result = fuzz_target(_config(url, max_requests=300))
    assert result.exit_code == 0, result.message
    assert result.kind == "fuzz" and result.results
    assert all(r.outcome is Outcome.PASS for r in result.results)
    assert result.options["requests"] >= 30 and fake.requests >= 30  # a bounded run, but a real one
    assert result.options["cleanup"]["deleted_by_id"] >= 1  # it did create users, and removed them
    assert fake.users == {}


def test_the_base_url_query_rides_on_every_generated_request() -> None:
    fake = FakeScim(token=TOKEN)
    with serve(fake.app) as url:
        result = fuzz_target(_config(f"{url}/?aadOptscim062020", max_requests=120))
    assert result.exit_code == 0, result.message
    assert fake.requests >= 100 and fake.flagged == fake.requests


def test_a_500_is_found_shrunk_and_really_reproduces() -> None:
    fake = FakeScim(token=TOKEN, crash_on_unknown=True)
    with serve(fake.app) as url:
        # Unknown members come from the fuzzing phase (random extra properties), so it runs alone.
        result = fuzz_target(_config(url, phases=("fuzzing", "stateful"), max_requests=250))
        failed = {r.id: r for r in result.results if r.outcome is Outcome.FAIL}
        assert result.exit_code == 1
        create = failed["fuzz.server-error:POST /Users"]
        assert create.level.value == "MUST" and create.steps and "reproduced;" in create.steps[0].name
        exchanges = {ex.id: ex for ex in result.exchanges}
        evidence = exchanges[create.exchange_ids[0]]
        assert evidence.status == 500 and evidence.method == "POST"
        body = evidence.request_body or ""
        assert len(body.encode()) <= 120, body  # shrunk: one unknown member and little else
        # Replayed by hand, outside the harness, the reproducer still crashes the server.
        again = httpx.post(evidence.url, content=body.encode(), headers={
            "Authorization": f"Bearer {TOKEN}", "Content-Type": "application/scim+json"})
        assert again.status_code == 500
    assert TOKEN not in json.dumps(result.to_dict())
    assert fake.users == {}


@pytest.mark.parametrize(("fault", "finding", "also", "phases"), [
    # An integer status also breaks the Error schema of the OpenAPI document (status is a string).
    ("status-as-integer", "fuzz.scim_error_body:GET /Users", {"fuzz.response_schema_conformance"}, ("fuzzing",)),
    ("drops-title", "fuzz.scim_created_readable:POST /Users", set(), ("fuzzing",)),
    ("filter-misses", "fuzz.scim_filter_finds_created:POST /Users", set(), ("fuzzing",)),
    # schemathesis's own checks, on the contract built from discovery:
    ("text-plain-lists", "fuzz.content_type_conformance:GET /Users", {"fuzz.scim_filter_finds_created"},
     ("fuzzing",)),
    # Deleting something that exists takes a create first: the stateful phase (OpenAPI links).
    ("delete-202", "fuzz.status_code_conformance:DELETE /Users/{id}", set(), ("stateful",)),
])
def test_each_check_can_fail(fault: str, finding: str, also: set[str], phases: tuple[str, ...]) -> None:
    fake = FakeScim(token=TOKEN, faults=(fault,))
    with serve(fake.app) as url:
        result = fuzz_target(_config(url, phases=phases, max_requests=150, max_examples=40))
    failed = {r.id: r for r in result.results if r.outcome is Outcome.FAIL}
    assert finding in failed, sorted(failed)
    families = {rid.split(":")[0] for rid in failed}
    assert families <= {finding.split(":")[0], *also}, sorted(failed)  # nothing unrelated is charged
    assert "reproduced;" in failed[finding].steps[0].name  # re-proven on replay, not only seen once
    assert fake.users == {}


def test_the_command_writes_results_and_openapi_and_never_the_token(tmp_path: Path) -> None:
    fake = FakeScim(token=TOKEN, crash_on_empty_filter=True)
    out, spec = tmp_path / "out", tmp_path / "scim-openapi.json"
    with serve(fake.app) as url:
        run = CliRunner().invoke(fuzz, ["--target", url, "--token", TOKEN, "--time-limit", "25", "--seed", "5",
                                        "--max-requests", "150", "--max-examples", "20", "--out", str(out),
                                        "--emit-openapi", str(spec)])
    assert run.exit_code == 1, run.output
    data = json.loads((out / "results.json").read_text())
    assert data["kind"] == "fuzz" and data["exit_code"] == 1 and data["options"]["seed"] == 5
    assert "fuzz.server-error" in (out / "report.html").read_text()
    assert "<failure" in (out / "junit.xml").read_text()
    failed = [r["id"] for r in data["results"] if r["outcome"] == "fail" and r["area"] == "fuzz"]
    assert "fuzz.server-error:GET /Users" in failed, failed
    assert "curl " in run.output and "$SCIM_TOKEN" in run.output
    schemathesis.openapi.from_dict(json.loads(spec.read_text())).validate()
    from tests.replay.har_spec import validate as validate_har

    assert len(validate_har(json.loads((out / "exchanges.har").read_text()))) == len(data["exchanges"])
    for written in [*out.rglob("*"), spec]:
        assert TOKEN not in written.read_text(), written
    assert TOKEN not in run.output


def test_the_command_cannot_test_an_unreachable_target_or_refused_credentials(tmp_path: Path) -> None:
    down = CliRunner().invoke(fuzz, ["--target", f"http://127.0.0.1:{free_port()}", "--token", TOKEN,
                                     "--time-limit", "2", "--out", str(tmp_path)])
    assert down.exit_code == 2 and "could not reach" in down.output
    fake = FakeScim(token=TOKEN)
    with serve(fake.app) as url:
        refused = CliRunner().invoke(fuzz, ["--target", url, "--token", "wrong-token", "--out", str(tmp_path)])
    assert refused.exit_code == 2 and "refused the credentials" in refused.output
    assert json.loads((tmp_path / "results.json").read_text())["exit_code"] == 2


@pytest.mark.parametrize("args", [
    [],  # no credentials
    ["--token", "t", "--basic", "u:p"],
    ["--token", "t", "--max-examples", "0"],
    ["--token", "t", "--prefix", "x"],
])
def test_bad_options_exit_2_with_a_message(args: list[str]) -> None:
    run = CliRunner().invoke(fuzz, ["--target", "http://127.0.0.1:9", *args])
    assert run.exit_code == 2 and "Error" in run.output and "Traceback" not in run.output


def test_help_teaches_with_an_example() -> None:
    run = CliRunner().invoke(fuzz, ["--help"])
    assert run.exit_code == 0 and "Example:" in run.output and "scim-harness fuzz --target" in run.output


def test_no_credentials_names_only_the_options_fuzz_has() -> None:
    run = CliRunner().invoke(fuzz, ["--target", "http://127.0.0.1:9"],
                             env={"SCIM_HARNESS_TOKEN": None, "SCIM_TOKEN": None})
    assert run.exit_code == 2 and "give credentials: --token T, --basic USER:PASS or --header 'Name: value'" in run.output


def test_a_custom_credential_header_authenticates_and_stays_out_of_the_files(tmp_path: Path) -> None:
    fake = FakeScim(token=TOKEN)
    out = tmp_path / "out"
    with serve(fake.app) as url:
        run = CliRunner().invoke(fuzz, ["--target", url, "--header", f"Authorization: Bearer {TOKEN}", "--seed", "3",
                                        "--max-requests", "60", "--max-examples", "5", "--out", str(out)],
                                 env={"SCIM_HARNESS_TOKEN": None, "SCIM_TOKEN": None})
    assert run.exit_code in (0, 1), run.output  # it could test: the header was accepted
    assert TOKEN not in run.output
    for written in out.rglob("*"):
        assert TOKEN not in written.read_text(), written


def test_an_exported_token_does_not_clash_with_an_explicit_basic(tmp_path: Path) -> None:
    # Before: SCIM_HARNESS_TOKEN in the environment plus --basic was "not both" (exit 2, usage error).
    fake = FakeScim(token=TOKEN)
    with serve(fake.app) as url:
        run = CliRunner().invoke(fuzz, ["--target", url, "--basic", "user:pw", "--time-limit", "2",
                                        "--out", str(tmp_path)], env={"SCIM_HARNESS_TOKEN": TOKEN})
    assert run.exit_code == 2 and "not both" not in run.output
    assert "refused the credentials (HTTP Basic as user, 401)" in run.output  # basic was used, not the token


def test_scim_token_from_the_environment_is_used(tmp_path: Path) -> None:
    fake = FakeScim(token=TOKEN)
    with serve(fake.app) as url:
        run = CliRunner().invoke(fuzz, ["--target", url, "--max-requests", "5", "--time-limit", "5", "--seed", "3",
                                        "--out", str(tmp_path)], env={"SCIM_HARNESS_TOKEN": None, "SCIM_TOKEN": TOKEN})
    assert run.exit_code in (0, 1), run.output
    assert "refused" not in run.output and TOKEN not in run.output


def test_fuzz_does_not_overwrite_the_conformance_report_by_default() -> None:
    from harness.config import DEFAULT_OUT
    from harness.fuzz.commands import FUZZ_OUT

    out = next(p for p in fuzz.params if p.name == "out")
    assert out.default == FUZZ_OUT and FUZZ_OUT != DEFAULT_OUT and FUZZ_OUT.parent == DEFAULT_OUT


def test_an_unwritable_out_folder_is_refused_before_fuzzing(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    run = CliRunner().invoke(fuzz, ["--target", "http://127.0.0.1:9", "--token", TOKEN, "--out", str(blocker / "x")])
    assert run.exit_code == 2 and "cannot write into --out" in run.output and "fuzzing http" not in run.output
