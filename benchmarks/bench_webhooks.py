"""Question 5: what does receiving one webhook cost?

A 2 KB ``user.updated`` payload, Svix-signed: (a) signature verification alone (``standardwebhooks`` HMAC-SHA256
on the raw body, plus our header checks and parsing into a typed event), per delivery; (b) the whole receiver
route through the Flask test client (verify, seen-id bookkeeping, one no-op handler, 204), each delivery a new
``svix-id``, against a plain POST view that reads the same body.
"""

from __future__ import annotations

import argparse
import json
import secrets
import time
from datetime import datetime, timezone

from _common import compare, emulator, stack_app
from standardwebhooks import Webhook

from flask_stackauth.webhooks import RECEIVER_KEY, verify_delivery

SECRET = "whsec_" + "YmVuY2htYXJrLXdlYmhvb2stc2VjcmV0LWtleQ=="


def payload() -> str:
    user = {"id": "0f5c7c3e-8a3b-4f7e-9a40-1c9e7c0f2b11", "primary_email": "bench@example.com",
            "display_name": "Bench", "client_metadata": {"notes": "x" * 1500}, "server_metadata": None,
            "oauth_providers": [{"id": "github", "account_id": "bench", "email": "bench@example.com"}]}
    body = json.dumps({"type": "user.updated", "data": user}, separators=(",", ":"))
    pad = 2048 - len(body)
    user["display_name"] = "B" * (5 + pad)
    return json.dumps({"type": "user.updated", "data": user}, separators=(",", ":"))


def signed(body: str) -> dict[str, str]:
    msg_id = "msg_" + secrets.token_hex(13)
    now = int(time.time())
    sig = Webhook(SECRET).sign(msg_id, datetime.fromtimestamp(now, tz=timezone.utc), body)
    return {"svix-id": msg_id, "svix-timestamp": str(now), "svix-signature": sig,
            "content-type": "application/json"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--deliveries", type=int, default=2000)
    args = parser.parse_args()
    body = payload()
    raw = body.encode()
    with emulator() as server:
        app = stack_app(server, STACK_WEBHOOK_SECRET=SECRET)
        receiver = app.extensions[RECEIVER_KEY]
        headers = [signed(body) for _ in range(args.deliveries)]
        start = time.perf_counter()
        for h in headers:
            verify_delivery(receiver.verifier, raw, h)
        verify_us = (time.perf_counter() - start) / len(headers) * 1e6

        @app.post("/plain")
        def plain() -> tuple[str, int]:
            from flask import request
            request.get_data()
            return "", 204

        client = app.test_client()
        fresh = iter([signed(body) for _ in range(args.deliveries * 16)])
        rates = compare({"plain": lambda: client.post("/plain", data=raw, headers=next(fresh)),
                         "webhook": lambda: client.post("/auth/webhooks", data=raw, headers=next(fresh))},
                        args.deliveries // 2)
    print(f"payload: {len(raw)} bytes, {args.deliveries} deliveries, each a new svix-id")
    print(f"verify + parse, per delivery:   {verify_us:7.1f} us")
    print(f"plain POST view:          {rates['plain']:9.0f} req/s")
    print(f"webhook route (204):      {rates['webhook']:9.0f} req/s")
    print(f"added per delivery by the receiver: {(1 / rates['webhook'] - 1 / rates['plain']) * 1e6:.1f} us")


if __name__ == "__main__":
    main()
