"""Each weights kind against an explicit computation on a handful of cities."""


from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from libpysal.weights import KNN, DistanceBand

import vagg
from vagg import DataError, SpecificationError
from vagg.weights import (describe, distance_band, economic, economic_asymmetric, economic_geographic,
                          great_circle_km, inverse_distance, knn, to_sparse)

# islands are reported by a warning when kept; these tests keep them on purpose
pytestmark = pytest.mark.filterwarnings("ignore:the weights matrix has islands",
                                            "ignore:The weights matrix is not fully connected")

#: six cities: Beijing, Shanghai, Guangzhou, Shenzhen, Chengdu, Wuhan (the bundled centroids)
CITIES = ["110100", "310100", "440100", "440300", "510100", "420100"]


@pytest.fixture(scope="module")
def six():
    return vagg.data.load_china().loc[CITIES, ["lon", "lat"]]


def haversine(a, b, r=6371.0088):
    (lon1, lat1), (lon2, lat2) = a, b
    p1, p2 = math.radians(lat1), math.radians(lat2)
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * r * math.asin(math.sqrt(h))


def explicit(six, f):
    """Matrix with f(d_ij) off the diagonal, d by the scalar haversine formula."""
    pts = six.to_numpy()
    n = len(pts)
    return np.array([[0.0 if i == j else f(haversine(pts[i], pts[j]), i, j) for j in range(n)] for i in range(n)])


def dense(w, ids=CITIES):
    return to_sparse(w, ids).toarray()


def test_haversine_published_distance():
    # Beijing (39.9042N 116.4074E) to Shanghai (31.2304N 121.4737E): 1,067 km great-circle
    d = great_circle_km(np.array([[116.4074, 39.9042], [121.4737, 31.2304]]))
    assert abs(d[0, 1] - 1067.3) < 1.0 and d[0, 0] == 0


@pytest.mark.parametrize("power", [1, 2])
@pytest.mark.parametrize("cutoff", [None, 1300.0])
def test_inverse_distance(six, power, cutoff):
    raw = explicit(six, lambda d, i, j: d ** -power if cutoff is None or d <= cutoff else 0.0)
    w = inverse_distance(six, power=power, cutoff=cutoff, standardise="none", allow_islands=True)
    assert np.allclose(dense(w), raw, rtol=1e-10)
    row = inverse_distance(six, power=power, cutoff=cutoff, allow_islands=True)
    sums = raw.sum(axis=1, keepdims=True)
    assert np.allclose(dense(row), np.divide(raw, sums, out=np.zeros_like(raw), where=sums > 0))
    assert row.vagg_standardise == "row" and "power" in describe(row)


def test_spectral_standardisation(six):
    raw = explicit(six, lambda d, i, j: 1 / d)
    w = inverse_distance(six, standardise="spectral")
    lam = np.abs(np.linalg.eigvals(raw)).max()
    assert np.allclose(dense(w), raw / lam)
    assert np.isclose(np.abs(np.linalg.eigvals(dense(w))).max(), 1.0)
    assert w.vagg_standardise == "spectral" and "eigenvalue" in describe(w)
    # n >= 500: ARPACK against dense eigenvalues (queen of the 577 counties of four provinces)
    big = vagg.weights.china("county", standardise="none", islands="keep",
                             provinces=["Hebei", "Shandong", "Henan", "Shanxi"])
    assert big.n == 577
    from vagg.weights import spectral_radius
    lam_big = spectral_radius(big.sparse)
    assert np.isclose(lam_big, np.abs(np.linalg.eigvalsh(big.sparse.toarray())).max(), rtol=1e-8)


def test_cutoff_islands(six):
    d = explicit(six, lambda d, i, j: d)
    np.fill_diagonal(d, np.inf)
    alone = [CITIES[i] for i in np.flatnonzero(d.min(axis=1) > 1000.0)]
    assert alone == ["110100"]  # Beijing is over 1,000 km from the other five
    with pytest.raises(DataError, match="islands.*110100"):
        inverse_distance(six, cutoff=1000.0)
    w = inverse_distance(six, cutoff=1000.0, islands="nearest", standardise="none")
    j = int(np.argmin(d[0]))
    assert w.neighbors["110100"] == [CITIES[j]] and np.isclose(w.weights["110100"][0], 1 / d[0, j])
    assert "110100" in w.neighbors[CITIES[j]]
    with pytest.warns(UserWarning, match="110100"):
        kept = inverse_distance(six, cutoff=1000.0, islands="keep")
    assert kept.islands == ["110100"]
    with pytest.raises(SpecificationError, match="islands"):
        inverse_distance(six, cutoff=1000.0, islands="drop")


def test_distance_band_and_knn_match_libpysal(six):
    pts = six.to_numpy()
    band = distance_band(six, 1300.0, standardise="none", islands="keep")
    ref = DistanceBand(pts, threshold=1300.0, binary=True, radius=6371.0088, ids=CITIES, silence_warnings=True)
    assert {k: set(v) for k, v in band.neighbors.items()} == {k: set(v) for k, v in ref.neighbors.items()}
    assert np.array_equal(dense(band), explicit(six, lambda d, i, j: float(d <= 1300.0)))
    for k in (1, 2, 3):
        mine = knn(six, k=k, standardise="none")
        theirs = KNN(pts, k=k, radius=6371.0088, ids=CITIES)
        assert {i: set(v) for i, v in mine.neighbors.items()} == {i: set(v) for i, v in theirs.neighbors.items()}


