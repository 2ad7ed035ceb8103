"""Figures of the report, drawn with seaborn in one consistent theme.

Each function takes the data first and options as keyword arguments, draws on
a new figure sized for an A4 page, and returns the figure; none computes a
statistic that :mod:`helpers.stats` does not already provide.

Figures stay readable whatever the number of cities: above
:data:`POINTS_LIMIT` cities, points become bins (hexagons shaded by the number of
cities, histograms), and figures with one row per city show the cities that
matter most (:data:`SHOWN_CITIES` from each end) instead of thousands of rows.

Every word drawn on a figure (titles, axis labels, legends, the names of the
specification curve's choices) is written in the active language of
:mod:`helpers.i18n` when the figure is drawn, and so are the fields' titles and
units (:meth:`helpers.codebook.Codebook.field`). The values printed in cells go
through :func:`helpers.i18n.decimal`, the one path every printed number takes (ties
half up, a true minus sign), so a figure and a table print the same number the same
way. In a language other than English the numbers drawn take that language's notation
("1.000", "0,45"): the cells, and the tick labels of every numeric axis, through a
:class:`~matplotlib.ticker.FuncFormatter` that rewrites matplotlib's own labels with
:mod:`helpers.i18n` (never the operating system's locale); English tick labels are
matplotlib's own.

Every function that names an indicator takes the codebook that describes the values
drawn (``codebook=``, required): the published one, or the analysed one whose units
say the scale (:func:`helpers.specification.analysed`).
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Mapping, Sequence
from contextlib import contextmanager

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.ticker import Formatter, FuncFormatter, LogFormatter, MaxNLocator, ScalarFormatter

from helpers import i18n
from helpers.codebook import Codebook
from helpers.contract import PER_RESIDENTS
from helpers.i18n import _, pgettext
from helpers.tables import format_fixed, format_number

#: The salt of the ids in every SVG figure (matplotlib's ``svg.hashsalt``; random when unset).
SVG_HASH_SALT = "inclusion-report"
#: Seed of the horizontal jitter of strip plots (same data, same figure).
JITTER_SEED = 20240529

#: Width of the text block of an A4 page with 2.5 cm margins, in inches.
PAGE_WIDTH = 6.3
PALETTE = "colorblind"
DIVERGING = "vlag"  # blue-white-red; distinguishable with the common colour-vision deficiencies
SEQUENTIAL = "Blues"
#: Most cities drawn one point each; above, points are binned.
POINTS_LIMIT = 200
#: Most cities given one row each in a figure; above, only the ends are shown.
ROWS_LIMIT = 30
#: Cities shown from each end (or in all) when a figure cannot show every city.
SHOWN_CITIES = 10
#: Hexagons across a binned panel.
HEXBIN_GRIDSIZE = 28
#: Most panels side by side in a row of the regression grid; more inputs wrap to a new row.
GRID_COLUMNS = 4


def dense(frame: pd.DataFrame | Sequence) -> bool:
    """True when there are too many cities to draw one point each."""
    return len(frame) > POINTS_LIMIT


def hexbin(ax: plt.Axes, x, y, **kwargs):
    """Cities binned in hexagons, shaded by how many fall in each (log scale)."""
    return ax.hexbin(
        x,
        y,
        gridsize=HEXBIN_GRIDSIZE,
        bins="log",
        mincnt=1,
        cmap=SEQUENTIAL,
        linewidths=0,
        **kwargs,
    )


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
            # the ids of an SVG's clip paths and glyphs from a fixed salt, not a random one:
            # the same figure gives the same bytes in every run (and so the same PDF)
            "svg.hashsalt": SVG_HASH_SALT,
            "pdf.fonttype": 42,  # embed TrueType fonts in vector output
        }
    )


def _wrap(text: str, width: int = 22) -> str:
    return "\n".join(textwrap.wrap(text, width))


def _number(x: float, decimals: int) -> str:
    """A value printed in a figure's cell, rounded as every table rounds it (:func:`helpers.i18n.decimal`).

    Ties half up ("0.13" for 0.125, where Python's format writes "0.12"), a true minus sign,
    and the language's notation: "1,000" and "0.45" in English, "1.000" and "0,45" in Italian.
    """
    return i18n.decimal(x, decimals)


def _describe(fig: plt.Figure, text: str) -> plt.Figure:
    """Attach ``text`` to ``fig`` as its alternative text (see :func:`alt_text`)."""
    fig.alt_text = text
    return fig


#: A dollar sign not already escaped: matplotlib reads text between two of them as mathtext.
_DOLLAR = re.compile(r"(?<!\\)\$")


def literal(text: str) -> str:
    r"""``text`` as matplotlib must print it: every ``$`` a dollar sign, never the start of mathtext.

    >>> literal("Costs in $ and $$")
    'Costs in \\$ and \\$\\$'
    """
    return _DOLLAR.sub(r"\\$", text)


class _WrappedTicks(FuncFormatter):
    """A formatter that rewrites the labels of another (``inner``), which still chooses them."""

    inner: Formatter

    def set_axis(self, axis) -> None:
        """Attach both formatters to ``axis``."""
        super().set_axis(axis)
        self.inner.set_axis(axis)

    def set_locs(self, locs) -> None:
        """Let the wrapped formatter choose its format for the ticks at ``locs``."""
        super().set_locs(locs)
        self.inner.set_locs(locs)


class LiteralTicks(_WrappedTicks):
    """Tick labels given as words (a city, a field), passed through :func:`literal`."""

    def __init__(self, formatter):
        self.inner = formatter
        super().__init__(lambda x, pos=None: literal(str(self.inner(x, pos))))


def literal_text(fig: plt.Figure) -> plt.Figure:
    """Make every text of ``fig`` print as written: names and labels from the data never parse as mathtext.

    A codebook title or a city name with two ``$`` in it would otherwise be read as
    mathematics: printed wrong, or stopping the figure with a parse error. Tick labels
    that matplotlib's number formatters write (the powers of ten of a log axis, which
    are mathtext) are left alone; tick labels given as words (cities, fields) are made
    literal. Called on every figure the notebooks and the reviewer document show.
    """
    from matplotlib.text import Text

    ticks = set()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            for formatter, setter in ((axis.get_major_formatter(), axis.set_major_formatter),
                                      (axis.get_minor_formatter(), axis.set_minor_formatter)):
                if not isinstance(formatter, ScalarFormatter | LogFormatter | LocalizedTicks | LiteralTicks):
                    setter(LiteralTicks(formatter))  # words (cities, fields) set as tick labels
            ticks |= {id(t) for t in axis.get_ticklabels(which="both")}
    for text in fig.findobj(Text):
        if id(text) not in ticks:
            text.set_text(literal(text.get_text()))
    return fig


def alt_text(fig: plt.Figure) -> str:
    """What ``fig`` shows, in words, for a reader who cannot see it ("" if never described).

    Every figure of this module describes itself from its data when it is drawn, in
    the active language: the kind of figure, what it plots, how many cities, and its
    key number. The HTML export gives the text to the figure's image as its ``alt``.
    """
    return getattr(fig, "alt_text", "")


def _cities(n: int) -> str:
    return i18n.ngettext("{n} city", "{n} cities", n).format(n=i18n.integer(n))


def _value(x: float) -> str:
    """A number in an alternative text: three significant digits, the language's notation."""
    return format_number(float(x))


