"""The grader's own SGD replays of training runs: computed ahead, kept in memory and on disk.

A replay (:func:`nngrade.assignments.nn_from_scratch.maths.backprop.replay`) depends only on what the grader
chose: initial parameters, data, batches, learning rate and loss. So it is

- **computed ahead**: :func:`start` runs it in a background thread while the
  worker trains the student's network, and :meth:`Pending.result` waits for it;
- **kept in memory** for later grades in the same process (a batch run);
- **kept on disk**, under ``$XDG_CACHE_HOME/nngrade/replays/``, keyed by the
  run's fingerprint and everything else the numbers depend on (kit version, the
  replay code, NumPy and its BLAS, the CPU model). A file holds exactly what
  the computation returned; one that is unreadable, corrupted (the zip CRC) or
  does not match the run is ignored and rewritten.

The disk cache is grader state that decides whether training was honest, so it
is only used when the sandbox keeps the worker from writing it (see
:func:`disk_cache_for`). Nothing here ever runs student code.
"""
from __future__ import annotations

import functools
import hashlib
import io
import math
import os
import platform
import stat
import threading
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np

from nngrade import __version__
from nngrade.assignments.nn_from_scratch.maths import backprop
from nngrade.engine.fsutil import user_cache_dir, write_bytes_atomically

#: Replays kept in memory: every submission graded with the same configuration has the same ones.
MEMORY_SIZE = 32
#: Replay files kept on disk (the least recently written beyond this are deleted).
DISK_FILES = 64

_memory: OrderedDict[str, tuple] = OrderedDict()
_lock = threading.Lock()


def disk_cache_for(isolation) -> DiskCache | None:
    """The user's replay cache, if the worker under ``isolation`` cannot write to it, else None.

    The worker cannot write there when its file system is read-only apart from
    its scratch directory (``bwrap``, ``landlock``) or it runs as another uid
    (the cache folder is private to the grader's uid).
    """
    features = isolation.features if isolation is not None else {}
    if not (features.get("readonly_fs") or features.get("uid_dropped")):
        return None
    return DiskCache(user_cache_dir("replays"))


class DiskCache:
    """Replay files in ``directory``, one ``<key>.npz`` per replay.

    A file holds the key, the recorded steps and ``values``: the final
    parameters, then those recorded at each step, flattened in that order.

    Parameters
    ----------
    directory : Path
        Created with mode 0700 when missing; not used when it is not owned by
        this uid or is writable by others.
    """

    def __init__(self, directory: Path):
        self.directory = Path(directory)

    def _safe(self) -> bool:
        """The folder is a real directory of this uid that nobody else can write to."""
        try:
            info = self.directory.lstat()
        except OSError:
            return False
        return stat.S_ISDIR(info.st_mode) and info.st_uid == os.geteuid() and not info.st_mode & 0o022

    def load(self, key: str, shapes: Sequence[tuple], steps: Sequence[int]) -> tuple | None:
        """The stored replay for ``key``, or None when absent or not exactly as expected."""
        path = self.directory / f"{key}.npz"
        if not self._safe():
            return None
        try:
            if path.is_symlink() or path.lstat().st_uid != os.geteuid():
                return None
            with np.load(path, allow_pickle=False) as archive:
                if str(archive["key"]) != key or archive["steps"].tolist() != list(steps):
                    return None
                values = archive["values"]
        except Exception:  # noqa: BLE001 - any unreadable file is a miss
            return None
        sizes = [math.prod(shape) for shape in shapes]
        if values.dtype != np.float64 or values.shape != ((1 + len(steps)) * sum(sizes),):
            return None
        parts = np.split(values, np.cumsum(sizes * (1 + len(steps)))[:-1])
        params = [part.reshape(shape) for part, shape in zip(parts, list(shapes) * (1 + len(steps)))]
        count = len(shapes)
        return params[:count], {step: params[count * (i + 1):count * (i + 2)] for i, step in enumerate(steps)}

    def save(self, key: str, result: tuple) -> None:
        """Write ``result`` atomically (:func:`nngrade.engine.fsutil.write_bytes_atomically`); failures are ignored."""
        final, recorded = result
        steps = sorted(recorded)
        values = np.concatenate([p.ravel() for params in [final, *(recorded[s] for s in steps)] for p in params])
        buffer = io.BytesIO()
        np.savez(buffer, key=np.array(key), steps=np.array(steps, dtype=np.int64), values=values)
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            if not self._safe():
                return
            write_bytes_atomically(self.directory / f"{key}.npz", buffer.getvalue())
            self._prune()
        except OSError:
            pass

    def _prune(self) -> None:
        files = sorted(self.directory.glob("*.npz"), key=lambda p: p.stat().st_mtime)
        for old in files[:-DISK_FILES]:
            old.unlink(missing_ok=True)


