"""Write a generated page, or with ``--check`` only compare it (shared by the tools/gen_* scripts)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path


def write_or_check(doc: Path, text: str, argv: Sequence[str], tool: str) -> int:
    """Write ``text`` to ``doc``; with ``--check`` in ``argv`` return 1 (and say so) if it differs.

    ``tool`` is the script to run to regenerate it (named in the message).
    """
    if "--check" in argv:
        if not doc.exists() or doc.read_text(encoding="utf-8") != text:
            print(f"{doc} is out of date: run .venv/bin/python {tool}", file=sys.stderr)
            return 1
        return 0
    doc.write_text(text, encoding="utf-8")
    print(f"wrote {doc}")
    return 0
