"""No readable copy of the kit, in every supported layout.

The worker must read neither the reference nor the fixtures and their manifest, wherever the kit lives:

* an editable install (this checkout);
* a non-editable install from a source tree under the interpreter's prefix
  (a container's ``COPY . /src && pip install /src`` shape);
* a non-editable install into a venv inside the checkout;
* the Gradescope bundle after its ``setup.sh`` (root-only ``kit/``), and
  PrairieLearn's ``serverFilesCourse`` after the documented ``run.sh``: there
  even the rlimits level, which has no file-system isolation, runs the
  worker as a uid that cannot read the kit.

Each layout's own interpreter starts a worker whose submission tries to
open the kit's files and to import ``nngrade.reference``.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from nngrade.batch import bundles

ROOT = Path(__file__).resolve().parents[2]
SITE = f"lib/python{sys.version_info.major}.{sys.version_info.minor}/site-packages"
SECRETS = ("reference/layers.py", "reference/__init__.py", "fixtures/public/softmax.npz", "fixtures/manifest.json")

PROBE = '''
import importlib

def readable(paths):
    found = []
    for index, path in enumerate(paths):
        try:
            with open(path, "rb") as handle:
                if handle.read(16):
                    found.append(index)
        except OSError:
            pass
    try:
        importlib.import_module("nngrade.reference")
        found.append(-1)
    except BaseException:
        pass
    return found
'''

DRIVER = '''
import json, os, sys, tempfile
from nngrade.sandbox import WorkerSession, probe_isolation
level, targets, probe = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
isolation = probe_isolation("best-effort", level)
folder = tempfile.mkdtemp()
with open(os.path.join(folder, "probe.py"), "w") as handle:
    handle.write(probe)
with WorkerSession(folder, "probe", isolation=isolation) as session:
    hello = session.hello()
    assert "import_error" not in hello, hello
    found = session.func("readable", targets)
print(json.dumps({"level": isolation.level, "uid_dropped": isolation.drop_privileges, "read": found}))
'''


def _levels() -> list[str]:
    from nngrade.sandbox.host.levels import LEVELS

    return [name for name in ("bwrap", "landlock")
            if (shutil.which("bwrap") if name == "bwrap" else LEVELS[name].unavailable_reason() is None)]


def _read_by_worker(python: str, level: str, targets: list[str], cwd: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "NNGRADE_SANDBOX"))}
    done = subprocess.run([python, "-I", "-c", DRIVER, level, json.dumps(targets), PROBE], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["level"] == level
    return result


def _secrets(*roots: Path) -> list[str]:
    paths = [str(root / name) for root in roots for name in SECRETS]
    assert all(os.path.isfile(p) for p in paths), [p for p in paths if not os.path.isfile(p)]
    return paths


def _export(tree: Path) -> None:
    tree.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z", "--cached", "--others",
                              "--exclude-standard"], capture_output=True, check=True).stdout
    for name in archive.decode().split("\0"):
        if name and (ROOT / name).is_file():
            (tree / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, tree / name)


def _venv(prefix: Path) -> str:
    """A venv whose dependencies come from this one (by a .pth line), with nothing of nngrade yet."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(prefix)], check=True)
    site = next(p for p in sys.path if p.endswith("site-packages") and p.startswith(sys.prefix))
    (prefix / SITE / "dependencies.pth").write_text(site + "\n")
    return str(prefix / "bin" / "python")


def _install(python: str, tree: Path) -> Path:
    subprocess.run([sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps", str(tree)],
                   check=True, capture_output=True, timeout=600)
    installed = Path(python).parent.parent / SITE / "nngrade"
    assert (installed / "reference").is_dir()
    return installed


@pytest.fixture(scope="module")
def layouts(tmp_path_factory):
    """name -> (python, secret paths): the two non-editable layouts, built once."""
    root = tmp_path_factory.mktemp("layouts")
    under_prefix = root / "prefix"
    python = _venv(under_prefix)
    _export(under_prefix / "src" / "nngrade")
    installed = _install(python, under_prefix / "src" / "nngrade")
    found = {"source_tree_under_prefix": (python, _secrets(under_prefix / "src" / "nngrade", installed))}
    checkout = root / "checkout"
    _export(checkout)
    python = _venv(checkout / ".venv")
    installed = _install(python, checkout)
    found["venv_inside_checkout"] = (python, _secrets(checkout, installed))
    return found


@pytest.mark.parametrize("level", _levels())
def test_editable_install_hides_the_kit(level, tmp_path):
    result = _read_by_worker(sys.executable, level, _secrets(ROOT), tmp_path)
    assert result["read"] == []


@pytest.mark.parametrize("level", _levels())
@pytest.mark.parametrize("layout", ["source_tree_under_prefix", "venv_inside_checkout"])
def test_non_editable_layouts_hide_the_kit(layout, level, layouts, tmp_path):
    python, secrets = layouts[layout]
    result = _read_by_worker(python, level, secrets, tmp_path)
    assert result["read"] == [], [secrets[i] if i >= 0 else "import nngrade.reference" for i in result["read"]]


# --------------------------------------------------------------------------- platform recipes

def _between_markers(text: str) -> str:
    found = re.search(r"# >>> kit permissions\n(.*?)# <<< kit permissions", text, re.S)
    assert found, "the script has no '# >>> kit permissions' section"
    return found.group(1)


def _pl_run_sh() -> str:
    text = (ROOT / "docs" / "LMS.md").read_text()
    found = re.search(r"`serverFilesCourse/nngrade/run\.sh`:\s*```bash\n(.*?)```", text, re.S)
    assert found, "docs/LMS.md has no run.sh block"
    return "\n".join(line[3:] if line.startswith("   ") else line for line in found.group(1).splitlines()) + "\n"


#: How docs/LMS.md's run.sh names the installed package folder (the test points it at a copy).
INSTALLED_PACKAGE = '"$(python3 -I -c ' + "'import nngrade, os; print(os.path.dirname(nngrade.__file__))'" + ')"'


def _world_traversable_root() -> Path:
    root = Path(tempfile.mkdtemp(prefix="nngrade-platform-", dir="/tmp"))
    os.chmod(root, 0o755)
    return root


@pytest.mark.parametrize("platform", ["gradescope", "prairielearn"])
def test_platform_recipes_leave_the_kit_readable_by_root_only(platform):
    if os.geteuid() != 0:
        pytest.skip("the recipes run as root; only root can hand the kit to root alone")
    root = _world_traversable_root()
    try:
        if platform == "gradescope":
            kit, script = root / "source" / "kit", _between_markers(bundles.SETUP_SH).replace("/autograder", str(root))
            installed = root / "venv" / SITE / "nngrade"
        else:
            kit = root / "serverFilesCourse" / "nngrade"
            script = f'KIT="{kit}"\n' + _between_markers(_pl_run_sh())
            installed = root / "site" / "nngrade"
            script = script.replace(INSTALLED_PACKAGE, str(installed))
        _export(kit)
        shutil.copytree(ROOT / "reference", installed / "reference")
        shutil.copytree(ROOT / "fixtures", installed / "fixtures")
        subprocess.run(["bash", "-euc", script], check=True, timeout=60)
        for folder in (kit, installed):
            for path in [folder, *folder.rglob("*")]:
                assert path.stat().st_mode & 0o077 == 0, f"{path} is readable by others"
        result = _read_by_worker(sys.executable, "rlimits", _secrets(kit, installed), root)
        assert result["uid_dropped"] and result["read"] == []
    finally:
        shutil.rmtree(root, ignore_errors=True)
