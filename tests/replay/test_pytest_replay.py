"""The pytest plugin: --scim-replay runs a session as items; without --scim-target it imports nothing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import scenarios.pytest_plugin  # noqa: F401 - loaded once here: in-process pytester runs must not re-register checks
import scim_harness_pytest
from harness.checks import SUITES
from harness.config import FAIL_ON
from harness.replay.compare import LEVELS
from reference_server.app import create_app
from reference_server.settings import ServerSettings
from tests.live import serve

pytest_plugins = ["pytester"]
pytestmark = pytest.mark.socket
TOKEN = "pytest-replay-secret-42"


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, str]]:
    clean = create_app(ServerSettings(db=":memory:", tokens=(TOKEN,)))
    strict = create_app(ServerSettings(db=":memory:", tokens=(TOKEN,), quirks=("reject-string-booleans",)))
    with serve(clean) as a, serve(strict) as b:
        yield {"clean": a + "/", "quirk": b + "/"}


def test_a_session_replays_as_one_item_per_exchange(pytester: pytest.Pytester, servers: dict[str, str]) -> None:
    result = pytester.runpytest("--scim-target", servers["clean"], "--scim-token", TOKEN, "--scim-replay", "entra",
                                "-p", "no:cacheprovider")
    result.assert_outcomes(passed=24)
    assert "replaying 24 exchanges of entra" in result.stdout.str()


def test_a_divergence_fails_its_item_with_the_evidence(pytester: pytest.Pytester, servers: dict[str, str]) -> None:
    result = pytester.runpytest("--scim-target", servers["quirk"], "--scim-token", TOKEN,
                                "--scim-replay", "entra-legacy", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=22, failed=2)
    text = result.stdout.str()
    assert "status: recorded 200, replayed 400" in text and "disabled user stays active" in text
    assert "curl " in text and "$SCIM_TOKEN" in text and TOKEN not in text


def test_a_deselected_create_still_runs_so_ids_are_learned(pytester: pytest.Pytester, servers: dict[str, str]) -> None:
    # replay.0016 is the legacy disable PATCH of a user created at #6: only the PATCH is selected
    result = pytester.runpytest("--scim-target", servers["quirk"], "--scim-token", TOKEN,
                                "--scim-replay", "entra-legacy", "-k", "replay.0016", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    assert "replayed 400" in result.stdout.str() and "never learned" not in result.stdout.str()


def test_a_bad_session_is_a_usage_error(pytester: pytest.Pytester, servers: dict[str, str]) -> None:
    result = pytester.runpytest("--scim-target", servers["clean"], "--scim-token", TOKEN,
                                "--scim-replay", "no-such-session", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR and "no bundled session" in result.stderr.str()


def test_the_options_module_keeps_the_harness_choices() -> None:
    assert scim_harness_pytest.SUITES == SUITES
    assert scim_harness_pytest.FAIL_ON == FAIL_ON
    assert scim_harness_pytest.COMPARE == LEVELS


def test_without_a_target_pytest_imports_nothing_of_the_harness(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        "import sys\n"
        "def pytest_sessionfinish(session):\n"
        "    loaded = sorted(m for m in sys.modules if m.split('.')[0] in {'harness', 'scenarios', 'reports', 'mock_idp', 'httpx'})\n"
        "    print('LOADED', loaded)\n")
    pytester.makepyfile("def test_ordinary():\n    assert True\n")
    result = pytester.runpytest_subprocess("-s", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert "LOADED []" in result.stdout.str()
    assert "--scim-replay" in pytester.runpytest_subprocess("--help").stdout.str()
