"""Gravity centre and standard deviational ellipse of an index, year by year.

With city locations :math:`(x_i, y_i)` in a planar (projected) system and
the index :math:`w_{it} \\ge 0` as weight (Lefever 1926; Yuill 1971; the
"Directional Distribution" tool of ArcGIS that Chinese regional studies use):

* gravity (weighted mean) centre
  :math:`\\bar x_t = \\sum_i w_{it}x_i / \\sum_i w_{it}`, likewise :math:`\\bar y_t`;
* with :math:`\\tilde x_i = x_i - \\bar x_t`, :math:`\\tilde y_i = y_i - \\bar y_t`,
  the ellipse's axes lie along the eigenvectors of the weighted covariance;
  the angle :math:`\\theta` of an axis solves
  :math:`\\tan\\theta = -\\{(A-B) \\pm \\sqrt{(A-B)^2 + 4C^2}\\}/(2C)`,
  :math:`A=\\sum w\\tilde x^2`, :math:`B=\\sum w\\tilde y^2`,
  :math:`C=\\sum w\\tilde x\\tilde y`, and the standard distance along it is
  :math:`\\sigma = k\\sqrt{\\sum_i w_i(\\tilde y_i\\cos\\theta -
  \\tilde x_i\\sin\\theta)^2/\\sum_i w_i}`;
* ``correction`` sets k: "arcgis" :math:`\\sqrt2` (ArcGIS 10 and later, so that
  one standard deviation covers about 68 % of points), "crimestat"
  :math:`\\sqrt2\\sqrt{n/(n-2)}` (CrimeStat; Levine 2015, ch. 4) or "none" (1).

The axis lengths and angle come from :func:`pointpats.centrography.ellipse`
(PySAL).  Reported are the centre (also as lon/lat when the locations are
geographic), the semi-axes (km when projected here), the azimuth of the
major axis (degrees clockwise from north, 0-180), the area
:math:`\\pi\\sigma_{major}\\sigma_{minor}`, the shape index
:math:`\\sigma_{minor}/\\sigma_{major}`, and the centre's move since the
previous year (distance and azimuth).  Geographic locations (a GeoDataFrame
in a geographic CRS, or ``lon``/``lat`` columns) are projected to an
azimuthal equidistant projection centred on their mean, so distances are
true from the centre of the study area.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from pointpats.centrography import ellipse as pointpats_ellipse

from vagg._errors import DataError, SpecificationError
from vagg.evolution._inputs import panel_series, time_name

__all__ = ["CORRECTIONS", "EllipseResult", "standard_ellipse"]

#: correction name -> pointpats (method, crimestatCorr, degfreedCorr)
CORRECTIONS = {"arcgis": ("yuill", True, False), "crimestat": ("crimestat", True, True),
               "none": ("yuill", False, False)}


@dataclass(frozen=True)
class EllipseResult:
    """Gravity centres and standard deviational ellipses by year.

    Attributes
    ----------
    table
        One row a year: ``centre_x``, ``centre_y`` (planar units), ``lon``,
        ``lat`` (geographic inputs), ``sigma_major``, ``sigma_minor``,
        ``azimuth`` (degrees clockwise from north), ``area``, ``shape``
        (minor / major), ``shift`` (distance moved since the previous year)
        and ``shift_azimuth``.
    crs
        The planar CRS of the computation (a pyproj-readable string), or None
        for planar input coordinates.
    unit
        "km" when projected here, else "coordinate units".
    """

    table: pd.DataFrame
    crs: str | None
    unit: str

    def ellipses(self, n_vertices: int = 120, geographic: bool = True):
        """The ellipses as a GeoDataFrame indexed by year (lon/lat when ``geographic`` and known)."""
        import geopandas as gpd
        from shapely.geometry import Polygon

        t = np.linspace(0, 2 * np.pi, n_vertices, endpoint=False)
        scale = 1000.0 if self.unit == "km" else 1.0
        polys = []
        for _, row in self.table.iterrows():
            # major axis along the azimuth: direction (sin az, cos az) in (east, north)
            az = np.deg2rad(row["azimuth"])
            major = np.array([np.sin(az), np.cos(az)]) * row["sigma_major"] * scale
            minor = np.array([np.cos(az), -np.sin(az)]) * row["sigma_minor"] * scale
            centre = np.array([row["centre_x"], row["centre_y"]]) * scale
            pts = centre + np.outer(np.cos(t), major) + np.outer(np.sin(t), minor)
            polys.append(Polygon(pts))
        out = gpd.GeoDataFrame(self.table[["azimuth", "area", "shape"]].copy(), geometry=polys, crs=self.crs)
        if geographic and self.crs is not None:
            out = out.to_crs("EPSG:4326")
        return out


def _locations(coords, entities: pd.Index) -> tuple[np.ndarray, str | None, object]:
    """Planar (n x 2) locations in entity order, the CRS and its transformer back to lon/lat."""
    import geopandas as gpd
    from pyproj import Transformer

    if isinstance(coords, gpd.GeoDataFrame):
        if coords.crs is None:
            points = coords.geometry.centroid
            frame = pd.DataFrame({"x": points.x, "y": points.y}, index=coords.index)
        elif coords.crs.is_geographic:
            local = coords.to_crs(_aeqd(coords.to_crs("EPSG:4326").union_all().centroid.coords[0]))
            centroids = local.centroid.to_crs("EPSG:4326")
            frame = pd.DataFrame({"lon": centroids.x, "lat": centroids.y}, index=coords.index)
        else:
            points = coords.geometry.centroid
            frame = pd.DataFrame({"x": points.x, "y": points.y}, index=coords.index)
    elif isinstance(coords, pd.DataFrame):
        frame = coords
    else:
        raise DataError(f"locations must be a GeoDataFrame or a DataFrame with lon/lat or x/y columns, not "
                        f"{type(coords).__name__}")
    missing = [e for e in entities if e not in frame.index]
    if missing:
        raise DataError(f"no location for entit{'y' if len(missing) == 1 else 'ies'} "
                        f"{', '.join(map(repr, missing[:10]))}")
    frame = frame.loc[entities]
    if {"lon", "lat"} <= set(frame.columns):
        lonlat = frame[["lon", "lat"]].to_numpy(float)
        crs = _aeqd(tuple(lonlat.mean(axis=0)))
        forward = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
        xy = np.column_stack(forward.transform(lonlat[:, 0], lonlat[:, 1])) / 1000.0
        return xy, crs, Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    if {"x", "y"} <= set(frame.columns):
        return frame[["x", "y"]].to_numpy(float), None, None
    raise DataError(f"locations need lon/lat or x/y columns; got {list(frame.columns)}")


def _aeqd(lonlat: tuple[float, float]) -> str:
    return f"+proj=aeqd +lat_0={lonlat[1]:.6f} +lon_0={lonlat[0]:.6f} +datum=WGS84 +units=m +no_defs"


def _azimuth(dx: np.ndarray, dy: np.ndarray) -> np.ndarray:
    """Bearing of (dx east, dy north), degrees clockwise from north in [0, 360)."""
    return np.mod(np.rad2deg(np.arctan2(dx, dy)), 360.0)


def standard_ellipse(data: pd.DataFrame | pd.Series, locations, column: str | None = None,
                     correction: str = "arcgis") -> EllipseResult:
    """Gravity centre and standard deviational ellipse of an index for every year.

    Parameters
    ----------
    data
        Panel indexed (entity, time) with ``column``, or such a Series: the
        weights (an index value per city-year, non-negative).
    locations
        Where the entities are: a GeoDataFrame indexed by entity (centroids of
        its geometries; e.g. :func:`vagg.data.load_guangdong`), or a DataFrame
        indexed by entity with ``lon``/``lat`` (degrees) or ``x``/``y``
        (planar) columns.
    column
        Column of ``data`` when it is a DataFrame.
    correction
        "arcgis" (default), "crimestat" or "none"; see the module docstring.

    Raises
    ------
    DataError
        Negative weights (naming city and year), a year whose weights are all
        zero, fewer than three cities in a year, or an entity without a location.
    """
    if correction not in CORRECTIONS:
        raise SpecificationError(f"correction must be one of {sorted(CORRECTIONS)}, got {correction!r}")
    series, _ = panel_series(data, column)
    negative = series < 0
    if negative.any():
        where = series.index[negative.to_numpy()]
        raise DataError(f"weights of the ellipse must be non-negative; {series.name!r} is negative at "
                        f"{', '.join(map(str, where[:10]))}")
    entities = series.index.get_level_values(0).unique()
    xy, crs, backward = _locations(locations, entities)
    position = pd.Series(np.arange(len(entities)), index=entities)
    method, crimestat, degfreed = CORRECTIONS[correction]
    rows = {}
    for year, part in series.groupby(level=1, sort=True):
        w = part.to_numpy(float)
        pts = xy[position.loc[part.index.get_level_values(0)].to_numpy()]
        if len(w) < 3:
            raise DataError(f"an ellipse needs at least three cities; {year} has {len(w)}")
        if w.sum() <= 0:
            raise DataError(f"every weight of {series.name!r} is zero in {year}")
        centre = w @ pts / w.sum()
        major, minor, theta = pointpats_ellipse(pts, weights=w, method=method, crimestatCorr=crimestat,
                                                degfreedCorr=degfreed)
        rows[year] = {"centre_x": centre[0], "centre_y": centre[1], "sigma_major": float(major),
                      "sigma_minor": float(minor), "azimuth": float(np.mod(90.0 - np.rad2deg(theta), 180.0))}
    table = pd.DataFrame.from_dict(rows, orient="index").rename_axis(time_name(series))
    if backward is not None:
        lon, lat = backward.transform(table["centre_x"].to_numpy() * 1000.0, table["centre_y"].to_numpy() * 1000.0)
        table.insert(2, "lon", lon)
        table.insert(3, "lat", lat)
    table["area"] = np.pi * table["sigma_major"] * table["sigma_minor"]
    table["shape"] = table["sigma_minor"] / table["sigma_major"]
    dx, dy = table["centre_x"].diff(), table["centre_y"].diff()
    table["shift"] = np.hypot(dx, dy)
    table["shift_azimuth"] = _azimuth(dx.to_numpy(), dy.to_numpy())
    return EllipseResult(table=table, crs=crs, unit="km" if crs is not None else "coordinate units")
