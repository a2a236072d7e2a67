"""The one road to Unusual Whales (contract 4.5, 4.8): every UW HTTP request in stock-bot is sent here.

Order of a call, each step before the next can spend anything:
1. spec validation (path in the spec, declared query params, safe path values) -> ValueError;
2. universe restriction for symbol-level calls -> UWUniverseRefused;
3. TTL response cache -> served without a request;
4. the host-wide limiter (per-minute, daily budget, shared Retry-After) -> UWRateLimited;
5. the request: connect/read timeouts, bounded jittered retries for timeouts and 5xx only,
   429 honouring Retry-After; on final network failure the last good response, marked stale.
The API key travels only in the Authorization header; it is never logged, cached or raised.

Path encoding has one rule: `path` is the wire path. Path parameter values are percent-encoded once
by the caller (`uw_path(template, **values)` does it), the client validates the decoded values and
sends the path unchanged. Anything that is not already valid on the wire (a raw space, non-ASCII, a
broken `%` escape) is refused rather than silently encoded, so nothing is ever encoded twice.
"""

from __future__ import annotations

import os
import random
import re
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote, unquote

import orjson

from src.core.clock import Clock, RealClock
from src.core.events import emit
from src.core.paths import Paths
from src.core.settings import Settings, load_settings
from src.uw.errors import UWBadResponse, UWError, UWRateLimited, UWUnavailable, UWUniverseRefused
from src.uw.response_cache import ResponseCache, cache_key, ttl_for
from src.uw.spec import TICKER_PARAMS, Match, UWSpec, check_path_value, check_query_value, load_spec
from src.uw.universe import UniverseView, default_core
from src.uw.usage import HeaderReading, UsageLimiter, parse_headers

__all__ = [
    "UWClient",
    "UWResponse",
    "UWError",
    "UWRateLimited",
    "UWUniverseRefused",
    "UWUnavailable",
    "UWBadResponse",
    "uw_path",
    "validate_call",
]

SUBSYSTEM = "uw_client"
TICKER_QUERY_PARAMS = ("ticker", "ticker_symbol", "tickers", "symbols")
_FORBIDDEN_IN_PATH = ("?", "#", "\\", "//", "..", "%2f", "%2F", "%5c", "%5C")
# RFC 3986 path characters: unreserved, sub-delims, ':', '@', '/', and complete %XX escapes
_WIRE_PATH = re.compile(r"^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-Fa-f]{2})*$")


@dataclass
class UWResponse:
    data: Any  # the parsed JSON body; most UW results are {"data": [...]}
    stale: bool = False
    from_cache: bool = False
    status: int = 200
    template: str = ""
    fetched_at: float | None = None  # epoch (client clock) when UW produced this body

    @property
    def items(self) -> list[Any]:
        """The result rows: body["data"] when it is a list, the body itself when it is a list."""
        body = self.data
        if isinstance(body, dict):
            inner = body.get("data")
            return inner if isinstance(inner, list) else ([inner] if isinstance(inner, dict) else [])
        return body if isinstance(body, list) else []


def _invalid(paths: Paths, caller: str, method: str, path: Any, reason: str, **extra: Any) -> ValueError:
    emit(
        SUBSYSTEM,
        "uw_invalid_endpoint_attempt",
        "error",
        paths=paths,
        method=method,
        path=str(path)[:300],
        reason=reason,
        caller=caller,
        **extra,
    )
    return ValueError(f"invalid UW endpoint {method} {str(path)[:120]!r}: {reason}")


def uw_path(template: str, **values: Any) -> str:
    """The wire path of a spec template: each value percent-encoded exactly once (spaces -> %20)."""
    return template.format(**{k: quote(str(v), safe="") for k, v in values.items()})


def validate_call(
    spec: UWSpec, method: str, path: Any, params: dict[str, Any] | None, *, paths: Paths, caller: str
) -> Match:
    """The spec operation for this call, or ValueError (after the event) when it is not allowed."""
    if not isinstance(path, str) or not path.startswith("/api/"):
        raise _invalid(paths, caller, method, path, "path must be a string starting with /api/")
    decoded = unquote(path)
    if any(bad in path or bad in decoded for bad in _FORBIDDEN_IN_PATH) or any(ord(c) < 33 for c in path):
        raise _invalid(paths, caller, method, path, "path injection: separators, traversal or query in path")
    if not _WIRE_PATH.fullmatch(path):
        raise _invalid(paths, caller, method, path, "path not percent-encoded for the wire (use uw_path)")
    match = spec.match(method, path)
    if match is None:
        raise _invalid(paths, caller, method, path, "endpoint not in unusual_whales_api/api_spec.yaml")
    for name, value in match.path_values.items():
        param = match.operation.path_params.get(name)
        why = check_path_value(param, value) if param else "undeclared path parameter"
        if why:
            raise _invalid(paths, caller, method, path, f"path parameter {name!r}: {why}")
    for name, value in (params or {}).items():
        param = match.operation.query_params.get(str(name))
        if param is None:
            raise _invalid(paths, caller, method, path, f"query parameter {name!r} not declared for this endpoint")
        why = check_query_value(param, value, spec)
        if why:
            raise _invalid(paths, caller, method, path, f"query parameter {name!r}: {why}")
    return match


