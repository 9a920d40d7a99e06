"""Throttling of sign-in guesses: failed passwords, email codes and TOTP codes, and emailed codes sent.

Counted per email and per client address in a moving window by the ``limits`` library, in memory (one
process) or in Redis (``STACK_REDIS_URL``, shared by every worker). The client address is
``request.remote_addr`` (an IPv6 address counts for its /64, an IPv4-mapped one as its IPv4 address): behind a
proxy, Werkzeug's ``ProxyFix`` decides what it is. Emails are hashed before
they become keys. When the store fails, sign-ins go on unthrottled (with a warning): an outage of Redis must not
lock every user out.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import math
import os
import time
from collections.abc import Mapping
from typing import Any

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from .config import StackAuthSettings
from .errors import StackAuthConfigError, TooManySignInAttempts

log = logging.getLogger("flask_stackauth")

#: Failed guesses (password, email code, TOTP code) share one count per email and per address.
FAILURES = "fail"
#: Emailed sign-in codes sent.
SENDS = "send"
REDIS_URL_SETTINGS = ("STACK_REDIS_URL", "STACK_REFRESH_LOCK_REDIS_URL")
#: Seconds the throttle waits for Redis before it lets the attempt through.
REDIS_TIMEOUT = 1.0


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:32]


def address_key(address: str) -> str:
    """The client that ``address`` stands for: an IPv6 address's /64, an IPv4-mapped one's IPv4 address.

    One IPv6 client holds a whole /64 (SLAAC, privacy addresses), so counting each address apart would let
    it take a fresh allowance per guess; and one spelling per client, whatever form the server saw.
    """
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


class SignInThrottle:
    """Counts failed sign-in attempts and refuses more than the configured rates."""

    def __init__(self, settings: StackAuthSettings, storage: Storage | None = None) -> None:
        self._limiter = MovingWindowRateLimiter(storage or MemoryStorage())
        self._project = settings.project_id
        self._rates: list[tuple[str, RateLimitItem]] = []
        if settings.sign_in_throttle_per_email:
            self._rates.append(("email", parse(settings.sign_in_throttle_per_email)))
        if settings.sign_in_throttle_per_address:
            self._rates.append(("addr", parse(settings.sign_in_throttle_per_address)))

    def _keys(self, kind: str, email: str | None, address: str | None) -> list[tuple[RateLimitItem, list[str]]]:
        values = {"email": _digest(email.strip().lower()) if email else None,
                  "addr": address_key(address) if address else None}
        return [(rate, ["flask-stackauth", self._project, kind, scope, value])
                for scope, rate in self._rates if (value := values[scope]) is not None]

    def check(self, kind: str, *, email: str | None, address: str | None) -> None:
        """Refuse the attempt when the email or the address has used up its allowance.

        :raises TooManySignInAttempts: with the seconds until the next attempt is accepted.
        """
        for rate, ids in self._keys(kind, email, address):
            try:
                if self._limiter.test(rate, *ids):
                    continue
                reset = self._limiter.get_window_stats(rate, *ids).reset_time
            except Exception as exc:  # the store is down: let the attempt through rather than lock everyone out
                log.warning("flask-stackauth: the sign-in throttle's store failed (%s); not throttling",
                            type(exc).__name__)
                return
            retry_after = max(1, math.ceil(reset - time.time()))
            log.info("flask-stackauth: sign-in throttled (%s per %s) for %s s", kind, ids[3], retry_after)
            raise TooManySignInAttempts(_message(kind, retry_after), retry_after=retry_after)

    def record(self, kind: str, *, email: str | None, address: str | None) -> None:
        """Count one failed attempt (or one code sent) for the email and the address."""
        for rate, ids in self._keys(kind, email, address):
            try:
                self._limiter.hit(rate, *ids)
            except Exception as exc:  # see check()
                log.warning("flask-stackauth: the sign-in throttle's store failed (%s); not counting",
                            type(exc).__name__)
                return


def _message(kind: str, retry_after: int) -> str:
    minutes = math.ceil(retry_after / 60)
    when = f"{minutes} minute{'s' if minutes != 1 else ''}" if retry_after >= 60 else f"{retry_after} seconds"
    at = time.strftime("%H:%M UTC", time.gmtime(time.time() + retry_after))
    what = "sign-in codes were sent" if kind == SENDS else "sign-in attempts failed"
    return f"Too many {what} for this account or from this network. Try again in {when} (after {at})."


def throttle_from_config(config: Mapping[str, Any], settings: StackAuthSettings) -> SignInThrottle:
    """The throttle an app's config asks for: on Redis with ``STACK_REDIS_URL`` (else the refresh lock's
    ``STACK_REFRESH_LOCK_REDIS_URL``), else in this process's memory.

    :raises StackAuthConfigError: a Redis URL is set but redis-py is not installed, or it is malformed.
    """
    for setting in REDIS_URL_SETTINGS:
        url = config.get(setting) or os.environ.get(setting)
        if url:
            break
    else:
        return SignInThrottle(settings)
    try:
        import redis  # noqa: F401  (limits' Redis storage needs it)
    except ImportError:
        raise StackAuthConfigError(
            f"{setting} is set but redis-py is not installed: pip install 'flask-stackauth[redis]'.") from None
    try:
        storage = storage_from_string(str(url), socket_timeout=REDIS_TIMEOUT, socket_connect_timeout=REDIS_TIMEOUT)
        if not isinstance(storage, Storage):  # an async:// scheme: this throttle runs in sync views
            raise TypeError(type(storage).__name__)
    except Exception:
        # The library's message may quote the URL, and with it a password: name the setting only.
        raise StackAuthConfigError(f"{setting} is not a valid Redis URL for the sign-in throttle.") from None
    return SignInThrottle(settings, storage)
