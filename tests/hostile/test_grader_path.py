"""The grader never imports a submission's files: its sys.path holds neither the submission's folder nor the cwd.

A student's ``numpy.py`` graded from its own folder (as a platform's run
script does) would run inside the grader, as root, when the grader is
started with ``python -m`` (which puts the working directory first on
sys.path). The documented commands use the console script or
``python -I -m nngrade``; these tests run them from the submission's folder
and show, with plain ``python -m nngrade``, that the canary does fire.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from nngrade.batch import bundles

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
#: ``python -m nngrade`` / ``python3 -m graders.cli`` ..., but not pytest, venv, pip or bench.
GRADER_BY_MODULE = re.compile(r"\bpython3?((?:\s+-\w+)*)\s+-m\s+(nngrade|graders)\b")


def _canary_submission(folder: Path, marker: Path) -> Path:
    folder.mkdir()
    (folder / "numpy.py").write_text(f"open({str(marker)!r}, 'w').write('imported by the grader')\n"
                                     "raise SystemExit('numpy.py of the submission ran in the grader')\n")
    return folder / "numpy.py"


def _run(command: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def _grade(prefix: list[str], tmp_path: Path) -> tuple[bool, subprocess.CompletedProcess]:
    marker = tmp_path / "marker"
    submission = _canary_submission(tmp_path / "submission", marker)
    empty = tmp_path / "no-mnist"
    empty.mkdir()
    done = _run([*prefix, "grade", submission.name, "--format", "json", "-o", str(tmp_path / "out.json"),
                 "--mnist-dir", str(empty), "--only", "api"], submission.parent)
    return marker.exists(), done


def test_the_console_script_does_not_import_the_cwd(tmp_path):
    imported, done = _grade([str(Path(sys.executable).with_name("nngrade"))], tmp_path)
    assert not imported, done.stderr[-2000:]
    assert (tmp_path / "out.json").is_file(), done.stderr[-2000:]


def test_isolated_module_run_does_not_import_the_cwd(tmp_path):
    imported, done = _grade([sys.executable, "-I", "-m", "nngrade"], tmp_path)
    assert not imported, done.stderr[-2000:]
    assert (tmp_path / "out.json").is_file(), done.stderr[-2000:]


def test_the_canary_fires_with_a_plain_module_run(tmp_path):
    imported, _ = _grade([sys.executable, "-m", "nngrade"], tmp_path)
    assert imported, "python -m puts the cwd on sys.path: the canary should have been imported"


@pytest.mark.parametrize("text", [pytest.param(p.read_text(), id=p.name) for p in DOCUMENTS]
                         + [pytest.param(bundles.SETUP_SH, id="setup.sh"),
                            pytest.param(bundles.RUN_AUTOGRADER, id="run_autograder")])
def test_documented_commands_never_run_the_grader_with_the_cwd_on_sys_path(text):
    unsafe = [m.group(0) for m in GRADER_BY_MODULE.finditer(text) if "I" not in m.group(1)]
    assert unsafe == [], f"use the console script or `python -I -m nngrade`: {unsafe}"
