"""Figures of the report, drawn with seaborn in one consistent theme.

Each function takes the data first and options as keyword arguments, draws on
a new figure sized for an A4 page, and returns the figure; none computes a
statistic that :mod:`helpers.stats` does not already provide.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from helpers.codebook import Codebook, load_codebook

#: Width of the text block of an A4 page with 2.5 cm margins, in inches.
PAGE_WIDTH = 6.3
PALETTE = "colorblind"
DIVERGING = "vlag"  # blue-white-red; distinguishable with the common colour-vision deficiencies


def set_theme() -> None:
    """Apply the report's seaborn theme (call once per notebook)."""
    sns.set_theme(context="paper", style="whitegrid", palette=PALETTE, font_scale=1.0)
    plt.rcParams.update(
        {
            "figure.dpi": 110,
            "savefig.dpi": 220,
            "figure.figsize": (PAGE_WIDTH, 3.6),
            "axes.titlesize": 9,
            "axes.labelsize": 8,
            "xtick.labelsize": 7.5,
            "ytick.labelsize": 7.5,
            "svg.fonttype": "path",
            "pdf.fonttype": 42,  # embed TrueType fonts in vector output
        }
    )


def _wrap(text: str, width: int = 22) -> str:
    return "\n".join(textwrap.wrap(text, width))


def distributions(
    frame: pd.DataFrame, variables: Sequence[str], *, codebook: Codebook | None = None
) -> plt.Figure:
    """One panel per variable: a box plot with every city's value drawn over it."""
    codebook = codebook or load_codebook()
    ncols = 3
    nrows = int(np.ceil(len(variables) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(PAGE_WIDTH, 1.55 * nrows + 0.3), squeeze=False)
    colours = sns.color_palette(PALETTE)
    for ax, name in zip(axes.flat, variables, strict=False):
        field = codebook.field(name)
        sns.boxplot(
            x=frame[name],
            ax=ax,
            color=colours[0],
            width=0.45,
            fliersize=0,
            boxprops={"alpha": 0.35},
        )
        sns.stripplot(
            x=frame[name],
            ax=ax,
            color=colours[0],
            size=4,
            jitter=0.12,
            edgecolor="white",
            linewidth=0.4,
        )
        ax.set_xlabel(_wrap(field.axis_label, 40))
        ax.set_title(_wrap(field.title, 40))
        ax.set_yticks([])
    for ax in list(axes.flat)[len(variables) :]:
        ax.set_visible(False)
    fig.tight_layout()
    return fig


def correlation_heatmap(
    matrix: pd.DataFrame,
    *,
    title: str,
    codebook: Codebook | None = None,
    ax: plt.Axes | None = None,
) -> plt.Axes:
    """Draw a correlation matrix as an annotated heatmap from -1 to 1."""
    codebook = codebook or load_codebook()
    labels = [_wrap(codebook.field(c).title, 20) for c in matrix.columns]
    if ax is None:
        _, ax = plt.subplots(figsize=(PAGE_WIDTH / 2, PAGE_WIDTH / 2))
    sns.heatmap(
        matrix,
        vmin=-1,
        vmax=1,
        center=0,
        cmap=DIVERGING,
        annot=True,
        fmt=".2f",
        square=True,
        cbar=False,
        linewidths=0.5,
        annot_kws={"size": 7},
        xticklabels=labels,
        yticklabels=labels,
        ax=ax,
    )
    ax.set_title(title)
    ax.tick_params(axis="x", labelrotation=90)
    return ax


def correlation_pair(
    pearson: pd.DataFrame, spearman: pd.DataFrame, *, codebook: Codebook | None = None
) -> plt.Figure:
    """Pearson and Spearman matrices side by side."""
    fig, axes = plt.subplots(1, 2, figsize=(PAGE_WIDTH, 3.9))
    correlation_heatmap(pearson, title="Pearson r", codebook=codebook, ax=axes[0])
    correlation_heatmap(spearman, title="Spearman \u03c1", codebook=codebook, ax=axes[1])
    axes[1].set_yticklabels([])
    fig.tight_layout()
    return fig


def city_profile(
    frame: pd.DataFrame, variables: Sequence[str], *, codebook: Codebook | None = None
) -> plt.Figure:
    """Each city's value of each indicator, coloured by its z-score across cities.

    The colour says how far a city stands above (red) or below (blue) the mean of
    the ten cities in standard deviations; the number printed is the value itself.
    """
    codebook = codebook or load_codebook()
    city = codebook.id_field.name
    values = frame.set_index(city)[list(variables)].astype(float)
    z = (values - values.mean()) / values.std(ddof=1)
    annot = values.apply(lambda col: col.map(lambda v: f"{v:,.0f}"))
    labels = [_wrap(codebook.field(c).axis_label, 14) for c in variables]
    height = max(2.6, 0.3 * len(values) + 1.4)
    fig, ax = plt.subplots(figsize=(PAGE_WIDTH, height))
    sns.heatmap(
        z,
        cmap=DIVERGING,
        center=0,
        vmin=-2.5,
        vmax=2.5,
        annot=annot,
        fmt="",
        linewidths=0.5,
        annot_kws={"size": 7},
        xticklabels=labels,
        cbar_kws={"label": "z-score (SD from the mean)"},
        ax=ax,
    )
    ax.set_ylabel("")
    ax.tick_params(axis="x", labelrotation=0, labelsize=6.5)
    fig.tight_layout()
    return fig


def regression_grid(
    frame: pd.DataFrame, fits: pd.DataFrame, *, codebook: Codebook | None = None
) -> plt.Figure:
    """One panel per fit: the cities as points, labelled, and the least-squares line."""
    codebook = codebook or load_codebook()
    city = codebook.id_field.name
    outcomes = list(dict.fromkeys(fits["outcome"]))
    predictors = list(dict.fromkeys(fits["predictor"]))
    ncols = len(predictors)
    nrows = len(outcomes)
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(PAGE_WIDTH, 1.85 * nrows + 0.6), squeeze=False, sharey="row"
    )
    colours = sns.color_palette(PALETTE)
    for fit in fits.itertuples(index=False):
        ax = axes[outcomes.index(fit.outcome)][predictors.index(fit.predictor)]
        x = frame[fit.predictor].astype(float)
        y = frame[fit.outcome].astype(float)
        ax.scatter(x, y, s=14, color=colours[0], zorder=3)
        grid = np.linspace(x.min(), x.max(), 50)
        ax.plot(grid, fit.intercept + fit.slope * grid, color=colours[1], lw=1.2)
        if len(frame) <= 15:
            for xi, yi, name in zip(x, y, frame[city], strict=True):
                ax.annotate(
                    str(name), (xi, yi), fontsize=5, xytext=(2, 2), textcoords="offset points"
                )
        ax.set_title(f"R\u00b2 = {fit.r_squared:.2f}, n = {fit.n}", fontsize=7)
        ax.set_xlabel(_wrap(codebook.field(fit.predictor).axis_label, 24), fontsize=7)
        ax.set_ylabel(_wrap(codebook.field(fit.outcome).axis_label, 24), fontsize=7)
        ax.tick_params(labelsize=6)
    fig.tight_layout()
    return fig
