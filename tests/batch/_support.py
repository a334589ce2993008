"""Helpers of the batch tests: a fast configuration and generated classes of submissions."""
from __future__ import annotations

import json
from pathlib import Path

from submissions import mutated_source, reference_source, write_submission

#: One XOR seed and a short call timeout keep a class of 50 quick; MNIST is off (empty --mnist-dir).
FAST_CONFIG = """
[limits]
call_timeout = 2.0
worker_start_timeout = 10.0
total_timeout = 300.0

[xor]
seeds = [0]
"""

#: (name, (old, new)) mutations of the reference, each a classic bug.
BUGS = {
    "sigmoid_backward": ("return as_float_array(grad_y) * y * (1.0 - y)", "return as_float_array(grad_y) * y"),
    "mse_no_two": ("return 2.0 * self.diff / self.diff.size", "return self.diff / self.diff.size"),
    "db_mean": ("self.db = g.sum(axis=0)", "self.db = g.mean(axis=0)"),
    "unstable_softmax": ("shifted = z - z.max(axis=1, keepdims=True)\n        e = np.exp(shifted)\n        s = e",
                         "shifted = z\n        e = np.exp(shifted)\n        s = e"),
    "ascent": ("param -= lr * grad", "param += lr * grad"),
    "softmax_backward": ("return s * (g - np.sum(g * s, axis=1, keepdims=True))", "return s * g"),
    "jacobian_no_outer": (" - s[:, :, None] * s[:, None, :]", ""),
}

LOOP_IN_MSE = ("        self.diff = pred - as_float_array(target)",
               "        while True:\n            pass\n        self.diff = pred - as_float_array(target)")


def notebook_source(code: str) -> str:
    """A minimal notebook with ``code`` as its only code cell."""
    return json.dumps({"cells": [{"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
                                  "source": code.splitlines(keepends=True)}],
                       "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


def make_class(folder: Path, *, correct: int, buggy_each: int = 1, hostile: bool = True) -> dict[str, str]:
    """Write a class of submissions into ``folder``; returns ``{id: kind}``.

    Kinds: ``correct``, ``bug:<name>``, and with ``hostile`` ``loop_call``
    (infinite loop in a method), ``exit_import`` (sys.exit at import),
    ``syntax``, ``loop_import`` (infinite loop at import) and ``notebook``.
    """
    kinds = {}
    for i in range(correct):
        # Distinct bytes per student, same behaviour.
        write_submission(folder, f"ok{i:03d}.py", reference_source() + f"\n# student {i}\n")
        kinds[f"ok{i:03d}"] = "correct"
    for name, replacement in BUGS.items():
        for j in range(buggy_each):
            write_submission(folder, f"bug_{name}_{j}.py", mutated_source(replacement) + f"\n# {j}\n")
            kinds[f"bug_{name}_{j}"] = f"bug:{name}"
    if hostile:
        write_submission(folder, "loop_call.py", mutated_source(LOOP_IN_MSE))
        write_submission(folder, "exit_import.py", reference_source() + "\nimport sys\nsys.exit(0)\n")
        write_submission(folder, "syntax.py", reference_source() + "\ndef broken(:\n    pass\n")
        write_submission(folder, "loop_import.py", "while True:\n    pass\n")
        write_submission(folder, "notebook.ipynb", notebook_source(reference_source()))
        kinds.update(loop_call="loop_call", exit_import="exit_import", syntax="syntax", loop_import="loop_import",
                     notebook="correct")
    return kinds


def read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    import csv

    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)
