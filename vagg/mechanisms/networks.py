"""Gravity flow networks between cities and the centralities drawn from them.

The two transmission channels of the source study, innovation flows and
financial flows, are modelled as directed gravity networks, one a year; the
centralities of each city are the mediator candidates of the models.
"""

from __future__ import annotations

from collections.abc import Sequence

import networkx as nx
import numpy as np
import pandas as pd

from vagg._errors import DataError
from vagg.data.panel import check_columns, check_panel_index

__all__ = ["gravity_network", "flow_networks", "centrality", "coreness", "great_circle_distances"]


def great_circle_distances(coords: pd.DataFrame) -> pd.DataFrame:
    """Great-circle distance matrix (km) between centroids given as ``lon``/``lat`` columns indexed by id."""
    from vagg.weights import great_circle_km

    if not {"lon", "lat"} <= set(coords.columns):
        raise DataError("coordinates need 'lon' and 'lat' columns indexed by id")
    check_columns(coords, ["lon", "lat"])
    ids = coords.index.astype(str)
    return pd.DataFrame(great_circle_km(coords[["lon", "lat"]].to_numpy(float)), index=ids, columns=ids)


def gravity_network(mass: pd.Series, population: pd.Series, distance: pd.DataFrame) -> pd.DataFrame:
    r"""Directed gravity flows between cities.

    .. math::

        R_{ij} = k_{ij} \frac{\sqrt{P_i M_i}\,\sqrt{P_j M_j}}{D_{ij}^2},\qquad
        k_{ij} = \frac{M_i}{M_i + M_j},

    the flow from city i to city j, with M the mass of the channel (invention
    patents or R&D personnel for innovation, deposits plus loans for
    finance), P population and D the distance (great-circle between
    centroids, or any economic distance).  k_ij is i's share of the pair's
    mass, so k_ij + k_ji = 1 and a city without mass sends nothing.

    Parameters
    ----------
    mass, population
        Series indexed by city id, non-negative.
    distance
        Square DataFrame indexed and columned by the same ids, positive off
        the diagonal (extra ids are ignored).

    Returns
    -------
    Square DataFrame R (row = origin, column = destination), zero diagonal.

    References
    ----------
    Tinbergen, J. (1962). *Shaping the World Economy*. Twentieth Century Fund;
    for the modified form with k_ij and sqrt(P M): Liu, H., Liu, C. and Sun, Y.
    (2015). Spatial correlation network structure of energy consumption and its
    effect in China [in Chinese]. *China Industrial Economics* 2015(5), 83-95.
    """
    ids = [str(i) for i in mass.index]
    if len(set(ids)) != len(ids):
        raise DataError(f"duplicate city ids in the masses: {sorted({i for i in ids if ids.count(i) > 1})}")
    if list(map(str, population.index)) != ids:
        population = population.rename(index=str).reindex(ids)
    m, p = mass.to_numpy(float), population.to_numpy(float)
    for label, arr in (("mass", m), ("population", p)):
        bad = ~np.isfinite(arr) | (arr < 0)
        if bad.any():
            cities = [ids[i] for i in np.flatnonzero(bad)]
            raise DataError(f"{label} must be finite and non-negative; check city/cities {cities}")
    distance = distance.rename(index=str, columns=str)
    absent = [i for i in ids if i not in distance.index or i not in distance.columns]
    if absent:
        raise DataError(f"no distance for city/cities {absent}")
    d = distance.loc[ids, ids].to_numpy(float)
    off = ~np.eye(len(ids), dtype=bool)
    bad = off & (~np.isfinite(d) | (d <= 0))
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise DataError(f"distance between {ids[i]} and {ids[j]} is {d[i, j]!r}; it must be positive")
    pair = m[:, None] + m[None, :]
    k = np.divide(m[:, None], pair, out=np.zeros_like(pair), where=pair > 0)
    root = np.sqrt(p * m)
    R = np.zeros_like(d)
    R[off] = (k * np.outer(root, root))[off] / d[off] ** 2
    return pd.DataFrame(R, index=ids, columns=ids)


def flow_networks(
    panel: pd.DataFrame,
    mass: str | Sequence[str],
    population: str = "population",
    coords: pd.DataFrame | None = None,
    distance: pd.DataFrame | None = None,
) -> dict[int, pd.DataFrame]:
    """One gravity network a year (:func:`gravity_network`) from a panel.

    Parameters
    ----------
    panel
        Indexed by (entity, time).
    mass
        Column, or columns to add up (e.g. ``["deposits", "loans"]``), giving M.
    population
        Column giving P.
    coords
        ``lon``/``lat`` by entity for great-circle distances; default the
        bundled Guangdong centroids.  Ignored when ``distance`` is given.
    distance
        A fixed distance matrix by entity id (e.g. an economic distance).

    Returns
    -------
    dict year -> network DataFrame.
    """
    check_panel_index(panel)
    columns = [mass] if isinstance(mass, str) else list(mass)
    check_columns(panel, [*columns, population])
    if distance is None:
        if coords is None:
            from vagg.data.bundled import load_guangdong

            coords = load_guangdong()[["lon", "lat"]]
        distance = great_circle_distances(coords)
    M = panel[columns].sum(axis=1)
    out = {}
    for year, rows in panel.groupby(level=1).groups.items():  # one network a year
        ids = rows.get_level_values(0).astype(str)
        out[int(year)] = gravity_network(
            pd.Series(M.loc[rows].to_numpy(), index=ids), pd.Series(panel.loc[rows, population].to_numpy(), index=ids),
            distance,
        )
    return out