#: A tick label that is a plain number, as matplotlib's ScalarFormatter writes one.
_PLAIN_NUMBER = re.compile(r"[-\u2212]?\d+(\.\d+)?")


def localized_tick(text: str) -> str:
    """A tick label written by matplotlib (English notation) in the active language's notation.

    A plain number gets the language's decimal and thousands separators and keeps
    its number of decimals; mathtext (the powers of ten of a log axis) has none
    to change and stays as it is.

    >>> with i18n.language("it"):
    ...     localized_tick("0.50"), localized_tick("\u22122.5"), localized_tick("10000")
    ('0,50', '\u22122,5', '10.000')
    """
    if i18n.current() == i18n.SOURCE_LANGUAGE:
        return text
    if _PLAIN_NUMBER.fullmatch(text):
        decimals = len(text.partition(".")[2])
        return i18n.decimal(float(text.replace("\u2212", "-")), decimals)
    if "$" in text:
        return text
    return i18n.localize(text)


class LocalizedTicks(_WrappedTicks):
    """Matplotlib's own tick labels of a numeric axis, rewritten in one language's notation.

    The wrapped formatter (a ScalarFormatter or a LogFormatter) still chooses the
    labels, their decimals and the axis offset; this formatter only rewrites each
    through :func:`localized_tick` in the language active when it was made.
    """

    def __init__(self, formatter, lang: str | None = None):
        self.inner = formatter
        self.lang = lang or i18n.current()
        super().__init__(self._format)

    def _format(self, x, pos=None) -> str:
        with i18n.language(self.lang):
            return localized_tick(self.inner(x, pos))

    def get_offset(self) -> str:
        """The axis offset (e.g. ``1e6``) in the language's notation."""
        with i18n.language(self.lang):
            return localized_tick(self.inner.get_offset())


def localize_numbers(fig: plt.Figure) -> plt.Figure:
    """Give every numeric axis of ``fig`` tick labels in the active language's notation.

    Nothing changes in English. Axes whose ticks are words (a heatmap's fields, the
    cities of a leave-one-out panel) keep them.
    """
    if i18n.current() == i18n.SOURCE_LANGUAGE:
        return fig
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            if isinstance(axis.get_major_formatter(), ScalarFormatter | LogFormatter):
                axis.set_major_formatter(LocalizedTicks(axis.get_major_formatter()))
            if isinstance(axis.get_minor_formatter(), ScalarFormatter | LogFormatter):
                axis.set_minor_formatter(LocalizedTicks(axis.get_minor_formatter()))
    return fig


def _percent_units(field) -> str:
    """The unit of an outcome in a slope's label: the article's % units say neither points nor change."""
    return _("article's % units") if field.unit == "%" else field.unit_text


