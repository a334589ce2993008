"""Isolation levels: how each one wraps the worker command.

A level turns the worker argv into a :class:`LaunchPlan`. :data:`LEVELS`
lists them strongest first; adding a level (landlock, seccomp, ...) means
adding a :class:`Level` subclass here and inserting it in that dict.
"""
from __future__ import annotations

import functools
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from graders.sandbox.workspace import BASE_UID

#: Top-level system directories shown inside the bwrap sandbox.
SYSTEM_DIRS = ("/usr", "/lib", "/lib64", "/bin")
#: Packages of the grading kit that student code must never see.
KIT_PACKAGES = ("graders", "reference", "student_template", "fixtures")
SOURCE_TREE_MARKERS = ("pyproject.toml", "setup.py", ".git")


@dataclass(frozen=True)
class LaunchPaths:
    """Directories of one worker launch.

    Attributes
    ----------
    worker_dir : Path
        Holds ``worker.py``, ``protocol.py`` and ``launcher.py``.
    submission_dir : Path
        The staged copy of the submission.
    scratch : Path
        Working directory, HOME and TMPDIR of the worker.
    """

    worker_dir: Path
    submission_dir: Path
    scratch: Path


@dataclass(frozen=True)
class LaunchPlan:
    """Everything needed to ``Popen`` one worker."""

    argv: list[str]
    env: dict[str, str]
    cwd: str


def worker_env(home: str) -> dict[str, str]:
    """The whole environment of a worker: nothing inherited from the grader."""
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": home, "TMPDIR": home,
        "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
    }


def launcher_argv(worker_dir: Path, spec: dict, program: list[str]) -> list[str]:
    return [sys.executable, "-I", "-B", str(worker_dir / "launcher.py"), json.dumps(spec), *program]


def _is_inside(path: str, directory: str) -> bool:
    return path == directory or path.startswith(directory.rstrip("/") + "/")


@functools.lru_cache(maxsize=1)
def kit_paths() -> tuple[str, ...]:
    """Real paths of the grading kit's packages, and of its source tree if any."""
    found = []
    for name in KIT_PACKAGES:
        spec = importlib.util.find_spec(name)
        locations = list(spec.submodule_search_locations or []) if spec else []
        found += [os.path.realpath(location) for location in locations]
    roots = {os.path.dirname(path) for path in found}
    for root in roots:
        if any(os.path.exists(os.path.join(root, m)) for m in SOURCE_TREE_MARKERS):
            found.append(root)
    return tuple(sorted(set(found)))


def python_dirs() -> list[str]:
    """Directories the interpreter and NumPy need, as given (may be symlinks)."""
    numpy_spec = importlib.util.find_spec("numpy")
    numpy_dir = list(numpy_spec.submodule_search_locations)[0]
    candidates = [sys.base_prefix, sys.prefix, os.path.dirname(os.path.realpath(sys.executable)),
                  numpy_dir, os.path.join(os.path.dirname(numpy_dir), "numpy.libs")]
    return [os.path.abspath(path) for path in candidates if os.path.isdir(path)]


#: Mount points the bwrap level creates before any bind (never re-created).
OWN_MOUNTS = ("/proc", "/dev", "/tmp")


def filesystem_args(extra_readonly: tuple[str, ...], masks: tuple[str, ...]) -> list[str]:
    """bwrap arguments for the read-only view of the host filesystem.

    Parameters
    ----------
    extra_readonly : tuple of str
        More host directories to show read-only at the same path.
    masks : tuple of str
        Paths hidden behind an empty tmpfs wherever a bound directory
        contains them (the grading kit). A mask that would also hide a bound
        directory is skipped; the kit's package directories are masked
        individually anyway.
    """
    args: list[str] = []
    binds: list[str] = []
    for path in SYSTEM_DIRS:
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
            binds.append(path)
    new_binds = []
    # Shortest first, so a directory inside an already bound one is skipped.
    for real in sorted({os.path.realpath(p) for p in [*python_dirs(), *extra_readonly]}, key=len):
        if real == "/":
            raise ValueError("refusing to show the whole host filesystem in the sandbox")
        if not any(_is_inside(real, bound) for bound in binds):
            binds.append(real)
            new_binds.append(real)
    links = [(os.path.realpath(given), given) for given in python_dirs()
             if os.path.realpath(given) != given and not any(_is_inside(given, b) for b in binds)]

    created: set[str] = set(OWN_MOUNTS)

    def create_parents(target: str) -> None:
        # bwrap would create missing parents with mode 0700, unreadable by the worker.
        for parent in map(str, reversed(Path(target).parents)):
            if parent != "/" and parent not in created and not any(_is_inside(parent, b) for b in binds):
                args.extend(["--perms", "0755", "--dir", parent])
                created.add(parent)

    for real in new_binds:
        create_parents(real)
        args += ["--ro-bind", real, real]
    for real, given in links:
        create_parents(given)
        args += ["--symlink", real, given]
    applied: list[str] = []
    for mask in sorted(masks, key=len):
        exposed = any(_is_inside(mask, bound) for bound in binds)
        hides_a_bind = any(_is_inside(bound, mask) and bound != mask for bound in binds)
        if exposed and not hides_a_bind and not any(_is_inside(mask, m) for m in applied):
            args += ["--perms", "0755", "--size", "4096", "--tmpfs", mask]
            applied.append(mask)
    return args


