"""cleanup(target, prefix): finds by filter sw, falls back to paging, deletes only real matches."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from harness.cleanup import cleanup
from harness.config import ConfigError
from harness.discovery import Discovery
from harness.http import Auth, Target, TargetClient
from tests.harness.fakes import FakeScim
from tests.harness.support import TOKEN, inprocess
from tests.live import serve


def seeded(**kw: bool) -> FakeScim:
    fake = FakeScim(token=TOKEN, **kw)
    for i in range(5):
        fake.seed("Users", userName=f"sh-abc123-u{i}@example.com")
        fake.seed("Users", userName=f"real.person{i}@example.com", displayName="Real Person")
    fake.seed("Users", userName="other@example.com", displayName="SH-ABC123-by-display-name")
    fake.seed("Users", userName="sh-abc1234@example.com")  # shares the letters, not the prefix
    fake.seed("Groups", displayName="sh-abc123-group")
    fake.seed("Groups", displayName="Sales")
    return fake


def client_for(fake: FakeScim) -> TargetClient:
    return TargetClient(Target("http://localhost", Auth.bearer(TOKEN)), http=inprocess(fake.app))


def remaining(fake: FakeScim) -> list[str]:
    return sorted([u["userName"] for u in fake.store["Users"].values()]
                  + [g["displayName"] for g in fake.store["Groups"].values()])


KEPT = sorted([f"real.person{i}@example.com" for i in range(5)] + ["other@example.com", "sh-abc1234@example.com", "Sales"])


def test_cleanup_by_filter() -> None:
    fake = seeded()
    result = cleanup(client_for(fake), "sh-abc123-")
    assert result.methods == {"Group": "filter", "User": "filter"}
    assert len(result.deleted) == 7 and result.complete and result.exit_code == 0
    assert remaining(fake) == sorted(k for k in KEPT if k != "other@example.com")  # displayName sw found it
    assert ("GET", "/Users", 'filter=displayName%20sw%20%22sh-abc123-%22&startIndex=1&count=100') in fake.calls


def test_cleanup_falls_back_to_paging_and_matches_display_names() -> None:
    fake = seeded(filters=False)
    result = cleanup(client_for(fake), "sh-abc123-", page_size=2)
    assert result.methods == {"Group": "paging", "User": "paging"}
    assert remaining(fake) == sorted(k for k in KEPT if k != "other@example.com")
    assert len(result.deleted) == 7 and result.exit_code == 0
    assert sum(1 for c in fake.calls if c[0] == "GET" and c[1] == "/Users") > 5, "it paged"


def test_a_target_that_ignores_the_filter_cannot_make_us_delete_others() -> None:
    fake = seeded(ignore_filters=True)
    result = cleanup(client_for(fake), "sh-abc123-")
    assert not any(name.lower().startswith("sh-abc123-") for name in remaining(fake))
    assert "Sales" in remaining(fake) and "real.person0@example.com" in remaining(fake)
    assert all("sh-abc123-" not in p for p in result.deleted)  # paths hold ids, never names
    assert len(result.deleted) == 7


def test_dry_run_deletes_nothing() -> None:
    fake = seeded()
    result = cleanup(client_for(fake), "sh-abc123-", dry_run=True)
    assert len(result.found) == 7 and result.deleted == [] and "would delete 7" in result.summary()
    assert len(fake.store["Users"]) == 12


@pytest.mark.parametrize("prefix", ["", "a", "x y", 'sh" or "1'])
def test_dangerous_prefixes_are_refused(prefix: str) -> None:
    with pytest.raises(ConfigError):
        cleanup(client_for(seeded()), prefix)


@pytest.mark.socket
def test_cleanup_over_a_socket_with_a_target() -> None:
    fake = seeded()
    with serve(fake.app) as url:
        result = cleanup(Target(url, Auth.bearer(TOKEN), timeout=3), "sh-abc123-")
    assert result.exit_code == 0 and len(result.deleted) == 7


def test_refused_credentials_are_named_and_not_retried_by_paging() -> None:
    fake = seeded()
    refused = TargetClient(Target("http://localhost", Auth.bearer("a-wrong-token")), http=inprocess(fake.app))
    result = cleanup(refused, "sh-abc123-")
    assert result.exit_code == 2 and not result.found
    assert "the target refused the credentials (bearer token)" in result.summary()
    # One refused filter request per resource type, not a fall-back walk over every page.
    listings = [c for c in fake.calls if c[0] == "GET" and c[1] in ("/Users", "/Groups")]
    assert len(listings) == 2, listings
    assert len(fake.store["Users"]) == 12 and len(fake.store["Groups"]) == 2  # nothing deleted


@pytest.mark.parametrize("retry_after", [5, 3600])
def test_a_429_is_honoured_within_bounds_on_the_injected_clock(retry_after: int) -> None:
    from harness.clock import VirtualClock
    from harness.retry import MAX_ATTEMPTS, MAX_WAIT_SECONDS

    async def always_429(scope: dict[str, Any], receive: Any, send: Any) -> None:
        calls.append(scope["path"])
        await send({"type": "http.response.start", "status": 429,
                    "headers": [(b"retry-after", str(retry_after).encode()), (b"content-type", b"application/scim+json")]})
        await send({"type": "http.response.body", "body": b"{}"})

    calls: list[str] = []
    clock = VirtualClock()
    client = TargetClient(Target("http://localhost", Auth.bearer(TOKEN)), http=inprocess(always_429), clock=clock)
    result = cleanup(client, "sh-abc123-", discovery=Discovery())
    assert result.exit_code == 2 and "answered 429" in result.summary()
    # per type a filtered listing, then a paged one; each sent again after Retry-After, up to
    # MAX_ATTEMPTS sends, unless the target asks for longer than we wait: then once
    sends = MAX_ATTEMPTS if retry_after <= MAX_WAIT_SECONDS else 1
    assert calls == ["/Groups"] * 2 * sends + ["/Users"] * 2 * sends
    assert clock.monotonic() == 4 * (sends - 1) * retry_after


@pytest.mark.socket
def test_cleanup_honours_retry_after_from_the_reference_servers_rate_limiter(tmp_path: Path) -> None:
    from reference_server.app import create_app
    from reference_server.settings import ServerSettings

    app = create_app(ServerSettings(db=str(tmp_path / "ref.db"), tokens=(TOKEN,), quirks=("rate-limit-429",)))
    with serve(app) as url, httpx.Client(base_url=url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10) as http:
        for i in range(4):
            body = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": f"sh-abc123-u{i}"}
            while http.post("/Users", json=body).status_code == 429:
                pass  # the limiter refuses every third request; the next one passes
        result = cleanup(Target(url, Auth.bearer(TOKEN), timeout=5), "sh-abc123-")
        recorded = http.get("/_recordings", params={"limit": 1000}).json()["Resources"]
    assert result.exit_code == 0 and len(result.deleted) == 4 and not result.failed, result.summary()
    ours = [r for r in recorded if r["method"] == "DELETE" or r["query"] and "sw" in r["query"]]
    refused = [i for i, r in enumerate(recorded) if r["status"] == 429 and r in ours]
    assert refused, "the limiter refused some of cleanup's requests"
    for i in refused:  # the same request again, no sooner than Retry-After: 1
        again = recorded[i + 1]
        assert (again["method"], again["path"], again["query"]) == (recorded[i]["method"], recorded[i]["path"],
                                                                     recorded[i]["query"])
        waited = datetime.fromisoformat(again["at"].replace("Z", "+00:00")) - \
            datetime.fromisoformat(recorded[i]["at"].replace("Z", "+00:00"))
        assert waited.total_seconds() >= 1.0
