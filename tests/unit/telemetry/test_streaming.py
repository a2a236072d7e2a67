"""The streamed details writer and the folded accumulators must give exactly what the plain
paths give: byte-identical files and bit-identical sums (the bundle's idempotency rests on it)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from src.core.jsonio import atomic_write_json
from src.telemetry.jsonstream import JsonListWriter
from src.telemetry.perf import PerfAcc, PerfColumns


def _rows(n: int, rng: random.Random) -> list[dict]:
    return [{"symbol": f"S{i % 3}", "v1": rng.uniform(-5, 5) if i % 4 else None, "tags": ["a", "b"][: i % 3],
             "nested": {"x": i, "y": []}, "text": 'quote " and newline \n'} for i in range(n)]


@pytest.mark.parametrize("n,chunk", [(0, 1), (1, 1), (7, 1), (7, 3), (50, 50)])
def test_streamed_list_is_byte_identical_to_atomic_write_json(tmp_path: Path, n: int, chunk: int) -> None:
    rows = _rows(n, random.Random(n))
    head = {"day": "2026-03-04", "allowed": ["x", "y"], "flag": True}
    atomic_write_json(tmp_path / "plain.json", {**head, "rows": rows})
    w = JsonListWriter(tmp_path / "streamed.json", head, "rows")
    for i in range(0, n, chunk):
        w.add_many(rows[i:i + chunk])
    w.commit()
    assert (tmp_path / "streamed.json").read_bytes() == (tmp_path / "plain.json").read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plain.json", "streamed.json"]  # no temp left


def test_aborted_writer_leaves_nothing(tmp_path: Path) -> None:
    with JsonListWriter(tmp_path / "out.json", {"day": "d"}, "rows") as w:
        w.add({"a": 1})
    assert list(tmp_path.iterdir()) == []


def test_list_key_must_sort_last(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        JsonListWriter(tmp_path / "out.json", {"zzz": 1}, "rows")


def test_folded_columns_equal_one_by_one_accumulation() -> None:
    rng = random.Random(3)
    cols, accs = PerfColumns(), [PerfAcc() for _ in range(4)]
    for _ in range(5000):
        key, pnl = rng.randrange(4), rng.choice([0.0, round(rng.gauss(0, 250), 2), rng.gauss(0, 1e-3)])
        cols.add(key, pnl)
        accs[key].add(pnl)
    assert cols.fold(4) == accs  # exact float equality, not approximate
