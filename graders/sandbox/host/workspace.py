"""Files and accounts a worker runs with.

* :class:`Staging`: a private copy of the worker programs and of the
  submission, plus a fresh scratch directory per worker.
* :class:`SandboxAccount`: an unprivileged uid/gid reserved for one session
  (slot locks in one system-wide directory, :data:`SYSTEM_LOCK_DIRS`, make
  every grader of the host use distinct uids, whatever its TMPDIR), and the
  sweep that kills every process of that uid and removes its IPC objects
  once a worker ends (Linux only: its modules are imported when it is used).

:class:`Staging` also serves the plain level on macOS and Windows: there it
copies links as the files they point to and sets no POSIX permissions.
"""
from __future__ import annotations

import ctypes
import errno
import os
import shutil
import signal
import stat
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from nngrade.sandbox.host.errors import SandboxUnavailable

#: uid/gid of slot 0; slot ``n`` uses ``BASE_UID + n``.
BASE_UID = 61000
#: uid used by the isolation probe (never swept).
PROBE_UID = BASE_UID - 1
MAX_SLOTS = 1000
#: Slot locks: the first of these that can be used, the same for every grader on the host.
SYSTEM_LOCK_DIRS = ("/run/nngrade/slots", "/var/lock/nngrade/slots")
#: Where earlier versions locked slots (under their TMPDIR, most often /tmp); still honoured, for graders
#: of those versions running on the same host.
LEGACY_LOCK_DIR = "nngrade-slots-{euid}"
LEGACY_TMPDIRS = ("/tmp",)
#: SysV IPC tables: (file under /proc/sysvipc, its id column, the libc call that removes an object, its arity).
SYSV_TABLES = (("shm", "shmid", "shmctl", 3), ("msg", "msqid", "msgctl", 3), ("sem", "semid", "semctl", 4))
#: Folders of POSIX IPC objects (shared memory, message queues) that outlive their creator.
POSIX_IPC_DIRS = ("/dev/shm", "/dev/mqueue")
IPC_RMID = 0
WORKER_FILES = ("worker.py", "protocol.py", "launcher.py", "confine.py", "cells.py", "stdio.py", "inplace.py",
                "import_guard.py")
#: Whether files have POSIX permissions and links can be copied as links (not on Windows).
POSIX_FILES = os.name == "posix"


def _chmod(path: str | os.PathLike, mode: int) -> None:
    if POSIX_FILES:
        os.chmod(path, mode)


def _copy_readonly(source: Path, target: Path) -> None:
    """Copy a tree with world-readable, non-writable permissions (on Windows: a plain copy)."""
    shutil.copytree(
        source, target, symlinks=POSIX_FILES, ignore_dangling_symlinks=True,
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".git"),
    )
    if not POSIX_FILES:
        return
    for root, dirs, files in os.walk(target):
        os.chmod(root, 0o755)
        for name in files:
            path = os.path.join(root, name)
            if not os.path.islink(path):
                os.chmod(path, 0o644)