def distributions(
    frame: pd.DataFrame, variables: Sequence[str], *, codebook: Codebook
) -> plt.Figure:
    """One panel per variable: a box plot with every city's value drawn over it.

    Above :data:`POINTS_LIMIT` cities each panel is a histogram instead; a count
    that spans more than two orders of magnitude gets logarithmic bins and axis.
    """
    ncols = 3
    nrows = int(np.ceil(len(variables) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(PAGE_WIDTH, 1.8 * nrows + 0.3), squeeze=False)
    colours = sns.color_palette(PALETTE)
    for ax, name in zip(axes.flat, variables, strict=False):
        field = codebook.field(name)
        if dense(frame):
            values = frame[name].astype(float)
            logarithmic = _spans_magnitudes(values)
            if logarithmic and field.is_count:  # edges between whole numbers: no empty bins
                bins = np.unique(np.round(np.geomspace(values.min(), values.max() + 1, 31))) - 0.5
            elif logarithmic:
                bins = np.geomspace(values.min(), values.max(), 31)
            else:
                bins = 30
            ax.hist(values, bins=bins, color=colours[0], alpha=0.8)
            if logarithmic:
                ax.set_xscale("log")
            ax.set_ylabel(pgettext("axis", "cities"), fontsize=7)
            ax.tick_params(labelsize=6.5)
            ax.set_xlabel(_wrap(field.axis_label, 30))
            ax.set_title(_wrap(field.title, 30))
            continue
        sns.boxplot(
            x=frame[name],
            ax=ax,
            color=colours[0],
            width=0.45,
            fliersize=0,
            boxprops={"alpha": 0.35},
        )
        with _seeded_global_random(JITTER_SEED):  # seaborn jitters with np.random
            sns.stripplot(
                x=frame[name],
                ax=ax,
                color=colours[0],
                size=4,
                jitter=0.12,
                edgecolor="white",
                linewidth=0.4,
            )
        ax.set_xlabel(_wrap(field.axis_label, 34), fontsize=7.5)
        # a third of the page wide: titles wrap onto two lines rather than run into the next
        ax.set_title(_wrap(field.title, 30), fontsize=8)
        ax.set_yticks([])
    for ax in list(axes.flat)[len(variables) :]:
        ax.set_visible(False)
    localize_numbers(fig)
    fig.tight_layout()
    ranges = "; ".join(
        _("{title}: from {low} to {high}, median {median}").format(
            title=codebook.field(name).title,
            low=_value(frame[name].min()),
            high=_value(frame[name].max()),
            median=_value(frame[name].median()),
        )
        for name in variables
    )
    described = (
        _("Histograms of {count} indicators across {cities}, one panel each. {ranges}.")
        if dense(frame)
        else _(
            "Box plots of {count} indicators with a dot for each of {cities}, one panel each. {ranges}."
        )
    )
    return _describe(
        fig,
        described.format(
            count=i18n.integer(len(variables)), cities=_cities(len(frame)), ranges=ranges
        ),
    )


@contextmanager
def _seeded_global_random(seed: int):
    """Seed numpy's global generator for a block, then put its state back.

    seaborn's strip plot draws its jitter from ``np.random`` with no seed argument;
    seeding it makes the same data give the same figure in every run.
    """
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(state)


def _spans_magnitudes(values: pd.Series) -> bool:
    """True for positive values spanning more than two orders of magnitude (drawn on a log axis)."""
    return bool(values.min() > 0 and values.max() / values.min() > 100)


def logarithmic_counts(frame: pd.DataFrame, variables: Sequence[str]) -> list[str]:
    """The variables that binned figures draw on a logarithmic axis (for their captions)."""
    if not dense(frame):
        return []
    return [name for name in variables if _spans_magnitudes(frame[name].astype(float))]


def correlation_heatmap(
    matrix: pd.DataFrame,
    *,
    title: str,
    codebook: Codebook,
    ax: plt.Axes | None = None,
) -> plt.Axes:
    """Draw a correlation matrix as an annotated heatmap from -1 to 1."""
    labels = [_wrap(codebook.field(c).title, 20) for c in matrix.columns]
    if ax is None:
        _, ax = plt.subplots(figsize=(PAGE_WIDTH / 2, PAGE_WIDTH / 2))
    sns.heatmap(
        matrix,
        vmin=-1,
        vmax=1,
        center=0,
        cmap=DIVERGING,
        annot=matrix.apply(lambda col: col.map(lambda v: _number(v, 2))),
        fmt="",
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
    pearson: pd.DataFrame, spearman: pd.DataFrame, *, codebook: Codebook
) -> plt.Figure:
    """Pearson and Spearman matrices side by side."""
    fig, axes = plt.subplots(1, 2, figsize=(PAGE_WIDTH, 3.9))
    correlation_heatmap(pearson, title=_("Pearson r"), codebook=codebook, ax=axes[0])
    correlation_heatmap(spearman, title=_("Spearman \u03c1"), codebook=codebook, ax=axes[1])
    axes[1].set_yticklabels([])
    fig.tight_layout()
    text = _(
        "Two heat maps of the correlations between {count} indicators, Pearson's r on the left and "
        "Spearman's \u03c1 on the right, each cell printed and shaded from \u22121 (blue) to 1 (red)."
    ).format(count=i18n.integer(len(pearson.columns)))
    names = list(pearson.columns)
    pairs = [(i, j) for i in range(len(names)) for j in range(i + 1, len(names))]
    if pairs:
        i, j = max(pairs, key=lambda ij: abs(pearson.iat[ij]))
        text += " " + _(
            "The strongest Pearson correlation is between {first} and {second}: r = {r} (\u03c1 = {rho})."
        ).format(
            first=codebook.field(names[i]).title,
            second=codebook.field(names[j]).title,
            r=format_fixed(pearson.iat[i, j]),
            rho=format_fixed(spearman.loc[names[i], names[j]]),
        )
    return _describe(fig, text)


def profile_rows(frame: pd.DataFrame, by: str) -> pd.DataFrame:
    """The cities :func:`city_profile` shows: all, or the ends of the ranking by ``by``.

    Up to :data:`ROWS_LIMIT` cities, every one in file order; above, the
    :data:`SHOWN_CITIES` with the highest and the lowest value of ``by``, highest first.
    """
    if len(frame) <= ROWS_LIMIT:
        return frame
    ranked = frame.sort_values(by, ascending=False, kind="stable")
    return pd.concat([ranked.head(SHOWN_CITIES), ranked.tail(SHOWN_CITIES)])


def city_profile(
    frame: pd.DataFrame, variables: Sequence[str], *, codebook: Codebook
) -> plt.Figure:
    """Each city's value of each indicator, coloured by its z-score across cities.

    The colour says how far a city stands above (red) or below (blue) the mean of
    all cities in standard deviations; the number printed is the value itself.
    With more than :data:`ROWS_LIMIT` cities, only those of :func:`profile_rows`
    (the ends of the ranking by the first variable) get a row, split by a line.
    """
    city = codebook.id_field.name
    values = frame.set_index(city)[list(variables)].astype(float)
    z = (values - values.mean()) / values.std(ddof=1)
    shown = profile_rows(frame, variables[0])[city]
    values, z = values.loc[shown], z.loc[shown]
    annot = values.apply(lambda col: col.map(lambda v: _number(v, 0)))
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
        cbar_kws={"label": _("z-score (SD from the mean)")},
        ax=ax,
    )
    if len(shown) < len(frame):
        ax.axhline(SHOWN_CITIES, color="black", lw=1.5)
        ax.tick_params(axis="y", labelsize=6.5)
    ax.set_ylabel("")
    ax.tick_params(axis="x", labelrotation=0, labelsize=6.5)
    localize_numbers(fig)
    fig.tight_layout()
    farthest = z.abs().stack().idxmax()
    text = _(
        "Heat map of {count} indicators (columns) for {cities} (rows): each cell prints the city's "
        "value, shaded by its distance from the mean of all cities in standard deviations. The "
        "farthest from the mean is {city} in {indicator}: {value}, z = {z}."
    ).format(
        count=i18n.integer(len(variables)),
        cities=_cities(len(shown)),
        city=farthest[0],
        indicator=codebook.field(farthest[1]).title,
        value=_value(values.loc[farthest]),
        z=format_fixed(z.loc[farthest], 1),
    )
    return _describe(fig, text)


