import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import QuadMesh

from helpers import plots, stats
from helpers.cleaning import load_clean_data
from helpers.codebook import load_codebook
from helpers.tables import format_number

from .conftest import LANGUAGE_FIELD, LANGUAGE_HOURS, package_with
from .test_stats import INPUTS, OUTCOMES, column

#: The project's codebook: a figure is always given the codebook that describes its values.
CODEBOOK = load_codebook()


@pytest.fixture(scope="module")
def data():
    plots.set_theme()
    return load_clean_data()


def test_distributions_one_labelled_panel_per_variable(data):
    fig = plots.distributions(data, OUTCOMES + INPUTS, codebook=CODEBOOK)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(visible) == 6
    codebook = load_codebook()
    for ax, name in zip(visible, OUTCOMES + INPUTS, strict=True):
        unit = codebook.field(name).unit
        assert unit in ax.get_xlabel().replace("\n", " ")


def test_city_profile_colours_are_z_scores(data):
    fig = plots.city_profile(data, OUTCOMES + INPUTS, codebook=CODEBOOK)
    mesh = next(c for c in fig.axes[0].collections if isinstance(c, QuadMesh))
    colours = np.asarray(mesh.get_array()).reshape(10, 6)
    for j, name in enumerate(OUTCOMES + INPUTS):
        xs = column(name)
        mean = sum(xs) / len(xs)
        sd = (sum((x - mean) ** 2 for x in xs) / (len(xs) - 1)) ** 0.5
        np.testing.assert_allclose(colours[:, j], [(x - mean) / sd for x in xs], rtol=1e-12)
    labels = [t.get_text() for t in fig.axes[0].texts]
    assert "10,000" in labels and "1,000" in labels  # values printed, not z-scores


def test_regression_grid_draws_each_fitted_line(data):
    fits = stats.simple_regressions(data, OUTCOMES, INPUTS)
    fig = plots.regression_grid(data, fits, codebook=CODEBOOK)
    assert len(fig.axes) == 8
    for ax, fit in zip(fig.axes, fits.itertuples(index=False), strict=True):
        (line,) = ax.get_lines()
        x, y = line.get_data()
        np.testing.assert_allclose(y, fit.intercept + fit.slope * np.asarray(x), rtol=1e-12)
        assert x.min() == min(column(fit.predictor)) and x.max() == max(column(fit.predictor))
        assert ax.get_xlabel() and ax.get_ylabel()


def test_correlation_pair_spans_minus_one_to_one(data):
    variables = OUTCOMES + INPUTS
    fig = plots.correlation_pair(
        stats.correlations(data, variables, "pearson"),
        stats.correlations(data, variables, "spearman"),
        codebook=CODEBOOK,
    )
    meshes = [c for ax in fig.axes for c in ax.collections if isinstance(c, QuadMesh)]
    assert len(meshes) == 2
    assert all(m.get_clim() == (-1, 1) for m in meshes)


def test_a_seventh_variable_gets_its_panels_in_every_figure(data, tmp_path):
    """A field added to the codebook is drawn like the others: no figure counts on six."""
    from helpers import inference

    codebook = load_codebook(package_with(LANGUAGE_FIELD, tmp_path / "datapackage.json"))
    wider = data.assign(language_course_hours=LANGUAGE_HOURS)
    outcomes, inputs = codebook.variables("outcome"), codebook.variables("input")
    assert inputs == [*INPUTS, "language_course_hours"]
    variables = outcomes + inputs
    title = LANGUAGE_FIELD["title"]

    def visible(fig):
        return [ax for ax in fig.axes if ax.get_visible()]

    panels = visible(plots.distributions(wider, variables, codebook=codebook))
    assert [ax.get_title().replace("\n", " ") for ax in panels] == [
        codebook.field(v).title for v in variables
    ]
    for fig in (
        plots.correlation_pair(
            stats.correlations(wider, variables, "pearson"),
            stats.correlations(wider, variables, "spearman"),
            codebook=codebook,
        ),
        plots.city_profile(wider, variables, codebook=codebook),
    ):
        labels = [t.get_text().replace("\n", " ") for t in fig.axes[0].get_xticklabels()]
        assert len(labels) == 7 and title in labels[-1]

    fits = stats.simple_regressions(wider, outcomes, inputs)
    assert len(fits) == 10
    panels = visible(plots.regression_grid(wider, fits, codebook=codebook))
    assert len(panels) == 10  # five inputs wrap: a band of two rows per outcome
    for ax, fit in zip(panels, fits.itertuples(index=False), strict=True):
        (line,) = ax.get_lines()
        x, y = line.get_data()
        np.testing.assert_allclose(y, fit.intercept + fit.slope * np.asarray(x), rtol=1e-12)
        assert codebook.field(fit.predictor).title in ax.get_xlabel().replace("\n", " ")
    for band in (panels[:5], panels[5:]):  # one y scale per outcome, wrapped row included
        assert len({ax.get_ylim() for ax in band}) == 1
    assert panels[0].get_ylim() != panels[5].get_ylim()

    loo = inference.leave_one_out(wider, fits)
    assert len(visible(plots.leave_one_out(fits, loo, codebook=codebook))) == 10
    assert len(visible(plots.diagnostics(wider, fits, codebook=codebook))) == 20