@functools.lru_cache(maxsize=1)
def environment_key() -> str:
    """What a replay's exact numbers depend on besides the run: code, NumPy, BLAS, CPU."""
    here = Path(__file__).parent
    parts = [__version__, np.__version__, platform.machine(), _cpu_model()]
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        parts.append(f"{blas.get('name')} {blas.get('version')}")
    except Exception:  # noqa: BLE001 - older NumPy: the version above still separates builds
        parts.append("blas unknown")
    for name in ("../maths/backprop.py", "../maths/evaluate.py", "replays.py", "integrity.py"):
        parts.append(hashlib.sha256((here / name).read_bytes()).hexdigest())
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def compute(run, steps: Sequence[int]) -> tuple[list, dict]:
    """The replay of ``run`` recorded at ``steps``, computed now (no cache)."""
    batches = (run.batch(step) for step in range(len(run.batches)))
    return backprop.replay(run.init, batches, run.lr, loss=run.loss, output_sigmoid=run.output_sigmoid,
                           record=steps)


def _obtain(run, steps: list, disk: DiskCache | None) -> tuple:
    """From memory, else from disk, else computed (and then stored in both)."""
    key = run.fingerprint(steps) + "-" + environment_key()[:16]
    with _lock:
        if key in _memory:
            _memory.move_to_end(key)
            return _memory[key]
    result = disk.load(key, run.shapes(), steps) if disk is not None else None
    if result is None:
        result = compute(run, steps)
        if disk is not None:
            disk.save(key, result)
    with _lock:
        _memory[key] = result
        _memory.move_to_end(key)
        while len(_memory) > MEMORY_SIZE:
            _memory.popitem(last=False)
    return result


class Pending:
    """A replay being obtained in the background; :meth:`result` waits for it."""

    def __init__(self, future: Future, run, steps: list, disk: DiskCache | None):
        self.future, self.run, self.steps, self.disk = future, run, steps, disk

    def result(self) -> tuple[list, dict]:
        """``(final, recorded)`` as :func:`nngrade.assignments.nn_from_scratch.maths.backprop.replay` returns them."""
        try:
            return self.future.result()
        except Exception:  # noqa: BLE001 - retried here, so a real error surfaces in this thread
            return _obtain(self.run, self.steps, self.disk)


def start(run, steps: Sequence[int], disk: DiskCache | None = None) -> Pending:
    """Begin obtaining the replay of ``run`` at ``steps`` (memory, then disk, then computed).

    The work, fingerprint included, runs in one background thread, so the
    grader can wait for the worker meanwhile; replays wanted by concurrent
    grades queue there, and the later ones find the earlier ones in memory. A
    process exiting first finishes the queued replays (and their cache files).
    """
    steps = list(steps)
    return Pending(_executor().submit(_obtain, run, steps, disk), run, steps, disk)


@functools.lru_cache(maxsize=1)
def _executor() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="nngrade-replay")


def _after_fork() -> None:
    """In a forked child the background thread is gone: start afresh (finished replays stay)."""
    global _lock
    _lock = threading.Lock()
    _executor.cache_clear()


os.register_at_fork(after_in_child=_after_fork)


def replay(run, steps: Sequence[int], disk: DiskCache | None = None) -> tuple[list, dict]:
    """The replay of ``run`` at ``steps``, waiting for it (see :func:`start`)."""
    return start(run, steps, disk).result()
