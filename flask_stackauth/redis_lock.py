"""Optional cluster-wide single-flight for token refreshes, through Redis.

Without it, each worker process refreshes an expiring token at most once
(:class:`~flask_stackauth.singleflight.RefreshCoordinator`), so N workers make at most N refresh calls per token.
That is harmless: Stack Auth does not rotate refresh tokens, so every refresh returns a new access token and
the refresh token stays valid. The lock only saves those duplicate calls.

With ``STACK_REFRESH_LOCK_REDIS_URL`` (or a client in ``STACK_REFRESH_LOCK_REDIS``), the worker that wins a
short Redis lock refreshes and publishes the new tokens in Redis for a few seconds; the others wait and reuse
them. Keys are named after a hash of the refresh token and the published value is encrypted with a key
derived from it, so Redis alone never holds a usable token. When Redis fails, refreshes go on without it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
import time
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any
from urllib.parse import urlsplit

# ``cryptography`` comes with joserfc, which verifies tokens, so it is always installed.
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .errors import StackAuthConfigError
from .tokens import TokenSet

log = logging.getLogger("flask_stackauth")

URL_SETTING = "STACK_REFRESH_LOCK_REDIS_URL"
CLIENT_SETTING = "STACK_REFRESH_LOCK_REDIS"
#: The one Redis for every cluster-wide need (the refresh lock when it has no URL of its own, the sign-in throttle).
SHARED_URL_SETTING = "STACK_REDIS_URL"
KEY_PREFIX = "flask-stackauth:refresh:"
#: Seconds a winner's tokens stay readable by the other workers.
PUBLISH_TTL = 10.0
#: Seconds between two looks at Redis while another worker refreshes.
POLL_INTERVAL = 0.02
#: Socket timeouts of the client built from a URL, so a dead Redis cannot hold a request for long.
REDIS_SOCKET_TIMEOUT = 2.0


class _RedisDown(Exception):
    """Redis failed before this worker refreshed; the caller refreshes without the lock."""


def _derive(label: bytes, refresh_token: str) -> bytes:
    return hashlib.sha256(label + b"\0" + refresh_token.encode()).digest()


class RedisRefreshLock:
    """One refresh per refresh token across every worker that shares ``client``.

    :param client: a redis-py client (``redis.Redis``) or one with the same ``get``/``set``/``lock``.
    :param publish_ttl: seconds the winner's tokens stay readable by the others.
    :param key_prefix: prefix of every Redis key this lock uses.
    """

    def __init__(self, client: Any, *, publish_ttl: float = PUBLISH_TTL, poll_interval: float = POLL_INTERVAL,
                 key_prefix: str = KEY_PREFIX) -> None:
        self.client = client
        self.publish_ttl = publish_ttl
        self.poll_interval = poll_interval
        self.key_prefix = key_prefix

    def __repr__(self) -> str:
        return f"RedisRefreshLock(key_prefix={self.key_prefix!r})"

    @staticmethod
    def _names(refresh_token: str) -> tuple[str, AESGCM]:
        # Two derivations: the key's name in Redis reveals nothing about the cipher key.
        return (_derive(b"flask-stackauth refresh id", refresh_token).hex(),
                AESGCM(_derive(b"flask-stackauth refresh result", refresh_token)))

    def forget(self, refresh_token: str) -> None:
        """Delete the tokens published for ``refresh_token`` (after sign-out, or before a forced refresh)."""
        try:
            self.client.delete(self.key_prefix + self._names(refresh_token)[0])
        except Exception as exc:  # they expire within publish_ttl anyway
            log.warning("flask-stackauth: could not delete a published token in Redis (%s)", type(exc).__name__)

    def refresh(self, refresh_token: str, run: Callable[[], TokenSet], *, min_valid: float,
                timeout: float) -> TokenSet:
        """Tokens published by another worker when there are some, else ``run()`` under the lock.

        :param min_valid: published tokens are reused only with more than this many seconds left.
        :param timeout: seconds to wait for another worker's refresh; also the lock's lifetime, so a
            worker that dies holding it blocks the others for at most this long. After waiting that
            long, this worker refreshes by itself.
        """
        try:
            return self._refresh(refresh_token, run, min_valid=min_valid, timeout=timeout)
        except _RedisDown as exc:
            log.warning("flask-stackauth: the Redis refresh lock is unavailable (%s); refreshing without it", exc)
            return run()

    def _refresh(self, refresh_token: str, run: Callable[[], TokenSet], *, min_valid: float,
                 timeout: float) -> TokenSet:
        name, cipher = self._names(refresh_token)
        key = self.key_prefix + name
        deadline = time.monotonic() + timeout
        while True:
            published = self._read(key, cipher)
            if published is not None and published.expires_in() > min_valid:
                return published
            lock = self._call(lambda: self.client.lock(key + ":lock", timeout=timeout))
            if self._call(partial(lock.acquire, blocking=False)):
                try:
                    # Another worker may have published between our read and our lock.
                    published = self._read(key, cipher)
                    if published is not None and published.expires_in() > min_valid:
                        return published
                    fresh = run()
                    self._publish(key, cipher, fresh)
                    return fresh
                finally:
                    self._release(lock)
            if time.monotonic() >= deadline:
                log.warning("flask-stackauth: waited %gs for another worker's token refresh; refreshing here",
                            timeout)
                return run()
            time.sleep(self.poll_interval)

    @staticmethod
    def _call(op: Callable[[], Any]) -> Any:
        try:
            return op()
        except Exception as exc:  # redis-py's errors; redis itself is an optional import
            raise _RedisDown(type(exc).__name__) from None

    def _read(self, key: str, cipher: AESGCM) -> TokenSet | None:
        blob = self._call(lambda: self.client.get(key))
        if not isinstance(blob, bytes) or len(blob) < 13:
            return None
        try:
            data = json.loads(cipher.decrypt(blob[:12], blob[12:], key.encode()))
        except (InvalidTag, ValueError):
            return None
        return TokenSet.from_session(data)

    def _publish(self, key: str, cipher: AESGCM, tokens: TokenSet) -> None:
        nonce = secrets.token_bytes(12)
        blob = nonce + cipher.encrypt(nonce, json.dumps(tokens.to_session()).encode(), key.encode())
        try:
            self.client.set(key, blob, px=int(self.publish_ttl * 1000))
        except Exception as exc:  # the refresh itself worked; the others will refresh for themselves
            log.warning("flask-stackauth: could not publish a refreshed token in Redis (%s)", type(exc).__name__)

    @staticmethod
    def _release(lock: Any) -> None:
        try:
            lock.release()
        except Exception as exc:  # expired meanwhile, or Redis down: the lock expires by itself
            log.debug("flask-stackauth: refresh lock release failed (%s)", type(exc).__name__)


def _redis_from_url(url: str, setting: str = URL_SETTING) -> Any:
    if urlsplit(url).scheme not in ("redis", "rediss", "unix"):
        raise StackAuthConfigError(
            f"{setting} must be a redis://, rediss:// or unix:// URL such as redis://localhost:6379/0.")
    try:
        import redis
    except ImportError:
        raise StackAuthConfigError(
            f"{setting} is set but redis-py is not installed: pip install 'flask-stackauth[redis]'.") from None
    try:
        return redis.Redis.from_url(url, socket_timeout=REDIS_SOCKET_TIMEOUT,
                                    socket_connect_timeout=REDIS_SOCKET_TIMEOUT)
    except ValueError:
        # redis-py's message may quote the URL, and with it a password: name the setting only.
        raise StackAuthConfigError(f"{setting} is not a valid Redis URL.") from None


def refresh_lock_from_config(config: Mapping[str, Any]) -> RedisRefreshLock | None:
    """The lock an app's config asks for: a client in ``STACK_REFRESH_LOCK_REDIS``, else one built from
    ``STACK_REFRESH_LOCK_REDIS_URL``, else ``STACK_REDIS_URL`` (app config, then the environment), else ``None``.

    :raises StackAuthConfigError: a malformed URL, or redis-py is not installed.
    """
    client = config.get(CLIENT_SETTING)
    if client is not None:
        return client if isinstance(client, RedisRefreshLock) else RedisRefreshLock(client)
    url = config.get(URL_SETTING) or os.environ.get(URL_SETTING)
    setting = URL_SETTING
    if not url:
        # The one Redis for every cluster-wide need, when the lock has no Redis of its own.
        url, setting = config.get(SHARED_URL_SETTING) or os.environ.get(SHARED_URL_SETTING), SHARED_URL_SETTING
    if not url:
        return None
    return RedisRefreshLock(_redis_from_url(str(url), setting))
