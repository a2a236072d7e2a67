"""The v2 shadow trader's decisions: pure, from plain per-symbol views, never an order.

One call per engine cycle: every open position is checked for an exit (stop, trailing stop,
dynamic target, exit score, max hold) or a replacement, then the best-scoring candidates
are entered while the book has room. Each decision taken or refused becomes a journal row
(`logs/shadow_trades.jsonl`) carrying its inputs; exits also carry their exit attribution
and master-trade records. Fills are simulated at the quote v1 saw, moved by the slippage model.

A view (one per symbol) holds: symbol, price, v2_score, v1_score, direction, components,
uw_adjustments, regime, regime_confidence, sector, sector_multiplier, vol_pct, snapshot
(the exit-score snapshot, see exit_score_v2), thesis_flags, inputs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from src.exit.exit_attribution import build_exit_attribution, iso, parse_ts, realized_pnl
from src.exit.exit_score_v2 import compute_exit_score, num, side_sign
from src.exit.models import ExitV2Config
from src.exit.profit_targets_v2 import compute_profit_target, target_hit
from src.exit.replacement_logic_v2 import decide_replacement
from src.exit.stops_v2 import compute_stop, stop_hit
from src.shadow.config import ShadowV2Config
from src.shadow.state import SHADOW_SCHEMA_VERSION, ShadowPosition, ShadowState, apply_decision, prune_cooldowns

View = Mapping[str, Any]


def fill_price(quote: float, buy: bool, cfg: ShadowV2Config, vol_pct: float | None = None) -> float:
    """The simulated fill: the quote moved against us by the slippage model."""
    s = cfg.slippage
    pct = 0.0
    if s.model == "fixed_bps":
        pct = s.bps / 100.0
    elif s.model == "vol_scaled":
        pct = s.bps / 100.0 + (vol_pct or 0.0) * s.vol_fraction
    return round(quote * (1.0 + pct / 100.0) if buy else quote * (1.0 - pct / 100.0), 6)


def size_for(score: float, price: float, cfg: ShadowV2Config) -> int:
    z = cfg.sizing
    pct = z.high_pct if score > z.high_score else z.low_pct if score < z.low_score else z.base_pct
    return max(0, math.floor(z.equity_usd * pct / 100.0 / price)) if price > 0 else 0


def signals_of(view: View) -> list[str]:
    """Names of the signal families that pushed the entry (positive v1 components, v2 adjustments)."""
    comps = view.get("components") if isinstance(view.get("components"), Mapping) else {}
    adj = view.get("uw_adjustments") if isinstance(view.get("uw_adjustments"), Mapping) else {}
    out = [str(k) for k, v in comps.items() if (num(v) or 0) > 0]
    out += [f"uw:{k}" for k, v in adj.items() if (num(v) or 0) > 0]
    return sorted(out)


def master_trade_record(
    pos: ShadowPosition, exit_price: float, exit_ts: str, reason: str, pnl: float | None, exit_view: View
) -> dict[str, Any]:
    """Contract 4.20.11 line for one closed shadow trade."""
    return {
        "schema_version": SHADOW_SCHEMA_VERSION,
        "trade_id": pos.trade_id,
        "symbol": pos.symbol,
        "side": pos.side,
        "is_live": False,
        "is_shadow": True,
        "source": "shadow",
        "entry_ts": pos.entry_ts,
        "exit_ts": exit_ts,
        "entry_price": pos.entry_price,
        "exit_price": exit_price,
        "size": pos.qty,
        "realized_pnl_usd": pnl,
        "signals": list(pos.signals),
        "feature_snapshot": {
            "v2_score": pos.entry_v2_score,
            "v1_score": pos.entry_v1_score,
            "components": dict(pos.entry_components),
            "uw_adjustments": dict(pos.entry_uw_adjustments),
            "sector": pos.entry_sector,
            "vol_pct": pos.entry_vol_pct,
        },
        "regime_snapshot": {
            "entry_regime": pos.entry_regime,
            "entry_regime_confidence": pos.entry_regime_confidence,
            "exit_regime": exit_view.get("regime"),
            "exit_regime_confidence": exit_view.get("regime_confidence"),
        },
        "exit_reason": reason,
    }


class _Cycle:
    """Working state for one decide_cycle call."""

    def __init__(
        self,
        state: ShadowState,
        views: Mapping[str, View],
        now: datetime,
        cfg: ShadowV2Config,
        exit_cfg: ExitV2Config,
        cycle: int,
    ) -> None:
        self.state = state
        self.views = views
        self.now = now
        self.ts = iso(now)
        self.cfg = cfg
        self.exit_cfg = exit_cfg
        self.cycle = cycle
        self.rows: list[dict[str, Any]] = []
        self.entries = 0
        self.closed: set[str] = set()  # exited this cycle: not re-entered, not refused again
        self.previous_refusals = dict(state.last_refusals)
        self.refusals: dict[str, str] = {}

    def record(self, row: dict[str, Any]) -> dict[str, Any]:
        row.update(seq=self.state.last_seq + 1, ts=self.ts, cycle=self.cycle, schema_version=SHADOW_SCHEMA_VERSION)
        apply_decision(self.state, row, self.cfg.cooldown_minutes)
        self.rows.append(row)
        return row

    @staticmethod
    def base(view: View, action: str, side: str, price: float | None, reason: str) -> dict[str, Any]:
        return {
            "symbol": str(view.get("symbol") or "").upper(),
            "action": action,
            "side": side,
            "v2_score": num(view.get("v2_score")),
            "v1_score": num(view.get("v1_score")),
            "price": price,
            "quote": num(view.get("price")),
            "components": dict(view.get("components") or {}),
            "uw_adjustments": dict(view.get("uw_adjustments") or {}),
            "reason": reason,
            "regime": view.get("regime"),
            "sector": view.get("sector"),
            "inputs": dict(view.get("inputs") or {}),
        }

    # ---------------------------------------------------------------- exits
    def check_exits(self) -> None:
        for sym in sorted(self.state.positions):
            pos = self.state.positions.get(sym)
            view = self.views.get(sym) or {"symbol": sym}
            quote = num(view.get("price"))
            if pos is None or quote is None or quote <= 0:
                continue
            pos.last_price = quote
            better = (
                quote > (pos.water_mark or pos.entry_price)
                if side_sign(pos.side) > 0
                else quote < (pos.water_mark or pos.entry_price)
            )
            if pos.water_mark is None or better:
                pos.water_mark = quote
            pos.last_v2_score = num(view.get("v2_score"))
            self.evaluate_position(pos, view, quote)

    def evaluate_position(self, pos: ShadowPosition, view: View, quote: float) -> None:
        ex = self.exit_cfg
        now_snap = view.get("snapshot") if isinstance(view.get("snapshot"), Mapping) else {}
        score = compute_exit_score(
            pos.side,
            pos.entry_snapshot,
            now_snap,
            ex.score,
            entry_threshold=self.cfg.entry_threshold,
            thesis_flags=view.get("thesis_flags"),
        )
        pos.last_exit_score = score.score
        vol = num(view.get("vol_pct"))
        vol = vol if vol is not None else pos.entry_vol_pct
        regime = view.get("regime") or pos.entry_regime
        target = compute_profit_target(pos.entry_price, pos.side, vol, regime, ex)
        stop = compute_stop(pos.entry_price, pos.side, vol, regime, ex, water_mark=pos.water_mark)
        entry_ts = parse_ts(pos.entry_ts)
        held = None if entry_ts is None else (self.now - entry_ts).total_seconds() / 60.0
        reason = stop_hit(quote, pos.side, stop)
        if reason is None and target_hit(quote, pos.side, target):
            reason = "profit_target"
        if reason is None and score.score >= ex.exit_score_threshold:
            reason = "exit_score"
        if reason is None and ex.max_hold_minutes is not None and held is not None and held >= ex.max_hold_minutes:
            reason = "max_hold"
        plan = {"target": target.model_dump(), "stop": stop.model_dump(), "held_minutes": held}
        if reason is not None:
            self.close(pos, view, quote, reason, score, plan, None)
            return
        rep = decide_replacement(
            pos.symbol,
            score.score,
            view.get("v2_score"),
            held,
            self.eligible(),
            ex.replacement,
            held_symbols=self.state.positions.keys(),
        )
        if rep.replace and rep.candidate:
            cand = self.views.get(rep.candidate) or {}
            self.close(pos, view, quote, "replacement", score, plan, rep)
            self.enter(cand, reason=f"replacement_for:{pos.symbol}", forced=True)

    def close(
        self,
        pos: ShadowPosition,
        view: View,
        quote: float,
        reason: str,
        score: Any,
        plan: dict[str, Any],
        replacement: Any,
    ) -> None:
        price = fill_price(quote, buy=side_sign(pos.side) < 0, cfg=self.cfg, vol_pct=num(view.get("vol_pct")))
        pnl, pnl_pct = realized_pnl(pos.side, pos.entry_price, price, pos.qty)
        now_snap = view.get("snapshot") if isinstance(view.get("snapshot"), Mapping) else {}
        attribution = build_exit_attribution(
            symbol=pos.symbol,
            side=pos.side,
            trade_id=pos.trade_id,
            entry_price=pos.entry_price,
            exit_price=price,
            qty=pos.qty,
            entry_ts=pos.entry_ts,
            exit_ts=self.ts,
            exit_reason=reason,
            entry_regime=pos.entry_regime,
            exit_regime=view.get("regime"),
            entry_sector_profile=pos.entry_sector,
            exit_sector_profile=view.get("sector"),
            exit_score=score,
            replacement=replacement,
            extra={
                "entry_v2_score": pos.entry_v2_score,
                "exit_v2_score": num(view.get("v2_score")),
                "target": plan["target"],
                "stop": plan["stop"],
                "exit_quote": quote,
                "entry_snapshot": dict(pos.entry_snapshot),
                "exit_snapshot": dict(now_snap),
            },
        )
        row = self.base(view, "replacement" if reason == "replacement" else "exit", pos.side, price, reason)
        row.update(
            trade_id=pos.trade_id,
            qty=pos.qty,
            pnl=pnl,
            pnl_pct=pnl_pct,
            exit_score=score.score,
            exit_components=score.components,
            plan=plan,
            attribution=attribution,
            master_trade=master_trade_record(pos, price, self.ts, reason, pnl, view),
        )
        self.closed.add(pos.symbol)
        if replacement is not None:
            row["replacement_candidate"] = replacement.candidate
            row["replacement_reasoning"] = replacement.reasoning
        self.record(row)

    # ---------------------------------------------------------------- entries
    def eligible(self) -> list[View]:
        out = []
        for sym, v in self.views.items():
            score, price = num(v.get("v2_score")), num(v.get("price"))
            direction = str(v.get("direction") or "none")
            if score is None or score < self.cfg.entry_threshold or direction not in ("long", "short"):
                continue
            if direction == "short" and self.cfg.long_only:
                continue
            if sym in self.state.positions or sym in self.state.cooldown_until or price is None or price <= 0:
                continue
            out.append(v)
        return out

    def refuse(self, view: View, side: str, reason: str) -> None:
        sym = str(view.get("symbol") or "").upper()
        repeated = self.previous_refusals.get(sym) == reason
        self.refusals[sym] = reason
        if self.cfg.log_refusals and not repeated:
            self.record(self.base(view, "refused", side, num(view.get("price")), reason))

    def run_entries(self) -> None:
        ranked = sorted(
            (v for v in self.views.values() if (num(v.get("v2_score")) or 0) >= self.cfg.entry_threshold),
            key=lambda v: (-(num(v.get("v2_score")) or 0), str(v.get("symbol"))),
        )
        for view in ranked:
            sym = str(view.get("symbol") or "").upper()
            if sym in self.state.positions or sym in self.closed:
                continue
            self.enter(view, reason="v2_score_above_threshold")

    def enter(self, view: View, reason: str, forced: bool = False) -> None:
        sym = str(view.get("symbol") or "").upper()
        direction = str(view.get("direction") or "none")
        side = direction if direction in ("long", "short") else "long"
        quote = num(view.get("price"))
        score = num(view.get("v2_score")) or 0.0
        refusal = None
        if direction not in ("long", "short"):
            refusal = "no_direction"
        elif direction == "short" and self.cfg.long_only:
            refusal = "long_only"
        elif sym in self.state.cooldown_until:
            refusal = "cooldown"
        elif quote is None or quote <= 0:
            refusal = "no_price"
        elif not forced and len(self.state.positions) >= self.cfg.max_positions:
            refusal = "max_positions"
        elif not forced and self.entries >= self.cfg.max_entries_per_cycle:
            refusal = "max_entries_per_cycle"
        if refusal is None and quote is not None:
            vol = num(view.get("vol_pct"))
            price = fill_price(quote, buy=side == "long", cfg=self.cfg, vol_pct=vol)
            qty = size_for(score, price, self.cfg)
            if qty <= 0:
                refusal = "size_zero"
        if refusal is not None:
            self.refuse(view, side, refusal)
            return
        seq = self.state.last_seq + 1
        pos = ShadowPosition(
            trade_id=f"shadow-{sym}-{self.now.strftime('%Y%m%dT%H%M%S')}-{seq}",
            symbol=sym,
            side=side,
            qty=float(qty),
            entry_price=price,
            entry_quote=quote,
            entry_ts=self.ts,
            entry_seq=seq,
            entry_v2_score=score,
            entry_v1_score=num(view.get("v1_score")),
            entry_regime=view.get("regime"),
            entry_regime_confidence=num(view.get("regime_confidence")),
            entry_sector=view.get("sector"),
            entry_vol_pct=vol,
            entry_snapshot=dict(view.get("snapshot") or {}),
            entry_components=dict(view.get("components") or {}),
            entry_uw_adjustments=dict(view.get("uw_adjustments") or {}),
            signals=signals_of(view),
            water_mark=quote,
            last_price=quote,
            last_v2_score=score,
        )
        row = self.base(view, "entry", side, price, reason)
        row.update(trade_id=pos.trade_id, qty=pos.qty, position=pos.model_dump(mode="json"))
        self.record(row)
        self.entries += 1


def decide_cycle(
    state: ShadowState,
    views: Mapping[str, View],
    now: datetime,
    cfg: ShadowV2Config,
    exit_cfg: ExitV2Config,
    cycle: int = 0,
) -> tuple[ShadowState, list[dict[str, Any]]]:
    """(new state, journal rows in order). The input state is not modified."""
    work = state.model_copy(deep=True)
    prune_cooldowns(work, now)
    c = _Cycle(work, views, now, cfg, exit_cfg, cycle)
    c.check_exits()
    c.run_entries()
    work.last_refusals = c.refusals
    work.cycles += 1
    work.updated_at = iso(now)
    return work, c.rows
