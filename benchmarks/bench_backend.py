"""Backend credentials: what an x-stack-auth header, a refreshed one and an API key cost against the bearer path.

Same process, same request count, the variants interleaved (see ``_common.compare``):

- ``bearer``: ``Authorization: Bearer <JWT>`` on a ``@login_required`` view (verified-token cache warm);
- ``x-stack-auth``: the JS SDK header with a fresh access token on the same view;
- ``x-stack-auth refreshed``: the header with an *expired* access token: refreshed once, then the remembered
  answer is reused (and handed back) without a call;
- ``api key``: ``X-Api-Key`` on an ``@api_key_required`` view (key cache warm).

Also prints calls to Stack Auth per request for each (the emulator's counter; the target is 0 in steady state).
"""

from __future__ import annotations

import argparse
import json
import time

from _common import compare, emulator, stack_app

from flask_stackauth import api_key_required, current_api_key
from flask_stackauth.server import ServerAPI
from flask_stackauth.state import get_state


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=1000)
    args = parser.parse_args()
    with emulator() as server:
        emu = server.emulator
        emu.project.allow_user_api_keys = True
        app = stack_app(server)

        @app.get("/by-key")
        @api_key_required
        def by_key() -> str:
            return current_api_key.id if current_api_key else ""

        client = app.test_client()
        user = emu.create_user("bench@example.com")
        pair = emu.create_session(user["id"])
        session = next(s for s in emu.data.sessions.values() if s.refresh_token == pair["refresh_token"])
        expired = emu.mint_access_token(user["id"], refresh_token_id=session.id, iat=time.time() - 7200)
        with app.app_context():
            key = ServerAPI(get_state().client).api_keys.create(user_id=user["id"], description="bench")
        variants = {
            "bearer": ("/protected", {"Authorization": f"Bearer {pair['access_token']}"}),
            "x-stack-auth": ("/protected", {"x-stack-auth": json.dumps(
                {"accessToken": pair["access_token"], "refreshToken": pair["refresh_token"]})}),
            "x-stack-auth refreshed": ("/protected", {"x-stack-auth": json.dumps(
                {"accessToken": expired, "refreshToken": pair["refresh_token"]})}),
            "api key": ("/by-key", {"X-Api-Key": str(key.value)}),
        }
        calls_per_request = {}
        for name, (path, headers) in variants.items():
            before = emu.calls()
            assert client.get(path, headers=headers).status_code == 200  # warms this variant's caches
            first = emu.calls() - before
            before = emu.calls()
            for _ in range(200):
                assert client.get(path, headers=headers).status_code == 200
            calls_per_request[name] = (first, (emu.calls() - before) / 200)
        rates = compare({name: (lambda p=path, h=headers: client.get(p, headers=h))
                         for name, (path, headers) in variants.items()}, args.requests)
    print(f"requests per round: {args.requests} (median of 15 interleaved rounds, Flask test client, one process)")
    base = rates["bearer"]
    for name, rps in rates.items():
        first, steady = calls_per_request[name]
        print(f"{name:24s} {rps:8.0f} req/s  ratio to bearer {rps / base:.3f}  "
              f"calls to Stack Auth: first request {first}, then {steady:.3f} per request")


if __name__ == "__main__":
    main()
