from __future__ import annotations

import multiprocessing as mp
import os

import orjson

from src.core.jsonio import JsonlStats, append_jsonl, atomic_write_json, iter_jsonl, read_jsonl, tail_jsonl


def test_atomic_write_replaces_and_leaves_no_temp(tmp_path):
    p = tmp_path / "a" / "x.json"
    atomic_write_json(p, {"b": 1, "a": [1, 2]})
    atomic_write_json(p, {"b": 2})
    assert orjson.loads(p.read_bytes()) == {"b": 2}
    assert os.listdir(p.parent) == ["x.json"]


def test_atomic_write_is_deterministic(tmp_path):
    atomic_write_json(tmp_path / "1.json", {"z": 1, "a": {"y": 2, "b": 3}})
    atomic_write_json(tmp_path / "2.json", {"a": {"b": 3, "y": 2}, "z": 1})
    assert (tmp_path / "1.json").read_bytes() == (tmp_path / "2.json").read_bytes()


def test_reader_skips_torn_and_garbage_lines(tmp_path):
    p = tmp_path / "log.jsonl"
    append_jsonl(p, {"n": 1})
    with open(p, "ab") as fh:
        fh.write(b"not json\n[1,2]\n\n")
    append_jsonl(p, {"n": 2})
    with open(p, "ab") as fh:
        fh.write(b'{"n": 3, "tor')  # torn last line
    rows, skipped = read_jsonl(p)
    assert [r["n"] for r in rows] == [1, 2]
    assert skipped == 3
    stats = JsonlStats()
    assert len(list(iter_jsonl(p, stats))) == 2 and stats.lines == 5


def test_reader_on_missing_file(tmp_path):
    assert read_jsonl(tmp_path / "nope.jsonl") == ([], 0)
    assert tail_jsonl(tmp_path / "nope.jsonl", 3) == []


def _writer(path: str, wid: int, n: int) -> None:
    for i in range(n):
        append_jsonl(path, {"w": wid, "i": i, "pad": "x" * 9000})  # above PIPE_BUF: the lock must hold


def test_concurrent_appends_never_interleave(tmp_path):
    p = tmp_path / "c.jsonl"
    procs = [mp.get_context("fork").Process(target=_writer, args=(str(p), w, 200)) for w in range(4)]
    for pr in procs:
        pr.start()
    for pr in procs:
        pr.join(60)
    rows, skipped = read_jsonl(p)
    assert skipped == 0
    assert len(rows) == 800
    for w in range(4):
        assert [r["i"] for r in rows if r["w"] == w] == list(range(200))


def test_tail(tmp_path):
    p = tmp_path / "t.jsonl"
    for i in range(50):
        append_jsonl(p, {"i": i})
    assert [r["i"] for r in tail_jsonl(p, 3)] == [47, 48, 49]
    assert [r["i"] for r in tail_jsonl(p, 2, max_bytes=30)] == [48, 49]
