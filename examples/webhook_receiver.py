"""A small ASGI app that receives GitHub, Stripe and Slack webhooks through the connectors.

Plain ASGI, no framework. Each route is one connector's ``webhooks``: it verifies the
delivery with the vendor's scheme and the ``webhook_secret`` the connector was built with,
then decodes it into the connector's event type (GitHub: `WebhookPush`,
`WebhookIssuesOpened`... or `UnknownWebhookEvent`; Stripe: `Event`; Slack: parsed JSON).
``POST /webhooks/github``, ``/webhooks/stripe`` and ``/webhooks/slack`` answer 204 when the
delivery is authentic and fresh, 401 when its signature is missing, wrong or stale, 400
when it is a replay or its body is not what the vendor sends. Run it with any ASGI server::

    GITHUB_WEBHOOK_SECRET=... STRIPE_WEBHOOK_SECRET=whsec_... SLACK_SIGNING_SECRET=... \\
        python -m uvicorn --factory examples.webhook_receiver:app_from_environment

or ``python examples/webhook_receiver.py`` (uvicorn on 127.0.0.1:8000).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from connectory.connectors.github import GitHubConnector
from connectory.connectors.slack import SlackConnector
from connectory.connectors.stripe import StripeConnector
from connectory.core import BaseConnectorService
from connectory.core.webhooks import ConnectorWebhooks, WebhookVerificationError

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
EventHandler = Callable[[str, Any], None]
"""Called with the connector's name ("github", "stripe", "slack") and each decoded event."""
RejectionHandler = Callable[[str, WebhookVerificationError], None]
"""Called with the connector's name and the error of each refused delivery."""
Clock = Callable[[], float | None]
"""The time deliveries are checked against (seconds since the epoch); None: the real one."""

# Vendors' deliveries are well under this; a larger body is refused before it is buffered.
MAX_BODY_BYTES = 1024 * 1024

logger = logging.getLogger("webhook_receiver")


def log_event(connector: str, event: Any) -> None:
    logger.info("accepted a %s delivery: %s", connector, type(event).__name__)


def log_rejection(connector: str, error: WebhookVerificationError) -> None:
    # The message names the header and the reason, never a secret or a signature.
    logger.warning("refused a %s delivery: %s", connector, error)


def create_app(
    *,
    github_secret: str,
    stripe_secret: str,
    slack_secret: str,
    on_event: EventHandler = log_event,
    on_rejected: RejectionHandler = log_rejection,
    clock: Clock = lambda: None,
) -> ASGIApp:
    """The receiver: one connector (and so one in-memory replay guard) per vendor."""
    connectors: dict[str, BaseConnectorService] = {
        "github": GitHubConnector(webhook_secret=github_secret),
        "stripe": StripeConnector(webhook_secret=stripe_secret),
        "slack": SlackConnector(webhook_secret=slack_secret),
    }
    routes: dict[str, tuple[str, ConnectorWebhooks[Any]]] = {
        f"/webhooks/{name}": (name, connector.webhooks) for name, connector in connectors.items()
    }

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send, connectors)
            return
        if scope["type"] != "http":
            return
        route = routes.get(scope["path"])
        if route is None:
            await _respond(send, 404, {"error": "no webhook here"})
            return
        if scope["method"] != "POST":
            await _respond(send, 405, {"error": "POST only"}, allow="POST")
            return
        body = await _read_body(receive)
        if body is None:
            await _respond(send, 413, {"error": "body too large"})
            return
        name, webhooks = route
        try:
            event = webhooks.unwrap(scope["headers"], body, now=clock())
        except WebhookVerificationError as error:
            on_rejected(name, error)
            await _respond(send, error.http_status, {"error": str(error)})
            return
        on_event(name, event)
        await _respond(send, 204, None)

    return app


def app_from_environment() -> ASGIApp:
    """The receiver with its secrets from ``GITHUB_WEBHOOK_SECRET``,
    ``STRIPE_WEBHOOK_SECRET`` and ``SLACK_SIGNING_SECRET``."""
    return create_app(
        github_secret=os.environ["GITHUB_WEBHOOK_SECRET"],
        stripe_secret=os.environ["STRIPE_WEBHOOK_SECRET"],
        slack_secret=os.environ["SLACK_SIGNING_SECRET"],
    )


async def _read_body(receive: Receive) -> bytes | None:
    """The whole request body, or None once it exceeds `MAX_BODY_BYTES`."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _respond(send: Send, status: int, payload: Any, **headers: str) -> None:
    body = b"" if payload is None else json.dumps(payload).encode()
    raw_headers = [(name.encode(), value.encode()) for name, value in headers.items()]
    if payload is not None:
        raw_headers.append((b"content-type", b"application/json"))
    raw_headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": body})


async def _lifespan(
    receive: Receive, send: Send, connectors: dict[str, BaseConnectorService]
) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            for connector in connectors.values():
                await connector.close()
            await send({"type": "lifespan.shutdown.complete"})
            return


def main() -> None:
    import uvicorn  # a development dependency: only this entry point needs it

    logging.basicConfig(level=logging.INFO)
    uvicorn.run(app_from_environment(), host="127.0.0.1", port=8000)


if __name__ == "__main__":
    main()
