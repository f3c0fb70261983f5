"""The example ASGI receiver, built on ``connector.webhooks``, behind a real uvicorn server
on 127.0.0.1, sent deliveries signed as GitHub, Stripe and Slack sign them."""

from __future__ import annotations

import json
import logging
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn

from connectory.connectors.github.models import (
    WebhookIssuesClosed,
    WebhookIssuesOpened,
    WebhookPing,
    WebhookPush,
)
from connectory.connectors.stripe.models import Event
from connectory.core.models import deviations
from connectory.core.webhooks import (
    InvalidSignatureError,
    UnknownWebhookEvent,
    WebhookVerificationError,
)
from examples.webhook_receiver import create_app
from tests.webhooks._deliveries import (
    GITHUB_VECTOR_BODY,
    GITHUB_VECTOR_SECRET,
    GITHUB_VECTOR_SIGNATURE,
    SLACK_VECTOR_BODY,
    SLACK_VECTOR_SECRET,
    SLACK_VECTOR_SIGNATURE,
    SLACK_VECTOR_TIMESTAMP,
    awkward_secret,
    github_headers,
    github_issue_event,
    github_push,
    printed_forms,
    slack_headers,
    stripe_event,
    stripe_headers,
)

GITHUB_SECRET = awkward_secret("gh")
STRIPE_SECRET = "whsec_" + secrets.token_hex(16)


class Receiver:
    def __init__(self, url: str) -> None:
        self.url = url
        self.events: list[tuple[str, Any]] = []
        self.rejected: list[tuple[str, WebhookVerificationError]] = []
        self.now: float | None = None  # None: the real clock


def run(app: Any) -> Iterator[str]:
    """`app` under uvicorn on 127.0.0.1, on a port the system picks; yields its URL."""
    # Bound here and handed to uvicorn: no race for a port.
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
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def start(github_secret: str, slack_secret: str) -> Iterator[Receiver]:
    receiver = Receiver("")
    app = create_app(
        github_secret=github_secret,
        stripe_secret=STRIPE_SECRET,
        slack_secret=slack_secret,
        on_event=lambda name, event: receiver.events.append((name, event)),
        on_rejected=lambda name, error: receiver.rejected.append((name, error)),
        clock=lambda: receiver.now,
    )
    for url in run(app):
        receiver.url = url
        yield receiver


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    yield from start(GITHUB_SECRET, SLACK_VECTOR_SECRET)


@pytest.fixture
def client(receiver: Receiver) -> Iterator[httpx.Client]:
    receiver.events.clear()
    receiver.rejected.clear()
    receiver.now = None
    with httpx.Client(base_url=receiver.url, timeout=5) as client:
        yield client


def send_github(client: httpx.Client, payload: Any, event: str | None) -> httpx.Response:
    body = json.dumps(payload).encode()
    return client.post(
        "/webhooks/github", content=body, headers=github_headers(GITHUB_SECRET, body, event)
    )


# -- typed events ---------------------------------------------------------------------------


def test_github_push_arrives_as_the_generated_model(
    client: httpx.Client, receiver: Receiver
) -> None:
    payload = github_push()
    response = send_github(client, payload, "push")
    assert response.status_code == 204
    [(name, event)] = receiver.events
    assert name == "github"
    assert type(event) is WebhookPush
    assert (event.ref, event.after, event.pusher.name) == (
        "refs/heads/main",
        payload["after"],
        "mona",
    )
    assert event.commits[0].message == "Fix the typo in the README"
    assert event.head_commit is not None
    assert event.head_commit.modified == ["README.md"]
    # Lenient: what the payload leaves out of the schema's repository is listed, not lost.
    missing = {d.path for d in deviations(event)}
    assert missing
    assert all(path.startswith("$.repository.") for path in missing)


def test_github_issue_actions_pick_their_model_and_others_stay_untyped(
    client: httpx.Client, receiver: Receiver
) -> None:
    for action in ("opened", "closed", "labeled"):
        assert send_github(client, github_issue_event(action), "issues").status_code == 204
    types = [type(event) for _, event in receiver.events]
    assert types == [WebhookIssuesOpened, WebhookIssuesClosed, UnknownWebhookEvent]
    unknown = receiver.events[2][1]
    assert unknown.event == "issues"
    assert unknown.data["action"] == "labeled"


