"""Fixed-effects two-stage least squares and weak-instrument diagnostics.

With endogenous regressors :math:`X_1`, exogenous regressors :math:`X_2`,
excluded instruments :math:`Z_1` and the fixed effects removed by the within
transformation (:mod:`vagg.models._within`), 2SLS is
:math:`\\hat\\beta = (\\ddot X'P_{\\ddot Z}\\ddot X)^{-1}\\ddot X'P_{\\ddot Z}\\ddot y`
with :math:`Z = [Z_1, X_2]` (Wooldridge 2010, section 11.1.1); the
covariance is the sandwich of :mod:`vagg.models._covariance` on
:math:`\\hat X = P_Z X` with the 2SLS residuals, and the degrees of freedom
count the absorbed effects (:math:`n-k-D`) as for :class:`PanelFE`.

Diagnostics, all on the data after partialling out the effects and
:math:`X_2` (Frisch-Waugh-Lovell):

* first-stage F: the Wald statistic of :math:`\\pi=0` for the excluded
  instruments in each first stage, over :math:`L`, with the chosen covariance;
* Kleibergen-Paap (2006) rk statistics for :math:`H_0: \\mathrm{rank}(\\Pi)=K-1`:
  with :math:`\\hat\\Theta = F\\hat\\Pi G^{-1}` (:math:`F'F=Z'Z`,
  :math:`G'G=X'X`) and its singular vectors :math:`U_\\perp, V_\\perp`
  belonging to the smallest :math:`L-K+1` and last singular values,
  :math:`\\lambda = \\mathrm{vec}(U_\\perp'\\hat\\Theta V_\\perp)` and
  :math:`rk = \\lambda'[(V_\\perp'\\otimes U_\\perp')\\hat W(V_\\perp\\otimes U_\\perp)]^{-1}\\lambda`,
  :math:`\\hat W` the robust covariance of :math:`\\mathrm{vec}\\hat\\Theta`.  The
  LM form computes :math:`\\hat W` with :math:`X` as residuals (under the
  null), the Wald form with the first-stage residuals; the rk Wald F is
  :math:`rk/L\\cdot(n-L-k_2-D)/n` (times :math:`(G-1)/G` when clustered), the
  convention of ivreg2 (Baum, Schaffer and Stillman 2007).  Under
  homoskedasticity the rk LM is Anderson's canonical-correlation LM and the rk
  Wald is the Cragg-Donald (1993) statistic;
* Anderson-Rubin (1949): for :math:`H_0:\\beta_1=\\beta_0`, the Wald test that
  :math:`Z_1` does not explain :math:`y - X_1\\beta_0` given :math:`X_2`,
  robust to weak instruments (F form over :math:`L` and chi-squared).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import linalg, stats

from vagg._errors import SpecificationError
from vagg.models._covariance import cluster_meat, sandwich
from vagg.models._results import table_info
from vagg.models.panel_fe import COV_TYPES, CoefficientTable, PanelFE, _cov_label


def _partial(a: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Residual of ``a`` on ``w`` (a itself when ``w`` has no columns)."""
    if w.shape[1] == 0:
        return a
    return a - w @ np.linalg.lstsq(w, a, rcond=None)[0]


def _meat(z: np.ndarray, e: np.ndarray, kind: str, clusters: np.ndarray | None) -> np.ndarray:
    """Uncorrected meat of vec(Pi): sum of (e_i kron z_i) outer products (clustered: summed by cluster)."""
    scores = (e[:, :, None] * z[:, None, :]).reshape(len(z), -1)  # column-major vec of Z'e
    if kind == "unadjusted":
        return np.kron(e.T @ e / len(z), z.T @ z)
    if kind == "clustered":
        meat, g = cluster_meat(scores, clusters)
        return meat * (g - 1) / g
    return scores.T @ scores


def kleibergen_paap(x: np.ndarray, z: np.ndarray, kind: str = "robust", clusters: np.ndarray | None = None,
                    form: str = "wald") -> float:
    """Kleibergen-Paap rk statistic for rank(Pi) = K - 1 (see the module notes).

    Parameters
    ----------
    x, z
        (n x K) endogenous regressors and (n x L) excluded instruments, both
        already partialled for the effects and the exogenous regressors.
    kind
        "unadjusted", "robust" or "clustered".
    clusters
        (n,) cluster codes for "clustered".
    form
        "wald" (first-stage residuals) or "lm" (x as residuals).

    Returns
    -------
    The chi-squared statistic with :math:`L-K+1` degrees of freedom.
    """
    k = x.shape[1]
    zz_inv = np.linalg.inv(z.T @ z)
    pi = zz_inv @ z.T @ x
    f = linalg.cholesky(z.T @ z)  # upper, F'F = Z'Z
    g = linalg.cholesky(x.T @ x)
    g_inv = np.linalg.inv(g)
    theta = f @ pi @ g_inv
    u, _, vt = np.linalg.svd(theta)
    u_perp, v_perp = u[:, k - 1:], vt.T[:, k - 1:]
    lam = (u_perp.T @ theta @ v_perp).ravel(order="F")
    e = x - z @ pi if form == "wald" else x
    meat = _meat(z, e, kind, clusters)
    bread = np.kron(np.eye(k), zz_inv)
    v_pi = bread @ meat @ bread
    to_theta = np.kron(g_inv.T, f)
    w = to_theta @ v_pi @ to_theta.T
    kron = np.kron(v_perp.T, u_perp.T)
    omega = kron @ w @ kron.T
    return float(lam @ np.linalg.solve(omega, lam))


