"""Verifying signed webhook deliveries: signature, timestamp window and replays.

One class per signing scheme (GitHub, Slack, Stripe, Zoom, Box, HubSpot v3, Shopify-style
and Standard Webhooks), all with the same two methods::

    verifier = GitHubWebhook(secret)
    verifier.verify(headers, body)          # raises a WebhookVerificationError or returns
    event = verifier.unwrap(headers, body)  # verifies, then returns the parsed JSON

Every candidate signature is compared in constant time, timestamps are checked against an
injectable clock in both directions (stale and future), and a `ReplayGuard` refuses a
delivery already accepted while it could still be accepted again. The error messages name
the header and the reason and never carry the secret or any signature value.

Written here rather than taken from libraries: each vendor's SDK verifies only its own
scheme and brings a whole API client along; the one scheme-specific package that is small
(``standardwebhooks``) reads the wall clock, keeps no replay state and raises its own
untyped errors. The algorithms themselves are a few lines of ``hmac`` each.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any, ClassVar
from urllib.parse import parse_qs

import httpx

from . import _webhook_schemes as schemes
from ._errors import ConfigurationError
from ._webhook_schemes import (
    DEFAULT_REPLAY_WINDOW,
    DEFAULT_TOLERANCE,
    Authentic,
    BodyInput,
    HeadersInput,
    InMemoryReplayGuard,
    InvalidPayloadError,
    InvalidSignatureError,
    MissingSignatureError,
    ReplayedDeliveryError,
    ReplayGuard,
    StaleTimestampError,
    WebhookVerificationError,
    WebhookVerifier,
    secret_key,
)

# -- the schemes ------------------------------------------------------------------------


class GitHubWebhook(WebhookVerifier):
    """GitHub: ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, body)>``.

    GitHub signs no timestamp, so replays are refused only within `replay_window`.
    """

    scheme = "github"
    signature_header = "X-Hub-Signature-256"

    def __init__(
        self,
        secret: str,
        *,
        replay_guard: ReplayGuard | bool = True,
        replay_window: float = DEFAULT_REPLAY_WINDOW,
    ) -> None:
        self._secret = secret_key(secret, self.scheme)
        super().__init__(
            secrets=[secret], tolerance=None, replay_guard=replay_guard, replay_window=replay_window
        )

    def _authenticate(
        self, headers: httpx.Headers, body: bytes, method: str | None, url: str | None
    ) -> Authentic:
        value = self._require(headers, self.signature_header)
        encoded = schemes.after_prefix(value, "sha256=")
        received = None if encoded is None else schemes.decode_hex(encoded)
        if received is None:
            raise self._malformed(self.signature_header, "'sha256=' and hex digits")
        expected = schemes.hmac_sha256(self._secret, body)
        if not schemes.matches_any(expected, [received]):
            raise self._mismatch()
        return Authentic(expected)


class _PrefixedHexWithTimestamp(WebhookVerifier):
    """Slack's and Zoom's shared shape: ``v0=<hex HMAC(secret, "v0:{ts}:{body}")>``."""

    timestamp_header: ClassVar[str]

    def __init__(
        self,
        secret: str,
        *,
        tolerance: float = DEFAULT_TOLERANCE,
        replay_guard: ReplayGuard | bool = True,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._secret = secret_key(secret, self.scheme)
        super().__init__(
            secrets=[secret], tolerance=tolerance, replay_guard=replay_guard, clock=clock
        )

    def _authenticate(
        self, headers: httpx.Headers, body: bytes, method: str | None, url: str | None
    ) -> Authentic:
        value = self._require(headers, self.signature_header)
        timestamp = self._require(headers, self.timestamp_header)
        seconds = schemes.parse_epoch(timestamp)
        if seconds is None:
            raise self._malformed(self.timestamp_header, "seconds since the epoch")
        encoded = schemes.after_prefix(value, "v0=")
        received = None if encoded is None else schemes.decode_hex(encoded)
        if received is None:
            raise self._malformed(self.signature_header, "'v0=' and hex digits")
        expected = schemes.hmac_sha256(self._secret, b"v0:" + timestamp.encode() + b":" + body)
        if not schemes.matches_any(expected, [received]):
            raise self._mismatch()
        return Authentic(expected, seconds, self.timestamp_header)


class SlackWebhook(_PrefixedHexWithTimestamp):
    """Slack: ``X-Slack-Signature: v0=<hex>`` over ``v0:{X-Slack-Request-Timestamp}:{body}``.

    `unwrap` also reads form-encoded bodies (slash commands: a dict of the fields;
    interactivity: the JSON of its single ``payload`` field).
    """

    scheme = "slack"
    signature_header = "X-Slack-Signature"
    timestamp_header = "X-Slack-Request-Timestamp"

    def __init__(
        self,
        signing_secret: str,
        *,
        tolerance: float = DEFAULT_TOLERANCE,
        replay_guard: ReplayGuard | bool = True,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(
            signing_secret, tolerance=tolerance, replay_guard=replay_guard, clock=clock
        )

    def _parse(self, headers: httpx.Headers, body: bytes) -> Any:
        content_type = headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/x-www-form-urlencoded":
            return super()._parse(headers, body)
        try:
            fields = {
                name: values[0]
                for name, values in parse_qs(
                    body.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(body)
                ).items()
            }
        except ValueError:
            raise self._error(InvalidPayloadError, "the form body is malformed") from None
        if fields.keys() == {"payload"}:
            return super()._parse(headers, fields["payload"].encode("utf-8"))
        return fields


class ZoomWebhook(_PrefixedHexWithTimestamp):
    """Zoom: ``x-zm-signature: v0=<hex>`` over ``v0:{x-zm-request-timestamp}:{body}``.

    Zoom checks a new endpoint with a signed ``endpoint.url_validation`` event; answer it
    with `url_validation_response`.
    """

    scheme = "zoom"
    signature_header = "x-zm-signature"
    timestamp_header = "x-zm-request-timestamp"

    def url_validation_response(self, event: Any) -> dict[str, str] | None:
        """The JSON answer to a verified ``endpoint.url_validation`` event, else None.

        Call it only on what `unwrap` returned: the answer is an HMAC of a value the
        sender chose. Tokens that do not look like Zoom's short random ones are refused.
        """
        if not isinstance(event, Mapping) or event.get("event") != "endpoint.url_validation":
            return None
        payload = event.get("payload")
        plain_token = payload.get("plainToken") if isinstance(payload, Mapping) else None
        if not schemes.is_zoom_plain_token(plain_token):
            return None
        digest = schemes.hmac_sha256(self._secret, plain_token.encode("ascii"))
        return {"plainToken": plain_token, "encryptedToken": digest.hex()}


class StripeWebhook(WebhookVerifier):
    """Stripe: ``Stripe-Signature: t=<ts>,v1=<hex>[,v1=<hex>]`` over ``{t}.{body}``.

    Any v1 entry may match: while a secret is being rolled Stripe signs with both.
    """

    scheme = "stripe"
    signature_header = "Stripe-Signature"

    def __init__(
        self,
        secret: str,
        *,
        tolerance: float = DEFAULT_TOLERANCE,
        replay_guard: ReplayGuard | bool = True,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._secret = secret_key(secret, self.scheme)
        super().__init__(
            secrets=[secret], tolerance=tolerance, replay_guard=replay_guard, clock=clock
        )

    def _authenticate(
        self, headers: httpx.Headers, body: bytes, method: str | None, url: str | None
    ) -> Authentic:
        value = self._require(headers, self.signature_header)
        parsed = schemes.parse_stripe_signature(value)
        if parsed is None:
            raise self._malformed(self.signature_header, "'t=<seconds>,v1=<hex>'")
        timestamp, candidates = parsed
        expected = schemes.hmac_sha256(self._secret, timestamp.encode() + b"." + body)
        if not schemes.matches_any(expected, candidates):
            raise self._mismatch()
        return Authentic(expected, int(timestamp), self.signature_header)


class BoxWebhook(WebhookVerifier):
    """Box: base64 HMAC-SHA256 of ``body + box-delivery-timestamp``, one per key.

    ``box-signature-primary`` is checked with the primary key and
    ``box-signature-secondary`` with the secondary one; either may match, so a key can be
    rotated without downtime. The timestamp is an RFC 3339 date-time.
    """

    scheme = "box"
    signature_header = "box-signature-primary"
    secondary_header: ClassVar[str] = "box-signature-secondary"
    timestamp_header: ClassVar[str] = "box-delivery-timestamp"

    def __init__(
        self,
        primary_key: str | None,
        secondary_key: str | None = None,
        *,
        tolerance: float = 600.0,
        replay_guard: ReplayGuard | bool = True,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if primary_key is None and secondary_key is None:
            raise ConfigurationError("box webhook: give a primary key, a secondary key or both")
        self._keys = [
            (secret_key(key, self.scheme, name), header)
            for key, name, header in (
                (primary_key, "primary_key", self.signature_header),
                (secondary_key, "secondary_key", self.secondary_header),
            )
            if key is not None
        ]
        super().__init__(
            secrets=[key for key in (primary_key, secondary_key) if key is not None],
            tolerance=tolerance,
            replay_guard=replay_guard,
            clock=clock,
        )

    def _authenticate(
        self, headers: httpx.Headers, body: bytes, method: str | None, url: str | None
    ) -> Authentic:
        version = headers.get("box-signature-version")
        if version is not None and version.strip() != "1":
            raise self._malformed("box-signature-version", "'1'")
        algorithm = headers.get("box-signature-algorithm")
        if algorithm is not None and algorithm.strip() != "HmacSHA256":
            raise self._malformed("box-signature-algorithm", "'HmacSHA256'")
        received = {
            header: headers.get(header, "").strip()
            for header in (self.signature_header, self.secondary_header)
        }
        if not any(received.values()):
            raise self._error(
                MissingSignatureError,
                "header missing or empty",
                f"{self.signature_header} or {self.secondary_header}",
            )
        timestamp = self._require(headers, self.timestamp_header)
        seconds = schemes.parse_rfc3339(timestamp)
        if seconds is None:
            raise self._malformed(self.timestamp_header, "an RFC 3339 date-time")
        signed = body + timestamp.encode()
        for key, header in self._keys:
            candidate = schemes.decode_base64(received[header]) if received[header] else None
            expected = schemes.hmac_sha256(key, signed)
            if candidate is not None and schemes.matches_any(expected, [candidate]):
                return Authentic(expected, seconds, self.timestamp_header)
        raise self._mismatch(f"{self.signature_header}, {self.secondary_header}")


class HubSpotWebhook(WebhookVerifier):
    """HubSpot v3: ``X-HubSpot-Signature-v3``, base64 HMAC-SHA256 of
    ``method + uri + body + X-HubSpot-Request-Timestamp`` (milliseconds).

    `verify` and `unwrap` need the request's `method` and full `url` (scheme, host, path
    and query as HubSpot called them; behind a proxy, rebuild the public one).
    """

    scheme = "hubspot"
    signature_header = "X-HubSpot-Signature-v3"
    timestamp_header: ClassVar[str] = "X-HubSpot-Request-Timestamp"

    def __init__(
        self,
        client_secret: str,
        *,
        tolerance: float = DEFAULT_TOLERANCE,
        replay_guard: ReplayGuard | bool = True,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._secret = secret_key(client_secret, self.scheme, "client_secret")
        super().__init__(
            secrets=[client_secret], tolerance=tolerance, replay_guard=replay_guard, clock=clock
        )

    def _authenticate(
        self, headers: httpx.Headers, body: bytes, method: str | None, url: str | None
    ) -> Authentic:
        if not method or not url:
            raise TypeError("HubSpotWebhook needs the request's method= and url= to verify")
        value = self._require(headers, self.signature_header)
        timestamp = self._require(headers, self.timestamp_header)
        milliseconds = schemes.parse_epoch(timestamp)
        if milliseconds is None:
            raise self._malformed(self.timestamp_header, "milliseconds since the epoch")
        received = schemes.decode_base64(value)
        if received is None:
            raise self._malformed(self.signature_header, "base64")
        signed = (
            method.upper().encode()
            + schemes.normalize_hubspot_uri(url).encode()
            + body
            + timestamp.encode()
        )
        expected = schemes.hmac_sha256(self._secret, signed)
        if not schemes.matches_any(expected, [received]):
            raise self._mismatch()
        return Authentic(expected, milliseconds / 1000, self.timestamp_header)


class ShopifyWebhook(WebhookVerifier):
    """Shopify-style: base64 HMAC-SHA256 of the body in one header.

    ``X-Shopify-Hmac-Sha256`` by default; other vendors that sign the same way name their
    header with `signature_header`. No timestamp is signed, so replays are refused only
    within `replay_window`.
    """

    scheme = "shopify"
    signature_header = "X-Shopify-Hmac-Sha256"

    def __init__(
        self,
        secret: str,
        *,
        signature_header: str = "X-Shopify-Hmac-Sha256",
        replay_guard: ReplayGuard | bool = True,
        replay_window: float = DEFAULT_REPLAY_WINDOW,
    ) -> None:
        self._secret = secret_key(secret, self.scheme)
        self.signature_header = signature_header
        super().__init__(
            secrets=[secret], tolerance=None, replay_guard=replay_guard, replay_window=replay_window
        )

    def _authenticate(
        self, headers: httpx.Headers, body: bytes, method: str | None, url: str | None
    ) -> Authentic:
        value = self._require(headers, self.signature_header)
        received = schemes.decode_base64(value)
        if received is None:
            raise self._malformed(self.signature_header, "base64")
        expected = schemes.hmac_sha256(self._secret, body)
        if not schemes.matches_any(expected, [received]):
            raise self._mismatch()
        return Authentic(expected)


class StandardWebhook(WebhookVerifier):
    """Standard Webhooks: ``webhook-signature: v1,<base64> [v1,<base64> ...]`` over
    ``{webhook-id}.{webhook-timestamp}.{body}``, keyed by a ``whsec_<base64>`` secret.

    Only the symmetric ``v1`` signatures are checked; ``v1a`` entries are skipped.
    """

    scheme = "standard"
    signature_header = "webhook-signature"
    id_header: ClassVar[str] = "webhook-id"
    timestamp_header: ClassVar[str] = "webhook-timestamp"

    def __init__(
        self,
        secret: str | bytes,
        *,
        tolerance: float = DEFAULT_TOLERANCE,
        replay_guard: ReplayGuard | bool = True,
        clock: Callable[[], float] = time.time,
    ) -> None:
        try:
            self._secret = schemes.decode_standard_secret(secret)
        except (ValueError, TypeError) as error:
            raise ConfigurationError(f"standard webhook: {error}") from None
        super().__init__(
            secrets=schemes.standard_secret_forms(secret),
            tolerance=tolerance,
            replay_guard=replay_guard,
            clock=clock,
        )

    def sign(self, message_id: str, timestamp: int, body: BodyInput) -> str:
        """The ``webhook-signature`` value for a delivery, as a sender would set it."""
        signed = f"{message_id}.{timestamp}.".encode() + schemes.as_bytes(body)
        digest = schemes.hmac_sha256(self._secret, signed)
        return "v1," + schemes.encode_base64(digest)

    def _authenticate(
        self, headers: httpx.Headers, body: bytes, method: str | None, url: str | None
    ) -> Authentic:
        message_id = self._require(headers, self.id_header)
        timestamp = self._require(headers, self.timestamp_header)
        value = self._require(headers, self.signature_header)
        seconds = schemes.parse_epoch(timestamp)
        if seconds is None:
            raise self._malformed(self.timestamp_header, "seconds since the epoch")
        candidates = schemes.parse_standard_signatures(value)
        if not candidates:
            raise self._malformed(self.signature_header, "space-separated 'v1,<base64>' entries")
        signed = f"{message_id}.{timestamp}.".encode() + body
        expected = schemes.hmac_sha256(self._secret, signed)
        if not schemes.matches_any(expected, candidates):
            raise self._mismatch()
        return Authentic(expected, seconds, self.timestamp_header)


# -- by name ----------------------------------------------------------------------------

WEBHOOK_SCHEMES: Mapping[str, type[WebhookVerifier]] = {
    verifier.scheme: verifier
    for verifier in (
        GitHubWebhook,
        SlackWebhook,
        StripeWebhook,
        ZoomWebhook,
        BoxWebhook,
        HubSpotWebhook,
        ShopifyWebhook,
        StandardWebhook,
    )
}
"""Scheme name -> verifier class, as `webhook_verifier` resolves them."""


def webhook_verifier(scheme: str, /, *args: Any, **options: Any) -> WebhookVerifier:
    """A verifier by scheme name: ``webhook_verifier("stripe", secret="whsec_...")``.

    Positional and keyword arguments go to the scheme's class.
    """
    verifier = WEBHOOK_SCHEMES.get(scheme.strip().lower())
    if verifier is None:
        valid = ", ".join(sorted(WEBHOOK_SCHEMES))
        raise ConfigurationError(f"unknown webhook scheme {scheme!r}; valid schemes: {valid}")
    return verifier(*args, **options)


__all__ = [
    "DEFAULT_REPLAY_WINDOW",
    "DEFAULT_TOLERANCE",
    "WEBHOOK_SCHEMES",
    "BodyInput",
    "BoxWebhook",
    "GitHubWebhook",
    "HeadersInput",
    "HubSpotWebhook",
    "InMemoryReplayGuard",
    "InvalidPayloadError",
    "InvalidSignatureError",
    "MissingSignatureError",
    "ReplayGuard",
    "ReplayedDeliveryError",
    "ShopifyWebhook",
    "SlackWebhook",
    "StaleTimestampError",
    "StandardWebhook",
    "StripeWebhook",
    "WebhookVerificationError",
    "WebhookVerifier",
    "ZoomWebhook",
    "webhook_verifier",
]
