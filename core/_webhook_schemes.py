"""The machinery behind `connectory.core.webhooks`: errors, replay guard, base verifier.

`connectory.core.webhooks` holds one small class per vendor over the `WebhookVerifier`
base defined here and re-exports the public names. The decoding primitives at the end are
pure functions over header values: they return ``None`` for malformed input and leave the
choice of error to the verifier, which knows the vendor and the header.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import math
import re
import threading
import time
import weakref
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from heapq import heappop, heappush
from typing import Any, ClassVar, NamedTuple, Protocol, TypeGuard, TypeVar, overload

import httpx

from ._errors import ConfigurationError, ConnectorError
from ._redact import MASK, register_secrets, unregister_secrets

T = TypeVar("T")

HeadersInput = httpx.Headers | Mapping[str, str] | Sequence[tuple[bytes, bytes]]
"""What a verifier accepts as headers: any str mapping (looked up case-insensitively),
httpx's headers, or an ASGI scope's raw ``(name, value)`` byte pairs."""

BodyInput = bytes | bytearray | memoryview | str
"""The raw body as received; text is encoded as UTF-8."""

DEFAULT_TOLERANCE = 300.0
"""Seconds a signed timestamp may differ from the clock, either way (5 minutes)."""

DEFAULT_REPLAY_WINDOW = 300.0
"""Seconds a delivery is remembered by schemes that sign no timestamp (GitHub, Shopify)."""


# -- errors ---------------------------------------------------------------------------


class WebhookVerificationError(ConnectorError):
    """A webhook delivery was rejected. `http_status` is the answer a receiver should give."""

    http_status: ClassVar[int] = 400

    def __init__(self, reason: str, *, scheme: str, header: str | None = None) -> None:
        self.scheme = scheme
        self.header = header
        self.reason = reason
        where = f" [{header}]" if header else ""
        super().__init__(f"{scheme} webhook rejected: {reason}{where}", connector=scheme)


class MissingSignatureError(WebhookVerificationError):
    """A header the signature depends on (signature, timestamp) is absent or empty."""

    http_status = 401


class InvalidSignatureError(WebhookVerificationError):
    """The signature does not match, or a signing header is malformed."""

    http_status = 401


class StaleTimestampError(WebhookVerificationError):
    """The signed timestamp is further from the clock than the tolerance (past or future)."""

    http_status = 401


class ReplayedDeliveryError(WebhookVerificationError):
    """The same signed delivery was already accepted within the replay window."""

    http_status = 400


class InvalidPayloadError(WebhookVerificationError):
    """The delivery is authentic but its body cannot be parsed (`unwrap` only)."""

    http_status = 400


# -- replay protection ----------------------------------------------------------------


class ReplayGuard(Protocol):
    """Remembers accepted deliveries. Implementations must make `seen` atomic per key.

    A Redis implementation is one command: ``SET key 1 NX PX <ttl in ms>`` returns nothing
    when the key already exists, that is when `seen` must return True.
    """

    def seen(self, key: str, ttl: float) -> bool:
        """True if `key` is already recorded and unexpired; else record it for `ttl` seconds."""
        ...


class InMemoryReplayGuard:
    """Keys in this process's memory, each dropped when its time is up; thread-safe.

    Memory is bounded by the deliveries accepted within one window: every call first drops
    the entries that expired, oldest first, from a heap ordered by expiry.
    """

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._expiries: dict[str, float] = {}
        self._by_expiry: list[tuple[float, str]] = []
        self._lock = threading.Lock()

    def seen(self, key: str, ttl: float) -> bool:
        with self._lock:
            now = self._clock()
            self._drop_expired(now)
            if key in self._expiries:
                return True
            expiry = now + max(ttl, 0.0)
            self._expiries[key] = expiry
            heappush(self._by_expiry, (expiry, key))
            return False

    def __len__(self) -> int:
        with self._lock:
            self._drop_expired(self._clock())
            return len(self._expiries)

    def _drop_expired(self, now: float) -> None:
        while self._by_expiry and self._by_expiry[0][0] <= now:
            _, key = heappop(self._by_expiry)
            self._expiries.pop(key, None)

    def __repr__(self) -> str:
        return f"InMemoryReplayGuard(entries={len(self._expiries)})"


# -- the common base ------------------------------------------------------------------


class Authentic(NamedTuple):
    """What a scheme learned from a delivery whose signature matched."""

    digest: bytes  # the expected signature that matched: the replay key
    timestamp: float | None = None  # the signed timestamp, in seconds, if the scheme has one
    timestamp_header: str | None = None


class WebhookVerifier(ABC):
    """Base of the per-scheme verifiers: the checks' order, replay keys and parsing.

    Order: the signature first (so unauthenticated callers learn nothing else and cannot
    fill the replay guard), then the timestamp window, then replays. The replay key is the
    matched signature: it covers the body and the signed timestamp, whereas vendors'
    delivery-id headers are mostly outside the signature and could be changed by whoever
    replays a delivery. A delivery is remembered for as long as it could be accepted again.
    """

    scheme: ClassVar[str]
    signature_header: str  # a class attribute; Shopify-style verifiers set their own

    def __init__(
        self,
        *,
        secrets: Iterable[str],
        tolerance: float | None,
        replay_guard: ReplayGuard | bool,
        replay_window: float = DEFAULT_REPLAY_WINDOW,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if tolerance is not None and not tolerance > 0:
            raise ConfigurationError(f"{self.scheme} webhook: tolerance must be positive")
        if not replay_window > 0:
            raise ConfigurationError(f"{self.scheme} webhook: replay_window must be positive")
        self.tolerance = tolerance
        self.replay_window = replay_window
        # Compared by identity: a guard object may be falsy (an empty one has len 0).
        self.replay_guard: ReplayGuard | None
        if replay_guard is True:
            self.replay_guard = InMemoryReplayGuard()
        elif replay_guard is False:
            self.replay_guard = None
        else:
            self.replay_guard = replay_guard
        self._clock = clock
        held = tuple(secrets)
        _release_collected_secrets()
        register_secrets(held)
        weakref.finalize(self, _collected_secrets.append, held)

    def verify(
        self,
        headers: HeadersInput,
        body: BodyInput,
        *,
        now: float | None = None,
        method: str | None = None,
        url: str | None = None,
    ) -> None:
        """Accept the delivery or raise a `WebhookVerificationError` subclass.

        `now` (seconds since the epoch) replaces the clock; `method` and `url` are the
        request's, needed by schemes that sign them (HubSpot) and ignored by the others.
        """
        self._verify(as_headers(headers), as_bytes(body), now, method, url)

    @overload
    def unwrap(
        self,
        headers: HeadersInput,
        body: BodyInput,
        *,
        now: float | None = None,
        method: str | None = None,
        url: str | None = None,
        decode: None = None,
    ) -> Any: ...

    @overload
    def unwrap(
        self,
        headers: HeadersInput,
        body: BodyInput,
        *,
        now: float | None = None,
        method: str | None = None,
        url: str | None = None,
        decode: Callable[[Any], T],
    ) -> T: ...

    def unwrap(
        self,
        headers: HeadersInput,
        body: BodyInput,
        *,
        now: float | None = None,
        method: str | None = None,
        url: str | None = None,
        decode: Callable[[Any], T] | None = None,
    ) -> T | Any:
        """Verify, then return the parsed body, passed through `decode` when given.

        `decode` is where a generated connector's typed event constructor plugs in.
        """
        parsed_headers, raw = as_headers(headers), as_bytes(body)
        self._verify(parsed_headers, raw, now, method, url)
        event = self._parse(parsed_headers, raw)
        return event if decode is None else decode(event)

    def __repr__(self) -> str:
        window = (
            f"tolerance={self.tolerance!r}"
            if self.tolerance is not None
            else f"replay_window={self.replay_window!r}"
        )
        name = type(self).__name__
        return f"{name}(secret={MASK!r}, {window}, replay_guard={self.replay_guard!r})"

    # -- for the schemes -----------------------------------------------------------------

    @abstractmethod
    def _authenticate(
        self, headers: httpx.Headers, body: bytes, method: str | None, url: str | None
    ) -> Authentic:
        """Check the signature; return what the later checks need or raise."""

    def _parse(self, headers: httpx.Headers, body: bytes) -> Any:
        try:
            return json.loads(body)
        except ValueError:  # JSONDecodeError and UnicodeDecodeError both are
            raise self._error(InvalidPayloadError, "the body is not JSON") from None

    def _error(
        self, kind: type[WebhookVerificationError], reason: str, header: str | None = None
    ) -> WebhookVerificationError:
        return kind(reason, scheme=self.scheme, header=header)

    def _require(self, headers: httpx.Headers, name: str) -> str:
        value = str(headers.get(name, "")).strip()
        if not value:
            raise self._error(MissingSignatureError, "header missing or empty", name)
        return value

    def _malformed(self, header: str, expected: str) -> WebhookVerificationError:
        return self._error(InvalidSignatureError, f"malformed value, expected {expected}", header)

    def _mismatch(self, header: str | None = None) -> WebhookVerificationError:
        return self._error(
            InvalidSignatureError,
            "signature does not match the body and the secret",
            header or self.signature_header,
        )

    # -- the checks' order -----------------------------------------------------------------

    def _verify(
        self,
        headers: httpx.Headers,
        body: bytes,
        now: float | None,
        method: str | None,
        url: str | None,
    ) -> None:
        authentic = self._authenticate(headers, body, method, url)
        current = self._clock() if now is None else now
        if authentic.timestamp is None or self.tolerance is None:
            remember_for = self.replay_window
        else:
            remember_for = self._check_window(
                authentic.timestamp, authentic.timestamp_header, current, self.tolerance
            )
        guard = self.replay_guard
        replay_key = f"{self.scheme}:{authentic.digest.hex()}"
        if guard is not None and guard.seen(replay_key, remember_for):
            raise self._error(
                ReplayedDeliveryError, "this delivery was already accepted", self.signature_header
            )

    def _check_window(
        self, timestamp: float, header: str | None, now: float, tolerance: float
    ) -> float:
        """Raise if the timestamp is out of the window; else the seconds it stays inside."""
        age = now - timestamp
        if age > tolerance:
            reason = f"timestamp is {math.floor(age)} s old, more than the {tolerance:g} s allowed"
            raise self._error(StaleTimestampError, reason, header)
        if -age > tolerance:
            reason = (
                f"timestamp is {math.floor(-age)} s in the future, "
                f"more than the {tolerance:g} s allowed"
            )
            raise self._error(StaleTimestampError, reason, header)
        return timestamp + tolerance - now


# Secrets of verifiers that were garbage-collected, released at the next registration. The
# finalizer must not call into the secret registry itself: the collector may run it while
# this very thread holds the registry's lock (the registry compiles a pattern under it).
_collected_secrets: deque[tuple[str, ...]] = deque()


def _release_collected_secrets() -> None:
    while True:
        try:
            held = _collected_secrets.popleft()
        except IndexError:
            return
        unregister_secrets(held)


def secret_key(secret: str, scheme: str, name: str = "secret") -> bytes:
    if not isinstance(secret, str) or not secret:
        raise ConfigurationError(f"{scheme} webhook: {name} must be a non-empty string")
    return secret.encode("utf-8")


# -- decoding primitives ----------------------------------------------------------------


_EPOCH = re.compile(r"\d{1,20}")

# HubSpot's v3 scheme signs the URI with these percent-escapes decoded, and only these.
_HUBSPOT_DECODED_ESCAPES = {
    "%3A": ":",
    "%2F": "/",
    "%3F": "?",
    "%40": "@",
    "%21": "!",
    "%24": "$",
    "%27": "'",
    "%28": "(",
    "%29": ")",
    "%2A": "*",
    "%2C": ",",
    "%3B": ";",
}
_HUBSPOT_ESCAPE = re.compile("|".join(_HUBSPOT_DECODED_ESCAPES), re.IGNORECASE)

# Zoom plain tokens are short random strings; anything else is refused so that the
# url-validation answer can never serve as a signing oracle for "v0:..." content.
_ZOOM_PLAIN_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")

STANDARD_SECRET_PREFIX = "whsec_"


def as_headers(headers: HeadersInput) -> httpx.Headers:
    """Case-insensitive headers; httpx's own class does the lookup and the decoding."""
    return headers if isinstance(headers, httpx.Headers) else httpx.Headers(headers)


