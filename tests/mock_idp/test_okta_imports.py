"""Issue 17, Okta's last two facts of idp-behaviors §3, as profile knobs.

- ``import_schedule`` [confirmed O3: "imports manual or hourly/daily/weekly"]: the engine's
  virtual clock runs scheduled imports; over a real socket, ``--import-schedule daily`` for 3
  days pages /Users and /Groups once a day at the scheduled moments, ``manual`` never; the same
  seed sends the same bytes; results.json and the report name the schedule.
- ``pathless_active`` [unconfirmed: the OIN PATCH body is undocumented]: an update that changes
  ``active`` with another attribute keeps ``active`` as its own pathed op (default) or puts it in
  the path-less replace; both bodies are shown, and the reference server applies both.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from click.testing import CliRunner

from harness.clock import EPOCH, isoformat
from harness.idp.profile import ProfileError, load_profile
from harness.idp.requests import PATCH_OP, Change, update_user
from mock_idp import commands
from mock_idp.imports import scheduled_imports
from tests.live import serve
from tests.mock_idp.test_reference_server import TOKEN, make_app


# -- the schedule -----------------------------------------------------------------------------------
def test_schedules_turn_into_moments_on_the_clock() -> None:
    three_days = EPOCH + timedelta(days=3)
    assert scheduled_imports("manual", EPOCH, three_days) == []
    assert scheduled_imports("daily", EPOCH, three_days) == [EPOCH + timedelta(days=n) for n in (1, 2, 3)]
    assert len(scheduled_imports("hourly", EPOCH, EPOCH + timedelta(days=1))) == 24
    assert scheduled_imports("weekly", EPOCH, three_days) == []
    assert scheduled_imports("weekly", EPOCH, EPOCH + timedelta(days=8)) == [EPOCH + timedelta(weeks=1)]


def test_the_knobs_are_profile_data_with_their_facts() -> None:
    for name in ("okta", "okta-aiw"):
        profile = load_profile(name)
        assert profile.import_schedule == "manual" and profile.is_confirmed("import_schedule")
    oin = load_profile("okta")
    assert oin.pathless_active == "own-op" and "pathless_active" in oin.unconfirmed
    assert load_profile("okta", import_schedule="daily").import_schedule == "daily"
    with pytest.raises(ProfileError, match="import_schedule = 'monthly'; choose one of manual, hourly, daily, weekly"):
        load_profile("okta", import_schedule="monthly")
    with pytest.raises(ProfileError, match="pathless_active"):
        load_profile("okta", pathless_active="both")


# -- over a real socket ------------------------------------------------------------------------------
def _simulate(base: str, out: Path, *args: str) -> tuple[int, str, dict[str, Any]]:
    result = CliRunner().invoke(commands.simulate, ["--idp", "okta", "--target", f"{base}/", "--token", TOKEN,
                                                    "--users", "12", "--groups", "2", "--days", "3", "--seed", "5",
                                                    "--out", str(out), "-q", *args])
    data = json.loads((out / "results.json").read_text()) if (out / "results.json").exists() else {}
    return result.exit_code, result.output, data


def _import_pages(data: dict[str, Any], out: Path) -> dict[str, list[tuple[str, str]]]:
    """Per Import log entry (its activityDateTime): the (at, path) of each paging GET it sent,
    from the recorder (timestamps on the virtual clock)."""
    exchanges = {e["id"]: e for e in data["exchanges"]}
    pages: dict[str, list[tuple[str, str]]] = {}
    for line in (out / "provisioning.jsonl").read_text().splitlines():
        entry = json.loads(line)
        if entry["sourceIdentity"]["identityType"] != "Import":
            continue
        sent = [exchanges[i] for i in entry["exchangeIds"]]
        assert all(e["method"] == "GET" for e in sent)
        assert all(dict(parse_qsl(urlsplit(e["url"]).query)) == {"startIndex": "1", "count": "100"} for e in sent)
        pages[entry["activityDateTime"]] = [(e["at"], urlsplit(e["url"]).path.rsplit("/", 1)[-1]) for e in sent]
    return pages


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.mark.socket
def test_daily_imports_page_once_a_day_at_the_scheduled_times_and_manual_never(tmp_path: Path) -> None:
    runs: dict[str, dict[str, Any]] = {}
    for name, args in (("daily", ["--import-schedule", "daily"]), ("again", ["--import-schedule", "daily"]),
                       ("manual", [])):
        with serve(make_app()) as base:  # a fresh server per run
            code, output, runs[name] = _simulate(base, tmp_path / name, *args)
        assert code == 0, output
    daily, manual = runs["daily"], runs["manual"]

    scheduled = [EPOCH + timedelta(days=n) for n in (1, 2, 3)]
    pages = _import_pages(daily, tmp_path / "daily")
    assert [_at(t) for t in pages] == scheduled  # one Import entry a day, at the scheduled moment
    for (when, sent), due in zip(pages.items(), scheduled):
        assert [path for _, path in sent] == ["Users", "Groups"]  # 12 users, 2 groups: one page each
        assert all(due <= _at(at) < due + timedelta(minutes=1) for at, _ in sent), (when, sent)
    assert daily["simulation"]["import_schedule"] == "daily"
    assert daily["simulation"]["imports"] == [isoformat(t) for t in scheduled]
    assert "imports <b>daily</b> (3 run)" in (tmp_path / "daily" / "report.html").read_text()

    assert _import_pages(manual, tmp_path / "manual") == {}
    assert manual["simulation"]["import_schedule"] == "manual" and manual["simulation"]["imports"] == []
    assert "imports <b>manual</b>" in (tmp_path / "manual" / "report.html").read_text()

    # same seed, same bytes (the server's random ids numbered by first appearance)
    logs = [(tmp_path / n / "provisioning.jsonl").read_text() for n in ("daily", "again")]
    assert _canonical(logs[0]) == _canonical(logs[1])


def _canonical(text: str) -> str:
    ids: dict[str, str] = {}
    return re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
                  lambda m: ids.setdefault(m.group(0), f"<id-{len(ids)}>"), text)


# -- OIN: active changed with another attribute ------------------------------------------------------
CHANGES = [Change("title", "Engineer", "Director"), Change("active", True, False)]


def test_both_values_of_pathless_active_and_their_bodies() -> None:
    own = update_user(load_profile("okta"), "42", CHANGES)
    assert own.method == "PATCH" and own.json == {"schemas": [PATCH_OP], "Operations": [
        {"op": "replace", "path": "active", "value": False},
        {"op": "replace", "value": {"title": "Director"}}]}
    merged = update_user(load_profile("okta", pathless_active="in-value"), "42", CHANGES)
    assert merged.json == {"schemas": [PATCH_OP], "Operations": [
        {"op": "replace", "value": {"title": "Director", "active": False}}]}
    # a pathed profile never reads the knob
    assert update_user(load_profile("jumpcloud", pathless_active="in-value"), "42", CHANGES).json == \
        update_user(load_profile("jumpcloud"), "42", CHANGES).json


@pytest.mark.socket
@pytest.mark.parametrize("value", ["own-op", "in-value"])
def test_the_reference_server_applies_either_body(value: str) -> None:
    request = update_user(load_profile("okta", pathless_active=value), "{id}", CHANGES)
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/scim+json"}
    with serve(make_app()) as base, httpx.Client(base_url=base, headers=headers, timeout=30) as http:
        created = http.post("/Users", json={"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                                            "userName": f"jo-{value}@example.com", "title": "Engineer", "active": True})
        assert created.status_code == 201, created.text
        uid = created.json()["id"]
        answer = http.patch(request.path.replace("{id}", uid), json=request.json)
        assert answer.status_code in (200, 204), answer.text
        user = http.get(f"/Users/{uid}").json()
    assert (user["title"], user["active"]) == ("Director", False)
