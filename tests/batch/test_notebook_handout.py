"""The notebook handout: built from the template, its check cells run the unit's public checks, and the
notebook, submitted, is graded like any notebook.

The kernel is simulated in a subprocess: code cells run in order in one ``__main__`` namespace that keeps
IPython's ``In`` history, as Jupyter does.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile

import nbformat
from submissions import MODULES, REFERENCE_DIR

from nngrade.batch.handout import _definitions, handout_notebook
from nngrade.engine.grading import grade

KERNEL = r"""
import contextlib, io, json, sys
import nbformat
notebook = nbformat.read(sys.argv[1], as_version=4)
run_checks = set(sys.argv[2].split(","))
namespace = {"__name__": "__main__", "In": [""]}
outputs = {}
for cell in notebook.cells:
    if cell.cell_type != "code":
        continue
    check = cell.metadata.get("nngrade", {}).get("check")
    if check and check not in run_checks:
        continue
    namespace["In"].append(cell.source)
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        exec(compile(cell.source, f"<cell {len(namespace['In']) - 1}>", "exec"), namespace)
    if check:
        outputs[check] = buffer.getvalue()
print(json.dumps(outputs))
"""


def _reference_definitions() -> dict[str, str]:
    found = {}
    for module in MODULES:
        source = (REFERENCE_DIR / module).read_text(encoding="utf-8")
        source = re.sub(r"^\s*### (BEGIN|END) SOLUTION.*\n", "", source, flags=re.M)
        found.update(dict(_definitions(source)[1]))
    return found


def _filled(notebook):
    reference = _reference_definitions()
    for cell in notebook.cells:
        name = re.match(r"(?:class|def) (\w+)", cell.source) if cell.cell_type == "code" else None
        if name and name[1] in reference:
            cell.source = reference[name[1]]
    return notebook


def _run(notebook, tmp_path, checks: str) -> dict[str, str]:
    path = tmp_path / "handout.ipynb"
    path.write_text(nbformat.writes(notebook), encoding="utf-8")
    done = subprocess.run([sys.executable, "-c", KERNEL, str(path), checks], capture_output=True, text=True,
                          timeout=600, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_handout_has_a_section_and_a_check_cell_per_unit():
    notebook = handout_notebook("NN", hints="concept")
    nbformat.validate(notebook)
    checks = [c.source for c in notebook.cells if c.metadata.get("nngrade", {}).get("check")]
    assert checks == [f'check_notebook("{u}")' for u in
                      ("sigmoid", "softmax", "linear", "mse", "cross_entropy", "softmax_ce", "network", "train")]
    text = "\n".join(c.source for c in notebook.cells)
    assert "raise NotImplementedError(\"TODO: shift each row by its own maximum" in text
    assert "z - max of the row" not in text  # the code part of the TODO only at hint level code
    assert "z - max of the row" in "\n".join(c.source for c in handout_notebook("NN", hints="code").cells)


def test_check_cells_run_the_units_checks_on_the_notebooks_code(tmp_path):
    outputs = _run(_filled(handout_notebook("NN")), tmp_path, "softmax,sigmoid")
    assert outputs["softmax"].rstrip().endswith("softmax: all passed"), outputs["softmax"]
    passed = set(re.findall(r"^PASS .*\[(\S+)\]$", outputs["softmax"], flags=re.M))
    assert {"forward.softmax", "forward.softmax_extreme", "jacobians.softmax_backward"} <= passed
    assert not any("sigmoid" in check for check in passed)
    assert outputs["sigmoid"].rstrip().endswith("sigmoid: all passed")
    unfilled = _run(handout_notebook("NN"), tmp_path, "softmax")["softmax"]
    assert "not implemented yet" in unfilled and unfilled.rstrip().endswith("softmax: not all passed yet")


def test_the_submitted_notebook_is_graded_like_any_notebook(tmp_path):
    path = tmp_path / "alice.ipynb"
    path.write_text(nbformat.writes(_filled(handout_notebook("NN"))), encoding="utf-8")
    with tempfile.TemporaryDirectory() as empty:
        report = grade(path, mode="check", data_dir=empty, only="forward or jacobians")
    assert report.submission.kind == "notebook" and report.submission.import_error == ""
    ran = [c for c in report.checks if not c.message.startswith("not run: not selected")]
    assert ran and all(c.status == "passed" for c in ran), [(c.id, c.status, c.message[:80]) for c in ran]
