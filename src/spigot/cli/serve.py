"""``spigot serve``: the web dashboard (FastAPI + uvicorn), bound to localhost by default.

Binding another interface needs ``--expose`` and prints a warning; the security model (Host
allow-list, CSRF, optional token) is in docs/dashboard.md.
"""

from __future__ import annotations

import os
import secrets
from typing import Annotated

import typer

from spigot.cli.runs import StoreOption, open_store
from spigot.errors import InputError, Problem

__all__ = ["TOKEN_ENV", "serve"]

#: Environment variable with the access token (instead of ``--token``, which ``ps`` shows).
TOKEN_ENV = "SPIGOT_TOKEN"


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on; 127.0.0.1 keeps it local. "
                                      "Another interface also needs --expose.")]
    = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.", min=1, max=65535)] = 8050,
    store: StoreOption = None,
    max_draws: Annotated[int, typer.Option(help="Most draws one request may ask for.", min=1)]
    = 5000,
    max_upload_kb: Annotated[int, typer.Option(help="Largest scenario upload, in KiB.", min=1)]
    = 1024,
    expose: Annotated[bool, typer.Option(
        "--expose", help="Allow a non-local --host (anyone who can reach the port can use the "
                         "dashboard unless it has a token).")] = False,
    allow_host: Annotated[list[str] | None, typer.Option(
        "--allow-host", help="Host name clients may use besides localhost, 127.0.0.1 and ::1 "
                             "(repeatable; '*' allows any).")] = None,
    token: Annotated[str | None, typer.Option(
        help=f"Access token every request must carry (or set {TOKEN_ENV}); 'generate' makes "
             "one and prints it.")] = None,
) -> None:
    """Serve the dashboard: world, scenarios, runs and comparisons, plus a JSON API (/api)."""
    import uvicorn

    from spigot.web import create_app
    from spigot.web.security import LOCAL_HOSTS, is_local_host

    token = token or os.environ.get(TOKEN_ENV, "").strip() or None
    generated = token == "generate"
    if generated:
        token = secrets.token_urlsafe(24)
    if token is not None and len(token) < 16:
        raise InputError(Problem("access token too short", field="--token",
                                 value=f"{len(token)} characters", expected="at least 16",
                                 hint="use --token generate for a random one"))
    local = is_local_host(host)
    if not local and not expose:
        raise InputError(Problem(
            "refusing to listen on a non-local interface without --expose", field="--host",
            value=host, expected="127.0.0.1 (local only), or --expose to confirm",
            hint="add --token (or set SPIGOT_TOKEN) and --allow-host NAME when you expose it; "
                 "docs/dashboard.md, 'Security model'"))
    hosts = [*LOCAL_HOSTS, *(allow_host or [])]
    if not local and host not in ("0.0.0.0", "::"):
        hosts.append(host)
    runs = open_store(store)
    app = create_app(runs.path, max_draws=max_draws, max_upload_bytes=max_upload_kb * 1024,
                     allowed_hosts=hosts, token=token)
    if not local:
        typer.echo(f"WARNING: the dashboard listens on {host}, not only on this machine: anyone "
                   "who can reach the port can "
                   + ("use it with the token." if token else
                      "read every run and start runs (no --token given).")
                   + " Clients must use one of these host names: " + ", ".join(hosts), err=True)
    shown = f"http://{host}:{port}/"
    if generated:
        typer.echo(f"access token: open {shown}?token={token} once, or send 'Authorization: "
                   "Bearer <token>'", err=True)
    typer.echo(f"spigot dashboard on {shown} (store {runs.path}); Ctrl-C to stop")
    uvicorn.run(app, host=host, port=port, log_level="warning")
