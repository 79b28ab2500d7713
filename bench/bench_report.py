"""Report size and render time for a full-suite run, in Python and in headless Chromium.

Goals (issue 7): the HTML of a full-suite run stays under 2 MB and opens in under a second.

The run measured is the real suite against the reference server when the runner and the
server are installed (``harness.runner.run_suite``), else a synthetic run of the same shape
(tests/reports/fixtures.py ``large_run``: 220 checks, 5 exchanges each, list pages included).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from harness.results import RunResult
from reports.html import MAX_REPORT_BYTES, render_html, write_html


def full_suite_run() -> tuple[RunResult, str]:
    try:
        from reports.demo import conformance_run_for_bench  # the real suite, when it is there
    except ImportError:
        conformance_run_for_bench = None
    if conformance_run_for_bench is not None:
        run = conformance_run_for_bench()
        if run is not None:
            return run, "real suite against the reference server"
    from tests.reports.fixtures import large_run

    return large_run(), "synthetic full-suite-shaped run (220 checks x 5 exchanges)"


def browser_load_ms(path: Path, repeats: int = 3) -> list[float] | str:
    """Navigation start to our script's ready mark, per load; or why it could not run."""
    try:
        from tests.browser.chromium import browser, unavailable
    except ImportError as exc:
        return f"not measured: {exc}"
    reason = unavailable()
    if reason:
        return f"not measured: {reason}"
    times = []
    with browser() as context:
        for _ in range(repeats):
            page = context.new_page()
            page.goto(path.as_uri(), wait_until="load")
            page.wait_for_function("() => document.documentElement.dataset.ready === '1'")
            times.append(page.evaluate(
                "() => { const n = performance.getEntriesByType('navigation')[0]; return n.loadEventEnd || performance.now(); }"))
            page.close()
    return times


def main() -> None:
    run, what = full_suite_run()
    print(f"run: {what}; {len(run.results)} checks, {len(run.exchanges)} exchanges")
    timings = []
    html = ""
    for _ in range(3):
        started = time.perf_counter()
        html = render_html(run)
        timings.append((time.perf_counter() - started) * 1000)
    size = len(html.encode("utf-8"))
    print(f"render (python): median {statistics.median(timings):.0f} ms over 3")
    print(f"size: {size:,} bytes ({size / 1e6:.2f} MB; bound {MAX_REPORT_BYTES / 1e6:.1f} MB) "
          f"{'OK' if size <= MAX_REPORT_BYTES else 'OVER'}")
    print(f"shortened to fit: {'yes' if 'evidence is shortened' in html else 'no'}")
    with tempfile.TemporaryDirectory() as tmp:
        path = write_html(run, Path(tmp) / "report.html")
        loads = browser_load_ms(path)
        if isinstance(loads, str):
            print(f"browser load: {loads}")
        else:
            print(f"browser load (chromium, to load event): median {statistics.median(loads):.0f} ms, "
                  f"max {max(loads):.0f} ms over {len(loads)} {'OK' if max(loads) < 1000 else 'OVER 1 s'}")


if __name__ == "__main__":
    main()