class Staging:
    """A private directory tree holding what one session's workers see.

    Layout: ``<root>/nngrade`` (worker programs), ``<root>/submission``
    (copy of the submission), ``<root>/scratch-N`` (one per worker).

    Parameters
    ----------
    submission_dir : str or Path or None
        Directory to copy; None stages an empty submission (for probes).
    plugins : sequence of path
        The assignment's worker plugin files, copied as ``plugin_<name>`` beside the worker.
    """

    def __init__(self, submission_dir: str | os.PathLike | None, plugins=()) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="nngrade-"))
        try:
            self._populate(submission_dir, [Path(p) for p in plugins])
        except BaseException:
            self.cleanup()
            raise
        self._scratch_count = 0

    def _populate(self, submission_dir: str | os.PathLike | None, plugins: list[Path]) -> None:
        _chmod(self.root, 0o711)  # traversable by the worker uid, not listable
        self.worker_dir = self.root / "nngrade"
        self.submission_dir = self.root / "submission"
        self.worker_dir.mkdir(mode=0o755)
        here = Path(__file__).resolve().parent.parent / "inside"
        sources = [(here / name, name) for name in WORKER_FILES]
        sources += [(plugin, f"plugin_{plugin.name}") for plugin in plugins]  # the assignment's worker operations
        for source, name in sources:
            shutil.copyfile(source, self.worker_dir / name)
            _chmod(self.worker_dir / name, 0o644)
        _chmod(self.worker_dir, 0o755)
        if submission_dir is None:
            self.submission_dir.mkdir(mode=0o755)
        else:
            _copy_readonly(Path(submission_dir), self.submission_dir)

    def new_scratch(self, owner: SandboxAccount | None) -> Path:
        """Create a fresh scratch directory writable by `owner` only."""
        self._scratch_count += 1
        path = self.root / f"scratch-{self._scratch_count}"
        path.mkdir(mode=0o700)
        if owner is not None:
            os.chown(path, owner.uid, owner.gid)
        return path

    @staticmethod
    def remove_scratch(path: Path | None) -> None:
        if path is not None:
            shutil.rmtree(path, ignore_errors=True)

    def cleanup(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def _real_uid(pid: int) -> int | None:
    """Real uid of process `pid`, or None if it is gone or a zombie."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("State:") and line.split()[1] in ("Z", "X"):
                    return None
                if line.startswith("Uid:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def processes_of_uid(uid: int) -> list[int]:
    """Pids of every process whose real uid is `uid`."""
    return [int(name) for name in os.listdir("/proc") if name.isdigit() and _real_uid(int(name)) == uid]


def kill_processes_of_uid(uid: int, *, rounds: int = 200) -> int:
    """SIGKILL every process of `uid` until none is left.

    Each process is pinned with a pidfd before its uid is checked again, so
    a recycled pid is never hit.

    Returns
    -------
    int
        Number of processes still alive after the last round (0 on success).
    """
    for _ in range(rounds):
        pids = processes_of_uid(uid)
        if not pids:
            return 0
        for pid in pids:
            try:
                pidfd = os.pidfd_open(pid)
            except OSError:
                continue
            try:
                if _real_uid(pid) == uid:
                    signal.pidfd_send_signal(pidfd, signal.SIGKILL)
            except OSError:
                pass
            finally:
                os.close(pidfd)
        time.sleep(0.005)
    return len(processes_of_uid(uid))


def private_dir(path: Path) -> Path:
    """Create `path` (mode 0700) and check it is a private directory of this user, not a symlink."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = path.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid() or info.st_mode & 0o077:
        raise SandboxUnavailable(f"{path} is not a private directory of this user")
    return path


def _slot_lock_dir() -> Path:
    """The system-wide slot lock directory, the same for every grader of the host whatever its TMPDIR."""
    problems = []
    for candidate in SYSTEM_LOCK_DIRS:
        try:
            return private_dir(Path(candidate))
        except OSError as exc:
            problems.append(f"{candidate}: {exc}")
    raise SandboxUnavailable("no system-wide directory for sandbox slot locks: " + "; ".join(problems))


def _legacy_lock_dirs() -> list[Path]:
    found = []
    for base in dict.fromkeys([*LEGACY_TMPDIRS, tempfile.gettempdir()]):
        try:
            found.append(private_dir(Path(base) / LEGACY_LOCK_DIR.format(euid=os.geteuid())))
        except (OSError, SandboxUnavailable):
            pass
    return found


def _try_lock(path: Path) -> int | None:
    """An exclusive lock on `path`, or None when another process holds it."""
    import fcntl  # Linux only, like the accounts

    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        os.close(fd)
        if exc.errno in (errno.EAGAIN, errno.EACCES):
            return None
        raise
    return fd


def remove_ipc_objects(uid: int) -> int:
    """Remove every SysV IPC object and POSIX shared-memory or queue file owned or created by `uid`.

    Returns
    -------
    int
        Number of objects removed.
    """
    libc = ctypes.CDLL(None, use_errno=True)
    removed = 0
    for table, id_column, call, arity in SYSV_TABLES:
        try:
            with open(f"/proc/sysvipc/{table}", encoding="ascii") as handle:
                header, *rows = [line.split() for line in handle]
        except (OSError, ValueError):
            continue
        ids, uids, cuids = header.index(id_column), header.index("uid"), header.index("cuid")
        for row in rows:
            if uid in (int(row[uids]), int(row[cuids])):
                arguments = (int(row[ids]), 0, IPC_RMID, 0) if arity == 4 else (int(row[ids]), IPC_RMID, None)
                removed += getattr(libc, call)(*arguments) == 0
    for folder in POSIX_IPC_DIRS:
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.stat(follow_symlinks=False).st_uid == uid:
                    os.unlink(entry.path)
                    removed += 1
            except OSError:
                pass
    return removed


@dataclass
class SandboxAccount:
    """An unprivileged uid/gid reserved for one session.

    Attributes
    ----------
    slot : int
        Slot number; the uid and gid are ``BASE_UID + slot``.
    uid, gid : int
    """

    slot: int
    uid: int
    gid: int
    _lock_fd: int | None = None
    _legacy_fds: list[int] = field(default_factory=list)

    @classmethod
    def reserve(cls, slot: int | None = None) -> SandboxAccount:
        """Reserve `slot` if it is free, else the first free slot.

        A slot is free when no other session (of any process) holds its lock
        file and no user account of the system owns its uid.

        Raises
        ------
        SandboxUnavailable
            If every slot is taken or the lock directory is unsafe.
        """
        lock_dir, legacy = _slot_lock_dir(), _legacy_lock_dirs()
        preferred = [] if slot is None else [int(slot)]
        candidates = preferred + [n for n in range(MAX_SLOTS) if n not in preferred]
        for candidate in candidates:
            uid = BASE_UID + candidate
            if _uid_has_account(uid):
                continue
            fd = _try_lock(lock_dir / f"slot-{candidate}.lock")
            if fd is None:
                continue
            legacy_fds = [_try_lock(folder / f"slot-{candidate}.lock") for folder in legacy]
            if None in legacy_fds:  # a grader of an earlier version holds this slot
                for held in [fd, *legacy_fds]:
                    if held is not None:
                        os.close(held)
                continue
            account = cls(candidate, uid, uid, fd, legacy_fds)
            account.sweep()  # leftovers of a grader that died without cleaning up
            return account
        raise SandboxUnavailable(f"all {MAX_SLOTS} sandbox slots are taken")

    def sweep(self) -> int:
        """Kill every process of this account's uid and remove its IPC objects; return how many processes survived."""
        survivors = kill_processes_of_uid(self.uid)
        remove_ipc_objects(self.uid)
        return survivors

    def release(self) -> None:
        for fd in [self._lock_fd, *self._legacy_fds]:
            if fd is not None:
                os.close(fd)
        self._lock_fd, self._legacy_fds = None, []


def _uid_has_account(uid: int) -> bool:
    import pwd  # Linux only, like the accounts

    try:
        pwd.getpwuid(uid)
    except KeyError:
        return False
    return True
