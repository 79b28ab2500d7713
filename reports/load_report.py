"""The self-contained HTML report of a load run (results.json of kind ``load``).

One file, no script: throughput and p50/p95/p99 over time as inline SVG, a table per request
shape, a table per tenant (initial-cycle duration against the IdP's documented range, failed
and escrowed changes, quarantine predicted by the profile's own rules), the thresholds and a
one-line verdict. Every value is escaped (jinja2 autoescape); the only style is allowed by hash.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import Any

from jinja2 import Environment

__all__ = ["render_load_html", "write_load_html", "polyline"]

MAX_TENANT_ROWS = 2000
W, H, PAD = 760, 200, 40

STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:1100px;color:#1b1f24;padding:0 1rem}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem}
.verdict{padding:.8rem 1rem;border-radius:6px;font-weight:600}
.ok{background:#e6f4ea;border:1px solid #7cc08a}.bad{background:#fdecea;border:1px solid #e08a80}
.err{background:#fff4e5;border:1px solid #e0b060}
table{border-collapse:collapse;width:100%;font-size:13px}th,td{border-bottom:1px solid #ddd;padding:3px 6px;text-align:right}
th:first-child,td:first-child,td.l{text-align:left}tr.risk td{background:#fdecea}
svg{background:#fafbfc;border:1px solid #ddd}.muted{color:#666}
"""

TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src '{{ style_hash }}'">
<title>scim-harness load: {{ data.target }}</title><style>{{ style }}</style></head><body>
<h1>Load at IdP scale — {{ data.target }}</h1>
<p class="verdict {{ cls }}">{{ data.message }}</p>
<p class="muted">{{ data.started_at }} – {{ data.finished_at }} · {{ '%.0f' % (data.duration_ms / 1000) }} s ·
stopped by {{ load.stopped_by }} · pace {{ data.options.pace }} · {{ data.options.tenants }} tenant(s) ·
workers: {{ load.workers | join(', ') }} · exit {{ data.exit_code }}</p>
<h2>Thresholds</h2>
<table><tr><th>--fail-on</th><th>seen</th><th>result</th></tr>
{% for t in load.thresholds %}<tr{% if t.broken %} class="risk"{% endif %}><td>{{ t.term }}</td>
<td>{{ '%.4g' % t.seen }}</td><td>{{ 'broken' if t.broken else 'held' }}</td></tr>{% endfor %}</table>
<h2>Throughput over time</h2>{{ rps_svg }}
<h2>Response time over time (p50, p95, p99)</h2>{{ rt_svg }}
<h2>Request shapes</h2>
<table><tr><th>shape</th><th>requests</th><th>failures</th><th>avg ms</th><th>p50</th><th>p95</th><th>p99</th>
<th>max</th><th>req/s</th></tr>
{% for s in load.shapes %}<tr><td>{{ s.name }}</td><td>{{ s.requests }}</td><td>{{ s.failures }}</td><td>{{ s.avg_ms }}</td>
<td>{{ s.p50_ms }}</td><td>{{ s.p95_ms }}</td><td>{{ s.p99_ms }}</td><td>{{ s.max_ms }}</td><td>{{ s.rps }}</td></tr>{% endfor %}
{% if load.total %}<tr><th>total</th><th>{{ load.total.requests }}</th><th>{{ load.total.failures }}</th>
<th>{{ load.total.avg_ms }}</th><th>{{ load.total.p50_ms }}</th><th>{{ load.total.p95_ms }}</th>
<th>{{ load.total.p99_ms }}</th><th>{{ load.total.max_ms }}</th><th>{{ load.total.rps }}</th></tr>{% endif %}</table>
{% if load.errors %}<h2>Errors</h2><table><tr><th>shape</th><th>error</th><th>count</th></tr>
{% for e in load.errors[:200] %}<tr><td>{{ e.method }} {{ e.name }}</td><td class="l">{{ e.error[:300] }}</td>
<td>{{ e.occurrences }}</td></tr>{% endfor %}</table>{% endif %}
<h2>Tenants</h2>
<p class="muted">Initial cycle: the IdP time it took against the profile's documented pace for this many objects
(users + groups + members; Entra: 0.01–0.08 minutes per object). Quarantine: by the profile's own rules (E5).</p>
<table><tr><th>tenant</th><th>IdP</th><th>worker</th><th>requests</th><th>errors</th><th>429</th><th>objects</th>
<th>initial cycle</th><th>documented</th><th>cycles</th><th>failed</th><th>escrowed</th><th>quarantine</th></tr>
{% for t in tenants %}<tr{% if t.at_risk %} class="risk"{% endif %}><td>{{ t.prefix }}{% if not t.initial %} (synced){% endif %}</td>
<td>{{ t.idp }}</td><td>{{ t.worker[-12:] }}</td><td>{{ t.requests }}</td><td>{{ t.errors }}</td><td>{{ t.throttled }}</td>
<td>{{ t.objects }}</td><td>{{ minutes(t.initial_seconds) }}</td><td>{{ range_of(t.documented_seconds) }}</td>
<td>{{ t.cycles }}</td><td>{{ t.failed }}</td><td>{{ t.escrowed }}</td>
<td class="l">{{ t.quarantined or t.predicted or t.error or 'none predicted' }}</td></tr>{% endfor %}</table>
{% if more_tenants %}<p class="muted">{{ more_tenants }} more tenant(s) in results.json.</p>{% endif %}
{% if load.memory and load.memory.processes %}<p class="muted">Resident memory of the Locust processes that ran
tenants: {% for node, m in load.memory.processes.items() %}{{ node[-12:] }} {{ '%.0f' % (m.rss_max / 1e6) }} MB at peak
({{ '%.0f' % (m.rss_start / 1e6) }} MB at start, up to {{ m.tenants_max }} tenant(s)){% if not loop.last %}; {% endif %}{% endfor %}
{% if load.memory.per_tenant_bytes %}· about {{ '%.1f' % (load.memory.per_tenant_bytes / 1e6) }} MB per tenant{% endif %}.</p>{% endif %}
{% if load.cleanup %}<p class="muted">Cleanup: {{ load.cleanup.deleted }} object(s) removed,
{{ load.cleanup.failed }} failed (prefix {{ load.cleanup.prefix }}).</p>{% endif %}
</body></html>
"""


def polyline(points: list[tuple[float, float]], x_max: float, y_max: float) -> str:
    """SVG polyline coordinates for (x, y) points scaled into the plot area."""
    x_max, y_max = x_max or 1, y_max or 1
    return " ".join(f"{PAD + x / x_max * (W - 2 * PAD):.1f},{H - PAD + 10 - y / y_max * (H - PAD - 10):.1f}"
                    for x, y in points)


def _chart(timeline: list[dict[str, Any]], series: list[tuple[str, str]], unit: str) -> str:
    if not timeline:
        return '<p class="muted">No samples (the run was shorter than one sampling interval).</p>'
    x_max = max(float(p["t"]) for p in timeline)
    # a window without statistics (a worker had not reported yet) has no percentiles: no point
    y_max = max([float(p[key]) for p in timeline for key, _ in series if p.get(key) is not None] + [1.0])
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" role="img">',
             f'<line x1="{PAD}" y1="{H - PAD + 10}" x2="{W - PAD}" y2="{H - PAD + 10}" stroke="#999"/>',
             f'<line x1="{PAD}" y1="10" x2="{PAD}" y2="{H - PAD + 10}" stroke="#999"/>',
             f'<text x="2" y="14" font-size="11">{y_max:.0f} {unit}</text>',
             f'<text x="{W - PAD - 30}" y="{H - 8}" font-size="11">{x_max:.0f} s</text>']
    for n, (key, colour) in enumerate(series):
        pts = polyline([(float(p["t"]), float(p[key])) for p in timeline if p.get(key) is not None], x_max, y_max)
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="1.6" points="{pts}"/>')
        parts.append(f'<text x="{PAD + 10 + n * 70}" y="{H - 8}" font-size="11" fill="{colour}">{key}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _minutes(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds / 60:.1f} min"


def _range(pair: list[float] | None) -> str:
    return "—" if not pair else f"{pair[0] / 60:.1f}–{pair[1] / 60:.1f} min"


def render_load_html(data: dict[str, Any]) -> str:
    from markupsafe import Markup

    load = data.get("load") or {}
    code = data.get("exit_code", 2)
    timeline = load.get("timeline") or []
    style_hash = "sha256-" + base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
    tenants = (load.get("tenants") or [])[:MAX_TENANT_ROWS]
    env = Environment(autoescape=True)
    return env.from_string(TEMPLATE).render(
        data=data, load=load, style=Markup(STYLE), style_hash=style_hash,
        cls={0: "ok", 1: "bad"}.get(code, "err"), tenants=tenants,
        more_tenants=max(0, len(load.get("tenants") or []) - MAX_TENANT_ROWS),
        rps_svg=Markup(_chart(timeline, [("rps", "#1f6feb"), ("fail_rps", "#d1242f")], "req/s")),
        rt_svg=Markup(_chart(timeline, [("p50", "#2da44e"), ("p95", "#bf8700"), ("p99", "#d1242f")], "ms")),
        minutes=_minutes, range_of=_range)


def write_load_html(data: dict[str, Any], path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_load_html(data), encoding="utf-8")
    return path
