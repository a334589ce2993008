"""Isolation levels: how each one wraps the worker command.

A level turns the worker argv into a :class:`LaunchPlan`. :data:`LEVELS`
lists them strongest first; adding a level means adding a :class:`Level`
subclass here and inserting it in that dict.
"""
from __future__ import annotations

import functools
import importlib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from nngrade.sandbox.host.views import filesystem_args, hidden_paths, landlock_rules
from nngrade.sandbox.host.workspace import BASE_UID
from nngrade.sandbox.inside import confine

#: Environment variable telling the worker to forbid execve before importing the submission.
DENY_EXEC_VARIABLE = "NNGRADE_DENY_EXEC"
#: What the descriptor channel (``channel.py``) and the launcher need besides Linux itself.
LINUX_CHANNEL_NEEDS = (("os", "pipe2"), ("select", "poll"), ("os", "waitid"), ("os", "killpg"))
LINUX_MODULES = ("fcntl", "resource")
#: Variables a Windows Python needs to start (no SYSTEMROOT: it cannot even seed its hash randomisation).
WINDOWS_KEPT_VARIABLES = ("SYSTEMROOT", "SYSTEMDRIVE", "WINDIR", "PATH", "PATHEXT", "COMSPEC")


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


def launcher_argv(isolation, worker_dir: Path, spec: dict, program: list[str]) -> list[str]:
    return [isolation.interpreter.executable, "-I", "-B", str(worker_dir / "launcher.py"), json.dumps(spec),
            *program]


def host_env(isolation, home: str, **extra: str) -> dict[str, str]:
    """:func:`worker_env` plus what the interpreter needs (the library path of a copy)."""
    return dict(worker_env(home), **dict(isolation.interpreter.env), **extra)


def plain_env(isolation, home: str) -> dict[str, str]:
    """The environment of a plain worker: :func:`host_env`, and on Windows what its Python needs to start."""
    env = host_env(isolation, home)
    if os.name == "nt":
        env.update({k: os.environ[k] for k in WINDOWS_KEPT_VARIABLES if k in os.environ})
        env.update(TEMP=home, TMP=home, USERPROFILE=home)
    return env


@functools.lru_cache(maxsize=1)
def linux_unavailable_reason() -> str | None:
    """Why the Linux levels cannot run here (another system, or Linux primitives missing), else None."""
    if not sys.platform.startswith("linux"):
        return f"the isolation levels need Linux (this is {sys.platform})"
    missing = [f"{module}.{name}" for module, name in LINUX_CHANNEL_NEEDS
               if not hasattr(importlib.import_module(module), name)]
    for module in LINUX_MODULES:
        try:
            __import__(module)
        except ImportError:
            missing.append(module)
    return f"the isolation levels need {', '.join(missing)}, missing here" if missing else None


class Level:
    """One isolation level. Subclasses override the methods below."""

    name = ""
    can_drop_privileges = False
    #: ``"descriptors"``: ``channel.WorkerProcess`` (Linux); ``"stdio"``: ``plain_channel.PlainWorkerProcess``.
    channel = "descriptors"
    #: Whether the launch applies resource limits (then the spec counts the grader's processes).
    applies_limits = True

    def unavailable_reason(self) -> str | None:
        """None when usable here, else a sentence for the report."""
        reason = linux_unavailable_reason()
        return f"{self.name}: {reason}." if reason else None

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
        return ["The worker runs as root, as allowed by NNGRADE_ALLOW_ROOT_WORKER: RLIMIT_NPROC does not "
                "bind it, and processes it leaves behind (e.g. setsid daemons) cannot be swept by uid."]
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
        if linux_unavailable_reason():
            return super().unavailable_reason()
        if self.executable is None:
            return "bubblewrap not found: the worker runs without namespaces."
        return None

    @property
    def seccomp_profile(self) -> str | None:
        return None if confine.seccomp_unavailable_reason() else "namespaces"

    def features(self, drop: bool) -> dict[str, bool]:
        protected = dict.fromkeys(
            ["namespaces", "pid_namespace", "network_isolated", "readonly_fs", "kit_hidden",
             "private_tmp", "rlimits", "no_new_privs", "env_scrubbed", "new_session"], True)
        filtered = self.seccomp_profile is not None
        return {**protected, "uid_dropped": drop, "seccomp": filtered,
                "userns_blocked": filtered or os.geteuid() != 0}

    def notes(self, drop: bool) -> list[str]:
        notes = [f"{self.version}: the worker sees only the Python installation, the worker "
                 "programs and the submission (all read-only), a private /tmp, and no network."]
        notes += _privilege_notes(drop) if drop or os.geteuid() == 0 else [
            "The worker runs in a user namespace as the grader's uid; RLIMIT_NPROC counts "
            "the grader's own processes too."]
        if self.seccomp_profile is not None:
            notes.append("A seccomp filter forbids user namespaces, mounts, ptrace, io_uring, bpf, file "
                         "metadata changes (chmod, chown, utime, xattrs), inotify, SysV IPC and other "
                         "kernel interfaces the assignment never needs.")
        elif os.geteuid() == 0:
            notes.append(f"Student code can still create user namespaces "
                         f"({confine.seccomp_unavailable_reason()}).")
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
        args += filesystem_args(isolation.extra_readonly, hidden_paths())
        args += ["--ro-bind", str(paths.worker_dir), str(inner.worker_dir),
                 "--ro-bind", str(paths.submission_dir), str(inner.submission_dir),
                 "--chdir", str(inner.scratch), "--"]
        spec = dict(spec, seccomp=self.seccomp_profile)
        argv = args + launcher_argv(isolation, inner.worker_dir, spec, program)
        return LaunchPlan(argv, worker_env("/nonexistent"), str(paths.scratch))