def regression_grid(
    frame: pd.DataFrame,
    fits: pd.DataFrame,
    *,
    codebook: Codebook,
    flagged: pd.DataFrame | None = None,
) -> plt.Figure:
    """One panel per fit: the cities as points, labelled, and the least-squares line.

    Each outcome has a row of panels, one per input, sharing the outcome's scale;
    more than :data:`GRID_COLUMNS` inputs wrap onto further rows of the same outcome
    (five inputs: rows of three and two).

    ``flagged`` (columns ``outcome, predictor, city``) marks cities with high
    leverage or a large Cook's distance in that fit with an open orange ring.
    Above :data:`POINTS_LIMIT` cities, hexagons shaded by the number of cities
    replace the points, without names or rings, and an input spanning more than
    two orders of magnitude gets a logarithmic axis (the straight line then bends).
    """
    city = codebook.id_field.name
    outcomes = list(dict.fromkeys(fits["outcome"]))
    predictors = list(dict.fromkeys(fits["predictor"]))
    # each outcome gets a band of rows of at most GRID_COLUMNS panels, one per input, as even as can be
    band = int(np.ceil(len(predictors) / GRID_COLUMNS))
    ncols = int(np.ceil(len(predictors) / band))
    fig, grid = plt.subplots(
        len(outcomes) * band,
        ncols,
        figsize=(PAGE_WIDTH, 1.85 * len(outcomes) * band + 0.8),
        squeeze=False,
        sharey="row" if band == 1 else False,
    )
    axes = [
        [grid[o * band + p // ncols][p % ncols] for p in range(len(predictors))]
        for o in range(len(outcomes))
    ]
    for o, row in enumerate(axes):
        if band > 1:  # one y scale per outcome, as sharey="row" gives a band of one row
            for ax in row[1:]:
                ax.sharey(row[0])
        for p in range(len(predictors), band * ncols):
            grid[o * band + p // ncols][p % ncols].set_visible(False)
    colours = sns.color_palette(PALETTE)
    binned = dense(frame)
    labelled = []  # (axes, x, y, names): cities named once the layout is final
    if binned:
        flagged = None  # hundreds of rings would hide the data; the tables list them
    for fit in fits.itertuples(index=False):
        ax = axes[outcomes.index(fit.outcome)][predictors.index(fit.predictor)]
        x = frame[fit.predictor].astype(float)
        y = frame[fit.outcome].astype(float)
        logarithmic = binned and _spans_magnitudes(x)
        if binned:
            hexbin(ax, x, y, zorder=2, xscale="log" if logarithmic else "linear")
        else:
            ax.scatter(x, y, s=14, color=colours[0], zorder=3)
        grid = (np.geomspace if logarithmic else np.linspace)(x.min(), x.max(), 50)
        line = {"zorder": 4} if binned else {}  # over the hexagons; under the points as ever
        ax.plot(grid, fit.intercept + fit.slope * grid, color=colours[1], lw=1.2, **line)
        if flagged is not None:
            mine = flagged[(flagged.outcome == fit.outcome) & (flagged.predictor == fit.predictor)]
            mask = frame[city].isin(mine.city)
            ax.scatter(
                x[mask],
                y[mask],
                s=60,
                facecolors="none",
                edgecolors=colours[3],
                lw=1.2,
                zorder=4,
                label=_("high leverage or influence"),
            )
        if len(frame) <= LABELLED_POINTS:
            labelled.append((ax, x.to_numpy(), y.to_numpy(), [str(name) for name in frame[city]]))
        ax.set_title(
            _("R\u00b2 = {r_squared}, n = {n}").format(
                r_squared=i18n.decimal(fit.r_squared, 2), n=i18n.integer(fit.n)
            ),
            fontsize=7,
        )
        ax.set_xlabel(_wrap(codebook.field(fit.predictor).axis_label, 24), fontsize=7)
        ax.set_ylabel(_wrap(codebook.field(fit.outcome).axis_label, 24), fontsize=7)
        ax.tick_params(labelsize=6)
    localize_numbers(fig)
    if flagged is not None and len(flagged):
        fig.legend(
            handles=[plt.Line2D([], [], marker="o", ls="", mfc="none", mec=colours[3], ms=7)],
            labels=[_("city with high leverage (> 2p/n) or Cook's distance (> 4/n) in that fit")],
            loc="lower center",
            fontsize=7,
            frameon=False,
        )
        fig.tight_layout(rect=(0, 0.04, 1, 1))
    else:
        fig.tight_layout()
    for ax, x, y, names in labelled:
        label_points(ax, x, y, names, fontsize=5)
    best = fits.loc[fits.r_squared.idxmax()]
    text = _(
        "Scatter plots of each outcome against each input, {pairs} panels of {cities}, each with "
        "its least-squares line. The closest fit is {outcome} against {input}: R\u00b2 = {r_squared}, "
        "r = {r}, slope {slope}."
    ).format(
        pairs=i18n.integer(len(fits)),
        cities=_cities(len(frame)),
        outcome=codebook.field(best.outcome).title,
        input=codebook.field(best.predictor).title,
        r_squared=format_fixed(best.r_squared),
        r=format_fixed(np.sign(best.slope) * np.sqrt(best.r_squared)),
        slope=_value(best.slope),
    )
    return _describe(fig, text)


#: Most cities named next to their point in a scatter plot; above, the points stay unnamed.
LABELLED_POINTS = 15
#: Where a point's name may go, in points from the point: right, left, above, below, the corners,
#: then the same a little farther.
_LABEL_SPOTS = [
    (3, 0), (-3, 0), (0, 3.5), (0, -3.5), (3, 3), (-3, 3), (3, -3), (-3, -3),
    (0, 8), (0, -8), (6, 6), (-6, 6), (6, -6), (-6, -6),
]
_LABEL_ALIGN = {-1: "right", 0: "center", 1: "left"}
_LABEL_VALIGN = {-1: "top", 0: "center", 1: "bottom"}


def _overlap(a, b) -> float:
    """Area shared by two boxes (x0, y0, x1, y1)."""
    return max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))


def label_points(ax: plt.Axes, x, y, names: Sequence[str], *, fontsize: float = 5) -> list:
    """Name each point beside it, where the name covers no other name, point or the frame.

    A greedy rule on the final layout, deterministic: the points are named from
    the most crowded to the least, each at the first of fourteen spots around it
    (right, left, above, below, the corners, then a little farther) that overlaps nothing already
    placed, no point and stays inside the axes; where every spot is taken, the
    one that overlaps least. Returns the text artists.
    """
    fig = ax.figure
    renderer = fig.canvas.get_renderer()
    to_pixels = fig.dpi_scale_trans.transform  # points (1/72 inch) to pixels
    centres = ax.transData.transform(np.column_stack([np.asarray(x, float), np.asarray(y, float)]))
    radius = to_pixels((2 / 72, 0))[0]  # a marker of size 14 is about 4 points across
    margin = to_pixels((1 / 72, 0))[0]
    taken = [(cx - radius, cy - radius, cx + radius, cy + radius) for cx, cy in centres]
    frame_box = ax.get_window_extent(renderer).extents
    distance = np.hypot(*(centres[:, None, :] - centres[None, :, :]).transpose(2, 0, 1))
    crowding = np.sort(distance, axis=1)[:, 1] if len(centres) > 1 else np.zeros(len(centres))
    texts = [None] * len(names)
    for i in np.argsort(crowding, kind="stable"):
        best = None
        for sx, sy in _LABEL_SPOTS:
            text = ax.annotate(
                names[i],
                (x[i], y[i]),
                xytext=(sx, sy),
                textcoords="offset points",
                fontsize=fontsize,
                ha=_LABEL_ALIGN[int(np.sign(sx))],
                va=_LABEL_VALIGN[int(np.sign(sy))],
            )
            # a point of margin: the PDF's font metrics run a little wider than the screen's
            box = text.get_window_extent(renderer).expanded(1, 1).padded(margin).extents
            outside = (box[2] - box[0]) * (box[3] - box[1]) - _overlap(box, frame_box)
            cost = sum(_overlap(box, other) for other in taken) + 4 * outside
            if best is None or cost < best[0]:
                if best is not None:
                    best[1].remove()
                best = (cost, text, box)
            else:
                text.remove()
            if cost == 0:
                break
        taken.append(tuple(best[2]))
        texts[i] = best[1]
    return texts


def _fit_axes(fits: pd.DataFrame, ncols: int, height: float, **kwargs) -> tuple[plt.Figure, list]:
    nrows = int(np.ceil(len(fits) / ncols))
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(PAGE_WIDTH, height * nrows + 0.4), squeeze=False, **kwargs
    )
    flat = list(axes.flat)
    for ax in flat[len(fits) :]:
        ax.set_visible(False)
    return fig, flat


