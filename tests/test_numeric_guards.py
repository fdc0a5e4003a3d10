"""Numeric guards: degenerate inputs are refused (or warned about) by name, never estimated silently."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.sparse as sps

import vagg
from vagg.models import PanelFE, SpatialPanel


@pytest.fixture(scope="module")
def panel():
    return vagg.data.load_demo_panel()


def _w_with(value):
    w = vagg.weights.guangdong()
    matrix = w.sparse.toarray()
    matrix[0, 1] = value
    return sps.csr_matrix(matrix), list(w.id_order)


def _constant(p):
    return PanelFE.from_formula("y ~ gdp_per_capita", p.assign(y=3.0)).fit()


def _single_city(p):
    return PanelFE.from_formula("tertiary_share ~ gdp_per_capita", p.loc[["440100"]]).fit()


def _single_year(p):
    return PanelFE.from_formula("tertiary_share ~ gdp_per_capita", p.xs(2015, level=1, drop_level=False),
                                effects="entity").fit()


def _single_cluster(p):
    return PanelFE.from_formula("tertiary_share ~ gdp_per_capita", p.loc[["440100"]], effects="entity").fit(
        cov="clustered")


def _overflow(p):
    q = p.copy()
    q.loc[("440300", 2013), "gdp_per_capita"] = 1e308
    return PanelFE.from_formula("tertiary_share ~ gdp_per_capita", q).fit()


def _wild_zero(p):
    return PanelFE.from_formula("tertiary_share ~ gdp_per_capita", p).fit().wild_bootstrap("gdp_per_capita",
                                                                                           n_boot=0)


def _mediation_negative(p):
    return vagg.models.Mediation(p, "tertiary_share", "gdp_per_capita", ["fdi_gdp"]).fit(n_boot=-5, progress=False)


def _impacts_negative(p):
    fit = SpatialPanel.from_formula("tertiary_share ~ gdp_per_capita", p, w=vagg.weights.guangdong(),
                                    model="sar").fit()
    return fit.impacts(draws=-1)


def _spatial_constant(p):
    return SpatialPanel.from_formula("y ~ gdp_per_capita", p.assign(y=2.0), w=vagg.weights.guangdong(),
                                     model="sdm").fit()


def _spatial_overflow(p):
    q = p.copy()
    q.loc[("440100", 2011), "gdp_per_capita"] = -1e308
    return SpatialPanel.from_formula("tertiary_share ~ gdp_per_capita", q, w=vagg.weights.guangdong(),
                                     model="sdm").fit()


FAULTS = {
    "spatial constant outcome": (_spatial_constant, vagg.SpecificationError,
                                 "outcome 'y' is constant within the entity and time fixed effects"),
    "spatial overflowing value": (_spatial_overflow, vagg.DataError, "'gdp_per_capita' holds -1e+308 at (440100, "
                                                                     "2011): too large"),
    "constant outcome": (_constant, vagg.SpecificationError, "outcome 'y' is constant within the entity and time"),
    "single city": (_single_city, vagg.SpecificationError, "single entity, 440100"),
    "single year": (_single_year, vagg.SpecificationError, "single period, 2015"),
    "single cluster": (_single_cluster, vagg.SpecificationError, "at least two clusters"),
    "overflowing value": (_overflow, vagg.DataError, "'gdp_per_capita' holds 1e+308 at (440300, 2013)"),
    "zero bootstrap draws": (_wild_zero, vagg.SpecificationError, "bootstrap draws must be a positive integer, got 0"),
    "negative mediation draws": (_mediation_negative, vagg.SpecificationError, "positive integer, got -5"),
    "negative impact draws": (_impacts_negative, vagg.SpecificationError, "integer >= 2, got -1"),
}


@pytest.mark.parametrize("case", sorted(FAULTS))
def test_degenerate_estimation_is_refused_by_name(panel, case):
    func, error, fragment = FAULTS[case]
    with pytest.raises(error) as info:
        func(panel)
    assert fragment in str(info.value)
    assert "absorbed" not in str(info.value) and "collinear" not in str(info.value)


W_PATHS = {
    "spatial panel": lambda p, w: SpatialPanel.from_formula("tertiary_share ~ gdp_per_capita", p, w=w,
                                                            model="sdm").fit(),
    "moran": lambda p, w: vagg.evolution.moran(p, "tertiary_share", w),
    "lisa": lambda p, w: vagg.evolution.lisa(p, "tertiary_share", w),
    "spatial markov": lambda p, w: vagg.evolution.spatial_markov(p, "tertiary_share", w, k=3),
    "placebo sdm": lambda p, w: vagg.robustness.spatial_placebo_test(p, "tertiary_share", "gdp_per_capita", w=w,
                                                                     n_perm=9),
}


@pytest.mark.parametrize("path", sorted(W_PATHS))
@pytest.mark.parametrize(("value", "fragment"), [(np.nan, "missing or infinite weight(s), e.g. nan"),
                                                 (np.inf, "missing or infinite"),
                                                 (-0.5, "negative weight(s), e.g. -0.5")])
def test_bad_user_weights_refused_on_every_path(panel, path, value, fragment):
    with pytest.raises(vagg.DataError) as info:
        W_PATHS[path](panel, _w_with(value))
    assert fragment in str(info.value) and "(row 440100, column 440200)" in str(info.value)


def test_markov_ties_warn_naming_column_and_years(panel):
    tied = panel.assign(share_band=np.floor(panel["tertiary_share"] / 10.0))
    with pytest.warns(UserWarning, match=r"ties in 'share_band' make quantile cut points coincide in 20"):
        vagg.evolution.markov(tied, "share_band", k=5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        vagg.evolution.markov(panel, "tertiary_share", k=5)  # no ties: no warning


def test_infinite_bartlett_is_a_diagnostic(panel):
    frame = panel[["gdp_per_capita", "tertiary_share"]].assign(twice=2 * panel["gdp_per_capita"])
    with pytest.warns(UserWarning, match="singular.*gdp_per_capita ~ twice"):
        result = vagg.mechanisms.pca_index(frame)
    assert result.bartlett[0] == np.inf
    assert "Bartlett's sphericity statistic is infinite" in result.notes[0]
    assert vagg.mechanisms.pca_index(panel[["gdp_per_capita", "tertiary_share", "fdi_gdp"]]).notes == ()
