"""The HTML report as a document: self-contained, escaped, strict CSP, bounded, and
telling the right story (verdicts, areas, evidence)."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

from harness.results import RunResult
from reports.html import csp_hash, render_html, write_html
from harness.verdicts import idp_verdicts
from tests.reports.fixtures import TOKEN, failing_run, hostile_run, passing_run, simulation_run


class Elements(HTMLParser):
    """Every start tag with its attributes, and the text of <script> and <style>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.raw: dict[str, list[str]] = {"script": [], "style": []}
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag in self.raw:
            self._in = tag
            self.raw[tag].append("")

    def handle_endtag(self, tag: str) -> None:
        self._in = None

    def handle_data(self, data: str) -> None:
        if self._in:
            self.raw[self._in][-1] += data


def parse(html: str) -> Elements:
    parser = Elements()
    parser.feed(html)
    return parser


def test_hostile_values_never_become_markup() -> None:
    html = render_html(hostile_run())
    doc = parse(html)
    names = [t for t, _ in doc.tags]
    assert names.count("script") == 1 and names.count("style") == 1
    for forbidden in ("img", "iframe", "object", "embed", "textarea", "form", "base", "input type=file"):
        assert forbidden not in names
    for tag, attrs in doc.tags:
        assert not any(k.startswith("on") for k in attrs), (tag, attrs)
        if "href" in attrs:
            assert attrs["href"] is not None and (attrs["href"].startswith("#") or attrs["href"] == "data:,"), attrs
        assert "src" not in attrs
        if tag == "meta" and attrs.get("http-equiv", "").lower() == "refresh":
            raise AssertionError("a refresh meta got in")
    # the payloads are in the page, escaped
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in html
    assert "{{ 7*7 }}" in html  # shown literally, never evaluated


def test_self_contained_no_url_is_loaded() -> None:
    html = render_html(passing_run())
    doc = parse(html)
    css = doc.raw["style"][0]
    assert "url(" not in css and "@import" not in css
    js = doc.raw["script"][0]
    for api in ("fetch(", "XMLHttpRequest", "WebSocket", "EventSource", "innerHTML", "eval(", "new Function", "document.write"):
        assert api not in js
    for tag, attrs in doc.tags:
        for key, value in attrs.items():
            assert not (value or "").startswith(("http:", "https:", "//")), (tag, key, value)


