"""Spatiotemporal evolution: disparities, distribution dynamics, spatial
autocorrelation and convergence (describes; estimates nothing causal).

Every function takes a panel indexed (entity, time) and a column (or a Series
with that index), plus a group column or a spatial weights object where
needed, and returns tidy DataFrames (one row per year, per year x group or
per year x pair) or a small result object holding them.

=============================  ==============================================
:func:`dagum_gini`             Dagum (1997) Gini decomposition by group
:func:`theil`                  Theil T / L with between-within decomposition
:func:`kernel_density`         Gaussian kernel densities on a common grid
:func:`markov`                 Markov chain on quantile classes (giddy)
:func:`spatial_markov`         Markov chain conditioned on neighbours' class
:func:`moran`, :func:`geary`   global spatial autocorrelation per year
:func:`lisa`                   local Moran clusters HH / LL / HL / LH per year
:func:`sigma_convergence`      cv and sd of logs per year and group
:func:`beta_convergence`       absolute / conditional beta (panel FE)
:func:`spatial_beta_convergence`  beta convergence as a spatial Durbin panel
:func:`standard_ellipse`       gravity centre and standard deviational ellipse per year
=============================  ==============================================
"""

from __future__ import annotations

from vagg.evolution._result import Decomposition
from vagg.evolution.autocorrelation import geary, lisa, moran
from vagg.evolution.beta import BetaConvergence, beta_convergence, spatial_beta_convergence
from vagg.evolution.dagum import dagum_gini
from vagg.evolution.ellipse import EllipseResult, standard_ellipse
from vagg.evolution.density import kernel_density
from vagg.evolution.markov import MarkovResult, SpatialMarkovResult, markov, spatial_markov
from vagg.evolution.sigma import sigma_convergence
from vagg.evolution.theil import theil

__all__ = [
    "BetaConvergence",
    "Decomposition",
    "EllipseResult",
    "MarkovResult",
    "SpatialMarkovResult",
    "beta_convergence",
    "dagum_gini",
    "geary",
    "kernel_density",
    "lisa",
    "markov",
    "moran",
    "sigma_convergence",
    "spatial_beta_convergence",
    "spatial_markov",
    "standard_ellipse",
    "theil",
]