def symbols_of_call(match: Match, params: dict[str, Any] | None) -> list[str]:
    """Tickers a call is about (path `{ticker}` or ticker query params); empty for market-wide calls."""
    out = [v for k, v in match.path_values.items() if k in TICKER_PARAMS]
    for k in TICKER_QUERY_PARAMS:
        if k in match.operation.query_params and (params or {}).get(k) not in (None, ""):
            raw = (params or {})[k]
            items = raw if isinstance(raw, (list, tuple)) else str(raw).split(",")
            out += [str(s).strip().lstrip("-").upper() for s in items if str(s).strip()]
    return out


def _retry_after(value: str | None, default: float) -> float:
    if not value:
        return default
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        from datetime import UTC, datetime

        return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError):
        return default


def check_shape(body: Any, match: Match, spec: UWSpec) -> str | None:
    """Why a parsed body does not look like this endpoint's result, or None."""
    if not isinstance(body, (dict, list)):
        return f"top-level JSON is {type(body).__name__}, expected object or array"
    rows = body.get("data", body) if isinstance(body, dict) else body
    item_schema = spec.resolve(match.operation.response_schema)
    if isinstance(body, dict) and "data" in body and not isinstance(rows, (list, dict, type(None))):
        return f"'data' is {type(rows).__name__}, expected array or object"
    if isinstance(rows, list) and item_schema.get("type") == "object" and item_schema.get("properties"):
        bad = sum(1 for r in rows if not isinstance(r, dict))
        if bad:
            return f"{bad} of {len(rows)} rows are not objects"
    return None


