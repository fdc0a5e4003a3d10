"""Ids: the one rule that turns a cell into an id, and joining a panel's ids to the bundled geography.

:func:`normalise_ids` is the rule for every entry point (a panel, id matching,
weights and boundary files): ``440100``, ``"440100"``, ``"440100.0"``,
``440100.0`` and ``"４４０１００"`` all mean ``"440100"``.  A panel may name its
units by adcode or by Chinese name (``"广州市"`` or
``"广州"``).  :func:`match_ids` maps each id to an adcode of
:func:`vagg.data.load_china` and reports how; ids it cannot place are listed
with their nearest candidates, never dropped in silence.

Rules, tried in order:

1. the normalised id is an adcode of the geography;
2. a municipality's prefecture code (``110100``, ``120100``, ``310100``,
   ``500100``: the census file codes Chongqing ``500100``) is read as the
   municipality's code (``110000`` ...) when only the latter exists; reported
   in :attr:`IdMatch.recoded` and in a warning;
3. a Chinese name equal to ``name_zh``, to it without its administrative
   suffix (市, 地区, 盟, 自治州, 区, 县, ...), or for an autonomous unit to its
   short form (``"延边"``, ``"延边州"`` for 延边朝鲜族自治州), if exactly one unit
   has it; a name several units share is listed with all of them.
"""

from __future__ import annotations

import difflib
import re
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from vagg._errors import DataError
from vagg.data.readers import NA_TOKENS, cell_texts, listing

#: administrative suffixes stripped when a name is matched, longest first
NAME_SUFFIXES = ("特别行政区", "自治州", "自治县", "自治旗", "地区", "林区", "新区", "市", "盟", "区", "县", "旗")
#: province-level municipalities: prefecture code -> municipality code
MUNICIPALITIES = {"110100": "110000", "120100": "120000", "310100": "310000", "500100": "500000",
                  "500200": "500000"}
#: an id that is a whole number written with a decimal point ("440100.", "440100.00"): the digits before it
_WHOLE = re.compile(r"^([+-]?\d+)\.0*$")
#: numbers that are not whole, or not written digit by digit: a decimal fraction, exponent form, infinity
_NOT_WHOLE = re.compile(r"^[+-]?(\d*\.\d+|(\d+\.?\d*|\.\d+)[eE][+-]?\d+|inf|infinity)$", re.IGNORECASE)


def normalise_ids(values: pd.Series | pd.Index | Iterable[object], required: bool = False, label: str = "ids",
                  rows: Sequence[object] | None = None) -> pd.Series:
    """Ids as text, one rule for every entry point (panels, id matching, weights and boundary files).

    Each cell is read as text and then, vectorised:

    1. folded by Unicode NFKC, so full-width digits and signs are ASCII (``"４４０１００"`` is
       ``"440100"``), and stripped of surrounding blanks (``" 440100 "``);
    2. a whole number loses its decimal point: ``440100.0``, ``np.float64(440100)``, ``"440100.0"``,
       ``"440100.00"`` and ``"440100."`` all give ``"440100"``; integers (``440100``,
       ``np.int64(440100)``) give their digits;
    3. a number that is not whole, or not written digit by digit, is refused: ``440100.5``,
       ``"440100.50"``, ``"4.401e5"``, ``inf`` raise :class:`~vagg.DataError` naming the value (an id
       is a code or a name, never a measurement; exponent form hides the digits);
    4. a missing cell (``None``, NaN, ``pd.NA``, ``""`` or a placeholder of
       :data:`vagg.data.readers.NA_TOKENS` such as ``"n.a."`` or ``"-"``) is NaN, or with
       ``required=True`` a DataError naming where it is;
    5. anything else is kept as text: names (``"广州市"``) and codes with leading zeros
       (``"0101"`` stays ``"0101"``; the integer ``101`` is ``"101"``).

    Parameters
    ----------
    values
        The ids (a column, an index, a list).
    required
        Refuse missing ids (weights files, id matching) instead of returning NaN (a panel
        reader, which then reports the rows).
    label
        What the ids are, for error messages (``"entity column 'city'"``).
    rows
        Row labels of ``values`` for error messages (a file's line numbers); positions
        (1, 2, ...) if omitted.

    Returns
    -------
    pandas.Series
        Object dtype: text ids, NaN where missing; the index of ``values`` if it is a Series.

    Raises
    ------
    DataError
        A number that is not a whole number; a missing id when ``required``.
    """
    series = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    text = cell_texts(series).str.replace(_WHOLE, r"\1", regex=True)
    missing = text.isin(NA_TOKENS).to_numpy()
    bad = text.str.match(_NOT_WHOLE).to_numpy(dtype=bool)
    if bad.any():
        raise DataError(f"{label}: not whole numbers written in digits, so not ids: {_cells(series, bad, rows)}; "
                        "an id is a code (440100) or a name (广州市)")
    if required and missing.any():
        raise DataError(f"{label}: missing id (empty, NaN or a placeholder such as 'n.a.'): "
                        f"{_cells(series, missing, rows)}")
    return text.where(~missing, np.nan).astype(object)


