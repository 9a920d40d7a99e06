"""The webhook receiver: Svix-signed events from Stack Auth, verified, deduplicated and handed to handlers.

With ``STACK_WEBHOOK_SECRET`` set, :class:`~flask_stackauth.StackAuth` mounts ``POST STACK_WEBHOOK_PATH``
(default ``{STACK_URL_PREFIX}/webhooks``). Each delivery is checked with the maintained ``standardwebhooks``
library (the ``webhooks`` extra) on the raw body, refused when its timestamp is more than 5 minutes off,
parsed into a typed event (:mod:`flask_stackauth.webhook_events`) and handed to the handlers registered with
``@stack.on("user.created")`` and to the :data:`~flask_stackauth.signals.webhook_received` signal.

Answers: 204 handled; 200 a message id already handled (no handler runs again); 409 the same id is being
handled right now (Svix retries later); 400 with a reason for anything that does not verify; 500 when a
handler raised (logged once with the event id, the id is not remembered, so Svix's retry runs it again).
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from flask import Flask, current_app, jsonify, request
from werkzeug.wrappers import Response

from .config import StackAuthSettings
from .errors import InvalidWebhook, StackAuthConfigError
from .signals import webhook_received
from .state import get_state
from .webhook_dedup import SeenIds, seen_ids_from_config
from .webhook_events import WebhookEvent, parse_event

log = logging.getLogger("flask_stackauth")

Handler = Callable[[WebhookEvent[Any]], Any]
H = TypeVar("H", bound=Callable[..., Any])

RECEIVER_KEY = "stackauth_webhooks"
ENDPOINT = "stackauth_webhooks"
#: Stack's events are a user or team object: far below this. Larger bodies are refused before verifying.
MAX_BODY_BYTES = 1 << 20
_MESSAGE_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,256}$")
_TIMESTAMP = re.compile(r"^[0-9]{1,12}$")
_MAX_SIGNATURE_HEADER = 8192
_REASONS = {
    "Message timestamp too old": "the webhook's timestamp is more than 5 minutes old (a replayed delivery, or "
                                 "this server's clock is off)",
    "Message timestamp too new": "the webhook's timestamp is more than 5 minutes in the future (this server's "
                                 "clock is off)",
    "No matching signature found": "the webhook signature does not match: is STACK_WEBHOOK_SECRET the signing "
                                   "secret of this endpoint?",
}


def load_verifier(secret: str) -> Any:
    """A ``standardwebhooks.Webhook`` for ``secret``.

    :raises StackAuthConfigError: the ``webhooks`` extra is not installed.
    """
    try:
        from standardwebhooks import Webhook
    except ImportError:
        raise StackAuthConfigError(
            "STACK_WEBHOOK_SECRET is set but the webhook receiver's signature library is not installed: "
            "pip install 'flask-stackauth[webhooks]'.") from None
    return Webhook(secret)


def _header(headers: Mapping[str, str], name: str) -> str:
    # Stack's Svix sends svix-*; newer Svix deployments send the Standard Webhooks names webhook-*.
    value = headers.get(f"svix-{name}") or headers.get(f"webhook-{name}")
    if not value:
        raise InvalidWebhook(f"the svix-{name} header is missing (this route only takes Stack Auth's webhooks)")
    return value


def _v1_signatures(header: str) -> str:
    """The well-formed ``v1,<base64>`` entries of a signature header (others are ignored, as Svix does)."""
    if len(header) > _MAX_SIGNATURE_HEADER:
        raise InvalidWebhook("the svix-signature header is too long")
    good = []
    for entry in header.split(" "):
        version, _, signature = entry.partition(",")
        if version != "v1" or not signature:
            continue
        try:
            base64.b64decode(signature, validate=True)
        except (binascii.Error, ValueError):
            continue
        good.append(entry)
    if not good:
        raise InvalidWebhook("the svix-signature header holds no v1 signature")
    return " ".join(good)


def verify_delivery(verifier: Any, body: bytes, headers: Mapping[str, str]) -> WebhookEvent[Any]:
    """Check one delivery's signature and timestamp on the raw ``body`` and parse it.

    :param verifier: from :func:`load_verifier`.
    :raises InvalidWebhook: with the reason, when anything does not verify.
    """
    from standardwebhooks.webhooks import WebhookVerificationError

    message_id, timestamp = _header(headers, "id"), _header(headers, "timestamp")
    signatures = _v1_signatures(_header(headers, "signature"))
    if not _MESSAGE_ID.match(message_id):
        raise InvalidWebhook("the svix-id header is not a message id")
    if not _TIMESTAMP.match(timestamp):
        raise InvalidWebhook("the svix-timestamp header is not a unix time in seconds")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidWebhook("the webhook body is not UTF-8") from None
    try:
        verifier.verify(text, {"webhook-id": message_id, "webhook-timestamp": timestamp,
                               "webhook-signature": signatures}, json_parse=False)
    except WebhookVerificationError as exc:
        raise InvalidWebhook(_REASONS.get(str(exc), f"the webhook does not verify ({exc})")) from None
    try:
        return parse_event(message_id, json.loads(text), timestamp=int(timestamp))
    except ValueError as exc:  # JSONDecodeError is a ValueError
        raise InvalidWebhook(f"the webhook body is signed but is not a Stack Auth event: {exc}") from None


def _matches(pattern: str, event_type: str) -> bool:
    if pattern in ("*", event_type):
        return True
    return pattern.endswith(".*") and event_type.startswith(pattern[:-1])


class Webhooks:
    """The webhook handlers of one :class:`~flask_stackauth.StackAuth` (``stack.webhooks``).

    Register with ``@stack.on("user.created")`` (or ``@stack.webhooks.on(...)``): several handlers per type
    run in the order they were registered; ``"*"`` takes every event and ``"user.*"`` every ``user.`` event.
    """

    def __init__(self) -> None:
        self._handlers: list[tuple[str, Handler]] = []

    def on(self, event_type: str) -> Callable[[H], H]:
        """Decorator: call the function with each verified event of ``event_type``."""
        if not isinstance(event_type, str) or not event_type:
            raise TypeError('event_type must be an event type such as "user.created", or "*"')

        def register(fn: H) -> H:
            self._handlers.append((event_type, fn))
            return fn

        return register

    def handlers(self, event_type: str) -> list[Handler]:
        """The handlers that take ``event_type``, in registration order."""
        return [fn for pattern, fn in self._handlers if _matches(pattern, event_type)]

    def verify(self, body: bytes, headers: Mapping[str, str], app: Flask | None = None) -> WebhookEvent[Any]:
        """Verify and parse a delivery yourself (for a route of your own), with the app's secret.

        :raises InvalidWebhook: the delivery does not verify.
        :raises StackAuthConfigError: ``STACK_WEBHOOK_SECRET`` is not set.
        """
        app = app or current_app
        receiver = app.extensions.get(RECEIVER_KEY)
        if receiver is None:
            raise StackAuthConfigError("stack.webhooks.verify needs STACK_WEBHOOK_SECRET in the app's settings.")
        return verify_delivery(receiver.verifier, body, headers)


class WebhookReceiver:
    """One app's receiver: its verifier, its handlers and the ids it has handled."""

    def __init__(self, verifier: Any, registry: Webhooks, seen: SeenIds) -> None:
        self.verifier = verifier
        self.registry = registry
        self.seen = seen

    def receive(self, body: bytes, headers: Mapping[str, str]) -> Response:
        """Verify, deduplicate and dispatch one delivery; the HTTP answer for Svix."""
        try:
            event = verify_delivery(self.verifier, body, headers)
        except InvalidWebhook as exc:
            return _answer(400, exc.code, exc.message)
        claim = self.seen.claim(event.id)
        if claim == "done":
            return _answer(200, "ALREADY_HANDLED", "this message id was handled already")
        if claim == "busy":
            response = _answer(409, "BEING_HANDLED", "this message id is being handled by another delivery")
            response.headers["Retry-After"] = "5"
            return response
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        try:
            _forget_cached(event)
            for handler in self.registry.handlers(event.type):
                app.ensure_sync(handler)(event)
            webhook_received.send(app, event=event)
        except Exception:
            self.seen.release(event.id)
            log.exception("flask-stackauth: a webhook handler failed for %s event %s; answering 500 so Svix "
                          "retries it", event.type, event.id)
            return _answer(500, "WEBHOOK_HANDLER_FAILED", f"a handler failed for event {event.id}")
        self.seen.done(event.id)
        return Response(status=204)