def wald_zero(y: np.ndarray, w: np.ndarray, tested: int, kind: str, df_resid: int,
              clusters: np.ndarray | None) -> float:
    """Wald statistic that the first ``tested`` coefficients of y on w are zero (sandwich covariance)."""
    coef = np.linalg.lstsq(w, y, rcond=None)[0]
    cov, _ = sandwich(w, y - w @ coef, kind, df_resid, clusters=clusters)
    b = coef[:tested]
    return float(b @ np.linalg.solve(cov[:tested, :tested], b))


class PanelIV:
    """Fixed-effects 2SLS.

    Parameters
    ----------
    data
        DataFrame indexed by (entity, time).
    dependent
        Outcome column.
    endog, exog, instruments
        Endogenous regressors, exogenous regressors and excluded instruments
        (column names); at least as many instruments as endogenous regressors.
    effects
        "none", "entity", "time" or "twoway".
    """

    def __init__(self, data: pd.DataFrame, dependent: str, endog: Sequence[str], exog: Sequence[str],
                 instruments: Sequence[str], effects: str = "twoway") -> None:
        endog, exog, instruments = list(endog), list(exog), list(instruments)
        for role, names in (("endogenous regressor", endog), ("exogenous regressor", exog),
                            ("instrument", instruments), ("dependent variable", [dependent])):
            absent = [c for c in names if c not in data.columns]
            if absent:
                raise SpecificationError(f"{role} {absent[0]!r} is not a column of the data")
        if not endog or len(instruments) < len(endog):
            raise SpecificationError(f"{len(instruments)} instrument(s) cannot identify {len(endog)} endogenous "
                                     "regressor(s); at least as many are needed")
        clash = set(instruments) & set(endog + exog)
        if clash:
            raise SpecificationError(f"instrument {sorted(clash)[0]!r} is also a regressor")
        self.dependent, self.endog, self.exog, self.instruments = dependent, endog, exog, instruments
        self.base = PanelFE(data[dependent], data[endog + exog + instruments], effects=effects, data=data)
        lost = [c for c in endog + exog + instruments if c not in self.base.exog_names]
        if lost:
            raise SpecificationError(f"{lost[0]!r} is absorbed by the fixed effects or collinear; drop it")

    @classmethod
    def from_formula(cls, formula: str, data: pd.DataFrame, effects: str = "twoway") -> PanelIV:
        """``"y ~ w1 + w2 + [x ~ z1 + z2]"``, the linearmodels bracket syntax."""
        if "[" not in formula or "]" not in formula or "~" not in formula.split("[", 1)[0]:
            raise SpecificationError(f"an IV formula looks like 'y ~ w1 + [x ~ z1 + z2]'; got {formula!r}")
        outer, inner = formula.split("[", 1)
        inner, rest = inner.split("]", 1)
        lhs, exog_part = outer.split("~")
        endog_part, inst_part = inner.split("~")

        def terms(text: str) -> list[str]:
            return [t.strip() for t in text.split("+") if t.strip() not in ("", "0", "1")]

        return cls(data, lhs.strip(), terms(endog_part), terms(exog_part) + terms(rest), terms(inst_part),
                   effects=effects)

    def _blocks(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        names = self.base.exog_names
        pick = lambda cols: self.base.x_dm[:, [names.index(c) for c in cols]]  # noqa: E731
        exog = pick((["const"] if self.base.effects == "none" else []) + self.exog)
        return self.base.y_dm, pick(self.endog), exog, pick(self.instruments)

    def fit(self, cov: str = "clustered", cluster: str | Sequence[str] | None = None) -> PanelIVResults:
        """2SLS with first-stage, Kleibergen-Paap and (at 0) Anderson-Rubin diagnostics."""
        if cov not in COV_TYPES or cov == "driscoll-kraay":
            raise SpecificationError(f"PanelIV supports cov in {COV_TYPES[:3]}, got {cov!r}")
        y, x1, x2, z1 = self._blocks()
        x = np.column_stack([x1, x2])
        z = np.column_stack([z1, x2])
        xhat = z @ np.linalg.lstsq(z, x, rcond=None)[0]
        params = np.linalg.solve(xhat.T @ x, xhat.T @ y)
        resid = y - x @ params
        n = len(y)
        clusters = self.base._cluster_codes(cluster) if cov == "clustered" else None
        if clusters is not None and clusters.shape[1] != 1:
            raise SpecificationError("PanelIV supports one-way clustering")
        d = self.base._nested_df(clusters) if clusters is not None else self.base.df_absorbed
        df_resid = n - x.shape[1] - d
        vcov, info = sandwich(xhat, resid, cov, df_resid, clusters=clusters)
        codes = None if clusters is None else clusters[:, 0]
        return PanelIVResults(self, params, vcov, resid, _cov_label(cov, cluster, info), info, df_resid, d, codes)


class PanelIVResults(CoefficientTable):
    """2SLS estimates and instrument diagnostics in the linearmodels shape."""

    def __init__(self, model: PanelIV, params: np.ndarray, vcov: np.ndarray, resid: np.ndarray, cov_label: str,
                 info: dict[str, object], df_resid: int, df_effects: int, clusters: np.ndarray | None) -> None:
        names = model.endog + (["const"] if model.base.effects == "none" else []) + model.exog
        self.model, self.clusters, self.cov_type = model, clusters, cov_label
        self.cov_kind = cov_label.split(" ")[0]
        self.params = pd.Series(params, index=names, name="parameter")
        self.cov = pd.DataFrame(vcov, index=names, columns=names)
        self.std_errors = pd.Series(np.sqrt(np.diag(vcov)), index=names, name="std_error")
        self.tstats = (self.params / self.std_errors).rename("tstat")
        self.n_clusters = info["n_clusters"]
        self.df_t = self.n_clusters - 1 if clusters is not None else df_resid
        self.pvalues = pd.Series(2 * stats.t.sf(np.abs(self.tstats.to_numpy()), self.df_t), index=names,
                                 name="pvalue")
        self.resid = resid
        self.nobs = len(resid)
        self.df_resid, self.df_effects = df_resid, df_effects
        self._diagnostics()

    def _partialled(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        y, x1, x2, z1 = self.model._blocks()
        return _partial(y[:, None], x2)[:, 0], _partial(x1, x2), _partial(z1, x2)

    def _diagnostics(self) -> None:
        y, x1, z1 = self._partialled()
        _, _, x2, _ = self.model._blocks()
        n, ell, k2 = self.nobs, z1.shape[1], x2.shape[1]
        df_first = n - ell - k2 - self.df_effects
        first = {}
        for j, name in enumerate(self.model.endog):
            w = wald_zero(x1[:, j], z1, ell, self.cov_kind, df_first, self._codes())
            first[name] = w / ell
        self.first_stage_f = pd.Series(first, name="first-stage F")
        lm = kleibergen_paap(x1, z1, self.cov_kind, self.clusters, form="lm")
        wald = kleibergen_paap(x1, z1, self.cov_kind, self.clusters, form="wald")
        dof = ell - x1.shape[1] + 1
        scale = (n - ell - k2 - self.df_effects) / n
        if self.clusters is not None:
            scale *= (self.n_clusters - 1) / self.n_clusters
        self.kp_lm, self.kp_lm_pvalue = lm, float(stats.chi2.sf(lm, dof))
        self.kp_wald = wald
        self.kp_wald_f = wald / ell * scale

    def _codes(self) -> np.ndarray | None:
        return None if self.clusters is None else self.clusters[:, None]

    def anderson_rubin(self, null: float | Sequence[float] = 0.0) -> pd.Series:
        """Anderson-Rubin test of :math:`\\beta_{endog} = ` ``null`` (robust to weak instruments).

        Returns F (Wald/L, p from F(L, df)) and chi-squared forms.
        """
        y, x1, x2, z1 = self.model._blocks()
        beta0 = np.broadcast_to(np.asarray(null, dtype=float), (x1.shape[1],))
        ell = z1.shape[1]
        df = self.nobs - ell - x2.shape[1] - self.df_effects
        w = wald_zero(y - x1 @ beta0, np.column_stack([z1, x2]), ell, self.cov_kind, df, self._codes())
        df_f = self.df_t if self.clusters is not None else df
        return pd.Series({"F": w / ell, "F_pvalue": float(stats.f.sf(w / ell, ell, df_f)), "chi2": w,
                          "chi2_pvalue": float(stats.chi2.sf(w, ell)), "df": ell}, name="Anderson-Rubin")

    @property
    def table_info(self) -> dict[str, object]:
        base = self.model.base
        return table_info(
            dependent=self.model.dependent, model="FE-2SLS",
            entity_effects=base.effects in ("entity", "twoway"), time_effects=base.effects in ("time", "twoway"),
            cov_type=self.cov_type, n_clusters=self.n_clusters, nobs=self.nobs,
            extra={"first-stage F": float(self.first_stage_f.min()), "KP rk LM": self.kp_lm,
                   "KP rk Wald F": self.kp_wald_f})

    @property
    def summary(self) -> str:
        ar = self.anderson_rubin()
        lines = [f"Fixed-effects 2SLS: {self.model.dependent}   effects: {self.model.base.effects}   "
                 f"observations: {self.nobs}   covariance: {self.cov_type}",
                 self.coefficient_table(),
                 "first-stage F: " + ", ".join(f"{k} {v:.2f}" for k, v in self.first_stage_f.items()),
                 f"Kleibergen-Paap rk LM {self.kp_lm:.3f} (p {self.kp_lm_pvalue:.4f}), rk Wald F {self.kp_wald_f:.3f}",
                 f"Anderson-Rubin (beta = 0): F {ar['F']:.3f} (p {ar['F_pvalue']:.4f})"]
        return "\n".join(lines)
