"""Fixtures for the v1 integration tests (the harness itself lives in sim_harness.py)."""

from tests.integration.engine.sim_harness import sim  # noqa: F401 - re-exported fixture
