"""Webhook verification, each scheme against deliveries signed here from the vendor's algorithm.

The signing functions below use ``hmac``/``hashlib``/``base64`` directly and nothing from
`connectory.core.webhooks`, so a verifier that computes the wrong content cannot agree
with them by construction.
"""

from __future__ import annotations

import base64
import gc
import hashlib
import hmac
import json
import pickle
import re
import secrets
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, TypedDict

import attrs
import httpx
import pytest
import standardwebhooks
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectory.core import ConfigurationError, ConnectorError
from connectory.core._redact import MASK, redact
from connectory.core.webhooks import (
    WEBHOOK_SCHEMES,
    BoxWebhook,
    GitHubWebhook,
    HubSpotWebhook,
    InMemoryReplayGuard,
    InvalidPayloadError,
    InvalidSignatureError,
    MissingSignatureError,
    ReplayedDeliveryError,
    ShopifyWebhook,
    SlackWebhook,
    StaleTimestampError,
    StandardWebhook,
    StripeWebhook,
    WebhookVerificationError,
    WebhookVerifier,
    ZoomWebhook,
    webhook_verifier,
)

NOW = 1_700_000_000
METHOD = "POST"
URL = "https://hooks.example.com/webhooks/hubspot?portal=7"


class Request(TypedDict):
    method: str
    url: str


# Passed to every verifier: HubSpot signs them, the others ignore them.
REQUEST = Request(method=METHOD, url=URL)
EVENT = {"id": "evt_1", "type": "thing.updated", "data": {"name": "Zoë", "count": 3}}
BODY = json.dumps(EVENT).encode()


def hmac_sha256(key: bytes, message: bytes) -> bytes:
    return hmac.new(key, message, hashlib.sha256).digest()


def b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode()


# -- each vendor's signing, from its documented algorithm ------------------------------


def sign_github(secret: str, body: bytes, timestamp: int) -> dict[str, str]:
    digest = hmac_sha256(secret.encode(), body).hex()
    return {"X-Hub-Signature-256": f"sha256={digest}", "X-GitHub-Delivery": "d-1"}


def sign_slack(secret: str, body: bytes, timestamp: int) -> dict[str, str]:
    digest = hmac_sha256(secret.encode(), f"v0:{timestamp}:".encode() + body).hex()
    return {"X-Slack-Request-Timestamp": str(timestamp), "X-Slack-Signature": f"v0={digest}"}


def sign_stripe(secret: str, body: bytes, timestamp: int) -> dict[str, str]:
    digest = hmac_sha256(secret.encode(), f"{timestamp}.".encode() + body).hex()
    return {"Stripe-Signature": f"t={timestamp},v1={digest}"}


def sign_zoom(secret: str, body: bytes, timestamp: int) -> dict[str, str]:
    digest = hmac_sha256(secret.encode(), f"v0:{timestamp}:".encode() + body).hex()
    return {"x-zm-request-timestamp": str(timestamp), "x-zm-signature": f"v0={digest}"}


BOX_ZONE = timezone(timedelta(hours=-8))


def box_secondary(primary: str) -> str:
    """The secondary key the common tests pair with a primary one."""
    return primary[::-1] + "-2"


def sign_box(
    secret: str, body: bytes, timestamp: int, secondary: str | None = None
) -> dict[str, str]:
    secondary = box_secondary(secret) if secondary is None else secondary
    delivered_at = datetime.fromtimestamp(timestamp, BOX_ZONE).isoformat()
    signed = body + delivered_at.encode()
    return {
        "BOX-DELIVERY-ID": "f96bb54b-ee16-4fc5-aa65-8c2d9e5b546f",
        "BOX-DELIVERY-TIMESTAMP": delivered_at,
        "BOX-SIGNATURE-PRIMARY": b64(hmac_sha256(secret.encode(), signed)),
        "BOX-SIGNATURE-SECONDARY": b64(hmac_sha256(secondary.encode(), signed)),
        "BOX-SIGNATURE-VERSION": "1",
        "BOX-SIGNATURE-ALGORITHM": "HmacSHA256",
    }


def sign_hubspot(
    secret: str, body: bytes, timestamp: int, method: str = METHOD, uri: str = URL
) -> dict[str, str]:
    milliseconds = str(timestamp * 1000)
    signed = method.encode() + uri.encode() + body + milliseconds.encode()
    return {
        "X-HubSpot-Signature-v3": b64(hmac_sha256(secret.encode(), signed)),
        "X-HubSpot-Request-Timestamp": milliseconds,
    }


def sign_shopify(secret: str, body: bytes, timestamp: int) -> dict[str, str]:
    return {"X-Shopify-Hmac-Sha256": b64(hmac_sha256(secret.encode(), body))}


def sign_standard(secret: str, body: bytes, timestamp: int) -> dict[str, str]:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    message_id = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W"
    digest = hmac_sha256(key, f"{message_id}.{timestamp}.".encode() + body)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": f"v1,{b64(digest)}",
    }


