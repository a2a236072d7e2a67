"""Stand-in job bodies for droplet runner tests: they record the order they ran in."""

from __future__ import annotations

from typing import Any

from src.core.jsonio import append_jsonl, atomic_write_text
from src.core.paths import Paths

CALLS = "droplet_calls.jsonl"


def _ok(name: str, paths: Paths, ok: bool = True) -> dict[str, Any]:
    append_jsonl(paths.root / CALLS, {"job": name})
    return {"ok": ok, "message": f"stub {name}", "artifacts": []}


def universe(day: str, paths: Paths, settings: Any, options: dict[str, Any]) -> dict[str, Any]:
    atomic_write_text(paths.daily_universe, '{"symbols": ["AAPL"]}\n')
    return _ok("build_daily_universe", paths)


def premarket(day: str, paths: Paths, settings: Any, options: dict[str, Any]) -> dict[str, Any]:
    return _ok("premarket_intel", paths)


def postmarket(day: str, paths: Paths, settings: Any, options: dict[str, Any]) -> dict[str, Any]:
    return _ok("postmarket_intel", paths)


def telemetry(day: str, paths: Paths, settings: Any, options: dict[str, Any]) -> dict[str, Any]:
    atomic_write_text(paths.telemetry_day(day) / f"FULL_TELEMETRY_{day}.md", "# stub\n")
    return _ok("full_telemetry_extract", paths)


def regression_ok(day: str, paths: Paths, settings: Any, options: dict[str, Any]) -> dict[str, Any]:
    return _ok("regression_checks", paths)


def regression_fail(day: str, paths: Paths, settings: Any, options: dict[str, Any]) -> dict[str, Any]:
    return _ok("regression_checks", paths, ok=False)


def pack(day: str, paths: Paths, settings: Any, options: dict[str, Any]) -> dict[str, Any]:
    atomic_write_text(paths.analysis_pack(day) / f"MASTER_SUMMARY_{day}.md", "# stub pack\n")
    return _ok("postclose_analysis_pack", paths)


M = "tests.integration.telemetry.droplet_stubs"
OVERRIDES = {
    "build_daily_universe": f"{M}:universe",
    "premarket_intel": f"{M}:premarket",
    "postmarket_intel": f"{M}:postmarket",
    "full_telemetry_extract": f"{M}:telemetry",
    "regression_checks": f"{M}:regression_ok",
    "postclose_analysis_pack": f"{M}:pack",
}
