"""Advice: each recommendation in words (id / en), the confidence sweep, the JSON view."""

from __future__ import annotations

from sigtrack.core.advice import Advice, AdviceItem, Metric
from sigtrack.core.render.tables import TextTable
from sigtrack.core.render.values import Json, pct, rate_text
from sigtrack.core.texts import NO_VALUE, Lang, format_pct, text

_SIGNED = ("expectancy", "baseline_expectancy", "interval_low", "interval_high",
           "recorded_expectancy")  # fmt: skip


def render_advice_item(item: AdviceItem, lang: Lang = Lang.ID) -> str:
    """One recommendation in words, with its numbers."""
    values = dict(item.evidence)
    unit = " R" if values.get("metric") == Metric.R.value else "%"
    values["unit_label"] = " R" if values.get("unit") == "r" else "%"
    for name in _SIGNED:
        if name in values:
            number = values[name]
            values[name] = NO_VALUE if number is None else f"{float(number):+.2f}{unit}"
    if "winrate_pct" in values:
        rate = values["winrate_pct"]
        values["winrate"] = format_pct(None if rate is None else float(rate))
    return text(item.message, lang, subject=item.subject, **values)


def render_advice(advice: Advice, lang: Lang) -> str:
    """The recommendations as a bulleted list under a heading ("none" when there are none)."""
    lines = [text("advice.title", lang)]
    lines += [f"• {render_advice_item(item, lang)}" for item in advice.items]
    if not advice.items:
        lines.append(text("advice.none", lang))
    return "\n".join(lines)


def sweep_table(advice: Advice) -> TextTable | None:
    """The confidence-threshold sweep (n, winrate, expectancy for confidence ≥ t)."""
    if not advice.sweep:
        return None
    unit = "R" if advice.metric is Metric.R else "PnL %"
    rows = tuple(
        (str(row.threshold), str(row.n), str(row.wins), str(row.losses), rate_text(row.winrate),
         NO_VALUE if row.expectancy is None else f"{row.expectancy:+.3f}")
        for row in advice.sweep
    )  # fmt: skip
    return TextTable(title=f"confidence ≥ t ({unit})",
                     columns=("t", "n", "W", "L", "winrate", "expectancy"), rows=rows)  # fmt: skip


def advice_json(advice: Advice, lang: Lang) -> Json:
    return {
        "metric": advice.metric.value,
        "n": advice.n,
        "min_n": advice.min_n,
        "items": [
            {
                "kind": item.kind.value,
                "subject": item.subject,
                "evidence": dict(item.evidence),
                "recommendation": render_advice_item(item, lang),
            }
            for item in advice.items
        ],
        "confidence_sweep": [
            {
                "threshold": row.threshold,
                "n": row.n,
                "wins": row.wins,
                "losses": row.losses,
                "winrate_pct": pct(row.winrate),
                "expectancy": row.expectancy,
            }
            for row in advice.sweep
        ],
    }
