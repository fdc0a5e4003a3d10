"""The result object of the inequality decompositions (Dagum Gini, Theil)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd


@dataclass(frozen=True)
class Decomposition:
    """Year-by-year inequality decomposition.

    Attributes
    ----------
    summary
        One row per year (index: the panel's time level) with ``total``,
        ``within``, ``between`` (and ``transvariation`` for Dagum), their
        ``*_share`` of the total, and ``n``.
    groups
        One row per year x group (index (time, group)): ``n``, ``mean``,
        ``population_share``, ``value_share`` and the group's own index.
    pairs
        Dagum only: one row per year x pair of groups (index (time, group_a,
        group_b), labels in sorted order), else an empty frame.
    cross_section
        True when the input was a single cross-section: ``total``, ``within``,
        ``between`` and ``transvariation`` are then floats, else Series by year.
    measure
        "dagum_gini", "theil_T" or "theil_L".
    """

    summary: pd.DataFrame
    groups: pd.DataFrame
    pairs: pd.DataFrame = field(default_factory=pd.DataFrame)
    cross_section: bool = False
    measure: str = ""

    def _component(self, name: str) -> float | pd.Series:
        column = self.summary[name]
        return float(column.iloc[0]) if self.cross_section else column

    @property
    def total(self) -> float | pd.Series:
        """The overall index."""
        return self._component("total")

    @property
    def within(self) -> float | pd.Series:
        """The within-group contribution."""
        return self._component("within")

    @property
    def between(self) -> float | pd.Series:
        """The (net) between-group contribution."""
        return self._component("between")

    @property
    def transvariation(self) -> float | pd.Series:
        """Dagum's transvariation (overlap) contribution; absent for Theil."""
        if "transvariation" not in self.summary:
            raise AttributeError(f"{self.measure} has no transvariation term")
        return self._component("transvariation")
