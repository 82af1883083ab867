"""Command-line interface (typer). Thin: it calls the public Python API and holds no model logic."""
