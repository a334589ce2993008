"""One BLAS thread for the grading process.

The grader's own NumPy work (replays, spot checks, evaluation) multiplies small
matrices while the worker keeps a core busy; on a loaded two-core machine a
second BLAS thread makes those products several times slower, never faster.
``graders/__init__.py`` therefore sets ``OPENBLAS_NUM_THREADS`` (and the OpenMP
and MKL equivalents) to 1 when NumPy is not imported yet and the user has not
chosen a value. When NumPy was imported first, :func:`single_thread` limits the
BLAS pool for the duration of a grade with ``threadpoolctl``, if installed.
An explicit setting of any of these variables is always respected.
"""
from __future__ import annotations

import contextlib
import os
import sys
import threading

VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")

_state = {"set_before_numpy": False, "depth": 0, "limiter": None}
_lock = threading.Lock()
os.register_at_fork(after_in_child=lambda: globals().update(_lock=threading.Lock()))


def limit_before_numpy() -> None:
    """Set the thread variables to 1 if NumPy is not loaded and none of them is set."""
    if "numpy" in sys.modules or any(name in os.environ for name in VARIABLES):
        return
    for name in VARIABLES:
        os.environ[name] = "1"
    _state["set_before_numpy"] = True


def chosen_by_user() -> dict[str, str]:
    """The thread variables set in the environment by someone other than nngrade."""
    if _state["set_before_numpy"]:
        return {}
    return {name: os.environ[name] for name in VARIABLES if name in os.environ}


def _threadpoolctl():
    try:
        import threadpoolctl
    except ImportError:
        return None
    return threadpoolctl


@contextlib.contextmanager
def single_thread():
    """Limit BLAS to one thread inside the block, unless already done or chosen by the user.

    Re-entrant and thread-safe: the first block to enter sets the limit, the
    last one to leave restores the previous setting.
    """
    if _state["set_before_numpy"] or chosen_by_user():
        yield
        return
    with _lock:
        if _state["depth"] == 0:
            module = _threadpoolctl()
            _state["limiter"] = module.threadpool_limits(1, user_api="blas") if module else None
        _state["depth"] += 1
    try:
        yield
    finally:
        with _lock:
            _state["depth"] -= 1
            if _state["depth"] == 0 and _state["limiter"] is not None:
                _state["limiter"].restore_original_limits()
                _state["limiter"] = None