def _short_title(fit, codebook: Codebook) -> str:
    return f"{codebook.field(fit.outcome).short} ~ {codebook.field(fit.predictor).short}"


def largest_moves(loo: pd.DataFrame, fit) -> pd.DataFrame:
    """The leave-one-out rows of ``fit``: all, or the :data:`SHOWN_CITIES` that move it most.

    With more than :data:`ROWS_LIMIT` cities, the drops whose slope lies
    farthest from the slope on all cities, in the order of the table.
    """
    rows = loo[(loo.outcome == fit.outcome) & (loo.predictor == fit.predictor)]
    if len(rows) <= ROWS_LIMIT:
        return rows
    moved = (rows.slope - fit.slope).abs().fillna(np.inf)
    return rows.loc[moved.nlargest(SHOWN_CITIES).index.sort_values()]


def leave_one_out(
    fits: pd.DataFrame, loo: pd.DataFrame, *, codebook: Codebook, alpha: float = 0.05
) -> plt.Figure:
    """Slope of each fit with each city left out: filled dots where p < alpha, open where not.

    The orange line is the slope on all cities, the grey line zero. Above
    :data:`ROWS_LIMIT` cities, each panel shows the :data:`SHOWN_CITIES` cities
    whose removal moves the slope most (see :func:`largest_moves`).
    """
    fig, axes = _fit_axes(fits, 2, 1.75)
    colours = sns.color_palette(PALETTE)
    for ax, fit in zip(axes, fits.itertuples(index=False), strict=False):
        rows = largest_moves(loo, fit)
        positions = np.arange(len(rows))
        significant = rows.p_value.to_numpy() < alpha
        ax.scatter(
            rows.slope[significant], positions[significant], s=16, color=colours[0], zorder=3
        )
        ax.scatter(
            rows.slope[~significant],
            positions[~significant],
            s=16,
            facecolors="white",
            edgecolors=colours[0],
            zorder=3,
        )
        ax.axvline(fit.slope, color=colours[1], lw=1)
        ax.axvline(0, color="0.6", lw=0.8, ls="--")
        ax.set_yticks(positions, list(rows.dropped_city), fontsize=5.5)
        ax.set_title(
            _wrap(
                f"{codebook.field(fit.outcome).title} ~ {codebook.field(fit.predictor).title}", 60
            ),
            fontsize=6.5,
        )
        ax.xaxis.set_major_locator(MaxNLocator(4))
        ax.tick_params(axis="x", labelsize=5.5)
        # the article's % units: it does not say percentage points or a relative change
        unit = _percent_units(codebook.field(fit.outcome))
        per = codebook.field(fit.predictor).unit_singular_text or _("unit")
        ax.set_xlabel(
            _("slope ({unit} per {per}) without the city on the left").format(unit=unit, per=per),
            fontsize=6,
        )
        ax.invert_yaxis()
    localize_numbers(fig)
    fig.tight_layout()
    text = _(
        "Dot plots, one panel for each of {pairs} pairs, of the slope fitted again without each "
        "city in turn, beside a line at the slope on all cities."
    ).format(pairs=i18n.integer(len(fits)))
    moves = [  # change relative to the slope on all cities: slopes of pairs differ in units
        (abs(row.slope - fit.slope) / max(abs(fit.slope), np.finfo(float).tiny), fit, row)
        for fit in fits.itertuples(index=False)
        for row in loo[(loo.outcome == fit.outcome) & (loo.predictor == fit.predictor)].itertuples()
        if np.isfinite(row.slope)
    ]
    if moves:
        _move, fit, row = max(moves, key=lambda m: m[0])
        text += " " + _(
            "The largest change: without {city}, the slope of {outcome} on {input} goes from "
            "{before} to {after}."
        ).format(
            city=row.dropped_city,
            outcome=codebook.field(fit.outcome).title,
            input=codebook.field(fit.predictor).title,
            before=_value(fit.slope),
            after=_value(row.slope),
        )
    return _describe(fig, text)