def test_github_event_without_a_type_is_never_given_another_one(
    client: httpx.Client, receiver: Receiver
) -> None:
    star = {"action": "created", "starred_at": "2024-05-02T08:00:00Z"}
    assert send_github(client, star, "star").status_code == 204
    # a push body announced as a pull request: the header decides, and no route takes it
    assert send_github(client, github_push(), "pull_request").status_code == 204
    assert [type(event) for _, event in receiver.events] == [UnknownWebhookEvent] * 2
    assert receiver.events[1][1].event == "pull_request"


def test_github_ping_is_typed(client: httpx.Client, receiver: Receiver) -> None:
    ping = {"zen": "Design for failure.", "hook_id": 12345678, "hook": {"type": "Repository"}}
    assert send_github(client, ping, "ping").status_code == 204
    [(_, event)] = receiver.events
    assert type(event) is WebhookPing
    assert event.zen == "Design for failure."


def test_stripe_event_arrives_as_the_generated_model(
    client: httpx.Client, receiver: Receiver
) -> None:
    payload = stripe_event("invoice.paid")
    body = json.dumps(payload).encode()
    response = client.post(
        "/webhooks/stripe", content=body, headers=stripe_headers(STRIPE_SECRET, body)
    )
    assert response.status_code == 204
    [(name, event)] = receiver.events
    assert name == "stripe"
    assert type(event) is Event
    assert (event.id, event.type, event.livemode) == (payload["id"], "invoice.paid", False)
    assert event.data.object["amount_paid"] == 2000
    assert deviations(event) == ()


def test_slack_published_example_arrives_as_its_fields(
    client: httpx.Client, receiver: Receiver
) -> None:
    receiver.now = SLACK_VECTOR_TIMESTAMP + 30
    headers = {
        "X-Slack-Request-Timestamp": str(SLACK_VECTOR_TIMESTAMP),
        "X-Slack-Signature": SLACK_VECTOR_SIGNATURE,
        "Content-Type": "application/x-www-form-urlencoded",
    }
    response = client.post("/webhooks/slack", content=SLACK_VECTOR_BODY, headers=headers)
    assert response.status_code == 204
    [(name, fields)] = receiver.events
    assert name == "slack"
    assert fields["command"] == "/webhook-collect"
    assert fields["user_name"] == "roadrunner"


def test_slack_event_callback_arrives_as_parsed_json(
    client: httpx.Client, receiver: Receiver
) -> None:
    payload = {
        "type": "event_callback",
        "team_id": "T061EG9R6",
        "event": {"type": "app_mention", "user": "U061F7AUR", "text": "<@U0LAN0Z89> hi"},
        "event_id": "Ev" + secrets.token_hex(5),
    }
    body = json.dumps(payload).encode()
    headers = slack_headers(SLACK_VECTOR_SECRET, body)
    assert client.post("/webhooks/slack", content=body, headers=headers).status_code == 204
    assert receiver.events == [("slack", payload)]


def test_githubs_published_vector_passes_the_signature_check() -> None:
    # Signed as GitHub documents; its body is not JSON, so it is authentic but unusable.
    for url in run(
        create_app(
            github_secret=GITHUB_VECTOR_SECRET,
            stripe_secret=STRIPE_SECRET,
            slack_secret=SLACK_VECTOR_SECRET,
        )
    ):
        headers = {"X-Hub-Signature-256": GITHUB_VECTOR_SIGNATURE, "X-GitHub-Event": "push"}
        with httpx.Client(base_url=url, timeout=5) as client:
            response = client.post("/webhooks/github", content=GITHUB_VECTOR_BODY, headers=headers)
            tampered = client.post(
                "/webhooks/github", content=GITHUB_VECTOR_BODY + b"!", headers=headers
            )
    assert (response.status_code, tampered.status_code) == (400, 401)
    assert "not JSON" in response.json()["error"]


# -- refusals -------------------------------------------------------------------------------