def _cells(values: pd.Series, mask: np.ndarray, rows: Sequence[object] | None) -> str:
    """The flagged cells as given, each with its row (or position; none for a single value)."""
    at = np.flatnonzero(mask)
    if rows is None and len(values) == 1:
        return repr(values.iloc[0])
    where, noun = (np.arange(1, len(values) + 1), "position") if rows is None else (list(rows), "row")
    return listing(f"{values.iloc[i]!r} ({noun} {where[i]})" for i in at)


def normalise_id(value: object) -> str:
    """One id as text by :func:`normalise_ids` (``required=True``): ``440100``, ``440100.0``,
    ``"440100.0"``, ``" ４４０１００ "`` all give ``"440100"``; a name is stripped (``"广州市"``).

    Raises
    ------
    DataError
        A missing id (None, NaN, a placeholder such as ``"n.a."``) or a number that is not whole
        (``440100.5``).
    """
    return str(normalise_ids(pd.Series([value], dtype=object), required=True, label="id").iloc[0])


#: ethnic groups named in autonomous prefectures, counties and banners (延边朝鲜族自治州 -> 延边, 延边州)
ETHNIC_GROUPS = (
    "蒙古", "回", "藏", "维吾尔", "苗", "彝", "壮", "布依", "朝鲜", "满", "侗", "瑶", "白", "土家", "哈尼", "哈萨克",
    "傣", "黎", "傈僳", "佤", "畲", "拉祜", "水", "东乡", "纳西", "景颇", "柯尔克孜", "土", "达斡尔", "仫佬", "羌",
    "布朗", "撒拉", "毛南", "仡佬", "锡伯", "阿昌", "普米", "塔吉克", "怒", "乌孜别克", "俄罗斯", "鄂温克", "德昂",
    "保安", "裕固", "京", "塔塔尔", "独龙", "鄂伦春", "赫哲", "门巴", "珞巴", "基诺",
)
_AUTONOMOUS = re.compile(r"^(.+?)(?:(?:" + "|".join(sorted(ETHNIC_GROUPS, key=len, reverse=True))
                         + r")族?)+自治([州县旗])$")


def name_forms(name: str) -> set[str]:
    """The forms a panel may use for a place: full, without suffix, and for autonomous units the short
    form with and without the level (``"延边朝鲜族自治州"`` -> ``"延边"``, ``"延边州"``)."""
    forms = {name, strip_suffix(name)}
    found = _AUTONOMOUS.match(name)
    if found:
        forms |= {found.group(1), found.group(1) + found.group(2)}
    return forms


def strip_suffix(name: str) -> str:
    """A Chinese place name without its administrative suffix (``"广州市"`` -> ``"广州"``)."""
    for suffix in NAME_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


@dataclass
class IdMatch:
    """The result of :func:`match_ids`.

    Attributes
    ----------
    mapping
        ``{given id (as given): adcode}`` for every id placed.
    how
        ``{given id: "adcode" | "municipality code" | "name"}``.
    recoded
        ``{given id: adcode}`` for the ids placed by rule 2 (a different code).
    unmatched
        ``{given id: [nearest candidates as "adcode name"]}``.
    """

    mapping: dict[object, str] = field(default_factory=dict)
    how: dict[object, str] = field(default_factory=dict)
    recoded: dict[object, str] = field(default_factory=dict)
    unmatched: dict[object, list[str]] = field(default_factory=dict)

    def report(self) -> str:
        """One line per recoded or unmatched id."""
        lines = [f"{given!r} -> {code} (municipality code)" for given, code in self.recoded.items()]
        lines += [f"{given!r}: no match; nearest: {', '.join(c) or 'none'}" for given, c in self.unmatched.items()]
        return "\n".join(lines)