def diagnostics(
    frame: pd.DataFrame, fits: pd.DataFrame, *, codebook: Codebook
) -> plt.Figure:
    """For each fit, residuals against fitted values and a normal Q-Q plot of the residuals.

    Above :data:`POINTS_LIMIT` cities the residuals are binned in hexagons and the
    Q-Q plot shows :data:`POINTS_LIMIT` evenly spaced quantiles, both extremes included.
    """
    from scipy import stats as sps

    fig, axes = _fit_axes(pd.concat([fits, fits]), 4, 1.55)
    colours = sns.color_palette(PALETTE)
    largest = None  # (standardised residual, city, fit) farthest from zero, for the alt text
    for k, fit in enumerate(fits.itertuples(index=False)):
        res_ax, qq_ax = axes[2 * k], axes[2 * k + 1]
        x = frame[fit.predictor].astype(float).to_numpy()
        y = frame[fit.outcome].astype(float).to_numpy()
        fitted = fit.intercept + fit.slope * x
        residuals = y - fitted
        if dense(x):
            hexbin(res_ax, fitted, residuals)
        else:
            res_ax.scatter(fitted, residuals, s=10, color=colours[0])
        res_ax.axhline(0, color="0.5", lw=0.8)
        outcome = codebook.field(fit.outcome)
        res_ax.set_xlabel(_("fitted ({unit})").format(unit=outcome.unit_text or ""), fontsize=6)
        res_ax.set_ylabel(
            _wrap(_("residual ({unit})").format(unit=_percent_units(outcome) or ""), 24),
            fontsize=6,
        )
        standardised = np.sort(residuals / residuals.std(ddof=2))
        n = len(standardised)
        theoretical = sps.norm.ppf((np.arange(1, n + 1) - 0.375) / (n + 0.25))  # Blom positions
        if dense(x):  # every city's quantile would overlap: a few hundred, the extremes included
            keep = np.unique(np.linspace(0, n - 1, POINTS_LIMIT).round().astype(int))
            theoretical, standardised = theoretical[keep], standardised[keep]
        qq_ax.scatter(theoretical, standardised, s=10, color=colours[0])
        lims = [
            min(theoretical.min(), standardised.min()),
            max(theoretical.max(), standardised.max()),
        ]
        qq_ax.plot(lims, lims, color=colours[1], lw=0.8)
        qq_ax.set_xlabel(_("normal quantile"), fontsize=6)
        qq_ax.set_ylabel(_("std. residual"), fontsize=6)
        title = _short_title(fit, codebook)
        res_ax.set_title(_wrap(title, 30), fontsize=5.5)  # a quarter of the page wide
        qq_ax.set_title(_("Q-Q"), fontsize=5.5)
        for ax in (res_ax, qq_ax):
            ax.tick_params(labelsize=5)
            ax.xaxis.set_major_locator(MaxNLocator(4))
        scaled = residuals / residuals.std(ddof=2)
        worst = int(np.argmax(np.abs(scaled)))
        if largest is None or abs(scaled[worst]) > abs(largest[0]):
            largest = (scaled[worst], frame[codebook.id_field.name].iloc[worst], fit)
    localize_numbers(fig)
    fig.tight_layout()
    text = _(
        "For each of {pairs} pairs, the residuals of the fit against its fitted values and a normal "
        "Q-Q plot of its standardised residuals, {cities}."
    ).format(pairs=i18n.integer(len(fits)), cities=_cities(len(frame)))
    if largest is not None:
        value, city, fit = largest
        text += " " + _(
            "The largest standardised residual is {value}: {city}, in {outcome} against {input}."
        ).format(
            value=format_fixed(value),
            city=city,
            outcome=codebook.field(fit.outcome).title,
            input=codebook.field(fit.predictor).title,
        )
    return _describe(fig, text)


