"""Exceptions raised by vagg.

Both subclass :class:`ValueError`, so code that already catches ``ValueError``
keeps working; catch these to tell bad data from a bad specification.
"""

from __future__ import annotations


class DataError(ValueError):
    """The data are malformed: a missing file, duplicate city-years, text in a
    numeric column, a gap in a panel that must be balanced, weights ids that do
    not match the panel.  The message names the column, entity, year or id."""


class SpecificationError(ValueError):
    """The model or index specification is impossible: an unknown method, a
    mediator that is the outcome, a column named in an indicator system that the
    data lack, a regressor that the fixed effects absorb."""
