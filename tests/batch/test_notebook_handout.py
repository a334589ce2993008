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
from pathlib import Path

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


def _fresh_kit_venv(root):
    """The student zip unzipped into ``root/kit`` and a fresh venv that imports nngrade from it alone.

    The machine is offline at test time, so the kit's dependencies (NumPy, nbformat, ...) come from this
    interpreter's site-packages through a ``.pth`` file placed after the kit's; the kit itself, and
    nothing of the reference, comes from the zip.
    """
    import io
    import os
    import site
    import sysconfig
    import zipfile

    from nngrade.batch.bundles import student_bundle

    with zipfile.ZipFile(io.BytesIO(student_bundle())) as archive:
        archive.extractall(root / "kit")
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    (Path(purelib) / "00-nngrade-kit.pth").write_text(str(root / "kit") + "\n")
    dependencies = dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"],
                                  *site.getsitepackages()])
    (Path(purelib) / "zz-dependencies.pth").write_text("".join(f"{path}\n" for path in dependencies))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    probe = subprocess.run([str(python), "-c", "import nngrade, importlib.util; print(nngrade.__file__); "
                            "print(importlib.util.find_spec('nngrade.reference'))"],
                           capture_output=True, text=True, cwd=root, env=env, timeout=120)
    assert probe.stdout.split() == [str(root / "kit" / "nngrade" / "__init__.py"), "None"], probe.stderr
    return python, env


def test_the_handout_runs_its_check_cells_in_a_fresh_venv_from_the_kit_zip(tmp_path):
    """The instructor exports the notebook; a student runs its check cells with nothing but the kit zip."""
    python, env = _fresh_kit_venv(tmp_path)
    exported = subprocess.run([sys.executable, "-I", "-m", "nngrade", "export", "student", "--notebook",
                               "-o", str(tmp_path / "handout.ipynb")], capture_output=True, text=True,
                              cwd=tmp_path, timeout=300)
    assert exported.returncode == 0, exported.stderr[-3000:]
    notebook = _filled(nbformat.read(tmp_path / "handout.ipynb", as_version=4))
    path = tmp_path / "solved.ipynb"
    path.write_text(nbformat.writes(notebook), encoding="utf-8")
    done = subprocess.run([str(python), "-c", KERNEL, str(path), "softmax,sigmoid"], capture_output=True,
                          text=True, timeout=600, cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    outputs = json.loads(done.stdout.strip().splitlines()[-1])
    assert outputs["softmax"].rstrip().endswith("softmax: all passed"), outputs["softmax"][-2000:]
    assert outputs["sigmoid"].rstrip().endswith("sigmoid: all passed"), outputs["sigmoid"][-2000:]
