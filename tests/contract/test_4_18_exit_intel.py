"""Contract 4.18 (Exit Intelligence, v2, shadow-only):
- v1 exit logic is sacred and MUST NOT be modified; v2 exit logic is shadow-only: it MUST never
  submit live exit orders and MUST log every exit decision and its attribution;
- exit attribution engine src/exit/exit_attribution.py -> logs/exit_attribution.jsonl (append-only);
- exit score src/exit/exit_score_v2.py MUST combine UW/sector/regime + deterioration metrics +
  thesis flags (best-effort);
- dynamic targets/stops (src/exit/profit_targets_v2.py, src/exit/stops_v2.py) MUST be used by v2
  exit decisions when inputs are available (best-effort);
- replacement (src/exit/replacement_logic_v2.py) MUST require exit_score above threshold AND a
  superior candidate per margin;
- scripts/run_premarket_exit_intel.py -> state/premarket_exit_intel.json,
  scripts/run_postmarket_exit_intel.py -> state/postmarket_exit_intel.json,
  scripts/run_exit_intel_pnl.py -> state/exit_intel_pnl_summary.json + reports/EXIT_INTEL_PNL_YYYY-MM-DD.md,
  scripts/run_exit_day_summary.py -> reports/EXIT_DAY_SUMMARY_YYYY-MM-DD.md.
v1 unchanged with shadow on/off: tests/integration/shadow/test_shadow_session.py."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

from src.core.jsonio import read_jsonl
from src.core.paths import REPO_ROOT, Paths
from src.exit.exit_score_v2 import compute_exit_score
from src.exit.models import EXIT_COMPONENTS, ExitV2Config
from src.exit.replacement_logic_v2 import decide_replacement
from src.shadow.config import ShadowV2Config
from src.shadow.state import ShadowState
from src.shadow.trader import decide_cycle
from tests.architecture.test_shadow_never_orders import imports_of

CFG = ExitV2Config()
T0 = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


def test_engines_live_at_contract_paths_and_leave_v1_exits_alone() -> None:
    for name in ("exit_attribution", "exit_score_v2", "profit_targets_v2", "stops_v2", "replacement_logic_v2"):
        path = REPO_ROOT / "src" / "exit" / f"{name}.py"
        assert path.is_file(), path
        # v2 exits never call into (or patch) v1's exit engine or its order path
        assert not {
            i
            for i in imports_of(path)
            if i.startswith(("src.engine.exits", "src.engine.steps", "src.engine.orders", "src.broker"))
        }


def test_exit_score_combines_uw_sector_regime_deterioration_and_thesis() -> None:
    entry = {
        "v2_score": 4,
        "regime": "risk_on",
        "sector_multiplier": 1.2,
        "vol_pct": 1.5,
        "flow_net_premium": 2e6,
        "darkpool_notional": 3e6,
        "sentiment": "BULLISH",
    }
    now = {
        "v2_score": 2,
        "regime": "risk_off",
        "sector_multiplier": 0.8,
        "vol_pct": 3.0,
        "flow_net_premium": -5e5,
        "darkpool_notional": 1e6,
        "sentiment": "BEARISH",
        "direction": "short",
    }
    s = compute_exit_score("long", entry, now, CFG.score, entry_threshold=2.7, thesis_flags={"earnings_soon": True})
    assert set(s.components) == set(EXIT_COMPONENTS) and all(v is not None and v > 0 for v in s.components.values())
    assert s.thesis_flags == {"direction_flip": True, "below_entry_threshold": True, "earnings_soon": True}
    assert s.score == 1.0 and s.missing == []


def _views(price: float, **extra):
    return {
        "AAA": {
            "symbol": "AAA",
            "price": price,
            "v2_score": 4.0,
            "direction": "long",
            "snapshot": {"v2_score": 4.0},
            **extra,
        }
    }


def test_dynamic_targets_and_stops_are_used_when_inputs_exist() -> None:
    cfg = ShadowV2Config()
    st, _ = decide_cycle(ShadowState(), _views(100.0, vol_pct=4.0, regime="high_volatility"), T0, cfg, CFG)
    # static stop (-1%) would fire at 98.9; the volatility-aware stop (4 x 0.6 x 1.3 = 3.12%) holds
    _, rows = decide_cycle(st, _views(98.9, vol_pct=4.0, regime="high_volatility"), T0 + timedelta(minutes=5), cfg, CFG)
    assert rows == []
    st2, _ = decide_cycle(ShadowState(), _views(100.0), T0, cfg, CFG)
    _, rows = decide_cycle(st2, _views(98.9), T0 + timedelta(minutes=5), cfg, CFG)
    assert rows[0]["reason"] == "stop_loss" and rows[0]["plan"]["stop"]["source"] == "static"


def test_replacement_needs_threshold_and_margin() -> None:
    r = CFG.replacement
    strong = [{"symbol": "NEW", "v2_score": 9.0}]
    weak = [{"symbol": "NEW", "v2_score": 3.0 + r.score_margin - 0.01}]
    assert not decide_replacement("OLD", r.exit_score_threshold - 0.01, 3.0, 60, strong, r).replace
    assert not decide_replacement("OLD", 1.0, 3.0, 60, weak, r).replace
    assert decide_replacement("OLD", r.exit_score_threshold, 3.0, 60, strong, r).replace


def test_every_exit_decision_is_logged_with_attribution(home: Paths) -> None:
    from src.shadow.step import shadow_step
    from tests.integration.shadow.fixtures import context, write_intel

    write_intel(home, T0, ["AAA"])
    eng: dict = {}
    shadow_step(context(home, T0, 1, {"AAA": 100.0}, {"AAA": 4.0}, eng))
    shadow_step(context(home, T0 + timedelta(minutes=9), 2, {"AAA": 90.0}, {"AAA": 4.0}, eng))
    journal, _ = read_jsonl(home.shadow_trades_log)
    exits = [r for r in journal if r["action"] in ("exit", "replacement")]
    att, _ = read_jsonl(home.exit_attribution_log)
    assert exits and [a["trade_id"] for a in att] == [e["trade_id"] for e in exits]


def test_exit_intel_scripts_write_their_contract_outputs(home: Paths) -> None:
    env = dict(os.environ, STOCKBOT_HOME=str(home.root))
    day = "2026-11-24"
    expected = {
        "run_premarket_exit_intel.py": [home.premarket_exit_intel],
        "run_postmarket_exit_intel.py": [home.postmarket_exit_intel],
        "run_exit_intel_pnl.py": [home.exit_intel_pnl_summary, home.report("EXIT_INTEL_PNL", day)],
        "run_exit_day_summary.py": [home.report("EXIT_DAY_SUMMARY", day)],
    }
    for script, outputs in expected.items():
        rc = subprocess.run(
            [sys.executable, str(REPO_ROOT / "scripts" / script), "--date", day],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            cwd=str(REPO_ROOT),
        )
        assert rc.returncode == 0, (script, rc.stdout, rc.stderr)
        for out in outputs:
            assert out.is_file() and out.stat().st_size > 0, out
