"""Cross-entropy with soft targets (docs/API.md: targets are one-hot or soft rows), graded with the grader's maths.

The soft-target cross-entropy is ``-sum_k t_k log p_k`` per sample. A loss
that keeps only the argmax of each target row agrees on one-hot rows and
differs on soft ones; it loses only these checks. A loss already wrong on
one-hot targets loses its one-hot checks and earns nothing here (no
vacuous points), with a message that points at those checks.
"""
from __future__ import annotations

import numpy as np

from nngrade.checks.compare import CheckFailed, assert_close

from ..maths import losses

#: loss -> (its first argument, the checks that judge it on one-hot targets).
ONE_HOT_CHECKS = {
    "CrossEntropyLoss": ("probs", ("forward.cross_entropy", "gradients.cross_entropy_backward")),
    "SoftmaxCrossEntropyLoss": ("logits", ("forward.softmax_ce", "gradients.softmax_ce_backward")),
}
FORMULAS = {
    "CrossEntropyLoss": ("-sum_k target_k * log(probs_k)", "-target / probs / n"),
    "SoftmaxCrossEntropyLoss": ("-sum_k target_k * log_softmax(logits)_k", "(softmax(logits) - target) / n"),
}


def judge(ctx, cls: str, fixture: str) -> None:
    """Require the one-hot value and gradient first, then the soft-target value and gradient."""
    f = ctx.fixture(fixture)
    first, one_hot_checks = ONE_HOT_CHECKS[cls]
    x, soft, hard = f[first], f["target"], f["target_onehot"]
    value_formula, grad_formula = FORMULAS[cls]
    loss = ctx.new(cls)
    where = f"{cls}().forward({first}, target) with one-hot targets (the argmax of each soft row)"
    value = ctx.scalar(loss.call("forward", x, hard), call=where)
    try:
        assert_close(value, f["loss_onehot"], call=where, quantity="the one-hot cross-entropy", rtol=ctx.rtol,
                     atol_scale=ctx.atol_scale)
        assert_close(loss.call("backward"), f["grad_onehot"], call=f"{cls}().backward() after that forward",
                     quantity="the one-hot gradient", rtol=ctx.rtol, atol_scale=ctx.atol_scale)
    except CheckFailed as exc:
        raise CheckFailed(
            f"Not judged: on one-hot targets your {cls} already differs from the cross-entropy, which "
            f"{' and '.join(one_hot_checks)} judge; soft targets can only be judged once it is right, so this "
            f"check earns nothing until then. Measured: {str(exc).splitlines()[0]}") from None
    loss = ctx.new(cls)
    where = f"{cls}().forward({first}, target) with soft target rows (e.g. {np.round(soft[0], 3).tolist()})"
    value = ctx.scalar(loss.call("forward", x, soft), call=where)
    inputs = {first: x, "target": soft, "loss_argmax": float(f["loss_onehot"]), "grad_argmax": f["grad_onehot"]}
    fix = (f"use every entry of each target row: {value_formula} per sample, the mean over samples; "
           "np.argmax(target, axis=1) keeps only a soft row's largest entry.")
    ctx.compare(value, f["loss"], key="soft_value", call=where, inputs=inputs, fix=fix,
                quantity=f"the cross-entropy of soft targets, {value_formula} per sample")
    ctx.compare(loss.call("backward"), f["grad"], key="soft_grad", call=f"{cls}().backward() after that forward",
                inputs=inputs, fix=fix, quantity=f"gradients {grad_formula} with the soft targets")


def soft_fixture(rng, cls: str, n: int = 6, k: int = 3) -> dict:
    """Inputs with soft targets, and the grader's values for them and for their argmax one-hot rows."""
    soft = losses.soft_targets(rng, n, k)
    hard = losses.argmax_one_hot(soft)
    if cls == "CrossEntropyLoss":
        # NOTE: every probability >= 0.1 / k, so any accepted clip (<= 1e-6) gives the same value.
        x = 0.9 * rng.dirichlet(np.ones(k), size=n) + 0.1 / k
        value, gradient = losses.cross_entropy, losses.cross_entropy_gradient
    else:
        x = rng.normal(0, 2, (n, k))
        value, gradient = losses.softmax_cross_entropy, losses.softmax_cross_entropy_gradient
    return {ONE_HOT_CHECKS[cls][0]: x, "target": soft, "target_onehot": hard, "loss": np.float64(value(x, soft)),
            "grad": gradient(x, soft), "loss_onehot": np.float64(value(x, hard)), "grad_onehot": gradient(x, hard)}
