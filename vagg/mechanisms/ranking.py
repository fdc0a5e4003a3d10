"""The published-table layout of an index (Table 1 of the source study) and rank audits."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from vagg._errors import DataError, SpecificationError
from vagg.data.bundled import REGION_GROUPS
from vagg.mechanisms.composite import IndexResult

__all__ = ["index_table", "audit_ranking"]


def index_table(
    scores: IndexResult | pd.Series,
    years: Sequence[int] = (2011, 2015, 2020),
    names: pd.Series | None = None,
    regions: pd.Series | None = None,
    decimals: int | None = 1,
) -> pd.DataFrame:
    """Lay out index scores as Table 1 of the source study.

    One row per city: ``city``, ``region``, ``index_<year>`` for each chosen
    year and ``rank`` (1 = highest, ties share the best rank) by the last
    chosen year, sorted by region group (the source study's order first) and
    then by that rank.

    Parameters
    ----------
    scores
        An :class:`IndexResult` or a Series indexed by (entity, time).
    years
        Years to show; the rank follows the last one.
    names, regions
        Series indexed by entity id giving the display name and region group;
        default the bundled Guangdong names (``"<name> City"``) and regions
        when the ids are Guangdong adcodes, else the ids and no region.
    decimals
        Rounding of the shown values (the rank uses the unrounded values).

    Returns
    -------
    DataFrame indexed by entity id.
    """
    series = scores.scores if isinstance(scores, IndexResult) else scores
    if not isinstance(series, pd.Series) or series.index.nlevels != 2:
        raise DataError("scores must be an IndexResult or a Series indexed by (entity, time)")
    wide = series.unstack(level=1)
    years = list(years)
    absent = [y for y in years if y not in wide.columns]
    if absent:
        raise SpecificationError(f"year(s) {absent} not in the scores; available: {list(wide.columns)}")
    names, regions = _labels(wide.index, names, regions)
    table = pd.DataFrame({"city": names.reindex(wide.index), "region": regions.reindex(wide.index)})
    for year in years:
        table[f"index_{year}"] = wide[year] if decimals is None else wide[year].round(decimals)
    table["rank"] = wide[years[-1]].rank(ascending=False, method="min").astype(int)
    group_order = {r: k for k, r in enumerate(dict.fromkeys([*REGION_GROUPS, *regions]))}
    table = table.assign(_g=table["region"].map(group_order)).sort_values(["_g", "rank"]).drop(columns="_g")
    return table.rename_axis(series.index.names[0])


def _labels(ids: pd.Index, names: pd.Series | None, regions: pd.Series | None) -> tuple[pd.Series, pd.Series]:
    """Display names and region groups: given, or the bundled Guangdong ones for adcodes, or the ids."""
    if names is not None and regions is not None:
        return names, regions
    from vagg.data.bundled import load_guangdong

    gdf = load_guangdong()
    known = set(map(str, ids)) <= set(gdf.index)
    if names is None:
        names = gdf["name_en"] + " City" if known else pd.Series(ids.astype(str), index=ids)
    if regions is None:
        regions = gdf["region"] if known else pd.Series("", index=ids)
    return names, regions


def audit_ranking(table: pd.DataFrame, value: str, rank: str, ascending: bool = False) -> pd.DataFrame:
    """Rows of a published table whose rank disagrees with its values.

    The rank implied by the values is recomputed (1 = highest when
    ``ascending`` is False; ties share the lowest rank) and every row where it
    differs from the published rank is returned, with the columns
    ``recomputed_rank`` and ``rank_gap`` (published - recomputed) added.

    Parameters
    ----------
    table
        The published table, one row per unit.
    value
        Column holding the values that the rank should follow (e.g. ``"index_2020"``).
    rank
        Column holding the published rank.

    Examples
    --------
    >>> import vagg
    >>> t = vagg.data.load_seed_table1()
    >>> "Yunfu City" in set(vagg.mechanisms.audit_ranking(t, "index_2020", "reported_rank")["city"])
    True
    """
    for column in (value, rank):
        if column not in table.columns:
            raise SpecificationError(f"column {column!r} not in the table; columns are {list(table.columns)}")
    values = pd.to_numeric(table[value], errors="coerce")
    published = pd.to_numeric(table[rank], errors="coerce")
    for column, parsed in ((value, values), (rank, published)):
        bad = parsed.isna()
        if bad.any():
            raise DataError(f"column {column!r} has missing or non-numeric entries in rows {list(table.index[bad])}")
    recomputed = values.rank(ascending=ascending, method="min").astype(int)
    out = table.assign(recomputed_rank=recomputed, rank_gap=published.astype(int) - recomputed)
    return out[out["rank_gap"] != 0]