# ------------------------------------------------------------------ many cities
@pytest.fixture(scope="module")
def many():
    from helpers import synthetic

    plots.set_theme()
    return synthetic.generate(plots.POINTS_LIMIT + 300, seed=4)


def test_many_cities_are_binned_not_drawn_one_by_one(many):
    from matplotlib.collections import PathCollection, PolyCollection

    fits = stats.simple_regressions(many, OUTCOMES, INPUTS)
    fig = plots.regression_grid(many, fits, codebook=CODEBOOK)
    for ax, fit in zip(fig.axes, fits.itertuples(index=False), strict=True):
        (hexagons,) = [c for c in ax.collections if isinstance(c, PolyCollection)]
        assert hexagons.get_array().sum() == len(many)  # every city in some hexagon
        assert not [c for c in ax.collections if isinstance(c, PathCollection)]
        assert not ax.texts  # no names
        (line,) = ax.get_lines()
        x, y = line.get_data()
        np.testing.assert_allclose(y, fit.intercept + fit.slope * np.asarray(x), rtol=1e-12)


def test_many_cities_get_histograms(many):
    fig = plots.distributions(many, OUTCOMES + INPUTS, codebook=CODEBOOK)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    for ax, name in zip(visible, OUTCOMES + INPUTS, strict=True):
        heights = [patch.get_height() for patch in ax.patches]
        assert sum(heights) == len(many), name  # every city counted once
    assert set(plots.logarithmic_counts(many, OUTCOMES + INPUTS)) <= set(INPUTS)


def test_profile_of_many_cities_shows_both_ends(many):
    variables = OUTCOMES + INPUTS
    rows = plots.profile_rows(many, variables[0])
    ranked = many.sort_values(variables[0], ascending=False, kind="stable")  # ties: file order
    assert len(rows) == 2 * plots.SHOWN_CITIES
    assert list(rows.city[: plots.SHOWN_CITIES]) == list(ranked.city[: plots.SHOWN_CITIES])
    assert list(rows.city[plots.SHOWN_CITIES :]) == list(ranked.city[-plots.SHOWN_CITIES :])
    fig = plots.city_profile(many, variables, codebook=CODEBOOK)
    mesh = next(c for c in fig.axes[0].collections if isinstance(c, QuadMesh))
    colours = np.asarray(mesh.get_array()).reshape(2 * plots.SHOWN_CITIES, 6)
    values = many[variables[0]].to_numpy(float)
    z = (rows[variables[0]].to_numpy(float) - values.mean()) / values.std(ddof=1)
    np.testing.assert_allclose(colours[:, 0], z, rtol=1e-12)  # z-scores over every city
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels == list(rows.city)


def test_leave_one_out_of_many_cities_shows_the_largest_moves(many):
    from helpers import inference

    fits = stats.simple_regressions(many, OUTCOMES[:1], INPUTS[:2])
    loo = inference.leave_one_out(many, fits)
    fig = plots.leave_one_out(fits, loo, codebook=CODEBOOK)
    for ax, fit in zip(fig.axes, fits.itertuples(index=False), strict=False):
        mine = loo[loo.predictor == fit.predictor]
        moved = (mine.slope - fit.slope).abs().sort_values(ascending=False)
        expected = set(mine.loc[moved.index[: plots.SHOWN_CITIES], "dropped_city"])
        assert {t.get_text() for t in ax.get_yticklabels()} == expected


