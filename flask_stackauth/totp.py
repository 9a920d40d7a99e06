"""TOTP enrolment helpers: a new secret, its ``otpauth://`` URI and QR code, and checking one code.

The work is done by maintained libraries in the ``totp`` extra (``pip install flask-stackauth[totp]``):
``pyotp`` (RFC 6238 codes) and ``segno`` (the QR code, as inline SVG). Without them every function raises
:class:`~flask_stackauth.errors.TotpUnavailable`, and the prebuilt pages say how to install them.

Stack Auth keeps the secret as raw bytes (``totp_secret_base64``); authenticator apps take it base32
encoded. Secrets are never logged, and never part of an exception message.
"""

from __future__ import annotations

import base64
import re
import secrets
from types import ModuleType

from .errors import TotpUnavailable

#: Bytes of a new secret: 20, as Stack's own SDK generates (160 bits, RFC 4226's recommendation).
SECRET_BYTES = 20
_CODE = re.compile(r"^[0-9]{6}$")
INSTALL_HINT = "pip install 'flask-stackauth[totp]'"


def _pyotp() -> ModuleType:
    try:
        import pyotp
    except ImportError:
        raise TotpUnavailable(f"Two-factor enrolment needs the pyotp package: {INSTALL_HINT}") from None
    return pyotp


def _segno() -> ModuleType:
    try:
        import segno
    except ImportError:
        raise TotpUnavailable(f"Two-factor enrolment needs the segno package: {INSTALL_HINT}") from None
    return segno


def available() -> bool:
    """Whether the ``totp`` extra is installed."""
    try:
        _pyotp()
        _segno()
    except TotpUnavailable:
        return False
    return True


def new_secret() -> bytes:
    """A new random secret (:data:`SECRET_BYTES` bytes)."""
    return secrets.token_bytes(SECRET_BYTES)


def base32(secret: bytes) -> str:
    """The secret as authenticator apps take it (base32, no padding)."""
    return base64.b32encode(secret).decode().rstrip("=")


def provisioning_uri(secret: bytes, account: str, issuer: str) -> str:
    """The ``otpauth://totp/...`` URI of ``secret`` for ``account`` (shown as a QR code and as text)."""
    return str(_pyotp().TOTP(base32(secret)).provisioning_uri(name=account or "account", issuer_name=issuer))


def qr_svg(uri: str) -> str:
    """``uri`` as an inline SVG QR code (no XML declaration; scales with CSS, dark on light)."""
    qr = _segno().make(uri, error="m")
    svg: str = qr.svg_inline(scale=4, border=2, dark="#000", light="#fff", svgclass="stack-qr",
                             omitsize=True, title="QR code for your authenticator app")
    return svg


def normalise_code(value: object) -> str:
    """The typed code without spaces (people copy ``123 456``); at most 64 characters are looked at."""
    return re.sub(r"\s", "", value if isinstance(value, str) else "")[:64]


def is_code_shape(code: str) -> bool:
    """Whether ``code`` is six digits."""
    return bool(_CODE.match(code))


def verify(secret: bytes, code: str) -> bool:
    """Whether ``code`` is the current code of ``secret`` (one step of clock drift either way is accepted)."""
    if not is_code_shape(code):
        return False
    return bool(_pyotp().TOTP(base32(secret)).verify(code, valid_window=1))
