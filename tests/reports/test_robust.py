"""Any results.json that loads renders: every field replaced by values of the wrong type."""

from __future__ import annotations

import json
import random
from typing import Any

from harness.results import RunResult
from reports.html import render_html
from tests.reports.fixtures import failing_run, simulation_run

WRONG = [None, 1, -5, 2.5, True, "x", "<i id=zz>x</i>", [], [1, "a", None], {}, {"a": [1]}]


def _paths(value: Any, prefix: list[Any]) -> list[list[Any]]:
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            found.append(prefix + [key])
            found += _paths(item, prefix + [key])
    elif isinstance(value, list):
        for index, item in enumerate(value[:2]):
            found.append(prefix + [index])
            found += _paths(item, prefix + [index])
    return found


def test_wrongly_typed_fields_never_crash_the_renderer() -> None:
    rng = random.Random(7)
    rendered = 0
    for base in (failing_run().to_dict(), simulation_run(cycles=3).to_dict()):
        paths = _paths(base, [])
        for path in rng.sample(paths, min(len(paths), 120)):
            for wrong in rng.sample(WRONG, 3):
                data = json.loads(json.dumps(base))
                holder = data
                for key in path[:-1]:
                    holder = holder[key]
                holder[path[-1]] = wrong
                try:
                    run = RunResult.from_dict(data)
                except (KeyError, TypeError, ValueError, AttributeError, IndexError):
                    continue  # the loader refuses it: `report` says so with exit 2
                html = render_html(run)
                assert html.startswith("<!DOCTYPE html>")
                assert "<i id=zz>x</i>" not in html
                rendered += 1
    assert rendered > 200
