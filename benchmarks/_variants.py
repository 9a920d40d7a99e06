"""The variants that ``instructions.py`` and ``wrk_gunicorn.py`` measure, and the inputs they share.

Every variant is one trivial view in its own app; a request is a path plus headers (the session cookie
travels as a ``Cookie`` header, so a test client without a cookie jar and ``wrk`` send the same bytes).
:func:`prepare` runs once, in the parent process, against the emulator: it signs a user in, mints the
bearer token, reads the JWKS and turns the signing key into the PEM that Flask-JWT-Extended wants.
The measured processes then only rebuild the apps from those inputs (:func:`build`).
"""

from __future__ import annotations

import base64
import json
from dataclasses import asdict, dataclass
from typing import Any

import requests
from flask import Flask, session
from joserfc.jwk import ECKey

from flask_stackauth import StackAuth, current_user, login_required

#: Measured in this order; the keys are the command-line names.
LABELS = {
    "open": "unprotected view, no cookie",
    "open_bearer": "unprotected view, bearer header sent",
    "open_session": "unprotected view reading the session",
    "flask_login": "Flask-Login @login_required",
    "stack_session": "flask-stackauth @login_required (session)",
    "stack_bearer": "flask-stackauth @login_required (bearer, warm)",
    "jwt_extended": "Flask-JWT-Extended @jwt_required() (ES256)",
}
VARIANTS = tuple(LABELS)
SECRET_KEY = "bench-" + "x" * 40
EMAIL = "bench@example.com"


@dataclass(frozen=True)
class Inputs:
    """Everything the measured processes need, JSON-serialisable; minted once per benchmark run."""

    stack_config: dict[str, Any]
    #: ``Cookie`` header values: a Flask session holding a Stack session, and one holding a Flask-Login user.
    stack_cookie: str
    flask_login_cookie: str
    bearer: str
    user_id: str
    public_key_pem: str
    issuer: str
    audience: str

    def dump(self) -> str:
        """As JSON, for a file handed to the child processes."""
        return json.dumps(asdict(self))

    @classmethod
    def load(cls, text: str) -> Inputs:
        """From :meth:`dump`'s JSON."""
        return cls(**json.loads(text))


@dataclass(frozen=True)
class Request:
    """What one measured request carries."""

    path: str
    headers: dict[str, str]
    #: The body a 200 answer must have, so a variant that silently refuses is caught.
    expect: str


def _segment(token: str, index: int) -> dict[str, Any]:
    part = token.split(".")[index]
    return dict(json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))))


def _cookie_header(app: Flask, client_cookie: Any) -> str:
    assert client_cookie is not None, "the sign-in left no session cookie"
    return f"{app.config.get('SESSION_COOKIE_NAME', 'session')}={client_cookie.value}"


def prepare(server: Any, *, token_lifetime: int = 3600) -> Inputs:
    """Mint the shared inputs against a running emulator (``run_emulator()``'s server).

    Tokens live ``token_lifetime`` seconds, so a slow run under valgrind never reaches the refresh leeway.
    """
    from flask_stackauth.testing import emulator_config, sign_in_client

    emu = server.emulator
    emu.set_access_token_lifetime(token_lifetime)
    config = emulator_config(server)

    stack = stack_app(config)
    client = stack.test_client()
    user = sign_in_client(server, client, EMAIL)
    stack_cookie = _cookie_header(stack, client.get_cookie(stack.config.get("SESSION_COOKIE_NAME", "session")))

    fl = flask_login_app()
    fl_client = fl.test_client()
    assert fl_client.get("/login").status_code == 200
    fl_cookie = _cookie_header(fl, fl_client.get_cookie("session"))

    bearer = str(emu.create_session(user["id"])["access_token"])
    kid = _segment(bearer, 0)["kid"]
    claims = _segment(bearer, 1)
    jwks = requests.get(f"{server.url}/api/v1/projects/{server.project_id}/.well-known/jwks.json", timeout=10)
    jwks.raise_for_status()
    (jwk,) = [k for k in jwks.json()["keys"] if k.get("kid") == kid]
    pem = ECKey.import_key(jwk).as_pem(private=False).decode("ascii")
    return Inputs(stack_config=config, stack_cookie=stack_cookie, flask_login_cookie=fl_cookie, bearer=bearer,
                  user_id=str(user["id"]), public_key_pem=pem, issuer=str(claims["iss"]), audience=str(claims["aud"]))