def text_secret() -> str:
    return secrets.token_urlsafe(24)


def standard_secret() -> str:
    return "whsec_" + b64(secrets.token_bytes(24))


@attrs.frozen
class Scheme:
    name: str
    make: Callable[..., WebhookVerifier]  # (secret, **options) -> verifier
    sign: Callable[[str, bytes, int], dict[str, str]]
    new_secret: Callable[[], str]
    tolerance: float | None
    # Header groups whose absence is a missing signature (removed together).
    required: tuple[tuple[str, ...], ...]
    malformed: tuple[tuple[str, str], ...]  # (header, a malformed value)

    def __str__(self) -> str:
        return self.name


SCHEMES = [
    Scheme(
        "github",
        GitHubWebhook,
        sign_github,
        text_secret,
        None,
        (("X-Hub-Signature-256",),),
        (
            ("X-Hub-Signature-256", "sha1=0a1b2c3d"),
            ("X-Hub-Signature-256", "sha256=not-hex-at-all"),
            ("X-Hub-Signature-256", "0a1b2c3d4e5f"),
        ),
    ),
    Scheme(
        "slack",
        SlackWebhook,
        sign_slack,
        text_secret,
        300,
        (("X-Slack-Signature",), ("X-Slack-Request-Timestamp",)),
        (
            ("X-Slack-Signature", "v1=0a1b"),
            ("X-Slack-Signature", "v0=zz"),
            ("X-Slack-Request-Timestamp", "yesterday"),
            ("X-Slack-Request-Timestamp", "-1700000000"),
            ("X-Slack-Request-Timestamp", "1700000000.5"),
        ),
    ),
    Scheme(
        "stripe",
        StripeWebhook,
        sign_stripe,
        text_secret,
        300,
        (("Stripe-Signature",),),
        (
            ("Stripe-Signature", "v1=0a1b2c"),
            ("Stripe-Signature", "t=1700000000"),
            ("Stripe-Signature", "t=soon,v1=0a1b"),
            ("Stripe-Signature", "t=1700000000,v1=not-hex"),
            ("Stripe-Signature", "garbage"),
        ),
    ),
    Scheme(
        "zoom",
        ZoomWebhook,
        sign_zoom,
        text_secret,
        300,
        (("x-zm-signature",), ("x-zm-request-timestamp",)),
        (
            ("x-zm-signature", "0a1b2c"),
            ("x-zm-signature", "v0=xyz"),
            ("x-zm-request-timestamp", "now"),
        ),
    ),
    Scheme(
        "box",
        lambda secret, **options: BoxWebhook(secret, box_secondary(secret), **options),
        sign_box,
        text_secret,
        600,
        (("BOX-SIGNATURE-PRIMARY", "BOX-SIGNATURE-SECONDARY"), ("BOX-DELIVERY-TIMESTAMP",)),
        (
            ("BOX-DELIVERY-TIMESTAMP", "last tuesday"),
            ("BOX-SIGNATURE-VERSION", "2"),
            ("BOX-SIGNATURE-ALGORITHM", "HmacSHA1"),
        ),
    ),
    Scheme(
        "hubspot",
        HubSpotWebhook,
        sign_hubspot,
        text_secret,
        300,
        (("X-HubSpot-Signature-v3",), ("X-HubSpot-Request-Timestamp",)),
        (
            ("X-HubSpot-Signature-v3", "not base64!"),
            ("X-HubSpot-Request-Timestamp", "1700000000000.0"),
        ),
    ),
    Scheme(
        "shopify",
        ShopifyWebhook,
        sign_shopify,
        text_secret,
        None,
        (("X-Shopify-Hmac-Sha256",),),
        (("X-Shopify-Hmac-Sha256", "not base64!"),),
    ),
    Scheme(
        "standard",
        StandardWebhook,
        sign_standard,
        standard_secret,
        300,
        (("webhook-id",), ("webhook-timestamp",), ("webhook-signature",)),
        (
            ("webhook-signature", "v2,c2lnbmF0dXJl"),
            ("webhook-signature", "v1"),
            ("webhook-signature", "v1,!!not-base64!!"),
            ("webhook-timestamp", "1700000000.0"),
        ),
    ),
]
TIMED = [scheme for scheme in SCHEMES if scheme.tolerance is not None]
UNTIMED = [scheme for scheme in SCHEMES if scheme.tolerance is None]


def without(headers: dict[str, str], *names: str) -> dict[str, str]:
    lowered = {name.lower() for name in names}
    return {key: value for key, value in headers.items() if key.lower() not in lowered}


def replaced(headers: dict[str, str], name: str, value: str) -> dict[str, str]:
    return {**without(headers, name), name: value}


def error_text(error: BaseException) -> str:
    """Everything an error shows: str, repr, its state, and the same for its whole chain."""
    parts: list[str] = []
    seen: BaseException | None = error
    while seen is not None:
        parts += [str(seen), repr(seen), repr(vars(seen)), repr(seen.args)]
        seen = seen.__cause__ or seen.__context__
    return "\n".join(parts)


