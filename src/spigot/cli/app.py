"""The ``spigot`` command: error handling, global options, and the sub-command groups."""

from __future__ import annotations

import dataclasses
import json
import logging
import sys
import traceback
from typing import Annotated

import typer

from spigot._version import __version__
from spigot.cli import compare as compare_cli
from spigot.cli import criticality as criticality_cli
from spigot.cli import data as data_cli
from spigot.cli import exposure as exposure_cli
from spigot.cli import mitigate as mitigate_cli
from spigot.cli import replay as replay_cli
from spigot.cli import report as report_cli
from spigot.cli import risk as risk_cli
from spigot.cli import run as run_cli
from spigot.cli import runs as runs_cli
from spigot.cli import scenario as scenario_cli
from spigot.cli import serve as serve_cli
from spigot.cli import strategy as strategy_cli
from spigot.cli import sweep as sweep_cli
from spigot.errors import SpigotError

__all__ = ["app", "main"]

app = typer.Typer(
    name="spigot",
    help="Model the critical-minerals supply system and stress-test it against export controls.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(data_cli.app, name="data")
app.command("risk")(risk_cli.risk)
app.command("exposure")(exposure_cli.exposure)
app.add_typer(scenario_cli.app, name="scenario")
app.command("validate")(scenario_cli.validate)
app.command("run")(run_cli.run)
app.command("replay")(replay_cli.replay)
app.command("sweep")(sweep_cli.sweep)
app.add_typer(runs_cli.app, name="runs")
runs_cli.app.command("criticality")(criticality_cli.criticality)
app.command("compare")(compare_cli.compare)
app.command("mitigate")(mitigate_cli.mitigate)
app.command("report")(report_cli.report)
app.command("serve")(serve_cli.serve)
app.command("strategy")(strategy_cli.strategy)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"spigot {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks of errors.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log progress.")] = False,
) -> None:
    """spigot: where the chokepoints are, who is exposed, and what happens when the spigot closes."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return the exit code (0 ok, 1 internal error, 2 bad input)."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    try:
        result = app(args=args, prog_name="spigot", standalone_mode=False)
        return result if isinstance(result, int) else 0
    except typer.Exit as exc:
        return int(exc.exit_code)
    except typer.Abort:
        sys.stderr.write("spigot: aborted\n")
        return 130
    except SpigotError as exc:
        if debug:
            traceback.print_exc()
        sys.stderr.write(f"spigot: error: {exc}\n")
        if _wants_json(args):  # a script asked for JSON: the error as JSON too, on stdout
            sys.stdout.write(json.dumps(error_document(exc), default=str) + "\n")
        return exc.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("spigot: interrupted\n")
        return 130
    except Exception as exc:
        if _is_usage_error(exc):
            exc.show()  # type: ignore[attr-defined]
            return 2
        if debug:
            traceback.print_exc()
        sys.stderr.write(f"spigot: internal error: {type(exc).__name__}: {exc}\n"
                         "This is a bug in spigot; run again with --debug for the traceback "
                         "and report it.\n")
        return 1


def run() -> None:  # pragma: no cover - console-script shim
    """Console-script entry point."""
    sys.exit(main())


def _wants_json(args: list[str]) -> bool:
    """Whether the command line asks for ``--format json`` (``-f json``, ``--format=json``)."""
    for i, arg in enumerate(args):
        if arg in ("--format=json", "-fjson"):
            return True
        if arg in ("--format", "-f") and i + 1 < len(args) and args[i + 1] == "json":
            return True
    return False


def error_document(exc: SpigotError) -> dict[str, object]:
    """``{"error": {"type", "exit_code", "message", "problems": [...]}}`` for JSON output;
    each problem has ``message``, ``file``, ``line``, ``field``, ``value``, ``expected`` and
    ``hint`` (null where not known)."""
    problems = [dataclasses.asdict(p) for p in getattr(exc, "problems", [])]
    return {"error": {"type": type(exc).__name__, "exit_code": exc.exit_code,
                      "message": str(exc), "problems": problems}}


def _is_usage_error(exc: Exception) -> bool:
    """Whether ``exc`` is the CLI parser's own usage error (bad option, missing argument)."""
    return hasattr(exc, "show") and hasattr(exc, "exit_code") and hasattr(exc, "format_message")
