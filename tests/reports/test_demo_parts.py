"""Pieces of the demo that need no reference server: browser policy, server start failure."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from reports.demo import DemoConfig, DemoError, ReferenceServer, should_open_browser


def test_never_opens_a_browser_in_ci_or_without_a_display(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.platform", "linux")
    on = DemoConfig(open_browser=True)
    assert should_open_browser(on, {"DISPLAY": ":0"})
    assert should_open_browser(on, {"WAYLAND_DISPLAY": "wayland-0"})
    assert not should_open_browser(on, {})
    assert not should_open_browser(on, {"DISPLAY": ":0", "CI": "true"})
    assert not should_open_browser(DemoConfig(open_browser=False), {"DISPLAY": ":0"})


def test_a_server_that_will_not_start_is_a_clear_error_without_the_token(tmp_path: Path) -> None:
    fake = tmp_path / "fake-python"
    fake.write_text('#!/bin/sh\necho "starting with $*"\necho "token from env: $SCIM_TOKEN"\necho "fatal: unknown quirk" >&2\nexit 3\n')
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    token = "demo-tok-zzz-distinctive"
    server = ReferenceServer(DemoConfig(python=str(fake), quirks=("no-such-quirk",), server_timeout=5), tmp_path, token)
    with pytest.raises(DemoError) as caught:
        server.start()
    message = str(caught.value)
    assert "did not start" in message and "unknown quirk" in message and "--quirk no-such-quirk" in message
    assert token not in message and "token from env: [REDACTED]" in message  # in the env, redacted in logs
    assert "--token" not in message  # never on the command line
    assert server.process is None


def test_an_unwritable_output_is_a_demo_error(tmp_path: Path) -> None:
    from reports.demo import write_run
    from tests.reports.fixtures import failing_run

    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(DemoError, match="cannot write the reports"):
        write_run(failing_run(), blocker / "conformance")
