"""Two small hand-written connectors and the fake vendors they talk to.

``FakeDrive`` is shaped like Google Drive (OAuth2 with refresh, files paged with a
``nextPageToken``); ``FakeChat`` like Slack (a bot token, cursors in
``response_metadata.next_cursor``). Their routes serve the local test server.
"""

from __future__ import annotations

from typing import Any

from connectory.core import (
    AuthenticationType,
    BaseAuthenticationService,
    BaseConnectorService,
    BaseDataService,
    ConnectorConfig,
    ConnectorType,
    CursorInBody,
    Resource,
)
from tests.local_server import Received, Reply

DRIVE_ACCESS_TOKEN = "ya29.drive-ACCESS-token-0001"
DRIVE_REFRESHED_TOKEN = "ya29.drive-REFRESHED-token-0002"
DRIVE_REFRESH_TOKEN = "1//drive-REFRESH-token"
DRIVE_CLIENT_SECRET = "drive-CLIENT-secret"
CHAT_BOT_TOKEN = "xoxb-chat-BOT-token-123"

FILES = [{"id": f"f{i}", "name": f"file-{i}.txt", "mimeType": "text/plain"} for i in range(7)]
CHANNELS = [{"id": f"C{i}", "name": f"channel-{i}"} for i in range(5)]
USERS = [{"id": f"U{i}", "name": f"user-{i}"} for i in range(3)]


def drive_config(base_url: str) -> ConnectorConfig:
    return ConnectorConfig(
        connector_type=ConnectorType.GOOGLE_DRIVE,
        authentication_type=AuthenticationType.OAUTH2,
        base_url=f"{base_url}/drive/v3",
        token_url=f"{base_url}/token",
        api_version="v3",
        rate_limits={"requests_per_second": 100, "requests_per_minute": 1000},
        scopes=["https://www.googleapis.com/auth/drive.readonly"],
        health_check_path="about",
        retry={"wait_initial": 0.01, "wait_max": 0.05, "wait_jitter": 0.01},
    )


def chat_config(base_url: str) -> ConnectorConfig:
    return ConnectorConfig(
        connector_type=ConnectorType.SLACK,
        authentication_type=AuthenticationType.BEARER_TOKEN,
        base_url=f"{base_url}/chat/api",
        credential_fields=("bot_token",),
        rate_limits={"requests_per_minute": 50},
        health_check_path="auth.test",
        retry={"wait_initial": 0.01, "wait_max": 0.05, "wait_jitter": 0.01},
    )


class GoogleDriveAuthenticationService(BaseAuthenticationService):
    pass


class GoogleDriveDataService(BaseDataService):
    RESOURCES = (
        Resource(
            name="files",
            list_path="files",
            get_path="files/{fileId}",
            id_param="fileId",
            items_path="files",
            paginator=CursorInBody(
                cursor_path="nextPageToken",
                cursor_param="pageToken",
                limit_param="pageSize",
                page_size=3,
            ),
        ),
    )


class GoogleDriveConnector(BaseConnectorService):
    pass


class SlackAuthenticationService(BaseAuthenticationService):
    pass


class SlackDataService(BaseDataService):
    RESOURCES = (
        Resource(
            name="conversations",
            list_path="conversations.list",
            get_path="conversations.info",
            id_param="channel",
            items_path="channels",
            item_path="channel",
            paginator=CursorInBody(cursor_path="response_metadata.next_cursor"),
        ),
        Resource(
            name="users",
            list_path="users.list",
            get_path="users.info",
            id_param="user",
            items_path="members",
            item_path="user",
            paginator=CursorInBody(cursor_path="response_metadata.next_cursor"),
        ),
    )


class SlackConnector(BaseConnectorService):
    pass


def _page(items: list[dict[str, Any]], start: int, size: int) -> tuple[list[dict[str, Any]], int]:
    return items[start : start + size], start + size


def vendor_route(request: Received) -> Reply:
    """Both fake vendors, on one server: /token, /drive/v3/..., /chat/api/..."""
    auth = request.headers.get("authorization", "")
    if request.path == "/token":
        form = request.form()
        if form.get("refresh_token") == DRIVE_REFRESH_TOKEN and (
            form.get("client_secret") == DRIVE_CLIENT_SECRET
        ):
            return Reply(200, {"access_token": DRIVE_REFRESHED_TOKEN, "expires_in": 3600})
        return Reply(400, {"error": "invalid_grant"})
    if request.path.startswith("/drive/v3/"):
        if auth not in (f"Bearer {DRIVE_ACCESS_TOKEN}", f"Bearer {DRIVE_REFRESHED_TOKEN}"):
            return Reply(401, {"error": {"code": 401, "message": "Invalid Credentials"}})
        rest = request.path.removeprefix("/drive/v3/")
        if rest == "about":
            return Reply(200, {"user": {"displayName": "Test"}})
        if rest == "files":
            start = int(request.query.get("pageToken", "0"))
            size = int(request.query.get("pageSize", "100"))
            page, nxt = _page(FILES, start, size)
            body: dict[str, Any] = {"files": page}
            if nxt < len(FILES):
                body["nextPageToken"] = str(nxt)
            return Reply(200, body)
        if rest.startswith("files/"):
            found = [f for f in FILES if f["id"] == rest.removeprefix("files/")]
            return Reply(200, found[0]) if found else Reply(404, {"error": "notFound"})
    if request.path.startswith("/chat/api/"):
        method = request.path.removeprefix("/chat/api/")
        if auth != f"Bearer {CHAT_BOT_TOKEN}":
            return Reply(401, {"ok": False, "error": "invalid_auth"})
        if method == "auth.test":
            return Reply(200, {"ok": True, "team": "T1"})
        listing = {"conversations.list": ("channels", CHANNELS), "users.list": ("members", USERS)}
        if method in listing:
            key, items = listing[method]
            start = int(request.query.get("cursor") or 0)
            page, nxt = _page(items, start, 2)
            return Reply(
                200,
                {
                    "ok": True,
                    key: page,
                    "response_metadata": {"next_cursor": str(nxt) if nxt < len(items) else ""},
                },
            )
        info = {"conversations.info": ("channel", CHANNELS), "users.info": ("user", USERS)}
        if method in info:
            key, items = info[method]
            wanted = request.query.get(key)
            found = [item for item in items if item["id"] == wanted]
            if found:
                return Reply(200, {"ok": True, key: found[0]})
            return Reply(404, {"ok": False, "error": f"{key}_not_found"})
    return Reply(404, {"error": "no route"})
