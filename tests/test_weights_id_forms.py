"""Panel ids and W ids that differ only in how they are written still align (to_sparse, Conley, evolution).

A panel built by hand (a code column read as float because of one blank cell, or typed in full-width
digits) must give exactly the numbers of the same panel with the ids as text; ids written two ways on
one side are refused naming both; a real mismatch still names the ids without partner.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

import vagg
from vagg import DataError
from vagg.evolution import moran, spatial_markov, theil
from vagg.models import PanelFE, SpatialPanel
from vagg.weights import to_sparse

COLUMN = "broadband_per100"
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
UNFOLD = str.maketrans("０１２３４５６７８９", "0123456789")


def _float_ids(panel: pd.DataFrame) -> pd.DataFrame:
    """The panel as a researcher reads it by hand: the code column through a CSV with one blank code
    (pandas reads it as float, 440100.0), the blank row dropped, then ``set_index``."""
    flat = panel.reset_index()
    flat = pd.concat([flat, flat.iloc[[0]].assign(adcode=None)])  # a stray row whose code cell is blank
    read = pd.read_csv(io.StringIO(flat.to_csv(index=False))).dropna(subset=["adcode"])
    assert read["adcode"].dtype == float
    return read.set_index(["adcode", "year"])


def _full_width_ids(panel: pd.DataFrame) -> pd.DataFrame:
    flat = panel.reset_index()
    flat["adcode"] = flat["adcode"].str.translate(FULL_WIDTH)
    return flat.set_index(["adcode", "year"])


@pytest.fixture(scope="module")
def panels(demo_panel) -> dict[str, pd.DataFrame]:
    """The demo panel (adcodes as text) and its float-id and full-width-id twins."""
    out = {"text": demo_panel, "float": _float_ids(demo_panel), "full-width": _full_width_ids(demo_panel)}
    assert out["float"].index.get_level_values(0)[0] == 440100.0
    assert out["full-width"].index.get_level_values(0)[0] == "４４０１００"
    return out


@pytest.mark.parametrize("form", ["float", "full-width"])
def test_to_sparse_equals_the_text_ids_and_a_hand_permutation(panels, guangdong_queen, form):
    """Brute-force twin: the dense W reindexed by hand, the panel's ids shuffled."""
    ids = list(pd.unique(panels[form].index.get_level_values(0)))[::-1]
    by_hand = {raw: str(int(float(str(raw).translate(UNFOLD)))) for raw in ids}
    dense, order = guangdong_queen.full()
    pos = [order.index(by_hand[raw]) for raw in ids]
    got = to_sparse(guangdong_queen, ids)
    np.testing.assert_array_equal(got.toarray(), dense[np.ix_(pos, pos)])
    text = to_sparse(guangdong_queen, [by_hand[raw] for raw in ids])
    assert (got != text).nnz == 0
    # the (matrix, ids) pair with float ids on the weights side aligns to text panel ids too
    pair = (sp.csr_matrix(dense), [float(i) for i in order])
    np.testing.assert_array_equal(to_sparse(pair, [by_hand[raw] for raw in ids]).toarray(), text.toarray())


@pytest.mark.parametrize("form", ["float", "full-width"])
def test_spatial_panel_gives_the_same_numbers(panels, guangdong_queen, form):
    def fit(panel):
        res = SpatialPanel.from_formula(f"{COLUMN} ~ rd_intensity + ict_employment_share", panel, guangdong_queen,
                                        model="sdm", effects="twoway").fit()
        return res, res.impacts(draws=200, seed=3)

    (ref, ref_impacts), (got, got_impacts) = fit(panels["text"]), fit(panels[form])
    np.testing.assert_array_equal(got.params.to_numpy(), ref.params.to_numpy())
    np.testing.assert_array_equal(got.std_errors.to_numpy(), ref.std_errors.to_numpy())
    assert got.loglik == ref.loglik and np.isfinite(ref.loglik)
    np.testing.assert_array_equal(got_impacts.to_numpy(), ref_impacts.to_numpy())
    assert abs(ref.rho) > 0.01  # the spatial lag matters, so a misaligned W would change the numbers


