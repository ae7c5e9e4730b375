"""The dashboard in Debian's Chromium (playwright, never `playwright install`): it renders,
its charts draw, its numbers are the API's, the window selector changes them, it fits a
phone, and no request leaves 127.0.0.1. Screenshots are kept under test-artifacts/."""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

import httpx
import pytest

from api_server import READ_TOKEN, running_api
from factories import settings_for
from sigtrack.bootstrap import App, build_app
from sigtrack.core.texts import TEXTS, Lang, format_pct

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
NOW = datetime.now(UTC)
JAKARTA = ZoneInfo("Asia/Jakarta")

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists() and os.environ.get("CI") != "true",
    reason="Debian's chromium is not installed (apt install chromium); required in CI",
)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    """Signals over 80 days, so that the 7, 30 and 90-day windows differ."""
    folder = tmp_path_factory.mktemp("dashboard")
    built = build_app(settings_for(f"sqlite:///{folder}/d.db", data_dir=folder))
    rnd = random.Random(7)
    for i in range(160):
        at = NOW - timedelta(hours=rnd.uniform(2, 24 * 80))
        signal_id = built.tracking.record({
            "symbol": rnd.choice(["BTCUSDT", "ETHUSDT", "SOLUSDT", "DOGEUSDT"]),
            "side": "SHORT" if i % 2 else "LONG", "timeframe": "15m", "entry": 100.0,
            "tp1": 102.0, "sl": 99.0, "confidence": rnd.randint(55, 99),
            "created_at": at.isoformat()
        } | ({"tp1": 98.0, "sl": 101.0} if i % 2 else {}), now=NOW)  # fmt: skip
        if i % 4:
            closed = min(NOW, at + timedelta(hours=rnd.uniform(1, 30)))
            built.tracking.close(signal_id, result=rnd.choice(["win", "loss", "win"]),
                                 pnl_pct=round(rnd.uniform(-2, 3), 2), now=closed,
                                 actor="test")  # fmt: skip
    yield built
    built.store.dispose()


@pytest.fixture(scope="module")
def base(app: App) -> Iterator[str]:
    with running_api(app) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright  # noqa: PLC0415

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield launched
        launched.close()


def open_page(browser: Any, url: str, *, width: int = 1280, height: int = 900) -> Any:
    page = browser.new_page(viewport={"width": width, "height": height})
    page.requests = []  # every URL the page asked for
    page.errors = []
    page.on("request", lambda r: page.requests.append(r.url))
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.goto(url)
    page.wait_for_function("document.body.dataset.loaded")
    return page


def card(page: Any, name: str) -> tuple[str, str]:
    found = page.locator(f'[data-testid="card-{name}"]')
    return found.locator(".value").inner_text(), found.locator(".sub").inner_text()


def interval_text(summary: dict[str, Any]) -> str:
    low, high = summary["winrate_interval_pct"]
    return TEXTS["dashboard.interval"][Lang.ID].format(low=format_pct(low), high=format_pct(high))


def chart_points(page: Any, name: str) -> list[int]:
    """The number of points of each dataset of the chart drawn in that figure."""
    return page.evaluate(
        """(name) => {
          const canvas = document.querySelector(`[data-testid="chart-${name}"] canvas`);
          const chart = Chart.getChart(canvas);
          return chart ? chart.data.datasets.map((d) => d.data.length) : [];
        }""",
        name,
    )


def canvas_is_drawn(page: Any, name: str) -> bool:
    return page.evaluate(
        """(name) => {
          const c = document.querySelector(`[data-testid="chart-${name}"] canvas`);
          const data = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
          for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) return true;
          return false;
        }""",
        name,
    )