def fragments(value: str, size: int = 9) -> Iterator[str]:
    return (value[start : start + size] for start in range(len(value) - size + 1))


# -- the common contract, for every scheme ----------------------------------------------


@pytest.mark.parametrize("scheme", SCHEMES, ids=str)
def test_known_good_delivery_verifies_and_unwraps_to_the_parsed_json(scheme: Scheme) -> None:
    secret = scheme.new_secret()
    headers = scheme.sign(secret, BODY, NOW)
    verifier = scheme.make(secret, replay_guard=False)
    verifier.verify(headers, BODY, now=NOW, **REQUEST)
    assert verifier.unwrap(headers, BODY, now=NOW, **REQUEST) == EVENT


@pytest.mark.parametrize("scheme", SCHEMES, ids=str)
@pytest.mark.parametrize(
    "shape",
    [
        pytest.param(lambda h: {k.lower(): v for k, v in h.items()}, id="lower"),
        pytest.param(lambda h: {k.upper(): v for k, v in h.items()}, id="upper"),
        pytest.param(httpx.Headers, id="httpx"),
        pytest.param(lambda h: [(k.encode(), v.encode()) for k, v in h.items()], id="asgi"),
    ],
)
def test_headers_are_looked_up_case_insensitively_in_any_shape(
    scheme: Scheme, shape: Callable[[dict[str, str]], Any]
) -> None:
    secret = scheme.new_secret()
    verifier = scheme.make(secret, replay_guard=False)
    verifier.verify(shape(scheme.sign(secret, BODY, NOW)), BODY, now=NOW, **REQUEST)


@pytest.mark.parametrize("scheme", SCHEMES, ids=str)
def test_text_body_is_verified_as_its_utf8_bytes(scheme: Scheme) -> None:
    secret = scheme.new_secret()
    text = '{"greeting": "grüße, 世界"}'
    headers = scheme.sign(secret, text.encode("utf-8"), NOW)
    event = scheme.make(secret).unwrap(headers, text, now=NOW, **REQUEST)
    assert event == {"greeting": "grüße, 世界"}


@pytest.mark.parametrize("scheme", SCHEMES, ids=str)
def test_tampered_body_is_rejected(scheme: Scheme) -> None:
    secret = scheme.new_secret()
    headers = scheme.sign(secret, BODY, NOW)
    tampered = BODY.replace(b'"count": 3', b'"count": 4')
    with pytest.raises(InvalidSignatureError, match="does not match"):
        scheme.make(secret).verify(headers, tampered, now=NOW, **REQUEST)


@pytest.mark.parametrize("scheme", SCHEMES, ids=str)
def test_wrong_secret_is_rejected(scheme: Scheme) -> None:
    headers = scheme.sign(scheme.new_secret(), BODY, NOW)
    with pytest.raises(InvalidSignatureError) as caught:
        scheme.make(scheme.new_secret()).verify(headers, BODY, now=NOW, **REQUEST)
    assert caught.value.scheme == scheme.name
    assert caught.value.http_status == 401


@pytest.mark.parametrize(
    ("scheme", "names"),
    [(scheme, names) for scheme in SCHEMES for names in scheme.required],
    ids=lambda value: str(value) if isinstance(value, Scheme) else "+".join(value),
)
def test_missing_signing_header_is_rejected_naming_it(
    scheme: Scheme, names: tuple[str, ...]
) -> None:
    secret = scheme.new_secret()
    headers = without(scheme.sign(secret, BODY, NOW), *names)
    with pytest.raises(MissingSignatureError) as caught:
        scheme.make(secret).verify(headers, BODY, now=NOW, **REQUEST)
    assert caught.value.header is not None
    for name in names:
        assert name.lower() in caught.value.header.lower()
        assert name.lower() in str(caught.value).lower()


@pytest.mark.parametrize("scheme", SCHEMES, ids=str)
def test_empty_signature_header_counts_as_missing(scheme: Scheme) -> None:
    secret = scheme.new_secret()
    headers = scheme.sign(secret, BODY, NOW)
    for names in scheme.required:
        emptied = {**without(headers, *names), **dict.fromkeys(names, " ")}
        with pytest.raises(MissingSignatureError):
            scheme.make(secret).verify(emptied, BODY, now=NOW, **REQUEST)


@pytest.mark.parametrize(
    ("scheme", "header", "value"),
    [(scheme, header, value) for scheme in SCHEMES for header, value in scheme.malformed],
    ids=lambda value: str(value),
)
def test_malformed_header_is_rejected_naming_it(scheme: Scheme, header: str, value: str) -> None:
    secret = scheme.new_secret()
    headers = replaced(scheme.sign(secret, BODY, NOW), header, value)
    with pytest.raises(InvalidSignatureError) as caught:
        scheme.make(secret).verify(headers, BODY, now=NOW, **REQUEST)
    assert header.lower() in str(caught.value).lower()


