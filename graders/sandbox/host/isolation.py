"""How the worker is started, and how strongly it is isolated.

Levels, strongest first (see :data:`LEVELS`):

``bwrap``
    bubblewrap: new mount, pid, network, ipc and uts namespaces; only the
    interpreter, the worker programs and the submission are visible, read
    only; private ``/tmp``; a seccomp filter against user namespaces, mounts
    and ptrace; plus everything of ``rlimits``.
``landlock``
    for hosts that forbid namespaces: a Landlock allow-list (read the
    interpreter, the worker programs and the submission; write the scratch
    directory only) and a seccomp deny-list (no sockets, no new processes,
    no execve, no signals to other processes); plus everything of ``rlimits``.
``rlimits``
    resource limits, ``no_new_privs``, unprivileged uid (when the grader is
    root and the interpreter is reachable by that uid), scrubbed
    environment, new session, fresh scratch directory. No filesystem or
    network isolation.
``off``
    a plain subprocess (``plain_channel.py``) on any operating system: the
    only level outside Linux, where ``nngrade check`` falls back to it; on
    Linux only when asked for.

To add a level, write a :class:`Level` subclass and insert it in
:data:`LEVELS`; :func:`probe_isolation` and :meth:`Isolation.launch_plan`
pick it up.
"""
from __future__ import annotations

import ctypes
import os
import subprocess
import sys
from dataclasses import dataclass, field, replace

from nngrade.sandbox.host import probe_cache
from nngrade.sandbox.host.errors import SandboxUnavailable
from nngrade.sandbox.host.interpreter import OWN, Interpreter, reachable_copy, unreachable_by_others
from nngrade.sandbox.host.levels import LEVELS, LaunchPaths, LaunchPlan, Level, linux_unavailable_reason
from nngrade.sandbox.host.limits import Limits
from nngrade.sandbox.host.workspace import (
    PROBE_UID,
    SandboxAccount,
    Staging,
    processes_of_uid,
)

MODES = ("best-effort", "strict", "off")
ENV_LEVEL = "NNGRADE_SANDBOX"
#: Set to 1 to let a root grader fall back to a root worker when no level can drop privileges.
ENV_ALLOW_ROOT = "NNGRADE_ALLOW_ROOT_WORKER"
PROBE_TIMEOUT = 60.0
FEATURE_NAMES = (
    "namespaces", "pid_namespace", "landlock", "seccomp", "network_isolated", "readonly_fs",
    "kit_hidden", "private_tmp", "userns_blocked", "no_subprocesses", "uid_dropped", "rlimits",
    "no_new_privs", "env_scrubbed", "new_session",
)


@dataclass
class Isolation:
    """The isolation level in force and how to launch workers under it.

    Attributes
    ----------
    level : str
        ``"bwrap"``, ``"landlock"``, ``"rlimits"`` or ``"off"``.
    mode : str
        The mode it was probed with.
    features : dict of str to bool
        Which protections are active (keys: :data:`FEATURE_NAMES`).
    notes : list of str
        Human-readable sentences for the report.
    drop_privileges : bool
        Whether workers run as a reserved unprivileged uid.
    extra_readonly : tuple of str
        Extra host directories shown read-only (bwrap level).
    interpreter : Interpreter
        The Python the launcher and the worker run: the grader's own, or a
        copy the unprivileged uid can reach (see ``interpreter.py``).
    """

    level: str
    mode: str
    features: dict[str, bool]
    notes: list[str]
    drop_privileges: bool
    extra_readonly: tuple[str, ...] = field(default=())
    interpreter: Interpreter = field(default=OWN)
    #: ``(file key, level cap)`` when this verdict was read from :mod:`.probe_cache` rather than probed.
    recalled: tuple[str, str | None] | None = field(default=None, compare=False, repr=False)

    @property
    def implementation(self) -> Level:
        return LEVELS[self.level]

    def to_dict(self) -> dict:
        """The report's ``environment.sandbox`` section."""
        return {
            "level": self.level, "mode": self.mode, "features": dict(self.features),
            "notes": list(self.notes), "python": sys.version.split()[0],
        }

    def with_extra_readonly(self, directories: list[str]) -> Isolation:
        """A copy that also shows `directories` read-only inside the sandbox."""
        extra = tuple(os.path.realpath(d) for d in directories)
        return replace(self, extra_readonly=self.extra_readonly + extra)

    def launch_plan(
        self, paths: LaunchPaths, program: list[str], limits: Limits,
        account: SandboxAccount | None, *, uid: int | None = None,
    ) -> LaunchPlan:
        """Build the command that runs `program` under this isolation.

        Parameters
        ----------
        paths : LaunchPaths
            Host paths of the staged worker, submission and scratch directories.
        program : list of str
            Argv to run, written with in-sandbox paths from
            ``self.implementation.inner_paths(paths)``.
        limits : Limits
        account : SandboxAccount or None
            Account to drop to (when :attr:`drop_privileges`).
        uid : int, optional
            Uid to drop to instead of the account's (used by the probe).
        """
        target_uid = uid if uid is not None else (account.uid if account else None)
        if not self.drop_privileges:
            target_uid = None
        counted = target_uid is None and self.implementation.applies_limits
        existing = len(processes_of_uid(os.getuid())) if counted else 0
        spec = {"rlimits": limits.rlimits(existing), "uid": target_uid, "gid": target_uid}
        return self.implementation.launch_plan(self, paths, program, limits, spec)


