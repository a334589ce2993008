"""Hostile entries that hang, exhaust resources, crash, flood output or leave processes behind.

Each attack sits in ``Softmax.jacobian`` (two checks, so deadlines stay short)
and is bounded by itself: loops end after 10 minutes, forks and threads are
capped, allocations stop at a few GiB, files at 160 MB.
"""
from __future__ import annotations

import glob
from pathlib import Path

from hostile.kit import JACOBIAN, Context, Entry, dedent, jacobian_replaced

OUTPUT_CAP = 64 * 1024
NAME_PREFIX = "hd-"


def _tagged(ctx: Context) -> str:
    """A process name (comm, at most 15 characters) unique to this run."""
    return (NAME_PREFIX + ctx.token)[:15]


def _name_process(ctx: Context) -> str:
    """A statement naming the calling process (prctl PR_SET_NAME) so leftovers can be found."""
    return f"ctypes.CDLL(None).prctl(15, ctypes.c_char_p({_tagged(ctx).encode()!r}), 0, 0, 0)"


def _no_process_named(ctx: Context, outcome) -> None:
    name = _tagged(ctx)
    found = []
    for comm in glob.glob("/proc/[0-9]*/comm"):
        try:
            if Path(comm).read_text().strip() == name:
                found.append(comm)
        except OSError:
            pass
    assert found == [], f"processes named {name} outlived the grader: {found}"
    assert list(ctx.canary.iterdir()) == [], f"a leftover process wrote {list(ctx.canary.iterdir())}"


def _output_capped(ctx: Context, outcome) -> None:
    for check in outcome.report["checks"]:
        assert len(check["output"].encode()) <= OUTPUT_CAP + 200, (check["id"], len(check["output"]))
    assert len(outcome.report.get("output", "").encode()) <= OUTPUT_CAP + 200


def _no_host_files(ctx: Context, outcome) -> None:
    assert glob.glob(f"/tmp/nngrade-hostile-{ctx.token}*") == []


def _build(name: str, body: str, prelude: str = "import time"):
    def build(ctx: Context):
        text = body.replace("@NAME@", _name_process(ctx)).replace("@TOKEN@", ctx.token) \
                   .replace("@CANARY@", str(ctx.canary)).replace("@OUTPUT@", str(ctx.output))
        return ctx.write(f"{name}.py", jacobian_replaced(text, prelude=prelude))
    return build


ZEROS = "return np.zeros((len(z), len(z[0]), len(z[0])))"
LOOP = "end = time.monotonic() + 600\nwhile time.monotonic() < end:\n    pass\n"
IGNORE_SIGNALS = ("for signum in (signal.SIGALRM, signal.SIGTERM, signal.SIGINT, signal.SIGHUP):\n"
                  "    signal.signal(signum, signal.SIG_IGN)\nsignal.alarm(1)\n"
                  + LOOP.replace("pass", "time.sleep(0.01)"))
MEMORY = "blocks = []\nfor _ in range(64):\n    blocks.append(np.ones(8 << 20))\nreturn blocks[0]"
FORKS = ("@NAME@\nfor _ in range(8):\n    try:\n        os.fork()\n    except OSError:\n        break\n"
         "time.sleep(30)\nos._exit(0)")
THREADS = dedent('''
    for _ in range(500):
        try:
            threading.Thread(target=time.sleep, args=(30,), daemon=True).start()
        except RuntimeError:
            break
''') + ZEROS
FLOOD = "chunk = 'x' * (1 << 20)\nfor _ in range(300):\n    print(chunk)\n" + ZEROS
DISK = dedent('''
    block = b'x' * (4 << 20)
    for i in range(40):
        for folder in ('.', os.environ.get('TMPDIR', '.'), '/tmp'):
            try:
                with open(f'{folder}/nngrade-hostile-@TOKEN@-{i}', 'wb') as handle:
                    handle.write(block)
            except OSError:
                pass
''') + ZEROS
DAEMON = dedent('''
    if os.fork() == 0:
        try:
            os.setsid()
            if os.fork() == 0:
                @NAME@
                for _ in range(50):
                    for target in ('@CANARY@/late.json', '@OUTPUT@'):
                        try:
                            open(target, 'w').write('{"score": 100}')
                        except OSError:
                            pass
                    time.sleep(0.2)
        finally:
            os._exit(0)
''') + ZEROS
#: The first check that calls the hanging method times out; the next one does not call it again
#: (``not_run``, which every entry that may time out also allows).
HANGS = dict(expect=("timeout", "not_run"), evidence="did not finish within")


def resource_attack(name: str, attack: str, build, **options) -> Entry:
    """An entry whose attack sits in Softmax.jacobian: two checks earn nothing, the rest stays full.

    forward.inputs_unchanged calls the Jacobian once among every other method: when the attack ends the
    worker there, that check is attacked too (it must earn 0); when the attack returns (the Jacobian's
    checks then fail), it is judged honestly on the other methods and may pass.
    """
    returns = "failed" in options.get("expect", ())  # the attack ends and the Jacobian returns zeros
    if returns:
        return Entry(name, "resources", attack, build, JACOBIAN, may_pass=("forward.inputs_unchanged",), **options)
    return Entry(name, "resources", attack, build, (*JACOBIAN, "forward.inputs_unchanged"), **options)


ENTRIES = [
    resource_attack("infinite_loop", "spin forever (ends by itself after 10 minutes)", _build("loop", LOOP), **HANGS),
    resource_attack("busy_loop_ignoring_sigxcpu", "ignore SIGXCPU, then spin",
                    _build("sigxcpu", "signal.signal(signal.SIGXCPU, signal.SIG_IGN)\n" + LOOP, "import signal, time"),
                    **HANGS),
    resource_attack("sleep_past_the_deadline", "sleep for 10 minutes", _build("sleep", "time.sleep(600)"), **HANGS),
    resource_attack("termination_signals_ignored", "ignore SIGALRM, SIGTERM, SIGINT and SIGHUP, then sleep",
                    _build("signals", IGNORE_SIGNALS, "import signal, time"), **HANGS),
    resource_attack("memory_bomb", "allocate 64 MB blocks until refused (at most 4 GiB)", _build("memory", MEMORY),
                    expect=("error", "timeout", "not_run")),
    resource_attack("fork_bomb", "fork 8 generations (at most 256 processes), each sleeping 30 s",
                    _build("forks", FORKS, "import ctypes, os, time"), after=_no_process_named,
                    expect=("timeout", "error", "not_run")),
    resource_attack("thread_bomb", "start up to 500 sleeping threads, then return zeros",
                    _build("threads", THREADS, "import threading, time"),
                    expect=("failed", "error", "timeout", "not_run")),
    resource_attack("stdout_flood", "print 300 MB, then return zeros", _build("flood", FLOOD), after=_output_capped,
                    expect=("failed", "timeout", "not_run")),
    resource_attack("disk_filler", "write 4 MB files into the cwd, $TMPDIR and /tmp until refused (at most 160 MB)",
                    _build("disk", DISK, "import os"), after=_no_host_files, expect=("failed", "timeout", "not_run")),
    resource_attack("ctypes_segfault", "dereference NULL through ctypes",
                    _build("segfault", "ctypes.string_at(0)", "import ctypes"), expect=("error",), evidence="SIGSEGV"),
    resource_attack("setsid_daemon", "fork a setsid daemon that keeps writing fake results for 10 s after its check",
                    _build("daemon", DAEMON, "import ctypes, os, time"), after=_no_process_named, landlock=True,
                    expect=("failed", "error")),
]