def test_bad_signature_is_refused_with_401_and_the_error_never_echoes_the_secret(
    client: httpx.Client, receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    body = json.dumps(github_push()).encode()
    headers = github_headers("not-" + GITHUB_SECRET, body, "push")
    with caplog.at_level(logging.DEBUG):
        response = client.post("/webhooks/github", content=body, headers=headers)
    assert response.status_code == 401
    assert receiver.events == []
    [(_, error)] = receiver.rejected
    assert isinstance(error, InvalidSignatureError)
    assert (error.header, error.http_status) == ("X-Hub-Signature-256", 401)
    shown = [
        response.text,
        str(error),
        repr(error),
        repr(error.args),
        repr(vars(error)),
        caplog.text,
    ]
    for form in printed_forms(GITHUB_SECRET):
        assert not any(form in text for text in shown), form
    received = headers["X-Hub-Signature-256"].removeprefix("sha256=")
    assert not any(received in text for text in shown)
    assert error.__cause__ is None
    assert error.__context__ is None


def test_replayed_delivery_is_refused(client: httpx.Client, receiver: Receiver) -> None:
    body = json.dumps(github_push()).encode()
    headers = github_headers(GITHUB_SECRET, body, "push")
    first = client.post("/webhooks/github", content=body, headers=headers)
    # A replayer may change the unsigned delivery id; the delivery is still recognised.
    again = client.post(
        "/webhooks/github", content=body, headers={**headers, "X-GitHub-Delivery": "other"}
    )
    assert (first.status_code, again.status_code) == (204, 400)
    assert "already accepted" in again.json()["error"]
    assert len(receiver.events) == 1


def test_replayed_stripe_delivery_is_refused_within_its_window(
    client: httpx.Client, receiver: Receiver
) -> None:
    body = json.dumps(stripe_event()).encode()
    headers = stripe_headers(STRIPE_SECRET, body)
    statuses = [client.post("/webhooks/stripe", content=body, headers=headers).status_code]
    statuses.append(client.post("/webhooks/stripe", content=body, headers=headers).status_code)
    assert statuses == [204, 400]


@pytest.mark.parametrize("path", ["/webhooks/github", "/webhooks/stripe", "/webhooks/slack"])
def test_unsigned_delivery_is_refused_with_401(
    client: httpx.Client, receiver: Receiver, path: str
) -> None:
    response = client.post(path, content=json.dumps(stripe_event()).encode())
    assert response.status_code == 401
    assert "missing" in response.json()["error"]
    assert receiver.events == []


def test_tampered_stripe_body_is_refused_with_401(client: httpx.Client) -> None:
    body = json.dumps(stripe_event()).encode()
    headers = stripe_headers(STRIPE_SECRET, body)
    response = client.post("/webhooks/stripe", content=body + b" ", headers=headers)
    assert response.status_code == 401


def test_stale_stripe_delivery_is_refused_with_401(client: httpx.Client) -> None:
    body = json.dumps(stripe_event()).encode()
    headers = stripe_headers(STRIPE_SECRET, body, timestamp=int(time.time()) - 3600)
    response = client.post("/webhooks/stripe", content=body, headers=headers)
    assert response.status_code == 401
    assert "old" in response.json()["error"]


def test_authentic_body_that_is_not_the_events_object_is_refused_with_400(
    client: httpx.Client, receiver: Receiver
) -> None:
    response = send_github(client, ["not", "a", "push"], "push")
    assert response.status_code == 400
    assert "expected a WebhookPush event" in response.json()["error"]
    body = json.dumps("a string").encode()
    stripe = client.post(
        "/webhooks/stripe", content=body, headers=stripe_headers(STRIPE_SECRET, body)
    )
    assert stripe.status_code == 400
    assert receiver.events == []


def test_other_methods_and_paths_are_not_webhooks(client: httpx.Client) -> None:
    assert client.get("/webhooks/github").status_code == 405
    assert client.post("/webhooks/gitlab", content=b"{}").status_code == 404


def test_oversized_body_is_refused_before_verification(client: httpx.Client) -> None:
    body = b"x" * (1024 * 1024 + 1)
    response = client.post(
        "/webhooks/github", content=body, headers=github_headers(GITHUB_SECRET, body, "push")
    )
    assert response.status_code == 413
