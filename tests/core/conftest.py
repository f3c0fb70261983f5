"""Fixtures of the core's tests."""

from __future__ import annotations

import pytest

from connectory.core import ConnectorType, UniversalConnectorFactory
from tests import fake_vendors as fv
from tests.local_server import LocalServer


@pytest.fixture
def factory(server: LocalServer) -> UniversalConnectorFactory:
    """A factory with the hand-written Slack-like connector, pointed at the local server."""
    factory = UniversalConnectorFactory(discover=False)
    factory.register_connector_implementation(
        ConnectorType.SLACK,
        fv.SlackConnector,
        fv.SlackAuthenticationService,
        fv.SlackDataService,
        fv.chat_config(server.url),
    )
    return factory
