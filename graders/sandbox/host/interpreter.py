"""An interpreter the sandbox's unprivileged uid can reach, when the grader's own is out of its reach.

A Python under root's home (pyenv, conda, a venv pointing at one) cannot be
started by another uid: ``/root`` is not searchable. The bwrap level builds
its own view of the file system and is not affected; the landlock and
rlimits levels run the host's paths, so their worker could only run as root.
Instead of that, :func:`reachable_copy` makes a root-owned, read-only copy of
what the worker needs (the interpreter, its shared library, the standard
library without its tests, NumPy) in :data:`CACHE_ROOT`, once per
interpreter and NumPy version, and the worker runs from there.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess
import sys
import sysconfig
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy

#: Where the copies live: system-wide, writable by root only.
CACHE_ROOT = Path("/var/cache/nngrade/python")
#: Parts of the standard library a worker never needs (tests, GUIs, build files, installers).
SKIPPED = ("site-packages", "test", "tests", "idlelib", "tkinter", "turtledemo", "ensurepip", "lib2to3",
           "config-*", "*.a")
COMPLETE = "complete"


@dataclass(frozen=True)
class Interpreter:
    """How to start a worker's Python.

    Attributes
    ----------
    executable : str
        The interpreter to run (the grader's own, or a copy).
    dirs : tuple of str
        Directories it reads (empty: those of the grader's own interpreter, see ``views.python_dirs``).
    env : tuple of (str, str)
        Extra environment variables it needs (the copy's library path).
    """

    executable: str = sys.executable
    dirs: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()


OWN = Interpreter()

#: Changes when a copy is laid out differently, so copies built before are not reused.
COPY_LAYOUT = "2: packages where the copy looks for them"


def unreachable_by_others(path: str) -> str | None:
    """The first directory on the way to `path` that other users cannot search, or None."""
    current = Path(os.path.realpath(path))
    for folder in [*reversed(current.parents), current]:
        try:
            mode = folder.stat().st_mode
        except OSError:
            return str(folder)
        if stat.S_ISDIR(mode) and not mode & stat.S_IXOTH:
            return str(folder)
    return None


def _key() -> str:
    executable = os.path.realpath(sys.executable)
    facts = [COPY_LAYOUT, executable, str(os.stat(executable).st_mtime_ns), sysconfig.get_path("stdlib"),
             numpy.__version__, os.path.realpath(numpy.__file__)]
    return hashlib.sha256("\0".join(facts).encode()).hexdigest()[:16]


def _check_root_owned(folder: Path) -> None:
    for path in [*reversed(folder.parents), folder]:
        info = path.lstat()
        if stat.S_ISLNK(info.st_mode) or info.st_uid != 0 or info.st_mode & 0o022:
            raise OSError(f"{path} must be a directory owned and writable by root only")


def _libraries() -> list[str]:
    """The shared libpython the interpreter needs, if it is not linked statically."""
    folder = Path(sysconfig.get_config_var("LIBDIR") or "")
    name = sysconfig.get_config_var("INSTSONAME") or ""
    if sysconfig.get_config_var("Py_ENABLE_SHARED") and name and (folder / name).is_file():
        return [str(folder / name)]
    return []


def _site_packages(target: Path, stdlib: Path) -> Path:
    """Where the copied interpreter, run with ``-I``, looks for packages under its new prefix.

    NOTE: Debian's Python searches ``dist-packages`` folders, not
    ``lib/pythonX.Y/site-packages`` (its ``site`` adds that one only inside a
    virtual environment), so the copy itself is asked.
    """
    executable = target / "bin" / "python3"
    env = {"LD_LIBRARY_PATH": str(target / "lib")} if _libraries() else {}
    try:
        answer = subprocess.run([str(executable), "-I", "-S", "-c",
                                 "import site, sys; print('\\n'.join(site.getsitepackages([sys.prefix])))"],
                                capture_output=True, text=True, timeout=30, env=env, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        answer = ""
    for folder in answer.splitlines():
        if folder and Path(folder).is_relative_to(target / "lib"):
            return Path(folder)
    return stdlib / "site-packages"


def _build(target: Path) -> None:
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    (target / "bin").mkdir(parents=True)
    shutil.copy2(os.path.realpath(sys.executable), target / "bin" / version)
    os.symlink(version, target / "bin" / "python3")
    library = target / "lib"
    stdlib = library / version
    shutil.copytree(sysconfig.get_path("stdlib"), stdlib, symlinks=True, ignore=shutil.ignore_patterns(*SKIPPED))
    dynload = Path(sysconfig.get_path("platstdlib")) / "lib-dynload"
    if dynload.is_dir() and not (stdlib / "lib-dynload").exists():
        shutil.copytree(dynload, stdlib / "lib-dynload", symlinks=True)
    for shared in _libraries():
        shutil.copy2(shared, library / os.path.basename(shared))
    site = _site_packages(target, stdlib)
    site.mkdir(parents=True, exist_ok=True)
    numpy_dir = Path(numpy.__file__).resolve().parent
    for sibling in numpy_dir.parent.iterdir():
        if sibling.name == "numpy" or sibling.name.startswith(("numpy.libs", f"numpy-{numpy.__version__}")):
            copy = shutil.copytree if sibling.is_dir() else shutil.copy2
            copy(sibling, site / sibling.name)
    for root, dirs, files in os.walk(target):
        os.chmod(root, 0o755)
        for name in files:
            path = os.path.join(root, name)
            if not os.path.islink(path):
                os.chmod(path, 0o755 if os.stat(path).st_mode & 0o100 else 0o644)


def reachable_copy() -> Interpreter:
    """The interpreter copy in :data:`CACHE_ROOT` (built on first use; root only).

    Raises
    ------
    OSError
        When the copy cannot be built or its folder is not safe.
    """
    if os.geteuid() != 0:
        raise OSError("only root can build a copy of the interpreter for the sandbox's uid")
    CACHE_ROOT.mkdir(parents=True, exist_ok=True, mode=0o755)
    _check_root_owned(CACHE_ROOT)
    target = CACHE_ROOT / f"{sys.version_info.major}.{sys.version_info.minor}-{_key()}"
    if not (target / COMPLETE).is_file():
        building = Path(tempfile.mkdtemp(prefix=".building-", dir=CACHE_ROOT))
        try:
            _build(building / "python")
            (building / "python" / COMPLETE).write_text(sys.version + "\n")
            os.chmod(building, 0o755)
            try:
                os.rename(building / "python", target)  # atomic; another grader may have won the race
            except OSError:
                if not (target / COMPLETE).is_file():
                    raise
        finally:
            shutil.rmtree(building, ignore_errors=True)
    _check_root_owned(target)
    executable = target / "bin" / f"python{sys.version_info.major}.{sys.version_info.minor}"
    env = (("LD_LIBRARY_PATH", str(target / "lib")),) if _libraries() else ()
    return Interpreter(str(executable), (str(target),), env)
