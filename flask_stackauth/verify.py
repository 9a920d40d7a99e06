"""Local verification of Stack Auth access tokens: ES256 only, ``kid`` from the project's JWKS,
``aud``/``iss``/``exp``/``iat`` checked, JWKS cached with a TTL and refetched (with a cooldown) on an
unknown ``kid``, and verified tokens cached until they expire."""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import ECKey

from .client import StackAuthClient, json_body, raise_for_stack_response
from .config import StackAuthSettings
from .errors import (
    AccessTokenExpired,
    AnonymousAuthenticationNotAllowed,
    InvalidAccessToken,
    InvalidProjectForAccessToken,
    RestrictedUserNotAllowed,
    StackAuthError,
    StackAuthUnavailable,
)
from .tokens import peek_claims as peek_claims
from .tokens import unparsable

log = logging.getLogger("flask_stackauth")

#: Longer tokens are refused before any parsing; real Stack access tokens are under 1 KB.
MAX_TOKEN_LENGTH = 8192
_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")
_MAX_AGE = re.compile(r"max-age=(\d+)")

NORMAL, RESTRICTED, ANONYMOUS = "normal", "restricted", "anonymous"


def usable_keys(body: Any) -> dict[str, ECKey]:
    """The ES256 P-256 keys of a JWKS answer, by ``kid``.

    A 200 answer that yields none (``{"keys": []}``, an error object, a list, ``keys`` that is no list, only
    keys of other types) is not a key set Stack Auth publishes but a broken answer, so it is an outage: caching
    it would make every session's valid token look signed by an unknown key, and sign its user out.

    :raises StackAuthUnavailable: the answer holds no usable key.
    """
    entries = body.get("keys") if isinstance(body, dict) else None
    if not isinstance(entries, list):
        raise StackAuthUnavailable("Stack Auth answered the JWKS request without a list of keys.")
    keys: dict[str, ECKey] = {}
    for jwk in entries:
        if not isinstance(jwk, dict) or jwk.get("kty") != "EC" or jwk.get("crv") != "P-256":
            continue
        kid = jwk.get("kid")
        if jwk.get("alg", "ES256") != "ES256" or not isinstance(kid, str) or not kid:
            continue
        try:
            keys[kid] = ECKey.import_key(jwk)
        except Exception:  # joserfc and cryptography raise many types for a malformed key; skip it whatever it is
            log.warning("flask-stackauth: skipped a malformed key in the JWKS (kid %r)", kid[:64])
    if not keys:
        raise StackAuthUnavailable(
            f"Stack Auth answered the JWKS request with no usable ES256 P-256 key ({len(entries)} entries).")
    return keys


@dataclass
class _KeySetEntry:
    keys: dict[str, ECKey]
    fetched_at: float
    expires_at: float


