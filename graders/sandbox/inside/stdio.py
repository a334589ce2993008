"""The worker's end of the plain channel: the protocol on stdin and stdout.

The plain level (any operating system, no isolation) starts the worker with
three ordinary pipes and nothing else: no inherited descriptors, no
``pass_fds``. :func:`take_channel` moves the protocol off descriptors 0 and 1
before any student code runs, so what student code prints (``print``, C
``printf``, a subprocess it starts) lands in the output pipe with its stderr,
never in the reply stream. :func:`write_mark` ends each call's output with a
mark the grader strips, so it can tell which call printed what.

Standard library only: it is copied into the sandbox next to ``worker.py``.
"""
import os

#: Argument given instead of the two descriptor numbers: the protocol is on stdin and stdout.
STDIO = "-"
#: Environment variable with the token of :func:`write_mark` (removed before student code runs).
MARK_VARIABLE = "NNGRADE_OUTPUT_MARK"
#: Delimits a mark: ``SEPARATOR token ":" request_id SEPARATOR`` (ASCII record separator).
SEPARATOR = b"\x1e"
STD_INPUT_HANDLE, STD_OUTPUT_HANDLE = -10, -11


def take_channel():
    """Return ``(in_fd, out_fd)``, private copies of stdin and stdout; fd 1 then writes to stderr, fd 0 reads nothing.

    The copies are not inheritable (PEP 446), so a process started by student
    code does not get the channel.
    """
    in_fd, out_fd = os.dup(0), os.dup(1)
    os.dup2(2, 1)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    _windows_binary_and_std_handles(in_fd, out_fd)
    return in_fd, out_fd


def _windows_binary_and_std_handles(in_fd, out_fd):
    """On Windows: binary mode for the channel, and the Win32 standard handles follow fds 0 and 1."""
    try:
        import ctypes
        import msvcrt
    except ImportError:  # not Windows
        return
    for fd in (in_fd, out_fd):
        msvcrt.setmode(fd, os.O_BINARY)
    try:
        kernel32 = ctypes.WinDLL("kernel32")
        kernel32.SetStdHandle.argtypes = (ctypes.c_uint32, ctypes.c_void_p)
        for which, fd in ((STD_INPUT_HANDLE, 0), (STD_OUTPUT_HANDLE, 1)):
            kernel32.SetStdHandle(which & 0xFFFFFFFF, msvcrt.get_osfhandle(fd))
    except (OSError, AttributeError):
        pass  # C code asking Win32 for its stdout would reach the channel; prints through fd 1 do not


def take_mark_token():
    """The token of this worker's marks (None when the grader did not ask for marks)."""
    token = os.environ.pop(MARK_VARIABLE, None)
    return token.encode("ascii", "replace") if token else None


def mark(token, request_id):
    """The bytes that end the output of request `request_id`."""
    return SEPARATOR + token + b":" + str(request_id).encode("ascii", "replace")[:20] + SEPARATOR


def write_mark(token, request_id):
    """Write the mark of `request_id` to fd 2 (after the streams are flushed); errors are ignored."""
    try:
        os.write(2, mark(token, request_id))
    except OSError:  # student code closed or replaced fd 2: the grader stops waiting at the call's deadline
        pass
