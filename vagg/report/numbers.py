"""How a number is printed in a table: adaptive precision, p-values, and the Excel format that prints it the same.

Rules (one place, so every table and every format agrees):

- a value is printed with ``digits`` decimals unless that would print a
  non-zero value as zero (``0.000`` for a coefficient per yuan); then the
  decimals grow until two significant digits show, and past
  :data:`MAX_DECIMALS` the value is printed in scientific notation
  (``precision="auto"``).  ``precision="scientific"`` goes straight to
  scientific notation for such values.  ``precision="rescale"`` (regression
  tables) divides a regressor whose coefficients would print as zero by a power
  of ten (:func:`rescale_power`) and says so in its label and a note; any other
  number prints as under "auto".  Never ``0.000`` for a non-zero value.
- an estimate and its standard error share their decimals (the finer of the two),
  so the pair reads as one number and its uncertainty.
- a p-value prints with three decimals, and as ``<0.001`` below 0.001.

Each printer also returns the Excel number format that shows the stored number
the same way (``0.0000"***"``, ``"("0.0000")"``, ``[<0.001]"<0.001";0.000``), so
that a spreadsheet cell holds the number itself.
"""

from __future__ import annotations

import math

from vagg._errors import SpecificationError

#: decimals beyond which a small value is printed in scientific notation
MAX_DECIMALS = 6
PRECISIONS = ("auto", "scientific", "rescale")
_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
#: the threshold below which a p-value prints as "<0.001"
P_FLOOR = 0.001


def decimals_for(value: float, digits: int, precision: str = "auto") -> int | None:
    """Decimals that print ``value`` non-zero with at least ``digits``; None means scientific notation."""
    if precision not in PRECISIONS:
        raise SpecificationError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    if not math.isfinite(value) or value == 0.0 or abs(value) >= 0.5 * 10.0 ** -digits:
        return digits
    if precision == "scientific":
        return None
    needed = 1 - math.floor(math.log10(abs(value)))  # two significant digits
    return needed if needed <= MAX_DECIMALS else None


def rescale_power(values: list[float], digits: int) -> int:
    """The power of ten k by which to divide a regressor so that its largest coefficient prints non-zero.

    0 when the largest absolute value already shows at ``digits`` decimals;
    otherwise k with max|b| * 10^k in [0.1, 1).  A linear model's coefficient
    of x / 10^k is b * 10^k, its standard error se * 10^k, its t and p unchanged.
    """
    finite = [abs(v) for v in values if math.isfinite(v) and v != 0.0]
    if not finite or max(finite) >= 0.5 * 10.0 ** -digits:
        return 0
    return -math.floor(math.log10(max(finite))) - 1


def power_label(k: int) -> str:
    """``10`` with ``k`` as a superscript (``10⁶``)."""
    return "10" + str(k).translate(_SUPERSCRIPT)


def shared_decimals(values: list[float], digits: int, precision: str = "auto") -> int | None:
    """The decimals of several numbers printed together (an estimate and its se): the finest needed."""
    chosen = [decimals_for(v, digits, precision) for v in values]
    if any(d is None for d in chosen):
        return None
    return max(chosen, default=digits)


def excel_pattern(decimals: int | None) -> str:
    """The Excel number pattern for fixed ``decimals`` (``0.000``) or scientific notation (``0.0E+00``)."""
    if decimals is None:
        return "0.0E+00"
    return "0." + "0" * decimals if decimals > 0 else "0"


def format_fixed(value: float, decimals: int | None) -> str:
    """``value`` with ``decimals`` decimals, or in scientific notation (two significant digits) when None."""
    if not math.isfinite(value):
        return ""
    if decimals is None:
        return f"{value:.1e}"
    text = f"{value:.{decimals}f}"
    return text[1:] if text.startswith("-") and float(text) == 0.0 else text


def excel_literal(text: str) -> str:
    """Text that an Excel number format prints as it is."""
    return '"' + text.replace('"', "") + '"' if text else ""


def format_number(value: float, digits: int = 3, precision: str = "auto", prefix: str = "",
                  suffix: str = "", decimals: int | None | str = "choose") -> tuple[str, str]:
    """The printed text of ``value`` and the Excel format that prints it the same.

    ``decimals`` fixes the decimals (None: scientific); by default they come
    from :func:`decimals_for`.
    """
    d = decimals_for(value, digits, precision) if decimals == "choose" else decimals
    text = prefix + format_fixed(value, d) + suffix
    return text, excel_literal(prefix) + excel_pattern(d) + excel_literal(suffix)


def format_pvalue(p: float, prefix: str = "", suffix: str = "") -> tuple[str, str]:
    """A p-value with three decimals, ``<0.001`` below 0.001; and its Excel format."""
    if not math.isfinite(p):
        return "", ""
    shown = "<0.001" if p < P_FLOOR else f"{p:.3f}"
    pre, post = excel_literal(prefix), excel_literal(suffix)
    return (prefix + shown + suffix,
            f'[<{P_FLOOR}]{pre}"<0.001"{post};{pre}0.000{post}')


__all__ = ["MAX_DECIMALS", "PRECISIONS", "decimals_for", "excel_pattern", "format_fixed", "format_number",
           "format_pvalue", "power_label", "rescale_power", "shared_decimals"]
