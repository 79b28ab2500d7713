"""The bundled replay sessions: produced by the simulator against the reference server, never by hand.

``python -m tests.replay.sessions`` rewrites ``harness/replay/sessions/<profile>.jsonl`` for every
IdP profile; ``tests/replay/test_bundled.py`` regenerates them into a temporary folder and fails if
the shipped ones drift in shape (a profile or the simulator changed what it sends).

A session is what the reference server's recorder saw (the format of ``recordings export --format
jsonl``): the IdP's Test Connection, its first cycle, the short story in ``session-story.json``
(a join, a title change, a disable, a member removal, a soft and a hard delete), then the
simulator's read-back of the final state.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from harness.http import Auth, Target
from harness.idp.profile import load_profile, profile_names
from mock_idp.simulate import SimulationConfig, simulate
from reference_server.app import create_app
from reference_server.settings import ServerSettings

TOKEN = "session-token"
STORY = Path(__file__).parent / "session-story.json"
SESSIONS = Path(__file__).resolve().parents[2] / "harness" / "replay" / "sessions"


def record(idp: str) -> list[dict[str, Any]]:
    """Simulate ``idp`` (3 users, 1 group, the story) against a fresh reference server; its recordings."""
    app = create_app(ServerSettings(db=":memory:", tokens=(TOKEN,)))
    config = SimulationConfig(idp, Target("http://testserver/", Auth.bearer(TOKEN), timeout=30), users=3, groups=1,
                              days=0.01, seed=11, churn=False, scenario=STORY)
    with TestClient(app, base_url="http://testserver", raise_server_exceptions=False) as http:
        result = simulate(config, http=http)
    if result.exit_code != 0:
        raise RuntimeError(f"{idp}: the simulation did not converge: {result.reason}")
    app.flush()
    recs = app.store.recordings(limit=100_000)
    app.close()
    for rec in recs:
        if TOKEN in json.dumps(rec):
            raise RuntimeError("a credential reached the recording")
    return recs


def write(idp: str, folder: Path = SESSIONS) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{idp}.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in record(idp)), encoding="utf-8")
    return path


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def shape(path: Path) -> list[tuple[Any, ...]]:
    """What must not drift: method, path and query with ids masked, status, body keys."""
    def keys(text: str | None) -> tuple[str, ...]:
        try:
            doc = json.loads(text) if text else None
        except ValueError:
            return ("<non-JSON>",)
        return tuple(sorted(doc)) if isinstance(doc, dict) else ()

    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        out.append((r["method"], _UUID.sub("<id>", r["path"]), _UUID.sub("<id>", r["query"]), r["status"],
                    keys(r["request_body"]), keys(r["response_body"])))
    return out


def simulated_profiles() -> list[str]:
    """The profiles the simulator can play (Okta's has readiness forms only, no engine yet)."""
    return [name for name in profile_names() if load_profile(name).simulated]


if __name__ == "__main__":
    for name in simulated_profiles():
        print(write(name), file=sys.stderr)