def stack_app(config: dict[str, Any]) -> Flask:
    """flask-stackauth's app: the protected view and both unprotected ones live here."""
    app = Flask("bench-stack")
    app.config.update({"SECRET_KEY": SECRET_KEY, **config})
    StackAuth(app)

    @app.get("/protected")
    @login_required
    def protected() -> str:
        return current_user.id or ""

    @app.get("/open")
    def open_view() -> str:
        return "ok"

    @app.get("/open-session")
    def open_session() -> str:
        # Reading the session makes Flask verify and decode the cookie.
        return "ok" if session.get("bench") is None else "?"

    return app


def flask_login_app() -> Flask:
    """Flask-Login with a trivial ``user_loader``: the baseline of the session path."""
    from flask_login import LoginManager, UserMixin, login_user
    from flask_login import current_user as login_current_user
    from flask_login import login_required as flask_login_required

    class User(UserMixin):
        def __init__(self, user_id: str) -> None:
            self.id = user_id

    app = Flask("bench-flask-login")
    app.config["SECRET_KEY"] = SECRET_KEY
    manager = LoginManager(app)
    manager.user_loader(User)

    @app.get("/login")
    def login() -> str:
        login_user(User("bench-user"))
        return "ok"

    @app.get("/protected")
    @flask_login_required
    def protected() -> str:
        return str(login_current_user.id)

    return app


def jwt_extended_app(inputs: Inputs) -> Flask:
    """Flask-JWT-Extended verifying the same Stack token against the same public key: the bearer baseline."""
    from flask_jwt_extended import JWTManager, get_jwt_identity, jwt_required

    app = Flask("bench-jwt-extended")
    app.config.update(JWT_ALGORITHM="ES256", JWT_PUBLIC_KEY=inputs.public_key_pem,
                      JWT_DECODE_AUDIENCE=inputs.audience, JWT_DECODE_ISSUER=inputs.issuer,
                      JWT_IDENTITY_CLAIM="sub", JWT_SECRET_KEY=SECRET_KEY)
    JWTManager(app)

    @app.get("/protected")
    @jwt_required()
    def protected() -> str:
        return str(get_jwt_identity())

    return app


def build(variant: str, inputs: Inputs) -> tuple[Flask, Request]:
    """The app of ``variant`` and the request to send it."""
    bearer = {"Authorization": f"Bearer {inputs.bearer}"}
    if variant == "open":
        return stack_app(inputs.stack_config), Request("/open", {}, "ok")
    if variant == "open_bearer":
        # Not a target: the floor of the bearer path (the test client and Werkzeug handling the header).
        return stack_app(inputs.stack_config), Request("/open", bearer, "ok")
    if variant == "open_session":
        return stack_app(inputs.stack_config), Request("/open-session", {"Cookie": inputs.stack_cookie}, "ok")
    if variant == "flask_login":
        return flask_login_app(), Request("/protected", {"Cookie": inputs.flask_login_cookie}, "bench-user")
    if variant == "stack_session":
        return stack_app(inputs.stack_config), Request("/protected", {"Cookie": inputs.stack_cookie}, inputs.user_id)
    if variant == "stack_bearer":
        return stack_app(inputs.stack_config), Request("/protected", bearer, inputs.user_id)
    if variant == "jwt_extended":
        return jwt_extended_app(inputs), Request("/protected", bearer, inputs.user_id)
    raise ValueError(f"unknown variant {variant!r}; one of {', '.join(VARIANTS)}")


def wsgi_from_env() -> Flask:
    """For gunicorn (``'_variants:wsgi_from_env()'``): the app of ``$BENCH_VARIANT``, inputs from ``$BENCH_INPUTS``."""
    import os
    from pathlib import Path

    with Path(os.environ["BENCH_INPUTS"]).open() as f:
        inputs = Inputs.load(f.read())
    return build(os.environ["BENCH_VARIANT"], inputs)[0]
