"""This assignment's figures on the feedback page: XOR loss curves, decision boundaries, the softmax Jacobian.

:func:`feedback_sections` is the hook the HTML renderer calls (``ASSIGNMENT.figures``).
"""
from __future__ import annotations

import numpy as np

from nngrade.render.figures import (
    BLUE,
    CURVE_MARGINS,
    ORANGE,
    _figure,
    matrix_pair,
    png_base64,
)
from nngrade.render.html import esc, image, public_check

from .maths.evaluate import XOR_X

XOR_CHECKS = {"xor.softmax_ce": "softmax cross-entropy (2-H-2)", "xor.mse": "MSE (2-H-1)"}


def feedback_sections(report: dict) -> list[str]:
    """HTML sections for a student's feedback page, from the report's check data."""
    return _xor_section(report) + _jacobian_section(report)


def _xor_section(report: dict) -> list[str]:
    curves, boundaries, seeds = {}, {}, None
    for check_id, label in XOR_CHECKS.items():
        check = public_check(report, check_id)
        data = check["data"] if check else {}
        if data.get("loss_curves"):
            curves[label] = data["loss_curves"]
            seeds = data.get("seeds", seeds)
        params = data.get("final_params")
        if params and all(v is not None for p in params for v in _flat(p)):
            boundaries[label] = params
    parts = []
    if curves:
        parts += ["<h2>XOR training</h2>",
                  "<p>Loss during grader-driven training, one line per seed (same initial parameters as the reference).</p>",
                  image(loss_curves(curves, seeds), "XOR loss curves")]
    if boundaries:
        parts += ["<h2>Decision boundaries</h2>",
                  "<p>Decision boundary of your network after training from the first seed: the colour is "
                  "the class it predicts at each point of the plane; dots are the four XOR points.</p>",
                  image(decision_boundaries(boundaries), "XOR decision boundaries")]
    return parts


def check_images(report: dict) -> dict[str, list[tuple[str, str]]]:
    """PNG images (base64) per public XOR check for the platforms' results: its loss curves and boundary."""
    images = {}
    for check_id, label in XOR_CHECKS.items():
        check = public_check(report, check_id)
        data = check["data"] if check else {}
        found = []
        if data.get("loss_curves"):
            found.append((f"XOR loss curves, {label}", loss_curves({label: data["loss_curves"]}, data.get("seeds"))))
        params = data.get("final_params")
        if params and all(v is not None for p in params for v in _flat(p)):
            found.append((f"XOR decision boundary, {label}", decision_boundaries({label: params})))
        if found:
            images[check_id] = found
    return images


def _flat(value) -> list:
    if isinstance(value, list):
        return [v for item in value for v in _flat(item)]
    return [value]


def _jacobian_section(report: dict) -> list[str]:
    """The first public sample's Jacobian beside the reference's, only when the Jacobian itself is wrong."""
    check = public_check(report, "jacobians.softmax_jacobian")
    if not check or check["status"] == "passed":
        return []
    sample = check["data"].get("sample")
    if not sample or any(v is None for v in _flat(sample["yours"])):
        return []
    z = ", ".join(f"{v:.3g}" for v in sample["z"])
    return ["<h2>Softmax Jacobian</h2>",
            f"<p>Softmax().jacobian(z)[0] for z[0] = [{esc(z)}]: yours (left) and the reference (right).</p>",
            image(matrix_pair(sample["yours"], sample["reference"], titles=("yours", "reference")),
                  "softmax Jacobian, yours and the reference")]


def loss_curves(panels: dict[str, list[list[float | None]]], seeds: list[int] | None = None) -> str:
    """One panel per title, one line per seed (labelled with the configured seeds); non-finite points leave gaps."""
    fig, axes = _figure(3.0, ncols=max(1, len(panels)), margins=CURVE_MARGINS)
    for ax, (title, curves) in zip(axes, panels.items()):
        labels = seeds if seeds is not None and len(seeds) == len(curves) else list(range(len(curves)))
        for seed, curve in zip(labels, curves):
            values = np.array([np.nan if v is None else v for v in curve], dtype=float)
            ax.plot(np.linspace(0, 100, len(values)), values, lw=1.2, label=f"seed {seed}")
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("training progress (%)")
        ax.set_ylabel("loss")
        if any(v is not None and v > 0 for c in curves for v in c):
            ax.set_yscale("log")
        ax.legend(fontsize=7)
    return png_base64(fig)


def decision_boundaries(panels: dict[str, list]) -> str:
    """Predicted class over the plane for each title's ``[W0, b0, W1, b1]``, with the four XOR points."""
    from nngrade.assignments.nn_from_scratch.maths.evaluate import predictions

    fig, axes = _figure(3.2, ncols=max(1, len(panels)), margins=CURVE_MARGINS)
    grid = np.linspace(-0.5, 1.5, 121)
    gx, gy = np.meshgrid(grid, grid)
    points = np.c_[gx.ravel(), gy.ravel()]
    for ax, (title, params) in zip(axes, panels.items()):
        arrays = [np.asarray(p, dtype=float) for p in params]
        sigmoid_out = arrays[-1].shape[-1] == 1
        with np.errstate(all="ignore"):
            classes = predictions(arrays, points, output_sigmoid=sigmoid_out).reshape(gx.shape)
        ax.contourf(gx, gy, classes, levels=[-0.5, 0.5, 1.5], colors=["#dbe6f3", "#f7dfc6"])
        ax.scatter(XOR_X[:, 0], XOR_X[:, 1], c=[BLUE, ORANGE, ORANGE, BLUE], s=80, edgecolors="black")
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("x1")
        ax.set_ylabel("x2")
        ax.set_aspect("equal")
    return png_base64(fig)
