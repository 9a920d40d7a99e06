"""Svix-style webhook delivery for the emulator: endpoints, signed POSTs, retries and a delivery log.

Stack Auth hands every event to Svix, which POSTs ``{"type", "data"}`` to each endpoint with the headers
``svix-id``, ``svix-timestamp`` and ``svix-signature`` and retries failed deliveries on its own schedule
(``shared/stackauth-wire/webhooks.md``). :class:`WebhookHub` plays Svix: signatures come from the maintained
``standardwebhooks`` library (the ``webhooks`` extra), deliveries run on one background thread per endpoint
(so a route never waits for a receiver, and a hanging receiver only delays its own deliveries), and the
retry schedule is Svix's, shortened (0.1 s, 0.5 s, 2 s by default).

Every attempt is recorded (status, error, time, duration) for ``GET /_emulator/webhooks/deliveries``.
"""

from __future__ import annotations

import base64
import heapq
import itertools
import json
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import requests

#: The signing secret of endpoints added on the command line without ``--webhook-secret``, fixed like the
#: emulator's other development keys so that an app's ``STACK_WEBHOOK_SECRET`` can stay in its config.
DEV_WEBHOOK_SECRET = "whsec_" + base64.b64encode(b"stack-auth-emulator-webhook-key!").decode()
#: Svix waits 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h between attempts; the emulator is quicker.
DEFAULT_RETRY_DELAYS: tuple[float, ...] = (0.1, 0.5, 2.0)
DEFAULT_TIMEOUT = 5.0
HEADER_STYLES = ("svix", "webhook")
#: How many messages and delivery attempts the logs keep (a long-running emulator must not grow forever).
LOG_LIMIT = 2000
_RESPONSE_BODY_LIMIT = 500
_ID_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

DataSource = dict[str, Any] | Callable[[], dict[str, Any]]


def _svix_id(prefix: str) -> str:
    """A Svix-looking id (``msg_``, ``ep_``, ``atmpt_`` + 27 base32 characters)."""
    return prefix + "".join(secrets.choice(_ID_ALPHABET) for _ in range(27))


def new_secret() -> str:
    """A fresh endpoint secret as Svix makes them: ``whsec_`` + base64 of 24 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def _signer(secret: str) -> Any:
    try:
        from standardwebhooks import Webhook
    except ImportError:  # pragma: no cover - depends on the installed extras
        raise RuntimeError(
            "Sending webhooks needs the standardwebhooks package: pip install 'flask-stackauth[webhooks]'"
        ) from None
    return Webhook(secret)


def check_secret(secret: str) -> None:
    """Raise ``ValueError`` unless ``secret`` is a usable ``whsec_<base64>`` signing secret."""
    if not isinstance(secret, str) or not secret.startswith("whsec_"):
        raise ValueError("secret must look like whsec_<base64>")
    try:
        key = base64.b64decode(secret[len("whsec_"):], validate=True)
    except ValueError:
        raise ValueError("secret must look like whsec_<base64>") from None
    if len(key) < 16:
        raise ValueError("secret must hold at least 16 bytes of key")


@dataclass
class Endpoint:
    """A registered receiver (a Svix endpoint of the project's Svix application)."""

    id: str
    url: str
    secret: str
    event_types: list[str] | None
    header_style: str
    created_at: float
    static: bool

    def wants(self, event_type: str) -> bool:
        """Whether this endpoint subscribes to ``event_type`` (all types when no filter is set)."""
        return self.event_types is None or event_type in self.event_types

    def to_json(self) -> dict[str, Any]:
        """The endpoint as the controls show it (the secret included: it is a local test tool)."""
        return {
            "id": self.id,
            "url": self.url,
            "secret": self.secret,
            "event_types": self.event_types,
            "header_style": self.header_style,
            "created_at": self.created_at,
            "from_command_line": self.static,
        }


@dataclass
class Message:
    """One event, as Svix stores it: the id is the same on every attempt and every endpoint."""

    id: str
    event_type: str
    payload: dict[str, Any]
    body: str
    created_at: float
    endpoint_ids: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The message as the controls show it."""
        return {
            "id": self.id,
            "event_type": self.event_type,
            "payload": self.payload,
            "created_at": self.created_at,
            "endpoint_ids": list(self.endpoint_ids),
        }


class _EndpointWorker:
    """Delivers one endpoint's attempts in due order on its own daemon thread."""

    def __init__(self, hub: WebhookHub, endpoint: Endpoint) -> None:
        self.hub = hub
        self.endpoint = endpoint
        self._heap: list[tuple[float, int, Message, int]] = []
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name=f"stackauth-webhooks-{endpoint.id}", daemon=True)
        self._thread.start()

    def schedule(self, message: Message, attempt: int, delay: float) -> None:
        with self._cond:
            heapq.heappush(self._heap, (time.monotonic() + delay, next(self._seq), message, attempt))
            self._cond.notify()

    def stop(self) -> int:
        """Stop after the attempt in flight; return how many scheduled attempts were dropped."""
        with self._cond:
            self._stopped = True
            dropped = len(self._heap)
            self._heap.clear()
            self._cond.notify()
        return dropped

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopped and (not self._heap or self._heap[0][0] > time.monotonic()):
                    wait = None if not self._heap else max(0.0, self._heap[0][0] - time.monotonic())
                    self._cond.wait(wait)
                if self._stopped:
                    return
                _, _, message, attempt = heapq.heappop(self._heap)
            try:
                self.hub._attempt(self.endpoint, message, attempt)
            finally:
                self.hub._settled()