def test_diagnostics_of_many_cities_stay_small(many):
    from matplotlib.collections import PathCollection, PolyCollection

    fits = stats.simple_regressions(many, OUTCOMES[:1], INPUTS[:1])
    fig = plots.diagnostics(many, fits, codebook=CODEBOOK)
    residual_ax, qq_ax = fig.axes[:2]
    assert [c for c in residual_ax.collections if isinstance(c, PolyCollection)]
    (points,) = [c for c in qq_ax.collections if isinstance(c, PathCollection)]
    offsets = points.get_offsets()
    assert len(offsets) <= plots.POINTS_LIMIT
    fit = fits.iloc[0]
    residuals = many[fit.outcome] - (fit.intercept + fit.slope * many[fit.predictor])
    standardised = residuals / residuals.std(ddof=2)
    assert offsets[:, 1].min() == pytest.approx(standardised.min())  # the extremes are kept
    assert offsets[:, 1].max() == pytest.approx(standardised.max())


def test_distributions_jitter_is_the_same_every_time_and_leaves_numpy_alone(data):
    """Same data, same figure: the strip plot's jitter is seeded, the global state restored."""
    np.random.seed(7)
    expected_next = np.random.random()
    np.random.seed(7)

    def strip_points(fig):
        return [
            c.get_offsets().copy()
            for ax in fig.axes
            for c in ax.collections
            if len(c.get_offsets())
        ]

    first = strip_points(plots.distributions(data, OUTCOMES + INPUTS, codebook=CODEBOOK))
    second = strip_points(plots.distributions(data, OUTCOMES + INPUTS, codebook=CODEBOOK))
    assert len(first) == len(OUTCOMES + INPUTS)
    for a, b in zip(first, second, strict=True):
        assert np.array_equal(a, b)
        assert np.ptp(np.asarray(a)[:, 1]) > 0  # jittered, not all on one line
    assert np.random.random() == expected_next  # the caller's random stream is untouched


# --- alternative text: what each figure shows, with its key number, written from the data ---


def _pearson(xs, ys):
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    return sxy / (sxx * syy) ** 0.5


def test_every_figure_describes_itself_distinctly(data):
    variables = OUTCOMES + INPUTS
    fits = stats.simple_regressions(data, OUTCOMES, INPUTS)
    figures = [
        plots.distributions(data, variables, codebook=CODEBOOK),
        plots.correlation_pair(
            stats.correlations(data, variables, "pearson"),
            stats.correlations(data, variables, "spearman"),
            codebook=CODEBOOK,
        ),
        plots.city_profile(data, variables, codebook=CODEBOOK),
        plots.regression_grid(data, fits, codebook=CODEBOOK),
        plots.diagnostics(data, fits, codebook=CODEBOOK),
    ]
    texts = [plots.alt_text(fig) for fig in figures]
    assert all(len(t) > 60 for t in texts), texts
    assert len(set(texts)) == len(texts)
    assert all("10 cities" in t for t in texts[:1] + texts[2:])  # the matrices have no cities


def test_distributions_alt_text_gives_each_range_and_median(data):
    codebook = load_codebook()
    text = plots.alt_text(plots.distributions(data, OUTCOMES + INPUTS, codebook=CODEBOOK))
    assert text.startswith("Box plots of 6 indicators with a dot for each of 10 cities")
    for name in OUTCOMES + INPUTS:
        xs = sorted(column(name))
        median = (xs[4] + xs[5]) / 2
        expected = f"{codebook.field(name).title}: from {xs[0]:,g} to {xs[-1]:,g}, median {median:,g}"
        assert expected in text, (expected, text)


def test_correlation_alt_text_names_the_strongest_pair(data):
    variables = OUTCOMES + INPUTS
    codebook = load_codebook()
    best = max(
        ((a, b) for i, a in enumerate(variables) for b in variables[i + 1 :]),
        key=lambda ab: abs(_pearson(column(ab[0]), column(ab[1]))),
    )
    r = _pearson(column(best[0]), column(best[1]))
    fig = plots.correlation_pair(
        stats.correlations(data, variables, "pearson"),
        stats.correlations(data, variables, "spearman"),
        codebook=CODEBOOK,
    )
    text = plots.alt_text(fig)
    first, second = codebook.field(best[0]).title, codebook.field(best[1]).title
    assert f"between {first} and {second}: r = {r:.2f}" in text, text


