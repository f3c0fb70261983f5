"""An OAuth2 authorization server and one protected resource, with rotating refresh tokens.

``POST /oauth/token`` (form-encoded) grants ``client_credentials`` and ``refresh_token``;
the client authenticates with ``client_id``/``client_secret`` in the body or with HTTP
Basic, not both. Every refresh token works once when rotation is on: a reused one is
answered 400 ``invalid_grant``, as strict providers do, which is what makes two racing
refreshes visible. ``GET /me`` answers 401 ``invalid_token`` for an unknown or expired
access token. Every token request is recorded as a `TokenRequest`.
"""

from __future__ import annotations

import base64
import binascii
import secrets
import time
from typing import Any
from urllib.parse import unquote_plus

import attrs

from ._http import Action, Reply, Request, json_reply
from ._records import TokenRequest

__all__ = ["OAuthSpec"]

TOKEN_PATH = "/oauth/token"
# The fault label of a refresh turned away because the spec rejects every refresh.
REFRESH_REJECTED = "refresh-rejected"


@attrs.frozen
class OAuthSpec:
    """The token endpoint's clients, tokens and timings.

    ``expires_in`` is what token responses report; an access token really dies after
    ``lifetime`` seconds (None: ``expires_in``), so a server that expires tokens earlier
    than it says can be had. ``initial_access_token`` (None: none) is valid for that
    lifetime from the server's start, ``initial_refresh_token`` until used.
    ``client_secret`` None makes a public client: only ``client_id`` is checked.
    ``token_delay`` slows every token response, to widen the window of refresh races.
    With ``reject_refresh`` every refresh_token grant fails with ``invalid_grant``.
    """

    client_id: str = "client-1"
    client_secret: str | None = "secret-1"
    initial_access_token: str | None = "access-initial"
    initial_refresh_token: str = "refresh-initial"
    expires_in: float = 2.0
    lifetime: float | None = None
    rotate_refresh_tokens: bool = True
    reject_refresh: bool = False
    token_delay: float = 0.0

    def build(self, origin: str) -> _OAuth:
        return _OAuth(self)


@attrs.frozen
class _AccessToken:
    number: int
    expires_at: float


