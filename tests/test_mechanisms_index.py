"""Indicator systems, composite indices, PCA diagnostics, Table 1 layout and rank audit.

References
----------
- pymcdm (entropy weights), scikit-learn (PCA eigen-decomposition) and pingouin
  (partial correlations, for the KMO measure), all run in the tests.
- The demo data-generating process (``vagg.simulate.simulate_demo_panel``), whose
  latent virtual-agglomeration path is known: the index must recover it.
- Bartlett's sphericity test: a simulation under the null (independent
  normals), where the rejection rate must be the nominal 5%.
- The published Table 1 of the source study (bundled ``seed_table1.csv``):
  ``index_table`` must reproduce its values, and ``audit_ranking`` must flag
  Yunfu (lowest 2020 value, published rank 4).
"""

from __future__ import annotations

import warnings
from itertools import combinations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import vagg
from vagg.mechanisms import (
    IndicatorSystem,
    audit_ranking,
    bartlett_sphericity,
    composite_index,
    entropy_weights,
    index_table,
    kmo,
    normalise,
    pca_index,
    topsis,
)

SYSTEM_TOML = """
name = "tiny"
[dimensions.first]
label = "First"
[dimensions.first.indicators.a]
direction = 1
unit = "u"
[dimensions.first.indicators.b]
direction = "-"
[dimensions.second.indicators.c]
direction = "benefit"
"""


@pytest.fixture(scope="module")
def panel():
    return vagg.data.load_demo_panel()


@pytest.fixture(scope="module")
def system():
    return IndicatorSystem.default()


# ------------------------------------------------------------ indicator systems

def test_default_system_matches_demo_columns(panel, system):
    from vagg.simulate.demo import INDUSTRY_INDICATORS, VA_INDICATORS

    assert system.dimensions == ["digital_infrastructure", "industrial_platforms", "digital_innovation",
                                 "policy_environment"]
    table = system.to_frame()
    for column, (dim, direction, *_rest, unit) in VA_INDICATORS.items():
        assert table.loc[column, "dimension"] == dim
        assert table.loc[column, "direction"] == direction
        assert table.loc[column, "unit"] == unit
    assert set(system.columns) == set(VA_INDICATORS)
    synergy = IndicatorSystem.bundled("industrial_synergy")
    assert {c: synergy.to_frame().loc[c, "dimension"] for c in synergy.columns} == {
        c: spec[0] for c, spec in INDUSTRY_INDICATORS.items()}
    construction = IndicatorSystem.bundled("construction")
    assert construction.dimensions == ["scale", "efficiency", "structure", "digitalisation"]
    for name in vagg.mechanisms.BUNDLED_SYSTEMS:
        IndicatorSystem.bundled(name).check(panel)


