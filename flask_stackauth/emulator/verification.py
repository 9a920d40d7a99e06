"""Single-use verification codes (Stack's ``verification-code-handler.tsx``), shared by OTP and MFA.

A code is 45 lowercase Crockford base32 characters. For email sign-in codes the first six are the
code typed by the user and the other 39 are the ``nonce`` returned by ``send-sign-in-code``. Codes are
kept in ``emu.data.ext`` so :meth:`Emulator.reset` drops them.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import errors as E
from .schema import Obj, Str

if TYPE_CHECKING:
    from .core import Emulator

CODE_LENGTH = 45
#: Stack's ``generateSecureRandomString``: Crockford base32, lower case.
CODE_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
#: The 21st attempt on one nonce fails (Stack's ``MAX_ATTEMPTS_PER_CODE``).
MAX_ATTEMPTS_PER_CODE = 20
#: Stack's default code lifetime (``createCode``): seven days.
DEFAULT_LIFETIME = 7 * 24 * 3600.0
_EXT_KEY = "verification_codes"


@dataclass
class VerificationCode:
    """One issued code: its kind (``otp`` or ``mfa``), what it is for, and its use."""

    code: str
    kind: str
    expires_at: float
    data: dict[str, Any] = field(default_factory=dict)
    callback_url: str | None = None
    used: bool = False
    attempts: int = 0


def _codes(emu: Emulator) -> dict[str, VerificationCode]:
    codes: dict[str, VerificationCode] = emu.data.ext.setdefault(_EXT_KEY, {})
    return codes


def random_code() -> str:
    """A fresh 45-character code."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def create_code(
    emu: Emulator, kind: str, *, data: dict[str, Any], lifetime: float = DEFAULT_LIFETIME,
    callback_url: str | None = None,
) -> VerificationCode:
    """Store and return a new code of ``kind``."""
    vc = VerificationCode(code=random_code(), kind=kind, expires_at=emu.now() + lifetime, data=data,
                          callback_url=callback_url)
    with emu.lock:
        _codes(emu)[vc.code] = vc
    return vc


def find_code(emu: Emulator, kind: str, raw_code: str) -> VerificationCode:
    """Look a submitted code up and count the attempt, with Stack's checks in Stack's order.

    Every code sharing the submitted code's nonce (all but its first six characters) counts one attempt,
    so guessing the six typed characters is limited per nonce.

    :raises E.KnownError: ``VERIFICATION_CODE_NOT_FOUND``, ``..._EXPIRED``, ``..._ALREADY_USED`` or
        ``..._MAX_ATTEMPTS_REACHED``.
    """
    code = raw_code.lower()  # the email shows the code in upper case
    with emu.lock:
        codes = _codes(emu)
        found = codes.get(code)
        attempts_before = found.attempts if found is not None else 0
        for other in codes.values():
            if other.code.endswith(code[6:]):
                other.attempts += 1
        if found is None or found.kind != kind:
            raise verification_code_not_found()
        if found.expires_at < emu.now():
            raise verification_code_expired()
        if found.used:
            raise verification_code_already_used()
        if attempts_before >= MAX_ATTEMPTS_PER_CODE:
            raise verification_code_max_attempts_reached()
        return found


def mark_used(emu: Emulator, vc: VerificationCode) -> None:
    """Burn ``vc``: later uses answer ``VERIFICATION_CODE_ALREADY_USED``."""
    with emu.lock:
        vc.used = True


def forget_code(emu: Emulator, vc: VerificationCode) -> None:
    """Delete ``vc``: later uses answer ``VERIFICATION_CODE_NOT_FOUND`` (a revoked invitation)."""
    with emu.lock:
        _codes(emu).pop(vc.code, None)


def check_code_field(body: dict[str, Any], problems: list[str]) -> str | None:
    """Validate ``body.code`` like Stack's ``yupString().length(45).defined()``."""
    value = body.get("code")
    if value is None:
        problems.append("body.code must be defined")
        return None
    if not isinstance(value, str):
        problems.append(f"body.code must be a `string` type, but the final value was: `{value!r}`.")
        return None
    if len(value) != CODE_LENGTH:
        problems.append(f"body.code must be exactly {CODE_LENGTH} characters")
        return None
    return value


# --- known errors (messages from Stack's known-errors.tsx) ------------------------------------


def verification_code_not_found() -> E.KnownError:
    """``VERIFICATION_CODE_NOT_FOUND`` (404)."""
    return E.KnownError(404, "VERIFICATION_CODE_NOT_FOUND", "The verification code does not exist for this project.")


def verification_code_expired() -> E.KnownError:
    """``VERIFICATION_CODE_EXPIRED`` (400)."""
    return E.KnownError(400, "VERIFICATION_CODE_EXPIRED", "The verification code has expired.")


def verification_code_already_used() -> E.KnownError:
    """``VERIFICATION_CODE_ALREADY_USED`` (409)."""
    return E.KnownError(409, "VERIFICATION_CODE_ALREADY_USED", "The verification link has already been used.")


def verification_code_max_attempts_reached() -> E.KnownError:
    """``VERIFICATION_CODE_MAX_ATTEMPTS_REACHED`` (400)."""
    return E.KnownError(
        400,
        "VERIFICATION_CODE_MAX_ATTEMPTS_REACHED",
        "The verification code nonce has reached the maximum number of attempts. This code is not valid anymore.",
    )


# --- the handlers' request schema -------------------------------------------------------------

#: Every verification-code handler's request keys (route-handlers/verification-code-handler.tsx).
CODE_HANDLER_KEYS = ("auth", "body")
#: The handlers' body: ``yupObject({code}).concat(requestBody ?? yupObject({}))``: two objects, so an
#: unknown property is listed twice; a handler with a request body concatenates its own.
CODE_BODY = Obj({"code": Str().length(CODE_LENGTH).defined()}).concat(Obj({}).defined())