@pytest.mark.parametrize("scheme", TIMED, ids=str)
def test_stale_timestamp_is_rejected(scheme: Scheme) -> None:
    assert scheme.tolerance is not None
    secret = scheme.new_secret()
    signed_at = NOW - int(scheme.tolerance) - 1
    headers = scheme.sign(secret, BODY, signed_at)
    with pytest.raises(StaleTimestampError, match="old") as caught:
        scheme.make(secret).verify(headers, BODY, now=NOW, **REQUEST)
    assert caught.value.header is not None


@pytest.mark.parametrize("scheme", TIMED, ids=str)
def test_future_timestamp_beyond_the_tolerance_is_rejected(scheme: Scheme) -> None:
    assert scheme.tolerance is not None
    secret = scheme.new_secret()
    headers = scheme.sign(secret, BODY, NOW + int(scheme.tolerance) + 1)
    with pytest.raises(StaleTimestampError, match="future"):
        scheme.make(secret).verify(headers, BODY, now=NOW, **REQUEST)


@pytest.mark.parametrize("scheme", TIMED, ids=str)
def test_timestamps_at_the_edges_of_the_window_are_accepted(scheme: Scheme) -> None:
    assert scheme.tolerance is not None
    secret = scheme.new_secret()
    verifier = scheme.make(secret, replay_guard=False)
    for signed_at in (NOW - int(scheme.tolerance), NOW + int(scheme.tolerance)):
        verifier.verify(scheme.sign(secret, BODY, signed_at), BODY, now=NOW, **REQUEST)


@pytest.mark.parametrize("scheme", TIMED, ids=str)
def test_the_clock_is_injectable(scheme: Scheme) -> None:
    secret = scheme.new_secret()
    headers = scheme.sign(secret, BODY, NOW)
    scheme.make(secret, clock=lambda: float(NOW)).verify(headers, BODY, **REQUEST)
    with pytest.raises(StaleTimestampError):
        scheme.make(secret, clock=lambda: NOW + 86_400.0).verify(headers, BODY, **REQUEST)


@pytest.mark.parametrize("scheme", SCHEMES, ids=str)
def test_replayed_delivery_is_rejected(scheme: Scheme) -> None:
    secret = scheme.new_secret()
    headers = scheme.sign(secret, BODY, NOW)
    verifier = scheme.make(secret)
    verifier.verify(headers, BODY, now=NOW, **REQUEST)
    with pytest.raises(ReplayedDeliveryError, match="already accepted"):
        verifier.verify(headers, BODY, now=NOW + 1, **REQUEST)


@pytest.mark.parametrize("scheme", SCHEMES, ids=str)
def test_replay_protection_can_be_turned_off(scheme: Scheme) -> None:
    secret = scheme.new_secret()
    headers = scheme.sign(secret, BODY, NOW)
    verifier = scheme.make(secret, replay_guard=False)
    for _ in range(2):
        verifier.verify(headers, BODY, now=NOW, **REQUEST)


@pytest.mark.parametrize("scheme", SCHEMES, ids=str)
def test_a_fresh_signature_of_the_same_body_is_not_a_replay(scheme: Scheme) -> None:
    """Vendors' retries are signed again; only untimed schemes cannot tell them apart."""
    secret = scheme.new_secret()
    verifier = scheme.make(secret)
    verifier.verify(scheme.sign(secret, BODY, NOW), BODY, now=NOW, **REQUEST)
    retry = scheme.sign(secret, BODY, NOW + 1)
    if scheme.tolerance is None:
        with pytest.raises(ReplayedDeliveryError):
            verifier.verify(retry, BODY, now=NOW + 1, **REQUEST)
    else:
        verifier.verify(retry, BODY, now=NOW + 1, **REQUEST)


@pytest.mark.parametrize("scheme", SCHEMES, ids=str)
def test_forged_deliveries_do_not_fill_the_replay_guard(scheme: Scheme) -> None:
    secret = scheme.new_secret()
    guard = InMemoryReplayGuard()
    verifier = scheme.make(secret, replay_guard=guard)
    forged = scheme.sign(scheme.new_secret(), BODY, NOW)
    with pytest.raises(InvalidSignatureError):
        verifier.verify(forged, BODY, now=NOW, **REQUEST)
    assert len(guard) == 0
    verifier.verify(scheme.sign(secret, BODY, NOW), BODY, now=NOW, **REQUEST)
    assert len(guard) == 1


@pytest.mark.parametrize("scheme", TIMED, ids=str)
def test_a_delivery_is_remembered_until_its_timestamp_leaves_the_window(scheme: Scheme) -> None:
    assert scheme.tolerance is not None
    secret = scheme.new_secret()
    elapsed = [0.0]
    guard = InMemoryReplayGuard(clock=lambda: elapsed[0])
    verifier = scheme.make(secret, replay_guard=guard)
    headers = scheme.sign(secret, BODY, NOW)
    verifier.verify(headers, BODY, now=NOW, **REQUEST)
    elapsed[0] = scheme.tolerance - 1
    with pytest.raises(ReplayedDeliveryError):
        verifier.verify(headers, BODY, now=NOW + elapsed[0], **REQUEST)
    elapsed[0] = scheme.tolerance + 1
    assert len(guard) == 0  # forgotten, and the timestamp check now refuses it instead
    with pytest.raises(StaleTimestampError):
        verifier.verify(headers, BODY, now=NOW + elapsed[0], **REQUEST)


