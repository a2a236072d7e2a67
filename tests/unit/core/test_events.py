from __future__ import annotations

import multiprocessing as mp
import os

from src.core.events import REDACTED, emit
from src.core.jsonio import read_jsonl
from src.core.paths import Paths


def test_event_shape(home):
    rec = emit("engine", "something_failed", "error", step="score", n=3)
    rows, _ = read_jsonl(home.system_events)
    assert rows == [rec]
    assert set(rec) == {"ts", "subsystem", "event_type", "severity", "pid", "details"}
    assert rec["pid"] == os.getpid() and rec["details"] == {"step": "score", "n": 3}


def test_emit_never_raises_when_unwritable(tmp_path, monkeypatch, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("STOCKBOT_HOME", str(blocker))  # logs/ cannot be created under a file
    assert emit("engine", "x") is None
    assert "event emit failed" in capsys.readouterr().err


def test_emit_survives_unserializable_details(home):
    class Weird:
        def __repr__(self) -> str:
            raise RuntimeError("no repr")

        def __str__(self) -> str:
            return "weird"

    assert emit("engine", "odd", obj=Weird())["details"]["obj"] == "weird"


def test_secrets_redacted(home, monkeypatch):
    monkeypatch.setenv("UW_API_KEY", "uwkey-abcdef-123")
    emit("uw", "boom", error="request to https://x?token=uwkey-abcdef-123 failed", api_key="whatever", headers={"Authorization": "Bearer uwkey-abcdef-123"})
    raw = home.system_events.read_text()
    assert "uwkey-abcdef-123" not in raw and "whatever" not in raw
    assert raw.count(REDACTED) == 3


def _spam(root: str, wid: int, n: int) -> None:
    for i in range(n):
        emit("t", "spam", "info", paths=Paths(__import__("pathlib").Path(root)), w=wid, i=i, pad="y" * 200)


def test_rotation_loses_no_line(home, monkeypatch):
    monkeypatch.setenv("STOCKBOT_EVENTS_MAX_BYTES", "20000")
    monkeypatch.setenv("STOCKBOT_EVENTS_BACKUPS", "50")
    procs = [mp.get_context("fork").Process(target=_spam, args=(str(home.root), w, 300)) for w in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    files = sorted(home.logs.glob("system_events.jsonl*"))
    assert len(files) > 5  # it did rotate
    seen = []
    for f in files:
        rows, skipped = read_jsonl(f)
        assert skipped == 0
        seen += [(r["details"]["w"], r["details"]["i"]) for r in rows]
    assert sorted(seen) == sorted((w, i) for w in range(3) for i in range(300))
