"""Two-way fixed-effects panel regression with inference that suits few clusters.

``panel_fe(data, "late_rate ~ treated", unit="unit_code", time="period")`` removes unit and
period fixed effects (each district's own level, each quarter's province-wide shock) and
estimates the remaining coefficients by least squares.

Inference. Errors are correlated over time within a district, so standard errors are
clustered (by ``cluster``, default the unit). With fewer than about 40 clusters the usual
cluster-robust (CR1) standard errors are too small and t tests reject too often; the default
(``inference="auto"``) then uses the **wild cluster restricted bootstrap** (WCR; Cameron,
Gelbach and Miller 2008; MacKinnon and Webb 2017) with Webb's six-point weights, which has
close to the nominal size with 20 or so clusters as long as not too few of them are treated.
p-values come from the bootstrap distribution of the t statistic under the null, and
confidence intervals by inverting that test (the set of values not rejected), computed
exactly for every candidate value with the closed-form algebra of Roodman et al. (2019),
so no extra regression is run per bootstrap draw.

Caution: when adoption is staggered and effects change with time since adoption, the TWFE
coefficient on a treated dummy is a weighted average of effects with possibly negative
weights (Goodman-Bacon 2021); compare with :func:`paranalysis.models.staggered_did`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from paranalysis.errors import DataError, Problem
from paranalysis.i18n import Message
from paranalysis.distributions import t_ppf, t_sf
from paranalysis.results import Result, tidy_frame

WEBB = np.array([-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)])
FEW_CLUSTERS = 40


def _codes(x) -> np.ndarray:
    return pd.factorize(pd.Series(x), sort=True)[0]


def demean_two_way(M: np.ndarray, a: np.ndarray, b: np.ndarray, *, tol: float = 1e-12, max_iter: int = 10_000) -> np.ndarray:
    """Remove unit and period means (two-way fixed effects) from the columns of ``M`` by
    alternating projections; exact for balanced panels after one sweep, iterates for
    unbalanced ones."""
    M = np.array(M, dtype=float, copy=True)
    if M.ndim == 1:
        M = M[:, None]
    na, nb = a.max() + 1, b.max() + 1
    ca, cb = np.bincount(a, minlength=na), np.bincount(b, minlength=nb)
    scale = max(1.0, float(np.abs(M).max())) if M.size else 1.0
    for _ in range(max_iter):
        prev = M.copy()
        for codes, counts, k in ((a, ca, na), (b, cb, nb)):
            sums = np.zeros((k, M.shape[1]))
            np.add.at(sums, codes, M)
            M -= (sums / counts[:, None])[codes]
        if np.abs(M - prev).max() <= tol * scale:
            break
    return M


@dataclass(repr=False)
class PanelFE(Result):
    """Result of :func:`panel_fe`: one coefficient per regressor (``estimate``, with its
    CR1 ``se``, interval ``ci_low``/``ci_high`` and ``p_value``). ``tidy()`` gives the broom
    columns (:data:`paranalysis.results.TIDY_COLUMNS`) plus ``n_units``, ``nobs`` and
    ``method``; ``inference`` says how intervals and p-values were made; ``settings`` the
    options of :func:`panel_fe`."""

    formula: str
    terms: list[str]
    estimate: np.ndarray
    se: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    p_value: np.ndarray
    inference: str
    nobs: int
    n_units: int
    n_periods: int
    n_clusters: int
    alpha: float
    notes: list[str] = field(default_factory=list)

    def tidy(self) -> pd.DataFrame:
        """Broom columns; ``statistic`` is estimate / CR1 se (with the bootstrap, ``p_value``
        and the interval come from the bootstrap, not from this t statistic)."""
        return tidy_frame(self.terms, self.estimate, self.se, self.p_value, self.ci_low, self.ci_high,
                          n_units=self.n_units, nobs=self.nobs, method="twfe")

    def summary(self) -> str:
        head = (f"Two-way fixed effects: {self.formula}\n{self.nobs} observations, {self.n_units} units, "
                f"{self.n_periods} periods, {self.n_clusters} clusters.\nInference: {self.inference}.")
        tab = self.tidy().to_string(index=False, float_format=lambda v: f"{v:.4g}")
        return head + "\n" + tab + ("\nnotes: " + "; ".join(self.notes) if self.notes else "")

    def __repr__(self) -> str:  # pragma: no cover
        return self.summary()


class _WildCluster:
    """Wild cluster restricted bootstrap for one coefficient, as a function of the null
    value b0 (affine algebra, Roodman et al. 2019)."""

    def __init__(self, X: np.ndarray, y: np.ndarray, j: int, cl: np.ndarray, fe: tuple, V: np.ndarray, c: float):
        n, k = X.shape
        G = cl.max() + 1
        self.V, self.c = V, c
        Z = np.delete(X, j, axis=1)
        x = X[:, j]
        if Z.shape[1]:
            coefs = np.linalg.lstsq(Z, np.column_stack([y, x]), rcond=None)[0]
            ry, rx = y - Z @ coefs[:, 0], x - Z @ coefs[:, 1]
        else:
            ry, rx = y.copy(), x.copy()
        q = rx / (rx @ rx)
        self.beta = q @ y
        S = np.zeros((n, G))
        S[np.arange(n), cl] = 1.0
        Q = S * q[:, None]  # N x G, column h = q restricted to cluster h
        Qd = demean_two_way(Q, *fe) if fe is not None else Q
        XtX_inv = np.linalg.pinv(X.T @ X)
        A = Qd.T - (Q.T @ X) @ XtX_inv @ X.T  # G x N: score of cluster h from residual vector
        self.Cy = (A * ry[None, :]) @ S  # G x G
        self.Cx = (A * rx[None, :]) @ S
        self.s = S.T @ (q * ry)
        self.t = S.T @ (q * rx)
        resid = y - X @ (XtX_inv @ (X.T @ y))
        score = S.T @ (q * resid)
        self.se = float(np.sqrt(c * np.sum(score ** 2)))
        # the bootstrap draws' parts that do not depend on b0, once (pvalue is called ~50
        # times per interval): V (s - b0 t) and V (Cy - b0 Cx)' are linear in b0
        self._Vs, self._Vt = V @ self.s, V @ self.t
        self._VCy, self._VCx = V @ self.Cy.T, V @ self.Cx.T

    def pvalue(self, b0: float) -> float:
        t0 = (self.beta - b0) / self.se
        num = self._Vs - b0 * self._Vt
        d = np.multiply(self._VCx, b0)  # (VCy - b0 VCx)^2 in one buffer, the same operations
        np.subtract(self._VCy, d, out=d)
        np.multiply(d, d, out=d)
        den = np.sqrt(self.c * np.sum(d, axis=1))
        with np.errstate(divide="ignore", invalid="ignore"):
            tb = num / den
        return float(np.mean(np.abs(tb) >= abs(t0) - 1e-12 * max(1.0, abs(t0))))

    def interval(self, alpha: float, df: int) -> tuple[float, float]:
        """Values b0 not rejected at level alpha (test inversion by bisection)."""
        crit = t_ppf(1 - alpha / 2, df)
        out = []
        for sign in (-1, 1):
            inner = self.beta
            step = crit * self.se
            outer = self.beta + sign * step
            k = 0
            while self.pvalue(outer) > alpha and k < 60:
                inner, outer = outer, outer + sign * step * (2 ** k)
                k += 1
            for _ in range(60):
                mid = 0.5 * (inner + outer)
                if self.pvalue(mid) > alpha:
                    inner = mid
                else:
                    outer = mid
                if abs(outer - inner) <= 1e-6 * self.se:
                    break
            out.append(0.5 * (inner + outer))
        return out[0], out[1]


def _design(formula: str, df: pd.DataFrame):
    """Rows kept, regressor names, regressors and outcome of ``formula`` (intercept left
    out: the fixed effects absorb it). A formula of plain numeric columns
    (``"y ~ a + b"``) is read directly; anything else goes through statsmodels' formulas."""
    lhs, _, rhs = formula.partition("~")
    terms = [x.strip() for x in rhs.split("+")]
    cols = [lhs.strip(), *terms]
    if _ and all(c.isidentifier() and c in df.columns and pd.api.types.is_numeric_dtype(df[c])
                 and not pd.api.types.is_bool_dtype(df[c]) for c in cols) and len(set(terms)) == len(terms):
        arr = np.column_stack([df[c].to_numpy(dtype=float, na_value=np.nan) for c in cols])
        ok = ~np.isnan(arr).any(axis=1)  # rows with a missing value are dropped, as statsmodels does
        arr = arr[ok]
        return df.index[ok], terms, np.ascontiguousarray(arr[:, 1:]), np.ascontiguousarray(arr[:, 0])
    import statsmodels.formula.api as smf  # ~0.7 s to import: only for formulas beyond plain columns

    mod = smf.ols(formula, data=df)
    names = list(mod.exog_names)
    keep = [i for i, nm in enumerate(names) if nm != "Intercept"]
    return (mod.data.row_labels, [names[i] for i in keep], np.asarray(mod.exog, float)[:, keep],
            np.asarray(mod.endog, float))


