"""Registry: the contract jobs, their queues and bodies; lazy bodies and placeholders."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from src.core.paths import REPO_ROOT
from src.jobs.registry import JOBS, UnknownJob, get_spec, is_implemented, queue_name, resolve_body

EXPECTED = {
    "build_daily_universe": ("intel", "src.intel.universe:run_build_universe"),
    "premarket_intel": ("intel", "src.intel.prepost:run_premarket_intel"),
    "postmarket_intel": ("intel", "src.intel.prepost:run_postmarket_intel"),
    "regime_detector": ("intel", "src.intel.regime_detector:run_regime_detector"),
    "premarket_exit_intel": ("exit", "src.exit.exit_intel_jobs:run_premarket_exit_intel"),
    "postmarket_exit_intel": ("exit", "src.exit.exit_intel_jobs:run_postmarket_exit_intel"),
    "intel_health_checks": ("intel", "src.intel.health:run_intel_health_checks"),
    "daemon_health_check": ("intel", "src.intel.daemon_health:run_daemon_health_check"),
    "intel_pnl": ("telemetry", "src.intel.pnl:run_intel_pnl"),
    "exit_intel_pnl": ("exit", "src.exit.exit_intel_jobs:run_exit_intel_pnl"),
    "exit_day_summary": ("exit", "src.exit.exit_intel_jobs:run_exit_day_summary"),
    "intel_dashboard": ("telemetry", "src.intel.dashboard:run_intel_dashboard"),
    "full_telemetry_extract": ("telemetry", "src.telemetry.bundle:run_full_telemetry_extract"),
    "regression_checks": ("telemetry", "src.telemetry.regression:run_regression_checks"),
    "preopen_readiness": ("intel", "src.shadow.readiness:run_preopen_readiness"),
    "postclose_analysis_pack": ("telemetry", "src.telemetry.analysis_pack:run_postclose_analysis_pack"),
}


def test_registry_matches_the_contract_table() -> None:
    assert {n: (s.queue, s.body) for n, s in JOBS.items()} == EXPECTED


def test_every_script_is_a_thin_wrapper_over_run_cli() -> None:
    for name, spec in JOBS.items():
        if name == "intel_dashboard":  # reports/_dashboard generator belongs to the dashboard owner
            continue
        path = REPO_ROOT / spec.script
        text = path.read_text()
        assert f'run_cli("{name}"' in text, spec.script
        assert len(text.splitlines()) < 30, f"{spec.script} should stay thin"


def test_queue_names_take_the_namespace() -> None:
    assert queue_name("intel_pnl") == "telemetry"
    assert queue_name("intel_pnl", "t1-") == "t1-telemetry"
    with pytest.raises(UnknownJob):
        get_spec("no_such_job")


@pytest.fixture
def pkg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    root = tmp_path / "bodypkg_x1"
    root.mkdir()
    (root / "__init__.py").write_text("")
    (root / "present.py").write_text("def run(day, paths, settings, options):\n    return {'ok': True}\n")
    (root / "broken.py").write_text("import definitely_not_a_module_xyz\n\ndef run(*a):\n    return {}\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "bodypkg_x1"
    for m in [m for m in sys.modules if m.startswith("bodypkg_x1")]:
        del sys.modules[m]


def test_resolve_body_present_missing_and_broken(pkg: str) -> None:
    assert callable(resolve_body(f"{pkg}.present:run"))
    assert resolve_body(f"{pkg}.present:not_there") is None  # module exists, function not yet
    assert resolve_body(f"{pkg}.absent:run") is None  # module not written yet
    assert resolve_body("no_such_top_pkg.mod:run") is None
    # a body module that exists but fails to import is a bug, never a silent placeholder
    with pytest.raises(ModuleNotFoundError):
        resolve_body(f"{pkg}.broken:run")
    assert is_implemented("intel_pnl", {"intel_pnl": f"{pkg}.broken:run"})
    assert not is_implemented("intel_pnl", {"intel_pnl": f"{pkg}.absent:run"})
    with pytest.raises(ValueError):
        resolve_body("no_colon_here")
