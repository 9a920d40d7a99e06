"""``python -m flask_stackauth.emulator``: serve the emulator until interrupted."""

from __future__ import annotations

import argparse
import sys
import threading

from .core import Emulator
from .server import EmulatorServer
from .webhooks import DEV_WEBHOOK_SECRET


def _delays(text: str) -> list[float]:
    try:
        return [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError("a comma-separated list of seconds, e.g. 0.1,0.5,2") from None


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, print the connection details and serve."""
    parser = argparse.ArgumentParser(prog="python -m flask_stackauth.emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default: loopback)")
    parser.add_argument("--port", type=int, default=8102, help="port (default 8102, 0 = any free port)")
    parser.add_argument("--legacy-tokens", action="store_true", help="behave like Stack Auth v2.7 (pre-mid-2025)")
    parser.add_argument("--access-token-lifetime", type=int, default=600, help="seconds (default 600)")
    parser.add_argument("--webhook-url", action="append", default=[], metavar="URL",
                        help="send Svix-signed webhooks to URL (repeat for several receivers)")
    parser.add_argument("--webhook-secret", default=DEV_WEBHOOK_SECRET, metavar="whsec_...",
                        help="signing secret of the --webhook-url endpoints (default: a fixed development secret)")
    parser.add_argument("--webhook-retry-delays", type=_delays, default=None, metavar="SECONDS,...",
                        help="seconds between delivery attempts (default 0.1,0.5,2)")
    args = parser.parse_args(argv)

    emulator = Emulator(legacy_tokens=args.legacy_tokens, access_token_lifetime=args.access_token_lifetime)
    try:
        if args.webhook_retry_delays is not None:
            emulator.webhooks.configure(retry_delays=args.webhook_retry_delays, persist=True)
        for url in args.webhook_url:
            emulator.webhooks.add_endpoint(url, secret=args.webhook_secret, static=True)
    except (ValueError, RuntimeError) as err:
        parser.error(str(err))
    server = EmulatorServer(emulator, host=args.host, port=args.port, quiet=False)
    server.start()
    print(f"Stack Auth emulator listening on {server.url}")
    print(f"  STACK_API_URL={server.url}")
    print(f"  STACK_PROJECT_ID={server.project_id}")
    print(f"  STACK_PUBLISHABLE_CLIENT_KEY={server.publishable_key}")
    print(f"  STACK_SECRET_SERVER_KEY={server.secret_server_key}")
    print(f"  STACK_SUPER_SECRET_ADMIN_KEY={server.super_secret_admin_key}")
    for endpoint in emulator.webhooks.endpoints():
        print(f"  webhooks -> {endpoint.url} (STACK_WEBHOOK_SECRET={endpoint.secret})")
    print(f"  legacy tokens: {'yes' if args.legacy_tokens else 'no'}; access tokens live {args.access_token_lifetime}s")
    sys.stdout.flush()
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
