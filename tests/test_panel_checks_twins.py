"""The panel checks' fast paths against their plain definitions (brute force on small frames).

``missing_city_years`` decides "no gaps" from the index codes (n_entities x n_periods rows, no
duplicates, no missing ids); ``check_columns`` reads every column's values once.  Their twins: the
set difference of the full (entity, time) grid and the index, written with Python sets, and a
column-by-column check written with pandas' ``isna``/``isinf``.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

import vagg
from vagg.data.panel import check_columns, missing_city_years


def _grid_gaps(df: pd.DataFrame) -> list[tuple]:
    entities = list(dict.fromkeys(df.index.get_level_values(0)))
    periods = sorted(set(df.index.get_level_values(1)))
    present = set(df.index)
    return sorted(pair for pair in itertools.product(entities, periods) if pair not in present)


def _frames():
    ids, years = ["440100", "440300", "440400"], [2011, 2012, 2013]
    full = pd.DataFrame({"y": np.arange(9.0)}, index=pd.MultiIndex.from_product([ids, years]))
    yield "full", full
    yield "one gap", full.drop(("440300", 2012))
    yield "unused levels", full.drop(index="440400", level=0)  # levels keep 440400, no rows use it
    yield "unused year level", full[full.index.get_level_values(1) != 2013]
    yield "gap and unused level", full.drop(index="440400", level=0).drop(("440100", 2011))
    yield "rows as many as the grid but not on it", full.drop(("440100", 2011)).rename(index={2013: 2014}, level=1)
    rng = np.random.default_rng(0)
    for k in range(20):  # random subsets and orders
        keep = rng.random(len(full)) < 0.8
        yield f"random {k}", full[keep].sample(frac=1.0, random_state=k)


@pytest.mark.parametrize("name, frame", list(_frames()))
def test_missing_city_years_equals_the_grid_difference(name, frame):
    assert sorted(missing_city_years(frame)) == _grid_gaps(frame), name


def _column_faults(df: pd.DataFrame, columns: list[str]) -> list[str]:
    faults = []
    for c in columns:
        values = pd.to_numeric(df[c], errors="coerce").astype(float)
        if df[c].isna().any():
            faults.append(f"column {c!r} has {int(df[c].isna().sum())} missing")
        elif np.isinf(values).any():
            faults.append(f"column {c!r} has an infinite value")
    return faults


@pytest.mark.parametrize("case", range(30))
def test_check_columns_finds_what_a_column_by_column_check_finds(case):
    rng = np.random.default_rng(case)
    index = pd.MultiIndex.from_product([["a", "b", "c"], [2011, 2012]])
    columns = {}
    for j in range(3):
        values = rng.normal(size=6)
        if rng.random() < 0.3:
            values[rng.integers(6)] = np.nan
        if rng.random() < 0.2:
            values[rng.integers(6)] = np.inf
        kind = rng.integers(3)
        columns[f"v{j}"] = (pd.array(values.round(0).astype("float"), dtype="Float64") if kind == 1
                            else values)
    df = pd.DataFrame(columns, index=index)
    names = list(df.columns)
    faults = _column_faults(df, names)
    if not faults:
        check_columns(df, names)
        return
    with pytest.raises(vagg.DataError) as err:
        check_columns(df, names)
    first_missing = next((f for f in faults if "missing" in f), None)
    expected = first_missing or faults[0]  # missing values are reported before infinite ones
    assert expected.split(" has ")[0] in str(err.value), (faults, str(err.value))
