"""Contract 3: JSON reads self-heal (quarantine, minimal default, one event); state never crashes."""

from __future__ import annotations

import importlib
import os
import stat

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from src.core.jsonio import read_jsonl
from src.core.paths import Paths
from src.core.state import load_state, quarantine_path
from tests.contract.state_models import STATE_MODELS


def _model(dotted: str) -> type[BaseModel]:
    mod, _, name = dotted.partition(":")
    try:
        return getattr(importlib.import_module(mod), name)
    except (ImportError, AttributeError) as exc:
        pytest.skip(f"{dotted} not present: {exc}")


def _events(paths: Paths) -> list[dict]:
    return read_jsonl(paths.system_events)[0]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=10), kids, max_size=4),
    max_leaves=12,
)


@st.composite
def corrupt_inputs(draw, valid: bytes):
    kind = draw(st.sampled_from(["bytes", "truncate", "json", "nest", "empty"]))
    if kind == "bytes":
        return draw(st.binary(min_size=1, max_size=200))
    if kind == "truncate" and len(valid) > 1:
        return valid[: draw(st.integers(0, len(valid) - 1))]
    if kind == "json":
        return orjson.dumps(draw(json_values))
    if kind == "nest":
        depth = draw(st.integers(1, 60))
        return b"[" * depth + b"]" * depth
    return draw(st.sampled_from([b"", b"   ", b"\n", b"\x00"]))


@pytest.mark.parametrize("dotted", STATE_MODELS)
def test_3_1_loader_never_raises_on_generated_corruption(dotted, tmp_path):
    """3.1/3.2: >=1,000 corrupt inputs per model: never raises; heals when invalid; one event each."""
    model = _model(dotted)
    valid = orjson.dumps(model().model_dump(mode="json", by_alias=True))
    paths = Paths(tmp_path / "home").ensure()
    target = paths.state / "subject.json"
    counter = {"n": 0}

    @settings(max_examples=1000, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    @given(corrupt_inputs(valid))
    def check(raw: bytes) -> None:
        for f in paths.state.glob("subject*"):
            f.unlink()
        if paths.system_events.exists():
            paths.system_events.unlink()
        target.write_bytes(raw)
        value = load_state(target, model, paths=paths)
        assert isinstance(value, model)
        quarantined = list(paths.state.glob("subject.corrupted.*.json"))
        events = _events(paths)
        if quarantined:
            counter["n"] += 1
            assert len(quarantined) == 1 and quarantined[0].read_bytes() == raw
            assert [e["event_type"] for e in events] == ["state_file_corrupted"]
            healed = model.model_validate(orjson.loads(target.read_bytes()))
            assert healed == model()
        else:
            assert events == [] and target.read_bytes() == raw  # it was valid: left untouched

    check()
    assert counter["n"] >= 500  # most generated inputs really were corrupt


@pytest.mark.parametrize("dotted", STATE_MODELS)
def test_3_1_missing_file_gives_default_without_event(dotted, home):
    model = _model(dotted)
    assert load_state(home.state / "none.json", model, paths=home) == model()
    assert _events(home) == []


def test_3_1_directory_in_place_of_file(home):
    from src.engine.models import Heartbeat

    target = home.state / "bot_heartbeat.json"
    target.mkdir()
    (target / "inner").write_text("x")
    assert load_state(target, Heartbeat, paths=home) == Heartbeat()
    assert target.is_file()
    assert len(list(home.state.glob("bot_heartbeat.corrupted.*.json"))) == 1
    assert [e["event_type"] for e in _events(home)] == ["state_file_corrupted"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file regardless of mode")
def test_3_1_unreadable_file(home):
    from src.engine.models import Heartbeat

    target = home.state / "bot_heartbeat.json"
    target.write_text("{}")
    target.chmod(0)
    assert load_state(target, Heartbeat, paths=home) == Heartbeat()
    assert target.stat().st_mode & stat.S_IRUSR


def test_3_1_two_quarantines_in_one_second_never_overwrite(home):
    from src.engine.models import Heartbeat

    target = home.state / "bot_heartbeat.json"
    for i in range(3):
        target.write_bytes(f"garbage {i}".encode())
        load_state(target, Heartbeat, paths=home)
    q = sorted(home.state.glob("bot_heartbeat.corrupted.*.json"))
    assert sorted(p.read_bytes() for p in q) == [b"garbage 0", b"garbage 1", b"garbage 2"]
    assert quarantine_path(target).name.startswith("bot_heartbeat.corrupted.")
