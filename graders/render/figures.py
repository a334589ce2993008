"""Matplotlib figures for the HTML pages, returned as base64 PNG (the assignment adds its own).

Figures are drawn on :class:`matplotlib.figure.Figure` with the Agg canvas
directly: no pyplot, no global backend switch, safe in threads.
"""
from __future__ import annotations

import base64
import io
import math
from typing import Sequence

import numpy as np

WIDTH = 7.0
BLUE, ORANGE = "#3b6ea8", "#d9822b"
CURVE_MARGINS = {"left": 0.09, "right": 0.98, "bottom": 0.16, "top": 0.9, "wspace": 0.3}


def _figure(height: float, ncols: int = 1, *, margins: dict | None = None):
    """A figure with ``ncols`` axes: fixed ``margins`` (fast) or, when None, constrained layout."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(WIDTH, height), dpi=100, layout=None if margins else "constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, ncols, squeeze=False)[0]
    if margins:
        fig.subplots_adjust(**margins)
    return fig, axes


def png_base64(fig) -> str:
    """Encode a figure as base64 PNG text (for a ``data:image/png;base64,`` URL)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def score_histogram(percents: Sequence[float]) -> str:
    """Histogram of scores in percent, bins of 5 points."""
    fig, (ax,) = _figure(3.0)
    ax.hist(list(percents), bins=np.arange(0, 105, 5), color=BLUE, edgecolor="white")
    ax.set_xlim(0, 100)
    ax.set_xlabel("score (% of available points)")
    ax.set_ylabel("submissions")
    return png_base64(fig)


def horizontal_bars(labels: Sequence[str], values: Sequence[float], *, xlabel: str, percent: bool = False) -> str:
    """One bar per label, top to bottom in the given order."""
    fig, (ax,) = _figure(max(1.6, 0.26 * len(labels) + 0.8))
    positions = np.arange(len(labels))[::-1]
    ax.barh(positions, values, color=BLUE)
    ax.set_yticks(positions, [_short(label) for label in labels], fontsize=8)
    ax.set_ylim(-0.6, len(labels) - 0.4)
    ax.set_xlabel(xlabel)
    if percent:
        ax.set_xlim(0, 100)
    else:
        from matplotlib.ticker import MaxNLocator

        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    return png_base64(fig)


def paired_bars(labels: Sequence[str], series: dict[str, Sequence[float | None]], *, xlabel: str) -> str:
    """Percent bars, one group per label (top to bottom in the given order), one bar per series.

    A value of None draws no bar (a check without a hidden twin); every bar is labelled with its value.
    """
    fig, (ax,) = _figure(max(1.8, 0.42 * len(labels) + 1.0))
    height = 0.8 / max(len(series), 1)
    colors = (BLUE, ORANGE, "#7b8794")
    positions = np.arange(len(labels))[::-1]
    for k, (name, values) in enumerate(series.items()):
        offsets = positions + 0.4 - height * (k + 0.5)
        shown = [(y, v) for y, v in zip(offsets, values) if v is not None]
        if not shown:
            continue
        ys, vs = zip(*shown)
        bars = ax.barh(ys, vs, height=height * 0.92, color=colors[k % len(colors)], label=name)
        ax.bar_label(bars, labels=[f"{v:.0f}%" for v in vs], padding=2, fontsize=7)
    ax.set_yticks(positions, [_short(label) for label in labels], fontsize=8)
    ax.set_ylim(-0.6, len(labels) - 0.4)
    ax.set_xlim(0, 112)
    ax.set_xlabel(xlabel)
    ax.legend(fontsize=7, loc="lower right")
    return png_base64(fig)


def _short(text: str, limit: int = 48) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def matrix_pair(left: list, right: list, *, titles: tuple[str, str]) -> str:
    """Two matrices as heatmaps on one shared, symmetric colour scale, values written in the cells."""
    a, b = np.asarray(left, dtype=float), np.asarray(right, dtype=float)
    finite = np.concatenate([a[np.isfinite(a)], b[np.isfinite(b)]])
    scale = float(np.max(np.abs(finite))) if finite.size else 1.0
    scale = scale if scale > 0 and math.isfinite(scale) else 1.0
    fig, axes = _figure(3.2, ncols=2, margins={"left": 0.06, "right": 0.82, "bottom": 0.1, "top": 0.9})
    for ax, matrix, title in zip(axes, (a, b), titles):
        image = ax.imshow(matrix, cmap="RdBu_r", vmin=-scale, vmax=scale)
        ax.set_title(title, fontsize=10)
        ax.set_xticks(range(matrix.shape[1]))
        ax.set_yticks(range(matrix.shape[0]))
        if matrix.size <= 36:
            for (i, j), value in np.ndenumerate(matrix):
                ax.text(j, i, f"{value:.3g}", ha="center", va="center", fontsize=7,
                        color="white" if abs(value) > 0.6 * scale else "black")
    fig.colorbar(image, cax=fig.add_axes((0.85, 0.15, 0.02, 0.7)))
    return png_base64(fig)
