"""Last trusted step before the worker: apply limits, drop privileges, exec.

Usage::

    python -I -B launcher.py SPEC_JSON PROGRAM [ARG ...]

``SPEC_JSON`` is ``{"rlimits": {"RLIMIT_AS": [soft, hard], ...}, "uid": int|null,
"gid": int|null, "landlock": [[path, access], ...]|null, "seccomp": profile|null}``.
The launcher sets the resource limits, sets ``no_new_privs``, clears
inheritable and bounding capabilities, switches to the unprivileged uid/gid
(when given), restricts the file system with Landlock and installs the
seccomp filter (when asked; see ``confine.py``), asks the kernel to kill it
when its parent dies, and finally replaces itself with ``PROGRAM``. Standard
library only: it is copied into the sandbox next to ``worker.py``.
"""
import ctypes
import importlib.util
import json
import os
import resource
import signal
import sys

PR_SET_PDEATHSIG = 1
PR_CAPBSET_DROP = 24
PR_SET_NO_NEW_PRIVS = 38
_LINUX_CAPABILITY_VERSION_3 = 0x20080522


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                ("inheritable", ctypes.c_uint32)]


def clear_inheritable_and_bounding(libc):
    """Drop every capability from the bounding set and the inheritable set."""
    for cap in range(64):
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 and ctypes.get_errno() == 22:
            break  # EINVAL: past the last capability this kernel knows
    header = _CapHeader(_LINUX_CAPABILITY_VERSION_3, 0)
    data = (_CapData * 2)()
    if libc.capget(ctypes.byref(header), data) == 0:
        for item in data:
            item.inheritable = 0
        libc.capset(ctypes.byref(header), data)


def load_confine():
    """Import the sibling confine.py by path (``-I`` keeps this folder off sys.path)."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "confine.py")
    spec = importlib.util.spec_from_file_location("_nngrade_confine", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def confine_self(spec):
    """Apply the Landlock rules and the seccomp filter the spec asks for; exit if either fails."""
    rules, profile = spec.get("landlock"), spec.get("seccomp")
    if rules is None and profile is None:
        return
    confine = load_confine()
    try:
        if rules is not None:
            confine.apply_landlock([tuple(rule) for rule in rules])
        if profile is not None:
            confine.install_seccomp(profile)
    except OSError as exc:
        sys.exit(f"launcher: could not confine the worker: {exc}")


def main(argv):
    spec = json.loads(argv[1])
    program = argv[2:]
    parent = os.getppid()
    for name, (soft, hard) in spec.get("rlimits", {}).items():
        resource.setrlimit(getattr(resource, name), (soft, hard))
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        sys.exit("launcher: could not set no_new_privs")
    if os.geteuid() == 0:
        clear_inheritable_and_bounding(libc)
    uid, gid = spec.get("uid"), spec.get("gid")
    if uid is not None:
        os.setgroups([])
        os.setresgid(gid, gid, gid)
        os.setresuid(uid, uid, uid)
        if os.getuid() != uid or os.geteuid() != uid:
            sys.exit("launcher: could not drop privileges")
    os.umask(0o077)
    confine_self(spec)
    # Set after the uid change, which resets it.
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:
        sys.exit("launcher: the grader exited during start-up")
    os.execv(program[0], program)


if __name__ == "__main__":
    main(sys.argv)