@pytest.mark.parametrize("scheme", UNTIMED, ids=str)
def test_untimed_schemes_remember_a_delivery_for_the_replay_window(scheme: Scheme) -> None:
    secret = scheme.new_secret()
    elapsed = [0.0]
    guard = InMemoryReplayGuard(clock=lambda: elapsed[0])
    verifier = scheme.make(secret, replay_guard=guard, replay_window=60)
    headers = scheme.sign(secret, BODY, NOW)
    verifier.verify(headers, BODY)
    elapsed[0] = 59
    with pytest.raises(ReplayedDeliveryError):
        verifier.verify(headers, BODY)
    elapsed[0] = 61
    verifier.verify(headers, BODY)


def test_changing_an_unsigned_delivery_id_does_not_pass_a_replay() -> None:
    secret = text_secret()
    verifier = GitHubWebhook(secret)
    headers = sign_github(secret, BODY, NOW)
    verifier.verify(headers, BODY)
    with pytest.raises(ReplayedDeliveryError):
        verifier.verify({**headers, "X-GitHub-Delivery": "d-2"}, BODY)


# -- nothing secret in errors, reprs or logs --------------------------------------------

# Any text, behind a marker that no message contains: otherwise the search could find a
# "secret" that is a phrase of the message itself, which the redaction would then mask.
SECRET_TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")),
    min_size=12,
    max_size=48,
).map(lambda text: "sk|" + text)


def standard_secret_from(seed: bytes) -> str:
    return "whsec_" + b64(seed)


@pytest.mark.parametrize("scheme", SCHEMES, ids=str)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw_secret=SECRET_TEXT, seed=st.binary(min_size=16, max_size=48), body=st.binary())
def test_rejections_never_show_the_secret_or_a_signature(
    scheme: Scheme, raw_secret: str, seed: bytes, body: bytes
) -> None:
    standard = scheme.name == "standard"
    secret = standard_secret_from(seed) if standard else raw_secret
    other_secret = standard_secret_from(seed + b"x") if standard else raw_secret + "x"
    genuine = scheme.sign(secret, body, NOW)
    tampered_body = body + b"!"
    stale = scheme.sign(secret, body, NOW - 3600)
    # The signature the verifier computes for the tampered body: must never be shown.
    expected = scheme.sign(secret, tampered_body, NOW)
    attempts: list[tuple[dict[str, str], bytes, dict[str, str] | None]] = [
        (genuine, tampered_body, expected),
        (scheme.sign(other_secret, body, NOW), body, genuine),
    ]
    if scheme.tolerance is not None:
        attempts.append((stale, body, None))
    verifier = scheme.make(secret)
    for headers, sent_body, computed in attempts:
        with pytest.raises(WebhookVerificationError) as caught:
            verifier.verify(headers, sent_body, now=NOW, **REQUEST)
        shown = error_text(caught.value)
        assert MASK not in shown  # not even masked: the secret was never put in
        shown += repr(verifier)
        assert secret not in shown
        assert secret.removeprefix("whsec_") not in shown
        signatures = [*headers.values(), *(computed or {}).values()]
        for value in signatures:
            if len(value) > 20:  # a signature, not a timestamp or an id
                assert not any(piece in shown for piece in fragments(value)), value


@pytest.mark.parametrize("scheme", SCHEMES, ids=str)
def test_secrets_are_registered_for_redaction_and_hidden_from_reprs(scheme: Scheme) -> None:
    secret = scheme.new_secret()
    verifier = scheme.make(secret)
    assert secret not in repr(verifier)
    assert secret not in redact(f"config dump: {secret}")
    assert secret.removeprefix("whsec_") not in redact(f"bare: {secret.removeprefix('whsec_')}")
    del verifier
    gc.collect()
    scheme.make(scheme.new_secret())  # releases what collected verifiers held
    assert redact(secret) == secret


def test_errors_survive_pickling_with_their_fields() -> None:
    error = InvalidSignatureError("signature does not match", scheme="github", header="X-Sig")
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own object
    assert (type(copy), str(copy), copy.header) == (type(error), str(error), "X-Sig")
    assert isinstance(copy, ConnectorError)


# -- published vectors ------------------------------------------------------------------


def test_slacks_published_example_verifies() -> None:
    body = (
        "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow"
        "&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner"
        "&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com"
        "%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
        "&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
    )
    headers = {
        "X-Slack-Request-Timestamp": "1531420618",
        "X-Slack-Signature": "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
        "Content-Type": "application/x-www-form-urlencoded",
    }
    verifier = SlackWebhook("8f742231b10e8888abcd99yyyzzz85a5")
    fields = verifier.unwrap(headers, body, now=1531420618)
    assert fields["command"] == "/webhook-collect"
    assert fields["text"] == ""


