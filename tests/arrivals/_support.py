"""Submissions shaped the way students hand them in, built from the reference."""
from __future__ import annotations

import re
from pathlib import Path

import nbformat
from submissions import MODULES, REFERENCE_DIR


def reference_module(name: str, *, plain_imports: bool = False) -> str:
    """One reference module with the solution markers removed; its relative imports made plain if asked."""
    text = (REFERENCE_DIR / name).read_text()
    text = re.sub(r"^\s*### (BEGIN|END) SOLUTION.*\n", "", text, flags=re.M)
    if plain_imports:
        text = re.sub(r"^from \.(\w+) import", r"from \1 import", text, flags=re.M)
    return text


def reference_cells() -> list[str]:
    """The reference as notebook cells, one per module (each starting with its ``from __future__``)."""
    cells = []
    for name in MODULES:
        text = reference_module(name)
        cells.append(re.sub(r"^from \.\w+ import .*\n", "", text, flags=re.M))
    return cells


def write_notebook(path: Path, cells: list[str]) -> Path:
    """A valid nbformat-4 notebook whose code cells are `cells`, with a markdown cell first."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Homework")] + [nbformat.v4.new_code_cell(c) for c in cells]
    nbformat.write(nb, str(path))
    return path


def plain_folder(folder: Path, *, main: str | None = None) -> Path:
    """The reference as a folder of modules importing each other by plain name (no ``__init__.py``)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in MODULES:
        (folder / name).write_text(reference_module(name, plain_imports=True))
    if main is not None:
        (folder / "main.py").write_text(main)
    return folder
