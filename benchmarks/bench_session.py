"""Question 1: what does ``@login_required`` cost on a session-protected view, against Flask-Login?

Same process, same request count, same trivial view: flask-stackauth (valid token, steady state),
Flask-Login with a trivial ``user_loader``, and no protection at all. Target: >= 0.90 of Flask-Login.
"""

from __future__ import annotations

import argparse

from _common import compare, emulator, signed_in_client, stack_app
from flask import Flask
from flask_login import LoginManager, UserMixin, login_user
from flask_login import current_user as login_current_user
from flask_login import login_required as flask_login_required


class _User(UserMixin):
    def __init__(self, user_id: str) -> None:
        self.id = user_id


def flask_login_app() -> Flask:
    app = Flask("bench-flask-login")
    app.config["SECRET_KEY"] = "bench-" + "x" * 40
    manager = LoginManager(app)
    manager.user_loader(_User)

    @app.get("/login")
    def login() -> str:
        login_user(_User("bench-user"))
        return "ok"

    @app.get("/protected")
    @flask_login_required
    def protected() -> str:
        return str(login_current_user.id)

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=1000)
    args = parser.parse_args()
    with emulator() as server:
        stack = stack_app(server)
        stack_client = signed_in_client(server, stack)
        fl_client = flask_login_app().test_client()
        fl_client.get("/login")
        assert fl_client.get("/protected").status_code == 200
        calls_before = server.emulator.calls()
        rates = compare({"open": lambda: stack_client.get("/open"),
                         "flask_login": lambda: fl_client.get("/protected"),
                         "stack": lambda: stack_client.get("/protected")}, args.requests)
        open_rps, fl_rps, stack_rps = rates["open"], rates["flask_login"], rates["stack"]
        calls = server.emulator.calls() - calls_before
    print(f"requests per round: {args.requests} (median of 15 interleaved rounds, Flask test client, one process)")
    print(f"unprotected view:          {open_rps:9.0f} req/s")
    print(f"Flask-Login protected:     {fl_rps:9.0f} req/s")
    print(f"flask-stackauth protected: {stack_rps:9.0f} req/s")
    print(f"ratio flask-stackauth / Flask-Login: {stack_rps / fl_rps:.3f} (target >= 0.90)")
    print(f"ratio flask-stackauth / unprotected: {stack_rps / open_rps:.3f}")
    print(f"added per request vs Flask-Login: {(1 / stack_rps - 1 / fl_rps) * 1e6:.1f} us")
    print(f"calls to Stack Auth during the timed runs: {calls}")


if __name__ == "__main__":
    main()