def _candidates(text: str, geography: pd.DataFrame, n: int = 3) -> list[str]:
    labels = [f"{code} {name}" for code, name in zip(geography.index, geography["name_zh"])]
    if text.isdigit():
        codes = list(geography.index)
        # nearest codes: longest common prefix, then numeric distance
        score = sorted(codes, key=lambda c: (-len(_common_prefix(c, text)), abs(int(c) - int(text))))
        chosen = set(score[:n])
        return [lab for code, lab in zip(geography.index, labels) if code in chosen]
    names = list(geography["name_zh"])
    close = difflib.get_close_matches(text, names, n=n, cutoff=0.3)
    close += [nm for nm in difflib.get_close_matches(strip_suffix(text), [strip_suffix(x) for x in names],
                                                     n=n, cutoff=0.3)]
    chosen = []
    for nm in close:
        for code, name in zip(geography.index, names):
            if (name == nm or strip_suffix(name) == nm) and f"{code} {name}" not in chosen:
                chosen.append(f"{code} {name}")
    return chosen[:n]


def _common_prefix(a: str, b: str) -> str:
    k = 0
    while k < min(len(a), len(b)) and a[k] == b[k]:
        k += 1
    return a[:k]


def match_ids(ids: Iterable[object], level: str = "prefecture", geography: pd.DataFrame | None = None,
              on_unmatched: str = "raise") -> IdMatch:
    """Map a panel's ids (adcodes or Chinese names) to the adcodes of a geography.

    Parameters
    ----------
    ids
        The panel's unit ids, in any of the forms above.
    level
        ``"prefecture"`` or ``"county"``: the bundled geography to match
        against (ignored when ``geography`` is given).
    geography
        A frame indexed by adcode (text) with a ``name_zh`` column, e.g. a
        subset of :func:`vagg.data.load_china`.
    on_unmatched
        ``"raise"`` (DataError listing every unmatched id with its nearest
        candidates) or ``"report"`` (keep them in :attr:`IdMatch.unmatched`).

    Returns
    -------
    IdMatch
    """
    if on_unmatched not in ("raise", "report"):
        raise DataError(f"on_unmatched must be 'raise' or 'report', got {on_unmatched!r}")
    if geography is None:
        from vagg.data.china import load_china

        geography = load_china(level)
    codes = set(map(str, geography.index))
    names = pd.Series(list(map(str, geography.index)), index=geography["name_zh"].astype(str).to_numpy())
    forms = [(form, code) for name, code in names.items() for form in name_forms(name)]
    stripped = pd.Series([code for _, code in forms], index=[form for form, _ in forms]).groupby(level=0).agg(
        lambda codes: sorted(set(codes)))
    result = IdMatch()
    unique = list(dict.fromkeys(ids))
    for given, text in zip(unique, normalise_ids(unique, required=True, label="ids to match")):
        if text in codes:
            result.mapping[given], result.how[given] = text, "adcode"
        elif text in MUNICIPALITIES and MUNICIPALITIES[text] in codes:
            result.mapping[given] = result.recoded[given] = MUNICIPALITIES[text]
            result.how[given] = "municipality code"
        else:
            hits = list(names[names.index == text])
            for form in (text, strip_suffix(text)):
                if not hits and form in stripped.index:
                    hits = stripped[form]
            if len(hits) == 1:
                result.mapping[given], result.how[given] = str(hits[0]), "name"
            else:
                result.unmatched[given] = ([f"{c} {geography.loc[c, 'name_zh']}" for c in hits] if len(hits) > 1
                                           else _candidates(text, geography))
    clash = pd.Series(result.mapping).loc[lambda s: s.duplicated(keep=False)]
    if len(clash):
        raise DataError("several ids map to the same unit: " + "; ".join(
            f"{code}: {', '.join(map(repr, group.index))}" for code, group in clash.groupby(clash)))
    if result.recoded:
        warnings.warn("ids read as municipality codes: " + ", ".join(
            f"{g!r} -> {c}" for g, c in result.recoded.items()), stacklevel=2)
    if result.unmatched and on_unmatched == "raise":
        raise DataError(f"{len(result.unmatched)} id(s) match no unit of the geography:\n" + "\n".join(
            f"  {g!r}: nearest {', '.join(c) or 'none'}" for g, c in result.unmatched.items()))
    return result
