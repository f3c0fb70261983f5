"""A small ASGI app that receives GitHub and Stripe webhooks and verifies them.

Plain ASGI, no framework: ``POST /webhooks/github`` and ``POST /webhooks/stripe`` answer
204 when the delivery is authentic and fresh, 401 when its signature is missing, wrong or
stale, 400 when it is a replay or not JSON. Run it with any ASGI server::

    GITHUB_WEBHOOK_SECRET=... STRIPE_WEBHOOK_SECRET=whsec_... \\
        python -m uvicorn --factory examples.webhook_receiver:app_from_environment

or ``python examples/webhook_receiver.py`` (uvicorn on 127.0.0.1:8000).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from connectory.core.webhooks import (
    GitHubWebhook,
    StripeWebhook,
    WebhookVerificationError,
    WebhookVerifier,
)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
EventHandler = Callable[[str, Any], None]
"""Called with the scheme name ("github", "stripe") and the parsed event of each delivery."""

# Vendors' deliveries are well under this; a larger body is refused before it is buffered.
MAX_BODY_BYTES = 1024 * 1024

logger = logging.getLogger("webhook_receiver")


def log_event(scheme: str, event: Any) -> None:
    kind = (event.get("type") or event.get("action")) if isinstance(event, dict) else None
    logger.info("accepted a %s delivery (%s)", scheme, kind or "untyped")


def create_app(
    *, github_secret: str, stripe_secret: str, on_event: EventHandler = log_event
) -> ASGIApp:
    """The receiver, with one verifier (and so one in-memory replay guard) per vendor."""
    routes: dict[str, WebhookVerifier] = {
        "/webhooks/github": GitHubWebhook(github_secret),
        "/webhooks/stripe": StripeWebhook(stripe_secret),
    }

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        verifier = routes.get(scope["path"])
        if verifier is None:
            await _respond(send, 404, {"error": "no webhook here"})
            return
        if scope["method"] != "POST":
            await _respond(send, 405, {"error": "POST only"}, allow="POST")
            return
        body = await _read_body(receive)
        if body is None:
            await _respond(send, 413, {"error": "body too large"})
            return
        try:
            event = verifier.unwrap(scope["headers"], body)
        except WebhookVerificationError as error:
            # The message names the header and the reason, never a secret or a signature.
            await _respond(send, error.http_status, {"error": str(error)})
            return
        on_event(verifier.scheme, event)
        await _respond(send, 204, None)

    return app


def app_from_environment() -> ASGIApp:
    """The receiver with its secrets from ``GITHUB_WEBHOOK_SECRET``/``STRIPE_WEBHOOK_SECRET``."""
    return create_app(
        github_secret=os.environ["GITHUB_WEBHOOK_SECRET"],
        stripe_secret=os.environ["STRIPE_WEBHOOK_SECRET"],
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


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def main() -> None:
    import uvicorn  # a development dependency: only this entry point needs it

    logging.basicConfig(level=logging.INFO)
    uvicorn.run(app_from_environment(), host="127.0.0.1", port=8000)


if __name__ == "__main__":
    main()
