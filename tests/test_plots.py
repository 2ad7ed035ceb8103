import numpy as np
import pytest
from matplotlib.collections import QuadMesh

from helpers import plots, stats
from helpers.cleaning import load_clean_data
from helpers.codebook import load_codebook

from .test_stats import INPUTS, OUTCOMES, column


@pytest.fixture(scope="module")
def data():
    plots.set_theme()
    return load_clean_data()


def test_distributions_one_labelled_panel_per_variable(data):
    fig = plots.distributions(data, OUTCOMES + INPUTS)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(visible) == 6
    codebook = load_codebook()
    for ax, name in zip(visible, OUTCOMES + INPUTS, strict=True):
        unit = codebook.field(name).unit
        assert unit in ax.get_xlabel().replace("\n", " ")


def test_city_profile_colours_are_z_scores(data):
    fig = plots.city_profile(data, OUTCOMES + INPUTS)
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
    fig = plots.regression_grid(data, fits)
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
    )
    meshes = [c for ax in fig.axes for c in ax.collections if isinstance(c, QuadMesh)]
    assert len(meshes) == 2
    assert all(m.get_clim() == (-1, 1) for m in meshes)
