"""Exit rules: a pure decision per open position, first matching rule wins.

Order matters and follows the original system: protective exits (stop, trailing stop) before
the profit target, then the clock (flatten before close, time limit, stale trade), then the
signal (score decay, flow reversal). The step turns a decision into an order and logs the
reason; this module only decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from src.engine.config import StrategyV1Config
from src.engine.positions import Position

STOP_LOSS = "stop_loss"
TRAILING_STOP = "trailing_stop"
PROFIT_TARGET = "profit_target"
FLATTEN_BEFORE_CLOSE = "flatten_before_close"
TIME_EXIT = "time_exit"
STALE_TRADE = "stale_trade"
SCORE_DECAY = "score_decay"
FLOW_REVERSAL = "flow_reversal"


@dataclass(frozen=True)
class ExitDecision:
    reason: str
    pnl_pct: float
    detail: str = ""


def pnl_pct(side: str, entry: float, price: float) -> float:
    if entry <= 0:
        return 0.0
    move = (price - entry) / entry
    return move if side == "long" else -move


def update_high_water(pos: Position, price: float) -> float:
    """Best price in the position's favour: highest for a long, lowest for a short."""
    hw = pos.high_water if pos.high_water > 0 else pos.entry_price
    return max(hw, price) if pos.side == "long" else min(hw, price)


def evaluate_exit(
    pos: Position,
    price: float | None,
    now: datetime,
    cfg: StrategyV1Config,
    *,
    current_score: float | None = None,
    current_direction: str | None = None,
    minutes_to_close: float | None = None,
) -> ExitDecision | None:
    """The reason to close `pos` now, or None to keep it."""
    if price is None or price <= 0 or pos.entry_price <= 0:
        return None
    x = cfg.exits
    pnl = pnl_pct(pos.side, pos.entry_price, price)
    if pnl <= -x.stop_loss_pct:
        return ExitDecision(STOP_LOSS, pnl, f"pnl {pnl:.4%} <= -{x.stop_loss_pct:.4%}")
    hw = update_high_water(pos, price)
    retrace = (hw - price) / hw if pos.side == "long" else (price - hw) / hw
    if hw != pos.entry_price and retrace >= x.trailing_stop_pct - 1e-12:
        return ExitDecision(TRAILING_STOP, pnl, f"retrace {retrace:.4%} from {hw}")
    if pnl >= x.profit_target_pct:
        return ExitDecision(PROFIT_TARGET, pnl, f"pnl {pnl:.4%} >= {x.profit_target_pct:.4%}")
    if x.flatten_before_close and minutes_to_close is not None and minutes_to_close <= x.flatten_minutes_before_close:
        return ExitDecision(FLATTEN_BEFORE_CLOSE, pnl, f"{minutes_to_close:.1f} min to close")
    entered = pos.entry_dt()
    held_min = (now - entered).total_seconds() / 60.0 if entered else 0.0
    if held_min >= x.time_exit_minutes:
        return ExitDecision(TIME_EXIT, pnl, f"held {held_min:.1f} min")
    if held_min >= x.stale_after_minutes and pnl < x.stale_min_pnl_pct:
        return ExitDecision(STALE_TRADE, pnl, f"held {held_min:.1f} min, pnl {pnl:.4%}")
    if x.exit_on_flow_reversal and current_direction in ("long", "short") and current_direction != pos.side:
        return ExitDecision(FLOW_REVERSAL, pnl, f"flow now {current_direction}")
    if current_score is not None and pos.entry_score > 0 and current_score < x.score_decay_ratio * pos.entry_score:
        return ExitDecision(
            SCORE_DECAY, pnl, f"score {current_score:.3f} < {x.score_decay_ratio} x {pos.entry_score:.3f}"
        )
    return None