def test_githubs_published_example_verifies() -> None:
    signature = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    GitHubWebhook("It's a Secret to Everybody").verify(
        {"X-Hub-Signature-256": signature}, b"Hello, World!"
    )


# -- scheme specifics -------------------------------------------------------------------


def test_stripe_accepts_any_v1_signature_and_ignores_other_schemes() -> None:
    secret, old_secret = text_secret(), text_secret()
    current = sign_stripe(secret, BODY, NOW)["Stripe-Signature"].split(",")[1]
    previous = sign_stripe(old_secret, BODY, NOW)["Stripe-Signature"].split(",")[1]
    header = f"t={NOW},{previous},v0={'0' * 64},{current}"
    StripeWebhook(secret).verify({"Stripe-Signature": header}, BODY, now=NOW)
    StripeWebhook(old_secret).verify({"Stripe-Signature": header}, BODY, now=NOW)
    with pytest.raises(InvalidSignatureError):
        StripeWebhook(text_secret()).verify({"Stripe-Signature": header}, BODY, now=NOW)


def test_stripe_v0_signature_alone_is_malformed() -> None:
    secret = text_secret()
    digest = hmac_sha256(secret.encode(), f"{NOW}.".encode() + BODY).hex()
    with pytest.raises(InvalidSignatureError, match="malformed"):
        StripeWebhook(secret).verify({"Stripe-Signature": f"t={NOW},v0={digest}"}, BODY, now=NOW)


def test_box_accepts_the_secondary_key_while_the_primary_is_rotated() -> None:
    new_primary, secondary = text_secret(), text_secret()
    headers = sign_box("the-old-primary-key", BODY, NOW, secondary=secondary)
    BoxWebhook(new_primary, secondary).verify(headers, BODY, now=NOW)
    only_secondary = without(headers, "BOX-SIGNATURE-PRIMARY")
    BoxWebhook(new_primary, secondary, replay_guard=False).verify(only_secondary, BODY, now=NOW)
    with pytest.raises(InvalidSignatureError):
        BoxWebhook(new_primary).verify(only_secondary, BODY, now=NOW)


def test_box_keys_are_checked_against_their_own_header() -> None:
    primary, secondary = text_secret(), text_secret()
    headers = sign_box(primary, BODY, NOW, secondary=secondary)
    swapped = {
        **headers,
        "BOX-SIGNATURE-PRIMARY": headers["BOX-SIGNATURE-SECONDARY"],
        "BOX-SIGNATURE-SECONDARY": headers["BOX-SIGNATURE-PRIMARY"],
    }
    with pytest.raises(InvalidSignatureError):
        BoxWebhook(primary, secondary).verify(swapped, BODY, now=NOW)


def test_box_needs_at_least_one_key() -> None:
    with pytest.raises(ConfigurationError, match="primary key"):
        BoxWebhook(None)


def test_hubspot_signs_the_uri_with_reserved_escapes_decoded() -> None:
    secret = text_secret()
    decoded = "https://hooks.example.com/hubspot?next=/a:b@c&list=(1,2);x!$*'"
    encoded = "https://hooks.example.com/hubspot?next=%2Fa%3Ab%40c&list=%281%2C2%29%3Bx%21%24%2a%27"
    headers = sign_hubspot(secret, BODY, NOW, uri=decoded)
    HubSpotWebhook(secret).verify(headers, BODY, now=NOW, method="POST", url=encoded)
    # Other escapes (a space here) stay as they are in the signed URI.
    spaced = "https://hooks.example.com/hubspot?q=a%20b"
    headers = sign_hubspot(secret, BODY, NOW, uri=spaced)
    HubSpotWebhook(secret).verify(headers, BODY, now=NOW, method="POST", url=spaced)


def test_hubspot_signs_the_method() -> None:
    secret = text_secret()
    headers = sign_hubspot(secret, BODY, NOW, method="POST")
    with pytest.raises(InvalidSignatureError):
        HubSpotWebhook(secret).verify(headers, BODY, now=NOW, method="PUT", url=URL)


def test_hubspot_needs_the_method_and_url() -> None:
    secret = text_secret()
    with pytest.raises(TypeError, match="method= and url="):
        HubSpotWebhook(secret).verify(sign_hubspot(secret, BODY, NOW), BODY, now=NOW)


def test_shopify_style_verifier_reads_the_header_it_is_given() -> None:
    secret = text_secret()
    digest = b64(hmac_sha256(secret.encode(), BODY))
    verifier = ShopifyWebhook(secret, signature_header="X-Acme-Hmac")
    verifier.verify({"x-acme-hmac": digest}, BODY)
    with pytest.raises(MissingSignatureError, match="X-Acme-Hmac"):
        verifier.verify({"X-Shopify-Hmac-Sha256": digest}, BODY)


