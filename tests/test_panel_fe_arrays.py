"""The array path of PanelFE (``from_arrays``) against its brute-force twins.

Twins: the DataFrame constructor on the same rows (every option a user can
reach: effects x covariance x clustering, missing values, unbalanced rows),
and OLS with explicit entity and time dummies (numpy ``lstsq``) for the
coefficients.  Reference data: Baltagi's cigarette panel (tests/reference).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import vagg
from vagg.models import PanelFE

COVS = [("unadjusted", None), ("robust", None), ("clustered", None), ("clustered", "time"),
        ("clustered", ["entity", "time"]), ("driscoll-kraay", None)]


@pytest.fixture(scope="module")
def ragged(cigar):
    """The cigarette panel with 40 missing prices and a fifth of the rows removed (unbalanced)."""
    d = cigar.sample(frac=0.8, random_state=3).copy()
    d.loc[d.sample(40, random_state=2).index, "lp"] = np.nan
    return d


def arrays(d: pd.DataFrame, entity_as_text: bool = True):
    e = d.index.get_level_values(0).to_numpy()
    return (d["lsales"].to_numpy(), d[["lp", "lndi", "pimin"]].to_numpy(), e.astype(str) if entity_as_text else e,
            d.index.get_level_values(1).to_numpy())


@pytest.mark.parametrize("effects", ["none", "entity", "time", "twoway"])
@pytest.mark.parametrize("which", ["full", "ragged"])
def test_from_arrays_equals_the_dataframe_path(cigar, ragged, effects, which):
    d = cigar if which == "full" else ragged
    y, x, e, t = arrays(d, entity_as_text=False)
    frame = PanelFE(d["lsales"], d[["lp", "lndi", "pimin"]], effects=effects)
    fast = PanelFE.from_arrays(y, x, e, t, effects=effects, exog_names=["lp", "lndi", "pimin"],
                               dependent_name="lsales")
    assert fast.notes == frame.notes
    for cov, cluster in COVS:
        if effects == "none" and cov == "driscoll-kraay":
            continue
        a, b = frame.fit(cov=cov, cluster=cluster), fast.fit(cov=cov, cluster=cluster)
        np.testing.assert_allclose(b.params_array, a.params.to_numpy(), rtol=0, atol=1e-12)
        np.testing.assert_allclose(b.std_errors.to_numpy(), a.std_errors.to_numpy(), rtol=1e-12, atol=0)
        np.testing.assert_allclose(b.pvalues.to_numpy(), a.pvalues.to_numpy(), rtol=1e-10, atol=1e-15)
        np.testing.assert_allclose(b.resid.to_numpy(), a.resid.to_numpy(), rtol=0, atol=1e-12)
        assert (b.df_t, b.df_resid, b.nobs, b.n_clusters) == (a.df_t, a.df_resid, a.nobs, a.n_clusters)
        assert b.rsquared == pytest.approx(a.rsquared, abs=1e-12)
        assert list(b.resid.index) == list(a.resid.index)


def test_from_arrays_equals_explicit_dummies(ragged):
    """Two-way FE on an unbalanced panel with missing values = OLS on entity and time dummies."""
    y, x, e, t = arrays(ragged)
    res = PanelFE.from_arrays(y, x, e, t).fit(cov="unadjusted")
    keep = ~np.isnan(np.column_stack([y, x])).any(axis=1)
    dummies = np.column_stack([pd.get_dummies(e[keep], dtype=float).to_numpy(),
                               pd.get_dummies(t[keep], drop_first=True, dtype=float).to_numpy()])
    design = np.column_stack([x[keep], dummies])
    beta, *_ = np.linalg.lstsq(design, y[keep], rcond=None)
    np.testing.assert_allclose(res.params_array, beta[:3], rtol=0, atol=1e-10)
    resid = y[keep] - design @ beta
    s2 = resid @ resid / (keep.sum() - np.linalg.matrix_rank(design))
    se = np.sqrt(np.diag(s2 * np.linalg.inv(design.T @ design))[:3])
    np.testing.assert_allclose(res.std_errors_array, se, rtol=1e-8)
    assert res.notes == ["40 row(s) with missing values dropped: x0 (40)"]  # default names x0, x1, ...


def test_from_arrays_drops_absorbed_and_collinear_by_name(cigar):
    y, x, e, t = arrays(cigar)
    x = np.column_stack([x, np.ones(len(y)), 2 * x[:, 0]])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = PanelFE.from_arrays(y, x, e, t, exog_names=["lp", "lndi", "pimin", "one", "lp2"]).fit()
    assert list(res.params.index) == ["lp", "lndi", "pimin"]
    assert ["one" in str(w.message) and "absorbed" in str(w.message) for w in caught][0]
    assert any("lp2 collinear" in str(w.message) for w in caught)


def test_from_arrays_bad_input_is_named(cigar):
    y, x, e, t = arrays(cigar)
    with pytest.raises(vagg.DataError, match=r"duplicate \(entity, time\) pair: \(1, 63\)"):
        PanelFE.from_arrays(y, x, np.where(e == "1", "1", e), np.where((e == "1") & (t == 64), 63, t))
    bad = x.copy()
    bad[5, 1] = np.inf
    with pytest.raises(vagg.DataError, match=r"column 'lndi' has an infinite value at \(1, 68\)"):
        PanelFE.from_arrays(y, bad, e, t, exog_names=["lp", "lndi", "pimin"])
    with pytest.raises(vagg.DataError, match="y has 1380 rows but x has 1379"):
        PanelFE.from_arrays(y, x[1:], e, t)
    with pytest.raises(vagg.SpecificationError, match="2 exog_names for 3 regressors"):
        PanelFE.from_arrays(y, x, e, t, exog_names=["a", "b"])


def test_dataframe_path_still_aligns_and_refuses(cigar):
    """The fast DataFrame path keeps the old behaviour: alignment on the index, named refusals."""
    shuffled = cigar["lsales"].sample(frac=1.0, random_state=0)
    a = PanelFE(shuffled, cigar[["lp", "lndi"]]).fit()
    b = PanelFE(cigar["lsales"], cigar[["lp", "lndi"]]).fit()
    np.testing.assert_allclose(a.params_array, b.params_array, rtol=0, atol=1e-12)
    dup = pd.concat([cigar.iloc[:3], cigar])
    with pytest.raises(vagg.DataError, match="duplicate"):
        PanelFE(dup["lsales"], dup[["lp"]])
    text = cigar.assign(lp=cigar["lp"].astype(str))
    with pytest.raises(vagg.DataError, match="'lp' is not numeric"):
        PanelFE(text["lsales"], text[["lp"]])
    inf = cigar.assign(lp=cigar["lp"].where(cigar.index != (3, 70), np.inf))
    with pytest.raises(vagg.DataError, match="'lp' has an infinite value at"):
        PanelFE(inf["lsales"], inf[["lp"]])


def test_one_cluster_is_refused_by_name(cigar):
    one = cigar.loc[[1]]
    with pytest.raises(vagg.SpecificationError, match="at least two clusters"):
        PanelFE(one["lsales"], one[["lp"]], effects="entity").fit(cov="clustered")


@pytest.mark.parametrize("effects", ["entity", "time", "twoway"])
def test_demean_grid_path_equals_group_sums(cigar, effects):
    """Sorted balanced rows are demeaned as an N x T x p array; shuffled rows take the group-sum path
    (np.add.at for few columns, a sparse product for many): the same numbers, row by row."""
    from vagg.models._within import WIDE, Groups, demean

    rng = np.random.default_rng(0)
    for width in (3, WIDE + 1):
        a = rng.normal(size=(len(cigar), width))
        groups = Groups.from_index(cigar.index)
        assert groups.grid()
        order = rng.permutation(len(cigar))
        shuffled = Groups.from_index(cigar.index[order])
        assert not shuffled.grid()
        np.testing.assert_allclose(demean(a[order], shuffled, effects), demean(a, groups, effects)[order],
                                   rtol=0, atol=1e-13)
