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

A connector binds a verifier to its events: ``connector.webhooks`` is a
`ConnectorWebhooks`, built from the config's `webhook_scheme` and the connector's
``webhook_secret`` option, whose `unwrap` returns the connector's event type (a
`WebhookEvents` table of generated models, or the parsed JSON).

Written here rather than taken from libraries: each vendor's SDK verifies only its own
scheme and brings a whole API client along; the one scheme-specific package that is small
(``standardwebhooks``) reads the wall clock, keeps no replay state and raises its own
untyped errors. The algorithms themselves are a few lines of ``hmac`` each.
"""

from __future__ import annotations

import time
import typing
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeAlias, TypeVar, cast
from urllib.parse import parse_qs

import attrs
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
    as_headers,
    secret_key,
)
from .models import decode

if TYPE_CHECKING:
    from ._config import ConnectorConfig

E = TypeVar("E")
E_co = TypeVar("E_co", covariant=True)

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


# -- a connector's webhooks: verified, then typed --------------------------------------

JsonScalar: TypeAlias = str | int | float | bool | None
WebhookSecret: TypeAlias = str | tuple[str, ...]
"""The ``webhook_secret`` option: the scheme's secret, or its keys in order (Box takes a
primary and a secondary key: ``("primary", "secondary")``)."""

# The secrets each scheme's verifier takes positionally, by name; one ``secret`` unless listed.
_SECRET_NAMES: Mapping[str, tuple[str, ...]] = {
    "box": ("primary_key", "secondary_key"),
    "hubspot": ("client_secret",),
    "slack": ("signing_secret",),
}


@attrs.frozen
class UnknownWebhookEvent:
    """An authentic delivery of an event the connector has no type for.

    `event` is the value of the event header (None when the vendor sends none, or the
    connector reads none); `data` is the parsed JSON body, as the vendor sent it.
    """

    event: str | None
    data: Any


def _match_pairs(
    value: Mapping[str, Iterable[JsonScalar]] | Iterable[tuple[str, Iterable[JsonScalar]]],
) -> tuple[tuple[str, tuple[JsonScalar, ...]], ...]:
    pairs = value.items() if isinstance(value, Mapping) else value
    return tuple((str(name), tuple(allowed)) for name, allowed in pairs)


def _event_key(name: str) -> str:
    """Event names compared case-insensitively, ``-`` and ``_`` alike (GitHub's spec says
    ``pull-request`` where its ``X-GitHub-Event`` header says ``pull_request``)."""
    return name.strip().lower().replace("-", "_")


@attrs.frozen
class WebhookRoute:
    """One typed event: deliveries that match it decode into `model`.

    A delivery matches when the event header names `event` (any event when None) and each
    body property in `match` holds one of its listed values (GitHub's ``action``). `model`
    is a model class, or a union of them (a oneOf body), as `decode` takes it.
    """

    model: Any
    event: str | None = None
    match: tuple[tuple[str, tuple[JsonScalar, ...]], ...] = attrs.field(
        default=(), converter=_match_pairs
    )

    def matches(self, event: str | None, body: Mapping[str, Any]) -> bool:
        if self.event is not None and (
            event is None or _event_key(event) != _event_key(self.event)
        ):
            return False
        for name, allowed in self.match:
            value = body.get(name, _ABSENT)
            if not any(type(value) is type(option) and value == option for option in allowed):
                return False
        return True


_ABSENT = object()


class UnexpectedBodyError(Exception):
    """The body is not a JSON object, while the event's model describes one."""


class WebhookEvents(Generic[E_co]):
    """Decides the type of a delivery and decodes it: a generated connector's event table.

    The first route that matches (see `WebhookRoute`) decodes the body into its model;
    with no match, the `fallback` model does when there is one, else the delivery becomes
    an `UnknownWebhookEvent`. Decoding is lenient: a body that deviates from its schema
    still decodes, and `connectory.core.models.deviations` lists where.
    """

    def __init__(
        self,
        routes: Iterable[WebhookRoute] = (),
        *,
        event_header: str | None = None,
        fallback: Any = None,
    ) -> None:
        self.routes = tuple(routes)
        self.event_header = event_header
        self.fallback = fallback

    def __call__(self, headers: httpx.Headers, data: Any) -> E_co:
        event = headers.get(self.event_header) if self.event_header else None
        # A body that is not an object matches only routes without body conditions, and
        # then fails to decode: it is not what that event's model describes.
        body = data if isinstance(data, dict) else {}
        model = next((r.model for r in self.routes if r.matches(event, body)), self.fallback)
        if model is None:
            result: Any = UnknownWebhookEvent(event, data)
        elif not isinstance(data, dict):
            raise UnexpectedBodyError(f"a {_type_name(model)} event")
        else:
            result = decode(model, data)
        # The generated table declares E_co as the union of its models and the unknown event.
        return cast("E_co", result)

    def __repr__(self) -> str:
        names = ", ".join(_type_name(route.model) for route in self.routes)
        fallback = _type_name(self.fallback) if self.fallback is not None else None
        return (
            f"WebhookEvents(routes=[{names}], event_header={self.event_header!r}, "
            f"fallback={fallback})"
        )


def _type_name(tp: Any) -> str:
    """``Push``, ``A | B`` for a union, the inner name of an ``Annotated`` one."""
    if isinstance(getattr(tp, "__name__", None), str) and not typing.get_args(tp):
        return str(tp.__name__)
    if typing.get_origin(tp) is typing.Annotated:
        return _type_name(typing.get_args(tp)[0])
    return " | ".join(_type_name(member) for member in typing.get_args(tp)) or repr(tp)


def parsed_json(headers: httpx.Headers, data: Any) -> Any:
    """The events of a connector without event types: the parsed body as it is."""
    return data


class ConnectorWebhooks(Generic[E_co]):
    """A connector's webhook deliveries, verified with its vendor's scheme and typed::

        event = github.webhooks.unwrap(request.headers, await request.body())

    `verify` and `unwrap` take what the scheme's verifier takes (see `WebhookVerifier`);
    `unwrap` returns the connector's event type. Call one of them once per delivery: a
    second call sees the same delivery again and refuses it as a replay.
    """

    def __init__(
        self, verifier: WebhookVerifier, events: Callable[[httpx.Headers, Any], E_co]
    ) -> None:
        self.verifier = verifier
        self.events = events

    @property
    def scheme(self) -> str:
        return self.verifier.scheme

    def verify(
        self,
        headers: HeadersInput,
        body: BodyInput,
        *,
        now: float | None = None,
        method: str | None = None,
        url: str | None = None,
    ) -> None:
        """Accept the delivery or raise a `WebhookVerificationError` subclass."""
        self.verifier.verify(headers, body, now=now, method=method, url=url)

    def unwrap(
        self,
        headers: HeadersInput,
        body: BodyInput,
        *,
        now: float | None = None,
        method: str | None = None,
        url: str | None = None,
    ) -> E_co:
        """Verify, then return the delivery as the connector's event type.

        Raises `InvalidPayloadError` when an authentic body is not JSON, or is not the JSON
        object its event's model describes.
        """
        parsed = as_headers(headers)

        def typed(data: Any) -> E_co:
            try:
                return self.events(parsed, data)
            except UnexpectedBodyError as error:
                raise InvalidPayloadError(
                    f"the body is not a JSON object, expected {error}", scheme=self.scheme
                ) from None

        return self.verifier.unwrap(parsed, body, now=now, method=method, url=url, decode=typed)

    def __repr__(self) -> str:
        return f"ConnectorWebhooks({self.verifier!r}, events={self.events!r})"


def webhook_secret_values(
    config: ConnectorConfig, secret: WebhookSecret | None
) -> tuple[str, ...] | None:
    """The ``webhook_secret`` option checked against the connector's scheme: its values in
    the order the scheme's verifier takes them, or None when none was given."""
    if secret is None:
        return None
    slug = config.slug
    if config.webhook_scheme is None:
        raise ConfigurationError(
            f"{slug}: webhook_secret: the connector has no webhook scheme "
            "(ConnectorConfig.webhook_scheme)"
        )
    values = (secret,) if isinstance(secret, str) else secret
    names = _SECRET_NAMES.get(config.webhook_scheme, ("secret",))
    if not isinstance(values, tuple) or not all(isinstance(v, str) and v for v in values):
        raise ConfigurationError(
            f"{slug}: webhook_secret: expected a non-empty string or a tuple of them, "
            f"got {type(secret).__name__}"
        )
    if not 1 <= len(values) <= len(names):
        takes = (
            f"one secret ({names[0]})"
            if len(names) == 1
            else f"up to {len(names)} values ({', '.join(names)})"
        )
        raise ConfigurationError(
            f"{slug}: webhook_secret: the {config.webhook_scheme} scheme takes {takes}, "
            f"got {len(values)}"
        )
    return values


def connector_verifier(
    config: ConnectorConfig,
    secret: tuple[str, ...],
    *,
    replay_guard: ReplayGuard | bool = True,
) -> WebhookVerifier:
    """The verifier of `config`'s webhook scheme, keyed with the values of `secret`."""
    if config.webhook_scheme is None:
        raise ConfigurationError(f"{config.slug}: the connector has no webhook scheme")
    return webhook_verifier(config.webhook_scheme, *secret, replay_guard=replay_guard)


__all__ = [
    "DEFAULT_REPLAY_WINDOW",
    "DEFAULT_TOLERANCE",
    "WEBHOOK_SCHEMES",
    "BodyInput",
    "BoxWebhook",
    "ConnectorWebhooks",
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
    "UnknownWebhookEvent",
    "WebhookEvents",
    "WebhookRoute",
    "WebhookSecret",
    "WebhookVerificationError",
    "WebhookVerifier",
    "ZoomWebhook",
    "webhook_verifier",
]
