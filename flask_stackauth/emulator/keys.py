"""ES256 signing keys, the JWKS, and access-token signing/verification.

Keys are P-256 keys derived deterministically from a fixed development secret, the JWT
audience and a rotation generation, so the seeded JWKS is the same on every run.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import ECKey

DEV_KEY_SECRET = "flask-stackauth-emulator-development-secret-do-not-use-in-production"
_P256_ORDER = int("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", 16)


def b64url(data: bytes) -> str:
    """Encode bytes as unpadded base64url."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Decode unpadded base64url (raises ``ValueError`` on bad input)."""
    pad = "=" * (-len(text) % 4)
    return base64.urlsafe_b64decode(text + pad)


@dataclass(frozen=True)
class SigningKey:
    """One ES256 key: its ``kid``, the joserfc key and the public JWK."""

    kid: str
    key: ECKey
    public_jwk: dict[str, str]


def derive_key(audience: str, generation: int, index: int) -> SigningKey:
    """Derive the P-256 key for ``audience`` at rotation ``generation``, slot ``index``."""
    seed = json.dumps(["stack-emulator-jwk", DEV_KEY_SECRET, audience, generation, index]).encode()
    scalar = int.from_bytes(hashlib.sha256(seed).digest(), "big") % (_P256_ORDER - 1) + 1
    private = ec.derive_private_key(scalar, ec.SECP256R1())
    numbers = private.public_key().public_numbers()
    x = b64url(numbers.x.to_bytes(32, "big"))
    y = b64url(numbers.y.to_bytes(32, "big"))
    kid = b64url(hashlib.sha256(f"{x}.{y}".encode()).digest())[:12]
    jwk = {"kty": "EC", "crv": "P-256", "alg": "ES256", "kid": kid, "x": x, "y": y}
    return SigningKey(kid=kid, key=ECKey.import_key(private), public_jwk=jwk)


class KeyStore:
    """Per-audience key lists; the first key of a list signs, all of them verify."""

    def __init__(self, *, legacy: bool = False) -> None:
        self.legacy = legacy
        self.generation = 0
        self._cache: dict[tuple[str, int, int], SigningKey] = {}
        self._lock = threading.Lock()

    def _key(self, audience: str, generation: int, index: int) -> SigningKey:
        k = (audience, generation, index)
        with self._lock:
            found = self._cache.get(k)
            if found is None:
                found = derive_key(audience, generation, index)
                self._cache[k] = found
            return found

    def keys_for(self, audience: str) -> list[SigningKey]:
        """Keys published for ``audience``: the signing key first, then the previous/secondary one."""
        gen = self.generation
        if gen == 0:
            first = self._key(audience, 0, 0)
            return [first] if self.legacy else [first, self._key(audience, 0, 1)]
        return [self._key(audience, gen, 0), self._key(audience, gen - 1, 0)]

    def rotate(self) -> str:
        """Start signing with a new key; return its ``kid``."""
        self.generation += 1
        return self.keys_for("internal")[0].kid

    def reset(self) -> None:
        """Go back to the seeded keys."""
        self.generation = 0

    def jwks(self, audiences: list[str]) -> dict[str, Any]:
        """The public JWKS for the given audiences, in order."""
        return {"keys": [dict(k.public_jwk) for aud in audiences for k in self.keys_for(aud)]}

    def sign(self, audience: str, claims: dict[str, Any]) -> str:
        """Sign ``claims`` (kept in the given order) with the audience's current key."""
        key = self.keys_for(audience)[0]
        payload = json.dumps(claims, separators=(",", ":")).encode()
        return jws.serialize_compact({"alg": "ES256", "kid": key.kid}, payload, key.key, algorithms=["ES256"])

    def verify_signature(self, token: str, audience: str) -> bool:
        """Check the token's signature against the audience's published keys (by ``kid``)."""
        try:
            header = json.loads(b64url_decode(token.split(".")[0]))
        except (ValueError, IndexError):
            return False
        if not isinstance(header, dict) or header.get("alg") != "ES256":
            return False
        for key in self.keys_for(audience):
            if key.kid == header.get("kid"):
                try:
                    jws.deserialize_compact(token, key.key, algorithms=["ES256"])
                    return True
                except (JoseError, ValueError):
                    return False
        return False


def decode_unverified(token: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """Split a compact JWS into header and claims without checking anything; ``None`` if malformed."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        header = json.loads(b64url_decode(parts[0]))
        claims = json.loads(b64url_decode(parts[1]))
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        return None
    return header, claims