def as_bytes(body: BodyInput) -> bytes:
    return body.encode("utf-8") if isinstance(body, str) else bytes(body)


def hmac_sha256(key: bytes, message: bytes) -> bytes:
    return hmac.new(key, message, hashlib.sha256).digest()


def matches_any(expected: bytes, candidates: Iterable[bytes]) -> bool:
    """True if any candidate equals `expected`, each compared in constant time.

    Every candidate is compared, so the time taken does not tell which one matched.
    """
    matched = False
    for candidate in candidates:
        matched |= hmac.compare_digest(expected, candidate)
    return matched


def decode_hex(value: str) -> bytes | None:
    try:
        return binascii.unhexlify(value)
    except ValueError:  # binascii.Error is a ValueError, and so is non-ASCII text
        return None


def decode_base64(value: str) -> bytes | None:
    try:
        return base64.b64decode(value, validate=True)
    except ValueError:
        return None


def encode_base64(digest: bytes) -> str:
    return base64.b64encode(digest).decode("ascii")


def after_prefix(value: str, prefix: str) -> str | None:
    """The rest of `value` after `prefix`, or None when it does not start with it."""
    return value[len(prefix) :] if value.startswith(prefix) else None


def parse_epoch(value: str) -> int | None:
    """An integer count of seconds or milliseconds since the epoch, digits only."""
    return int(value) if _EPOCH.fullmatch(value) else None


