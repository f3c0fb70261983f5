"""The example ASGI receiver behind a real uvicorn server on 127.0.0.1, driven with httpx."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn

from examples.webhook_receiver import create_app

GITHUB_SECRET = "gh-" + secrets.token_hex(16)
STRIPE_SECRET = "whsec_" + secrets.token_hex(16)


class Receiver:
    def __init__(self, url: str, events: list[tuple[str, Any]]) -> None:
        self.url = url
        self.events = events


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    events: list[tuple[str, Any]] = []
    app = create_app(
        github_secret=GITHUB_SECRET,
        stripe_secret=STRIPE_SECRET,
        on_event=lambda scheme, event: events.append((scheme, event)),
    )
    # Bound here, on a port the system picks, and handed to uvicorn: no race for a port.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app, lifespan="on", log_level="warning", access_log=False, ws="none", http="h11"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield Receiver(f"http://127.0.0.1:{port}", events)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture
def client(receiver: Receiver) -> Iterator[httpx.Client]:
    receiver.events.clear()
    with httpx.Client(base_url=receiver.url, timeout=5) as client:
        yield client


def github_headers(body: bytes, secret: str = GITHUB_SECRET) -> dict[str, str]:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {
        "X-Hub-Signature-256": f"sha256={digest}",
        "X-GitHub-Event": "push",
        "X-GitHub-Delivery": secrets.token_hex(8),
        "Content-Type": "application/json",
    }


def stripe_headers(body: bytes, timestamp: int | None = None) -> dict[str, str]:
    signed_at = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(
        STRIPE_SECRET.encode(), f"{signed_at}.".encode() + body, hashlib.sha256
    ).hexdigest()
    return {"Stripe-Signature": f"t={signed_at},v1={digest}", "Content-Type": "application/json"}


def unique_event(kind: str) -> bytes:
    return json.dumps({"id": secrets.token_hex(6), "type": kind}).encode()


def test_signed_github_delivery_is_accepted_and_handed_over(
    client: httpx.Client, receiver: Receiver
) -> None:
    body = unique_event("push")
    response = client.post("/webhooks/github", content=body, headers=github_headers(body))
    assert response.status_code == 204
    assert receiver.events == [("github", json.loads(body))]


def test_signed_stripe_delivery_is_accepted_and_handed_over(
    client: httpx.Client, receiver: Receiver
) -> None:
    body = unique_event("invoice.paid")
    response = client.post("/webhooks/stripe", content=body, headers=stripe_headers(body))
    assert response.status_code == 204
    assert receiver.events == [("stripe", json.loads(body))]


@pytest.mark.parametrize("path", ["/webhooks/github", "/webhooks/stripe"])
def test_unsigned_delivery_is_refused_with_401(
    client: httpx.Client, receiver: Receiver, path: str
) -> None:
    response = client.post(path, content=unique_event("push"))
    assert response.status_code == 401
    assert "missing" in response.json()["error"]
    assert receiver.events == []


def test_delivery_signed_with_another_secret_is_refused_with_401(
    client: httpx.Client, receiver: Receiver
) -> None:
    body = unique_event("push")
    headers = github_headers(body, secret="not-" + GITHUB_SECRET)
    response = client.post("/webhooks/github", content=body, headers=headers)
    assert response.status_code == 401
    error = response.json()["error"]
    assert "does not match" in error
    assert GITHUB_SECRET not in error
    assert headers["X-Hub-Signature-256"][7:] not in error
    assert receiver.events == []


def test_tampered_stripe_body_is_refused_with_401(client: httpx.Client) -> None:
    body = unique_event("invoice.paid")
    headers = stripe_headers(body)
    response = client.post("/webhooks/stripe", content=body + b" ", headers=headers)
    assert response.status_code == 401


def test_stale_stripe_delivery_is_refused_with_401(client: httpx.Client) -> None:
    body = unique_event("invoice.paid")
    headers = stripe_headers(body, timestamp=int(time.time()) - 3600)
    response = client.post("/webhooks/stripe", content=body, headers=headers)
    assert response.status_code == 401
    assert "old" in response.json()["error"]


def test_replayed_delivery_is_refused_with_400(client: httpx.Client, receiver: Receiver) -> None:
    body = unique_event("push")
    headers = github_headers(body)
    first = client.post("/webhooks/github", content=body, headers=headers)
    # A replayer may change the unsigned delivery id; the delivery is still recognised.
    replayed = client.post(
        "/webhooks/github", content=body, headers={**headers, "X-GitHub-Delivery": "other"}
    )
    assert (first.status_code, replayed.status_code) == (204, 400)
    assert "already accepted" in replayed.json()["error"]
    assert len(receiver.events) == 1


def test_authentic_body_that_is_not_json_is_refused_with_400(client: httpx.Client) -> None:
    body = b"not json " + secrets.token_hex(4).encode()
    response = client.post("/webhooks/github", content=body, headers=github_headers(body))
    assert response.status_code == 400


def test_other_methods_and_paths_are_not_webhooks(client: httpx.Client) -> None:
    assert client.get("/webhooks/github").status_code == 405
    assert client.post("/webhooks/gitlab", content=b"{}").status_code == 404


def test_oversized_body_is_refused_before_verification(client: httpx.Client) -> None:
    body = b"x" * (1024 * 1024 + 1)
    response = client.post("/webhooks/github", content=body, headers=github_headers(body))
    assert response.status_code == 413
