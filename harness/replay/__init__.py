"""Record once, replay forever: a recorded IdP session replayed against any SCIM endpoint.

``load_session`` reads a recording (recordings export JSON/JSONL, HAR 1.2, results.json, or a
bundled session by name), ``replay_session`` sends it again with ids remapped and compares each
answer with the recorded one. The CLI is ``scim-harness replay`` (harness/replay/commands.py).
"""

from harness.replay.compare import LEVELS, Divergence, compare
from harness.replay.engine import ReplayOptions, Replayer, replay_session
from harness.replay.remap import IdMap
from harness.replay.session import RECORDED, Recorded, Session, SessionError, bundled_sessions, load_session, parse_session

__all__ = [
    "LEVELS",
    "RECORDED",
    "Divergence",
    "IdMap",
    "Recorded",
    "ReplayOptions",
    "Replayer",
    "Session",
    "SessionError",
    "bundled_sessions",
    "compare",
    "load_session",
    "parse_session",
    "replay_session",
]
