"""Deliveries as the vendors send them, signed here with ``hmac`` from each documented
algorithm (nothing from `connectory.core.webhooks`), and payloads shaped like theirs."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from typing import Any
from urllib.parse import quote, quote_plus

# Published examples: GitHub's ("Validating webhook deliveries") and Slack's ("Verifying
# requests from Slack"), with the signatures the vendors list for them.
GITHUB_VECTOR_SECRET = "It's a Secret to Everybody"
GITHUB_VECTOR_BODY = b"Hello, World!"
GITHUB_VECTOR_SIGNATURE = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
SLACK_VECTOR_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
SLACK_VECTOR_TIMESTAMP = 1531420618
SLACK_VECTOR_BODY = (
    b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow"
    b"&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner"
    b"&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com"
    b"%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
    b"&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
)
SLACK_VECTOR_SIGNATURE = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"


def awkward_secret(prefix: str) -> str:
    """A secret whose JSON, repr and URL forms all differ from it (quote, backslash,
    slash, plus, space, ampersand, a non-ASCII letter)."""
    return f'{prefix}-"q\\u/+ &ü-{secrets.token_hex(8)}'


def printed_forms(secret: str) -> set[str]:
    """The ways a message could spell `secret`: raw, JSON- and repr-escaped, URL-encoded."""
    return {
        secret,
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        repr(secret)[1:-1],
        quote(secret, safe=""),
        quote_plus(secret),
        json.dumps(json.dumps(secret)[1:-1])[1:-1],
    }


def github_headers(secret: str, body: bytes, event: str | None) -> dict[str, str]:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    headers = {
        "X-Hub-Signature-256": f"sha256={digest}",
        "X-GitHub-Delivery": secrets.token_hex(8),
        "Content-Type": "application/json",
        "User-Agent": "GitHub-Hookshot/3c1a2b4",
    }
    if event is not None:
        headers["X-GitHub-Event"] = event
    return headers


def stripe_headers(secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    signed_at = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{signed_at}.".encode() + body, hashlib.sha256)
    return {
        "Stripe-Signature": f"t={signed_at},v1={digest.hexdigest()}",
        "Content-Type": "application/json; charset=utf-8",
    }


def slack_headers(secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    signed_at = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"v0:{signed_at}:".encode() + body, hashlib.sha256)
    return {
        "X-Slack-Request-Timestamp": str(signed_at),
        "X-Slack-Signature": f"v0={digest.hexdigest()}",
        "Content-Type": "application/json",
    }


def _user(login: str, user_id: int) -> dict[str, Any]:
    api = f"https://api.github.com/users/{login}"
    return {
        "login": login,
        "id": user_id,
        "node_id": "MDQ6VXNlcjE=",
        "avatar_url": f"https://avatars.githubusercontent.com/u/{user_id}?v=4",
        "gravatar_id": "",
        "url": api,
        "html_url": f"https://github.com/{login}",
        "followers_url": f"{api}/followers",
        "following_url": f"{api}/following{{/other_user}}",
        "gists_url": f"{api}/gists{{/gist_id}}",
        "starred_url": f"{api}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{api}/subscriptions",
        "organizations_url": f"{api}/orgs",
        "repos_url": f"{api}/repos",
        "events_url": f"{api}/events{{/privacy}}",
        "received_events_url": f"{api}/received_events",
        "type": "User",
        "site_admin": False,
    }


def github_push(after: str | None = None) -> dict[str, Any]:
    """A push of one commit to main, shaped like GitHub's."""
    after = after or secrets.token_hex(20)
    commit = {
        "id": after,
        "tree_id": secrets.token_hex(20),
        "distinct": True,
        "message": "Fix the typo in the README",
        "timestamp": "2024-05-02T10:21:33+02:00",
        "url": f"https://github.com/octo-org/hello-world/commit/{after}",
        "author": {"name": "Mona Lisa", "email": "mona@example.com", "username": "mona"},
        "committer": {"name": "GitHub", "email": "noreply@github.com", "username": "web-flow"},
        "added": [],
        "removed": [],
        "modified": ["README.md"],
    }
    return {
        "ref": "refs/heads/main",
        "before": "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
        "after": after,
        "repository": {
            "id": 1296269,
            "node_id": "MDEwOlJlcG9zaXRvcnkxMjk2MjY5",
            "name": "hello-world",
            "full_name": "octo-org/hello-world",
            "private": False,
            "owner": _user("octo-org", 9919),
            "html_url": "https://github.com/octo-org/hello-world",
            "default_branch": "main",
        },
        "pusher": {"name": "mona", "email": "mona@example.com"},
        "sender": _user("mona", 583231),
        "created": False,
        "deleted": False,
        "forced": False,
        "base_ref": None,
        "compare": f"https://github.com/octo-org/hello-world/compare/6113728f27ae...{after[:12]}",
        "commits": [commit],
        "head_commit": commit,
    }


def github_issue_event(action: str, number: int = 1347) -> dict[str, Any]:
    """An ``issues`` delivery (opened, closed, labeled...), shaped like GitHub's."""
    return {
        "action": action,
        "issue": {
            "id": 1,
            "number": number,
            "title": "Found a bug",
            "state": "closed" if action == "closed" else "open",
            "user": _user("mona", 583231),
            "body": "I'm having a problem with this.",
        },
        "repository": {"id": 1296269, "name": "hello-world", "full_name": "octo-org/hello-world"},
        "sender": _user("mona", 583231),
    }


def stripe_event(kind: str = "invoice.paid") -> dict[str, Any]:
    """An Event object as Stripe delivers it (API version 2024-06-20)."""
    return {
        "id": f"evt_{secrets.token_hex(12)}",
        "object": "event",
        "api_version": "2024-06-20",
        "created": 1714638093,
        "data": {
            "object": {"id": "in_1PBxYZ2eZvKYlo2C", "object": "invoice", "amount_paid": 2000},
            "previous_attributes": {"status": "open"},
        },
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": kind,
    }
