"""Landlock and seccomp confinement, applied in the sandbox before student code runs.

Standard library only (ctypes): this module is copied next to ``launcher.py``
and ``worker.py`` and loaded by path. It talks to the kernel directly:

* **Landlock** (``landlock_create_ruleset``, ``landlock_add_rule``,
  ``landlock_restrict_self``): a file-system allow-list. Every access right
  the running kernel knows is handled, so whatever no rule grants is denied.
  From ABI 4 TCP bind/connect are handled (no rule: denied), from ABI 6
  abstract unix sockets and signals are scoped to the sandbox.
* **seccomp** (``prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER)``): a small
  classic-BPF deny-list built from the named :data:`PROFILES`. Other
  architectures' system-call ABIs (i386 and x32 on x86_64) are refused.

Both need ``no_new_privs`` (set by the launcher first) and both are inherited
by every thread and across ``execve``; neither can be removed afterwards.
"""
import ctypes
import errno
import os
import stat
import struct

# --------------------------------------------------------------------------- syscalls

#: System-call numbers per machine. Landlock and the newer calls share one numbering.
SYSCALLS = {
    "x86_64": {
        "socket": 41, "fork": 57, "vfork": 58, "clone": 56, "clone3": 435, "execve": 59,
        "execveat": 322, "setsid": 112, "setpgid": 109, "ptrace": 101, "process_vm_readv": 310,
        "process_vm_writev": 311, "kill": 62, "tkill": 200, "tgkill": 234, "rt_sigqueueinfo": 129,
        "rt_tgsigqueueinfo": 297, "pidfd_send_signal": 424, "pidfd_open": 434, "pidfd_getfd": 438,
        "unshare": 272, "setns": 308, "mount": 165, "umount2": 166, "pivot_root": 155, "chroot": 161,
        "move_mount": 429, "open_tree": 428, "fsopen": 430, "fsconfig": 431, "fsmount": 432,
        "fspick": 433, "mount_setattr": 442, "bpf": 321, "perf_event_open": 298, "userfaultfd": 323,
        "keyctl": 250, "add_key": 248, "request_key": 249, "io_uring_setup": 425,
        "io_uring_enter": 426, "io_uring_register": 427, "open_by_handle_at": 304, "kexec_load": 246,
        "kexec_file_load": 320, "init_module": 175, "finit_module": 313, "delete_module": 176,
        "process_madvise": 440, "prlimit64": 302, "sched_setaffinity": 203,
        "sched_setscheduler": 144, "sched_setparam": 142, "sched_setattr": 314, "setpriority": 141,
        "ioprio_set": 251, "fcntl": 72, "seccomp": 317,
        # File metadata, inotify/fanotify, SysV and POSIX message-queue IPC.
        "chmod": 90, "fchmod": 91, "fchmodat": 268, "fchmodat2": 452, "chown": 92, "fchown": 93, "lchown": 94,
        "fchownat": 260, "utime": 132, "utimes": 235, "utimensat": 280, "futimesat": 261, "setxattr": 188,
        "lsetxattr": 189, "fsetxattr": 190, "setxattrat": 463, "removexattr": 197, "lremovexattr": 198,
        "fremovexattr": 199, "removexattrat": 466, "inotify_init": 253, "inotify_init1": 294,
        "inotify_add_watch": 254, "fanotify_init": 300, "fanotify_mark": 301, "shmget": 29, "shmat": 30,
        "shmctl": 31, "shmdt": 67, "msgget": 68, "msgsnd": 69, "msgrcv": 70, "msgctl": 71, "semget": 64,
        "semop": 65, "semctl": 66, "semtimedop": 220, "mq_open": 240, "mq_unlink": 241, "mq_timedsend": 242,
        "mq_timedreceive": 243, "mq_notify": 244, "mq_getsetattr": 245,
    },
    "aarch64": {  # the generic table (asm-generic/unistd.h): no fork or vfork
        "socket": 198, "clone": 220, "clone3": 435, "execve": 221, "execveat": 281, "setsid": 157,
        "setpgid": 154, "ptrace": 117, "process_vm_readv": 270, "process_vm_writev": 271, "kill": 129,
        "tkill": 130, "tgkill": 131, "rt_sigqueueinfo": 138, "rt_tgsigqueueinfo": 240,
        "pidfd_send_signal": 424, "pidfd_open": 434, "pidfd_getfd": 438, "unshare": 97, "setns": 268,
        "mount": 40, "umount2": 39, "pivot_root": 41, "chroot": 51, "move_mount": 429,
        "open_tree": 428, "fsopen": 430, "fsconfig": 431, "fsmount": 432, "fspick": 433,
        "mount_setattr": 442, "bpf": 280, "perf_event_open": 241, "userfaultfd": 282, "keyctl": 219,
        "add_key": 217, "request_key": 218, "io_uring_setup": 425, "io_uring_enter": 426,
        "io_uring_register": 427, "open_by_handle_at": 265, "kexec_load": 104, "kexec_file_load": 294,
        "init_module": 105, "finit_module": 273, "delete_module": 106, "process_madvise": 440,
        "prlimit64": 261, "sched_setaffinity": 122, "sched_setscheduler": 119, "sched_setparam": 118,
        "sched_setattr": 274, "setpriority": 140, "ioprio_set": 30, "fcntl": 25, "seccomp": 277,
        "fchmod": 52, "fchmodat": 53, "fchmodat2": 452, "fchownat": 54, "fchown": 55, "utimensat": 88,
        "setxattr": 5, "lsetxattr": 6, "fsetxattr": 7, "setxattrat": 463, "removexattr": 14, "lremovexattr": 15,
        "fremovexattr": 16, "removexattrat": 466, "inotify_init1": 26, "inotify_add_watch": 27,
        "fanotify_init": 262, "fanotify_mark": 263, "shmget": 194, "shmctl": 195, "shmat": 196, "shmdt": 197,
        "msgget": 186, "msgctl": 187, "msgrcv": 188, "msgsnd": 189, "semget": 190, "semctl": 191,
        "semtimedop": 192, "semop": 193, "mq_open": 180, "mq_unlink": 181, "mq_timedsend": 182,
        "mq_timedreceive": 183, "mq_notify": 184, "mq_getsetattr": 185,
    },
}
#: AUDIT_ARCH_* value the kernel reports in ``seccomp_data.arch``.
AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}
X32_SYSCALL_BIT = 0x40000000
SYS_LANDLOCK_CREATE_RULESET, SYS_LANDLOCK_ADD_RULE, SYS_LANDLOCK_RESTRICT_SELF = 444, 445, 446

PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP = 38, 22
SECCOMP_MODE_FILTER = 2
SECCOMP_GET_ACTION_AVAIL = 2



def _load_libc():
    """The C library with ``syscall``, or None where there is none to open by None (Windows)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.syscall.restype = ctypes.c_long
    except (OSError, TypeError, AttributeError):
        return None
    return libc


_libc = _load_libc()


def machine():
    """The running machine name, e.g. ``"x86_64"``."""
    return os.uname().machine.lower()


def _check(result, what):
    if result < 0:
        code = ctypes.get_errno()
        raise OSError(code, f"{what}: {os.strerror(code)}")
    return result


# --------------------------------------------------------------------------- landlock

FS_EXECUTE, FS_WRITE_FILE, FS_READ_FILE, FS_READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
FS_REMOVE_DIR, FS_REMOVE_FILE, FS_MAKE_CHAR, FS_MAKE_DIR = 1 << 4, 1 << 5, 1 << 6, 1 << 7
FS_MAKE_REG, FS_MAKE_SOCK, FS_MAKE_FIFO, FS_MAKE_BLOCK = 1 << 8, 1 << 9, 1 << 10, 1 << 11
FS_MAKE_SYM, FS_REFER, FS_TRUNCATE, FS_IOCTL_DEV = 1 << 12, 1 << 13, 1 << 14, 1 << 15
NET_BIND_TCP, NET_CONNECT_TCP = 1 << 0, 1 << 1
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1 << 0, 1 << 1
LANDLOCK_CREATE_RULESET_VERSION = 1 << 0
LANDLOCK_RULE_PATH_BENEATH = 1

#: Rights that apply to a file (the others only make sense on directories).
FILE_RIGHTS = FS_EXECUTE | FS_WRITE_FILE | FS_READ_FILE | FS_TRUNCATE | FS_IOCTL_DEV
#: Named sets of rights used in the launcher's spec.
ACCESS = {
    "read": FS_READ_FILE | FS_READ_DIR | FS_EXECUTE,
    "list": FS_READ_DIR,
    "device": FS_READ_FILE | FS_WRITE_FILE,
    "write": (FS_READ_FILE | FS_READ_DIR | FS_WRITE_FILE | FS_REMOVE_DIR | FS_REMOVE_FILE
              | FS_MAKE_DIR | FS_MAKE_REG | FS_MAKE_SYM | FS_MAKE_FIFO | FS_REFER | FS_TRUNCATE),
}


def landlock_abi():
    """The Landlock ABI version of the running kernel, or 0 when Landlock is unavailable."""
    if _libc is None:
        return 0
    version = _libc.syscall(SYS_LANDLOCK_CREATE_RULESET, None, ctypes.c_size_t(0),
                            ctypes.c_uint32(LANDLOCK_CREATE_RULESET_VERSION))
    return max(int(version), 0)


def handled_fs_rights(abi):
    """Every file-system right Landlock ABI `abi` knows."""
    rights = (1 << 13) - 1  # ABI 1: EXECUTE .. MAKE_SYM
    if abi >= 2:
        rights |= FS_REFER
    if abi >= 3:
        rights |= FS_TRUNCATE
    if abi >= 5:
        rights |= FS_IOCTL_DEV
    return rights


def apply_landlock(rules):
    """Restrict this process (and its future children) to the file-system `rules`.

    Parameters
    ----------
    rules : list of (str, str)
        ``(path, access)`` with ``access`` a key of :data:`ACCESS`. A rule on
        a regular file keeps only the file rights. Paths that are missing or
        that this process cannot reach are skipped.

    Returns
    -------
    int
        The Landlock ABI version enforced.

    Raises
    ------
    OSError
        When Landlock is unavailable or refuses the ruleset.
    """
    abi = landlock_abi()
    if abi < 1:
        raise OSError(errno.ENOSYS, "Landlock is not available in this kernel")
    handled = handled_fs_rights(abi)
    if abi >= 6:
        attr = struct.pack("<QQQ", handled, NET_BIND_TCP | NET_CONNECT_TCP,
                           SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL)
    elif abi >= 4:
        attr = struct.pack("<QQ", handled, NET_BIND_TCP | NET_CONNECT_TCP)
    else:
        attr = struct.pack("<Q", handled)
    buffer = ctypes.create_string_buffer(attr, len(attr))
    ruleset = _check(_libc.syscall(SYS_LANDLOCK_CREATE_RULESET, buffer, ctypes.c_size_t(len(attr)),
                                   ctypes.c_uint32(0)), "landlock_create_ruleset")
    try:
        for path, access in rules:
            try:
                fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except (FileNotFoundError, NotADirectoryError, PermissionError):
                continue  # nothing there, or unreachable for this uid anyway
            try:
                rights = ACCESS[access] & handled
                if not stat.S_ISDIR(os.fstat(fd).st_mode):
                    rights &= FILE_RIGHTS
                if not rights:
                    continue
                rule = ctypes.create_string_buffer(struct.pack("<Qi", rights, fd), 12)
                _check(_libc.syscall(SYS_LANDLOCK_ADD_RULE, ctypes.c_int(ruleset),
                                     ctypes.c_int(LANDLOCK_RULE_PATH_BENEATH), rule, ctypes.c_uint32(0)),
                       f"landlock_add_rule({path})")
            finally:
                os.close(fd)
        _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(PR_SET_NO_NEW_PRIVS)")
        _check(_libc.syscall(SYS_LANDLOCK_RESTRICT_SELF, ctypes.c_int(ruleset), ctypes.c_uint32(0)),
               "landlock_restrict_self")
    finally:
        os.close(ruleset)
    return abi


# --------------------------------------------------------------------------- seccomp

_BPF_LD_W_ABS, _BPF_JEQ, _BPF_JGE, _BPF_JSET, _BPF_RET = 0x20, 0x15, 0x35, 0x45, 0x06
RET_ALLOW, RET_KILL_PROCESS, RET_ERRNO = 0x7FFF0000, 0x80000000, 0x00050000
_OFFSET_NR, _OFFSET_ARCH, _OFFSET_ARGS = 0, 4, 16

CLONE_THREAD = 0x00010000
#: CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET.
CLONE_NAMESPACES = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000
F_SETOWN, F_SETSIG, F_SETOWN_EX = 8, 10, 15


def _insn(code, k, jt=0, jf=0):
    return struct.pack("<HBBI", code, jt, jf, k & 0xFFFFFFFF)


def _load_arg(index):
    """Load the low 32 bits of argument `index` (little-endian machines)."""
    return _insn(_BPF_LD_W_ABS, _OFFSET_ARGS + 8 * index)


def _deny(code=errno.EPERM):
    return [_insn(_BPF_RET, RET_ERRNO | code)]


def _allow_values(index, values_of_pid, code=errno.EPERM):
    """Allow only when argument `index` (as a 32-bit value) is one of the given values."""
    def block(pid):
        values = values_of_pid(pid)
        count = len(values)
        jumps = [_insn(_BPF_JEQ, value, jt=count - i, jf=0) for i, value in enumerate(values)]
        return [_load_arg(index), *jumps, _insn(_BPF_RET, RET_ERRNO | code), _insn(_BPF_RET, RET_ALLOW)]
    return block


def _deny_values(index, values, code=errno.EPERM):
    """Deny when argument `index` is one of `values`."""
    count = len(values)
    jumps = [_insn(_BPF_JEQ, value, jt=count - i, jf=0) for i, value in enumerate(values)]
    return [_load_arg(index), *jumps, _insn(_BPF_RET, RET_ALLOW), _insn(_BPF_RET, RET_ERRNO | code)]


#: clone() may create threads only, never processes nor namespaces.
_CLONE_THREADS_ONLY = [_load_arg(0), _insn(_BPF_JSET, CLONE_NAMESPACES, jt=2, jf=0),
                       _insn(_BPF_JSET, CLONE_THREAD, jt=0, jf=1),
                       _insn(_BPF_RET, RET_ALLOW), _insn(_BPF_RET, RET_ERRNO | errno.EPERM)]
#: clone() may create processes and threads, never namespaces.
_CLONE_NO_NAMESPACES = [_load_arg(0), _insn(_BPF_JSET, CLONE_NAMESPACES, jt=1, jf=0),
                        _insn(_BPF_RET, RET_ALLOW), _insn(_BPF_RET, RET_ERRNO | errno.EPERM)]

_DENIED_EVERYWHERE = (
    "unshare", "setns", "mount", "umount2", "pivot_root", "chroot", "move_mount", "open_tree", "fsopen",
    "fsconfig", "fsmount", "fspick", "mount_setattr", "ptrace", "process_vm_readv", "process_vm_writev",
    "bpf", "perf_event_open", "userfaultfd", "keyctl", "add_key", "request_key", "io_uring_setup",
    "io_uring_enter", "io_uring_register", "open_by_handle_at", "kexec_load", "kexec_file_load",
    "init_module", "finit_module", "delete_module", "pidfd_getfd", "process_madvise",
    # Landlock governs opening, creating and deleting files, not their metadata: no mode, owner, time or
    # extended-attribute changes (a setuid bit, a grader's interpreter made unreadable), no watches.
    "chmod", "fchmod", "fchmodat", "fchmodat2", "chown", "fchown", "lchown", "fchownat", "utime", "utimes",
    "utimensat", "futimesat", "setxattr", "lsetxattr", "fsetxattr", "setxattrat", "removexattr", "lremovexattr",
    "fremovexattr", "removexattrat", "inotify_init", "inotify_init1", "inotify_add_watch", "fanotify_init",
    "fanotify_mark",
    # SysV IPC and POSIX message queues outlive the worker (state carried into a later grade, memory held
    # beyond RLIMIT_AS).
    "shmget", "shmat", "shmctl", "shmdt", "msgget", "msgsnd", "msgrcv", "msgctl", "semget", "semop", "semctl",
    "semtimedop", "mq_open", "mq_unlink", "mq_timedsend", "mq_timedreceive", "mq_notify", "mq_getsetattr",
)


def _profile_namespaces():
    rules = {name: _deny() for name in _DENIED_EVERYWHERE}
    # clone3 passes its flags in memory a filter cannot read: pretend it does not
    # exist, and the C library falls back to clone(), which is checked.
    rules["clone3"] = _deny(errno.ENOSYS)
    rules["clone"] = _CLONE_NO_NAMESPACES
    return rules


def _profile_confined():
    rules = _profile_namespaces()
    for name in ("socket", "fork", "vfork", "setsid", "setpgid", "kill", "tkill", "rt_sigqueueinfo",
                 "pidfd_send_signal", "pidfd_open", "setpriority", "ioprio_set"):
        rules[name] = _deny()
    rules["clone"] = _CLONE_THREADS_ONLY
    own = _allow_values(0, lambda pid: [pid])
    own_or_zero = _allow_values(0, lambda pid: [pid, 0])
    rules["tgkill"] = own            # raise() and abort() signal their own thread group
    rules["rt_tgsigqueueinfo"] = own
    for name in ("prlimit64", "sched_setaffinity", "sched_setscheduler", "sched_setparam", "sched_setattr"):
        rules[name] = own_or_zero
    rules["fcntl"] = _deny_values(1, [F_SETOWN, F_SETSIG, F_SETOWN_EX])  # SIGIO to another process
    return rules


def _profile_no_exec():
    return {"execve": _deny(), "execveat": _deny()}


#: Named filters. ``namespaces``: no user namespaces, mounts, ptrace, file metadata
#: changes, inotify, SysV IPC or kernel interfaces students never need (the bwrap
#: and rlimits levels). ``confined``: that, plus no
#: network sockets, no new processes (threads only), no new sessions or process
#: groups, no signals to other processes (the landlock level). ``no_exec``: no
#: execve (stacked by the worker once it is running).
PROFILES = {"namespaces": _profile_namespaces, "confined": _profile_confined, "no_exec": _profile_no_exec}


def seccomp_unavailable_reason():
    """None when filters can be built and installed on this machine, else a sentence."""
    if _libc is None:
        return "no C library to make system calls with"
    if machine() not in SYSCALLS:
        return f"no seccomp system-call table for the {machine()} architecture (only {', '.join(SYSCALLS)})"
    action = ctypes.c_uint32(RET_ERRNO)
    if _libc.syscall(SYSCALLS[machine()]["seccomp"], SECCOMP_GET_ACTION_AVAIL, 0, ctypes.byref(action)) != 0:
        return f"the kernel offers no seccomp filters ({os.strerror(ctypes.get_errno())})"
    return None


def build_filter(profile, pid, arch=None):
    """The classic-BPF program of `profile` for process `pid`, as bytes.

    Parameters
    ----------
    profile : str
        A key of :data:`PROFILES`.
    pid : int
        The process the filter is for (as it sees itself): rules that allow
        acting on oneself compare with it.
    arch : str, optional
        Machine name (default: the running one).
    """
    arch = arch or machine()
    table = SYSCALLS[arch]
    program = [_insn(_BPF_LD_W_ABS, _OFFSET_ARCH), _insn(_BPF_JEQ, AUDIT_ARCH[arch], jt=1, jf=0),
               _insn(_BPF_RET, RET_KILL_PROCESS), _insn(_BPF_LD_W_ABS, _OFFSET_NR)]
    if arch == "x86_64":
        program += [_insn(_BPF_JGE, X32_SYSCALL_BIT, jt=0, jf=1)] + _deny()
    for name, rule in PROFILES[profile]().items():
        if name not in table:
            continue
        block = rule(pid) if callable(rule) else rule
        if len(block) > 255:
            raise ValueError(f"seccomp rule for {name} is too long")
        program += [_insn(_BPF_JEQ, table[name], jt=0, jf=len(block))] + block
    program.append(_insn(_BPF_RET, RET_ALLOW))
    return b"".join(program)


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def install_seccomp(profile):
    """Install the seccomp filter `profile` on this thread (threads created later inherit it).

    Raises
    ------
    OSError
        When seccomp is unavailable or the filter is refused.
    """
    reason = seccomp_unavailable_reason()
    if reason:
        raise OSError(errno.ENOSYS, reason)
    code = build_filter(profile, os.getpid())
    buffer = ctypes.create_string_buffer(code, len(code))
    fprog = _SockFprog(len(code) // 8, ctypes.cast(buffer, ctypes.c_void_p))
    _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(PR_SET_NO_NEW_PRIVS)")
    _check(_libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0), "seccomp")

