"""The /winrate message: the old Indonesian labels, an English variant, "—" for no data."""

from __future__ import annotations

from datetime import UTC, datetime
from string import Formatter
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from factories import summarize
from sigtrack.core.errors import InvalidInput
from sigtrack.core.render.winrate import render_winrate
from sigtrack.core.texts import (
    GENERAL_TEXTS,
    NO_VALUE,
    TEXTS,
    Lang,
    format_pct,
    parse_lang,
)
from sigtrack.core.texts_bot import BOT_TEXTS
from sigtrack.core.texts_dashboard import DASHBOARD_TEXTS

JAKARTA = ZoneInfo("Asia/Jakarta")
NOW = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)  # 17:00 WIB


OLD_EXAMPLE = summarize(win=32, loss=13, pnl_sum=81.0, pnl_count=45, open_=3)


def test_indonesian_is_the_default_and_keeps_the_old_labels_and_values() -> None:
    lines = render_winrate(OLD_EXAMPLE, JAKARTA).splitlines()
    assert lines[0] == "📊 WINRATE SIGNAL (7 HARI)"
    for expected in [
        "📈 STATISTIK:",
        "• Total Signal: 45",
        "• Win: 32 ✅",
        "• Loss: 13 ❌",
        "• Winrate: 71.1% 🎯",
        "• Avg PnL: +1.8%",
    ]:
        assert expected in lines
    order = [lines.index(x) for x in ("📈 STATISTIK:", "• Total Signal: 45", "• Avg PnL: +1.8%")]
    assert order == sorted(order)


def test_the_interval_open_count_and_period_are_shown_in_the_local_zone() -> None:
    message = render_winrate(OLD_EXAMPLE, JAKARTA, Lang.ID)
    assert "• Interval 95%: 56.6% – 82.3%" in message
    assert "⏳ Masih aktif (belum dihitung): 3" in message
    assert "🗓 2025-12-30 – 2026-01-05 17:00 (Asia/Jakarta)" in message


def test_english_uses_its_own_labels_with_the_same_values() -> None:
    message = render_winrate(OLD_EXAMPLE, JAKARTA, Lang.EN)
    for expected in [
        "📊 SIGNAL WINRATE (7 DAYS)",
        "📈 STATISTICS:",
        "• Total Signals: 45",
        "• Win: 32 ✅",
        "• Loss: 13 ❌",
        "• Winrate: 71.1% 🎯",
        "• 95% interval: 56.6% – 82.3%",
        "• Avg PnL: +1.8%",
        "⏳ Still open (not counted): 3",
    ]:
        assert expected in message
    assert "HARI" not in message
    assert "STATISTIK:" not in message


@pytest.mark.parametrize("lang", list(Lang))
def test_no_winrate_is_shown_as_a_dash_never_as_zero(lang: Lang) -> None:
    message = render_winrate(summarize(days=30, expired=2), JAKARTA, lang)
    assert f"• Winrate: {NO_VALUE} 🎯" in message
    assert f"• Avg PnL: {NO_VALUE}" in message
    assert "0.0%" not in message
    assert "(30 HARI)" in message or "(30 DAYS)" in message


@pytest.mark.parametrize(
    ("lang", "notice"),
    [
        (Lang.ID, "Belum ada signal WIN/LOSS pada periode ini."),
        (Lang.EN, "No WIN/LOSS signals in this period yet."),
    ],
)
def test_an_empty_period_says_so_and_shows_no_interval(lang: Lang, notice: str) -> None:
    message = render_winrate(summarize(), JAKARTA, lang)
    assert message.endswith(notice)
    assert "Interval" not in message
    assert "interval" not in message


def test_a_real_zero_winrate_is_shown_as_zero() -> None:
    message = render_winrate(summarize(loss=3, pnl_sum=-6.0, pnl_count=3), JAKARTA)
    assert "• Winrate: 0.0% 🎯" in message
    assert "• Avg PnL: -2.0%" in message


@pytest.mark.parametrize(("wins", "warned"), [(1, True), (29, True), (30, False), (45, False)])
def test_a_small_sample_is_labelled_as_such(wins: int, warned: bool) -> None:
    message = render_winrate(summarize(win=wins), JAKARTA)
    assert ("⚠️ Sampel kecil" in message) is warned
    if warned:
        assert f"({wins} signal selesai)" in message


