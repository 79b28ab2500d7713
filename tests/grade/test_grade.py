"""``recordings grade``: our own engines grade clean and are recognised; a broken client is
caught on every rule.  Everything goes over real sockets into the reference server (tenants of
one sandbox for the engines), then the grade reads the recorder files."""

from __future__ import annotations

import http.client
import json
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from click.testing import CliRunner

from harness.clock import VirtualClock
from harness.grade import RULES, grade_exchanges, load_exchanges
from harness.grade.filters import filter_problem
from harness.http import Auth, Target
from harness.results import Outcome
from mock_idp.simulate import SimulationConfig, simulate
from reference_server.app import create_app
from reference_server.commands import recordings
from reference_server.settings import ServerSettings
from reference_server.tenant_app import TenantServer
from reference_server.tenants import TenantRegistry
from tests.live import serve

pytestmark = pytest.mark.socket
ENGINES = ("entra", "entra-legacy", "jumpcloud")
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
TOKEN = "grade-token-0123456789abcdef"
RULE_IDS = {r.id for r in RULES}


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One sandbox, a tenant per engine, each engine's simulation sent into its tenant."""
    directory = tmp_path_factory.mktemp("sandbox")
    registry = TenantRegistry(directory)
    server = TenantServer(registry, "admin-token-0123456789", ServerSettings())
    with serve(server) as url:
        for idp in ENGINES:
            _, token = registry.create(idp)
            target = Target(f"{url}/t/{idp}/scim/v2/", Auth.bearer(token), timeout=30)
            result = simulate(SimulationConfig(idp, target, users=25, groups=4, days=2, seed=11))
            assert result.exit_code == 0, result.message
    server.close()
    return directory


@pytest.mark.parametrize("idp", ENGINES)
def test_each_engine_grades_clean_and_is_recognised_as_its_profile(sandbox, idp, tmp_path):
    r = CliRunner().invoke(recordings, ["grade", "--db", str(sandbox), "--tenant", idp, "--out", str(tmp_path)])
    assert r.exit_code == 0, r.output
    data = json.loads((tmp_path / "results.json").read_text())
    assert data["kind"] == "client" and {x["id"] for x in data["results"]} == RULE_IDS
    assert not [x for x in data["results"] if x["outcome"] in ("fail", "warn", "error")]
    likeness = data["discovery"]["client"]["resembles"]
    assert likeness["profile"] == idp and likeness["differences"] == {} and likeness["observed"] >= 6
    assert f"requests match the {idp} profile" in r.output
    assert (tmp_path / "junit.xml").is_file() and (tmp_path / "report.html").is_file()


def test_client_and_since_select_and_nothing_selected_is_exit_2(sandbox, tmp_path):
    db = sandbox / "entra.db"
    assert load_exchanges(db, client="Microsoft*") and not load_exchanges(db, client="Okta*")
    assert not load_exchanges(db, since="2999-01-01T00:00:00")
    r = CliRunner().invoke(recordings, ["grade", "--db", str(db), "--client", "Okta*", "--out", str(tmp_path)])
    assert r.exit_code == 2
    for args in (["--db", str(tmp_path / "nope.db")], ["--db", str(db), "--since", "yesterday"]):
        r = CliRunner().invoke(recordings, ["grade", *args, "--out", str(tmp_path)])
        assert r.exit_code == 2 and "Traceback" not in r.output and len(r.output.strip().splitlines()) <= 2, r.output


def _raw_get(url: str, path: str, token: str) -> None:
    """A GET whose request target is sent byte for byte (httpx would percent-encode it)."""
    parts = urlsplit(url)
    con = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    con.request("GET", path, headers={"Authorization": f"Bearer {token}", "User-Agent": "BrokenClient/1.0"})
    con.getresponse().read()
    con.close()