@dataclass
class TokenVerifier:
    """Verifies access tokens of one project. Thread-safe; one per app."""

    settings: StackAuthSettings
    client: StackAuthClient
    cache_size: int = 10_000
    _keysets: dict[str, _KeySetEntry] = field(default_factory=dict)
    _fetch_lock: threading.Lock = field(default_factory=threading.Lock)
    #: Per key-set variant: when the last fetch was attempted, and whether it failed.
    _attempts: dict[str, tuple[float, bool]] = field(default_factory=dict)
    _verified: OrderedDict[str, dict[str, Any]] = field(default_factory=OrderedDict)
    _verified_lock: threading.Lock = field(default_factory=threading.Lock)
    #: JWKS fetches made, per process; tests and benchmarks read it.
    jwks_fetches: int = 0

    # -- JWKS ----------------------------------------------------------------------------------------------

    def _fetch(self, variant: str) -> _KeySetEntry:
        params = {}
        if variant == ANONYMOUS:
            params["include_anonymous"] = "true"
        elif variant == RESTRICTED:
            params["include_restricted"] = "true"
        path = f"/api/v1/projects/{self.settings.project_id}/.well-known/jwks.json"
        self.jwks_fetches += 1
        response = self.client.send("GET", path, params=params)
        raise_for_stack_response(response)
        keys = usable_keys(json_body(response))
        match = _MAX_AGE.search(response.headers.get("Cache-Control", ""))
        ttl = min(int(match.group(1)), self.settings.jwks_cache_ttl) if match else self.settings.jwks_cache_ttl
        now = time.monotonic()
        log.debug("flask-stackauth: fetched JWKS (%s): %d keys, cached %d s", variant, len(keys), ttl)
        return _KeySetEntry(keys, now, now + ttl)

    def key_for(self, kid: str, variant: str = NORMAL, *, trusted: bool = False) -> ECKey:
        """The public key with ``kid``, fetching the JWKS when it is stale or lacks that ``kid``.

        An unknown ``kid`` refetches at most once per ``jwks_refetch_cooldown`` seconds, so a flood of
        forged ``kid`` values cannot turn into a flood of JWKS fetches. With ``trusted`` (a token this app
        received from Stack Auth itself, not from a client) a new ``kid`` is fetched even within that
        cooldown, so a key rotated in just after a fetch does not sign users out; failed fetches still
        cool down.
        """
        entry = self._keysets.get(variant)
        now = time.monotonic()
        if entry is not None and now < entry.expires_at and kid in entry.keys:
            return entry.keys[kid]
        with self._fetch_lock:
            entry = self._keysets.get(variant)
            now = time.monotonic()
            if entry is not None and now < entry.expires_at and kid in entry.keys:
                return entry.keys[kid]
            # The cooldown counts from the last attempt, failed or not, so neither forged kids nor an
            # unreachable JWKS turn into one fetch per request (callers queue on this lock otherwise).
            last = self._attempts.get(variant)
            cooldown = 0.0 if trusted and (last is None or not last[1]) else self.settings.jwks_refetch_cooldown
            if last is None or now - last[0] >= cooldown:
                self._attempts[variant] = (now, True)
                failure: StackAuthError | None = None
                try:
                    entry = self._keysets[variant] = self._fetch(variant)
                except StackAuthError as exc:
                    failure = exc
                except Exception as exc:
                    # A surprise while reading the answer is still Stack's outage, never a verdict on the token
                    # (a session's token refused here would sign its user out).
                    failure = StackAuthUnavailable(f"The project's JWKS could not be read ({type(exc).__name__}).")
                if failure is None:
                    self._attempts[variant] = (now, False)
                elif entry is None or kid not in entry.keys:
                    log.warning("flask-stackauth: could not fetch the JWKS (%s): %s", variant, failure)
                    raise failure
                else:
                    # An answer we cannot use never replaces the last good keys (see usable_keys).
                    log.warning("flask-stackauth: JWKS refresh failed (%s); using the last good keys", failure)
            elif last[1] and (entry is None or kid not in entry.keys):
                raise StackAuthUnavailable("The project's JWKS could not be fetched a moment ago; "
                                           "it is retried after a short cooldown.")
            if entry is not None and kid in entry.keys:
                return entry.keys[kid]
        raise unparsable("it was signed with a key (kid) this project does not publish")

    # -- tokens --------------------------------------------------------------------------------------------

    def verify(self, token: str, *, allow_anonymous: bool = False, allow_restricted: bool = False,
               trusted: bool = False, now: float | None = None) -> dict[str, Any]:
        """Verify ``token`` and return its claims.

        :param trusted: the token came from Stack Auth to this app (the session), not from a client, so an
            unknown ``kid`` may refetch the JWKS within the cooldown (see :meth:`key_for`).

        :raises InvalidAccessToken: a subclass naming what is wrong (expired, unparsable, other project,
            anonymous or restricted user not allowed here).
        :raises StackAuthUnavailable: the JWKS was needed and could not be fetched.
        """
        now = time.time() if now is None else now
        cached = self._verified.get(token)
        if cached is not None and now < cached["exp"]:
            claims = cached
        else:
            claims = self._verify_uncached(token, now, allow_anonymous=allow_anonymous, trusted=trusted)
            with self._verified_lock:
                self._verified[token] = claims
                while len(self._verified) > self.cache_size:
                    self._verified.popitem(last=False)
        self.check_policy(claims, allow_anonymous=allow_anonymous, allow_restricted=allow_restricted)
        return claims

    def __post_init__(self) -> None:
        pid = self.settings.project_id
        # Built once: this is read on every request.
        self._audience_map = {pid: NORMAL, f"{pid}:restricted": RESTRICTED, f"{pid}:anon": ANONYMOUS}

    def _audiences(self) -> dict[str, str]:
        return self._audience_map

    def check_policy(self, claims: dict[str, Any], *, allow_anonymous: bool, allow_restricted: bool) -> None:
        """Refuse anonymous or restricted users' claims unless the caller allows them."""
        if allow_anonymous:
            return  # admits anonymous users, and restricted ones with them
        # Runs twice per protected request: decided with as few lookups as possible.
        variant = self._audience_map[claims["aud"]]
        if variant == ANONYMOUS or claims.get("is_anonymous") is True:
            raise AnonymousAuthenticationNotAllowed(
                "ANONYMOUS_AUTHENTICATION_NOT_ALLOWED",
                "This view does not accept anonymous users' access tokens.", None, 401)
        if not allow_restricted and (variant == RESTRICTED or claims.get("is_restricted") is True):
            raise RestrictedUserNotAllowed(
                "RESTRICTED_USER_NOT_ALLOWED",
                "This view does not accept restricted users (for example, with an unverified email).", None, 403)

    def _verify_uncached(self, token: str, now: float, *, allow_anonymous: bool, trusted: bool) -> dict[str, Any]:
        try:
            return self._check_token(token, now, allow_anonymous=allow_anonymous, trusted=trusted)
        except StackAuthError:
            raise
        except Exception as exc:
            # Whatever a hostile header or payload makes the JOSE library raise, the token is refused (a 401),
            # never a 500 with a traceback. Key fetching cannot end up here: key_for raises only StackAuthError.
            log.info("flask-stackauth: refused an access token the JOSE library could not check (%s)",
                     type(exc).__name__)
            raise unparsable("its header or signature cannot be checked") from None

    def _check_token(self, token: str, now: float, *, allow_anonymous: bool, trusted: bool) -> dict[str, Any]:
        if not isinstance(token, str) or not token:
            raise unparsable("it is empty")
        if len(token) > MAX_TOKEN_LENGTH:
            raise unparsable("it is too long")
        if not _TOKEN_SHAPE.match(token):
            raise unparsable("it is not a compact JWS (three base64url parts)")
        try:
            obj = jws.extract_compact(token.encode("ascii"))
            header = obj.headers()
            claims = json.loads(obj.payload)
        except (JoseError, ValueError, UnicodeError, TypeError):
            raise unparsable("its header or payload cannot be decoded") from None
        if not isinstance(header, dict):
            raise unparsable("its header is not a JSON object")
        if "crit" in header:
            # Stack Auth's tokens name no critical extension, and this app implements none (RFC 7515 4.1.11).
            raise unparsable("its header names critical extensions (crit); none are supported")
        if header.get("alg") != "ES256":
            raise unparsable(f"it uses alg {str(header.get('alg'))[:20]!r}; only ES256 is accepted")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid or len(kid) > 200:
            raise unparsable("its header has no kid")
        if not isinstance(claims, dict):
            raise unparsable("its payload is not a JSON object")
        aud = claims.get("aud")
        audiences = self._audiences()
        if not isinstance(aud, str) or aud not in audiences:
            raise InvalidProjectForAccessToken(
                "INVALID_PROJECT_FOR_ACCESS_TOKEN",
                "Access token not valid for this project: its audience is not this project's id.", None, 401)
        variant = audiences[aud]
        if variant == ANONYMOUS and not allow_anonymous:
            # Refuse before fetching the anonymous users' keys: this view would refuse the user anyway.
            raise AnonymousAuthenticationNotAllowed(
                "ANONYMOUS_AUTHENTICATION_NOT_ALLOWED",
                "This view does not accept anonymous users' access tokens.", None, 401)
        key = self.key_for(kid, variant, trusted=trusted)
        try:
            valid = jws.validate_compact(obj, key, algorithms=["ES256"])
        except JoseError:
            valid = False
        if not valid:
            raise unparsable("its signature does not match the project's key")
        self._check_claims(claims, now, variant)
        return claims

    def _check_claims(self, claims: dict[str, Any], now: float, variant: str) -> None:
        leeway = self.settings.clock_leeway
        exp, iat, nbf = claims.get("exp"), claims.get("iat"), claims.get("nbf")
        if not isinstance(exp, (int, float)) or isinstance(exp, bool):
            raise unparsable("it has no exp claim")
        if exp + leeway <= now:
            raise AccessTokenExpired(
                "ACCESS_TOKEN_EXPIRED", "Access token has expired. Please refresh it and try again.",
                {"expired_at_millis": int(exp * 1000)}, 401)
        for name, value in (("iat", iat), ("nbf", nbf)):
            if value is not None and (not isinstance(value, (int, float)) or value - leeway > now):
                raise InvalidAccessToken("INVALID_ACCESS_TOKEN",
                                         f"Access token is not valid yet (its {name} is in the future).", None, 401)
        iss = claims.get("iss")
        accepted = self.settings.issuers(anonymous=variant == ANONYMOUS, restricted=variant == RESTRICTED)
        if not isinstance(iss, str) or iss.rstrip("/") not in accepted:
            raise unparsable(
                f"its issuer {str(iss)[:200]!r} is not one of this project's issuers; if Stack Auth runs "
                "behind another URL than STACK_API_URL, add its issuer to STACK_JWT_ISSUERS")
        if not isinstance(claims.get("sub"), str) or not claims["sub"]:
            raise unparsable("it has no sub claim")
        branch = claims.get("branch_id", claims.get("branchId", "main"))
        if branch != "main":
            raise InvalidProjectForAccessToken(
                "INVALID_PROJECT_FOR_ACCESS_TOKEN",
                "Access token not valid for this project: it belongs to another branch than 'main'.", None, 401)
