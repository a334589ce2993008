"""Sandbox slots for concurrent grading on one machine.

Each concurrent ``grade`` call needs its own sandbox slot (its own uid). A
slot is claimed with an exclusive ``flock`` on a file in a per-user folder,
so threads, processes and Dask workers on one host never share a slot, with
no coordination beyond the file system. Slots below :data:`FIRST_SLOT` are
left to standalone ``nngrade grade`` runs, which take the lowest free slots.
"""
from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import tempfile
from pathlib import Path
from typing import Iterator

#: Batch jobs use slots from here up, clear of the low slots standalone graders take first.
FIRST_SLOT = 100
#: One past the highest slot used (the sandbox allows 1000 slots).
SLOT_LIMIT = 1000


def _lock_dir() -> Path:
    path = Path(tempfile.gettempdir()) / f"nngrade-batch-slots-{os.geteuid()}"
    path.mkdir(mode=0o700, exist_ok=True)
    return path


@contextlib.contextmanager
def claim_slot(start: int = FIRST_SLOT, *, avoid: frozenset[int] = frozenset()) -> Iterator[int]:
    """Hold the first free slot from ``start`` for the duration of the ``with`` block.

    Parameters
    ----------
    start : int
        First slot to try (spreads concurrent claimers; wraps around).
    avoid : frozenset of int
        Slots not to use (e.g. one that just failed).

    Yields
    ------
    int
        The slot number, exclusive to the caller until the block ends.

    Raises
    ------
    RuntimeError
        When every slot is held.
    """
    folder = _lock_dir()
    span = SLOT_LIMIT - FIRST_SLOT
    for offset in range(span):
        slot = FIRST_SLOT + (start - FIRST_SLOT + offset) % span
        if slot in avoid:
            continue
        fd = os.open(folder / f"slot-{slot}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.EAGAIN, errno.EACCES):
                continue
            raise
        try:
            yield slot
        finally:
            os.close(fd)  # closing the descriptor releases the lock
        return
    raise RuntimeError(f"no free sandbox slot among {span}")