class WebhookHub:
    """The emulator's Svix: registered endpoints, signed deliveries with retries, and their log.

    :param retry_delays: seconds to wait before each retry; ``len(retry_delays) + 1`` attempts in all.
    :param timeout: seconds a receiver has to answer one attempt.
    """

    def __init__(self, *, retry_delays: Iterable[float] = DEFAULT_RETRY_DELAYS, timeout: float = DEFAULT_TIMEOUT,
                 clock: Callable[[], float] = time.time) -> None:
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._endpoints: dict[str, Endpoint] = {}
        self._workers: dict[str, _EndpointWorker] = {}
        self._messages: deque[Message] = deque(maxlen=LOG_LIMIT)
        self._deliveries: deque[dict[str, Any]] = deque(maxlen=LOG_LIMIT)
        self._outstanding = 0
        self._clock = clock
        self._http = requests.Session()
        self.retry_delays: tuple[float, ...] = ()
        self.timeout = DEFAULT_TIMEOUT
        self._persistent: tuple[tuple[float, ...], float] = ((), DEFAULT_TIMEOUT)
        self.configure(retry_delays=retry_delays, timeout=timeout, persist=True)

    # --- configuration ------------------------------------------------------------------------

    def configure(self, *, retry_delays: Iterable[float] | None = None, timeout: float | None = None,
                  persist: bool = False) -> None:
        """Change the retry schedule and/or the per-attempt timeout (``ValueError`` on bad values).

        :param persist: keep them across :meth:`reset` (the command line's settings); otherwise a reset
            goes back to the last persistent ones.
        """
        if retry_delays is not None:
            delays = tuple(float(d) for d in retry_delays)
            if any(d < 0 or d > 3600 or d != d for d in delays) or len(delays) > 10:
                raise ValueError("retry_delays must be at most 10 numbers of seconds between 0 and 3600")
            self.retry_delays = delays
        if timeout is not None:
            if not 0 < float(timeout) <= 60:
                raise ValueError("timeout must be between 0 and 60 seconds")
            self.timeout = float(timeout)
        if persist:
            self._persistent = (self.retry_delays, self.timeout)

    def settings(self) -> dict[str, Any]:
        """The retry schedule and timeout in force."""
        return {"retry_delays": list(self.retry_delays), "timeout": self.timeout}

    def add_endpoint(self, url: str, *, secret: str | None = None, event_types: Iterable[str] | None = None,
                     header_style: str = "svix", static: bool = False) -> Endpoint:
        """Register a receiver; without ``secret`` it gets a fresh ``whsec_`` one (as Svix does).

        :param event_types: only these event types are sent to it (all when ``None``).
        :param header_style: ``"svix"`` sends ``svix-id``/``svix-timestamp``/``svix-signature`` (what Stack's
            Svix sends); ``"webhook"`` sends the Standard Webhooks names ``webhook-*`` instead.
        :param static: kept by :meth:`reset` (endpoints given on the command line).
        """
        if not isinstance(url, str) or not url.startswith(("http://", "https://")) or len(url) > 2000:
            raise ValueError("url must be an http:// or https:// URL")
        secret = secret if secret is not None else new_secret()
        check_secret(secret)
        _signer(secret)  # fail now, not in the background, when the library is missing
        types = None if event_types is None else [str(t) for t in event_types]
        if header_style not in HEADER_STYLES:
            raise ValueError(f"header_style must be one of {', '.join(HEADER_STYLES)}")
        endpoint = Endpoint(_svix_id("ep_"), url, secret, types, header_style, self._clock(), static)
        with self._lock:
            self._endpoints[endpoint.id] = endpoint
        return endpoint

    def remove_endpoint(self, endpoint_id: str) -> bool:
        """Unregister an endpoint; its pending retries are dropped."""
        with self._lock:
            endpoint = self._endpoints.pop(endpoint_id, None)
            worker = self._workers.pop(endpoint_id, None)
        if worker is not None:
            self._drop(worker.stop())
        return endpoint is not None

    def endpoints(self) -> list[Endpoint]:
        """The registered endpoints, oldest first."""
        with self._lock:
            return list(self._endpoints.values())

    def reset(self) -> None:
        """Forget endpoints registered at run time, the logs and every pending attempt."""
        with self._lock:
            dynamic = [eid for eid, ep in self._endpoints.items() if not ep.static]
            workers = list(self._workers.values())
            self._workers.clear()
            for eid in dynamic:
                del self._endpoints[eid]
            self._messages.clear()
            self._deliveries.clear()
            self.retry_delays, self.timeout = self._persistent
        for worker in workers:
            self._drop(worker.stop())

    def close(self) -> None:
        """Stop every worker thread."""
        with self._lock:
            workers = list(self._workers.values())
            self._workers.clear()
        for worker in workers:
            self._drop(worker.stop())

    # --- sending ------------------------------------------------------------------------------

    def send(self, event_type: str, data: dict[str, Any]) -> Message:
        """Record ``{"type": event_type, "data": data}`` and queue it for every subscribed endpoint."""
        payload = {"type": event_type, "data": data}
        message = Message(_svix_id("msg_"), event_type, payload, json.dumps(payload, separators=(",", ":")),
                          self._clock())
        with self._lock:
            targets = [ep for ep in self._endpoints.values() if ep.wants(event_type)]
            message.endpoint_ids = [ep.id for ep in targets]
            self._messages.append(message)
            for endpoint in targets:
                worker = self._workers.get(endpoint.id)
                if worker is None:
                    worker = self._workers[endpoint.id] = _EndpointWorker(self, endpoint)
                self._outstanding += 1
                worker.schedule(message, 1, 0.0)
        return message

    def _attempt(self, endpoint: Endpoint, message: Message, attempt: int) -> None:
        timestamp = int(self._clock())
        signature = _signer(endpoint.secret).sign(
            message.id, datetime.fromtimestamp(timestamp, tz=timezone.utc), message.body)
        prefix = "svix" if endpoint.header_style == "svix" else "webhook"
        headers = {
            "content-type": "application/json",
            "user-agent": "Svix-Webhooks/1.0 (stack-auth-emulator)",
            f"{prefix}-id": message.id,
            f"{prefix}-timestamp": str(timestamp),
            f"{prefix}-signature": signature,
        }
        started = time.perf_counter()
        status: int | None = None
        error: str | None = None
        body = ""
        try:
            resp = self._http.post(endpoint.url, data=message.body.encode(), headers=headers,
                                   timeout=self.timeout, allow_redirects=False)
            status = resp.status_code
            body = resp.text[:_RESPONSE_BODY_LIMIT]
        except requests.RequestException as exc:
            error = type(exc).__name__
        duration_ms = round((time.perf_counter() - started) * 1000, 3)
        ok = status is not None and 200 <= status < 300
        retry_in = None if ok or attempt > len(self.retry_delays) else self.retry_delays[attempt - 1]
        record = {
            "id": _svix_id("atmpt_"),
            "message_id": message.id,
            "endpoint_id": endpoint.id,
            "url": endpoint.url,
            "event_type": message.event_type,
            "attempt": attempt,
            "timestamp": timestamp,
            "sent_at": self._clock() - duration_ms / 1000,
            "duration_ms": duration_ms,
            "status": status,
            "ok": ok,
            "error": error,
            "response_body": body,
            "next_retry_in": retry_in,
        }
        with self._lock:
            self._deliveries.append(record)
            worker = self._workers.get(endpoint.id)
            if retry_in is not None and worker is not None:
                self._outstanding += 1
                worker.schedule(message, attempt + 1, retry_in)

    def _settled(self, n: int = 1) -> None:
        with self._lock:
            self._outstanding = max(0, self._outstanding - n)
            if self._outstanding == 0:
                self._idle.notify_all()

    def _drop(self, n: int) -> None:
        if n:
            self._settled(n)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until no attempt is scheduled or in flight (or ``timeout`` passes); return whether idle."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._outstanding:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(left)
        return True

    # --- logs -----------------------------------------------------------------------------------

    def messages(self, *, event_type: str | None = None) -> list[dict[str, Any]]:
        """Every event sent since the last reset (oldest first), as :meth:`Message.to_json`."""
        with self._lock:
            items = list(self._messages)
        return [m.to_json() for m in items if event_type is None or m.event_type == event_type]

    def deliveries(self, *, endpoint_id: str | None = None, message_id: str | None = None,
                   event_type: str | None = None) -> list[dict[str, Any]]:
        """Every delivery attempt (oldest first), optionally filtered."""
        with self._lock:
            items = list(self._deliveries)
        return [dict(d) for d in items
                if (endpoint_id is None or d["endpoint_id"] == endpoint_id)
                and (message_id is None or d["message_id"] == message_id)
                and (event_type is None or d["event_type"] == event_type)]
