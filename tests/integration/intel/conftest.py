"""The UW simulator fixture for intel integration tests (shared with the contract tests)."""

from __future__ import annotations

from tests.contract.intel_support import no_network, uw_sim  # noqa: F401 - re-exported fixtures
