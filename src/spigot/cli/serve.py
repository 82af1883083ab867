"""``spigot serve``: the web dashboard (FastAPI + uvicorn), bound to localhost by default."""

from __future__ import annotations

from typing import Annotated

import typer

from spigot.cli.runs import StoreOption, open_store

__all__ = ["serve"]


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on; 127.0.0.1 keeps it local. "
                                      "Other hosts expose an unauthenticated server.")]
    = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.", min=1, max=65535)] = 8050,
    store: StoreOption = None,
    max_draws: Annotated[int, typer.Option(help="Most draws one request may ask for.", min=1)]
    = 5000,
    max_upload_kb: Annotated[int, typer.Option(help="Largest scenario upload, in KiB.", min=1)]
    = 1024,
) -> None:
    """Serve the dashboard: world, scenarios, runs and comparisons, plus a JSON API (/api)."""
    import uvicorn

    from spigot.web import create_app

    runs = open_store(store)
    app = create_app(runs.path, max_draws=max_draws, max_upload_bytes=max_upload_kb * 1024)
    typer.echo(f"spigot dashboard on http://{host}:{port}/ (store {runs.path}); Ctrl-C to stop")
    uvicorn.run(app, host=host, port=port, log_level="warning")
