"""Question 4: how many calls to Stack Auth does a steady-state request make? (target: 0)

1,000 requests through a session-protected view and 1,000 through a bearer-protected view, with a
valid token, after the first request warmed the JWKS cache; counted by the emulator.
"""

from __future__ import annotations

import argparse

from _common import emulator, signed_in_client, stack_app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=1000)
    args = parser.parse_args()
    with emulator() as server:
        emu = server.emulator
        app = stack_app(server)
        session_client = signed_in_client(server, app)
        user = emu.create_user("bearer@example.com")
        headers = {"Authorization": f"Bearer {emu.create_session(user['id'])['access_token']}"}
        bearer_client = app.test_client()
        assert bearer_client.get("/protected", headers=headers).status_code == 200
        before = emu.calls()
        for _ in range(args.requests):
            assert session_client.get("/protected").status_code == 200
        session_calls = emu.calls() - before
        before = emu.calls()
        for _ in range(args.requests):
            assert bearer_client.get("/protected", headers=headers).status_code == 200
        bearer_calls = emu.calls() - before
    print(f"session-protected: {session_calls} calls to Stack Auth over {args.requests} requests "
          f"({session_calls / args.requests:.3f} per request)")
    print(f"bearer-protected:  {bearer_calls} calls to Stack Auth over {args.requests} requests "
          f"({bearer_calls / args.requests:.3f} per request)")


if __name__ == "__main__":
    main()
