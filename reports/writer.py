"""The one shape of a file writer: an event handler that writes the finished run to a path."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from harness.events import RunFinished
from harness.results import RunResult

__all__ = ["RunFileWriter"]


class RunFileWriter:
    """On ``RunFinished``, ``write(run, path)``; a failure is kept in ``error``, never raised,
    so one unwritable file cannot stop the others (the CLI reports ``error``)."""

    def __init__(self, path: str | os.PathLike[str], write: Callable[[RunResult, Path], Path]) -> None:
        self.path = Path(path)
        self._write = write
        self.written: Path | None = None
        self.error: str | None = None

    def handle_event(self, event: object) -> None:
        if isinstance(event, RunFinished):
            try:
                self.written = self._write(event.result, self.path)
            except OSError as exc:
                self.error = f"cannot write {self.path}: {exc.strerror or exc}"
