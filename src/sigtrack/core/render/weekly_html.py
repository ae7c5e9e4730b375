"""The weekly report as one self-contained HTML page: inline CSS and SVG charts, no scripts,
no fonts or images from anywhere, so it opens the same with no internet."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from sigtrack.core.breakdowns import GroupSummary
from sigtrack.core.render.weekly import render_weekly_text
from sigtrack.core.report import WeeklyReport
from sigtrack.core.texts import Lang, format_pct

W, H, PAD = 640, 260, 44
COLOURS = {"WIN": "#2e7d32", "LOSS": "#c62828", "EXPIRED": "#9e9e9e", "BREAKEVEN": "#f9a825",
           "OPEN": "#1565c0"}  # fmt: skip
STYLE = """
body{font-family:system-ui,sans-serif;max-width:760px;margin:2rem auto;color:#222;padding:0 1rem}
h1{font-size:1.4rem} h2{font-size:1.1rem;margin-top:2rem}
figure{margin:1rem 0} figcaption{font-size:.9rem;color:#555}
svg.chart{background:#fafafa;border:1px solid #ddd}
pre{white-space:pre-wrap;background:#f6f6f6;padding:1rem;border-radius:6px}
table{border-collapse:collapse} td,th{padding:.2rem .6rem;border-bottom:1px solid #eee}
"""
TITLES = {
    Lang.ID: ("Kurva ekuitas (PnL kumulatif %)", "Winrate per koin dengan interval 95%",
              "Kalibrasi confidence: winrate per pita confidence", "Komposisi hasil"),
    Lang.EN: ("Equity curve (cumulative PnL %)", "Winrate by coin with 95% interval",
              "Confidence calibration: winrate by confidence band", "Result mix"),
}  # fmt: skip
NO_DATA = {Lang.ID: "belum ada data", Lang.EN: "no data yet"}


def render_weekly_html(report: WeeklyReport, lang: Lang = Lang.ID) -> str:
    titles, empty = TITLES[lang], NO_DATA[lang]
    figures = [
        _figure("equity", titles[0], _equity(report, empty)),
        _figure("winrate-by-coin", titles[1], _interval_bars(report.by_symbol.rows, empty)),
        _figure("calibration", titles[2], _calibration(report.by_confidence.rows, empty)),
        _figure("result-mix", titles[3], _result_mix(report, empty)),
    ]
    heading = render_weekly_text(report, lang).splitlines()[0]
    return (
        f'<!doctype html>\n<html lang="{lang.value}"><head><meta charset="utf-8">'
        f"<title>{escape(heading)}</title><style>{STYLE}</style></head><body>"
        f"<h1>{escape(heading)}</h1>{''.join(figures)}"
        f"<pre>{escape(render_weekly_text(report, lang))}</pre></body></html>\n"
    )


def _figure(name: str, title: str, svg: str) -> str:
    return f'<figure data-chart="{name}">{svg}<figcaption>{escape(title)}</figcaption></figure>'


def _svg(body: str, label: str) -> str:
    return (
        f'<svg class="chart" role="img" aria-label="{escape(label)}" width="{W}" height="{H}" '
        f'viewBox="0 0 {W} {H}" xmlns="http://www.w3.org/2000/svg">{body}</svg>'
    )


def _no_data(text: str) -> str:
    return _svg(f'<text x="{W / 2}" y="{H / 2}" text-anchor="middle" fill="#777">'
                f"{escape(text)}</text>", text)  # fmt: skip


def _scale(value: float, low: float, high: float, start: float, end: float) -> float:
    return start if high == low else start + (value - low) / (high - low) * (end - start)


def _axis(y_low: float, y_high: float, unit: str) -> str:
    ticks = []
    for i in range(5):
        value = y_low + (y_high - y_low) * i / 4
        y = _scale(value, y_low, y_high, H - PAD, PAD)
        ticks.append(
            f'<line x1="{PAD}" x2="{W - 10}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e0e0e0"/>'
            f'<text x="{PAD - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11">'
            f"{value:.1f}{unit}</text>"
        )
    return "".join(ticks)


def _equity(report: WeeklyReport, empty: str) -> str:
    points = report.equity
    if not points:
        return _no_data(empty)
    values = [0.0] + [pnl for _, pnl in points]
    low, high = min(values), max(values)
    low, high = (low - 1, high + 1) if low == high else (low, high)
    xs = [_scale(i, 0, len(values) - 1, PAD, W - 10) for i in range(len(values))]
    ys = [_scale(v, low, high, H - PAD, PAD) for v in values]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys, strict=True))
    zero = _scale(0, low, high, H - PAD, PAD)
    body = (
        _axis(low, high, "%")
        + f'<line x1="{PAD}" x2="{W - 10}" y1="{zero:.1f}" y2="{zero:.1f}" stroke="#999"/>'
        + f'<polyline class="series" fill="none" stroke="#1565c0" stroke-width="2" '
        f'points="{path}"/>'
    )
    return _svg(body, "equity")


def _interval_bars(rows: Sequence[GroupSummary], empty: str) -> str:
    rows = [row for row in rows if row.interval is not None][:12]
    if not rows:
        return _no_data(empty)
    band = (H - 2 * 20) / len(rows)
    parts = [_x_axis_pct()]
    for i, row in enumerate(rows):
        low, high = row.interval  # type: ignore[misc]
        y = 20 + band * (i + 0.5)
        x_low, x_high = _x_pct(low), _x_pct(high)
        x_rate = _x_pct(row.winrate or 0.0)
        colour = "#bbb" if row.is_too_few else "#2e7d32"
        parts.append(
            f'<text x="{PAD + 66}" y="{y + 4:.1f}" text-anchor="end" font-size="11">'
            f"{escape(row.key)}</text>"
            f'<line class="interval" x1="{x_low:.1f}" x2="{x_high:.1f}" y1="{y:.1f}" '
            f'y2="{y:.1f}" stroke="{colour}" stroke-width="4"/>'
            f'<circle class="series" cx="{x_rate:.1f}" cy="{y:.1f}" r="5" fill="{colour}">'
            f"<title>{escape(row.key)}: {format_pct((row.winrate or 0) * 100)} "
            f"({row.wins}/{row.decided})</title></circle>"
        )
    return _svg("".join(parts), "winrate by coin")


def _x_pct(fraction: float) -> float:
    return _scale(fraction, 0, 1, PAD + 76, W - 20)


def _x_axis_pct() -> str:
    marks = []
    for pct in (0, 25, 50, 75, 100):
        x = _x_pct(pct / 100)
        marks.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="14" y2="{H - 14}" stroke="#e0e0e0"/>'
            f'<text x="{x:.1f}" y="{H - 2}" text-anchor="middle" font-size="11">{pct}%</text>'
        )
    return "".join(marks)


def _calibration(rows: Sequence[GroupSummary], empty: str) -> str:
    known = [row for row in rows if row.interval is not None and row.key[:1].isdigit()]
    if not known:
        return _no_data(empty)
    parts = [_axis(0, 100, "%")]
    x0, x1 = _scale(0, 0, 100, PAD, W - 10), _scale(100, 0, 100, PAD, W - 10)
    parts.append(f'<line x1="{x0}" y1="{H - PAD}" x2="{x1}" y2="{PAD}" stroke="#bbb" '
                 'stroke-dasharray="4 4"/>')  # fmt: skip
    for row in known:
        middle = int(row.key[:2]) + 2.5
        x = _scale(middle, 0, 100, PAD, W - 10)
        low, high = row.interval  # type: ignore[misc]
        y_low, y_high = (_scale(v * 100, 0, 100, H - PAD, PAD) for v in (low, high))
        y = _scale((row.winrate or 0) * 100, 0, 100, H - PAD, PAD)
        parts.append(
            f'<line class="interval" x1="{x:.1f}" x2="{x:.1f}" y1="{y_low:.1f}" '
            f'y2="{y_high:.1f}" stroke="#6a1b9a" stroke-width="3"/>'
            f'<circle class="series" cx="{x:.1f}" cy="{y:.1f}" r="5" fill="#6a1b9a">'
            f"<title>{escape(row.key)}: {row.wins}/{row.decided}</title></circle>"
        )
    return _svg("".join(parts), "calibration")


def _result_mix(report: WeeklyReport, empty: str) -> str:
    p = report.performance
    counts = {"WIN": p.wins, "LOSS": p.losses, "EXPIRED": p.expired,
              "BREAKEVEN": p.breakeven, "OPEN": p.open}  # fmt: skip
    total = sum(counts.values())
    if not total:
        return _no_data(empty)
    x, parts = float(PAD), []
    for name, n in counts.items():
        width = (W - PAD - 10) * n / total
        if n:
            parts.append(
                f'<rect class="series" x="{x:.1f}" y="{H / 2 - 30}" width="{width:.1f}" '
                f'height="60" fill="{COLOURS[name]}"><title>{name}: {n}</title></rect>'
                f'<text x="{x + width / 2:.1f}" y="{H / 2 + 50}" text-anchor="middle" '
                f'font-size="11">{name} {n}</text>'
            )
        x += width
    return _svg("".join(parts), "result mix")
