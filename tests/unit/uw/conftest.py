"""UW unit-test fixtures: the counting UW stand-in lives with the integration fixtures (one copy)."""

from tests.integration.uw.conftest import (  # noqa: F401 - re-exported fixtures
    CountingServer,
    make_settings,
    paths,
    settings_for,
    uw_server,
)