def harden_grader_process() -> None:
    """Make the grader non-dumpable so its memory cannot be read via /proc (best effort)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE
    except (OSError, AttributeError, TypeError):  # TypeError: no C library to open by None
        pass


_CACHE: dict[tuple[str, str | None], Isolation] = {}


def probe_isolation(mode: str = "best-effort", level: str | None = None) -> Isolation:
    """Pick the strongest isolation that works here, by running a trivial worker.

    Parameters
    ----------
    mode : {"best-effort", "strict", "off"}
        ``strict`` raises when neither namespace isolation nor Landlock with
        seccomp is available; ``off`` runs plain subprocesses.
    level : str, optional
        Strongest level allowed (``"bwrap"``, ``"landlock"``, ``"rlimits"``, ``"off"``).
        Defaults to the ``NNGRADE_SANDBOX`` environment variable, if set.

    Returns
    -------
    Isolation
        Cached per ``(mode, level)`` for the life of the process, and across processes in
        :mod:`.probe_cache` (see :func:`reprobe`).

    Raises
    ------
    SandboxUnavailable
        If the mode cannot be honoured or no level works.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
    level = level or os.environ.get(ENV_LEVEL) or None
    if level is not None and level not in LEVELS:
        raise SandboxUnavailable(f"unknown sandbox level {level!r}; use one of {list(LEVELS)}")
    key = (mode, level)
    if key not in _CACHE:
        harden_grader_process()
        _CACHE[key] = _recalled_or_probed(mode, level)
    return _CACHE[key]


def _verdict_key(mode: str, cap: str | None) -> str:
    availability = {name: LEVELS[name].unavailable_reason() for name in _candidates(mode, cap)}
    return probe_cache.verdict_key(mode, cap, availability, root_worker_allowed())


def _recalled_or_probed(mode: str, cap: str | None) -> Isolation:
    """The verdict stored for these inputs, else a fresh probe (whose verdict is then stored)."""
    if not probe_cache.enabled():
        return _probe(mode, cap)
    key = _verdict_key(mode, cap)
    recalled = _from_verdict(probe_cache.load(key), mode, cap, key)
    if recalled is not None:
        return recalled
    isolation = _probe(mode, cap)
    probe_cache.store(key, {"level": isolation.level, "drop_privileges": isolation.drop_privileges,
                            "interpreter": "own" if isolation.interpreter == OWN else "copy",
                            "notes": list(isolation.notes)})
    return isolation


def _from_verdict(verdict: dict | None, mode: str, cap: str | None, key: str) -> Isolation | None:
    """The isolation a stored verdict names, or None when it does not fit what this process would probe."""
    if verdict is None or verdict["level"] not in _candidates(mode, cap):
        return None
    implementation = LEVELS[verdict["level"]]
    drop = verdict["drop_privileges"]
    if implementation.unavailable_reason() or drop not in _privilege_choices(implementation):
        return None
    try:
        interpreter = OWN if verdict["interpreter"] == "own" else reachable_copy()
    except OSError:
        return None
    features = {f: bool(implementation.features(drop).get(f)) for f in FEATURE_NAMES}
    if mode == "strict" and not is_confining(features):
        return None
    return Isolation(verdict["level"], mode, features, list(verdict["notes"]), drop,
                     interpreter=interpreter, recalled=(key, cap))