def panel_fe(data: pd.DataFrame, formula: str, *, unit: str, time: str, cluster: str | None = None,
             inference: str = "auto", n_boot: int = 9999, seed: int = 12345, alpha: float = 0.05) -> PanelFE:
    """Regression with unit and period fixed effects (``formula`` as in statsmodels, e.g.
    ``"late_rate ~ treated"``; the intercept is absorbed). Standard errors are clustered by
    ``cluster`` (default: ``unit``). ``inference``: ``"auto"`` (wild cluster bootstrap when
    there are fewer than 40 clusters, CR1 with t(G-1) otherwise), ``"wild"`` or ``"cr1"``.
    ``se`` is always the CR1 standard error; with the bootstrap, p-values and intervals
    come from the bootstrap."""
    if inference not in ("auto", "wild", "cr1"):
        raise ValueError("inference must be 'auto', 'wild' or 'cr1'")
    cluster = cluster or unit
    for c in {unit, time, cluster}:
        if c not in data.columns:
            raise DataError([Problem(column=c, expected=Message("problem.model.data_column"))])
    df = data.copy()
    for c in df.columns:
        if pd.api.types.is_bool_dtype(df[c]):
            df[c] = df[c].astype(float)
    rows, names, X, y = _design(formula, df)
    sub = df.loc[rows]
    ok = sub[[unit, time, cluster]].notna().all(axis=1).to_numpy()
    X, y, sub = X[ok], y[ok], sub[ok]
    a, b, cl = _codes(sub[unit]), _codes(sub[time]), _codes(sub[cluster])
    notes = []
    if len(rows) < len(df):
        notes.append(Message("model.note.rows_missing", k=len(df) - len(rows)))
    Xd = demean_two_way(X, a, b)
    yd = demean_two_way(y, a, b)[:, 0]
    # drop regressors absorbed by the fixed effects
    keepc = [j for j in range(Xd.shape[1]) if np.abs(Xd[:, j]).max() > 1e-10 * max(1.0, np.abs(X[:, j]).max())]
    if len(keepc) < Xd.shape[1]:
        notes.append(Message("model.note.absorbed", terms=", ".join(n for j, n in enumerate(names) if j not in keepc)))
    Xd, names = Xd[:, keepc], [names[j] for j in keepc]
    if not names:
        raise DataError(Message("problem.model.no_regressor_varies"))
    n, k = Xd.shape
    G = cl.max() + 1
    nested = sub.groupby(unit)[cluster].nunique().max() == 1
    k_fe = (b.max()) + (0 if nested else a.max() + 1)
    c = G / (G - 1) * (n - 1) / (n - k - k_fe)
    XtX_inv = np.linalg.pinv(Xd.T @ Xd)
    beta = XtX_inv @ Xd.T @ yd
    resid = yd - Xd @ beta
    S = np.zeros((n, G))
    S[np.arange(n), cl] = 1.0
    scores = S.T @ (Xd * resid[:, None])  # G x k
    vcov = c * XtX_inv @ scores.T @ scores @ XtX_inv
    se = np.sqrt(np.diag(vcov))
    use_wild = inference == "wild" or (inference == "auto" and G < FEW_CLUSTERS)
    if use_wild:
        rng = np.random.default_rng(seed)
        V = WEBB[rng.integers(0, 6, size=(n_boot, G))]
        lo, hi, p = np.empty(k), np.empty(k), np.empty(k)
        for j in range(k):
            wb = _WildCluster(Xd, yd, j, cl, (a, b), V, c)
            p[j] = wb.pvalue(0.0)
            lo[j], hi[j] = wb.interval(alpha, G - 1)
        text = Message("model.inference.wild", n_boot=n_boot, G=G, cluster=cluster,
                       level=f"{100 * (1 - alpha):.0f}")
    else:
        crit = t_ppf(1 - alpha / 2, G - 1)
        lo, hi = beta - crit * se, beta + crit * se
        p = 2 * t_sf(np.abs(beta / se), G - 1)
        text = Message("model.inference.cr1_few" if G < FEW_CLUSTERS else "model.inference.cr1", G=G,
                       cluster=cluster, df=G - 1)
    return PanelFE(formula=formula, terms=names, estimate=beta, se=se, ci_low=lo, ci_high=hi, p_value=p, inference=text,
                   nobs=n, n_units=int(a.max() + 1), n_periods=int(b.max() + 1), n_clusters=int(G), alpha=alpha,
                   notes=notes, settings=dict(formula=formula, unit=unit, time=time, cluster=cluster,
                                              inference=inference, n_boot=n_boot, seed=seed, alpha=alpha))
