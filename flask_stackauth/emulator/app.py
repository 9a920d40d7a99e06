"""Build the emulator's Flask app: request ids, call counting, fault injection, error pages."""

from __future__ import annotations

import importlib
import secrets
import time
from typing import TYPE_CHECKING

from flask import Flask, Response, g, request
from werkzeug.exceptions import HTTPException

from . import errors as E

if TYPE_CHECKING:
    from .core import Emulator

#: Route modules (relative to this package); each exposes ``bp``, a Flask blueprint.
#: Add a module name here to serve more endpoints.
ROUTE_MODULES: list[str] = ["oauth", "auth", "users", "provider", "controls", "mfa", "otp", "teams",
                             "account_settings", "passwords", "contact_channels", "invitations",
                             "webhook_controls", "apikeys", "connected", "project_controls"]
# The console (server-rendered pages at /_emulator/): only ever part of the emulator's own app.
ROUTE_MODULES.append("console")

_REQUEST_ID_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"


def _request_id() -> str:
    return "".join(secrets.choice(_REQUEST_ID_ALPHABET) for _ in range(16))


def create_app(emu: Emulator) -> Flask:
    """The WSGI app serving ``emu``."""
    app = Flask("flask_stackauth.emulator")
    app.extensions["stackauth_emulator"] = emu
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.url_map.strict_slashes = False

    for name in ROUTE_MODULES:
        module = importlib.import_module(f"{__package__}.{name}")
        app.register_blueprint(module.bp)

    @app.before_request
    def _count_and_inject() -> Response | None:
        g.request_id = _request_id()
        path = request.path
        if not path.startswith("/api/"):
            return None
        emu.record_call(request.method, path)
        fault = emu.take_fault(path)
        if fault is None:
            return None
        if fault.mode == "hang":
            time.sleep(fault.delay)
            return None
        if fault.mode == "garbage":
            return Response("<html>oops", status=200, content_type="text/html; charset=utf-8")
        if fault.mode == "429":
            # What a development server's artificial rate limit answers (apps/backend/src/proxy.tsx).
            limited = Response('{"message":"Artificial development rate limit triggered. Wait before retrying."}',
                               status=429, content_type=E.JSON_CONTENT_TYPE)
            limited.headers["Retry-After"] = "1"
            return limited
        if fault.mode == "503":
            return Response("Service Unavailable", status=503, content_type=E.TEXT_CONTENT_TYPE)
        return Response(
            "Internal Server Error (injected by the emulator)", status=500, content_type=E.TEXT_CONTENT_TYPE
        )

    @app.after_request
    def _common_headers(resp: Response) -> Response:
        resp.headers["x-stack-request-id"] = g.get("request_id") or _request_id()
        if "Cache-Control" not in resp.headers:
            resp.headers["Cache-Control"] = "no-store"
        return resp

    @app.errorhandler(E.KnownError)
    def _known(err: E.KnownError) -> Response:
        return err.to_response()

    @app.errorhandler(E.StatusError)
    def _status(err: E.StatusError) -> Response:
        return err.to_response()

    @app.errorhandler(E.OAuthProtocolError)
    def _oauth(err: E.OAuthProtocolError) -> Response:
        return err.to_response()

    @app.errorhandler(HTTPException)
    def _http(err: HTTPException) -> Response:
        if err.code == 404:
            return Response(E.NOT_FOUND_TEXT.format(url=request.url), status=404, content_type=E.TEXT_CONTENT_TYPE)
        if err.code == 405:
            return Response("Method not allowed", status=405, content_type=E.TEXT_CONTENT_TYPE)
        return Response(err.description or err.name, status=err.code or 400, content_type=E.TEXT_CONTENT_TYPE)

    @app.errorhandler(Exception)
    def _unexpected(err: Exception) -> Response:  # pragma: no cover - safety net
        app.logger.exception("emulator bug", exc_info=err)
        return Response(f"Emulator internal error: {type(err).__name__}", status=500, content_type=E.TEXT_CONTENT_TYPE)

    return app
