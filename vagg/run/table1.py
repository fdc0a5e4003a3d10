"""Table 1 of a run: the index in the years it shows, and the audit of a published ranking.

The layout follows Table 1 of the source study (the index of every city in
three years, with ranks).  The rank audit (:func:`vagg.mechanisms.audit_ranking`)
checks a published table's ranks against its own values: the user's ``[audit]``
table when the config has one, else the source study's bundled Table 1 when the
run builds the index for its cities.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pandas as pd

from vagg._errors import SpecificationError
from vagg.run.plan import did_you_mean


def table1_years(years: list[int], chosen: list[int]) -> list[int]:
    """The years of the Table 1 layout and the index maps: ``chosen`` (config key output.table1_years; the
    source study's 2011, 2015, 2020), or the first, middle and last year of the panel when none are chosen."""
    if not chosen:
        return [years[0], years[len(years) // 2], years[-1]] if len(years) >= 3 else list(years)
    missing = [y for y in chosen if y not in years]
    if missing:
        raise SpecificationError(f"config key output.table1_years names years not in the panel: {missing}; "
                                 f"the panel has {years[0]}-{years[-1]}")
    return list(chosen)


def read_published(audit: dict[str, Any]) -> pd.DataFrame:
    """The published table of ``[audit]`` (CSV in UTF-8 or GBK, or XLSX), its value and rank columns checked."""
    from vagg.data.readers import read_text

    path = Path(audit["path"])
    if path.suffix.lower() in (".xlsx", ".xls"):
        table = pd.read_excel(path)
    else:
        table = pd.read_csv(io.StringIO(read_text(path)))
    for key in ("value", "rank", "name"):
        column = audit.get(key)
        if column is not None and column not in table.columns:
            raise SpecificationError(f"config key audit.{key}: column {column!r} is not in {path.name}"
                                     f"{did_you_mean(column, [str(c) for c in table.columns])}")
    if audit.get("name"):
        table = table.rename(columns={audit["name"]: "city"})
    elif "city" not in table.columns:
        table.insert(0, "city", table.iloc[:, 0].astype(str))
    return table


def table1_and_audit(index: Any, years: list[int], config: dict[str, Any], plan: dict[str, Any]) -> dict[str, Any]:
    """The Table 1 entries of a run's results.

    Parameters
    ----------
    index
        The built :class:`vagg.mechanisms.IndexResult` (None when the index is the user's column).
    years
        The panel's years, sorted.
    config
        A validated config: ``output.table1_years`` and ``[audit]``.
    plan
        :func:`vagg.run.plan.plan_run`'s plan; its ``table1`` flag says whether the panel's cities are
        the source study's.

    Returns
    -------
    dict with ``shown_years`` (:func:`table1_years`); with the flag, ``table1``
    (:func:`vagg.mechanisms.index_table` in those years); and, with an ``[audit]``
    table or the flag, ``audit`` (:func:`vagg.mechanisms.audit_ranking`),
    ``audit_rows`` and ``audit_source``.
    """
    from vagg.data import load_seed_table1
    from vagg.mechanisms import audit_ranking, index_table

    shown_years = table1_years(years, config["output"].get("table1_years", []))
    out: dict[str, Any] = {"shown_years": shown_years}
    if plan["table1"]:
        out["table1"] = index_table(index, years=shown_years)
    if config["audit"] is not None:  # the user's published table
        published = read_published(config["audit"])
        out["audit"] = audit_ranking(published, config["audit"]["value"], config["audit"]["rank"],
                                     ascending=config["audit"]["ascending"])
        out["audit_rows"], out["audit_source"] = len(published), Path(config["audit"]["path"]).name
    elif plan["table1"]:  # the bundled Table 1 of the source study
        seed_table = load_seed_table1()
        out["audit"] = audit_ranking(seed_table, "index_2020", "reported_rank")
        out["audit_rows"], out["audit_source"] = len(seed_table), "the source study's Table 1"
    return out
