"""One catalog of files that ship inside the package: bundled datasets, scenarios, replays and
observed series all find, list and name their files through :class:`BundledCatalog`.

>>> from spigot.bundled import BundledCatalog
>>> scenarios = BundledCatalog("spigot.scenarios", "scenario", "*.yaml")
>>> "baseline" in scenarios.names()
True
>>> scenarios.path("baseline").name
'baseline.yaml'
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from spigot.errors import UnknownNameError

__all__ = ["BundledCatalog"]


@dataclass(frozen=True)
class BundledCatalog:
    """Named entries of one package folder.

    Parameters
    ----------
    package
        Dotted name of the package that holds the files (``spigot.scenarios``).
    kind
        What an entry is, in error messages (``scenario``, ``dataset``, ...).
    pattern
        Glob of the entries in the folder (``*.yaml``; ``*/dataset.yaml`` for folders named by
        their parent).
    subfolder
        Folder of the package that holds the entries (``""``: the package itself).
    """

    package: str
    kind: str
    pattern: str
    subfolder: str = ""

    def root(self) -> Path:
        """The folder that holds the entries."""
        root = Path(str(resources.files(self.package)))
        return root / self.subfolder if self.subfolder else root

    def _entry(self, file: Path) -> tuple[str, Path]:
        """Name and path of one matched file: a folder entry is named by its folder."""
        if "/" in self.pattern:
            return file.parent.name, file.parent
        return file.stem, file

    def entries(self) -> dict[str, Path]:
        """Name -> path of every entry, sorted by name."""
        return dict(sorted(self._entry(f) for f in self.root().glob(self.pattern)))

    def names(self) -> tuple[str, ...]:
        """Names of the entries, sorted."""
        return tuple(self.entries())

    def path(self, name: str) -> Path:
        """The file (or folder) of entry ``name``.

        Raises
        ------
        UnknownNameError
            If there is no such entry (the message lists the names and suggests the closest).
        """
        found = self.entries().get(name)
        if found is None:
            raise UnknownNameError(self.kind, name, self.names())
        return found
