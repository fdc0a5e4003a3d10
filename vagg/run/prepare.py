"""The panel a run analyses: read once, checked against the config, the missing-data policy applied.

:func:`prepare_panel` runs before any stage: a misspelt column, a text column
where numbers belong, an impossible policy or a gap the spatial stages cannot
take fails here, and the study area's boundaries and weights matrices are
built for the cities that remain.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from vagg._errors import DataError
from vagg.run.plan import plan_run
from vagg.study_area import build_weights

if TYPE_CHECKING:
    from vagg.data.missing import MissingReport


def _read(config: dict[str, Any]) -> pd.DataFrame:
    """The panel of ``[data]`` (:func:`vagg.data.read_panel`); a text cell is refused later, only where used."""
    from vagg.data import read_panel

    data = config["data"]
    return read_panel(data["path"], data["entity"], data["time"], sheet=data["sheet"],
                      header_row=data["header_row"], skip_rows=data["skip_rows"], na_values=data["na_values"],
                      totals=data["totals"], strict=False)


def prepare_panel(config: dict[str, Any]) -> tuple[pd.DataFrame, dict[str, Any], MissingReport]:
    """Read the data, check the config against it and apply the missing-data policy, once.

    Runs before any stage: a misspelt column, an impossible policy or a gap the
    spatial stages cannot take fails here.

    Parameters
    ----------
    config
        A validated config (:func:`vagg.config.validate_config`).

    Returns
    -------
    The panel every stage analyses; the plan (:func:`vagg.run.plan.plan_run`)
    with the cities' display ``names``, the ``balanced`` flag and, when the
    weights have a source, the study ``area`` and its weights ``matrices``
    (:func:`vagg.study_area.build_weights`); and the
    :class:`vagg.data.MissingReport` of the missing-data policy.

    Raises
    ------
    DataError
        A column the run uses holds text, the group column has an empty cell,
        or the policy leaves a single city or year.
    """
    from vagg.data import apply_missing_policy
    from vagg.data.panel import BALANCE_HINT, missing_city_years

    panel = _read(config)
    plan = plan_run(panel, config)
    plan["names"] = _names(panel, plan["name"])
    data = config["data"]
    numeric = [c for c in plan["used"] if pd.api.types.is_numeric_dtype(panel[c])]
    text = [c for c in plan["used"] if c not in numeric]
    if text:
        faults = panel.attrs.get("faults", {})
        raise DataError(faults.get(text[0]) or f"column(s) {', '.join(text)} used by the run hold text, not numbers")
    panel, report = apply_missing_policy(panel, numeric, data["missing"], extrapolate=data["extrapolate"])
    if plan["group"] and panel[plan["group"]].isna().any():
        where = panel.index[panel[plan["group"]].isna().to_numpy()]
        raise DataError(f"group column {plan['group']!r} is empty at {', '.join(map(str, list(where)[:10]))}")
    for level, what in ((0, "city"), (1, "year")):
        values = panel.index.get_level_values(level).unique()
        if len(values) < 2:
            raise DataError(f"after missing = {data['missing']!r} the panel holds a single {what} "
                            f"({', '.join(map(str, values)) or 'none'}); the analysis compares cities over years "
                            f"and needs at least two of each")
    gaps = missing_city_years(panel)
    plan["balanced"] = not gaps
    if gaps:
        shown = ", ".join(f"({e}, {t})" for e, t in gaps[:10])
        plan["skipped"].append(f"Moran's I, LISA, the placebo test and the spatial Durbin model: they need a "
                               f"balanced panel and missing = {data['missing']!r} leaves gaps ({shown}); "
                               f"{BALANCE_HINT}")
    if plan["source"] is not None:
        plan["area"], plan["matrices"] = build_weights(config, panel, plan["source"])
    return panel, plan, report


def _names(panel: pd.DataFrame, column: str | None) -> dict[str, str]:
    """Entity id -> display name (the config's ``data.name`` column), for the report."""
    if column is None:
        return {}
    first = panel[column].groupby(level=0).first()
    return {str(k): str(v) for k, v in first.items()}
