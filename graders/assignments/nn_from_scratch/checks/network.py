"""The student's ``Network`` of ``Linear``/``Sigmoid`` layers, built in the worker with the grader's parameters."""
from __future__ import annotations

import numpy as np


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
    layers, linears = [], []
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        linear = ctx.new("Linear", int(fan_in), int(fan_out))
        linears.append(linear)
        layers.append(linear)
        if i < len(sizes) - 2 or output_sigmoid:
            layers.append(ctx.new("Sigmoid"))
    if params is not None:
        for linear, (W, b) in zip(linears, zip(params[0::2], params[1::2])):
            linear.set("W", np.array(W, dtype=np.float64))
            linear.set("b", np.array(b, dtype=np.float64))
    return ctx.new("Network", layers), linears
