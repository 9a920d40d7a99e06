"""HTTP to Stack Auth: one ``requests`` connection pool per app, the headers each access type needs,
a total deadline on every call (:mod:`.deadline`), and Stack's known errors turned into typed exceptions."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any, Literal, TypeVar

import requests
from urllib3.util.retry import Retry

from ._version import __version__
from .config import StackAuthSettings
from .deadline import DeadlineAdapter, deadline, remaining
from .errors import KnownError, StackAuthConfigError, StackAuthHTTPError, StackAuthUnavailable

log = logging.getLogger("flask_stackauth")

AccessType = Literal["client", "server"]
T = TypeVar("T")
#: A 429 is answered before the request is handled (Stack's development servers rate-limit on purpose, "to
#: ensure clients can handle 429 responses"), so it is safe to retry, POSTs included: twice, after 0 and 1 s.
#: Retry-After is not waited for in full, since a user is waiting; a 429 that persists is an outage.
RATE_LIMIT_RETRY = Retry(total=2, connect=0, read=0, redirect=0, other=0, status=2, status_forcelist={429},
                         allowed_methods=None, backoff_factor=0.5, respect_retry_after_header=False,
                         raise_on_status=False)
#: Matches Stack's ``x-stack-client-version`` pattern ``^\w+ @[\w/]+@[\d.]+$``.
CLIENT_VERSION = f"python @flask_stackauth@{__version__}"


def raise_for_stack_response(response: requests.Response) -> None:
    """Raise the typed error for a non-2xx Stack Auth answer; return quietly on success.

    Known errors (by their ``x-stack-known-error`` header, or a ``{code, error}`` body without it) become
    :class:`KnownError` subclasses; 5xx and 429 answers become :class:`StackAuthUnavailable`;
    any other error (plain text, OAuth JSON) becomes :class:`StackAuthHTTPError` with Stack's text.
    """
    known = response.headers.get("x-stack-known-error")
    if known:
        try:
            body = response.json()
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        raise KnownError.from_response(known, str(body.get("error") or known), body.get("details"),
                                       response.status_code)
    if 400 <= response.status_code < 500:
        coded = _coded_error_body(response)
        if coded is not None:
            raise KnownError.from_response(*coded, response.status_code)
    if response.status_code >= 500 or response.status_code == 429:
        raise StackAuthUnavailable(f"Stack Auth answered HTTP {response.status_code}"
                                   f"{' (rate limited)' if response.status_code == 429 else ''}.")
    if response.status_code >= 400:
        text = response.text[:500]
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict) and "error" in body:
            text = str(body.get("error_description") or body["error"])[:500]
        raise StackAuthHTTPError(f"Stack Auth answered HTTP {response.status_code}: {text}",
                                 status=response.status_code, body=response.text[:2000])


#: Stack's error codes (``KnownErrors`` in stack-shared): upper-case words joined by ``_``.
_ERROR_CODE = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")


def _coded_error_body(response: requests.Response) -> tuple[str, str, Any] | None:
    """``(code, message, details)`` of a known-error body sent without its ``x-stack-known-error`` header.

    v2.7.16's deprecated ``/auth/oauth/connected-accounts/{provider}/access-token`` answers so (recorded:
    ``v2.7.16/connected-result.json`` step ``access_token_deprecated_route``); OAuth JSON errors have no ``code``.
    """
    if "json" not in response.headers.get("content-type", ""):
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    code, message = body.get("code"), body.get("error")
    if not isinstance(code, str) or not isinstance(message, str) or not _ERROR_CODE.match(code):
        return None
    return code, message, body.get("details")


def json_body(response: requests.Response) -> Any:
    """The JSON body of a successful answer, or :class:`StackAuthUnavailable` when it is not JSON."""
    try:
        return response.json()
    except ValueError:
        raise StackAuthUnavailable(
            f"Stack Auth answered HTTP {response.status_code} with a body that is not JSON.") from None


def call_with_deadline(what: str, seconds: float, api_url: str, call: Callable[[], T]) -> T:
    """Run ``call`` (one HTTP exchange with Stack Auth, body read included) within a total of ``seconds``.

    :raises StackAuthUnavailable: the deadline passed, or the network failed.
    """
    with deadline(seconds):
        try:
            return call()
        except requests.RequestException as exc:
            left = remaining()
            if isinstance(exc, requests.Timeout) or (left is not None and left <= 0):
                raise StackAuthUnavailable(f"Stack Auth did not answer {what} within {seconds:g} s.") from None
            # The exception text may contain the URL but never headers or bodies, so it is safe to show.
            raise StackAuthUnavailable(
                f"Could not reach Stack Auth at {api_url}: {type(exc).__name__}.") from None


class StackAuthClient:
    """Calls Stack Auth's REST API for one app.

    One instance per app, so one connection pool per app; it is safe to share between threads
    because it keeps no per-user state: tokens are passed to each call.
    """

    def __init__(self, settings: StackAuthSettings) -> None:
        self.settings = settings
        #: Also mounted by Authlib's sessions (oauth.py), so the token endpoint gets the same deadline.
        self.adapter = DeadlineAdapter(pool_connections=4, pool_maxsize=32, max_retries=RATE_LIMIT_RETRY)
        self.session = requests.Session()
        self.session.mount("http://", self.adapter)
        self.session.mount("https://", self.adapter)
        self.session.headers["User-Agent"] = f"flask-stackauth/{__version__}"

    def close(self) -> None:
        """Close the pooled connections."""
        self.session.close()

    def headers(self, access_type: AccessType = "client", *, access_token: str | None = None,
                refresh_token: str | None = None) -> dict[str, str]:
        """The ``x-stack-*`` headers for one call of the given access type."""
        s = self.settings
        headers = {
            "x-stack-access-type": access_type,
            "x-stack-project-id": s.project_id,
            "x-stack-client-version": CLIENT_VERSION,
        }
        if s.publishable_client_key:
            headers["x-stack-publishable-client-key"] = s.publishable_client_key
        if access_type == "server":
            if not s.secret_server_key:
                raise StackAuthConfigError(
                    "STACK_SECRET_SERVER_KEY is not set; the server API needs the project's secret server key.")
            headers["x-stack-secret-server-key"] = s.secret_server_key
        if access_token:
            headers["x-stack-access-token"] = access_token
            # As Stack's SDK always does: without it Stack refuses anonymous and restricted users' tokens,
            # which this library lets through only where a view opted in (verify.check_policy).
            headers["x-stack-allow-anonymous-user"] = "true"
        if refresh_token:
            headers["x-stack-refresh-token"] = refresh_token
        return headers

    def send(self, method: str, path: str, *, headers: dict[str, str] | None = None,
             timeout: float | None = None, **kwargs: Any) -> requests.Response:
        """Send one request, turning network failures into :class:`StackAuthUnavailable`.

        ``timeout`` (default ``STACK_HTTP_TIMEOUT``) bounds the whole call: connecting, and reading the headers and
        the entire body.
        """
        url = self.settings.endpoint(path)
        seconds = timeout or self.settings.http_timeout
        return call_with_deadline(f"{method} {path}", seconds, self.settings.api_url, lambda: self.session.request(
            method, url, headers=headers, timeout=seconds, **kwargs))

    def request(self, method: str, path: str, *, access_type: AccessType = "client",
                access_token: str | None = None, refresh_token: str | None = None,
                params: dict[str, Any] | None = None, json: Any = None) -> Any:
        """Call an ``/api/v1`` endpoint and return its JSON body.

        POST, PATCH and PUT always send a JSON body (``{}`` when empty), as Stack's SDK spec asks.

        :raises KnownError: Stack's known error, as its subclass.
        :raises StackAuthUnavailable: timeout, connection error, 5xx, or a body that is not JSON.
        :raises StackAuthHTTPError: any other error answer.
        """
        if json is None and method.upper() in ("POST", "PATCH", "PUT"):
            json = {}
        headers = self.headers(access_type, access_token=access_token, refresh_token=refresh_token)
        response = self.send(method, path, headers=headers, params=params, json=json)
        log.debug("Stack Auth %s %s -> %s", method, path, response.status_code)
        raise_for_stack_response(response)
        return json_body(response)