class UWClient:
    """Validated, rate-limited, cached GETs against UW (or the local simulator in sim mode)."""

    def __init__(
        self,
        settings: Settings | None = None,
        paths: Paths | None = None,
        caller: str | None = "intel",
        session: Any = None,
        clock: Clock | None = None,
        spec: UWSpec | None = None,
    ) -> None:
        self.settings = settings or load_settings()
        self.paths = paths or Paths.from_env()
        self.caller = caller or os.environ.get("STOCKBOT_UW_CALLER") or "script"
        self.clock = clock or RealClock()
        self._spec = spec
        self._session = session
        self.limiter = UsageLimiter(self.paths, self.settings, self.clock, self.caller)
        self.cache = ResponseCache(self.paths)
        self.universe = UniverseView(self.paths, default_core(self.settings.uw_default_core))
        self.emit_failures = True  # the daemon turns this off and reports once per endpoint family
        self._pending: HeaderReading | None = None
        self.requests_sent = 0

    @property
    def spec(self) -> UWSpec:
        if self._spec is None:
            self._spec = load_spec()
        return self._spec

    @property
    def session(self) -> Any:
        if self._session is None:
            import requests

            self._session = requests.Session()
        return self._session

    def close(self) -> None:
        self.flush_usage()
        if self._session is not None and hasattr(self._session, "close"):
            self._session.close()

    def flush_usage(self) -> None:
        """Write the last UW rate-limit headers seen to the shared usage state."""
        pending, self._pending = self._pending, None
        if pending is not None:
            self.limiter.record_headers(pending)

    def _event(self, event_type: str, severity: str = "error", **details: Any) -> None:
        if self.emit_failures:
            emit(SUBSYSTEM, event_type, severity, paths=self.paths, caller=self.caller, **details)  # type: ignore[arg-type]

    def get(
        self,
        path: str,
        params: dict[str, Any] | None = None,
        *,
        cache: bool = True,
        ttl_s: float | None = None,
        max_wait_s: float | None = None,
    ) -> UWResponse:
        params = dict(params or {})
        match = validate_call(self.spec, "GET", path, params, paths=self.paths, caller=self.caller)
        template = match.operation.template
        tickers = symbols_of_call(match, params)
        if tickers:
            allowed = self.universe.symbols()
            outside = sorted({t for t in tickers if t not in allowed})
            if outside:
                emit(
                    SUBSYSTEM, "uw_universe_refused", "warning", paths=self.paths,
                    caller=self.caller, endpoint=template, tickers=outside[:20],
                )  # fmt: skip
                raise UWUniverseRefused(f"{', '.join(outside[:5])} outside daily_universe ∪ core_universe")
        key = cache_key("GET", path, params)
        now = self.clock.now().timestamp()
        if cache:
            hit = self.cache.fresh(key, ttl_for(template) if ttl_s is None else ttl_s, now)
            if hit is not None:
                return UWResponse(
                    hit.body, from_cache=True, status=hit.status, template=template, fetched_at=hit.stored_at
                )
        if self.settings.uw_api_key is None or not self.settings.uw_api_key.get_secret_value():
            self._event("uw_config_missing", endpoint=template, reason="UW_API_KEY not configured")
            raise UWUnavailable("UW_API_KEY is not configured")
        failure = self._fetch(path, params, template, max_wait_s)
        if isinstance(failure, UWResponse):
            if cache:
                self.cache.put(key, "GET", path, params, failure.data, failure.status, failure.fetched_at or now)
            return failure
        last = self.cache.get(key) if cache else None
        if last is not None:
            self._event("uw_stale_served", "warning", endpoint=template, reason=failure, stored_at=last.stored_at)
            return UWResponse(last.body, stale=True, status=last.status, template=template, fetched_at=last.stored_at)
        self._event("uw_request_failed", endpoint=template, reason=failure)
        raise UWUnavailable(f"UW {template} unavailable: {failure}")

    def _fetch(self, path: str, params: dict[str, Any], template: str, max_wait_s: float | None) -> UWResponse | str:
        """The response, or a short reason string for a network/5xx failure after retries."""
        import requests

        s = self.settings
        url = s.uw_base_url.rstrip("/") + path  # already the wire path (validate_call): never re-encoded
        key = s.uw_api_key.get_secret_value() if s.uw_api_key else ""
        headers = {"Authorization": f"Bearer {key}", "Accept": "application/json", "User-Agent": "stock-bot/uw_client"}
        attempts, rate_hits, reason = 0, 0, ""
        while True:
            self.limiter.acquire(template, max_wait_s=max_wait_s, headers=self._pending)
            self._pending = None
            self.requests_sent += 1
            try:
                r = self.session.get(
                    url, params=params, headers=headers, timeout=(s.uw_connect_timeout_s, s.uw_read_timeout_s)
                )
            except requests.Timeout:
                reason = "timeout"
            except requests.RequestException as exc:
                reason = f"network error ({type(exc).__name__})"
            else:
                now = self.clock.now().timestamp()
                reading = parse_headers(r.headers, now)
                if r.status_code == 429:
                    rate_hits += 1
                    wait = _retry_after(r.headers.get("Retry-After"), s.uw_backoff_base_s * 2**rate_hits)
                    self.limiter.record_429(wait, reading)
                    emit(
                        SUBSYSTEM, "uw_rate_limit_block", "warning", paths=self.paths, reason="http_429",
                        caller=self.caller, endpoint=template, retry_after_s=round(wait, 3), attempt=rate_hits,
                    )  # fmt: skip
                    if rate_hits > s.uw_max_retries or wait > (s.uw_max_wait_s if max_wait_s is None else max_wait_s):
                        raise UWRateLimited("UW answered 429", reason="http_429", retry_after_s=wait)
                    continue  # acquire() waits out the shared Retry-After
                self._pending = reading or self._pending
                if r.status_code >= 500:
                    reason = f"HTTP {r.status_code}"
                elif r.status_code >= 400:
                    self._event("uw_http_error", endpoint=template, status=r.status_code)
                    raise UWBadResponse(f"UW {template} answered HTTP {r.status_code}", status=r.status_code)
                else:
                    return self._parse(r, template, path, now)
            attempts += 1
            if attempts > s.uw_max_retries:
                return reason
            self.clock.sleep(s.uw_backoff_base_s * 2 ** (attempts - 1) * (0.5 + random.random()))

    def _parse(self, r: Any, template: str, path: str, now: float) -> UWResponse:
        try:
            body = orjson.loads(r.content)
        except orjson.JSONDecodeError:
            self._event("uw_bad_response", endpoint=template, reason="malformed JSON", status=r.status_code)
            raise UWBadResponse(f"UW {template}: malformed JSON", status=r.status_code) from None
        match = self.spec.match("GET", path)
        why = check_shape(body, match, self.spec) if match else None
        if why:
            self._event("uw_bad_response", endpoint=template, reason=why, status=r.status_code)
            raise UWBadResponse(f"UW {template}: {why}", status=r.status_code)
        return UWResponse(body, status=r.status_code, template=template, fetched_at=now)
