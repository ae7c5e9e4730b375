"""Hostile input to the HTTP API over real HTTP: schemathesis runs every operation of
/openapi.json (no 5xx, responses as declared), Hypothesis sends generated bodies to the write
routes (422 naming the field, the store unchanged), and no token or a wrong one writes nothing."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hostile_support import HOSTILE_TEXTS, Store, snapshot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from api_server import READ_TOKEN, WRITE_TOKEN, running_api
from factories import bot_signal

AUTH = {"Authorization": f"Bearer {WRITE_TOKEN}"}
FUZZ = settings(max_examples=15, deadline=None,
                suppress_health_check=list(HealthCheck))  # fmt: skip


@pytest.fixture
def api(store: Store) -> Iterator[tuple[str, Store]]:
    with running_api(store.app) as base:
        yield base, store


def post(base: str, path: str, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    content = body if isinstance(body, bytes) else json.dumps(body, allow_nan=True).encode()
    sent = {"Content-Type": "application/json", **(headers or AUTH)}
    return httpx.post(base + path, content=content, timeout=30, headers=sent)


def refused_by_name(response: httpx.Response, status: int = 422) -> dict[str, Any]:
    assert response.status_code == status, response.text[:500]
    error: dict[str, Any] = response.json()["error"]
    assert isinstance(error["field"], str) and error["message"].startswith(f"{error['field']}: ")
    assert "Traceback" not in response.text and len(response.text) < 20_000
    return error


# --- schemathesis: every operation ----------------------------------------------------


CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]
READS_CACHE = ("rollups", "rollup_built")  # the daily counts the stats reads build on demand


def every_operation(base: str, headers: dict[str, str]) -> dict[str, list[schemathesis.Response]]:
    """Generated requests to every operation of /openapi.json, each answer checked against
    the spec (no 5xx, a declared status, the declared body); the answers by operation."""
    schema = schemathesis.openapi.from_url(base + "/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 12, [op.label for op in operations]
    answers: dict[str, list[schemathesis.Response]] = {}
    for operation in operations:

        @FUZZ
        @given(case=operation.as_strategy())
        def run(case: schemathesis.Case) -> None:
            response = case.call(base_url=base, headers=headers)
            case.validate_response(response, checks=CHECKS)
            answers.setdefault(case.operation.label, []).append(response)

        run()
    return answers


def test_every_operation_of_the_openapi_spec_answers_without_a_5xx_and_as_declared(
    api: tuple[str, Store],
) -> None:
    base, store = api
    every_operation(base, AUTH)
    assert "signals" in store.before  # the store survived every generated request
    listed = httpx.get(base + "/signals?limit=500", timeout=30).json()["items"]
    assert {s["signal_id"] for s in listed} >= set(store.ids)


def test_every_write_of_the_openapi_spec_without_a_token_is_a_declared_401(
    api: tuple[str, Store],
) -> None:
    base, store = api
    answers = every_operation(base, {})
    writes = {label: got for label, got in answers.items() if label.startswith("POST ")}
    assert len(writes) == 3, list(answers)
    for label, got in writes.items():
        # an id with a `/` in it (sent as %2F) reaches no route at all: a 404 naming the path
        refused = [r for r in got if r.status_code != 404 or r.json()["error"]["field"] != "path"]
        assert refused and {r.status_code for r in refused} == {401}, (label, refused[:3])
    store.assert_unchanged(skip=READS_CACHE)


# --- generated bodies for the write routes --------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
    | st.sampled_from(HOSTILE_TEXTS),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                               max_size=3),
    max_leaves=8,
)  # fmt: skip
bad_price = st.sampled_from([math.nan, math.inf, -math.inf, -1.0, 0.0, "fifty", None, [1], {}])


@FUZZ
@given(field=st.sampled_from(["entry", "tp1", "sl"]), value=bad_price)
def test_a_bad_price_is_a_422_naming_the_field_and_stores_nothing(
    api: tuple[str, Store], field: str, value: object
) -> None:
    base, store = api
    body = {**bot_signal(), "entry": 50000.0}
    body.pop("entry_price")
    body.pop("price")
    body[field] = value
    error = refused_by_name(post(base, "/signals", body))
    assert error["field"] == field, error
    store.assert_unchanged()


@FUZZ
@given(body=json_values)
def test_any_json_value_as_a_signal_is_refused_by_name_or_stored_whole(
    api: tuple[str, Store], body: object
) -> None:
    base, store = api
    response = post(base, "/signals", body)
    assert response.status_code in {201, 422}, response.text[:500]
    if response.status_code == 422:
        refused_by_name(response)
        store.assert_unchanged()


@FUZZ
@given(
    case=st.one_of(
        st.tuples(st.sampled_from(["side", "timeframe", "symbol", "strategy"]),
                  st.sampled_from(HOSTILE_TEXTS)),
        st.tuples(st.sampled_from(["side", "timeframe", "symbol"]), st.integers() | st.booleans()),
        st.sampled_from([("side", "UP"), ("timeframe", "7m"), ("timeframe", "1y"),
                         ("created_at", "2026-01-08T10:00:00"),
                         ("created_at", "2999-01-01T00:00:00Z"),
                         ("created_at", "yesterday"), ("created_at", 10**20),
                         ("symbol", "x" * 100_000),
                         ("reasons", ["x" * 100_000]), ("reasons", {"a": 1})]),
    ),
)  # fmt: skip
def test_unknown_sides_timeframes_and_times_are_refused_by_name(
    api: tuple[str, Store], case: tuple[str, object]
) -> None:
    base, store = api
    field, value = case
    error = refused_by_name(post(base, "/signals", {**bot_signal(), field: value}))
    assert error["field"].split("[")[0].split(".")[0] == field, error
    store.assert_unchanged()


def test_a_10_mb_body_is_refused_with_a_short_answer(api: tuple[str, Store]) -> None:
    base, store = api
    error = refused_by_name(post(base, "/signals", {**bot_signal(), "symbol": "A" * 1_000_000}))
    assert error["field"] == "symbol"
    huge = {**bot_signal(), "symbol": "A" * 10_000_000}
    assert refused_by_name(post(base, "/signals", huge), 413)["field"] == "body"
    error = refused_by_name(post(base, "/signals", b"{" * 1_000_000))
    assert error["field"] == "body"
    store.assert_unchanged()


@FUZZ
@given(
    body=st.fixed_dictionaries(
        {"result": st.one_of(st.sampled_from(["win", "maybe", "", *HOSTILE_TEXTS]), json_values)},
        optional={"pnl_pct": st.one_of(st.just("nan"), json_values), "override": json_values,
                  "actor": json_values, "extra": json_values},
    ),
)  # fmt: skip
def test_a_bad_close_body_is_refused_by_name_and_closes_nothing(
    api: tuple[str, Store], body: dict[str, object]
) -> None:
    base, store = api
    good = body.get("result") == "win" and all(
        k in {"result"}
        or (k == "pnl_pct" and type(v) in (int, float) and math.isfinite(v))  # type: ignore[arg-type]
        or (k == "override" and type(v) is bool)
        or (k == "actor" and isinstance(v, str) and 0 < len(v.strip()) <= 64)
        for k, v in body.items()
    )
    if good:
        return
    response = post(base, f"/signals/{store.ids[0]}/close", body)
    assert response.status_code in {201, 200, 422}, response.text[:500]
    if response.status_code == 422:
        refused_by_name(response)
        store.assert_unchanged()


@pytest.mark.parametrize("text", HOSTILE_TEXTS)
def test_sql_and_html_in_a_note_are_stored_verbatim_and_every_table_stays(
    api: tuple[str, Store], text: str
) -> None:
    base, store = api
    response = post(base, f"/signals/{store.ids[0]}/cancel", {"note": text, "actor": "ops"})
    assert response.status_code == 200, response.text[:500]
    shown = httpx.get(f"{base}/signals/{store.ids[0]}", timeout=30)
    assert text in shown.text or json.dumps(text)[1:-1] in shown.text
    assert store.app.tracking.events(store.ids[0])[-1].note == text
    assert set(store.before) <= set(snapshot(store))
    assert store.rows("signals") == store.before["signals"][0]


@pytest.mark.parametrize("path", ["../../etc/passwd", "..%2F..%2Fetc%2Fpasswd", "%00", "x" * 5000])
def test_path_traversal_in_a_signal_id_is_a_404_or_422_and_writes_nothing(
    api: tuple[str, Store], path: str
) -> None:
    base, store = api
    for method, route in [("GET", f"/signals/{path}"), ("POST", f"/signals/{path}/close")]:
        response = httpx.request(method, base + route, json={"result": "win"}, headers=AUTH,
                                 timeout=30)  # fmt: skip
        assert response.status_code in {404, 405, 422}, (route[:80], response.text[:300])
        assert "etc/passwd" not in response.text or response.status_code == 404
    store.assert_unchanged()


# --- tokens ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong-token-xxxxxxxxxx"}, {"Authorization": WRITE_TOKEN},
     {"Authorization": f"Basic {WRITE_TOKEN}"}, {"Authorization": f"Bearer {READ_TOKEN}"},
     {"Authorization": f"Bearer {WRITE_TOKEN}x"}, {"Authorization": "Bearer"}],
)  # fmt: skip
def test_a_write_with_no_token_or_a_wrong_one_writes_nothing_and_leaks_no_token(
    api: tuple[str, Store], headers: dict[str, str]
) -> None:
    base, store = api
    for path, body in [("/signals", bot_signal(symbol="SOLUSDT")),
                       (f"/signals/{store.ids[0]}/close", {"result": "win"}),
                       (f"/signals/{store.ids[0]}/cancel", {})]:  # fmt: skip
        response = post(base, path, body, headers={"X-Nothing": "1", **headers})
        assert response.status_code in {401, 403}, (path, response.text[:300])
        assert WRITE_TOKEN not in response.text and READ_TOKEN not in response.text
    store.assert_unchanged()


def test_reads_that_need_a_token_refuse_a_wrong_one_without_data(store: Store) -> None:
    with running_api(store.app, reads_open=False) as base:
        for headers in [{}, {"Authorization": "Bearer nope-nope-nope-nope"}]:
            response = httpx.get(base + "/signals", headers=headers, timeout=30)
            assert response.status_code == 401
            assert not any(signal_id in response.text for signal_id in store.ids)
            assert WRITE_TOKEN not in response.text and READ_TOKEN not in response.text
        ok = httpx.get(base + "/signals", headers={"Authorization": f"Bearer {READ_TOKEN}"})
        assert {s["signal_id"] for s in ok.json()["items"]} >= set(store.ids)
