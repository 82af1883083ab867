"""A module that is imported on first use, so that commands which never touch it start fast.

>>> from spigot._lazy import lazy_import
>>> json = lazy_import("json")        # nothing imported yet
>>> json.dumps([1])                   # imported here
'[1]'

Use it as ``if TYPE_CHECKING: import pandas as pd`` / ``else: pd = lazy_import("pandas")`` so that
type checkers see the real module.
"""

from __future__ import annotations

import importlib
import types
from pathlib import Path
from typing import Any

__all__ = ["lazy_from", "lazy_import"]


class _LazyModule(types.ModuleType):
    """Stands for module ``__name__``; the first attribute access imports it."""

    def __getattr__(self, attr: str) -> Any:
        module = importlib.import_module(self.__name__)
        self.__dict__.update(module.__dict__)  # later accesses skip __getattr__
        return getattr(module, attr)


def lazy_import(name: str) -> Any:
    """A stand-in for module ``name`` that imports it when an attribute is first read."""
    return _LazyModule(name)


class _LazyAttr:
    """Stands for ``module.name`` (a function or class): calling it or reading an attribute
    imports the module."""

    __slots__ = ("_module", "_name", "_target")

    def __init__(self, module: str, name: str) -> None:
        self._module, self._name, self._target = module, name, None

    def _resolve(self) -> Any:
        if self._target is None:
            self._target = getattr(importlib.import_module(self._module), self._name)
        return self._target

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._resolve()(*args, **kwargs)

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._resolve(), attr)

    def __repr__(self) -> str:
        return f"<lazy {self._module}.{self._name}>"


def lazy_from(module: str, name: str) -> Any:
    """``from module import name``, deferred, for spigot's own modules: a lazy module if
    ``module.name`` is a sub-module, else a stand-in that imports ``module`` when called or when
    an attribute is read (not for ``isinstance``). Deciding which imports nothing."""
    if _is_submodule(module, name):
        return lazy_import(f"{module}.{name}")
    return _LazyAttr(module, name)


def _is_submodule(module: str, name: str) -> bool:
    parts = module.split(".")
    if parts[0] != "spigot":
        raise ValueError(f"lazy_from is for spigot's modules, got {module!r}")
    base = Path(__file__).resolve().parent.joinpath(*parts[1:], name)
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()
