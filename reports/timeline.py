"""Geometry of the simulation timeline: one stacked bar per provisioning cycle.

The template draws the SVG from these numbers; no text from the results becomes markup
(cycle ids and kinds go into ``<title>`` elements, escaped). Bar height grows with the
square root of the number of changes, so a 500-user initial cycle and a 3-change incremental
cycle are both visible; the exact counts are in each bar's tooltip and in the table.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Timeline", "Bar", "Segment", "build_timeline", "SERIES"]

#: (count key, label, CSS class), bottom to top.
SERIES: tuple[tuple[str, str, str], ...] = (
    ("create", "creates", "s-create"),
    ("update", "updates", "s-update"),
    ("disable", "deactivations", "s-disable"),
    ("delete", "deletes", "s-delete"),
    ("failure", "failures", "s-failure"),
)

WIDTH = 960.0
PLOT_TOP = 24.0
PLOT_HEIGHT = 150.0
HEIGHT = PLOT_TOP + PLOT_HEIGHT + 40.0


@dataclass
class Segment:
    css: str
    y: float
    height: float


@dataclass
class Bar:
    index: int
    x: float
    width: float
    cycle_id: str
    kind: str
    started_at: str
    counts: dict[str, int]
    total: int
    escrowed: int
    quarantined: bool
    segments: list[Segment] = field(default_factory=list)

    @property
    def tooltip(self) -> str:
        parts = [f"{self.counts.get(key, 0)} {label}" for key, label, _ in SERIES]
        extra = []
        if self.escrowed:
            extra.append(f"{self.escrowed} escrowed")
        if self.quarantined:
            extra.append("job in quarantine")
        return f"cycle {self.index + 1} ({self.kind}) {self.started_at}: " + ", ".join(parts + extra)


@dataclass
class Timeline:
    width: float
    height: float
    plot_top: float
    plot_bottom: float
    bars: list[Bar]
    max_total: int
    ticks: list[tuple[float, str]]  # (x, label) under the axis
    totals: dict[str, int]


def _count(counts: Any, key: str) -> int:
    value = counts.get(key, 0) if isinstance(counts, dict) else 0
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def build_timeline(cycles: list[dict[str, Any]]) -> Timeline:
    """Lay out ``cycles`` (simulation.cycles) across a fixed-width chart."""
    n = len(cycles)
    slot = WIDTH / max(n, 1)
    bar_width = max(1.0, min(40.0, slot * 0.7))
    bottom = PLOT_TOP + PLOT_HEIGHT
    bars: list[Bar] = []
    for i, cycle in enumerate(cycles):
        raw = cycle.get("counts")
        counts = {key: _count(raw, key) for key, _, _ in SERIES}
        escrowed = cycle.get("escrowed")
        bars.append(
            Bar(
                index=i,
                x=i * slot + (slot - bar_width) / 2,
                width=bar_width,
                cycle_id=str(cycle.get("cycleId", ""))[:80],
                kind=str(cycle.get("kind", ""))[:40],
                started_at=str(cycle.get("started_at", ""))[:40],
                counts=counts,
                total=sum(counts.values()),
                escrowed=escrowed if isinstance(escrowed, int) and escrowed > 0 else 0,
                quarantined=bool(cycle.get("quarantined")) or cycle.get("kind") == "quarantine",
            )
        )
    max_total = max((b.total for b in bars), default=0)
    scale = PLOT_HEIGHT / math.sqrt(max_total) if max_total else 0.0
    for bar in bars:
        height = math.sqrt(bar.total) * scale
        y = bottom
        for key, _, css in SERIES:
            if bar.counts[key] and bar.total:
                h = max(1.0, height * bar.counts[key] / bar.total)
                y -= h
                bar.segments.append(Segment(css, round(y, 2), round(h, 2)))
    ticks: list[tuple[float, str]] = []
    if bars:
        step = max(1, math.ceil(n / 8))
        for bar in bars[::step]:
            ticks.append((round(bar.x + bar.width / 2, 2), f"{bar.index + 1}"))
    totals = {key: sum(b.counts[key] for b in bars) for key, _, _ in SERIES}
    return Timeline(WIDTH, HEIGHT, PLOT_TOP, bottom, bars, max_total, ticks, totals)