def test_projected_metric(six):
    from pyproj import Transformer

    x, y = Transformer.from_crs("EPSG:4326", vagg.data.CHINA_PROJECTED_CRS, always_xy=True).transform(
        six["lon"].to_numpy(), six["lat"].to_numpy())
    d = np.hypot(x[:, None] - x[None, :], y[:, None] - y[None, :]) / 1000
    w = inverse_distance(six, metric="projected", standardise="none")
    off = ~np.eye(6, dtype=bool)
    assert np.allclose(dense(w)[off], 1 / d[off])
    # an equal-area projection is within 2 % of the great circle over China
    assert np.allclose(d[off], great_circle_km(six.to_numpy())[off], rtol=0.02)
    wc = inverse_distance(six, metric="projected", cutoff=1300.0, standardise="none", islands="keep")
    assert np.allclose(dense(wc), np.where(d <= 1300, dense(w), 0))


def test_user_points_replace_centroids(six):
    seats = pd.DataFrame({"lon": [116.4074, 121.4737, 113.2644, 114.0579, 104.0665, 114.3054],
                          "lat": [39.9042, 31.2304, 23.1291, 22.5431, 30.5723, 30.5928]}, index=CITIES)
    w = inverse_distance(seats, standardise="none")
    assert np.isclose(dense(w)[0, 1], 1 / haversine((116.4074, 39.9042), (121.4737, 31.2304)))
    with pytest.raises(DataError, match="same coordinates"):
        inverse_distance(pd.concat([seats, seats.iloc[[0]].rename(index={"110100": "x"})]))


def test_economic_matrices_by_hand(six):
    y = pd.Series([180.0, 170.0, 150.0, 190.0, 100.0, 130.0], index=CITIES)
    yv = y.to_numpy()
    ybar = yv.mean()
    econ = explicit(six, lambda d, i, j: 1 / abs(yv[i] - yv[j]))
    assert np.allclose(dense(economic(y, standardise="none")), econ)
    assert np.allclose(dense(economic_asymmetric(y, standardise="none")),
                       explicit(six, lambda d, i, j: yv[j] / ybar / abs(yv[i] - yv[j])))
    nested = explicit(six, lambda d, i, j: (1 / d) * yv[j] / ybar)
    w = economic_geographic(six, y, standardise="none")
    assert np.allclose(dense(w), nested)
    assert np.allclose(dense(economic_geographic(six, y)), nested / nested.sum(axis=1, keepdims=True))
    # a panel column is averaged over years first; the old name gives the nested matrix
    panel = pd.concat({2010: y * 0.5, 2020: y * 1.5}).swaplevel().sort_index()
    assert np.allclose(dense(vagg.weights.economic_distance(six, panel, standardise="none")), nested)
    with pytest.raises(DataError, match="same mean GDP"):
        economic(pd.Series([1.0, 1.0, 2.0], index=["a", "b", "c"]))
    with pytest.raises(DataError, match="no value for ids: 510100"):
        economic_geographic(six, y.drop("510100"))


def test_standardise_values_and_bools(six):
    assert inverse_distance(six, standardise=True).vagg_standardise == "row"
    assert inverse_distance(six, standardise=False).vagg_standardise == "none"
    with pytest.raises(SpecificationError, match="standardise"):
        inverse_distance(six, standardise="column")


def test_kdtree_cutoff_equals_dense_on_counties():
    """The k-d tree path (cut-off) against the dense haversine matrix, 2,875 counties."""
    counties = vagg.data.load_china("county")
    w = inverse_distance(counties, cutoff=80.0, power=2, standardise="none", islands="keep")
    d = great_circle_km(counties[["lon", "lat"]].to_numpy())
    np.fill_diagonal(d, np.inf)
    ref = np.where(d <= 80.0, d ** -2.0, 0.0)
    got = to_sparse(w, counties.index).toarray()
    assert (got > 0).sum() == (ref > 0).sum() and np.allclose(got, ref, rtol=1e-9)


def test_economic_geographic_cutoff_islands(six):
    y = pd.Series([180.0, 170.0, 150.0, 190.0, 100.0, 130.0], index=CITIES)
    yv, ybar = y.to_numpy(), y.mean()
    d = explicit(six, lambda d, i, j: d)
    w = economic_geographic(six, y, cutoff=1000.0, islands="nearest", standardise="none")
    np.fill_diagonal(d, np.inf)
    expected = np.where(d <= 1000.0, 1 / d * yv[None, :] / ybar, 0.0)
    j = int(np.argmin(d[0]))  # Beijing, alone within 1,000 km, joined to its nearest city both ways
    expected[0, j], expected[j, 0] = 1 / d[0, j] * yv[j] / ybar, 1 / d[0, j] * yv[0] / ybar
    assert np.allclose(dense(w), expected)
    with pytest.raises(DataError, match="islands.*110100"):
        economic_geographic(six, y, cutoff=1000.0)
