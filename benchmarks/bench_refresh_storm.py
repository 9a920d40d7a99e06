"""Question 3: N requests arrive at once with one expired access token. How many refreshes, how slow?

The app runs on a real threaded server on loopback; 1, 8, 32 and 128 threads send the same session
cookie at the same moment. Reports calls to the emulator's token endpoint (target: exactly 1 per
process) and the slowest request's time.
"""

from __future__ import annotations

import argparse
import logging
import threading
import time

import requests
from _common import emulator, stack_app
from werkzeug.serving import make_server

from flask_stackauth.testing import sign_in_client
from flask_stackauth.tokens import TOKENS_KEY

TOKEN = "/api/v1/auth/oauth/token"


def storm(base: str, cookie: str, threads: int) -> tuple[list[int], float]:
    barrier = threading.Barrier(threads)
    statuses: list[int] = []
    slowest = [0.0]
    lock = threading.Lock()

    def hit() -> None:
        barrier.wait()
        start = time.perf_counter()
        response = requests.get(f"{base}/protected", headers={"Cookie": f"session={cookie}"}, timeout=60)
        took = time.perf_counter() - start
        with lock:
            statuses.append(response.status_code)
            slowest[0] = max(slowest[0], took)

    workers = [threading.Thread(target=hit) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return statuses, slowest[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--threads", type=int, nargs="*", default=[1, 8, 32, 128])
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no access log line per request
    with emulator() as server:
        app = stack_app(server)
        http = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=http.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{http.server_port}"
        print(f"{'threads':>7} {'token-endpoint calls':>21} {'all 200':>8} {'slowest request':>16}")
        for n in args.threads:
            client = app.test_client()
            sign_in_client(server, client, f"storm-{n}@example.com")
            with client.session_transaction() as session:  # the access token expired a second ago
                session[TOKENS_KEY] = {**session[TOKENS_KEY], "expires_at": int(time.time()) - 1}
            cookie = client.get_cookie("session").value  # type: ignore[union-attr]
            before = server.emulator.calls("POST", TOKEN)
            statuses, slowest = storm(base, cookie, n)
            calls = server.emulator.calls("POST", TOKEN) - before
            print(f"{n:>7} {calls:>21} {statuses == [200] * n!s:>8} {slowest * 1000:>13.1f} ms")
        http.shutdown()


if __name__ == "__main__":
    main()