def reprobe(isolation: Isolation) -> Isolation | None:
    """After a worker failed to start under a recalled verdict: forget it and probe afresh.

    Returns None when `isolation` was probed in this process (there is nothing to re-check).
    The fresh verdict keeps `isolation`'s extra read-only directories.
    """
    if isolation.recalled is None:
        return None
    key, cap = isolation.recalled
    probe_cache.forget(key)
    fresh = _recalled_or_probed(isolation.mode, cap)
    _CACHE[(isolation.mode, cap)] = fresh
    return replace(fresh, extra_readonly=isolation.extra_readonly)


def first_candidate(mode: str = "best-effort", level: str | None = None) -> Isolation | None:
    """The isolation :func:`probe_isolation` will try first, or None when it is probed already.

    It has no features or notes yet. A caller may start a worker under it while
    the probe runs, and must not send that worker any request (the first one
    imports the submission) unless the probe returns the same level and privilege choice.
    """
    level = level or os.environ.get(ENV_LEVEL) or None
    if mode not in MODES or (level is not None and level not in LEVELS) or (mode, level) in _CACHE:
        return None
    for name in _candidates(mode, level):
        implementation = LEVELS[name]
        if not implementation.unavailable_reason():
            drop = _privilege_choices(implementation)[0]
            if drop and name != "bwrap" and interpreter_blocked():
                return None  # the probe will run the worker from a copy of the interpreter
            return Isolation(name, mode, {}, [], drop)
    return None


def _candidates(mode: str, cap: str | None) -> list[str]:
    names = list(LEVELS)
    if mode == "off":
        cap = "off"
    if cap == "off":
        return ["off"]
    # "off" is never a fallback: it has no isolation and, for a root grader, runs the worker as root.
    return [n for n in (names[names.index(cap):] if cap else names) if n != "off"]


def precheck_mode(mode: str) -> str:
    """The mode of a student pre-check: ``best-effort`` becomes ``off`` where no isolation level can run
    (any system but Linux); the other modes are kept (``strict`` still refuses)."""
    return "off" if mode == "best-effort" and linux_unavailable_reason() else mode


def _probe(mode: str, cap: str | None) -> Isolation:
    notes: list[str] = []
    platform_reason = linux_unavailable_reason()
    if mode == "off":
        notes.append(f"No sandbox: {platform_reason}; the worker is a plain subprocess without limits."
                     if platform_reason else "Sandbox switched off: the worker is a plain subprocess without limits.")
    elif platform_reason and cap != "off":
        raise SandboxUnavailable(f"{platform_reason}: grading runs on Linux only (`nngrade check` runs here "
                                 "without isolation; `--sandbox off` would grade without it)")
    elif cap and cap != list(LEVELS)[0]:
        notes.append(f"{ENV_LEVEL}={cap} (or level={cap!r}) limits the sandbox to this level.")
    for name in _candidates(mode, cap):
        implementation = LEVELS[name]
        reason = implementation.unavailable_reason()
        if reason:
            notes.append(reason)
            continue
        for drop in _privilege_choices(implementation):
            isolation = Isolation(name, mode, {}, [], drop)
            error = _try_trivial_worker(isolation)
            if error is not None and drop:
                isolation, error = _with_reachable_interpreter(isolation, error)
            if error is None:
                isolation.features = {f: bool(implementation.features(drop).get(f)) for f in FEATURE_NAMES}
                isolation.notes = notes + implementation.notes(drop)
                if isolation.interpreter != OWN:
                    isolation.notes.append(
                        f"The worker runs from a read-only copy of the interpreter and NumPy in "
                        f"{isolation.interpreter.dirs[0]}, since the unprivileged uid cannot reach "
                        f"{interpreter_blocked()}.")
                if mode == "strict" and not is_confining(isolation.features):
                    raise SandboxUnavailable(
                        "strict sandbox mode needs namespace isolation or Landlock with seccomp: "
                        + " ".join(isolation.notes))
                return isolation
            notes.append(error)
    if is_root() and not root_worker_allowed() and mode != "off":
        notes.append(f"The worker never runs as root unless {ENV_ALLOW_ROOT}=1 allows it; install Python "
                     "where other users can read it (not under /root), or install bubblewrap.")
    raise SandboxUnavailable("no sandbox level could start a worker: " + " ".join(notes))


