"""results.json: the source of truth of a run (schema: docs/results-schema.md).

:class:`JsonWriter` is an event handler: on ``RunFinished`` it writes
``RunResult.to_dict()`` to its path (atomically: a temporary file, then a rename, so a
reader never sees half a file). :func:`load_results` reads one back into a
:class:`~harness.results.RunResult`, refusing other schema versions with a clear message.

Everything in the file was redacted when it was recorded (harness/recorder.py): the writer
adds nothing that could carry a credential.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any

from harness.results import RunResult
from redaction import scrub
from reports.writer import RunFileWriter

__all__ = ["JsonWriter", "write_results", "load_results", "ResultsFileError"]


class ResultsFileError(ValueError):
    """A results.json that cannot be used; the message says why, in one line."""


def _atomic_write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    # A target can send "\ud800" in JSON: a lone surrogate UTF-8 cannot encode. Written back as
    # the JSON escape it came from, so the file stays valid UTF-8 and valid JSON.
    data = text.encode("utf-8", "backslashreplace")
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")  # created with the usual umask
    try:
        with open(tmp, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def write_results(run: RunResult, path: str | Path) -> Path:
    """Write ``run`` as results.json (UTF-8, indented, keys in schema order)."""
    text = json.dumps(run.to_dict(), ensure_ascii=False, indent=2) + "\n"
    return _atomic_write(Path(path), scrub(text))  # the redaction layer's last pass


def load_results(path: str | Path) -> RunResult:
    """Read a results.json; :class:`ResultsFileError` if it is missing, not JSON or another schema."""
    path = Path(path)
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ResultsFileError(f"cannot read {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ResultsFileError(f"{path} is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise ResultsFileError(f"{path} is not JSON: {exc.msg} at line {exc.lineno}") from None
    if not isinstance(data, dict):
        raise ResultsFileError(f"{path} does not hold a results object (see docs/results-schema.md)")
    try:
        return RunResult.from_dict(data)
    except KeyError as exc:
        raise ResultsFileError(f"{path} is not a scim-harness results.json: missing field {exc}") from None
    except (TypeError, ValueError, AttributeError, IndexError) as exc:
        raise ResultsFileError(f"{path} is not a usable results.json: {exc}") from None


class JsonWriter(RunFileWriter):
    """Event handler writing results.json when the run finishes (even when it could not test)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        super().__init__(path, write_results)