def test_the_page_draws_every_chart_with_the_apis_numbers_and_stays_on_loopback(
    base: str, browser: Any
) -> None:
    page = open_page(browser, f"{base}/?days=30")
    week = httpx.get(f"{base}/stats/winrate?days=7").json()
    month = httpx.get(f"{base}/stats/winrate?days=30").json()
    view = httpx.get(f"{base}/stats/overview?days=30").json()
    performance = view["performance"]

    assert page.errors == []
    assert card(page, "winrate-7")[0] == format_pct(week["winrate_pct"])
    assert interval_text(week) in card(page, "winrate-7")[1]
    assert card(page, "winrate-30")[0] == format_pct(month["winrate_pct"])
    assert interval_text(month) in card(page, "winrate-30")[1]
    assert card(page, "window-winrate")[0] == format_pct(performance["winrate_pct"])
    assert card(page, "avg-pnl")[0] == format_pct(performance["avg_pnl_pct"], signed=True,
                                                  digits=2)  # fmt: skip
    assert card(page, "open")[0] == str(view["open"]["total"])
    assert page.locator('[data-testid="zone"]').inner_text() == "Asia/Jakarta"
    for name in ("equity", "by-coin", "calibration", "result-mix"):
        assert chart_points(page, name), name
        assert canvas_is_drawn(page, name), name
    assert chart_points(page, "equity") == [len(view["equity"])]
    assert chart_points(page, "by-coin") == [len(view["by_symbol"]["rows"])]
    rows = page.locator('[data-testid="table-closes"] tbody tr')
    assert rows.count() == len(view["recent_closes"])
    first = view["recent_closes"][0]
    assert first["exit_reason"] in rows.first.inner_text()
    assert page.locator('[data-testid="table-open"] tbody tr').count() == len(view["open"]["items"])
    assert {urlparse(u).hostname for u in page.requests} == {"127.0.0.1"}
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard-desktop.png"), full_page=True)
    page.close()


def test_the_window_selector_and_a_custom_range_change_the_numbers(base: str, browser: Any) -> None:
    page = open_page(browser, f"{base}/")
    thirty = card(page, "window-winrate")
    page.get_by_role("button", name="90 hari").click()
    page.wait_for_function("document.body.dataset.loaded === 'days=90'")
    ninety = httpx.get(f"{base}/stats/overview?days=90").json()["performance"]

    assert card(page, "window-winrate")[0] == format_pct(ninety["winrate_pct"])
    assert card(page, "window-winrate") != thirty
    assert "days=90" in page.url
    assert chart_points(page, "result-mix")

    since = (NOW - timedelta(days=20)).astimezone(JAKARTA).date().isoformat()
    last = (NOW - timedelta(days=5)).astimezone(JAKARTA).date().isoformat()
    form = page.locator('[data-testid="custom-range"]')
    form.locator('input[name="since"]').fill(since)
    form.locator('input[name="until"]').fill(last)
    form.locator('button[type="submit"]').click()
    page.wait_for_function("document.body.dataset.loaded.startsWith('since=')")
    until = (datetime.fromisoformat(last) + timedelta(days=1)).date().isoformat()
    chosen = httpx.get(f"{base}/stats/overview?since={since}&until={until}").json()

    assert card(page, "window-winrate")[0] == format_pct(chosen["performance"]["winrate_pct"])
    assert f"since={since}&until={until}" in page.url
    page.close()


def test_a_phone_reads_it_without_scrolling_sideways_and_english_is_one_flag_away(
    base: str, browser: Any
) -> None:
    page = open_page(browser, f"{base}/?lang=en", width=390, height=844)
    width = page.evaluate("document.scrollingElement.scrollWidth")

    assert width <= 390
    assert page.locator("h1").inner_text() == TEXTS["dashboard.title"][Lang.EN]
    assert page.get_by_role("button", name="90 days").is_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard-phone.png"), full_page=True)
    page.close()


def test_where_reads_need_a_token_the_page_asks_for_one_and_keeps_it_out_of_the_address(
    app: App, browser: Any
) -> None:
    with running_api(app, reads_open=False) as url:
        refused = open_page(browser, f"{url}/")
        message = refused.locator('[data-testid="error"]').inner_text()
        allowed = open_page(browser, f"{url}/?token={READ_TOKEN}&days=7")
        shown = card(allowed, "winrate-7")[0]
        address = allowed.url

    assert message == TEXTS["dashboard.unauthorized"][Lang.ID]
    assert shown != "—"
    assert READ_TOKEN not in address and "days=7" in address