@pytest.mark.parametrize(
    ("by", "lines"),
    [
        ({"win": 1, "expired": 2}, ["• Expired: 2 ⌛"]),
        ({"win": 1, "breakeven": 1, "cancelled": 4},
         ["• Breakeven: 1 ➖", "• Dibatalkan (tidak termasuk total): 4"]),
    ],
)  # fmt: skip
def test_other_results_are_shown_apart_when_there_are_any(
    by: dict[str, int], lines: list[str]
) -> None:
    shown = render_winrate(summarize(**by), JAKARTA).splitlines()
    assert all(line in shown for line in lines)


def test_no_other_results_lines_when_there_are_none() -> None:
    message = render_winrate(summarize(win=1, loss=1), JAKARTA)
    assert "Expired" not in message and "Breakeven" not in message and "Dibatalkan" not in message


def _count(lines: list[str], label: str) -> int:
    [line] = [line for line in lines if line.startswith(f"• {label}: ")]
    return int(line.removeprefix(f"• {label}: ").split()[0])


@pytest.mark.parametrize(("lang", "total"), [(Lang.ID, "Total Signal"), (Lang.EN, "Total Signals")])
def test_the_total_signal_line_adds_up_with_expired_and_breakeven_on_their_own_lines(
    lang: Lang, total: str
) -> None:
    summary = summarize(win=5, loss=3, expired=2, breakeven=1, cancelled=4)
    lines = render_winrate(summary, JAKARTA, lang).splitlines()
    assert _count(lines, total) == summary.total == 11
    parts = ("Win", "Loss", "Expired", "Breakeven")
    assert sum(_count(lines, label) for label in parts) == _count(lines, total)
    assert lines.index(f"• {total}: 11") < lines.index("• Expired: 2 ⌛")
    assert lines.index("• Breakeven: 1 ➖") < next(
        i for i, line in enumerate(lines) if line.startswith("• Winrate")
    )


@pytest.mark.parametrize(
    ("value", "signed", "shown"),
    [(None, False, "—"), (None, True, "—"), (71.111, False, "71.1%"), (1.8, True, "+1.8%"),
     (-2.0, True, "-2.0%"), (0.0, True, "+0.0%"), (100.0, False, "100.0%")],
)  # fmt: skip
def test_format_pct_shows_one_decimal_and_a_dash_for_no_value(
    value: float | None, signed: bool, shown: str
) -> None:
    assert format_pct(value, signed=signed) == shown


@pytest.mark.parametrize(
    ("raw", "lang"), [("id", Lang.ID), ("EN", Lang.EN), (" en ", Lang.EN), (Lang.ID, Lang.ID)]
)
def test_parse_lang_accepts_id_and_en_in_any_case(raw: Any, lang: Lang) -> None:
    assert parse_lang(raw) is lang


@pytest.mark.parametrize("raw", ["fr", "", "indonesian", None, 1])
def test_parse_lang_refuses_other_languages_naming_lang_and_value(raw: Any) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_lang(raw)
    assert isinstance(caught.value, ValueError)
    assert caught.value.field == "lang"
    assert repr(raw) in str(caught.value)


def test_every_text_has_both_languages_with_the_same_placeholders() -> None:
    def fields(template: str) -> set[str]:
        return {name for _, name, _, _ in Formatter().parse(template) if name is not None}

    for key, versions in TEXTS.items():
        assert set(versions) == set(Lang), key
        assert all(versions.values()), key
        assert fields(versions[Lang.ID]) == fields(versions[Lang.EN]), key


def test_the_bot_and_dashboard_tables_hold_their_own_keys_and_none_is_defined_twice() -> None:
    assert all(key.startswith("bot.") for key in BOT_TEXTS)
    assert all(key.startswith("dashboard.") for key in DASHBOARD_TEXTS)
    assert not any(key.startswith(("bot.", "dashboard.")) for key in GENERAL_TEXTS)
    assert len(TEXTS) == len(GENERAL_TEXTS) + len(BOT_TEXTS) + len(DASHBOARD_TEXTS)