def _choice_names() -> dict[str, str]:
    """How the specification curve's panel of choices names each choice, in the active language."""
    return {
        "count": pgettext("specification choice", "count"),
        "per_10k_residents": pgettext("specification choice", "per {number} residents").format(
            number=i18n.integer(PER_RESIDENTS)
        ),
        "log": pgettext("specification choice", "log"),
        "all": pgettext("specification choice", "all cities"),
        "without_flagged": pgettext("specification choice", "without doubted figures"),
        "ols": pgettext("specification choice", "OLS (Pearson r)"),
        "spearman": pgettext("specification choice", "Spearman \u03c1"),
        "theil_sen": pgettext("specification choice", "Theil\u2013Sen"),
    }


def choice_name(name: str) -> str:
    """How the specification curve names a choice: "per 10,000 residents", "without Roma"."""
    names = _choice_names()
    if name in names:
        return names[name]
    if name.startswith("without_"):  # a sample without one city: the city's name is data
        return pgettext("specification choice", "without {city}").format(
            city=name[len("without_") :]
        )
    return name


def specification_curve(
    specs: pd.DataFrame,
    outcome: str,
    *,
    codebook: Codebook,
    primary_scale: str = "count",
    alpha: float = 0.05,
) -> plt.Figure:
    """The specification curve of one outcome, one pair per panel, as Simonsohn et al. draw it.

    Top: the estimates sorted from smallest to largest with their 95% intervals,
    filled where p < alpha, open where not, the run's own specification
    (``primary_scale``, all cities, OLS) in orange; the correlations (r and rho) on
    the axis of r, the Theil–Sen slopes (standardised, so not bounded by 1) in a
    panel of their own beside them. Beneath: a dot for each choice that
    specification makes (scale, sample, estimator).
    """
    rows = specs[(specs.outcome == outcome) & specs.estimate.notna()]
    pairs = list(dict.fromkeys(rows.predictor))
    ncols = min(2, max(1, len(pairs)))
    nrows = int(np.ceil(len(pairs) / ncols))
    fig = plt.figure(figsize=(PAGE_WIDTH, 3.6 * nrows + 0.2))
    # per pair: estimates, choices, then a spacer row for the x label and the next title
    grid = fig.add_gridspec(
        3 * nrows,
        ncols,
        height_ratios=[1.2, 1.3, 0.45] * nrows,
        hspace=0.1,
        wspace=0.95,
        left=0.17,
        right=0.93,
        top=0.93,
        bottom=0.02,
    )
    colours = sns.color_palette(PALETTE)
    for index, predictor in enumerate(pairs):
        r, c = divmod(index, ncols)
        in_order = rows[rows.predictor == predictor]
        choices = [
            *[s for s in ("count", "per_10k_residents", "log") if s in set(in_order.scale)],
            *dict.fromkeys(in_order["sample"]),
            *[e for e in ("ols", "spearman", "theil_sen") if e in set(in_order.estimator)],
        ]
        level = {name: i for i, name in enumerate(choices)}
        # correlations (r, rho) on the axis of r; Theil-Sen's standardised slope, which can pass 1, in its own panel
        groups = [g for g in (in_order[in_order.estimator != "theil_sen"], in_order[in_order.estimator == "theil_sen"])
                  if len(g)]
        tops = grid[3 * r, c].subgridspec(1, len(groups), width_ratios=[len(g) for g in groups], wspace=0.12)
        bottoms = grid[3 * r + 1, c].subgridspec(1, len(groups), width_ratios=[len(g) for g in groups],
                                                 wspace=0.12)
        for part, group in enumerate(groups):
            top = fig.add_subplot(tops[0, part])
            bottom = fig.add_subplot(bottoms[0, part], sharex=top)
            pair = group.sort_values("estimate", kind="stable")
            x = np.arange(len(pair))
            significant = pair.p_value.to_numpy() < alpha
            primary = (
                (pair.scale == primary_scale) & (pair["sample"] == "all") & (pair.estimator == "ols")
            ).to_numpy()
            top.vlines(x, pair.ci_low, pair.ci_high, color="0.7", lw=0.8)
            top.scatter(x[significant], pair.estimate[significant], s=10, color=colours[0], zorder=3)
            top.scatter(x[~significant], pair.estimate[~significant], s=10, facecolors="white",
                        edgecolors=colours[0], zorder=3)
            top.scatter(x[primary], pair.estimate[primary], s=24, color=colours[1], zorder=4)
            top.axhline(0, color="0.5", lw=0.8, ls="--")
            theil_sen = (pair.estimator == "theil_sen").all()
            top.set_ylabel(_("Theil\u2013Sen, standardised") if theil_sen else _("correlation (r or \u03c1)"),
                           fontsize=5.5)
            if theil_sen:  # its own axis, on the right, so its labels stay clear of the correlations'
                top.yaxis.tick_right()
                top.yaxis.set_label_position("right")
            else:
                top.set_ylim(-1.05, 1.05)
            top.tick_params(labelsize=5.5, labelbottom=False)
            for column in ("scale", "sample", "estimator"):
                bottom.scatter(x, [level[v] for v in pair[column]], s=5, color="0.25", marker="s")
            if part == 0:
                bottom.set_yticks(range(len(choices)), [choice_name(name) for name in choices], fontsize=5)
                top.set_title(_wrap(codebook.field(predictor).title, 60), fontsize=6.5, loc="left")
            else:
                bottom.set_yticks(range(len(choices)), [""] * len(choices))
            bottom.set_ylim(len(choices) - 0.5, -0.5)
            bottom.set_xticks([])
            bottom.grid(axis="x", visible=False)
            if part == 0:
                bottom.set_xlabel(_("specifications, sorted by estimate"), fontsize=5.5, loc="left")
    fig.suptitle(_wrap(codebook.field(outcome).title, 80), fontsize=7.5)
    localize_numbers(fig)
    text = _(
        "Specification curve of {outcome}: for each of {inputs} inputs, the correlations and, in a panel "
        "of their own, the Theil\u2013Sen slopes of its specifications, sorted from smallest to largest "
        "with their 95% intervals, and beneath them the choices each makes. Of {total} estimates, "
        "{positive} are positive and {significant} have p < {alpha}."
    ).format(
        outcome=codebook.field(outcome).title,
        inputs=i18n.integer(len(pairs)),
        total=i18n.integer(len(rows)),
        positive=i18n.integer(int((rows.estimate > 0).sum())),
        significant=i18n.integer(int((rows.p_value < alpha).sum())),
        alpha=i18n.decimal(alpha, 2),
    )
    return _describe(fig, text)


