"""Checks for a layer the kit does not have: ``Tanh``, graded from outside the kit.

Name this file in the assignment configuration and give its checks points::

    [extensions]
    modules = ["tanh_checks.py"]          # relative to the configuration file

    [checks]
    "tanh.forward" = { points = 1 }
    "tanh.backward" = { points = 2 }

The submission must then define ``Tanh`` with ``forward(x)`` and ``backward(grad_y)``,
like the kit's ``Sigmoid``. See docs/EXTENDING.md.
"""
from __future__ import annotations

import numpy as np

from nngrade import check

#: Names the worker describes to the grader (and the submission must define for these checks).
API = ("Tanh",)
#: Check groups this module adds, in run order after the assignment's own.
GROUPS = ("tanh",)


def _inputs(seed: int) -> np.ndarray:
    """A batch with large magnitudes too: tanh(+-30) is +-1 in float64, and must not be NaN."""
    x = np.random.default_rng(seed).normal(scale=3.0, size=(6, 5))
    x[0, :2] = (30.0, -30.0)
    return x


@check("tanh.forward", name="Tanh forward values", group="tanh", needs_api=("Tanh.forward",))
def tanh_forward(ctx):
    x = _inputs(1)
    layer = ctx.new("Tanh")
    yours = ctx.array(layer.call("forward", x), call="Tanh().forward(x)", shape=x.shape)
    ctx.compare(yours, np.tanh(x), key="forward", call="Tanh().forward(x)", quantity="tanh(x)",
                fix="return np.tanh(x), elementwise", inputs={"x": x})


@check("tanh.backward", name="Tanh backward: grad_y * (1 - y**2)", group="tanh",
       needs_api=("Tanh.forward", "Tanh.backward"))
def tanh_backward(ctx):
    x, grad_y = _inputs(2), np.random.default_rng(3).normal(size=(6, 5))
    layer = ctx.new("Tanh")
    layer.call("forward", x)
    yours = ctx.array(layer.call("backward", grad_y), call="Tanh().backward(grad_y)", shape=x.shape)
    y = np.tanh(x)
    # NOTE: the derivative uses the cached output y, 1 - y**2, which stays finite where cosh(x)**2 overflows.
    ctx.compare(yours, grad_y * (1.0 - y * y), key="backward", call="Tanh().backward(grad_y) after forward(x)",
                quantity="grad_y * (1 - tanh(x)**2)",
                fix="multiply grad_y by the derivative of tanh at the cached output y: 1 - y**2",
                inputs={"x": x, "grad_y": grad_y})