def test_zoom_url_validation_is_answered_after_verification() -> None:
    secret = text_secret()
    plain_token = "qgg8vlvZRS6UYooatFL8Aw"
    body = json.dumps(
        {
            "payload": {"plainToken": plain_token},
            "event_ts": NOW,
            "event": "endpoint.url_validation",
        }
    ).encode()
    verifier = ZoomWebhook(secret)
    event = verifier.unwrap(sign_zoom(secret, body, NOW), body, now=NOW)
    expected = hmac.new(secret.encode(), plain_token.encode(), hashlib.sha256).hexdigest()
    assert verifier.url_validation_response(event) == {
        "plainToken": plain_token,
        "encryptedToken": expected,
    }


@pytest.mark.parametrize(
    "event",
    [
        {"event": "meeting.started", "payload": {"plainToken": "abc"}},
        {"event": "endpoint.url_validation", "payload": {}},
        {"event": "endpoint.url_validation", "payload": {"plainToken": 12}},
        # A token shaped like signed content would make the answer a forged signature.
        {"event": "endpoint.url_validation", "payload": {"plainToken": f"v0:{NOW}:{{}}"}},
        ["endpoint.url_validation"],
    ],
)
def test_zoom_answers_only_url_validation_events_with_a_plain_token(event: Any) -> None:
    assert ZoomWebhook(text_secret()).url_validation_response(event) is None


def test_slack_interactivity_payload_is_unwrapped_from_its_form_field() -> None:
    secret = text_secret()
    action = {"type": "block_actions", "actions": [{"action_id": "approve"}]}
    body = "payload=" + json.dumps(action).replace(" ", "+").replace('"', "%22")
    headers = {
        **sign_slack(secret, body.encode(), NOW),
        "content-type": "application/x-www-form-urlencoded; charset=utf-8",
    }
    assert SlackWebhook(secret).unwrap(headers, body, now=NOW) == action


def test_authentic_body_that_is_not_json_is_an_invalid_payload() -> None:
    secret = text_secret()
    body = b"<xml>not json</xml>"
    with pytest.raises(InvalidPayloadError, match="not JSON") as caught:
        GitHubWebhook(secret).unwrap(sign_github(secret, body, NOW), body)
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__


@attrs.frozen
class ThingUpdated:
    id: str
    name: str


def test_unwrap_hands_the_json_to_a_decoder() -> None:
    secret = text_secret()
    verifier = StripeWebhook(secret)

    def decode(event: Any) -> ThingUpdated:
        return ThingUpdated(id=event["id"], name=event["data"]["name"])

    typed: ThingUpdated = verifier.unwrap(
        sign_stripe(secret, BODY, NOW), BODY, now=NOW, decode=decode
    )
    assert typed == ThingUpdated(id="evt_1", name="Zoë")


def test_unwrap_does_not_decode_what_failed_verification() -> None:
    decoded: list[Any] = []
    with pytest.raises(InvalidSignatureError):
        GitHubWebhook(text_secret()).unwrap(
            sign_github(text_secret(), BODY, NOW), BODY, decode=decoded.append
        )
    assert decoded == []


# -- Standard Webhooks against the official library --------------------------------------


@settings(max_examples=30, deadline=None)
@given(
    key=st.binary(min_size=24, max_size=64),
    message_id=st.from_regex(r"msg_[A-Za-z0-9]{1,27}", fullmatch=True),
    payload=st.dictionaries(st.text(max_size=8), st.integers() | st.text(max_size=16), max_size=4),
)
def test_standard_webhooks_agree_with_the_official_library_both_ways(
    key: bytes, message_id: str, payload: dict[str, Any]
) -> None:
    secret = "whsec_" + b64(key)
    body = json.dumps(payload, ensure_ascii=False)
    now = datetime.now(UTC).replace(microsecond=0)
    timestamp = int(now.timestamp())
    official = standardwebhooks.Webhook(secret)
    ours = StandardWebhook(secret)

    theirs_signed = official.sign(message_id, now, body)
    headers = {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": theirs_signed,
    }
    assert ours.unwrap(headers, body.encode("utf-8"), now=timestamp) == payload

    our_signature = ours.sign(message_id, timestamp, body)
    assert our_signature == theirs_signed
    assert official.verify(body, {**headers, "webhook-signature": our_signature}) == payload

    tampered = {**headers, "webhook-id": message_id + "x"}
    with pytest.raises(InvalidSignatureError):
        StandardWebhook(secret).verify(tampered, body, now=timestamp)
    with pytest.raises(standardwebhooks.webhooks.WebhookVerificationError):
        official.verify(body, tampered)


def test_standard_webhook_secret_forms() -> None:
    key = secrets.token_bytes(32)
    encoded = b64(key)
    headers = sign_standard("whsec_" + encoded, BODY, NOW)
    for secret in ("whsec_" + encoded, encoded, encoded.rstrip("="), key):
        StandardWebhook(secret, replay_guard=False).verify(headers, BODY, now=NOW)