def is_root() -> bool:
    """Whether the grader runs as root (never on a system without uids)."""
    return hasattr(os, "geteuid") and os.geteuid() == 0


def root_worker_allowed() -> bool:
    """Whether the instructor allowed a root worker (``NNGRADE_ALLOW_ROOT_WORKER=1``)."""
    return os.environ.get(ENV_ALLOW_ROOT, "").strip().lower() in ("1", "true", "yes")


def interpreter_blocked() -> str | None:
    """The first folder other users cannot search on the way to the interpreter the worker runs, or None.

    NOTE: ``sys.executable`` of a virtual environment is a link whose target
    (``/usr/bin/python3``) anyone can reach while the environment itself
    sits in a private folder (``mktemp -d`` makes them 0700): the link, the
    environment's ``bin`` and its NumPy are checked as they are, not only the
    link's target.
    """
    import numpy

    for path in (os.path.dirname(os.path.abspath(sys.executable)), sys.executable,
                 os.path.dirname(os.path.abspath(numpy.__file__))):
        blocked = unreachable_by_others(path)
        if blocked is not None:
            return blocked
    return None


def _with_reachable_interpreter(isolation: Isolation, error: str) -> tuple[Isolation, str | None]:
    """Retry a failed unprivileged trial from a copy of the interpreter, when the uid cannot reach ours."""
    blocked = interpreter_blocked()
    if blocked is None or isolation.level == "bwrap":
        return isolation, error
    try:
        copied = replace(isolation, interpreter=reachable_copy())
    except OSError as exc:
        return isolation, f"{error} The unprivileged uid cannot reach the interpreter ({blocked} is not " \
                          f"searchable by others) and no copy could be made: {exc}."
    retry = _try_trivial_worker(copied)
    if retry is not None:
        return isolation, f"{error} {retry}"
    copied.notes = []  # filled in by the caller
    return copied, None


def is_confining(features: dict[str, bool]) -> bool:
    """Whether the features amount to file-system and network confinement (what strict needs)."""
    return bool(features.get("namespaces") or (features.get("landlock") and features.get("seccomp")))


def _privilege_choices(implementation: Level) -> list[bool]:
    """Drop to the unprivileged uid whenever the grader is root; run as root only when explicitly allowed."""
    if not is_root() or not implementation.can_drop_privileges:
        return [False]
    return [True, False] if root_worker_allowed() else [True]


def _try_trivial_worker(isolation: Isolation) -> str | None:
    """Run ``import numpy`` under `isolation`; None on success, else a note."""
    staging = Staging(None)
    try:
        scratch = staging.new_scratch(None)
        if isolation.drop_privileges:
            os.chown(scratch, PROBE_UID, PROBE_UID)
        paths = LaunchPaths(staging.worker_dir, staging.submission_dir, scratch)
        marker = "nngrade-probe-ok"
        program = [isolation.interpreter.executable, "-I", "-B", "-c",
                   f"import numpy, os; print({marker!r}, getattr(os, 'getuid', lambda: None)())"]
        try:
            plan = isolation.launch_plan(paths, program, Limits(), None, uid=PROBE_UID)
        except ValueError as exc:  # e.g. a view that would expose the whole file system
            return f"{isolation.level}: {exc}."
        try:
            result = subprocess.run(
                plan.argv, env=plan.env, cwd=plan.cwd, stdin=subprocess.DEVNULL,
                capture_output=True, text=True, timeout=PROBE_TIMEOUT,
                start_new_session=isolation.implementation.channel == "descriptors",
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"{isolation.level}: the trial worker did not run ({exc})."
        if result.returncode == 0 and marker in result.stdout:
            return None
        detail = (result.stderr.strip().splitlines() or ["no output"])[-1][:300]
        who = "as an unprivileged uid" if isolation.drop_privileges else "as the grader's uid"
        return f"{isolation.level}: a trial worker {who} failed ({detail})."
    finally:
        staging.cleanup()


__all__ = [
    "ENV_ALLOW_ROOT", "ENV_LEVEL", "FEATURE_NAMES", "Isolation", "LaunchPaths", "LaunchPlan", "Limits", "MODES",
    "first_candidate", "harden_grader_process", "precheck_mode", "probe_isolation", "reprobe",
    "root_worker_allowed",
]
