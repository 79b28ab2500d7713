"""The bundled sessions: regenerated from the simulator they must not drift, and each replays clean."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.testclient import TestClient

from harness.http import Auth, Target
from harness.replay import ReplayOptions, bundled_sessions, load_session, replay_session
from reference_server.app import create_app
from reference_server.settings import ServerSettings
from tests.replay import sessions


def test_one_bundled_session_per_simulated_idp_profile() -> None:
    assert set(bundled_sessions()) == set(sessions.simulated_profiles()) >= {"entra", "entra-legacy", "jumpcloud"}


@pytest.mark.parametrize("idp", sessions.simulated_profiles())
def test_regenerated_sessions_have_the_shipped_shape(idp: str, tmp_path: Path) -> None:
    fresh = sessions.write(idp, tmp_path)
    shipped = sessions.SESSIONS / f"{idp}.jsonl"
    assert sessions.shape(fresh) == sessions.shape(shipped), (
        f"the {idp} session drifted: run `python -m tests.replay.sessions` and review the diff")


def test_the_drift_check_sees_a_changed_request(tmp_path: Path) -> None:
    shipped = sessions.SESSIONS / "entra.jsonl"
    changed = tmp_path / "entra.jsonl"
    text = shipped.read_text()
    assert '\\"op\\": \\"replace\\"' in text
    changed.write_text(text.replace('\\"op\\": \\"replace\\"', '\\"op\\": \\"Replace\\"', 1))
    assert changed.read_text() != text and sessions.shape(changed) == sessions.shape(shipped)  # a value, not a shape
    changed.write_text(shipped.read_text().replace('"status": 201', '"status": 200', 1))
    assert sessions.shape(changed) != sessions.shape(shipped)


@pytest.mark.parametrize("idp", sessions.simulated_profiles())
def test_each_bundled_session_replays_without_divergence(idp: str) -> None:
    app = create_app(ServerSettings(db=":memory:", tokens=("bundled-token",)))
    session = load_session(idp)
    with TestClient(app, base_url="http://testserver") as http:
        run = replay_session(session, Target("http://testserver/", Auth.bearer("bundled-token")),
                             ReplayOptions(compare="strict"), http=http)
    assert run.exit_code == 0, [r.message for r in run.results if r.outcome.value != "pass"]
    info = run.replay or {}
    assert info["sent"] == len(session.exchanges) and info["divergences"] == 0
    assert info["ids_learned"] == info["session_ids"] > 0 and info["ids_unmapped"] == 0