@pytest.mark.parametrize("secret", ["whsec_", "whsec_not*base64", "", b""])
def test_standard_webhook_rejects_unusable_secrets_without_echoing_them(
    secret: str | bytes,
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        StandardWebhook(secret)
    if isinstance(secret, str) and len(secret) > 6:
        assert secret not in str(caught.value)


def test_standard_webhook_checks_every_listed_signature() -> None:
    secret = standard_secret()
    headers = sign_standard(secret, BODY, NOW)
    other = sign_standard(standard_secret(), BODY, NOW)["webhook-signature"]
    listed = f"v1a,{b64(b'x' * 64)} {other} {headers['webhook-signature']}"
    StandardWebhook(secret).verify({**headers, "webhook-signature": listed}, BODY, now=NOW)


# -- by name, configuration -------------------------------------------------------------


@pytest.mark.parametrize("scheme", SCHEMES, ids=str)
def test_factory_builds_each_scheme_by_name(scheme: Scheme) -> None:
    secret = scheme.new_secret()
    extra = [box_secondary(secret)] if scheme.name == "box" else []
    verifier = webhook_verifier(scheme.name.upper(), secret, *extra)
    assert verifier.scheme == scheme.name
    assert type(verifier) is WEBHOOK_SCHEMES[scheme.name]
    verifier.verify(scheme.sign(secret, BODY, NOW), BODY, now=NOW, **REQUEST)


def test_factory_passes_keyword_secrets() -> None:
    secret = text_secret()
    verifier = webhook_verifier("slack", signing_secret=secret, tolerance=60)
    assert isinstance(verifier, SlackWebhook)
    assert verifier.tolerance == 60


def test_factory_names_the_valid_schemes_for_an_unknown_one() -> None:
    with pytest.raises(ConfigurationError) as caught:
        webhook_verifier("gitlab", secret=text_secret())
    for name in ("box", "github", "hubspot", "shopify", "slack", "standard", "stripe", "zoom"):
        assert name in str(caught.value)
    assert set(WEBHOOK_SCHEMES) == {scheme.name for scheme in SCHEMES}


@pytest.mark.parametrize(
    "build",
    [
        lambda: GitHubWebhook(""),
        lambda: SlackWebhook(text_secret(), tolerance=0),
        lambda: StripeWebhook(text_secret(), tolerance=-5),
        lambda: ShopifyWebhook(text_secret(), replay_window=0),
    ],
)
def test_unusable_configuration_is_refused(build: Callable[[], object]) -> None:
    with pytest.raises(ConfigurationError):
        build()


# -- the in-memory replay guard ---------------------------------------------------------


def test_replay_guard_records_once_and_forgets_after_the_ttl() -> None:
    elapsed = [100.0]
    guard = InMemoryReplayGuard(clock=lambda: elapsed[0])
    assert guard.seen("a", 10) is False
    assert guard.seen("a", 10) is True
    assert guard.seen("b", 30) is False
    elapsed[0] = 110.0
    assert len(guard) == 1  # "a" expired at 110
    assert guard.seen("a", 10) is False
    elapsed[0] = 200.0
    assert len(guard) == 0


def test_replay_guard_memory_stays_bounded_by_the_window() -> None:
    elapsed = [0.0]
    guard = InMemoryReplayGuard(clock=lambda: elapsed[0])
    for second in range(1000):
        elapsed[0] = float(second)
        assert guard.seen(f"delivery-{second}", 60) is False
    assert len(guard) == 60


def test_replay_guard_admits_a_key_once_across_threads() -> None:
    guard = InMemoryReplayGuard()
    barrier = threading.Barrier(8)
    results: list[bool] = []
    lock = threading.Lock()

    def contend() -> None:
        barrier.wait()
        for index in range(200):
            outcome = guard.seen(f"key-{index}", 60)
            with lock:
                results.append(outcome)

    threads = [threading.Thread(target=contend) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count(False) == 200
    assert len(results) == 1600


def test_error_statuses_suit_a_receiver() -> None:
    assert {
        error.http_status
        for error in (MissingSignatureError, InvalidSignatureError, StaleTimestampError)
    } == {401}
    assert ReplayedDeliveryError.http_status == InvalidPayloadError.http_status == 400
    assert re.fullmatch(r"\d{3}", str(WebhookVerificationError.http_status))


# -- the documentation's examples ---------------------------------------------------------

DOCS = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"


def doc_snippets() -> list[str]:
    return re.findall(r"```python\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.DOTALL)


def test_the_documentation_has_a_runnable_snippet_per_scheme() -> None:
    snippets = "\n".join(doc_snippets())
    for verifier in WEBHOOK_SCHEMES.values():
        assert verifier.__name__ in snippets


@pytest.mark.parametrize("snippet", doc_snippets(), ids=lambda code: code.split("\n")[-2][:40])
def test_documentation_snippets_run(snippet: str) -> None:
    exec(compile(snippet, str(DOCS), "exec"), {"__name__": "docs_snippet"})  # noqa: S102
