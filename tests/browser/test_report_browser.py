"""The HTML report in a real browser (headless Chromium): hostile values stay text, nothing
runs but our own script, nothing is fetched, and the pages look right (screenshots)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reports.html import write_html
from tests.browser.chromium import ARTIFACTS, browser, open_page, require_browser
from tests.reports.fixtures import HOSTILE, failing_run, hostile_run, passing_run, simulation_run

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def chromium():  # type: ignore[no-untyped-def]
    require_browser()
    with browser() as context:
        yield context


def _only_the_file(watch, url: str) -> None:  # type: ignore[no-untyped-def]
    left = [r for r in watch.requests if r != url and not r.startswith("data:")]
    assert left == [], f"the page tried to load {left}"


DOM_PROBE = """() => ({
  pwned: window.__pwned === undefined ? null : window.__pwned,
  ready: document.documentElement.dataset.ready || null,
  scripts: document.querySelectorAll('script').length,
  foreign: document.querySelectorAll('img, iframe, object, embed, link[rel=stylesheet], meta[http-equiv=refresh], style:not(head > style), textarea').length,
  handlers: Array.from(document.querySelectorAll('*')).filter(e => Array.from(e.attributes).some(a => a.name.startsWith('on'))).length,
  badLinks: Array.from(document.querySelectorAll('a[href]')).map(a => a.getAttribute('href')).filter(h => !h.startsWith('#')),
  svgs_with_handlers: document.querySelectorAll('svg[onload]').length,
  text: document.body.innerText,
})"""


def test_hostile_values_are_shown_as_text_and_never_run(chromium, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = write_html(hostile_run(), tmp_path / "hostile.html")
    url = path.as_uri()
    watch = open_page(chromium, url)
    page = watch.page
    # Interact the way a reader would: expand everything, search for a payload, follow links.
    page.click("#expand")
    page.fill("#f-text", HOSTILE[0])
    page.fill("#f-text", "")
    for link in page.query_selector_all("a[href^='#']")[:5]:
        link.click()
    page.evaluate("() => window.dispatchEvent(new Event('beforeprint'))")
    page.wait_for_timeout(150)  # give a late onerror/onload payload its chance to fire
    probe = page.evaluate(DOM_PROBE)
    assert probe["pwned"] is None, "a payload from the target's data ran"
    assert probe["ready"] == "1", "our own script did not run (CSP hash wrong?)"
    assert probe["scripts"] == 1
    assert probe["foreign"] == 0
    assert probe["handlers"] == 0
    assert probe["badLinks"] == []
    for payload in (HOSTILE[0], HOSTILE[1], HOSTILE[2], "{{ 7*7 }}", "</textarea>"):
        assert payload in probe["text"], f"{payload!r} is not shown as text"
    assert "49" not in probe["text"].replace("4942", "")  # {{ 7*7 }} was not evaluated
    assert not [m for m in watch.console if "Content Security Policy" in m], watch.console
    assert watch.errors == []
    _only_the_file(watch, url)
    page.screenshot(path=str(ARTIFACTS / "report-hostile.png"), full_page=False)
    page.close()


def test_csp_blocks_a_script_even_if_one_got_in(chromium, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Defence in depth: splice a script into the rendered file; the policy must stop it."""
    from reports.html import render_html

    html = render_html(passing_run()).replace("<main>", "<main><script>window.__pwned=1</script>"
                                                 "<img src='https://evil.example/x.png'>", 1)
    path = tmp_path / "tampered.html"
    path.write_text(html, encoding="utf-8")
    watch = open_page(chromium, path.as_uri())
    assert watch.page.evaluate("() => window.__pwned === undefined")
    assert any("Content Security Policy" in m for m in watch.console), watch.console
    # Chromium refused the image itself, by policy, before any network stack saw it.
    assert watch.failed.get("https://evil.example/x.png") == "csp", watch.failed
    watch.page.close()


@pytest.mark.parametrize("name,make", [("passing", passing_run), ("failing", failing_run), ("simulation", simulation_run)])
def test_screenshots_and_filters(chromium, tmp_path: Path, name: str, make) -> None:  # type: ignore[no-untyped-def]
    run = make()
    path = write_html(run, tmp_path / f"{name}.html")
    watch = open_page(chromium, path.as_uri())
    page = watch.page
    assert page.evaluate("() => document.documentElement.dataset.ready") == "1"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"report-{name}.png"), full_page=False)
    page.screenshot(path=str(ARTIFACTS / f"report-{name}-full.png"), full_page=True)
    banner = page.inner_text(".verdicts")
    if name == "passing":
        assert "Entra ID: ready" in banner and "JumpCloud: ready" in banner
    elif name == "failing":
        assert "Entra ID: 2 blockers" in banner
    else:
        assert "Entra ID simulation" in banner and "2 blockers" in banner
        assert page.locator("svg.timeline rect.s-create").count() >= 1
        # The log search narrows the table to the matching rows.
        page.fill("#logsearch", "#7")  # cycle-6 is the 7th cycle on the timeline
        shown = page.locator("#logtable tbody tr:not([hidden])").count()
        assert 0 < shown < page.locator("#logtable tbody tr").count()
    # Filters: unticking "pass" hides every passing check.
    passing = page.locator("details.check[data-outcome=pass]").count()
    if passing:
        page.uncheck("input[name=outcome][value=pass]")
        assert page.locator("details.check[data-outcome=pass]:not([hidden])").count() == 0
        page.check("input[name=outcome][value=pass]")
    _only_the_file(watch, path.as_uri())
    assert watch.errors == []
    page.close()


@pytest.mark.slow
@pytest.mark.parametrize("name,quirks", [("real-passing", ()),
                                         ("real-failing", ("not-found-on-empty-filter", "reject-capitalized-ops"))])
def test_real_suite_reports_in_the_browser(chromium, tmp_path: Path, name: str, quirks) -> None:  # type: ignore[no-untyped-def]
    """The whole suite against the reference server (with Entra-breaking quirks for the failing one)."""
    from tests.reports.fixtures import real_run

    run = real_run(quirks)
    path = write_html(run, tmp_path / f"{name}.html")
    watch = open_page(chromium, path.as_uri())
    page = watch.page
    assert page.evaluate("() => document.documentElement.dataset.ready") == "1"
    banner = page.inner_text(".verdicts")
    if quirks:
        assert "Entra ID: " in banner and "blocker" in banner
        first_failure = page.locator("details.check[data-outcome=fail]").first
        first_failure.scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / f"report-{name}-finding.png"))
    else:
        assert "Entra ID: ready" in banner and "JumpCloud: ready" in banner
    page.evaluate("() => window.scrollTo(0, 0)")
    page.screenshot(path=str(ARTIFACTS / f"report-{name}.png"))
    _only_the_file(watch, path.as_uri())
    assert watch.errors == [] and not [m for m in watch.console if "Content Security Policy" in m]
    page.close()