class LandlockLevel(Level):
    """No namespaces: a Landlock file-system allow-list and a seccomp deny-list instead."""

    name = "landlock"
    can_drop_privileges = True

    @property
    def abi(self) -> int:
        """The kernel's Landlock ABI version (0: no Landlock)."""
        return confine.landlock_abi()

    def unavailable_reason(self) -> str | None:
        if linux_unavailable_reason():
            return super().unavailable_reason()
        if self.abi < 1:
            return ("landlock: the kernel does not offer Landlock (needs Linux >= 5.13 with "
                    "CONFIG_SECURITY_LANDLOCK and landlock in the lsm= boot list).")
        reason = confine.seccomp_unavailable_reason()
        return f"landlock: {reason}." if reason else None

    def features(self, drop: bool) -> dict[str, bool]:
        protected = dict.fromkeys(
            ["landlock", "seccomp", "network_isolated", "readonly_fs", "kit_hidden", "private_tmp",
             "userns_blocked", "no_subprocesses", "rlimits", "no_new_privs", "env_scrubbed",
             "new_session"], True)
        return {**protected, "uid_dropped": drop}

    def notes(self, drop: bool) -> list[str]:
        notes = [
            f"Landlock ABI {self.abi}: the worker can read only the system directories, the Python "
            "installation, the worker programs and the submission, and write only its private scratch "
            "directory (HOME, TMPDIR); the grading kit, the fixtures, /proc, /tmp and any results "
            "directory are outside its allow-list.",
            "A seccomp filter forbids sockets (no network), new processes (threads still work), execve, "
            "setsid/setpgid, ptrace and process_vm_*, signals to other processes, namespaces, mounts, "
            "file metadata changes (chmod, chown, utime, xattrs), inotify and SysV IPC.",
            "No pid namespace: process ids of the host are visible, though /proc cannot be read.",
        ]
        if self.abi < 6:
            notes.append(f"Landlock ABI {self.abi} < 6: signals and abstract unix sockets are not "
                         "scoped by Landlock (seccomp still forbids sending signals and creating sockets).")
        return notes + _privilege_notes(drop)

    def launch_plan(self, isolation, paths, program, limits, spec) -> LaunchPlan:
        rules = landlock_rules(paths.worker_dir, paths.submission_dir, paths.scratch,
                               isolation.extra_readonly, isolation.interpreter.dirs)
        spec = dict(spec, landlock=rules, seccomp="confined")
        env = host_env(isolation, str(paths.scratch), **{DENY_EXEC_VARIABLE: "1"})
        return LaunchPlan(launcher_argv(isolation, paths.worker_dir, spec, program), env, str(paths.scratch))


class RlimitsLevel(Level):
    name = "rlimits"
    can_drop_privileges = True

    @property
    def seccomp_profile(self) -> str | None:
        return None if confine.seccomp_unavailable_reason() else "namespaces"

    def features(self, drop: bool) -> dict[str, bool]:
        filtered = self.seccomp_profile is not None
        return {"uid_dropped": drop, "rlimits": True, "no_new_privs": True, "seccomp": filtered,
                "userns_blocked": filtered, "env_scrubbed": True, "new_session": True}

    def notes(self, drop: bool) -> list[str]:
        notes = ["No namespaces: student code can read any file its uid can read and can use the network; "
                 "keep the grading kit readable by root only (see docs/SANDBOX.md)."]
        if self.seccomp_profile is not None:
            notes.append("A seccomp filter forbids user namespaces, mounts, ptrace, file metadata changes, "
                         "inotify and SysV IPC.")
        return notes + _privilege_notes(drop)

    def launch_plan(self, isolation, paths, program, limits, spec) -> LaunchPlan:
        argv = launcher_argv(isolation, paths.worker_dir, dict(spec, seccomp=self.seccomp_profile), program)
        return LaunchPlan(argv, host_env(isolation, str(paths.scratch)), str(paths.scratch))


class OffLevel(Level):
    """A plain subprocess on any operating system (``plain_channel.py``): no isolation, no resource limits."""

    name = "off"
    channel = "stdio"
    applies_limits = False

    def unavailable_reason(self) -> str | None:
        return None

    def features(self, drop: bool) -> dict[str, bool]:
        return {"env_scrubbed": True}

    def notes(self, drop: bool) -> list[str]:
        return ["No isolation and no resource limits: the worker is a plain subprocess of the grader, killed "
                "at each call's deadline (processes it starts are not)."]

    def launch_plan(self, isolation, paths, program, limits, spec) -> LaunchPlan:
        return LaunchPlan(list(program), plain_env(isolation, str(paths.scratch)), str(paths.scratch))


#: Levels, strongest first.
LEVELS: dict[str, Level] = {
    level.name: level for level in (BwrapLevel(), LandlockLevel(), RlimitsLevel(), OffLevel())
}
