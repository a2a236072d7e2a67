"""Error translation, the shadow guard on submit, and timeouts on the alpaca-py session."""

from __future__ import annotations

import socket

import pytest
import requests
from alpaca.common.exceptions import APIError

from src.broker import errors
from src.broker.alpaca import translate
from src.broker.factory import build_broker
from src.broker.interface import OrderRequest, Quote
from src.core.settings import load_settings


class _Resp:
    def __init__(self, status: int) -> None:
        self.status_code = status


def api_error(status: int, body: str = '{"code": 1, "message": "x"}') -> APIError:
    return APIError(body, requests.HTTPError(response=_Resp(status)))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("exc", "submitting", "kind", "ambiguous"),
    [
        (requests.Timeout(), True, errors.BrokerUnavailable, True),
        (requests.Timeout(), False, errors.BrokerUnavailable, False),
        (requests.ConnectionError("Connection refused"), True, errors.BrokerUnavailable, False),
        (requests.ConnectionError("reset by peer"), True, errors.BrokerUnavailable, True),
        (api_error(404), False, errors.OrderNotFound, False),
        (api_error(429), True, errors.BrokerRateLimited, False),
        (api_error(503), True, errors.BrokerUnavailable, True),
        (
            api_error(422, '{"code":40010001,"message":"client_order_id must be unique"}'),
            True,
            errors.DuplicateClientOrderId,
            False,
        ),
        (api_error(403, '{"code":40310000,"message":"insufficient buying power"}'), True, errors.OrderRejected, False),
        (api_error(401), False, errors.BrokerAuthError, False),
        (ValueError("bad json"), True, errors.BrokerProtocolError, True),
    ],
)
def test_translate(exc, submitting, kind, ambiguous) -> None:
    err = translate(exc, "op", submitting=submitting)
    assert type(err) is kind
    assert err.ambiguous is ambiguous


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_broker_is_typed(home) -> None:
    b = build_broker(load_settings(mode="sim", alpaca_base_url=f"http://127.0.0.1:{_closed_port()}"), timeout_s=2)
    with pytest.raises(errors.BrokerUnavailable):
        b.account()
    with pytest.raises(errors.BrokerUnavailable) as exc:
        b.submit(OrderRequest("AAPL", 1, "buy", "v1-x"))
    assert exc.value.ambiguous is False  # refused: it never reached a broker


def test_submit_refused_inside_shadow(home) -> None:
    guard = pytest.importorskip("src.shadow.guard")
    b = build_broker(load_settings(mode="sim", alpaca_base_url=f"http://127.0.0.1:{_closed_port()}"), timeout_s=2)
    with guard.shadow_context(), pytest.raises(guard.ShadowOrderViolation):
        b.submit(OrderRequest("AAPL", 1, "buy", "v1-x"))


def test_sessions_have_timeouts(home) -> None:
    b = build_broker(load_settings(mode="sim"), timeout_s=3.5)
    assert b.trading._session._timeout == 3.5 and b.data._session._timeout == 3.5


def test_quote_price() -> None:
    assert Quote("A", 10.0, 10.2).price == pytest.approx(10.1)
    assert Quote("A", 0.0, 10.2).price == 10.2
    assert Quote("A", None, None, 9.9).price == 9.9
    assert Quote("A", None, None).price is None
