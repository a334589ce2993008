"""Hostile entries that attack the host itself: file metadata, inotify, SysV IPC, a worker running as root.

Each is a *canary* (see ``hostile.kit.canary``): it becomes the reference only
when the attack worked, so a system call that should have been refused shows
up as unearned points.
"""
from __future__ import annotations

import ctypes
import os
import stat

from hostile.kit import EVERYTHING, INERT_MAY_PASS, Context, Entry, canary

IPC_RMID = 0


def _ipc_key(ctx: Context) -> int:
    """A SysV key no one else uses, derived from the token the runs of one entry share."""
    return 0x4E000000 | (int(ctx.token[:6], 16) & 0xFFFFFF)


def _metadata(ctx: Context):
    victim = ctx.canary / "victim.txt"
    victim.write_text("unchanged\n")
    os.chmod(victim, 0o644)
    return ctx.write("metadata.py", canary(f'''
        import ctypes, os
        _libc = ctypes.CDLL(None, use_errno=True)
        _mine = os.path.join(os.getcwd(), "mine.txt")
        def _works(action):
            try:
                return action() is not False
            except (OSError, ValueError, AttributeError):
                return False
        try:
            with open(_mine, "w") as handle:
                handle.write("x")
        except OSError:
            _mine = None
        for path in [p for p in (_mine, {str(victim)!r}) if p]:
            LEAKED = LEAKED or _works(lambda: os.chmod(path, 0o777))
            LEAKED = LEAKED or _works(lambda: os.chown(path, os.getuid(), os.getgid()))
            LEAKED = LEAKED or _works(lambda: os.utime(path, (1, 1)))
            LEAKED = LEAKED or _works(lambda: os.setxattr(path, "user.nngrade", b"1"))
        _fd = _libc.inotify_init1(0)
        LEAKED = LEAKED or _fd >= 0
        # SysV IPC: a segment, a queue and a semaphore set, each removed at once if created.
        for _get, _ctl, _args in ((_libc.shmget, _libc.shmctl, (0, 4096, 0o1600)),
                                  (_libc.msgget, _libc.msgctl, (0, 0o1600)),
                                  (_libc.semget, _libc.semctl, (0, 1, 0o1600))):
            _id = _get(*_args)
            if _id >= 0:
                LEAKED = True
                _ctl(_id, 0, 0) if _ctl is not _libc.semctl else _ctl(_id, 0, 0, 0)
    '''))


def _metadata_after(ctx: Context, outcome) -> None:
    victim = ctx.canary / "victim.txt"
    assert stat.S_IMODE(victim.stat().st_mode) == 0o644, "the submission changed a host file's mode"
    assert victim.stat().st_mtime > 1000, "the submission changed a host file's times"


def _root_worker(ctx: Context):
    return ctx.write("root_worker.py", canary('''
        import os
        LEAKED = 0 in (os.getuid(), os.geteuid(), os.getgid(), os.getegid())
    '''))


def _segment_across_runs(ctx: Context):
    key = _ipc_key(ctx)
    return ctx.write("segment.py", canary(f'''
        import ctypes
        _libc = ctypes.CDLL(None, use_errno=True)
        _libc.shmat.restype = ctypes.c_void_p
        _found = _libc.shmget({key}, 0, 0)
        if _found >= 0:
            _address = _libc.shmat(_found, None, 0)
            LEAKED = _address not in (None, ctypes.c_void_p(-1).value) and \\
                ctypes.string_at(_address, 6) == b"nngrad"
        else:  # the first run leaves a segment behind for the next one
            _made = _libc.shmget({key}, 4096, 0o1666)
            if _made >= 0:
                _address = _libc.shmat(_made, None, 0)
                if _address not in (None, ctypes.c_void_p(-1).value):
                    ctypes.memmove(_address, b"nngrade", 7)
    '''))


def _segment_after(ctx: Context, outcome) -> None:
    """The segment must be gone after every run; the last run removes whatever is left."""
    libc = ctypes.CDLL(None, use_errno=True)
    found = libc.shmget(_ipc_key(ctx), 0, 0)
    if found >= 0 and ctx.run == 1:
        libc.shmctl(found, IPC_RMID, None)
    assert found < 0, f"a SysV segment of the worker outlived grading run {ctx.run}"


ENTRIES = [
    Entry("metadata_inotify_and_ipc", "tampering",
          "chmod/chown/utime/setxattr its own file and a host file, inotify_init1, shmget/msgget/semget",
          _metadata, EVERYTHING, honest=(), may_pass=INERT_MAY_PASS, landlock=True, after=_metadata_after),
    Entry("worker_runs_as_root", "tampering", "succeed only when the worker runs as root (uid or gid 0)",
          _root_worker, EVERYTHING, honest=(), may_pass=INERT_MAY_PASS, landlock=True),
    Entry("sysv_segment_carried_across_runs", "tampering",
          "leave a SysV shared-memory segment in one run and read it back in the next",
          _segment_across_runs, EVERYTHING, honest=(), may_pass=INERT_MAY_PASS, runs=2, landlock=True,
          after=_segment_after),
]
