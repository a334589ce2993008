"""Run a Python program as on a system without the Linux/POSIX-only modules and calls.

Usage::

    python without_posix.py [--interpreter PATH] [-I] [-B] [-u] (-c CODE | -m MODULE | SCRIPT) [ARG ...]

Before the program runs, ``fcntl``, ``resource``, ``pwd``, ``grp`` and ``termios`` cannot be
imported (``sys.modules[name] = None``) and the calls Windows does not have are removed
(:data:`REMOVED`): ``select.poll``, ``os.pipe2``, ``os.getuid``, ``os.readv``, ``os.waitid``,
``os.killpg``, ``signal.setitimer`` ..., and ``ctypes.CDLL(None)`` fails. ``--interpreter`` replaces ``sys.executable`` (the
Python the program starts its subprocesses with). Standard library only.
"""
import ctypes
import os
import runpy
import select
import signal
import sys

BLOCKED_MODULES = ("fcntl", "resource", "pwd", "grp", "termios")
REMOVED = {
    os: ("pipe2", "getuid", "geteuid", "getgid", "getegid", "killpg", "getpgid", "setsid", "waitid",
         "readv", "pidfd_open", "set_blocking"),
    select: ("poll", "epoll"),
    signal: ("setitimer", "SIGALRM", "pidfd_send_signal"),
}


class _WindowsCDLL(ctypes.CDLL):
    """``ctypes.CDLL`` as on Windows: there is no C library to open by None."""

    def __init__(self, name, *args, **kwargs):
        if name is None:
            raise TypeError("argument of type 'NoneType' is not iterable")
        super().__init__(name, *args, **kwargs)


#: Flags the real interpreter already applied; a wrapper passes them on and they are skipped here.
INTERPRETER_FLAGS = ("-I", "-B", "-u")


def block() -> None:
    for name in BLOCKED_MODULES:
        sys.modules.pop(name, None)
        sys.modules[name] = None  # `import name` now raises ModuleNotFoundError
    for module, names in REMOVED.items():
        for name in names:
            if hasattr(module, name):
                delattr(module, name)
    ctypes.CDLL = _WindowsCDLL


def main(argv: list[str]) -> None:
    args = argv[1:]
    if args[:1] == ["--interpreter"]:
        sys.executable, args = args[1], args[2:]
    while args and args[0] in INTERPRETER_FLAGS:
        args = args[1:]
    block()
    if args[0] == "-c":
        sys.argv = ["-c", *args[2:]]
        exec(compile(args[1], "<string>", "exec"), {"__name__": "__main__"})  # noqa: S102 - the test's own code
    elif args[0] == "-m":
        sys.argv = [args[1], *args[2:]]
        runpy.run_module(args[1], run_name="__main__", alter_sys=True)
    else:
        sys.argv = list(args)
        runpy.run_path(args[0], run_name="__main__")


if __name__ == "__main__":
    main(sys.argv)
