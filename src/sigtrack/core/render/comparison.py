"""Comparisons (A vs B, week vs week, strategy vs strategy): text (id / en) and JSON."""

from __future__ import annotations

from sigtrack.core.comparison import Comparison, ComparisonOf, Side, Verdict
from sigtrack.core.filters import SignalFilter
from sigtrack.core.performance import Performance
from sigtrack.core.render.values import Json, counts_json, pct, rate_text
from sigtrack.core.texts import NO_VALUE, Lang, format_pct, text


def verdict_text(c: ComparisonOf[Side], lang: Lang, *, a: str = "A", b: str = "B") -> str:
    """The plain verdict, naming the better side by `a` / `b`; "not enough data" says how
    many more signals per side."""
    if c.verdict is Verdict.NOT_ENOUGH and c.more_per_side:
        return text("verdict.more", lang, n=c.more_per_side)
    return text(f"verdict.{c.verdict.value}", lang, a=a, b=b)


def render_comparison(result: Comparison, a: SignalFilter, b: SignalFilter, lang: Lang) -> str:
    lines = [text("compare.title", lang)]
    for name, chosen, p in (("A", a, result.a), ("B", b, result.b)):
        low, high = (format_pct(x * 100) for x in p.interval) if p.interval else (NO_VALUE,) * 2
        lines.append(
            text("compare.side", lang, side=name, filter=chosen.describe(), wins=p.wins,
                 losses=p.losses, rate=rate_text(p.winrate), low=low, high=high,
                 pnl=format_pct(p.avg_pnl_pct, signed=True, digits=2),
                 r=NO_VALUE if p.expectancy_r is None else f"{p.expectancy_r:+.2f} R")
        )  # fmt: skip
    ci = result.pnl_diff_interval
    lines.append(
        text("compare.tests", lang, diff=format_pct(pct(result.winrate_diff), signed=True),
             p=NO_VALUE if result.fisher_p is None else f"{result.fisher_p:.3g}",
             pnl=format_pct(result.pnl_diff, signed=True, digits=2),
             pnl_ci=f"{ci[0]:+.2f} … {ci[1]:+.2f}" if ci else NO_VALUE)
    )  # fmt: skip
    lines.append(text("compare.verdict", lang, verdict=verdict_text(result, lang)))
    return "\n".join(lines)


def performance_json(p: Performance) -> Json:
    return {
        **counts_json(p),
        "median_pnl_pct": p.median_pnl_pct,
        "total_pnl_pct": p.total_pnl_pct,
        "expectancy_r": p.expectancy_r,
        "profit_factor": p.profit_factor,
        "breakeven_winrate_pct": pct(p.breakeven_winrate),
        "max_drawdown_pct": p.max_drawdown_pct,
        "longest_losing_streak": p.longest_losing_streak,
        "target_hit_rates_pct": [pct(rate) for rate in p.target_hit_rates],
        "median_minutes_to_tp1": p.median_minutes_to_tp1,
        "median_minutes_to_sl": p.median_minutes_to_sl,
        "mean_mfe_pct": p.mean_mfe_pct,
        "mean_mae_pct": p.mean_mae_pct,
        "ambiguous": p.ambiguous,
    }


def comparison_json(c: Comparison, a: SignalFilter, b: SignalFilter) -> Json:
    return {
        "a": {"filter": a.describe(), **performance_json(c.a)},
        "b": {"filter": b.describe(), **performance_json(c.b)},
        "winrate_diff_pct": pct(c.winrate_diff),
        "fisher_p": c.fisher_p,
        "pnl_diff_pct": c.pnl_diff,
        "pnl_diff_interval": list(c.pnl_diff_interval) if c.pnl_diff_interval else None,
        "r_diff": c.r_diff,
        "r_diff_interval": list(c.r_diff_interval) if c.r_diff_interval else None,
        "verdict": c.verdict_text,
        "more_signals_per_side": c.more_per_side,
    }


def comparison_numbers(c: ComparisonOf[Side]) -> Json:
    return {
        "winrate_diff_pct": pct(c.winrate_diff),
        "fisher_p": c.fisher_p,
        "pnl_diff_pct": c.pnl_diff,
        "pnl_diff_interval": list(c.pnl_diff_interval) if c.pnl_diff_interval else None,
        "verdict": c.verdict_text,
    }