@pytest.mark.parametrize("form", ["float", "full-width"])
def test_panel_fe_conley_gives_the_same_numbers(panels, form):
    geography = vagg.data.load_guangdong()  # indexed by adcode as text

    def fit(panel):
        return PanelFE.from_formula(f"{COLUMN} ~ rd_intensity + ict_employment_share", panel).fit(
            cov="conley", coords=geography, cutoff_km=150, lag=1)

    ref, got = fit(panels["text"]), fit(panels[form])
    np.testing.assert_array_equal(got.std_errors.to_numpy(), ref.std_errors.to_numpy())
    np.testing.assert_array_equal(got.params.to_numpy(), ref.params.to_numpy())
    robust = PanelFE.from_formula(f"{COLUMN} ~ rd_intensity + ict_employment_share", panels["text"]).fit(
        cov="robust")
    assert not np.allclose(ref.std_errors.to_numpy(), robust.std_errors.to_numpy(), rtol=1e-3)


@pytest.mark.parametrize("form", ["float", "full-width"])
def test_evolution_gives_the_same_numbers(panels, guangdong_queen, form):
    ref, got = moran(panels["text"], COLUMN, guangdong_queen, seed=5), moran(panels[form], COLUMN, guangdong_queen,
                                                                             seed=5)
    pd.testing.assert_frame_equal(got, ref)
    assert (ref["p_sim"] < 0.05).any()  # real spatial structure: a scrambled W would not reproduce I
    markov_ref = spatial_markov(panels["text"], COLUMN, guangdong_queen, k=3)
    markov_got = spatial_markov(panels[form], COLUMN, guangdong_queen, k=3)
    np.testing.assert_array_equal(markov_got.transitions.to_numpy(), markov_ref.transitions.to_numpy())
    # group labels given per entity with text adcodes find float or full-width entities
    regions = panels["text"]["region"].groupby(level=0).first()
    pd.testing.assert_frame_equal(theil(panels[form], regions, column=COLUMN).groups,
                                  theil(panels["text"], regions, column=COLUMN).groups)


def test_ids_written_two_ways_on_one_side_are_refused_naming_both(guangdong_queen):
    ids = list(guangdong_queen.id_order)
    with pytest.raises(DataError, match=r"panel's entity ids .*440100, '440100\.0' are all '440100'"):
        to_sparse(guangdong_queen, [440100, "440100.0", *ids[1:]])
    with pytest.raises(DataError, match=r"panel's entity ids .*440100, '440100' are all '440100'"):
        to_sparse(guangdong_queen, [440100, *ids])  # the same text as written: refused, not a doubled row
    matrix = to_sparse(guangdong_queen, ids)
    with pytest.raises(DataError, match=r"weights ids .*'４４０１００', 440100\.0 are all '440100'"):
        to_sparse((matrix, ["４４０１００", 440100.0, *ids[2:]]), [float(i) for i in ids])
    geography = vagg.data.load_guangdong()
    twice = pd.concat([geography, geography.iloc[[0]].rename(index={"440100": "440100.0"})])
    with pytest.raises(DataError, match=r"coordinates ids .*'440100', '440100\.0' are all '440100'"):
        vagg.models._conley.unit_coordinates(twice, np.array([float(i) for i in geography.index]))


def test_a_real_mismatch_still_names_the_ids_without_partner(guangdong_queen):
    ids = [float(i) for i in guangdong_queen.id_order if i != "440100"] + [999999.0]
    with pytest.raises(DataError, match=r"in the panel but not the weights: 999999\.0; "
                                        r"in the weights but not the panel: 440100; .*normalise_ids"):
        to_sparse(guangdong_queen, ids)
    with pytest.raises(DataError, match=r"in the weights but not the panel: 440100\b"):
        to_sparse(guangdong_queen, ids[:-1])
    # an id the rule refuses (not a whole number) is compared as written, with the reason
    with pytest.raises(DataError, match=r"in the panel but not the weights: 440100\.5; in the weights but not the "
                                        r"panel: 440100; ids the id rule refuses were compared as written .*440100\.5"):
        to_sparse(guangdong_queen, [*ids[:-1], 440100.5])
    geography = vagg.data.load_guangdong()
    with pytest.raises(DataError, match=r"no coordinates for unit\(s\): 440300\.0"):
        vagg.models._conley.unit_coordinates(geography.drop(index="440300"), np.array(ids[:-1]))
    with pytest.raises(DataError, match=r"groups have no label for entities: 440200\.0"):
        theil(pd.Series(1.0 + np.arange(len(ids)), index=pd.MultiIndex.from_product([ids, [2020]])),
              pd.Series("a", index=[i for i in guangdong_queen.id_order if i != "440200"]))
