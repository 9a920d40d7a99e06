"""``flask stackauth emulator``: serve the bundled Stack Auth emulator (as ``python -m flask_stackauth.emulator``).

The only client-side module that reaches the emulator, and only when the command runs: a production app
never loads the emulator's code or its well-known development keys.
"""

from __future__ import annotations

import click


@click.command("emulator")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option("--port", default=8102, show_default=True, type=click.IntRange(0, 65535),
              help="Port (0 picks a free one).")
@click.option("--legacy-tokens", is_flag=True, help="Behave like Stack Auth v2.7 (tokens of before mid-2025).")
@click.option("--access-token-lifetime", default=600, show_default=True, type=click.IntRange(1),
              help="Seconds an access token lives.")
@click.option("--webhook-url", multiple=True, help="Send Svix-signed webhooks to this URL (repeatable).")
def emulator_command(host: str, port: int, legacy_tokens: bool, access_token_lifetime: int,
                     webhook_url: tuple[str, ...] = ()) -> None:
    """Serve the local Stack Auth emulator (as python -m flask_stackauth.emulator)."""
    # Deferred: the CLI group is built at StackAuth(app); the emulator loads only when asked for.
    from .emulator.__main__ import main

    argv = ["--host", host, "--port", str(port), "--access-token-lifetime", str(access_token_lifetime)]
    for url in webhook_url:
        argv += ["--webhook-url", url]
    raise SystemExit(main([*argv, "--legacy-tokens"] if legacy_tokens else argv))