class _OAuthError(Exception):
    def __init__(self, status: int, code: str, description: str, reason: str | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.code = code
        self.description = description
        self.reason = reason


class _OAuth:
    def __init__(self, spec: OAuthSpec) -> None:
        self._spec = spec
        self._lifetime = spec.expires_in if spec.lifetime is None else spec.lifetime
        self._grants = 0
        self._access: dict[str, _AccessToken] = {}
        self._live_refresh: set[str] = {spec.initial_refresh_token}
        self._spent_refresh: set[str] = set()
        self._token_requests: list[dict[str, Any]] = []
        if spec.initial_access_token is not None:
            self._access[spec.initial_access_token] = _AccessToken(
                0, time.monotonic() + self._lifetime
            )

    def state(self) -> dict[str, Any]:
        return {"token_requests": list(self._token_requests)}

    def respond(self, request: Request) -> Action:
        if request.path == TOKEN_PATH and request.method == "POST":
            return self._token(request)
        if request.path == "/me" and request.method == "GET":
            return self._me(request)
        return json_reply({"error": "not_found", "path": request.path}, 404)

    # -- token endpoint ----------------------------------------------------------------

    def _token(self, request: Request) -> Reply:
        form = request.form()
        basic = _basic_credentials(request.header("authorization"))
        # A client_id in the body next to Basic is tolerated; a second secret is not.
        if basic is not None:
            client_auth = "both" if "client_secret" in form else "basic"
        else:
            client_auth = "body" if "client_id" in form else "none"
        client_id = basic[0] if basic is not None else form.get("client_id")
        refresh_token = form.get("refresh_token")
        record = TokenRequest(
            seq=request.seq,
            grant_type=form.get("grant_type"),
            client_auth=client_auth,
            client_id=client_id,
            refresh_token=refresh_token,
            outcome="granted",
        )
        try:
            content_type = request.header("content-type") or ""
            if not content_type.startswith("application/x-www-form-urlencoded"):
                raise _OAuthError(400, "invalid_request", "the body must be form-encoded")
            self._authenticate_client(client_auth, basic, form)
            payload = self._grant(form)
        except _OAuthError as error:
            self._token_requests.append(
                attrs.asdict(attrs.evolve(record, outcome=error.code, reason=error.reason))
            )
            fault = REFRESH_REJECTED if error.reason == "rejected" else None
            headers = {"Cache-Control": "no-store"}
            if error.status == 401 and basic is not None:
                headers["WWW-Authenticate"] = 'Basic realm="token"'
            body = {"error": error.code, "error_description": error.description}
            return json_reply(
                body, error.status, headers, delay=self._spec.token_delay, fault=fault
            )
        granted = attrs.evolve(
            record,
            access_token=payload["access_token"],
            new_refresh_token=payload.get("refresh_token"),
        )
        self._token_requests.append(attrs.asdict(granted))
        return json_reply(payload, 200, {"Cache-Control": "no-store"}, delay=self._spec.token_delay)

    def _authenticate_client(
        self, client_auth: str, basic: tuple[str, str] | None, form: dict[str, str]
    ) -> None:
        if client_auth == "both":
            raise _OAuthError(400, "invalid_request", "more than one client authentication")
        if client_auth == "none":
            raise _OAuthError(401, "invalid_client", "no client authentication")
        if basic is not None:
            client_id, secret = basic
            # RFC 6749 form-encodes both before Basic; many clients do not: accept either.
            client_id_forms = {client_id, unquote_plus(client_id)}
            secret_forms: set[str | None] = {secret, unquote_plus(secret)}
        else:
            client_id_forms = {form["client_id"]}
            secret_forms = {form.get("client_secret")}
        spec = self._spec
        if spec.client_id not in client_id_forms:
            raise _OAuthError(401, "invalid_client", "unknown client")
        if spec.client_secret is not None and spec.client_secret not in secret_forms:
            raise _OAuthError(401, "invalid_client", "wrong client secret")

    def _grant(self, form: dict[str, str]) -> dict[str, Any]:
        grant_type = form.get("grant_type")
        if grant_type == "client_credentials":
            return self._issue(with_refresh=False)
        if grant_type != "refresh_token":
            raise _OAuthError(400, "unsupported_grant_type", f"grant {grant_type!r} unsupported")
        refresh_token = form.get("refresh_token")
        if not refresh_token:
            raise _OAuthError(400, "invalid_request", "refresh_token missing")
        if self._spec.reject_refresh:
            raise _OAuthError(400, "invalid_grant", "refresh refused", reason="rejected")
        if refresh_token in self._spent_refresh:
            raise _OAuthError(400, "invalid_grant", "refresh token already used", "reused")
        if refresh_token not in self._live_refresh:
            raise _OAuthError(400, "invalid_grant", "unknown refresh token", "unknown")
        if not self._spec.rotate_refresh_tokens:
            return self._issue(with_refresh=False)
        self._live_refresh.discard(refresh_token)
        self._spent_refresh.add(refresh_token)
        return self._issue(with_refresh=True)

    def _issue(self, *, with_refresh: bool) -> dict[str, Any]:
        self._grants += 1
        number = self._grants
        access_token = f"access-{number}-{secrets.token_hex(4)}"
        self._access[access_token] = _AccessToken(number, time.monotonic() + self._lifetime)
        expires_in = self._spec.expires_in
        payload: dict[str, Any] = {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": int(expires_in) if float(expires_in).is_integer() else expires_in,
        }
        if with_refresh:
            refresh_token = f"refresh-{number}-{secrets.token_hex(4)}"
            self._live_refresh.add(refresh_token)
            payload["refresh_token"] = refresh_token
        return payload

    # -- protected resource --------------------------------------------------------------

    def _me(self, request: Request) -> Reply:
        scheme, _, token = (request.header("authorization") or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return _unauthorized("invalid_request", "no bearer token")
        access = self._access.get(token.strip())
        if access is None:
            return _unauthorized("invalid_token", "unknown access token")
        if request.arrived_at >= access.expires_at:
            return _unauthorized("invalid_token", "access token expired")
        return json_reply({"id": "user-1", "name": "Test User", "token_number": access.number})


def _unauthorized(code: str, description: str) -> Reply:
    challenge = f'Bearer error="{code}", error_description="{description}"'
    body = {"error": code, "error_description": description}
    return json_reply(body, 401, {"WWW-Authenticate": challenge})


def _basic_credentials(header: str | None) -> tuple[str, str] | None:
    """The (id, secret) of an HTTP Basic header, as sent; ("", "") when it is garbled."""
    if header is None:
        return None
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return ("", "")
    client_id, _, secret = decoded.partition(":")
    return client_id, secret