def test_regression_alt_text_names_the_closest_fit(data):
    codebook = load_codebook()
    fits = stats.simple_regressions(data, OUTCOMES, INPUTS)
    pairs = [(o, p) for o in OUTCOMES for p in INPUTS]
    o, p = max(pairs, key=lambda op: _pearson(column(op[1]), column(op[0])) ** 2)
    r = _pearson(column(p), column(o))
    text = plots.alt_text(plots.regression_grid(data, fits, codebook=CODEBOOK))
    assert "8 panels of 10 cities" in text
    expected = (
        f"closest fit is {codebook.field(o).title} against {codebook.field(p).title}: "
        f"R\u00b2 = {r * r:.2f}, r = {r:.2f}"
    )
    assert expected in text, text


def test_city_profile_alt_text_names_the_farthest_cell(data):
    codebook = load_codebook()
    cities = list(data[codebook.id_field.name])
    best = (0.0, "", "", 0.0)
    for name in OUTCOMES + INPUTS:
        xs = column(name)
        mean = sum(xs) / len(xs)
        sd = (sum((x - mean) ** 2 for x in xs) / (len(xs) - 1)) ** 0.5
        for city, x in zip(cities, xs, strict=True):
            if abs((x - mean) / sd) > abs(best[0]):
                best = ((x - mean) / sd, city, name, x)
    z, city, name, x = best
    text = plots.alt_text(plots.city_profile(data, OUTCOMES + INPUTS, codebook=CODEBOOK))
    assert f"is {city} in {codebook.field(name).title}: {x:,g}, z = {z:.1f}" in text, text


def test_alt_text_in_italian_uses_its_words_and_notation(data):
    from helpers import i18n

    with i18n.language("it"):
        text = plots.alt_text(plots.distributions(data, OUTCOMES + INPUTS, codebook=CODEBOOK))
    assert text.startswith("Diagrammi a scatola di 6 indicatori")
    assert "da 300 a 10.000, mediana 2.750" in text


def _slope(xs, ys):
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum((x - mx) ** 2 for x in xs)


def test_leave_one_out_alt_text_names_the_largest_relative_change(data):
    codebook = load_codebook()
    cities = list(data[codebook.id_field.name])
    fits = stats.simple_regressions(data, OUTCOMES, INPUTS)
    rows, best = [], None
    for o in OUTCOMES:
        for p in INPUTS:
            xs, ys = column(p), column(o)
            whole = _slope(xs, ys)
            for k, city in enumerate(cities):
                without = _slope(xs[:k] + xs[k + 1 :], ys[:k] + ys[k + 1 :])
                rows.append({"outcome": o, "predictor": p, "dropped_city": city, "slope": without, "p_value": 0.5})
                move = abs(without - whole) / abs(whole)
                if best is None or move > best[0]:
                    best = (move, o, p, city, whole, without)
    text = plots.alt_text(plots.leave_one_out(fits, pd.DataFrame(rows), codebook=CODEBOOK))
    _move, o, p, city, whole, without = best
    expected = (
        f"without {city}, the slope of {codebook.field(o).title} on {codebook.field(p).title} goes from "
        f"{format_number(whole)} to {format_number(without)}"
    )
    assert expected in text, text


def test_diagnostics_alt_text_names_the_largest_standardised_residual(data):
    codebook = load_codebook()
    cities = list(data[codebook.id_field.name])
    best = None
    for o in OUTCOMES:
        for p in INPUTS:
            xs, ys = column(p), column(o)
            b = _slope(xs, ys)
            a = sum(ys) / len(ys) - b * sum(xs) / len(xs)
            residuals = [y - a - b * x for x, y in zip(xs, ys, strict=True)]
            scale = (sum(e * e for e in residuals) / (len(xs) - 2)) ** 0.5  # residuals sum to zero
            for city, e in zip(cities, residuals, strict=True):
                if best is None or abs(e / scale) > abs(best[0]):
                    best = (e / scale, city, o, p)
    z, city, o, p = best
    text = plots.alt_text(plots.diagnostics(data, stats.simple_regressions(data, OUTCOMES, INPUTS), codebook=CODEBOOK))
    shown = f"{z:.2f}".replace("-", "\u2212")  # a true minus sign
    expected = f"is {shown}: {city}, in {codebook.field(o).title} against {codebook.field(p).title}."
    assert expected in text, text


