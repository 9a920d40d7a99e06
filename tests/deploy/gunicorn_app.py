"""The app the deployment tests serve with gunicorn: configured from the environment, as in production.

``STACK_*`` come from the environment (flask-stackauth reads them there when ``app.config`` lacks them);
``DEPLOY_SECRET_KEY`` is shared by every worker; ``DEPLOY_SESSION_REDIS_URL`` switches to server-side
sessions with Flask-Session. Every answer names the worker process that served it.
"""

from __future__ import annotations

import hashlib
import os
import time
from typing import Any

from flask import Flask, Response

from flask_stackauth import StackAuth, current_user, login_required

#: How long a view holds its worker, so a burst of requests is spread over several workers.
VIEW_SECONDS = 0.05


def create_app() -> Flask:
    """Build the app; gunicorn calls this once in every worker."""
    app = Flask("deployapp")
    app.config["SECRET_KEY"] = os.environ["DEPLOY_SECRET_KEY"]
    redis_url = os.environ.get("DEPLOY_SESSION_REDIS_URL")
    if redis_url:
        import redis
        from flask_session import Session

        app.config.update(SESSION_TYPE="redis", SESSION_REDIS=redis.Redis.from_url(redis_url),
                          SESSION_KEY_PREFIX="deploy-session:")
        Session(app)
    StackAuth(app)

    @app.after_request
    def _name_the_worker(response: Response) -> Response:
        response.headers["X-Worker-Pid"] = str(os.getpid())
        return response

    @app.get("/pid")
    def pid() -> Any:
        time.sleep(VIEW_SECONDS)
        return {"pid": os.getpid()}

    @app.get("/protected")
    @login_required
    def protected() -> Any:
        time.sleep(VIEW_SECONDS)
        token = current_user.access_token
        return {"pid": os.getpid(), "id": current_user.id,
                "token_sha": hashlib.sha256(token.encode()).hexdigest()}

    return app
