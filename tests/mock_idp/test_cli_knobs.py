"""CLI knobs of issue 17 §2: ``--on-demand USER`` and ``--rate-limit honour|escrow``, over a socket."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from mock_idp import commands
from mock_idp.directory import make_directory
from tests.live import serve
from tests.mock_idp.test_reference_server import TOKEN, make_app


def _simulate(base: str, out: Path, *args: str) -> tuple[int, str, dict]:  # type: ignore[type-arg]
    result = CliRunner().invoke(commands.simulate, ["--target", f"{base}/", "--token", TOKEN, "--users", "20",
                                                    "--groups", "2", "--days", "1", "--out", str(out), "-q", *args])
    data = json.loads((out / "results.json").read_text()) if (out / "results.json").exists() else {}
    return result.exit_code, result.output, data


def test_on_demand_provisions_one_user_in_its_own_cycle(tmp_path: Path) -> None:
    upn = next(iter(make_directory(20, 2, 7, "assigned").users.values())).user_principal_name
    with serve(make_app()) as base:
        code, output, data = _simulate(base, tmp_path / "a", "--idp", "entra", "--on-demand", upn)
        assert code == 0, output
        kinds = [c["kind"] for c in data["simulation"]["cycles"]]
        assert kinds[-1] == "on-demand"
        code, output, _ = _simulate(base, tmp_path / "b", "--idp", "entra", "--on-demand", "nobody@nowhere.example")
    assert code == 2 and "no user 'nobody@nowhere.example'" in output and "Traceback" not in output


def test_rate_limit_modes_are_a_knob_the_results_name(tmp_path: Path) -> None:
    with serve(make_app("rate-limit-429")) as base:
        code, output, honour = _simulate(base, tmp_path / "h", "--idp", "entra", "--rate-limit", "honour")
        assert code == 0, output
        assert honour["simulation"]["rate_limit"].startswith("honour Retry-After")
        assert honour["simulation"]["throttled"] > 0
    with serve(make_app("rate-limit-429")) as base:
        code, output, escrow = _simulate(base, tmp_path / "e", "--idp", "entra", "--rate-limit", "escrow")
    assert code == 1 and escrow["simulation"]["rate_limit"].startswith("no immediate retry")
    assert escrow["simulation"]["escrow"]  # throttled changes wait for a later cycle (E5 schedule)
