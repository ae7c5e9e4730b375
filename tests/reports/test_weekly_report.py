"""The weekly report over fixed data: both languages, JSON, an empty week, and the HTML page
opened in headless Chromium with its charts drawn and no request leaving the machine."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from factories import bot_signal, settings_for
from sigtrack import Tracker

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # Tuesday 09:00 in Jakarta: W48 has begun
W47 = datetime(2026, 11, 16, 3, 0, tzinfo=UTC)  # Monday 10:00 in Jakarta
CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture
def tracker(tmp_path: Path) -> Iterator[Tracker]:
    with Tracker.open(settings=settings_for(f"sqlite:///{tmp_path / 'r.db'}")) as opened:
        yield opened


def add(
    tracker: Tracker, at: datetime, result: str | None, pnl: float | None, **fields: object
) -> None:
    strategy = str(fields.pop("strategy", "v2"))
    signal_id = tracker.track(bot_signal(**fields), created_at=at, strategy=strategy, now=NOW)
    if result:
        tracker.close(signal_id, result=result, pnl_pct=pnl, actor="t", now=at + timedelta(hours=2))


@pytest.fixture
def week(tracker: Tracker) -> Tracker:
    """W47: 3 wins, 1 loss, 1 open (strategy v2); W46: 1 win, 2 losses (strategy v1)."""
    add(tracker, W47, "win", 2.0, symbol="BTCUSDT", confidence=81)
    add(tracker, W47 + timedelta(days=1), "win", 1.0, symbol="BTCUSDT", confidence=90)
    add(tracker, W47 + timedelta(days=2), "loss", -1.0, symbol="ETHUSDT", side="SHORT",
        entry_price=3000.0, tp1=2900.0, tp2=2800.0, sl=3100.0, confidence=72)  # fmt: skip
    add(tracker, W47 + timedelta(days=3), "win", 1.5, symbol="SOLUSDT", entry_price=200.0,
        tp1=204.0, tp2=208.0, sl=196.0)  # fmt: skip
    add(tracker, W47 + timedelta(days=4), None, None, symbol="BTCUSDT")
    for day in range(1, 4):
        add(tracker, W47 - timedelta(days=day), "loss" if day < 3 else "win",
            -1.0 if day < 3 else 1.0, strategy="v1")  # fmt: skip
    for day, command in [(0, "/signal"), (0, "/winrate"), (2, "/signal"), (6, "/help")]:
        tracker.track_command(7, "ani", command, now=W47 + timedelta(days=day))
    tracker.track_command(8, "budi", "/signal", now=W47 + timedelta(days=2))
    return tracker


INDONESIAN = [
    "📋 LAPORAN MINGGUAN SIGNAL — 2026-W47",
    "🗓 2026-11-16 – 2026-11-22 (Asia/Jakarta)",
    "📈 PERFORMA SIGNAL",
    "• Total: 4 selesai (3 win, 1 loss, 0 expired, 0 breakeven) · 1 aktif · 0 dibatalkan",
    "• Winrate: 75.0% (interval 95%: 30.1% – 95.4%) · ketat: 75.0%",
    "• PnL: rata-rata +0.88%, median +1.25%, total +3.50% · drawdown maks 1.00%",
    "• Ekspektasi: — · profit factor: 4.50 · winrate impas: 40.0%",
    "• vs minggu lalu: winrate 33.3% → 75.0% (data belum cukup",
    "• Strategi v1 → v2: winrate 33.3% → 75.0% (data belum cukup",
    "🔍 ANALISIS",
    "• Belum ada koin dengan minimal 5 signal WIN/LOSS untuk diperingkat.",
    "• LONG vs SHORT: LONG 100.0% (3/3), SHORT 0.0% (0/1)",
    "• Per confidence: 70–74 0.0% (0/1), 80–84 100.0% (2/2), 90–94 100.0% (1/1)",
    "👥 AKTIVITAS USER",
    "• 5 perintah dari 2 user",
    "• 2026-11-16: 2",
    "• 2026-11-18: 2",
    "• 2026-11-22: 1",
    "• Perintah terbanyak: /signal 3, /winrate 1, /help 1",
    "💡 REKOMENDASI",
    "Data belum cukup untuk memberi saran: 7 signal selesai, perlu minimal 30.",
]
ENGLISH = [
    "📋 WEEKLY SIGNAL REPORT — 2026-W47",
    "📈 SIGNAL PERFORMANCE",
    "• Total: 4 closed (3 win, 1 loss, 0 expired, 0 breakeven) · 1 open · 0 cancelled",
    "• Winrate: 75.0% (95% interval: 30.1% – 95.4%) · strict: 75.0%",
    "• Expectancy: — · profit factor: 4.50 · break-even winrate: 40.0%",
    "🔍 ANALYSIS",
    "• No coin has the 5 WIN/LOSS signals needed to be ranked yet.",
    "👥 USER ACTIVITY",
    "• 5 commands from 2 users",
    "💡 RECOMMENDATIONS",
]


def test_the_indonesian_report_reads_as_the_old_one_with_honest_numbers(week: Tracker) -> None:
    report = week.weekly_report("2026-W47", now=NOW)
    for line in INDONESIAN:
        assert line in report, line


def test_the_english_report_has_the_same_numbers(week: Tracker) -> None:
    report = week.weekly_report("2026-W47", lang="en", now=NOW)
    for line in ENGLISH:
        assert line in report, line


def test_the_default_week_is_the_last_complete_one(week: Tracker) -> None:
    assert week.weekly(now=NOW).week.label == "2026-W47"


def test_an_empty_week_says_so_rather_than_printing_zeros(week: Tracker) -> None:
    report = week.weekly_report("2026-W30", lang="en", now=NOW)
    assert "No signals were created this week." in report
    assert "Winrate" not in report and "0.0%" not in report


def test_the_json_report_carries_every_section(week: Tracker) -> None:
    data = json.loads(week.weekly_report("2026-W47", fmt="json", now=NOW))
    assert data["week"] == "2026-W47" and data["empty"] is False
    assert data["performance"]["wins"] == 3 and data["previous_week"]["losses"] == 2
    assert data["vs_previous_strategy"]["previous"] == "v1"
    assert [row["key"] for row in data["by_side"]["rows"]] == ["LONG", "SHORT"]
    assert data["activity"]["total"] == 5 and len(data["activity"]["per_day"]) == 7
    assert data["advice"]["items"][0]["kind"] == "not_enough_data"
    assert [point["cum_pnl_pct"] for point in data["equity"]] == [2.0, 3.0, 2.0, 3.5]


def test_a_bad_week_or_format_is_named(week: Tracker) -> None:
    with pytest.raises(ValueError, match="week: must look like 2026-W47"):
        week.weekly_report("47", now=NOW)
    with pytest.raises(ValueError, match="fmt: must be one of text, json, html"):
        week.weekly_report("2026-W47", fmt="pdf", now=NOW)


@pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="Debian's chromium is not installed (apt install chromium); required in CI",
)
def test_the_html_report_draws_its_charts_offline_in_chromium(
    week: Tracker, tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright  # noqa: PLC0415

    page_file = tmp_path / "w47.html"
    page_file.write_text(week.weekly_report("2026-W47", fmt="html", now=NOW), encoding="utf-8")
    requests: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            context = browser.new_context(offline=True)
            page = context.new_page()
            page.on("request", lambda request: requests.append(request.url))
            page.goto(page_file.as_uri())
            charts = page.eval_on_selector_all(
                "figure[data-chart]",
                """figures => figures.map(f => ({
                    name: f.dataset.chart,
                    width: f.querySelector('svg').getBoundingClientRect().width,
                    marks: [...f.querySelectorAll('.series')].filter(
                        e => e.getBBox().width > 0 || e.getBBox().height > 0).length,
                }))""",
            )
            title = page.title()
        finally:
            browser.close()
    assert title == "📋 LAPORAN MINGGUAN SIGNAL — 2026-W47"
    assert [c["name"] for c in charts] == [
        "equity", "winrate-by-coin", "calibration", "result-mix",
    ]  # fmt: skip
    assert all(c["width"] > 100 and c["marks"] > 0 for c in charts), charts
    assert requests == [page_file.as_uri()]  # the page itself, nothing else