def grid_estimates(
    estimates: pd.DataFrame,
    *,
    codebook: Codebook,
    verdict_words: Mapping[str, str] | None = None,
) -> plt.Figure:
    """Each pair's r with its 95% interval in every variant of a grid, one panel per pair.

    ``estimates`` has one row per variant and pair: ``number`` (the variant's number in
    the grid's index), ``outcome``, ``predictor``, ``verdict`` (a key of
    :data:`helpers.findings.VERDICTS`), ``r``, ``r_ci_low``, ``r_ci_high`` and ``n``.
    Variants are rows of each panel, in the order of the index; the colour is the verdict,
    named in the legend by ``verdict_words`` (default: the codes themselves, in English).
    """
    verdict_words = verdict_words or {v: v for v in ("consistent", "tentative", "inconclusive")}
    pairs = list(dict.fromkeys(zip(estimates.outcome, estimates.predictor, strict=True)))
    numbers = sorted(set(estimates.number))
    ncols = min(2, len(pairs))
    nrows = -(-len(pairs) // ncols)
    height = 0.9 + 0.22 * len(numbers)
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(PAGE_WIDTH, nrows * height), sharex=True, squeeze=False
    )
    palette = sns.color_palette(PALETTE, 2)
    colours = {"consistent": palette[0], "tentative": palette[1], "inconclusive": "0.45"}
    for ax, (outcome, predictor) in zip(axes.flat, pairs, strict=False):
        rows = estimates[(estimates.outcome == outcome) & (estimates.predictor == predictor)]
        for row in rows.itertuples():
            y = numbers.index(row.number)
            colour = colours[row.verdict]
            ax.plot([row.r_ci_low, row.r_ci_high], [y, y], color=colour, lw=1.4)
            ax.plot(row.r, y, "o", color=colour, markersize=4)
        ax.axvline(0, color="0.35", lw=0.8)
        ax.set_xlim(-1, 1)
        ax.set_xticks([-1, -0.5, 0, 0.5, 1])
        ax.set_yticks(range(len(numbers)), [str(n) for n in numbers], fontsize=6)
        ax.set_ylim(len(numbers) - 0.5, -0.5)
        ax.tick_params(axis="x", labelsize=6)
        ax.set_title(
            _wrap(f"{codebook.field(outcome).short} ~ {codebook.field(predictor).short}", 44),
            fontsize=7,
        )
    for ax in list(axes.flat)[len(pairs) :]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        ax.set_ylabel(_("variant"), fontsize=6.5)
    for ax in axes[-1, :]:
        ax.set_xlabel(_("r with its 95% interval"), fontsize=6.5)
    shown = [v for v in colours if v in set(estimates.verdict)]
    fig.legend(
        handles=[plt.Line2D([], [], color=colours[v], marker="o", lw=1.4) for v in shown],
        labels=[verdict_words[v] for v in shown],
        loc="lower center",
        ncol=len(shown),
        fontsize=6.5,
        frameon=False,
        bbox_to_anchor=(0.5, 0.0),
    )
    fig.tight_layout(rect=(0, 0.06 if nrows < 3 else 0.03, 1, 1))
    localize_numbers(fig)
    strongest = estimates.loc[estimates.r.abs().idxmax()]
    text = _(
        "Correlation r with its 95% interval for each of {pairs} pairs in each of {variants} "
        "variants of the grid, coloured by verdict. The strongest is r = {r} ({outcome} and "
        "{predictor}, variant {number})."
    ).format(
        pairs=i18n.integer(len(pairs)),
        variants=i18n.integer(len(numbers)),
        r=_value(strongest.r),
        outcome=codebook.field(strongest.outcome).title,
        predictor=codebook.field(strongest.predictor).title,
        number=i18n.integer(int(strongest.number)),
    )
    return _describe(fig, text)
