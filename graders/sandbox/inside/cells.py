"""Run a notebook's code cells in order, in one module namespace, the way Jupyter does.

Loaded by ``worker.py`` inside the sandbox when the loader wrote
``<entry>.cells.json`` next to the submission (a converted notebook). Each cell
is compiled on its own (so ``from __future__`` at the top of any cell is
accepted, and its features apply to the later cells, as in IPython) and run
in the module's namespace:

* a cell that raises is reported (cell number, line within the cell, error, the
  student's frames) and skipped; the later cells still run;
* a cell that runs longer than its budget is stopped and reported; what the
  cells defined so far is kept;
* once the whole budget is spent, the remaining cells are reported as not run.

The module's ``__name__`` is the entry name, so ``if __name__ == "__main__":``
blocks do not run.
"""
import __future__

import json
import linecache
import os
import signal
import sys
import time
import traceback
import types

#: Suffix of the file the loader writes beside ``<entry>.py`` for a notebook.
CELLS_SUFFIX = ".cells.json"
#: Share of the import budget one cell may use, and the least budget a cell gets.
CELL_SHARE = 0.25
MIN_CELL_SECONDS = 0.5
#: Compiler flags of every ``from __future__`` feature.
FUTURE_FLAGS = 0
for _feature in __future__.all_feature_names:
    FUTURE_FLAGS |= getattr(__future__, _feature).compiler_flag
MESSAGE_CAP = 2000
FRAMES_SHOWN = 8


class CellTimeout(BaseException):
    """Raised in the main thread when a cell has used its budget (a BaseException, so
    ``except Exception`` in a training loop does not swallow it)."""


def cells_path(submission_dir, entry):
    """Where the loader puts the cells of a notebook imported as ``entry``."""
    return os.path.join(submission_dir, entry + CELLS_SUFFIX)


def _on_alarm(signum, frame):
    raise CellTimeout()


def _run_with_budget(code, namespace, seconds):
    try:
        previous = signal.signal(signal.SIGALRM, _on_alarm)
        signal.setitimer(signal.ITIMER_REAL, max(seconds, 0.001))
    except (OSError, ValueError, AttributeError):  # no interval timer here: the host's deadline still holds
        previous = None
    try:
        exec(code, namespace)  # noqa: S102 - the submission's own cell, inside the sandbox
    finally:
        if previous is not None:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)


def _cell_frames(exc, labels):
    """The traceback frames that are in the notebook's cells, as text lines."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename in labels]
    lines = []
    for frame in frames[-FRAMES_SHOWN:]:
        lines.append(f'  {frame.filename}, line {frame.lineno}, in {frame.name}')
        if frame.line:
            lines.append(f"    {frame.line.strip()}")
    return frames, lines


def _describe(exc):
    try:
        text = str(exc)
    except BaseException:  # noqa: BLE001 - a student __str__ may fail
        text = "<the message could not be converted to text>"
    return f"{type(exc).__name__}: {text}".rstrip(": ")[:MESSAGE_CAP]


def run_cells(path, entry, budget):
    """Create module ``entry`` from the cells in `path` and run them in order.

    Parameters
    ----------
    path : str
        The ``<entry>.cells.json`` file: ``{"notebook": name, "cells": [{"cell": n, "source": text}]}``.
    entry : str
        Module name registered in ``sys.modules``.
    budget : float
        Seconds all cells together may take.

    Returns
    -------
    tuple
        The module, and one report per cell that did not complete:
        ``{"cell", "line", "status" ("error", "timeout" or "not_run"), "message"}``.
    """
    with open(path, encoding="utf-8") as handle:
        spec = json.load(handle)
    notebook = str(spec.get("notebook", "notebook"))
    module = types.ModuleType(entry)
    module.__file__ = os.path.join(os.path.dirname(path), entry + ".py")
    sys.modules[entry] = module
    labels = {f"{notebook}, cell {cell['cell']}" for cell in spec["cells"]}
    reports, flags = [], 0
    deadline = time.monotonic() + budget
    cell_budget = max(MIN_CELL_SECONDS, budget * CELL_SHARE)
    for cell in spec["cells"]:
        number, source = int(cell["cell"]), str(cell["source"])
        label = f"{notebook}, cell {number}"
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            reports.append({"cell": number, "line": 0, "status": "not_run",
                            "message": "not run: the notebook's time budget at import was spent"})
            continue
        linecache.cache[label] = (len(source), None, source.splitlines(True), label)
        try:
            code = compile(source, label, "exec", flags=flags, dont_inherit=True)
        except SyntaxError as exc:
            reports.append({"cell": number, "line": int(exc.lineno or 0), "status": "error",
                            "message": f"{type(exc).__name__}: {exc.msg}"})
            continue
        flags |= code.co_flags & FUTURE_FLAGS
        seconds = min(cell_budget, remaining)
        try:
            _run_with_budget(code, module.__dict__, seconds)
        except CellTimeout as exc:
            frames, _ = _cell_frames(exc, labels)
            line = frames[0].lineno if frames else 0
            reports.append({"cell": number, "line": int(line or 0), "status": "timeout",
                            "message": f"stopped after {seconds:.1f} s; what the cells defined before "
                                       "that point is kept"})
        except BaseException as exc:  # noqa: BLE001 - SystemExit, KeyboardInterrupt: the student's
            frames, lines = _cell_frames(exc, labels)
            own = [f for f in frames if f.filename == label]
            line = own[0].lineno if own else 0
            text = _describe(exc)
            if lines:
                text += "\nTraceback (most recent call last, in your cells):\n" + "\n".join(lines)
            reports.append({"cell": number, "line": int(line or 0), "status": "error", "message": text})
    return module, reports
