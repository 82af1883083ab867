"""Scenario uploads: checked off the event loop, within size, depth, step and time limits.

Parsing YAML and preparing a model are CPU work in plain Python; done in an ``async`` handler
they stop every other request. Here they run in a worker thread (anyio's thread pool, at most
:data:`PREPARE_THREADS` at once) under a deadline, after cheap linear checks that refuse what
would make the parser or the model builder slow:

- text larger than :data:`MAX_SCENARIO_BYTES` -> 413;
- nesting deeper than :data:`MAX_DEPTH` (flow brackets ``[{`` or block indentation levels) -> 422;
- YAML aliases -> 422 (they can expand without bound);
- a ``dataset`` that is not a bundled name, a ``market.parameters`` given at all (a path or URL
  would reach the file system or the network) -> 422 naming the field;
- more time steps than the run-cost limits allow -> 422 before the model is prepared; a run
  whose estimated memory or time is over the limits -> 422 (:mod:`spigot.sim.cost`);
- a check still running after :data:`PREPARE_TIMEOUT_S` -> 422 at once (the worker thread
  finishes in the background; the limits above keep that short).
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

import anyio
import anyio.to_thread
import yaml

from spigot import datasets
from spigot.errors import InputError, Problem
from spigot.scenarios.models import Scenario
from spigot.sim.cost import RunCost, RunLimits

__all__ = ["MAX_DEPTH", "MAX_SCENARIO_BYTES", "PREPARE_THREADS", "PREPARE_TIMEOUT_S", "Checked",
           "ScenarioTooLargeError", "check_aliases", "check_depth", "check_scenario", "off_loop",
           "read_upload"]

T = TypeVar("T")

#: Largest scenario text accepted (bytes of UTF-8); larger gets 413.
MAX_SCENARIO_BYTES = 256 * 1024
#: Deepest nesting of YAML collections accepted (scenarios need about 6).
MAX_DEPTH = 32
#: Worker threads that parse and prepare uploads at once; further requests wait for one.
PREPARE_THREADS = 2
#: Seconds a parse-and-prepare may take (waiting for a worker included) before a 422.
PREPARE_TIMEOUT_S = 20.0


class ScenarioTooLargeError(InputError):
    """A scenario text over :data:`MAX_SCENARIO_BYTES` (HTTP 413)."""


class CheckTimeoutError(InputError):
    """A scenario check took longer than its deadline (HTTP 422)."""


@dataclasses.dataclass(frozen=True)
class Checked:
    """An uploaded scenario that passed every check."""

    scenario: Scenario
    cost: RunCost
    warnings: list[Problem]


async def read_upload(file: Any, example: str) -> tuple[str, str]:
    """An uploaded file's plain name and UTF-8 text (a ``fastapi.UploadFile``).

    Raises
    ------
    InputError
        If the name is a path (``/``, ``\\``, a leading ``.``) or the bytes are not UTF-8.
    """
    filename = file.filename or "upload.yaml"
    if "/" in filename or "\\" in filename or filename.startswith("."):
        raise InputError(Problem("file name must be a plain name, not a path", field="file",
                                 value=filename, expected=f"a name such as {example}"))
    raw = await file.read()
    try:
        return filename, raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(Problem("the file is not UTF-8 text", field="file", value=filename,
                                 expected="a YAML text file")) from None


def check_depth(text: str, label: str, max_depth: int = MAX_DEPTH) -> None:
    """Refuse text nested deeper than ``max_depth`` in one linear pass (no YAML parsing).

    Counts flow brackets outside quotes and comments, and the number of distinct indentation
    levels open at once in block style.

    Raises
    ------
    InputError
        Naming the line where the nesting passes the limit.
    """
    depth = 0
    quote = ""
    indents: list[int] = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.lstrip(" -")
        if depth == 0 and not quote and stripped and not stripped.startswith("#"):
            indent = len(line) - len(stripped)
            while indents and indents[-1] >= indent:
                indents.pop()
            indents.append(indent)
            if len(indents) > max_depth:
                _too_deep(label, number, max_depth)
        escaped = False
        for char in line:
            if quote:
                if quote == '"' and char == "\\" and not escaped:
                    escaped = True
                    continue
                if char == quote and not escaped:
                    quote = ""
                escaped = False
            elif char == "#":
                break
            elif char in "\"'":
                quote = char
            elif char in "[{":
                depth += 1
                if depth + len(indents) > max_depth:
                    _too_deep(label, number, max_depth)
            elif char in "]}":
                depth = max(0, depth - 1)


def _too_deep(label: str, line: int, max_depth: int) -> None:
    raise InputError(Problem("YAML nested too deeply", file=label, line=line,
                             expected=f"at most {max_depth} levels of nested lists and mappings",
                             hint="scenarios need about six; write the value out flat"))


def check_aliases(text: str, label: str) -> None:
    """Refuse YAML aliases (``*name``): scenarios need none and they can blow up on expansion.

    Text that is not YAML passes: whoever loads it reports the syntax error with its line.
    """
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.AliasEvent):
                mark = event.start_mark
                raise InputError(Problem("YAML aliases are not allowed in uploaded scenarios",
                                         file=label, line=mark.line + 1 if mark else None,
                                         value=f"*{event.anchor}",
                                         expected="plain values (write the value out)"))
    except yaml.YAMLError:
        return  # the scenario loader reports the syntax error with its line


def check_scenario(label: str, text: str, *, limits: RunLimits, max_draws: int,
                   draws: int | None = None, for_run: bool = True) -> Checked:
    """Every check of an uploaded scenario, in order of cost (run this off the event loop).

    Parameters
    ----------
    label, text
        Where the scenario came from (for messages) and its YAML text.
    limits
        Run-cost limits.
    max_draws
        Most draws one request may ask for.
    draws
        Draws asked for (default: the scenario's).
    for_run
        Refuse more than ``max_draws`` draws (a run request); a validation checks the cost of
        at most ``max_draws`` draws instead, since the run may ask for fewer.

    Raises
    ------
    ScenarioTooLargeError
        If the text is over :data:`MAX_SCENARIO_BYTES`.
    InputError
        For any other problem (YAML, fields, names, data references, limits).
    """
    from spigot.scenarios import load_text
    from spigot.scenarios.checks import scenario_warnings
    from spigot.sim import cost, prepare

    size = len(text.encode("utf-8"))
    if size > MAX_SCENARIO_BYTES:
        raise ScenarioTooLargeError(Problem(
            "scenario text too large", file=label, value=f"{size:,} bytes",
            expected=f"at most {MAX_SCENARIO_BYTES:,} bytes"))
    check_depth(text, label)
    check_aliases(text, label)
    scen = load_text(text, label)
    source = scen._source
    if scen.dataset not in datasets.names():
        raise InputError(Problem("the dashboard runs scenarios on bundled datasets only",
                                 file=label, field="dataset", value=scen.dataset,
                                 line=source.line(("dataset",)) if source else None,
                                 expected="one of " + ", ".join(datasets.names()),
                                 hint="run scenarios on your own data with 'spigot run'"))
    if scen.market.parameters is not None:
        raise InputError(Problem(
            "the dashboard does not read files: market parameters must be the bundled table",
            file=label, field="market.parameters", value=scen.market.parameters,
            line=source.line(("market", "parameters")) if source else None,
            expected="no market.parameters (the bundled table); change single values with "
                     "market.overrides",
            hint="run scenarios with your own parameter table with 'spigot run'"))
    wanted = draws if draws is not None else scen.draws
    if not for_run:
        wanted = min(wanted, max_draws)
    if wanted > max_draws:
        raise InputError(Problem("too many draws for one request", field="draws",
                                 value=wanted, expected=f"at most {max_draws}",
                                 hint="ask for fewer draws, or use 'spigot run' for more"))
    cost.check_steps(scen, limits)
    model = prepare(scen)  # checks every commodity and region name against the dataset
    run_cost = cost.check(cost.estimate(model, wanted, keep=scen.keep_trajectories), limits)
    return Checked(scen, run_cost, scenario_warnings(scen))


_LIMITERS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.CapacityLimiter] = (
    weakref.WeakKeyDictionary())


def _limiter() -> anyio.CapacityLimiter:
    """The worker-thread limit of the running event loop (one per server)."""
    loop = asyncio.get_running_loop()
    found = _LIMITERS.get(loop)
    if found is None:
        found = _LIMITERS[loop] = anyio.CapacityLimiter(PREPARE_THREADS)
    return found


async def off_loop(func: Callable[..., T], *args: Any, timeout: float | None = None,
                   **kwargs: Any) -> T:
    """Run ``func(*args, **kwargs)`` in a worker thread and wait at most ``timeout`` seconds
    (default :data:`PREPARE_TIMEOUT_S`).

    At most :data:`PREPARE_THREADS` such calls run at once; the others wait (within their
    deadline), so hostile requests cannot take every thread of the server.

    Raises
    ------
    CheckTimeoutError
        If the deadline passes (the answer goes out at once; the thread is abandoned).
    """
    call = functools.partial(func, *args, **kwargs)
    timeout = PREPARE_TIMEOUT_S if timeout is None else timeout
    with anyio.move_on_after(timeout):
        return await anyio.to_thread.run_sync(call, abandon_on_cancel=True, limiter=_limiter())
    raise CheckTimeoutError(Problem(
        "checking the scenario took too long", value=f"more than {timeout:g} s",
        expected="a scenario that prepares within the limit",
        hint="try a smaller scenario (fewer steps: longer step_weeks or a shorter horizon), "
             "or try again when the server is less busy"))
