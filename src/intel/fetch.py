"""One UW call site for intel jobs: turns every client failure into a recorded, evented degrade.

Intel jobs must never crash on UW trouble (contract 4.6, 4.15): a refused budget stops further
calls for the run (the daemon's reserve wins), a refused symbol is skipped, repeated transport
failures trip a breaker so a dead API costs one timeout streak, not one per symbol. Each
failure kind leaves exactly one event per run plus a line in the job's `errors`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from src.core.events import emit
from src.core.paths import Paths

MAX_CONSECUTIVE_FAILURES = 5


@dataclass
class Fetched:
    data: Any
    stale: bool = False
    from_cache: bool = False


@dataclass
class IntelFetcher:
    client: Any
    paths: Paths
    job: str
    max_calls: int | None = None
    calls_made: int = 0
    calls_failed: int = 0
    exhausted: bool = False
    degraded_reason: str | None = None
    errors: list[str] = field(default_factory=list)
    _consecutive: int = 0
    _evented: set[str] = field(default_factory=set)

    def _event_once(self, kind: str, severity: str, **details: Any) -> None:
        if kind in self._evented:
            return
        self._evented.add(kind)
        emit("intel", kind, severity, paths=self.paths, job=self.job, **details)  # type: ignore[arg-type]

    def _fail(self, path: str, kind: str, message: str) -> None:
        self.calls_failed += 1
        if len(self.errors) < 200:
            self.errors.append(f"{kind}: {path}: {message}"[:300])

    def get(self, path: str, params: dict[str, Any] | None = None) -> Fetched | None:
        """The response payload, or None after recording why there is none."""
        if self.exhausted:
            return None
        if self.max_calls is not None and self.calls_made >= self.max_calls:
            self.exhausted = True
            self.degraded_reason = f"job call cap {self.max_calls} reached"
            self._event_once("intel_call_cap_reached", "warning", cap=self.max_calls)
            return None
        from src.uw.uw_client import UWError, UWRateLimited, UWUnavailable, UWUniverseRefused

        self.calls_made += 1
        try:
            resp = self.client.get(path, params=params or {})
        except UWRateLimited as exc:
            self.exhausted = True
            self.degraded_reason = "uw_budget_exhausted"
            self._fail(path, "rate_limited", str(exc))
            self._event_once("intel_uw_budget_exhausted", "warning", endpoint=path, error=str(exc)[:300])
            return None
        except UWUniverseRefused as exc:
            self._fail(path, "universe_refused", str(exc))
            self._event_once("intel_symbol_refused", "warning", endpoint=path, error=str(exc)[:300])
            return None
        except ValueError as exc:  # endpoint not in the spec: the client already logged it
            self._fail(path, "invalid_endpoint", str(exc))
            self._event_once("intel_invalid_endpoint", "error", endpoint=path, error=str(exc)[:300])
            return None
        except (UWError, OSError) as exc:
            self._fail(path, "uw_error", f"{type(exc).__name__}: {exc}")
            # only outages trip the breaker; a 4xx for one path says nothing about the next
            self._consecutive += 1 if isinstance(exc, (UWUnavailable, OSError)) else 0
            self._event_once("intel_uw_call_failed", "warning", endpoint=path, error=str(exc)[:300])
            if self._consecutive >= MAX_CONSECUTIVE_FAILURES:
                self.exhausted = True
                self.degraded_reason = f"{MAX_CONSECUTIVE_FAILURES} consecutive UW failures"
                self._event_once("intel_uw_breaker_open", "error", failures=self._consecutive)
            return None
        self._consecutive = 0
        return Fetched(
            getattr(resp, "data", None), bool(getattr(resp, "stale", False)), bool(getattr(resp, "from_cache", False))
        )

    def summary(self) -> dict[str, Any]:
        return {
            "calls_made": self.calls_made,
            "calls_failed": self.calls_failed,
            "partial": bool(self.exhausted or self.calls_failed),
            "degraded_reason": self.degraded_reason
            or (f"{self.calls_failed} UW call(s) failed" if self.calls_failed else None),
            "errors": list(self.errors[:50]),
        }


def make_client(settings: Any, paths: Paths, caller: str = "intel") -> Any:
    """The one UW client (imported lazily so intel modules import without the data plane)."""
    from src.uw.uw_client import UWClient

    return UWClient(settings=settings, paths=paths, caller=caller)
