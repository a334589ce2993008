"""Networks built in the worker with the grader's parameters: from the student's classes, or from the grader's stand-ins."""
from __future__ import annotations

import numpy as np

from nngrade.sandbox import RemoteObject


def build_network(ctx, sizes, *, output_sigmoid=False, params=None):
    """Build the student's ``Network`` of ``Linear``/``Sigmoid`` layers and set its parameters.

    Parameters
    ----------
    ctx : CheckContext
    sizes : sequence of int
        Layer widths, e.g. ``(2, 4, 2)``.
    output_sigmoid : bool
        Put a ``Sigmoid`` after the last ``Linear`` too.
    params : list of ndarray, optional
        ``[W0, b0, W1, b1, ...]`` to assign (the grader always supplies them).

    Returns
    -------
    (network, linears) : remote objects
    """
    wanted: list[tuple[str, tuple]] = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        wanted.append(("Linear", (int(fan_in), int(fan_out))))
        if i < len(sizes) - 2 or output_sigmoid:
            wanted.append(("Sigmoid", ()))
    layers = ctx.session.new_many(wanted)  # one round trip; built in this order, as one by one
    linears = [layer for layer, (cls, _) in zip(layers, wanted) if cls == "Linear"]
    if params is not None:
        ctx.session.batch([("setattr", {"obj": linear, "name": name, "value": np.array(value, dtype=np.float64)})
                           for linear, (W, b) in zip(linears, zip(params[0::2], params[1::2]))
                           for name, value in (("W", W), ("b", b))])
    return ctx.new("Network", layers), linears


def stand_in(ctx, cls: str, *args):
    """The grader's own ``cls`` (``worker_stand_ins.py``) built in the worker, for a check of another unit."""
    value = ctx.session.operation("new_stand_in", {"cls": cls, "args": list(args),
                                                   "describe": f"building the grader's {cls}"})
    if not isinstance(value, RemoteObject):
        raise ctx.session.malformed("new_stand_in did not return an object handle")
    return value


def stand_in_network(ctx, params, *, output_sigmoid=False):
    """A ``Linear``/``Sigmoid`` network of the grader's stand-ins holding ``params`` ``[W0, b0, W1, b1, ...]``.

    Returns
    -------
    (network, linears) : remote objects
    """
    layers, linears = [], []
    count = len(params) // 2
    for i, (W, b) in enumerate(zip(params[0::2], params[1::2])):
        linear = stand_in(ctx, "Linear", np.array(W, dtype=np.float64), np.array(b, dtype=np.float64))
        linears.append(linear)
        layers.append(linear)
        if i < count - 1 or output_sigmoid:
            layers.append(stand_in(ctx, "Sigmoid"))
    return stand_in(ctx, "Network", layers), linears
