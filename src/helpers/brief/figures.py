"""The reviewer document's own figures, drawn from their data and the words they are given.

Like seaborn's ``Plot.label`` or ggplot2's ``labs(alt = ...)``, each function takes
its titles, axis words and legend entries as arguments, so it draws in any language
without knowing about languages; the sections pass the words in the document's
language, and the alternative text that describes each figure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from helpers import plots


@dataclass(frozen=True)
class ForestWords:
    """The words of the lead figure."""

    axis: str  # "correlation r, with its 95% interval"
    band: str  # "a single pair cannot be told from zero"
    threshold: str  # "threshold for all eight pairs"
    doubted: str  # "includes a figure our reading doubts"


def forest(
    rows: pd.DataFrame,
    *,
    labels: Sequence[str],
    band: float,
    threshold: float,
    doubted: Sequence[bool],
    words: ForestWords,
) -> plt.Figure:
    """Every pair's correlation with its 95% interval, sorted, on one axis from −1 to 1.

    ``rows`` has columns ``r``, ``r_ci_low``, ``r_ci_high`` (one per pair, in the
    order of ``labels``). Shaded: |r| below ``band``, where a single correlation
    cannot be told from zero; dashed: ±``threshold``, the family's threshold (NaN:
    none drawn); a diamond instead of a dot marks the pairs of ``doubted``.
    """
    order = np.argsort(rows.r.to_numpy(), kind="stable")
    frame = rows.reset_index(drop=True).iloc[order]
    names = [labels[i] for i in order]
    marks = [bool(doubted[i]) for i in order]
    colours = sns.color_palette(plots.PALETTE)
    fig, ax = plt.subplots(figsize=(plots.PAGE_WIDTH, 0.34 * len(frame) + 1.5))
    ax.axvspan(-band, band, color="0.9", zorder=0, label=words.band)
    if threshold == threshold:
        for side in (-1, 1):
            ax.axvline(side * threshold, color=colours[3], lw=1, ls="--", zorder=1,
                       label=words.threshold if side == 1 else None)
    ax.axvline(0, color="0.5", lw=0.8, zorder=1)
    y = np.arange(len(frame))
    ax.hlines(y, frame.r_ci_low, frame.r_ci_high, color=colours[0], lw=1.4, zorder=2)
    plain = [not m for m in marks]
    ax.scatter(frame.r[plain], y[plain], s=28, color=colours[0], zorder=3)
    if any(marks):
        ax.scatter(frame.r[marks], y[marks], s=44, marker="D", color=colours[1], edgecolors="black",
                   linewidths=0.6, zorder=4, label=words.doubted)
    ax.set_yticks(y, names, fontsize=7)
    ax.set_xlim(-1, 1)
    ax.set_xlabel(words.axis, fontsize=8)
    ax.grid(axis="y", visible=False)
    fig.legend(loc="lower center", ncol=2, fontsize=6.5, frameon=False)
    plots.localize_numbers(fig)
    fig.tight_layout(rect=(0, 0.12, 1, 1))
    return fig


@dataclass(frozen=True)
class ScatterWords:
    """The words of a pair's scatter plot."""

    x: str
    y: str
    line: str  # "least-squares line"
    doubted: str  # "figure our reading doubts: the true value may be higher"


def pair_scatter(
    frame: pd.DataFrame,
    x: str,
    y: str,
    *,
    city: str,
    intercept: float,
    slope: float,
    doubted: Mapping[str, str],
    words: ScatterWords,
) -> plt.Figure:
    """One pair: the cities as labelled points, the fitted line, and the doubted figures as bounds.

    ``doubted`` maps a city to the direction its figure may lie in (``"up"``: a lower
    bound, drawn as a right-pointing triangle with an arrow towards larger values
    of ``x``). As the library's other figures: cities are named up to
    :data:`helpers.plots.LABELLED_POINTS` of them, and binned in hexagons above
    :data:`helpers.plots.POINTS_LIMIT` (the doubted ones still drawn one by one).
    """
    colours = sns.color_palette(plots.PALETTE)
    fig, ax = plt.subplots(figsize=(plots.PAGE_WIDTH * 0.8, 3.4))
    xs, ys = frame[x].astype(float).to_numpy(), frame[y].astype(float).to_numpy()
    names = [str(n) for n in frame[city]]
    bounded = np.array([name in doubted for name in names])
    if plots.dense(frame):
        plots.hexbin(ax, xs[~bounded], ys[~bounded], zorder=2)
    else:
        ax.scatter(xs[~bounded], ys[~bounded], s=20, color=colours[0], zorder=3)
    grid = np.linspace(xs.min(), xs.max(), 50)
    ax.plot(grid, intercept + slope * grid, color=colours[0], lw=1.1, zorder=2, label=words.line)
    if bounded.any():
        span = xs.max() - xs.min()
        ax.scatter(xs[bounded], ys[bounded], s=42, marker=">", color=colours[1], edgecolors="black",
                   linewidths=0.6, zorder=4, label=words.doubted)
        for value, height, name in zip(xs[bounded], ys[bounded], np.array(names)[bounded], strict=True):
            if doubted[name] == "up":
                ax.annotate("", xy=(value + 0.08 * span, height), xytext=(value, height),
                            arrowprops={"arrowstyle": "->", "color": colours[1], "lw": 1.1}, zorder=4)
    ax.set_xlabel(words.x, fontsize=8)
    ax.set_ylabel(words.y, fontsize=8)
    fig.legend(loc="lower center", ncol=2, fontsize=6.5, frameon=False)
    plots.localize_numbers(fig)
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    if len(names) <= plots.LABELLED_POINTS:
        plots.label_points(ax, xs, ys, names, fontsize=6)
    return fig