def test_specification_curve_alt_text_counts_its_estimates():
    specs = pd.DataFrame(
        [
            {"outcome": OUTCOMES[0], "predictor": p, "scale": "count", "sample": "all", "estimator": e,
             "n": 10, "estimate": est, "ci_low": est - 0.5, "ci_high": est + 0.5, "p_value": pv}
            for p, e, est, pv in [
                (INPUTS[0], "ols", 0.4, 0.01),
                (INPUTS[0], "spearman", -0.2, 0.30),
                (INPUTS[1], "ols", 0.1, 0.049),
                (INPUTS[1], "spearman", 0.3, 0.05),
                (INPUTS[1], "theil_sen", float("nan"), float("nan")),  # not estimated: left out
            ]
        ]
    )  # fmt: skip
    text = plots.alt_text(plots.specification_curve(specs, OUTCOMES[0], codebook=CODEBOOK))
    assert "for each of 2 inputs" in text
    assert text.endswith("Of 4 estimates, 3 are positive and 2 have p < 0.05.")


@pytest.mark.parametrize("name", [r"Costs in $ and $$", r"$\input{/etc/hostname}$", "$x^$", "a $5 and $6 b"])
def test_names_from_the_data_never_parse_as_mathtext(tmp_path, name):
    """A city or a codebook label with dollar signs prints as written; a log axis keeps its powers of ten."""
    fig, (ax, log_ax) = plt.subplots(1, 2)
    ax.set_title(name)
    ax.set_xlabel(name)
    ax.set_yticks([0, 1], [name, "Bologna"])
    log_ax.set_xscale("log")
    log_ax.set_xlim(1, 1000)
    plots.literal_text(fig)
    fig.savefig(tmp_path / "f.svg")  # mathtext would raise here on "$x^$"
    fig.canvas.draw()
    assert ax.get_title() == ax.get_xlabel() == plots.literal(name) and "\\$" in ax.get_title()
    assert ax.get_yticklabels()[0].get_text() == plots.literal(name)
    assert any("10^{" in t.get_text() for t in log_ax.get_xticklabels())  # still mathtext, as drawn
    plt.close(fig)


def test_a_figure_rounds_a_tie_as_a_table_does():
    """One rounding rule: 0.125 and -0.625 (exact in binary) are 0.13 and -0.63 in a figure's cells, as in a
    table; Python's format, which the figures once used, rounds ties to even (0.12, -0.62)."""
    from helpers import i18n
    from helpers.tables import format_fixed

    names = [OUTCOMES[0], INPUTS[0], INPUTS[1]]
    values = [[1.0, 0.125, -0.625], [0.125, 1.0, 0.875], [-0.625, 0.875, 1.0]]
    matrix = pd.DataFrame(values, index=names, columns=names)
    by_hand = {1.0: "1.00", 0.125: "0.13", -0.625: "\u22120.63", 0.875: "0.88"}
    for language, notation in (("en", str), ("it", lambda text: text.replace(".", ","))):
        with i18n.language(language):
            ax = plots.correlation_heatmap(matrix, title="", codebook=CODEBOOK)
            cells = [t.get_text() for t in ax.texts]
            assert cells == [notation(by_hand[v]) for row in values for v in row]
            assert cells == [format_fixed(v) for row in values for v in row]  # the tables' formatter
        plt.close("all")
    # whole numbers too: 2.5 is 3 in a city's profile, as a table rounds it
    frame = pd.DataFrame({"city": ["A", "B", "C"], INPUTS[0]: [2.5, 10.5, 100.0], INPUTS[1]: [1.0, 2.0, 4.0]})
    fig = plots.city_profile(frame, INPUTS[:2], codebook=CODEBOOK)
    assert [t.get_text() for t in fig.axes[0].texts] == ["3", "1", "11", "2", "100", "4"]
