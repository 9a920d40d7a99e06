"""Tokens with hand-made JOSE headers, signed with the emulator's real key (so they reach the signature check)."""

from __future__ import annotations

import base64
import json
from typing import Any

from joserfc.jws import JWSRegistry

from flask_stackauth.verify import peek_claims


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def signed_with_header(server: Any, valid_token: str, header: Any, *, merge: bool = True) -> str:
    """``valid_token``'s claims under ``header`` (merged over ``{"alg": "ES256", "kid": <the real kid>}``),
    signed with the key the emulator signs with, whatever the header says."""
    key = server.emulator.keys.keys_for(server.project_id)[0]
    if merge and isinstance(header, dict):
        header = {"alg": "ES256", "kid": key.kid, **header}
    signing_input = b64(json.dumps(header).encode()) + "." + b64(json.dumps(peek_claims(valid_token)).encode())
    signature = JWSRegistry.algorithms["ES256"].sign(signing_input.encode("ascii"), key.key)
    return signing_input + "." + b64(signature)
