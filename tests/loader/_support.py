"""Helpers for the loader tests: notebook builders and a worker-like import in a subprocess."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat

#: A tiny but complete submission of the public API, as one module.
API_SOURCE = textwrap.dedent(
    """\
    import numpy as np


    class Sigmoid:
        def forward(self, x):
            return 1.0 / (1.0 + np.exp(-x))


    class Linear:
        def __init__(self, n_in, n_out):
            self.W = np.zeros((n_in, n_out))
    """
)


def write_notebook(path: Path, cells: list[tuple[str, str]]) -> Path:
    """Write a valid nbformat-4 notebook with ``(cell_type, source)`` cells."""
    nb = nbformat.v4.new_notebook()
    makers = {"code": nbformat.v4.new_code_cell, "markdown": nbformat.v4.new_markdown_cell,
              "raw": nbformat.v4.new_raw_cell}
    nb.cells = [makers[kind](source) for kind, source in cells]
    nbformat.write(nb, str(path))
    return path


def import_names(loaded, expression: str) -> object:
    """Import the loaded submission the way the worker does, in a child process.

    Returns the JSON-decoded value of `expression`, evaluated with the imported
    module bound to ``m``.
    """
    code = textwrap.dedent(
        f"""\
        import importlib, json, sys
        sys.path.insert(0, {str(loaded.module_dir)!r})
        m = importlib.import_module({loaded.entry!r})
        print(json.dumps({expression}))
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          cwd=loaded.module_dir)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def module_text(loaded) -> str:
    """Text of the generated single-file module."""
    return (loaded.module_dir / "nngrade_submission.py").read_text(encoding="utf-8")


def listing(folder: Path) -> list[str]:
    """Sorted relative paths of everything under `folder`."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))

