"""The isolation probe's verdict kept on disk, so that a new grader process need not run a trial worker.

:func:`nngrade.sandbox.host.isolation.probe_isolation` picks a level by starting a trial worker
(an interpreter start and a NumPy import) under each level, strongest first, until one works.
That costs every ``nngrade grade`` process one more interpreter start. The verdict (level,
privilege choice, interpreter, report notes) is stored here in a file only this user can read
or write, under a key made of everything the probe's outcome depends on: the mode and level
cap, the effective uid, every candidate level's availability, the interpreter and NumPy, the
kernel and its boot, the user-namespace switches, the bubblewrap binary, the ``NNGRADE_*``
environment and the sandbox's own source files. Any change gives another key; an entry is
also dropped after :data:`MAX_AGE` seconds.

A cached verdict never weakens isolation: it names the level a trial worker started under
for the same inputs, and the worker still runs under that level's full confinement. When no
worker starts under a cached verdict, :func:`forget` removes the entry and the probe runs
again (``WorkerSession`` does this). ``NNGRADE_PROBE_CACHE=0`` switches the cache off.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import sys
import tempfile
import time
from pathlib import Path

#: Set to 0 to probe in every process.
ENV_SWITCH = "NNGRADE_PROBE_CACHE"
#: Seconds a stored verdict is trusted.
MAX_AGE = 3600.0
#: Where root keeps verdicts: /run is a fresh tmpfs after every boot.
ROOT_DIR = "/run/nngrade/probe"
#: Kernel switches that decide whether unprivileged user namespaces (bubblewrap) work.
USERNS_SWITCHES = ("/proc/sys/kernel/unprivileged_userns_clone", "/proc/sys/user/max_user_namespaces",
                   "/proc/sys/kernel/apparmor_restrict_unprivileged_userns", "/proc/sys/kernel/random/boot_id")
MAX_BYTES = 1 << 16
SANDBOX_SOURCES = Path(__file__).resolve().parent.parent  # host/ and inside/


def _supported() -> bool:
    """Linux, the only system with isolation levels to probe (and user ids to own the folder)."""
    return sys.platform.startswith("linux") and hasattr(os, "geteuid")


def enabled() -> bool:
    """Whether verdicts are kept: where they are supported, unless switched off."""
    return _supported() and os.environ.get(ENV_SWITCH, "1").strip().lower() not in ("0", "false", "no")


def _read(path: str) -> str:
    try:
        with open(path, encoding="ascii", errors="replace") as handle:
            return handle.read().strip()
    except OSError:
        return "-"


def _identity(path: str | None) -> str:
    if not path:
        return "-"
    try:
        info = os.stat(path)
    except OSError:
        return f"{path}:missing"
    return f"{os.path.realpath(path)}:{info.st_size}:{info.st_mtime_ns}:{info.st_ino}"


def _sources_digest() -> str:
    digest = hashlib.sha256()
    for path in sorted(SANDBOX_SOURCES.glob("*/*.py")):
        digest.update(str(path).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def verdict_key(mode: str, cap: str | None, availability: dict[str, str | None], allow_root: bool) -> str:
    """The file name of the verdict for these inputs (a SHA-256 of every fact the probe depends on)."""
    import numpy  # the trial worker imports it

    facts = {
        "mode": mode, "cap": cap, "euid": os.geteuid(), "allow_root": allow_root, "levels": availability,
        "python": [sys.version, _identity(sys.executable)], "numpy": [numpy.__version__, numpy.__file__],
        "kernel": list(os.uname()), "switches": [_read(path) for path in USERNS_SWITCHES],
        "bwrap": _identity(shutil.which("bwrap")), "sources": _sources_digest(),
        "env": sorted((k, v) for k, v in os.environ.items() if k.startswith("NNGRADE_")),
    }
    return hashlib.sha256(json.dumps(facts, sort_keys=True, default=str).encode()).hexdigest()[:32]


def _folder() -> Path | None:
    """This user's private folder of verdicts, or None when none can be made safely."""
    from nngrade.sandbox.host.errors import SandboxUnavailable
    from nngrade.sandbox.host.workspace import private_dir

    if os.geteuid() == 0:
        candidate = Path(ROOT_DIR)
    else:
        runtime = os.environ.get("XDG_RUNTIME_DIR")
        candidate = (Path(runtime) / "nngrade-probe" if runtime else
                     Path(tempfile.gettempdir()) / f"nngrade-probe-{os.geteuid()}")
    try:
        return private_dir(candidate)
    except (OSError, SandboxUnavailable):
        return None


def load(key: str) -> dict | None:
    """The stored verdict for ``key``, or None (missing, too old, not this user's alone, or malformed)."""
    folder = _folder() if enabled() else None
    if folder is None:
        return None
    try:
        fd = os.open(folder / f"{key}.json", os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if (not stat.S_ISREG(info.st_mode) or info.st_uid != os.geteuid() or info.st_mode & 0o077
                or info.st_size > MAX_BYTES or time.time() - info.st_mtime > MAX_AGE):
            return None
        verdict = json.loads(os.read(fd, MAX_BYTES))
    except (OSError, ValueError):
        return None
    finally:
        os.close(fd)
    return verdict if _well_formed(verdict) else None


def _well_formed(verdict) -> bool:
    return (isinstance(verdict, dict) and isinstance(verdict.get("level"), str)
            and isinstance(verdict.get("drop_privileges"), bool)
            and verdict.get("interpreter") in ("own", "copy")
            and isinstance(verdict.get("notes"), list) and all(isinstance(n, str) for n in verdict["notes"]))


def store(key: str, verdict: dict) -> None:
    """Write the verdict atomically, readable and writable by this user only (best effort)."""
    folder = _folder() if enabled() else None
    if folder is None:
        return
    try:
        fd, temporary = tempfile.mkstemp(prefix=".verdict-", dir=folder)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(verdict, handle)
            os.replace(temporary, folder / f"{key}.json")
        except BaseException:
            os.unlink(temporary)
            raise
    except OSError:
        pass


def forget(key: str) -> None:
    """Remove the stored verdict for ``key`` (a worker did not start under it)."""
    folder = _folder() if _supported() else None
    if folder is not None:
        try:
            os.unlink(folder / f"{key}.json")
        except OSError:
            pass
