"""Hostile input to the CLI in-process: exit 2 with one line `error: FIELD: reason` (no
traceback), and the store unchanged."""

from __future__ import annotations

import pytest
from e2e_support import Cli, one_error_line
from hostile_support import HOSTILE_TEXTS, Store, snapshot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sigtrack.core.errors import MAX_REASON_SHOWN

CLI = settings(max_examples=12, deadline=None,
               suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
GOOD = {"--symbol": "BTCUSDT", "--side": "LONG", "--timeframe": "15m", "--entry": "50000",
        "--tp1": "51000", "--tp2": "52000", "--sl": "49000"}  # fmt: skip
NAMED = {"--entry": "entry", "--tp1": "tp1", "--tp2": "tp2", "--sl": "sl", "--side": "side",
         "--timeframe": "timeframe", "--symbol": "symbol", "--at": "created_at",
         "--confidence": "confidence", "--strategy": "strategy",
         "--receivers": "receivers"}  # fmt: skip


@pytest.fixture
def cli(store: Store, capsys: pytest.CaptureFixture[str]) -> Cli:
    return Cli(store.url, capsys)


def refused(cli: Cli, *args: object) -> str:
    run = cli(*args, code=2)
    line = one_error_line(run.err)
    assert len(line) <= MAX_REASON_SHOWN + 200, len(line)
    return line


def track_args(**changes: str) -> list[str]:
    options = {**GOOD, **changes}
    return ["track", *(x for pair in options.items() for x in pair)]


bad_number = st.sampled_from(["nan", "inf", "-inf", "-1", "0", "1e999", "fifty", "0x10", ""])


@CLI
@given(option=st.sampled_from(["--entry", "--tp1", "--sl"]), value=bad_number)
def test_a_price_that_is_not_a_positive_number_exits_2_naming_it(
    cli: Cli, store: Store, option: str, value: str
) -> None:
    line = refused(cli, *track_args(**{option: value}))
    assert line.startswith((f"error: {NAMED[option]}: ", f"error: {option}: ")), line
    store.assert_unchanged()


@CLI
@given(
    case=st.one_of(
        st.tuples(st.sampled_from(["--side", "--timeframe", "--symbol", "--strategy"]),
                  st.sampled_from(HOSTILE_TEXTS)),
        st.sampled_from([("--side", "UP"), ("--timeframe", "7m"), ("--timeframe", "1Y"),
                         ("--tp1", "49000"), ("--sl", "50500"), ("--tp2", "50500"),
                         ("--at", "2999-01-01T00:00:00Z"), ("--at", "yesterday"),
                         ("--confidence", "101"), ("--confidence", "nan"),
                         ("--receivers", "1,x"), ("--symbol", "x" * 1_000_000)]),
    ),
)  # fmt: skip
def test_unknown_sides_timeframes_wrong_levels_and_times_exit_2_naming_the_field(
    cli: Cli, store: Store, case: tuple[str, str]
) -> None:
    option, value = case
    line = refused(cli, *track_args(**{option: value}))
    assert line.startswith((f"error: {NAMED[option]}", f"error: {option}")), line
    store.assert_unchanged()


@CLI
@given(
    result=st.sampled_from(["maybe", "", "WINNER", *HOSTILE_TEXTS]),
    pnl=st.sampled_from([None, "nan", "inf", "abc"]),
)
def test_close_with_a_bad_result_or_pnl_exits_2_and_closes_nothing(
    cli: Cli, store: Store, result: str, pnl: str | None
) -> None:
    args = ["close", store.ids[0], "--result", result, *(["--pnl", pnl] if pnl else [])]
    line = refused(cli, *args)
    assert line.startswith(("error: --result: ", "error: result: ", "error: --pnl: ")), line
    store.assert_unchanged()


@pytest.mark.parametrize("bad_id", ["../../etc/passwd", "'; DROP TABLE signals; --", "x" * 100_000])
def test_close_and_show_of_a_hostile_id_exit_2_and_write_nothing(
    cli: Cli, store: Store, bad_id: str
) -> None:
    assert "signal_id" in refused(cli, "close", bad_id, "--result", "win")
    assert "signal_id" in refused(cli, "cancel", bad_id)
    assert "signal_id" in refused(cli, "show", bad_id)
    store.assert_unchanged()


@pytest.mark.parametrize("text", HOSTILE_TEXTS)
def test_sql_and_html_in_a_note_and_actor_are_kept_verbatim_and_no_table_is_lost(
    cli: Cli, store: Store, text: str
) -> None:
    run = cli("cancel", store.ids[0], "--note", text, "--actor", "ops", code=None)
    if run.code == 2:
        assert one_error_line(run.err).startswith("error: note: ")
        store.assert_unchanged()
        return
    assert run.code == 0, run.err
    shown = cli("show", store.ids[0], "--json").json()
    assert text in [event.get("note") for event in shown["events"]]
    assert set(store.before) == set(snapshot(store))
    assert len(cli.ids()) == len(store.ids) + 1


@pytest.mark.parametrize(
    "args",
    [["list", "--limit", "-1"], ["list", "--limit", "10**100"], ["list", "--since", "soon"],
     ["list", "--status", "<b>"], ["winrate", "--days", "nan"], ["winrate", "--days", "-3"]],
)  # fmt: skip
def test_bad_read_options_exit_2_naming_the_option(cli: Cli, store: Store, args: list[str]) -> None:
    run = cli(*args, code=2)
    assert "Traceback" not in run.err and run.err.strip()
    store.assert_unchanged()
