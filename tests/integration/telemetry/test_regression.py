"""The regression gate fails for each kind of defect and passes on a good day."""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import pytest

from src.core.paths import REPO_ROOT, Paths
from src.telemetry.bundle import build_bundle
from src.telemetry.regression import run_regression_checks, state_self_heal_checks, telemetry_checks
from tests.unit.telemetry.golden_day import DAY, write_golden_day

HAS_SPEC_CHECKS = importlib.util.find_spec("src.uw.spec_checks") is not None
FAST = {"skip": ["uw_spec", "import_audit", "state_self_heal"]}


@pytest.fixture
def good_day(home: Paths) -> Paths:
    write_golden_day(home)
    build_bundle(DAY, home)
    return home


def _computed(paths: Paths, name: str) -> Path:
    return paths.telemetry_day(DAY) / "computed" / name


def _failed(res: dict) -> dict[str, str]:
    return {c["name"]: c["detail"] for c in res["checks"] if not c["ok"]}


def test_good_day_passes_every_check(good_day: Paths) -> None:
    opts = {} if HAS_SPEC_CHECKS else {"skip": ["uw_spec"]}
    res = run_regression_checks(DAY, good_day, None, opts)
    assert res["ok"] is True, res["message"]
    names = {c["name"] for c in res["checks"]}
    assert "import_audit:side_effects" in names and "state_self_heal:garbage" in names
    assert len([n for n in names if n.startswith("telemetry:")]) == 17
    assert res["message"].startswith("regression PASSED")
    json.dumps(res)  # the --json output is plain JSON


def test_missing_artifact_fails(good_day: Paths) -> None:
    _computed(good_day, "signal_performance.json").unlink()
    res = run_regression_checks(DAY, good_day, None, FAST)
    assert res["ok"] is False
    assert _failed(res) == {"telemetry:signal_performance.json": "missing"}
    assert "FAIL telemetry:signal_performance.json: missing" in res["message"]


def test_missing_key_fails(good_day: Paths) -> None:
    path = _computed(good_day, "live_vs_shadow_pnl.json")
    data = json.loads(path.read_text())
    del data["windows"]["48h"]["delta"]["win_rate"]
    path.write_text(json.dumps(data))
    failed = _failed(run_regression_checks(DAY, good_day, None, FAST))
    assert list(failed) == ["telemetry:live_vs_shadow_pnl.json"]
    assert "windows.48h.delta.win_rate" in failed["telemetry:live_vs_shadow_pnl.json"]


@pytest.mark.parametrize("content,reason", [(b"", "empty file"), (b"{}", "empty or not a JSON object"),
                                            (b"[]", "empty or not a JSON object"), (b'{"day": ', "malformed JSON")])
def test_empty_or_malformed_artifact_fails(good_day: Paths, content: bytes, reason: str) -> None:
    _computed(good_day, "long_short_analysis.json").write_bytes(content)
    failed = _failed(run_regression_checks(DAY, good_day, None, FAST))
    assert failed["telemetry:long_short_analysis.json"].startswith(reason)


def test_empty_arrays_are_not_empty_artifacts(home: Paths) -> None:
    """4.20.10: schema-valid with empty arrays (an empty day) passes; only missing keys/files fail."""
    build_bundle(DAY, home)
    assert all(c["ok"] for c in telemetry_checks(DAY, home))


def test_wrong_classification_value_fails(good_day: Paths) -> None:
    path = _computed(good_day, "entry_parity_details.json")
    data = json.loads(path.read_text())
    data["rows"][0]["classification"] = "kinda_close"
    path.write_text(json.dumps(data))
    assert "telemetry:entry_parity_details.json" in _failed(run_regression_checks(DAY, good_day, None, FAST))


def test_no_bundle_for_the_day_fails(home: Paths) -> None:
    failed = _failed(run_regression_checks(DAY, home, None, FAST))
    assert "telemetry:bundle_dir" in failed and len(failed) == 17


def test_unknown_group_is_reported(good_day: Paths) -> None:
    res = run_regression_checks(DAY, good_day, None, {"skip": [*FAST["skip"], "nonsense"]})
    assert res["ok"] is False and "options:skip" in _failed(res)


def test_state_self_heal_checks_pass_with_the_real_loader() -> None:
    checks = state_self_heal_checks()
    assert len(checks) == 3 and all(c["ok"] for c in checks), checks


def test_spec_checks_not_importable_is_a_failed_check(good_day: Paths, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "src.uw.spec_checks", None)  # import now raises ImportError
    res = run_regression_checks(DAY, good_day, None, {"skip": ["import_audit", "state_self_heal"]})
    assert res["ok"] is False and "uw_spec:checks_importable" in _failed(res)


def _fake_repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(REPO_ROOT / "src", root / "src", ignore=shutil.ignore_patterns("__pycache__"))
    (root / "unusual_whales_api").mkdir()
    shutil.copy(REPO_ROOT / "unusual_whales_api" / "api_spec.yaml", root / "unusual_whales_api" / "api_spec.yaml")
    return root


@pytest.mark.skipif(not HAS_SPEC_CHECKS, reason="src.uw.spec_checks not written yet")
def test_spec_missing_fails(good_day: Paths, tmp_path: Path) -> None:
    root = _fake_repo(tmp_path)
    (root / "unusual_whales_api" / "api_spec.yaml").unlink()
    res = run_regression_checks(DAY, good_day, None, {"skip": ["import_audit", "state_self_heal"], "repo_root": root})
    assert res["ok"] is False
    assert any(n.startswith("uw_spec:") for n in _failed(res))


@pytest.mark.skipif(not HAS_SPEC_CHECKS, reason="src.uw.spec_checks not written yet")
def test_unknown_uw_path_in_code_fails(good_day: Paths, tmp_path: Path) -> None:
    root = _fake_repo(tmp_path)
    good = run_regression_checks(DAY, good_day, None, {"skip": ["import_audit", "state_self_heal"], "repo_root": root})
    assert good["ok"] is True, good["message"]
    (root / "src" / "uw" / "rogue.py").write_text('URL = "/api/stock/{ticker}/totally-made-up-endpoint"\n')
    res = run_regression_checks(DAY, good_day, None, {"skip": ["import_audit", "state_self_heal"], "repo_root": root})
    assert res["ok"] is False
    assert any(n.startswith("uw_spec:") for n in _failed(res))