def test_csp_allows_exactly_our_script_and_style() -> None:
    html = render_html(passing_run())
    doc = parse(html)
    meta = next(a for t, a in doc.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy")
    policy = dict(d.strip().split(" ", 1) for d in (meta["content"] or "").split(";"))
    assert policy["default-src"] == "'none'"
    assert policy["script-src"] == csp_hash(doc.raw["script"][0])
    assert policy["style-src"] == csp_hash(doc.raw["style"][0])
    assert "unsafe" not in (meta["content"] or "")
    # the policy comes before anything it governs
    assert html.index("Content-Security-Policy") < html.index("<style>") < html.index("<script>")


def test_no_credential_in_any_report() -> None:
    for make in (passing_run, failing_run, hostile_run, simulation_run):
        html = render_html(make())
        assert TOKEN not in html
        assert "$SCIM_TOKEN" in html or make is passing_run or make is simulation_run


def test_verdicts_count_blockers_per_idp() -> None:
    verdicts = {v.key: v for v in idp_verdicts(failing_run())}
    entra = verdicts["entra"]
    # the RFC check whose impact names Entra, and the Entra-suite check; not the WARN or ERROR
    assert [b.id for b in entra.blockers] == ["query.no-match-empty-list", "entra.legacy-capitalized-ops"]
    assert entra.headline == "Entra ID: 2 blockers"
    assert verdicts["jumpcloud"].headline == "JumpCloud: ready"
    assert "okta" not in verdicts  # not a headline IdP, and nothing relied on it
    assert {v.key: v.headline for v in idp_verdicts(passing_run())} == {"entra": "Entra ID: ready", "jumpcloud": "JumpCloud: ready"}


def test_an_idp_nothing_relied_on_is_not_tested() -> None:
    run = passing_run()
    run.results = [r for r in run.results if "jumpcloud" not in r.suites]
    verdicts = {v.key: v for v in idp_verdicts(run)}
    assert verdicts["jumpcloud"].state == "not-tested"
    assert "JumpCloud: not tested" in render_html(run)


def test_failing_report_shows_the_evidence() -> None:
    html = render_html(failing_run())
    assert "Entra ID: 2 blockers" in html
    assert "GET answered 404, expected 200" in html
    assert "Answer 200 with totalResults 0 and no Resources." in html
    assert "QRY-02" in html and "RFC 7644 §3.4.2" in html
    assert "Bearer [REDACTED]" in html  # headers shown, credential redacted
    assert "&#34;detail&#34;: &#34;no such user&#34;" in html  # pretty-printed JSON body
    assert "timeout after 10s" in html
    # failing checks are open, passing ones collapsed
    assert re.search(r'<details class="check" id="c\d+" data-outcome="fail"[^>]*open>', html)
    assert not re.search(r'<details class="check" id="c\d+" data-outcome="pass"[^>]*open>', html)


def test_checks_are_grouped_by_area_worst_first() -> None:
    html = render_html(failing_run())
    query = html.index('data-area="query"')
    first_fail = html.index('data-outcome="fail"', query)
    first_pass = html.index('data-outcome="pass"', query)
    assert first_fail < first_pass


def test_bodies_are_bounded() -> None:
    run = failing_run()
    big = json.dumps({"Resources": ["x" * 100 for _ in range(2000)]})
    run.exchanges[0] = type(run.exchanges[0]).from_dict({**run.exchanges[0].to_dict(), "response": {
        "status": 200, "headers": [], "body": big, "truncated": False}})
    html = render_html(run)
    assert "more characters in results.json" in html
    assert len(html) < 200_000


def test_simulation_report_has_timeline_log_and_differences() -> None:
    run = simulation_run()
    html = render_html(run)
    doc = parse(html)
    with_creates = sum(1 for c in run.simulation["cycles"] if c["counts"]["create"])
    assert sum(1 for t, a in doc.tags if t == "rect" and a.get("class") == "s-create") == with_creates + 1  # + legend
    assert sum(1 for t, a in doc.tags if t == "rect" and a.get("class") == "quarantine") == 2 + 1  # + legend
    assert sum(1 for t, a in doc.tags if t == "path" and a.get("class") == "escrow") >= 2
    assert sum(1 for t, _ in doc.tags if t == "tr" and _.get("data-status")) == len(run.simulation["log_tail"])
    assert "quarantine" in html and "over 40% of events failed" in html
    assert "1 difference(s)" in html
    assert "Entra ID simulation (entra-legacy): 2 blockers" in html


def test_hostile_simulation_is_escaped() -> None:
    html = render_html(simulation_run(hostile=True))
    assert "<script>window.__pwned" not in html
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in html


def test_rerenders_from_json(tmp_path: Path) -> None:
    run = failing_run()
    restored = RunResult.from_dict(json.loads(json.dumps(run.to_dict())))
    assert render_html(restored) == render_html(run)
    out = write_html(restored, tmp_path / "sub" / "report.html")
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert [p.name for p in out.parent.iterdir()] == ["report.html"]  # no temp file left


def test_empty_run_renders() -> None:
    run = RunResult(kind="conformance", target="http://x", started_at="", finished_at="", duration_ms=0, exit_code=2,
                    message="could not reach the target")
    html = render_html(run)
    assert "could not reach the target" in html and "No checks in this run." in html
    assert "Entra ID: not tested" in html


def test_a_full_suite_report_stays_under_2_mb() -> None:
    from reports.html import MAX_REPORT_BYTES
    from tests.reports.fixtures import large_run

    run = large_run()
    html = render_html(run)
    assert len(html.encode("utf-8")) <= MAX_REPORT_BYTES
    assert "evidence is shortened" in html  # it had to shorten, and says so
    # every check is still there, and failing checks keep full evidence (headers, curl)
    assert html.count('<details class="check"') == len(run.results)
    assert html.count("Reproduce <span") >= sum(1 for r in run.results if r.outcome.value == "fail")


def test_a_small_report_is_not_shortened() -> None:
    assert "evidence is shortened" not in render_html(failing_run())


def test_long_request_bodies_are_referenced_in_curl() -> None:
    from harness.curl import curl_command

    ex = failing_run().exchanges[1]
    line = curl_command(ex, body_limit=10)
    assert "--data-binary @request-body.json" in line and f"exchange {ex.id} in results.json" in line


def test_html_writer_is_an_event_handler(tmp_path: Path) -> None:
    from harness.events import RunFinished
    from reports.html import HtmlWriter

    writer = HtmlWriter(tmp_path / "report.html")
    run = failing_run()
    writer.handle_event(RunFinished(at=run.finished_at, result=run, interrupted=False, timed_out=False))
    assert writer.written == tmp_path / "report.html" and writer.error is None
    assert "Entra ID: 2 blockers" in writer.written.read_text(encoding="utf-8")
    blocked = HtmlWriter(tmp_path / "report.html" / "x.html")  # a file where a directory should be
    blocked.handle_event(RunFinished(at=run.finished_at, result=run, interrupted=False, timed_out=False))
    assert blocked.written is None and blocked.error and "cannot write" in blocked.error


def test_a_simulation_that_could_not_start_is_blocked() -> None:
    run = RunResult(kind="simulation", target="http://x", started_at="", finished_at="", duration_ms=0, exit_code=2,
                    message="Test connection failed: the user lookup got 404",
                    simulation={"idp": "entra", "message": "Test connection failed"})
    (verdict,) = idp_verdicts(run)
    assert verdict.state == "blocked" and verdict.headline == "Entra ID simulation: could not start"
    html = render_html(run)
    assert "Entra ID simulation: could not start" in html and "the user lookup got 404" in html


def test_a_run_that_could_not_test_says_why_in_every_banner() -> None:
    run = RunResult(kind="conformance", target="http://x", started_at="", finished_at="", duration_ms=0, exit_code=2,
                    message="cannot reach the target http://x: ConnectError")
    assert all(v.state == "not-tested" and "cannot reach" in v.note for v in idp_verdicts(run))


def test_simulation_facts_name_the_profile_once_with_its_description() -> None:
    html = render_html(simulation_run(cycles=3))
    facts = html.split('<div class="simfacts">', 1)[1].split("</div>", 1)[0]
    assert "IdP profile <b>entra-legacy</b>" in facts and "(Entra ID without the flag)" in facts
    assert "<span>profile <b>" not in facts  # the same name is not repeated as a second fact


def test_simulation_names_the_unconfirmed_forms_it_played_and_its_429_mode() -> None:
    run = simulation_run(cycles=3)
    run.simulation["profile"] = {**run.simulation["profile"], "unconfirmed": ["member_ref_null", "manager_value"],
                                 "knobs": {"member_ref_null": True, "manager_value": "object", "op_case": "capitalized"}}
    run.simulation["rate_limit"] = "no immediate retry: a 429 fails the change (escrow)"
    html = render_html(run)
    table = html.split('unconfirmed-knobs', 1)[1].split("</details>", 1)[0]
    assert "Unconfirmed forms played (2)" in table and "manager_value" in table and "object" in table
    assert "op_case" not in table  # a confirmed knob is not listed
    assert "429 handling <b>no immediate retry: a 429 fails the change (escrow)</b>" in html
    assert "unconfirmed-knobs" not in render_html(simulation_run(cycles=3))  # nothing unconfirmed named: no list


def test_the_run_message_is_styled_by_outcome() -> None:
    converged = simulation_run(cycles=3)
    converged.exit_code, converged.message = 0, "Converged: the target matches the directory."
    assert '<p class="runmsg ok">Converged: the target matches the directory.</p>' in render_html(converged)
    broken = simulation_run(cycles=3)
    broken.message = "Not converged: 1 difference."
    assert '<p class="runmsg">Not converged: 1 difference.</p>' in render_html(broken)


def test_a_fuzz_report_has_no_idp_banners_it_did_not_judge() -> None:
    run = passing_run()
    run.kind = "fuzz"
    run.results = [r for r in run.results if not set(r.suites) & {"entra", "jumpcloud", "okta"} and not r.idp_impact]
    assert idp_verdicts(run) == []
    html = render_html(run)
    assert "not tested" not in html and "try --suite" not in html and 'class="verdicts"' not in html
    # A fuzz finding that names an IdP still gets its banner.
    run.results[0].idp_impact = "Entra ID quarantines the job"
    assert [v.key for v in idp_verdicts(run)] == ["entra"]
