"""`sigtrack demo`: the bundled example history shows every part of the weekly report, and
the bundled files are what their seeded generators write."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pyarrow.parquet as pq
import pytest

from sigtrack.cli import main
from sigtrack.core.texts import TEXTS, Lang, text

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = ROOT / "src" / "sigtrack" / "demo_data"
ROW = re.compile(r"(\S+) (?:\d+\.\d%|—) \((\d+)/(\d+)\)")  # "demand_zone 72.1% (31/43)"
ID = Lang.ID


class Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "\0"


def prefix(key: str, **values: str) -> str:
    """The start of a report line, up to its first value not given: `• Per tag: `."""
    return TEXTS[key][ID].format_map(Blank(values)).split("\0")[0]


def line_of(report: str, key: str, **values: str) -> str:
    start = prefix(key, **values)
    found = [line for line in report.splitlines() if line.startswith(start)]
    assert len(found) == 1, f"no single line starting {start!r} in:\n{report}"
    return found[0].removeprefix(start)


def rows(line: str) -> dict[str, int]:
    """Each breakdown row's name and its WIN + LOSS count."""
    return {name: int(decided) for name, _, decided in ROW.findall(line)}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """One `sigtrack demo` run for the module (it takes seconds): what it printed, its folder.

    Module-scoped, so it isolates itself as the e2e fixtures do: no SIGTRACK_* variable, a
    working directory of its own."""
    folder = tmp_path_factory.mktemp("demo")
    with pytest.MonkeyPatch.context() as patch:
        for name in [n for n in os.environ if n.startswith("SIGTRACK_")]:
            patch.delenv(name)
        patch.chdir(folder)
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            code = main(["demo", "--dir", str(folder), "--no-serve"])
        assert code == 0, printed.getvalue()
        yield printed.getvalue(), folder


def weekly(out: str) -> str:
    start = out.index(prefix("report.title"))
    return out[start:]


def test_the_demo_report_breaks_the_week_down_by_tag_timeframe_side_and_confidence_band(
    demo: tuple[str, Path],
) -> None:
    report = weekly(demo[0])
    tags = rows(line_of(report, "report.tags"))
    bands = rows(line_of(report, "report.confidence"))
    for line in (tags, bands, rows(line_of(report, "report.timeframes")),
                 rows(line_of(report, "report.sides"))):  # fmt: skip
        assert line and "(none)" not in line and max(line.values()) >= 5, report
    assert {"demand_zone", "momentum", "reversal"} <= set(tags)
    assert all(re.fullmatch(r"\d\d–\d\d", band) for band in bands)


def test_the_demo_report_compares_the_new_strategy_with_the_old(demo: tuple[str, Path]) -> None:
    line = line_of(weekly(demo[0]), "report.vs_strategy", current="v2", previous="v1")

    assert re.match(r"\d+\.\d% → \d+\.\d% \(v2 lebih baik\)$", line), line


def test_the_demo_report_advises_a_confidence_threshold_and_dropping_the_losing_coin(
    demo: tuple[str, Path],
) -> None:
    report = weekly(demo[0])
    advice = report[report.index(text("advice.title", ID)) :].splitlines()[1:]
    items = [line for line in advice if line.startswith("• ")]

    assert text("advice.none", ID) not in advice
    assert any("confidence ≥" in item for item in items), report
    assert any("DOGEUSDT" in item for item in items), report


def test_the_demo_settles_some_open_signals_to_expiry(demo: tuple[str, Path]) -> None:
    totals = line_of(weekly(demo[0]), "report.totals")
    expired = re.search(r"(\d+) expired", totals)

    assert expired is not None and int(expired.group(1)) > 0, totals


def test_the_demo_page_draws_the_confidence_calibration(demo: tuple[str, Path]) -> None:
    page = (demo[1] / "weekly_report.html").read_text(encoding="utf-8")
    start = page.index('data-chart="calibration"')
    figure = page[start : page.index("</figure>", start)]

    assert figure.count('<circle class="series"') >= 3


# --- the bundled files are what the generators write ---------------------------------------


def load_script(name: str) -> ModuleType:
    path = ROOT / "scripts" / f"{name}.py"
    sys.path.insert(0, str(path.parent))  # make_demo_candles imports make_demo_history
    try:
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(path.parent))
    return module


def test_the_bundled_history_is_what_the_seeded_generator_writes_byte_for_byte(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    history = load_script("make_demo_history")
    out = tmp_path / "out"  # tmp_path also holds the e2e fixtures' working directory
    monkeypatch.setattr(history, "OUT", out)

    history.main()

    written = sorted(p.name for p in out.iterdir())
    assert written == sorted(p.name for p in BUNDLED.iterdir() if p.is_file())
    for name in written:
        assert (out / name).read_bytes() == (BUNDLED / name).read_bytes(), name


def test_the_bundled_candles_are_what_the_seeded_generator_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    candles = load_script("make_demo_candles")
    out = tmp_path / "out"  # tmp_path also holds the e2e fixtures' working directory
    monkeypatch.setattr(candles, "OUT", out)

    candles.main()

    names = sorted(p.name for p in (BUNDLED / "candles").iterdir())
    assert sorted(p.name for p in out.iterdir()) == names
    for name in names:
        if name.endswith(".parquet"):  # the values: the bytes also name the pyarrow version
            assert pq.read_table(out / name).equals(pq.read_table(BUNDLED / "candles" / name))
        else:
            assert (out / name).read_text() == (BUNDLED / "candles" / name).read_text()
