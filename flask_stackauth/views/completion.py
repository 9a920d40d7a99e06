"""The end of every form sign-in: Stack's token answer checked, stored, and the browser sent on.
"""

from __future__ import annotations

from typing import Any

from flask import redirect, request
from werkzeug.wrappers import Response

from ..auth import store_sign_in
from ..errors import SignInError
from ..state import get_state
from ..urls import safe_next


def after_sign_in(next_url: str | None) -> Response:
    target = next_url or safe_next(get_state().settings.after_sign_in_url, host=request.host) or "/"
    return redirect(target, 303)


def stack_post(path: str, body: dict[str, Any]) -> dict[str, Any]:
    answer = get_state().client.request("POST", path, json=body)
    if not isinstance(answer, dict) or not isinstance(answer.get("access_token"), str) \
            or not isinstance(answer.get("refresh_token"), str):
        raise SignInError("Stack Auth answered the sign-in without tokens.", code="STACK_AUTH_BAD_ANSWER",
                          http_status=502)
    return answer


def finish(answer: dict[str, Any], *, method: str, next_url: str | None, is_new_user: bool | None = None) -> Response:
    new_user = bool(answer.get("is_new_user")) if is_new_user is None else is_new_user
    store_sign_in(answer["access_token"], answer["refresh_token"], is_new_user=new_user, method=method)
    return after_sign_in(next_url)