def coreness(A: np.ndarray, tol: float = 1e-12, max_iter: int = 1000) -> np.ndarray:
    r"""Continuous core-periphery coreness (Borgatti and Everett 1999).

    Finds c >= 0 minimising sum_{i != j} (s_ij - c_i c_j)^2 for the
    symmetrised matrix S = (A + A') / 2, by alternating least squares: fill
    the (ignored) diagonal with c_i^2 and take the best rank-one fit
    c = sqrt(lambda_1) u_1, until c stops changing.

    Borgatti, S. P. and Everett, M. G. (1999). Models of core/periphery
    structures. *Social Networks* 21(4), 375-395.
    """
    S = (np.asarray(A, float) + np.asarray(A, float).T) / 2.0
    np.fill_diagonal(S, 0.0)
    c = np.zeros(len(S))
    for _ in range(max_iter):  # fixed-point iterations on an n x n matrix, not over observations
        np.fill_diagonal(S, c**2)
        vals, vecs = np.linalg.eigh(S)
        u = vecs[:, -1] * (1.0 if vecs[:, -1].sum() >= 0 else -1.0)
        new = np.sqrt(max(vals[-1], 0.0)) * np.clip(u, 0.0, None)
        if np.max(np.abs(new - c)) < tol:
            return new
        c = new
    return c


def _perron(W: np.ndarray) -> np.ndarray:
    """In-eigenvector centrality x = W'x / lambda_max of a non-negative matrix, unit Euclidean norm (as networkx)."""
    if not W.any():
        return np.zeros(len(W))
    vals, vecs = np.linalg.eig(W.T)
    x = np.abs(vecs[:, np.argmax(vals.real)].real)
    return x / np.linalg.norm(x)


def centrality(network: pd.DataFrame) -> pd.DataFrame:
    r"""Centralities of every city in a directed flow network.

    - ``out_strength`` / ``in_strength``: row / column sums of the flows;
    - ``out_degree`` / ``in_degree``: links after binarising at the row mean,
      a_ij = 1 if R_ij exceeds the mean of row i off the diagonal;
    - ``betweenness``: normalised betweenness on the binary network (Freeman 1977);
    - ``closeness``: closeness on the binary network (networkx: distance to the
      city, Wasserman-Faust scaling for unreachable cities);
    - ``eigenvector``: eigenvector centrality of the weighted network (the Perron
      vector of R', in-flows, unit norm as in networkx; Bonacich 1987);
    - ``coreness``: continuous core-periphery coreness of the binary network
      (:func:`coreness`);
    - ``density``: links / (n (n - 1)) of the binary network (same for every city).

    Parameters
    ----------
    network
        Square DataFrame of flows (row = origin), e.g. from :func:`gravity_network`.

    Returns
    -------
    DataFrame indexed by city id.

    References
    ----------
    Freeman, L. C. (1977). A set of measures of centrality based on betweenness.
    *Sociometry* 40, 35-41; Bonacich, P. (1987). Power and centrality: a family
    of measures. *American Journal of Sociology* 92(5), 1170-1182; Wasserman, S.
    and Faust, K. (1994). *Social Network Analysis*. Cambridge University Press.
    """
    ids = list(network.index)
    if list(network.columns) != ids:
        raise DataError("a network must be square with the same ids on rows and columns")
    R = network.to_numpy(float)
    n = len(ids)
    off = ~np.eye(n, dtype=bool)
    row_mean = np.where(off, R, 0.0).sum(axis=1) / (n - 1)
    A = (off & (R > row_mean[:, None])).astype(float)
    binary = nx.from_numpy_array(A, create_using=nx.DiGraph)
    between = nx.betweenness_centrality(binary, normalized=True)
    close = nx.closeness_centrality(binary)
    return pd.DataFrame(
        {
            "out_strength": np.where(off, R, 0.0).sum(axis=1),
            "in_strength": np.where(off, R, 0.0).sum(axis=0),
            "out_degree": A.sum(axis=1),
            "in_degree": A.sum(axis=0),
            "betweenness": [between[i] for i in range(n)],
            "closeness": [close[i] for i in range(n)],
            "eigenvector": _perron(np.where(off, R, 0.0)),
            "coreness": coreness(A),
            "density": A.sum() / (n * (n - 1)),
        },
        index=pd.Index(ids, name=network.index.name),
    )
