"""``connector.webhooks``: the config's scheme, the ``webhook_secret`` option, the event table."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
from datetime import UTC, datetime
from typing import Any

import attrs
import httpx
import pytest

from connectory.connectors.box import BoxConnector
from connectory.connectors.box.models import WebhookInvocation
from connectory.connectors.github import CONFIG as GITHUB_CONFIG
from connectory.connectors.github import GitHubConnector
from connectory.connectors.github.models import WebhookIssuesOpened, WebhookPush
from connectory.connectors.hubspot import HubSpotConnector
from connectory.connectors.notion import NotionConnector
from connectory.connectors.zoom import ZoomConnector
from connectory.core import (
    BaseConnectorService,
    ConfigurationError,
    ConnectorConfig,
    ConnectorRegistration,
    redact,
)
from connectory.core._redact import MASK
from connectory.core.models import Model, decode, deviations, model
from connectory.core.webhooks import (
    ConnectorWebhooks,
    GitHubWebhook,
    InMemoryReplayGuard,
    InvalidPayloadError,
    ReplayedDeliveryError,
    UnknownWebhookEvent,
    WebhookEvents,
    WebhookRoute,
)
from tests.webhooks._deliveries import (
    awkward_secret,
    github_headers,
    github_issue_event,
    github_push,
    printed_forms,
)


def github(secret: str, **options: Any) -> GitHubConnector:
    return GitHubConnector(access_token="ghp_example", webhook_secret=secret, **options)


def deliver(connector: BaseConnectorService, secret: str, payload: Any, event: str | None) -> Any:
    body = json.dumps(payload).encode()
    return connector.webhooks.unwrap(github_headers(secret, body, event), body)


# -- the config -----------------------------------------------------------------------------


def test_config_takes_a_known_scheme_and_then_supports_webhooks() -> None:
    config = ConnectorConfig(
        connector_type="acme",
        authentication_type="none",
        base_url="https://acme.test",
        webhook_scheme=" Stripe ",
    )
    assert (config.webhook_scheme, config.webhook_support) == ("stripe", True)
    assert config.evolve(timeout=5).webhook_scheme == "stripe"
    plain = ConnectorConfig(
        connector_type="acme", authentication_type="none", base_url="https://acme.test"
    )
    assert (plain.webhook_scheme, plain.webhook_support) == (None, False)


def test_an_unknown_scheme_is_refused_naming_the_field_and_the_valid_ones() -> None:
    with pytest.raises(
        ConfigurationError, match=r"webhook_scheme: unknown scheme 'gihtub'.*github"
    ):
        GITHUB_CONFIG.evolve(webhook_scheme="gihtub")


def test_generated_configs_name_their_schemes() -> None:
    assert GITHUB_CONFIG.webhook_scheme == "github"
    assert HubSpotConnector().config.webhook_scheme == "hubspot"


# -- the option -------------------------------------------------------------------------------


def test_no_secret_is_a_clear_error_naming_the_option() -> None:
    connector = GitHubConnector(access_token="ghp_example")
    with pytest.raises(ConfigurationError, match="needs the webhook_secret option"):
        _ = connector.webhooks


def test_a_connector_without_a_scheme_says_so() -> None:
    connector = NotionConnector(integration_token="secret_example")
    with pytest.raises(
        ConfigurationError, match=r"no webhook scheme \(ConnectorConfig.webhook_scheme\)"
    ):
        _ = connector.webhooks
    with pytest.raises(
        ConfigurationError, match="webhook_secret: the connector has no webhook scheme"
    ):
        NotionConnector(webhook_secret="a-webhook-secret")


@pytest.mark.parametrize(
    ("secret", "message"),
    [
        (("one-secret", "two-secret"), "the github scheme takes one secret"),
        ("", "non-empty string"),
        (b"bytes-secret", "got bytes"),
        (("ok-secret", 7), "got tuple"),
    ],
)
def test_a_malformed_secret_fails_at_construction(secret: Any, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message) as caught:
        github(secret)
    assert "one-secret" not in str(caught.value)
    assert "bytes-secret" not in str(caught.value)


def test_the_secret_is_masked_while_the_connector_lives(caplog: pytest.LogCaptureFixture) -> None:
    secret = awkward_secret("wh")
    connector = github(secret)
    with caplog.at_level(logging.DEBUG, logger="connectory"):
        connector.logger.warning("delivery signed with %s (%r)", secret, secret)
    shown = [
        caplog.text,
        repr(connector),
        repr(connector.webhooks),
        repr(connector.webhooks.verifier),
    ]
    for form in printed_forms(secret):
        assert not any(form in text for text in shown), form
        assert form not in redact(f"echoed: {form}")
    assert MASK in caplog.text


def test_webhooks_is_built_once_and_shares_one_replay_guard() -> None:
    secret = awkward_secret("wh")
    connector = github(secret)
    assert connector.webhooks is connector.webhooks
    deliver(connector, secret, github_push(), "push")
    payload = github_push()
    deliver(connector, secret, payload, "push")
    with pytest.raises(ReplayedDeliveryError):
        deliver(connector, secret, payload, "push")


def test_a_shared_replay_guard_refuses_a_delivery_another_connector_accepted() -> None:
    guard = InMemoryReplayGuard()
    secret = awkward_secret("wh")
    first, second = (
        github(secret, webhook_replay_guard=guard),
        github(secret, webhook_replay_guard=guard),
    )
    payload = github_push()
    deliver(first, secret, payload, "push")
    with pytest.raises(ReplayedDeliveryError):
        deliver(second, secret, payload, "push")
    unguarded = github(secret, webhook_replay_guard=False)
    deliver(unguarded, secret, payload, "push")
    deliver(unguarded, secret, payload, "push")


def test_seed_style_connectors_from_the_factory_get_the_option_too() -> None:
    class Seed(BaseConnectorService):
        pass

    config = ConnectorConfig(
        connector_type="seedy",
        authentication_type="none",
        base_url="https://seed.test",
        webhook_scheme="github",
    )
    secret = awkward_secret("seed")
    registration = ConnectorRegistration(
        connector_type="seedy", connector_class=Seed, config=config
    )
    connector = registration.build(webhook_secret=secret)
    assert isinstance(connector.webhooks.verifier, GitHubWebhook)
    assert deliver(connector, secret, {"zen": "Keep it simple."}, "ping") == {
        "zen": "Keep it simple."
    }


# -- typed events -----------------------------------------------------------------------------


def test_github_dispatches_on_the_event_header_and_the_action() -> None:
    secret = awkward_secret("wh")
    connector = github(secret)
    assert type(deliver(connector, secret, github_push(), "push")) is WebhookPush
    opened = deliver(connector, secret, github_issue_event("opened", 7), "Issues")  # any case
    assert type(opened) is WebhookIssuesOpened
    assert opened.issue.number == 7
    labeled = deliver(connector, secret, github_issue_event("labeled"), "issues")
    assert labeled == UnknownWebhookEvent("issues", github_issue_event("labeled"))
    headerless = deliver(connector, secret, github_issue_event("opened"), None)
    assert type(headerless) is UnknownWebhookEvent
    assert headerless.event is None


def test_a_body_that_is_not_an_object_is_a_payload_error_not_a_wrong_type() -> None:
    secret = awkward_secret("wh")
    connector = github(secret)
    with pytest.raises(InvalidPayloadError, match="expected a WebhookPush event") as caught:
        deliver(connector, secret, [1, 2, 3], "push")
    assert caught.value.http_status == 400
    # conditions on the body cannot hold on a list: no route, so the parsed JSON is kept
    assert deliver(connector, secret, ["opened"], "issues") == UnknownWebhookEvent(
        "issues", ["opened"]
    )


@model
class Created(Model):
    type: str
    id: str


@model
class Envelope(Model):
    type: str


def test_routes_match_values_by_type_and_fall_back_to_the_envelope() -> None:
    events: WebhookEvents[Created | Envelope] = WebhookEvents(
        [WebhookRoute(Created, match={"type": ("thing.created",), "version": (1, 2)})],
        fallback=Envelope,
    )
    headers = httpx.Headers()
    created = events(headers, {"type": "thing.created", "version": 2, "id": "t1"})
    assert created == decode(Created, {"type": "thing.created", "version": 2, "id": "t1"})
    # True == 1 in Python, but JSON true is not the number 1
    other = events(headers, {"type": "thing.created", "version": True, "id": "t1"})
    assert type(other) is Envelope
    assert deviations(events(headers, {"type": 5})) != ()
    assert "fallback=Envelope" in repr(events)


def test_stripe_box_and_zoom_connectors_verify_their_vendors_schemes() -> None:
    # Box: two keys, either may sign; the delivery decodes into WebhookInvocation.
    primary, secondary = awkward_secret("box1"), awkward_secret("box2")
    box = BoxConnector(webhook_secret=(primary, secondary))
    body = json.dumps(
        {
            "type": "webhook_event",
            "id": "e1",
            "trigger": "FILE.UPLOADED",
            "source": {"id": "1", "type": "file"},
        }
    ).encode()
    delivered = datetime.now(UTC).isoformat(timespec="seconds")
    digest = hmac.new(secondary.encode(), body + delivered.encode(), hashlib.sha256).digest()
    headers = {
        "box-delivery-timestamp": delivered,
        "box-signature-secondary": base64.b64encode(digest).decode(),
    }
    invocation = box.webhooks.unwrap(headers, body)
    assert type(invocation) is WebhookInvocation
    assert invocation.trigger == "FILE.UPLOADED"
    with pytest.raises(ConfigurationError, match="takes up to 2 values"):
        BoxConnector(webhook_secret=("a-key", "b-key", "c-key"))

    # Zoom: untyped, and the verifier answers the endpoint check.
    secret = awkward_secret("zoom")
    zoom = ZoomConnector(webhook_secret=secret)
    body = json.dumps(
        {"event": "endpoint.url_validation", "payload": {"plainToken": "abc123"}}
    ).encode()
    ts = str(int(time.time()))
    signature = hmac.new(secret.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()
    event = zoom.webhooks.unwrap(
        {"x-zm-request-timestamp": ts, "x-zm-signature": f"v0={signature}"}, body
    )
    answer = zoom.webhooks.verifier.url_validation_response(event)  # type: ignore[attr-defined]
    assert answer == {
        "plainToken": "abc123",
        "encryptedToken": hmac.new(secret.encode(), b"abc123", hashlib.sha256).hexdigest(),
    }


def test_hubspot_passes_method_and_url_through() -> None:
    secret = awkward_secret("hs")
    hubspot = HubSpotConnector(webhook_secret=secret)
    url = "https://hooks.example.com/hubspot?portal=42"
    body = b'[{"subscriptionType": "contact.creation", "objectId": 101}]'
    ts = str(int(time.time() * 1000))
    signed = b"POST" + url.encode() + body + ts.encode()
    signature = base64.b64encode(hmac.new(secret.encode(), signed, hashlib.sha256).digest())
    headers = {"X-HubSpot-Signature-v3": signature.decode(), "X-HubSpot-Request-Timestamp": ts}
    events = hubspot.webhooks.unwrap(headers, body, method="POST", url=url)
    assert events == [{"subscriptionType": "contact.creation", "objectId": 101}]


def test_connector_webhooks_wraps_any_verifier() -> None:
    secret = awkward_secret("wh")
    webhooks: ConnectorWebhooks[Any] = ConnectorWebhooks(
        GitHubWebhook(secret), lambda h, data: data
    )
    body = b'{"ok": true}'
    webhooks.verify(github_headers(secret, body, "ping"), body)
    assert webhooks.scheme == "github"
    assert attrs.has(UnknownWebhookEvent)