def test_from_toml_reads_layout(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(SYSTEM_TOML)
    s = IndicatorSystem.from_toml(path)
    assert s.columns == ["a", "b", "c"]
    assert s.directions == {"a": 1, "b": -1, "c": 1}
    assert s.columns_of("first") == ["a", "b"]
    assert s.to_frame().loc["a", "unit"] == "u"


def test_extended_system_without_code(tmp_path, panel):
    """A researcher appends a fifth dimension to the bundled TOML; the index follows it."""
    from vagg.mechanisms import bundled_system_path

    text = bundled_system_path("virtual_agglomeration").read_text(encoding="utf-8") + (
        "\n[dimensions.human_capital]\nlabel = 'Human capital'\n"
        "[dimensions.human_capital.indicators.college_students_per10k]\ndirection = 1\n"
    )
    path = tmp_path / "extended.toml"
    path.write_text(text, encoding="utf-8")
    result = composite_index(panel, path)
    assert list(result.dimensions.columns)[-1] == "human_capital"
    assert len(result.weights) == 13 and result.weights["weight"].sum() == pytest.approx(1.0)


@pytest.mark.parametrize(
    "text, match",
    [
        (SYSTEM_TOML.replace('direction = "-"', 'direction = "down"'), "'b'.*unknown direction"),
        (SYSTEM_TOML + "\n[dimensions.empty]\nlabel = 'Nothing'\n", "'empty'.*no indicators"),
        (SYSTEM_TOML + "\n[dimensions.third.indicators.a]\ndirection = 1\n", "'a' appears twice"),
        ("name = 'x'\n", "no \\[dimensions"),
        ("name = [", "could not parse"),
    ],
)
def test_bad_system_named(tmp_path, text, match):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(vagg.SpecificationError, match=match):
        IndicatorSystem.from_toml(path)


def test_missing_column_and_file_named(tmp_path, panel, system):
    with pytest.raises(vagg.SpecificationError, match="'broadband_per100' \\(dimension digital_infrastructure\\)"):
        composite_index(panel.drop(columns="broadband_per100"), system)
    with pytest.raises(vagg.SpecificationError, match="cannot read"):
        IndicatorSystem.from_toml(tmp_path / "none.toml")
    with pytest.raises(vagg.SpecificationError, match="unknown index method"):
        composite_index(panel, system, method="ahp")


def test_missing_value_names_city_and_year(panel, system):
    bad = panel.copy()
    bad.loc[("440300", 2016), "rd_intensity"] = np.nan
    with pytest.raises(vagg.DataError, match="'rd_intensity'.*440300.*2016"):
        composite_index(bad, system)


# --------------------------------------------------------------- composite index

def test_entropy_index_matches_pymcdm_and_its_formula(panel, system):
    import pymcdm
    result = composite_index(panel, system)
    X = panel[system.columns]
    z = normalise(X, system.directions)
    ref = pymcdm.weights.entropy_weights(z.to_numpy() + 1e-4)
    np.testing.assert_allclose(result.weights["weight"].to_numpy(), ref, atol=1e-10)
    np.testing.assert_allclose(result.scores.to_numpy(), 100 * z.to_numpy() @ ref, atol=1e-8)
    assert result.weights["weight"].sum() == pytest.approx(1.0)
    assert result.dimension_weights.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(result.weights.groupby("dimension")["weight_in_dimension"].sum(), 1.0)
    assert list(result.dimensions.columns) == system.dimensions
    assert result.scores.between(0, 100).all() and result.dimensions.stack().between(0, 100).all()


def test_entropy_dimension_equals_index_of_dimension_alone(panel, system):
    result = composite_index(panel, system)
    for dim in system.dimensions:
        alone = composite_index(panel, system.subsystem([dim]))
        np.testing.assert_allclose(result.dimensions[dim].to_numpy(), alone.scores.to_numpy(), atol=1e-9)


def test_yearly_base_is_year_by_year_entropy(panel, system):
    result = composite_index(panel, system, base="yearly")
    ref = entropy_weights(panel[system.columns], system.directions, by="year")
    pd.testing.assert_frame_equal(result.weights_by_year, ref, check_names=False, atol=1e-14, rtol=0)
    year = panel.xs(2015, level="year", drop_level=False)
    z = normalise(year[system.columns], system.directions).to_numpy()
    np.testing.assert_allclose(result.scores.xs(2015, level="year"), 100 * z @ ref.loc[2015].to_numpy(), atol=1e-9)


def test_topsis_index_uses_closeness(panel, system):
    result = composite_index(panel, system, method="topsis")
    w = entropy_weights(panel[system.columns], system.directions)
    ref = topsis(panel[system.columns], w, system.directions)
    np.testing.assert_allclose(result.scores.to_numpy(), 100 * ref.to_numpy(), atol=1e-9)


@pytest.mark.parametrize("method", ["entropy", "critic", "topsis", "pca", "equal"])
def test_index_recovers_the_simulated_latent_path(method):
    """The demo DGP plants a latent virtual-agglomeration path; every method must track it."""
    sim, truth = vagg.simulate.simulate_demo_panel()
    scores = composite_index(sim, "default", method=method).scores
    rho = stats.spearmanr(scores, truth.latent_index.reindex(scores.index)).statistic
    assert rho > 0.97  # measured 0.986 (CRITIC) to 0.996 (entropy) with the default seed


def test_constant_indicator_in_index_warns_and_weighs_zero(panel, system):
    flat = panel.assign(mobile_per100=50.0)
    with pytest.warns(UserWarning, match="mobile_per100"):
        result = composite_index(flat, system, method="critic")
    assert result.weights.loc["mobile_per100", "weight"] == 0.0
    assert np.isfinite(result.scores).all() and np.isfinite(result.dimensions.to_numpy()).all()


# ---------------------------------------------------------------------- PCA

def test_pca_matches_sklearn(panel, system):
    from sklearn.decomposition import PCA

    X = panel[system.columns]
    signs = np.array([system.directions[c] for c in X.columns])
    Z = (X - X.mean()) / X.std(ddof=1) * signs
    peer = PCA().fit(Z.to_numpy())
    ours = pca_index(X, system.directions)
    np.testing.assert_allclose(ours.eigenvalues, peer.explained_variance_, rtol=1e-9)
    k = int((peer.explained_variance_ > 1).sum()) or 1
    assert ours.n_components == k
    comps = peer.components_[:k] * np.sign(peer.components_[:k].sum(axis=1))[:, None]
    raw = Z.to_numpy() @ comps.T @ (peer.explained_variance_[:k] / peer.explained_variance_[:k].sum())
    np.testing.assert_allclose(ours.scores.to_numpy(), 100 * (raw - raw.min()) / np.ptp(raw), atol=1e-8)


def test_kmo_matches_partial_correlations_from_pingouin(panel, system):
    import pingouin as pg
    cols = system.columns[:6]
    data = panel[cols].reset_index(drop=True)
    r2 = a2 = 0.0
    for x, y in combinations(cols, 2):  # partial correlation of each pair given the rest, by pingouin
        rest = [c for c in cols if c not in (x, y)]
        a = pg.partial_corr(data=data, x=x, y=y, covar=rest)["r"].iloc[0]
        r2 += 2 * data[x].corr(data[y]) ** 2
        a2 += 2 * a**2
    assert kmo(data.corr().to_numpy()) == pytest.approx(r2 / (r2 + a2), abs=1e-8)


@pytest.mark.slow
def test_bartlett_size_and_power_by_simulation():
    rng = np.random.default_rng(7)
    reps, n, p = 2000, 60, 5
    draws = rng.standard_normal((reps, n, p))
    pvals = np.array([bartlett_sphericity(np.corrcoef(d, rowvar=False), n)[2] for d in draws])
    rate = (pvals < 0.05).mean()
    assert 0.035 < rate < 0.065  # binomial 99.9% band around the nominal 5% for 2000 draws
    assert stats.kstest(pvals, "uniform").pvalue > 0.001  # p-values uniform under the null
    mixed = draws + 0.5 * draws[:, :, :1]  # common factor: sphericity fails
    power = np.mean([bartlett_sphericity(np.corrcoef(d, rowvar=False), n)[2] < 0.05 for d in mixed[:200]])
    assert power > 0.95


def test_pca_index_diagnostics_in_result(panel, system):
    result = composite_index(panel, system, method="pca")
    assert 0 < result.diagnostics["kmo"] <= 1
    chi2, df, p = result.diagnostics["bartlett"]
    assert df == 66 and chi2 > 0 and p < 0.05
    assert result.scores.min() == pytest.approx(0) and result.scores.max() == pytest.approx(100)


# ------------------------------------------------------- Table 1 and rank audit

def test_index_table_reproduces_published_table():
    published = vagg.data.load_seed_table1().set_index("adcode")
    long = published[["index_2011", "index_2015", "index_2020"]].rename(columns=lambda c: int(c[-4:]))
    scores = long.stack().rename_axis(["adcode", "year"])
    table = index_table(scores)
    for column in ("index_2011", "index_2015", "index_2020", "city", "region"):
        pd.testing.assert_series_equal(table[column].sort_index(), published[column].sort_index(),
                                       check_names=False, check_dtype=False)
    assert table.loc["440300", "rank"] == 1  # Shenzhen, 93.7, highest 2020 value
    assert table.loc["445300", "rank"] == 21  # Yunfu, 44.7, lowest


def test_audit_flags_yunfu_in_published_table():
    published = vagg.data.load_seed_table1()
    flagged = audit_ranking(published, "index_2020", "reported_rank")
    yunfu = flagged.set_index("city").loc["Yunfu City"]
    assert yunfu["reported_rank"] == 4 and yunfu["recomputed_rank"] == 21
    assert "Foshan City" not in set(flagged["city"])  # 85.9 is third and published third
    consistent = published.assign(reported_rank=published["index_2020"].rank(ascending=False).astype(int))
    assert audit_ranking(consistent, "index_2020", "reported_rank").empty
    with pytest.raises(vagg.SpecificationError, match="'rank_2020'"):
        audit_ranking(published, "index_2020", "rank_2020")


def test_index_table_from_result(panel, system):
    result = composite_index(panel, system)
    table = index_table(result, years=(2011, 2020))
    assert list(table.columns) == ["city", "region", "index_2011", "index_2020", "rank"]
    expected = result.scores.xs(2020, level="year").rank(ascending=False, method="min").astype(int)
    pd.testing.assert_series_equal(table["rank"].sort_index(), expected.sort_index(), check_names=False)
    with pytest.raises(vagg.SpecificationError, match="1999"):
        index_table(result, years=(1999,))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        index_table(result)
