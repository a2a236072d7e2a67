"""Contract 4.8: the official spec is present at unusual_whales_api/api_spec.yaml; the client rejects any
endpoint not in it with event_type="uw_invalid_endpoint_attempt" and ValueError before rate limiting,
caching or network; regression fails on a missing/corrupt/small spec or a code path not in the spec;
no code bypasses uw_client for UW HTTP calls.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from src.core.paths import REPO_ROOT
from src.core.settings import Settings
from src.uw.spec_checks import run_spec_checks, uw_paths_in_source
from src.uw.uw_client import UWClient
from tests.conftest import events


def _by_name(results):
    return {r["name"]: r for r in results}


def test_repository_passes_every_spec_check():
    results = run_spec_checks(REPO_ROOT)
    assert {r["name"] for r in results} >= {
        "uw_spec_present", "uw_spec_parses", "uw_spec_path_count", "uw_static_path_audit", "uw_client_only_http",
    }  # fmt: skip
    failed = [r for r in results if not r["ok"]]
    assert failed == [], failed


def _fake_repo(tmp_path: Path, spec_text: str | None, code: dict[str, str]) -> Path:
    root = tmp_path / "repo"
    (root / "unusual_whales_api").mkdir(parents=True)
    if spec_text is not None:
        (root / "unusual_whales_api" / "api_spec.yaml").write_text(spec_text)
    for rel, text in code.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def test_missing_corrupt_or_small_spec_fails(tmp_path):
    assert not _by_name(run_spec_checks(_fake_repo(tmp_path / "a", None, {})))["uw_spec_present"]["ok"]
    corrupt = run_spec_checks(_fake_repo(tmp_path / "b", "paths: [unclosed", {}))
    assert not _by_name(corrupt)["uw_spec_parses"]["ok"]
    small = "openapi: 3.0.0\npaths:\n  /api/market/market-tide:\n    get: {responses: {}}\n"
    assert not _by_name(run_spec_checks(_fake_repo(tmp_path / "c", small, {})))["uw_spec_path_count"]["ok"]


def test_static_audit_catches_literals_fstrings_and_format_templates(tmp_path):
    spec = (REPO_ROOT / "unusual_whales_api" / "api_spec.yaml").read_text()
    code = {
        "src/ok.py": 'A = "/api/stock/{ticker}/greek-exposure"\nB = f"/api/darkpool/{sym}"\nC = "/api/stock/"\n',
        "src/bad_literal.py": 'X = "/api/stock/AAPL/flow-everything"\n',
        "services/bad_fstring.py": 'def f(t):\n    return f"/api/stocks/{t}/greeks"\n',
        "scripts/bad_format.py": 'P = "/api/market/{}/sector-tidal".format("x")\n',
    }
    audit = _by_name(run_spec_checks(_fake_repo(tmp_path, spec, code)))["uw_static_path_audit"]
    assert not audit["ok"]
    for bad in ("bad_literal.py:1", "bad_fstring.py:2", "bad_format.py:1"):
        assert bad in audit["detail"]
    assert "ok.py" not in audit["detail"]


def test_http_bypass_is_detected(tmp_path):
    spec = (REPO_ROOT / "unusual_whales_api" / "api_spec.yaml").read_text()
    code = {"src/sneaky.py": 'import requests\nrequests.get("https://api.unusualwhales.com/api/darkpool/recent")\n'}
    res = _by_name(run_spec_checks(_fake_repo(tmp_path, spec, code)))["uw_client_only_http"]
    assert not res["ok"] and "src/sneaky.py" in res["detail"]


def test_path_finder_reads_templates():
    found = [p for _, p in uw_paths_in_source('x = f"/api/stock/{t}/iv-rank?date={d}"\ny = "not a path /api/x"\n')]
    assert found == ["/api/stock/{}/iv-rank"]


@pytest.mark.parametrize(
    ("path", "params"),
    [("/api/stock/AAPL/hallucinated", None), ("/api/market/market-tide", {"bogus": 1}), ("/api/darkpool/..", None)],
)
def test_client_rejects_before_limiter_cache_or_network(home, path, params):
    class NoNetwork:
        def get(self, *a, **k):  # pragma: no cover - must never be called
            raise AssertionError("network reached")

    client = UWClient(Settings(uw_api_key="k-4-8", uw_base_url="http://127.0.0.1:9"), home, session=NoNetwork())
    with pytest.raises(ValueError):
        client.get(path, params=params)
    assert len(events(home, "uw_invalid_endpoint_attempt")) == 1
    assert not home.uw_usage_state.exists() and not any(home.uw_cache_dir.rglob("*.json"))


def test_generator_is_deterministic(tmp_path):
    import subprocess
    import sys

    src = REPO_ROOT.parent / "shared" / "reference" / "unusual_whales_openapi.yaml"  # ../shared beside the clone
    if not src.exists():
        pytest.skip("official copy not available here")
    outs = []
    for i in range(2):
        out = tmp_path / f"spec{i}.yaml"
        subprocess.run(
            [sys.executable, str(REPO_ROOT / "scripts" / "update_uw_spec.py"), "--from", str(src), "--out", str(out)],
            check=True, capture_output=True,
        )  # fmt: skip
        outs.append(out.read_bytes())
    assert outs[0] == outs[1] == (REPO_ROOT / "unusual_whales_api" / "api_spec.yaml").read_bytes()
    shutil.rmtree(tmp_path, ignore_errors=True)
