"""Question 2: what does a bearer-protected API view cost against an unprotected one?

Same process, same request count: ``Authorization: Bearer`` on a ``@login_required`` view with the
verified-token cache warm, against the same view unprotected. Target: >= 0.85. Also reports the cold
ES256 verification cost per token (distinct tokens, JWKS already cached).
"""

from __future__ import annotations

import argparse
import time

from _common import compare, emulator, stack_app

from flask_stackauth.state import get_state


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--cold-tokens", type=int, default=300)
    args = parser.parse_args()
    with emulator() as server:
        emu = server.emulator
        app = stack_app(server)
        client = app.test_client()
        user = emu.create_user("bench@example.com")
        token = emu.create_session(user["id"])["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        assert client.get("/protected", headers=headers).status_code == 200
        rates = compare({"open": lambda: client.get("/open", headers=headers),
                         "bearer": lambda: client.get("/protected", headers=headers)}, args.requests)
        open_rps, bearer_rps = rates["open"], rates["bearer"]

        tokens = [emu.mint_access_token(user["id"]) for _ in range(args.cold_tokens)]
        verifier = get_state(app).verifier
        start = time.perf_counter()
        for fresh in tokens:
            verifier.verify(fresh)
        cold_us = (time.perf_counter() - start) / len(tokens) * 1e6
        start = time.perf_counter()
        for fresh in tokens:
            verifier.verify(fresh)
        warm_us = (time.perf_counter() - start) / len(tokens) * 1e6
    print(f"requests per round: {args.requests} (median of 15 interleaved rounds, Flask test client, one process)")
    print(f"unprotected view:            {open_rps:9.0f} req/s")
    print(f"bearer-protected, cache warm: {bearer_rps:8.0f} req/s")
    print(f"ratio bearer / unprotected: {bearer_rps / open_rps:.3f} (target >= 0.85)")
    print(f"added per request: {(1 / bearer_rps - 1 / open_rps) * 1e6:.1f} us")
    print(f"cold verification (ES256 + claims), per token: {cold_us:7.1f} us over {len(tokens)} distinct tokens")
    print(f"cached verification, per token:                {warm_us:7.1f} us")
    print(f"ratio cold / cached: {cold_us / warm_us:.1f}")


if __name__ == "__main__":
    main()