def parse_rfc3339(value: str) -> float | None:
    """Seconds since the epoch from an RFC 3339 date-time; a missing offset means UTC."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def parse_stripe_signature(value: str) -> tuple[str, list[bytes]] | None:
    """``t=<ts>,v1=<hex>[,v1=<hex>...]`` -> (the timestamp as sent, the v1 digests).

    Other schemes' entries (``v0=`` test signatures) are ignored, as are v1 values that are
    not hex: they cannot match. None when there is no valid timestamp or no v1 digest.
    """
    timestamp: str | None = None
    digests: list[bytes] = []
    for item in value.split(","):
        name, separator, field = item.strip().partition("=")
        if not separator:
            continue
        if name == "t":
            timestamp = field
        elif name == "v1" and (digest := decode_hex(field)) is not None:
            digests.append(digest)
    if timestamp is None or parse_epoch(timestamp) is None or not digests:
        return None
    return timestamp, digests


def parse_standard_signatures(value: str) -> list[bytes]:
    """The digests of the ``v1,<base64>`` entries of a ``webhook-signature`` header.

    Entries of other versions (``v1a`` asymmetric signatures) and undecodable ones are
    skipped.
    """
    digests: list[bytes] = []
    for entry in value.split():
        version, separator, encoded = entry.partition(",")
        if separator and version == "v1" and (digest := decode_base64(encoded)) is not None:
            digests.append(digest)
    return digests


def decode_standard_secret(secret: str | bytes) -> bytes:
    """The HMAC key of a Standard Webhooks secret: ``whsec_<base64>``, bare base64 or raw bytes.

    Raises ValueError (without the secret in the message) when it is empty or not base64.
    """
    if isinstance(secret, bytes):
        key = secret
    else:
        encoded = secret.removeprefix(STANDARD_SECRET_PREFIX)
        # Secrets are sometimes handed out without their base64 padding.
        key_or_none = decode_base64(encoded + "=" * (-len(encoded) % 4))
        if key_or_none is None:
            raise ValueError("the secret is not base64 after its 'whsec_' prefix")
        key = key_or_none
    if not key:
        raise ValueError("the secret is empty")
    return key


def standard_secret_forms(secret: str | bytes) -> tuple[str, ...]:
    """The spellings of a Standard Webhooks secret that must be masked in logs."""
    if isinstance(secret, bytes):
        encoded = base64.b64encode(secret).decode("ascii")
        return (STANDARD_SECRET_PREFIX + encoded, encoded)
    return (secret, secret.removeprefix(STANDARD_SECRET_PREFIX))


def normalize_hubspot_uri(uri: str) -> str:
    return _HUBSPOT_ESCAPE.sub(lambda escape: _HUBSPOT_DECODED_ESCAPES[escape[0].upper()], uri)


def is_zoom_plain_token(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and _ZOOM_PLAIN_TOKEN.fullmatch(value) is not None