class Level:
    """One isolation level. Subclasses override the methods below."""

    name = ""
    can_drop_privileges = False

    def unavailable_reason(self) -> str | None:
        """None when usable here, else a sentence for the report."""
        return None

    def features(self, drop: bool) -> dict[str, bool]:
        return {}

    def notes(self, drop: bool) -> list[str]:
        return []

    def inner_paths(self, paths: LaunchPaths) -> LaunchPaths:
        """The launch paths as the worker sees them."""
        return paths

    def launch_plan(self, isolation, paths: LaunchPaths, program: list[str], limits,
                    spec: dict) -> LaunchPlan:
        raise NotImplementedError


def _privilege_notes(drop: bool) -> list[str]:
    if drop:
        return [f"The worker runs as an unprivileged uid ({BASE_UID}+slot) with no capabilities; "
                "every process of that uid is killed when the worker ends."]
    if os.geteuid() == 0:
        return ["The worker runs as root: RLIMIT_NPROC does not bind it, and processes it leaves "
                "behind (e.g. setsid daemons) cannot be swept by uid."]
    return ["The worker runs as the grader's own uid: RLIMIT_NPROC counts the grader's "
            "processes too, and leftover processes cannot be swept by uid."]


class BwrapLevel(Level):
    name = "bwrap"
    can_drop_privileges = True

    @functools.cached_property
    def executable(self) -> str | None:
        return shutil.which("bwrap")

    @functools.cached_property
    def version(self) -> str:
        try:
            return subprocess.run([self.executable, "--version"], capture_output=True,
                                  text=True, timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return "bubblewrap"

    def unavailable_reason(self) -> str | None:
        if self.executable is None:
            return "bubblewrap not found: the worker runs without namespaces."
        return None

    def features(self, drop: bool) -> dict[str, bool]:
        protected = dict.fromkeys(
            ["namespaces", "pid_namespace", "network_isolated", "readonly_fs", "kit_hidden",
             "private_tmp", "rlimits", "no_new_privs", "env_scrubbed", "new_session"], True)
        return {**protected, "uid_dropped": drop}

    def notes(self, drop: bool) -> list[str]:
        notes = [f"{self.version}: the worker sees only the Python installation, the worker "
                 "programs and the submission (all read-only), a private /tmp, and no network."]
        notes += _privilege_notes(drop) if drop or os.geteuid() == 0 else [
            "The worker runs in a user namespace as the grader's uid; RLIMIT_NPROC counts "
            "the grader's own processes too."]
        if os.geteuid() == 0:
            notes.append("Student code can still create user namespaces (no seccomp filter).")
        return notes

    def inner_paths(self, paths: LaunchPaths) -> LaunchPaths:
        return LaunchPaths(Path("/nngrade"), Path("/submission"), Path("/tmp"))

    def launch_plan(self, isolation, paths, program, limits, spec) -> LaunchPlan:
        args = [self.executable]
        if os.geteuid() == 0:
            args += ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
                     "--unshare-cgroup-try", "--cap-drop", "ALL"]
            if spec.get("uid") is not None:
                args += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID",
                         "--cap-add", "CAP_SETPCAP"]
        else:
            args += ["--unshare-all", "--unshare-user", "--disable-userns", "--cap-drop", "ALL"]
        args += ["--die-with-parent", "--new-session", "--hostname", "sandbox", "--clearenv"]
        inner = self.inner_paths(paths)
        for key, value in worker_env(str(inner.scratch)).items():
            args += ["--setenv", key, value]
        # The private /tmp comes first, so read-only binds below /tmp stay visible.
        args += ["--proc", "/proc", "--dev", "/dev",
                 "--perms", "1777", "--size", str(int(limits.file_size)), "--tmpfs", "/tmp"]
        args += filesystem_args(isolation.extra_readonly, kit_paths())
        args += ["--ro-bind", str(paths.worker_dir), str(inner.worker_dir),
                 "--ro-bind", str(paths.submission_dir), str(inner.submission_dir),
                 "--chdir", str(inner.scratch), "--"]
        argv = args + launcher_argv(inner.worker_dir, spec, program)
        return LaunchPlan(argv, worker_env("/nonexistent"), str(paths.scratch))


class RlimitsLevel(Level):
    name = "rlimits"
    can_drop_privileges = True

    def features(self, drop: bool) -> dict[str, bool]:
        return {"uid_dropped": drop, "rlimits": True, "no_new_privs": True,
                "env_scrubbed": True, "new_session": True}

    def notes(self, drop: bool) -> list[str]:
        return ["No namespaces: student code can read any file its uid can read (including "
                "the grading kit) and can use the network."] + _privilege_notes(drop)

    def launch_plan(self, isolation, paths, program, limits, spec) -> LaunchPlan:
        argv = launcher_argv(paths.worker_dir, spec, program)
        return LaunchPlan(argv, worker_env(str(paths.scratch)), str(paths.scratch))


class OffLevel(Level):
    name = "off"

    def features(self, drop: bool) -> dict[str, bool]:
        return {"env_scrubbed": True, "new_session": True}

    def notes(self, drop: bool) -> list[str]:
        return ["No isolation and no resource limits (debugging only)."]

    def launch_plan(self, isolation, paths, program, limits, spec) -> LaunchPlan:
        return LaunchPlan(list(program), worker_env(str(paths.scratch)), str(paths.scratch))


#: Levels, strongest first.
LEVELS: dict[str, Level] = {level.name: level for level in (BwrapLevel(), RlimitsLevel(), OffLevel())}