def _answer(status: int, code: str, reason: str) -> Response:
    response = jsonify({"code": code, "error": reason})
    response.status_code = status
    return response


def _forget_cached(event: WebhookEvent[Any]) -> None:
    """Drop what this process cached about the event's user, so the next request asks Stack Auth again."""
    state = get_state()
    if event.type == "team.deleted":
        state.permissions.clear()  # every member's answers for that team; members are not in the event
        return
    user_id = event.user_id
    if user_id is None:
        return
    if event.type in ("user.updated", "user.deleted"):
        state.profiles.forget_user(user_id)
        state.permissions.forget(user_id)
    elif event.type.startswith(("team_permission.", "project_permission.", "team_membership.")):
        state.permissions.forget(user_id)


def receive_webhook() -> Response:
    """``POST STACK_WEBHOOK_PATH``: the view (exempt it from Flask-WTF's CSRFProtect by this name:
    ``csrf.exempt("flask_stackauth.webhooks.receive_webhook")``)."""
    receiver: WebhookReceiver = current_app.extensions[RECEIVER_KEY]
    length = request.content_length
    if length is not None and length > MAX_BODY_BYTES:
        return _answer(413, "WEBHOOK_TOO_LARGE", "the webhook body is larger than 1 MiB")
    body = request.stream.read(MAX_BODY_BYTES + 1)
    if len(body) > MAX_BODY_BYTES:
        return _answer(413, "WEBHOOK_TOO_LARGE", "the webhook body is larger than 1 MiB")
    headers = {k.lower(): v for k, v in request.headers.items()}
    return receiver.receive(body, headers)


def install_receiver(app: Flask, settings: StackAuthSettings, registry: Webhooks) -> None:
    """Mount the receiver on ``app`` when ``STACK_WEBHOOK_SECRET`` is set (else nothing).

    :raises StackAuthConfigError: the ``webhooks`` extra is missing, or a Redis URL is malformed.
    """
    if not settings.webhook_secret:
        return
    verifier = load_verifier(settings.webhook_secret)
    seen = seen_ids_from_config(app.config, settings.project_id)
    app.extensions[RECEIVER_KEY] = WebhookReceiver(verifier, registry, seen)
    app.add_url_rule(settings.webhook_path, ENDPOINT, receive_webhook, methods=["POST"])
    csrf = app.extensions.get("csrf")  # Flask-WTF's CSRFProtect, when it was set up first
    if csrf is not None and hasattr(csrf, "exempt"):
        csrf.exempt(receive_webhook)
