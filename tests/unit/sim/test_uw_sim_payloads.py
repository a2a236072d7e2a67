"""UW simulator payloads follow the spec's response schemas and move with the clock."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from src.core.clock import FixedClock
from src.core.paths import REPO_ROOT
from src.sim.uw_sim import SERVED_PATHS, create_app

AUTH = {"Authorization": "Bearer test-key"}
SPEC_PATH = REPO_ROOT / "unusual_whales_api" / "api_spec.yaml"
_JSON_TYPES: dict[str, tuple[type, ...]] = {"string": (str,), "integer": (int,), "number": (int, float),
                                            "boolean": (bool,), "array": (list,), "object": (dict,)}


def concrete(template: str, ticker: str = "AAPL") -> str:
    return template.replace("{ticker}", ticker).replace("{candle_size}", "5m").replace("{sector}", "Technology")


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    if not SPEC_PATH.exists():
        pytest.skip(f"{SPEC_PATH} not generated yet (scripts/update_uw_spec.py writes it)")
    return yaml.safe_load(SPEC_PATH.read_text())


def _resolve(spec: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _declared_type(spec: dict, schema: dict) -> str | None:
    schema = _resolve(spec, schema)
    if "type" in schema:
        return schema["type"]
    for key in ("oneOf", "anyOf", "allOf"):
        types = {_declared_type(spec, s) for s in schema.get(key, [])} - {None, "null"}
        if len(types) == 1:
            return types.pop()
    return None


def _item_schema(spec: dict, template: str) -> dict:
    response = spec["paths"][template]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    return _resolve(spec, response)


def test_served_paths_are_spec_paths(spec: dict) -> None:
    missing = [p for p in SERVED_PATHS if p not in spec["paths"] or "get" not in spec["paths"][p]]
    assert missing == []


@pytest.mark.parametrize("template", SERVED_PATHS)
def test_payload_matches_schema(spec: dict, clock: FixedClock, template: str) -> None:
    client = create_app(clock=clock).test_client()
    resp = client.get(concrete(template), headers=AUTH)
    assert resp.status_code == 200, resp.get_json()
    data = resp.get_json()["data"]
    items = data if isinstance(data, list) else [data]
    assert items, f"{template} returned no rows mid-session"
    schema = _item_schema(spec, template)
    props = schema.get("properties", {})
    assert props, f"spec has no properties for {template}"
    for item in items[:50]:
        assert set(props) <= set(item), f"{template} lacks {sorted(set(props) - set(item))}"
        for name, prop in props.items():
            declared = _declared_type(spec, prop)
            value = item[name]
            if value is None or declared not in _JSON_TYPES:
                continue
            ok = isinstance(value, _JSON_TYPES[declared]) and not (declared in ("integer", "number") and isinstance(value, bool))
            assert ok, f"{template}.{name}={value!r} is not {declared}"


def test_same_seed_same_body_other_seed_differs(clock: FixedClock) -> None:
    a = create_app(seed=7, clock=clock).test_client().get("/api/stock/NVDA/flow-alerts", headers=AUTH).get_json()
    b = create_app(seed=7, clock=clock).test_client().get("/api/stock/NVDA/flow-alerts", headers=AUTH).get_json()
    c = create_app(seed=8, clock=clock).test_client().get("/api/stock/NVDA/flow-alerts", headers=AUTH).get_json()
    assert a == b
    assert a != c


def test_prices_and_flow_move_through_the_session(clock: FixedClock) -> None:
    client = create_app(clock=clock).test_client()
    early_alerts = client.get("/api/stock/TSLA/flow-alerts", headers=AUTH).get_json()["data"]
    early_tide = client.get("/api/market/market-tide", headers=AUTH).get_json()["data"]
    early_price = client.get("/api/stock/TSLA/ohlc/1m", headers=AUTH).get_json()["data"][0]["close"]
    clock.advance(90 * 60)
    late_alerts = client.get("/api/stock/TSLA/flow-alerts", headers=AUTH).get_json()["data"]
    late_tide = client.get("/api/market/market-tide", headers=AUTH).get_json()["data"]
    late_price = client.get("/api/stock/TSLA/ohlc/1m", headers=AUTH).get_json()["data"][0]["close"]
    assert len(late_alerts) > len(early_alerts)
    assert len(late_tide) == len(early_tide) + 90
    assert late_price != early_price
    newest = late_alerts[0]["created_at"]
    assert all(a["created_at"] <= newest for a in late_alerts)


def test_flow_alert_filters(clock: FixedClock) -> None:
    client = create_app(clock=clock).test_client()
    rows = client.get("/api/option-trades/flow-alerts?ticker_symbol=AAPL,MSFT&min_premium=50000&limit=30&is_call=true",
                      headers=AUTH).get_json()["data"]
    assert 0 < len(rows) <= 30
    assert {r["ticker"] for r in rows} <= {"AAPL", "MSFT"}
    assert all(float(r["total_premium"]) >= 50000 and r["type"] == "call" for r in rows)


def test_bad_parameters_are_422_json(clock: FixedClock) -> None:
    client = create_app(clock=clock).test_client()
    assert client.get("/api/option-trades/flow-alerts?limit=500", headers=AUTH).status_code == 422
    assert client.get("/api/stock/AAPL/ohlc/7m", headers=AUTH).status_code == 422
    assert client.get("/api/market/Crypto/sector-tide", headers=AUTH).status_code == 422
    bad = client.get("/api/stock/aa$pl/info", headers=AUTH)
    assert bad.status_code == 422 and "error" in bad.get_json()


def test_unknown_path_is_404_json(clock: FixedClock) -> None:
    client = create_app(clock=clock).test_client()
    for path in ("/api/stock/AAPL/nope", "/api/alerts", "/v2/account"):
        resp = client.get(path, headers=AUTH)
        assert resp.status_code == 404
        assert resp.get_json()["error"] == "not found"

