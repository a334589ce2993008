"""The grader's side of the worker's ``train_steps`` operation (``worker_training.py``)."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def train_steps(session, net, loss, x, y, batches, lr: float, snapshots: Sequence[int] = (), *,
                timeout: float | None = None) -> dict:
    """Run mini-batch training steps in the worker in one round trip.

    For each row ``idx`` of `batches` (a 2-D int array, or a list of 1-D
    index arrays): ``out = net.forward(x[idx])``, ``l = loss.forward(out,
    y[idx])``, ``net.backward(loss.backward())``, ``net.step(lr)``.

    Parameters
    ----------
    session : WorkerSession
    net, loss : RemoteObject
    x, y : ndarray or Stored
    snapshots : sequence of int
        Steps at which to copy the parameters and gradients.
    timeout : float, optional
        Deadline for the whole run (default: the session's call timeout).

    Returns
    -------
    dict
        ``{"losses": float64 array (one per step), "snapshots": [{"step":
        int, "params": [...], "grads": [...], "updated": [...]}, ...]}``
        where ``params``/``grads`` are copied after ``backward`` and
        before ``step``, and ``updated`` after ``step``.
    """
    fields = {"net": net, "loss": loss, "x": x, "y": y, "batches": batches, "lr": float(lr),
              "snapshots": [int(s) for s in snapshots],
              "describe": "training (forward, backward and step for every batch)"}
    value = session.operation("train_steps", fields, timeout=timeout)
    losses = value.get("losses") if isinstance(value, dict) else None
    if not (isinstance(losses, np.ndarray) and losses.dtype == np.float64
            and losses.shape == (len(batches),) and isinstance(value.get("snapshots"), list)):
        raise session.malformed("malformed train_steps reply")
    try:
        checked = [_snapshot(item) for item in value["snapshots"]]
    except ValueError as exc:
        raise session.malformed(str(exc)) from None
    return {"losses": losses, "snapshots": checked}


def _snapshot(item: Any) -> dict:
    """Validate one train_steps snapshot; ValueError if malformed."""
    if not isinstance(item, dict) or type(item.get("step")) is not int:
        raise ValueError("malformed train_steps snapshot")
    keys = ("params", "grads", "updated")
    if not all(isinstance(item.get(k), list) and all(isinstance(a, np.ndarray) for a in item[k])
               for k in keys):
        raise ValueError("train_steps snapshot must hold lists of arrays")
    return {"step": item["step"], **{k: item[k] for k in keys}}