def test_a_broken_client_is_caught_on_every_rule(tmp_path):
    db = tmp_path / "broken.db"
    app = create_app(ServerSettings(db=str(db), tokens=(TOKEN,), quirks=("rate-limit-429",)))
    h = {"Authorization": f"Bearer {TOKEN}", "User-Agent": "BrokenClient/1.0"}
    with serve(app) as url, httpx.Client(base_url=url, headers=h, timeout=10) as c:
        user = {"schemas": [USER], "userName": "broken@x.org"}
        sent = [c.post("/Users", json={**user, "id": "my-own-id"}),  # client.create-no-id
                c.post("/Users", json={**user, "userName": "b2@x.org", "meta": {"created": "2020-01-01T00:00:00Z"},
                                       "groups": [{"value": "g1"}]}),  # client.create-read-only
                c.post("/Users", content=json.dumps({**user, "userName": "b3@x.org"}),
                       headers={"Content-Type": "text/plain"})]  # client.media-type
        uid = next(r.json()["id"] for r in sent if r.status_code == 201 and "id" in r.json())
        c.patch(f"/Users/{uid}", json={"Operations": [{"op": "replace", "path": "active", "value": False}]})
        c.patch(f"/Users/{uid}", json={"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                                       "Operations": [{"op": "move", "path": "title", "value": "x"}]})
        c.get("/Users", params={"filter": "userName = broken"})  # client.filter-syntax (grammar)
        _raw_get(url, '/Users?filter=userName%20eq%20"broken@x.org"', TOKEN)  # client.filter-syntax (encoding)
        c.put(f"/Users/{uid}", json=user, headers={"If-Match": 'W/"999"'})  # client.if-match
        c.get("/Users", params={"count": "5000", "startIndex": "0"})  # client.paging
        for _ in range(5):
            c.get("/Groups")  # client.paging (a loop), and a 429 answered at once: client.retry-after
    app.close()
    result = grade_exchanges(load_exchanges(db, client="Broken*"), str(db))
    outcomes = {r.id: r.outcome for r in result.results}
    assert outcomes == {r.id: Outcome.FAIL if r.level.value == "MUST" else Outcome.WARN for r in RULES}
    assert result.exit_code == 1 and all(r.exchange_ids for r in result.results)
    assert result.discovery["client"]["resembles"]["profile"] != ""
    from harness.grade.commands import write_outputs
    for path in write_outputs(result, tmp_path / "out"):
        assert TOKEN not in path.read_text(), f"the token leaked into {path.name}"


def test_a_client_that_waits_out_retry_after_passes_that_rule(tmp_path):
    clock = VirtualClock()
    db = tmp_path / "patient.db"
    app = create_app(ServerSettings(db=str(db), tokens=(TOKEN,), quirks=("rate-limit-429",), clock=clock.now))
    h = {"Authorization": f"Bearer {TOKEN}"}
    with serve(app) as url, httpx.Client(base_url=url, headers=h, timeout=10) as c:
        for _ in range(7):
            r = c.get("/Groups")
            if r.status_code == 429:
                clock.advance(float(r.headers["retry-after"]))
    app.close()
    result = grade_exchanges(load_exchanges(db), str(db))
    rule = next(r for r in result.results if r.id == "client.retry-after")
    assert rule.outcome is Outcome.PASS and any(e.status == 429 for e in load_exchanges(db))


@pytest.mark.parametrize("text", ['userName eq "a"', 'name.familyName co "O\'Malley" and active eq true',
                                  'emails[type eq "work" and value ew "@x.org"]', 'not (title pr) or x gt 5',
                                  'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "1"'])
def test_valid_filters_pass_the_validator(text):
    assert filter_problem(text) is None


@pytest.mark.parametrize("text", ['userName = "a"', "userName eq a", 'userName eq "a" and', '(userName eq "a"',
                                  'emails[type eq "work"', 'userName eq "a" "b"', ""])
def test_invalid_filters_are_named(text):
    assert filter_problem(text) is not None


def test_two_tenants_two_idps_at_once_converge_and_never_see_each_other(tmp_path):
    """The issue's proof, on SQLite: Entra into one tenant and JumpCloud into another at the same
    time, over one socket; both converge and each recorder holds only its own IdP's traffic."""
    import threading

    registry = TenantRegistry(tmp_path)
    server = TenantServer(registry, "admin-token-0123456789", ServerSettings())
    results: dict[str, int] = {}
    with serve(server) as url:
        def run(idp: str, token: str) -> None:
            target = Target(f"{url}/t/{idp}/scim/v2/", Auth.bearer(token), timeout=30)
            results[idp] = simulate(SimulationConfig(idp, target, users=25, groups=4, days=2, seed=5)).exit_code

        threads = [threading.Thread(target=run, args=(idp, registry.create(idp)[1])) for idp in ("entra", "jumpcloud")]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=300)
    server.close()
    assert results == {"entra": 0, "jumpcloud": 0}
    agents = {idp: {r.header("user-agent", response=False).split(" ")[0] for r in load_exchanges(tmp_path / f"{idp}.db")}
              for idp in ("entra", "jumpcloud")}
    assert agents == {"entra": {"Microsoft.Entra.Provisioning"}, "jumpcloud": {"JumpCloud"}}
