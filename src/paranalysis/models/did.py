"""Staggered difference-in-differences: Callaway and Sant'Anna (2021) group-time effects.

A *group* (cohort) is the set of units whose treatment starts in the same period ``g``
(for the investments: the first quarter a facility or system was in operation). For every
group and period the estimator compares the change in the outcome of that group since its
last untreated period with the change over the same periods among comparison units (never
treated, or not yet treated). These ``ATT(g, t)`` are then averaged in four ways
(``simple``, ``dynamic`` = by event time, ``group``, ``calendar``).

Without covariates the estimate is a difference of means of long differences; the code
reproduces the R package ``did`` (``att_gt`` + ``aggte`` with ``bstrap = FALSE``), point
estimates and analytic influence-function standard errors clustered by unit, to machine
precision (tests/test_models_did_reference.py).

Inference. With about 21 districts and cohorts of one to four districts, the analytic
standard errors of R ``did`` are too small: a cohort of one district contributes *no*
variance at all (its deviation from its own cohort mean is zero). The default here,
``inference="pooled_t"``, treats cohort membership as fixed (we observe every district, not
a sample) and estimates one unit-level error covariance over time, pooled within cohorts
(arbitrary serial correlation, common across units), the way Student's two-sample t test
pools variances; intervals use the t distribution with ``n_units - n_cohorts`` degrees of
freedom. docs/models.md gives the reasoning and the simulated coverage.
"""

from __future__ import annotations

import inspect
import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from paranalysis.errors import DataError, Problem
from paranalysis.i18n import Message
from paranalysis.distributions import chi2_ppf, chi2_sf, f_sf, norm_ppf, norm_sf, t_ppf, t_sf
from paranalysis.results import Result, tidy_frame

INFERENCE_METHODS = ("hetero_t", "pooled_t", "analytic")
KINDS = ("simple", "dynamic", "group", "calendar")


# --------------------------------------------------------------------------------------
# time handling: periods, integers or timestamps are mapped to integer "ordinals"
# --------------------------------------------------------------------------------------


class _TimeAxis:
    """Maps the time column to integers (quarters as Period ordinals, years as ints) and
    back, so that event time is counted in periods."""

    def __init__(self, values: pd.Series):
        self.kind = "int"
        self.freq = None
        if isinstance(values.dtype, pd.PeriodDtype):
            self.kind = "period"
            self.freq = values.dtype.freq
        elif pd.api.types.is_datetime64_any_dtype(values):
            raise DataError([Problem(column=str(values.name), value=str(values.dtype),
                                     expected=Message("problem.model.time_not_timestamps"))])
        elif not pd.api.types.is_numeric_dtype(values):
            raise DataError([Problem(column=str(values.name), value=str(values.dtype),
                                     expected=Message("problem.model.time_column"))])

    def to_int(self, s: pd.Series) -> np.ndarray:
        if self.kind == "period":
            return np.asarray(s.array.asi8, dtype=float)
        return pd.to_numeric(s).to_numpy(dtype=float)

    def first_treated_to_int(self, s: pd.Series, column: str) -> np.ndarray:
        """0, missing (None/NaN/NaT) -> 0 (never treated); otherwise the period number."""
        if self.kind == "period" and isinstance(s.dtype, pd.PeriodDtype) and s.dtype.freq == self.freq:
            return np.where(s.isna().to_numpy(), 0.0, s.array.asi8.astype(float))  # the loop below, at once
        if self.kind == "int" and pd.api.types.is_numeric_dtype(s.dtype):
            v = s.to_numpy(dtype=float, na_value=np.nan)
            return np.where(np.isnan(v) | (v == 0), 0.0, v)
        out = np.zeros(len(s))
        problems = []
        for i, v in enumerate(s.tolist()):
            if v is None or (not isinstance(v, str) and pd.isna(v)) or (not isinstance(v, pd.Period) and v == 0):
                continue
            if self.kind == "period":
                try:
                    p = v if isinstance(v, pd.Period) else pd.Period(str(v), freq=self.freq)
                    out[i] = p.asfreq(self.freq).ordinal
                except (ValueError, TypeError):
                    problems.append(Problem(row=i, column=column, value=v,
                                            expected=Message("problem.model.first_treated_period")))
            else:
                try:
                    out[i] = float(v)
                except (ValueError, TypeError):
                    problems.append(Problem(row=i, column=column, value=v,
                                            expected=Message("problem.model.first_treated_number")))
        if problems:
            raise DataError(problems[:50])
        return out

    def label(self, x):
        if x is None or (isinstance(x, float) and not np.isfinite(x)):
            return None
        if self.kind == "period":
            return pd.Period(ordinal=int(x), freq=self.freq)
        return int(x) if float(x).is_integer() else x

    def labels(self, xs) -> list:
        xs = list(xs)
        if self.kind == "period" and xs and all(x is not None and np.isfinite(x) for x in xs):
            return pd.PeriodIndex.from_ordinals(np.asarray(xs, dtype=np.int64), freq=self.freq)  # no boxing
        return [self.label(x) for x in xs]


def _mde(se, df, alpha=0.05, power=0.8):
    """Minimum detectable effect: the true effect a two-sided test at ``alpha`` would
    detect with probability ``power`` given the standard error (t with ``df``, or normal)."""
    se = np.asarray(se, float)
    if df is None:
        return (norm_ppf(1 - alpha / 2) + norm_ppf(power)) * se
    df = np.asarray(df, float)
    return (t_ppf(1 - alpha / 2, df) + t_ppf(power, df)) * se


def _sup_t_critical(cov: np.ndarray, df: float | None, alpha: float = 0.05, draws: int = 10000, seed: int = 0):
    """Critical value c such that all |estimate_e - truth_e| <= c se_e hold together with
    probability 1 - alpha (simultaneous "sup-t" band), by simulating the joint (t or
    normal) distribution of the estimates with covariance ``cov``."""
    if cov.size == 0:
        return math.nan
    sd = np.sqrt(np.diag(cov))
    corr = cov / np.outer(sd, sd)
    w, v = np.linalg.eigh(corr)
    L = v * np.sqrt(np.clip(w, 0, None))
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((draws, len(sd))) @ L.T
    if df is not None and np.isfinite(df):
        z = z / np.sqrt(rng.chisquare(df, draws) / df)[:, None]
    return float(np.quantile(np.abs(z).max(axis=1), 1 - alpha))


# --------------------------------------------------------------------------------------
# results
# --------------------------------------------------------------------------------------


@dataclass(repr=False)
class Aggregate(Result):
    """One aggregation of the group-time effects: the overall effect (``estimate``, an
    average treatment effect on the treated, with ``se``, ``ci_low``, ``ci_high``,
    ``p_value``) and the per-event-time / group / period ``table`` (same column names,
    ``estimate`` first). ``inference`` says how the intervals were made;
    ``sup_t_critical`` (dynamic only) is the critical value of the simultaneous band
    ``cb_low``/``cb_high``. ``tidy()``: the overall effect (term ``overall``) then one row per
    table row (term ``event_time=2``, ``group=2021Q3``, ``time=2022Q1``)."""

    kind: str
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    p_value: float
    table: pd.DataFrame
    inference: str
    df: float | None
    alpha: float = 0.05
    outcome: str = ""
    n_units: int = 0
    sup_t_critical: float = math.nan

    def tidy(self) -> pd.DataFrame:
        t = self.table
        key = {"dynamic": "event_time", "group": "group", "calendar": "time"}.get(self.kind)
        overall = tidy_frame("overall", [self.estimate], self.se, self.p_value, self.ci_low, self.ci_high,
                             outcome=self.outcome, n_units=self.n_units, method=f"callaway_santanna_{self.kind}")
        if key is None or key not in t:
            return overall
        rows = tidy_frame([f"{key}={k}" for k in t[key]], t["estimate"], t["se"], t["p_value"], t["ci_low"],
                          t["ci_high"], outcome=self.outcome,
                          n_units=t["n_units"] if "n_units" in t else self.n_units,
                          method=f"callaway_santanna_{self.kind}")
        return pd.concat([overall, rows], ignore_index=True)

    def summary(self) -> str:
        lines = [f"Callaway-Sant'Anna aggregation '{self.kind}': ATT = {self.estimate:.4g} "
                 f"(se {self.se:.3g}; {100 * (1 - self.alpha):.0f}% CI {self.ci_low:.4g} to {self.ci_high:.4g}; "
                 f"p = {self.p_value:.3g})", f"inference: {self.inference}"]
        if len(self.table) > 1 or self.kind != "simple":
            lines.append(self.table.to_string(index=False))
        return "\n".join(lines)

    def __repr__(self) -> str:  # pragma: no cover - display only
        return self.summary()


@dataclass(repr=False)
class PretrendTest(Result):
    """Joint test that the pre-treatment effects are all zero (parallel trends before
    adoption). A large p-value does not prove parallel trends; it says the data do not
    contradict them with the power available."""

    statistic: float
    df1: float
    df2: float | None
    p_value: float
    distribution: str
    cells: pd.DataFrame
    note: str = ""
    detectable_trend: float = math.nan

    @property
    def computable(self) -> bool:
        return bool(np.isfinite(self.p_value))

    def tidy(self) -> pd.DataFrame:
        """One row: the test statistic (no estimate: the test is of all pre-period
        effects at once; ``estimate`` and the interval are missing)."""
        return tidy_frame("pretrend", [np.nan], np.nan, self.p_value, statistic=[self.statistic],
                          df1=self.df1, df2=np.nan if self.df2 is None else self.df2,
                          method=f"pretrend_{self.distribution}")

    def summary(self) -> str:
        if not self.computable:
            return f"pre-trend test {self.note}"
        if self.distribution == "sign_flip":
            d = f"Wald statistic ({self.df1:g} effects, {self.note})"
        else:
            d = f"{self.distribution}({self.df1:g}" + (f", {self.df2:g})" if self.df2 is not None else ")")
        out = f"pre-trend test: {d} = {self.statistic:.4g}, p = {self.p_value:.3g} ({len(self.cells)} pre-period effects)"
        if np.isfinite(self.detectable_trend):
            out += (f"; it would detect (80 % power) a differential trend of about {self.detectable_trend:.3g} "
                    "per period")
        return out

    def __repr__(self) -> str:  # pragma: no cover
        return self.summary()


@dataclass(repr=False)
class Sensitivity(Result):
    """Result of :meth:`StaggeredDiD.sensitivity`: the average post-adoption effect
    (``estimate``, ``se``, ``ci_low``, ``ci_high``), the violations of parallel trends that
    would overturn it (``breakdown_slope``: a linear differential trend per period;
    ``breakdown_m``: relative magnitude M), ``max_pre_change`` and the widened intervals
    ``bounds`` (m, ci_low, ci_high). ``tidy()``: the estimate, then one row per M
    (term ``m=1``, the widened interval as conf_low / conf_high)."""

    estimate: float
    se: float
    ci_low: float
    ci_high: float
    breakdown_slope: float
    breakdown_m: float
    max_pre_change: float
    bounds: pd.DataFrame
    outcome: str = ""

    def tidy(self) -> pd.DataFrame:
        head = tidy_frame("post_average", [self.estimate], self.se, np.nan, self.ci_low, self.ci_high,
                          outcome=self.outcome, method="sensitivity")
        b = self.bounds
        rows = tidy_frame([f"m={m:g}" for m in b["m"]], np.full(len(b), self.estimate), self.se, np.nan,
                          b["ci_low"], b["ci_high"], outcome=self.outcome, method="sensitivity_relative_magnitude")
        return pd.concat([head, rows], ignore_index=True) if len(b) else head

    def summary(self) -> str:
        return (f"sensitivity: average post-adoption effect {self.estimate:.4g} ({self.ci_low:.4g} to "
                f"{self.ci_high:.4g}); overturned by a differential trend of {self.breakdown_slope:.3g} per period "
                f"(breakdown M = {self.breakdown_m:.3g})")


@dataclass(repr=False)
class StaggeredDiD(Result):
    """Result of :func:`staggered_did`. ``att_gt`` (the group-time effects ATT(g, t)) has one
    row per group and period: ``group, time, estimate, se`` (se of the chosen inference),
    ``ci_low, ci_high``, ``se_analytic`` (R ``did``'s influence-function se), ``event_time``
    and ``post``. ``tidy()``: the same rows in broom columns (term ``ATT(2021Q3,2022Q1)``);
    ``.aggregate(kind)`` averages them; ``settings``: the options of :func:`staggered_did`."""

    att_gt: pd.DataFrame
    outcome: str
    control_group: str
    base_period: str
    inference: str
    alpha: float
    n_units: int
    n_periods: int
    cohorts: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    # internals for aggregation
    _att: np.ndarray = field(default=None, repr=False)
    _g: np.ndarray = field(default=None, repr=False)
    _t: np.ndarray = field(default=None, repr=False)
    _inf: np.ndarray = field(default=None, repr=False)  # n x cells influence functions (R scale)
    _W: np.ndarray = field(default=None, repr=False)  # cells x cohorts x T linear weights
    _cache: dict = field(default_factory=dict, repr=False)

    @property
    def _W0(self) -> np.ndarray:
        if "W0" not in self._cache:
            self._cache["W0"] = np.nan_to_num(self._W)
        return self._cache["W0"]
    _cohort_n: np.ndarray = field(default=None, repr=False)
    _cohort_vals: np.ndarray = field(default=None, repr=False)
    _cohort_S: np.ndarray = field(default=None, repr=False)  # per-cohort sum of unit variance scales
    _unit_scale: np.ndarray = field(default=None, repr=False)
    _scale_df: np.ndarray = field(default=None, repr=False)
    _Y: np.ndarray = field(default=None, repr=False)
    _cohort_idx: np.ndarray = field(default=None, repr=False)
    _unit_ids: np.ndarray = field(default=None, repr=False)
    _Sigma: np.ndarray | None = field(default=None, repr=False)
    _df: float | None = field(default=None, repr=False)
    _unit_g: np.ndarray = field(default=None, repr=False)
    _axis: _TimeAxis = field(default=None, repr=False)
    _tlist: np.ndarray = field(default=None, repr=False)
    _max_e: float = field(default=math.inf, repr=False)
    _min_e: float = field(default=-math.inf, repr=False)

    def tidy(self) -> pd.DataFrame:
        g = self.att_gt
        return tidy_frame([f"ATT({a},{b})" for a, b in zip(g["group"], g["time"])], g["estimate"], g["se"],
                          g["p_value"], g["ci_low"], g["ci_high"], group=list(g["group"]), time=list(g["time"]),
                          event_time=g["event_time"], outcome=self.outcome, n_units=self.n_units,
                          method="callaway_santanna_att_gt")

    # ---------------------------------------------------------------- inference helpers
    def _interval(self, est, se_pooled, se_analytic, df=None):
        """(se, ci_low, ci_high, p) for the result's inference method (``df``: per-estimate
        degrees of freedom for ``hetero_t``)."""
        est = np.asarray(est, float)
        if self.inference == "analytic":
            se = np.asarray(se_analytic, float)
            crit = norm_ppf(1 - self.alpha / 2)
            with np.errstate(divide="ignore", invalid="ignore"):
                p = 2 * norm_sf(np.abs(est / se))
        else:
            se = np.asarray(se_pooled, float)
            d = self._df if df is None else np.asarray(df, float)
            crit = t_ppf(1 - self.alpha / 2, d)
            with np.errstate(divide="ignore", invalid="ignore"):
                p = 2 * t_sf(np.abs(est / se), d)
        return se, est - crit * se, est + crit * se, p

    def _quad(self, weights_cells: np.ndarray | None) -> np.ndarray | None:
        """w_ak' Sigma w_ak for each linear combination a of cells (rows of ``weights_cells``;
        None = every cell on its own) and cohort k; None without a pooled covariance."""
        if self._Sigma is None:
            return None
        Wc = self._W0 if weights_cells is None else np.tensordot(weights_cells, self._W0, axes=(1, 0))  # a x K x T
        return ((Wc @ self._Sigma) * Wc).sum(axis=2)  # matmul: einsum's bmm was slower

    def _scale_relvar(self) -> np.ndarray:
        """Relative variance of each cohort's scale sum S_k (for the hetero_t df)."""
        if "rv" not in self._cache:
            s2, m = self._unit_scale, self._scale_df
            K = len(self._cohort_S)
            rv = np.zeros(K)
            for kk in range(K):
                sel = self._cohort_idx == kk
                if self._cohort_S[kk] > 0:
                    rv[kk] = np.sum((s2[sel] / self._cohort_S[kk]) ** 2 * 2.0 / m[sel])
            self._cache["rv"] = rv
        return self._cache["rv"]

    def _row_df(self, weights_cells: np.ndarray, q: np.ndarray | None = None) -> np.ndarray:
        """Degrees of freedom per linear combination of cells. ``pooled_t``: n_units -
        n_cohorts. ``hetero_t``: Satterthwaite-type, combining the precision of the pooled
        covariance (n_units - n_cohorts, discounted for unequal unit scales) with that of the
        unit scales each estimate leans on (a one-unit cohort's scale rests on its own few
        pre-adoption quarters). ``q``: :meth:`_quad` of the same weights, if at hand."""
        k = self._W0.shape[0] if weights_cells is None else weights_cells.shape[0]
        if self.inference != "hetero_t" or self._Sigma is None:
            return np.full(k, np.nan if self._df is None else self._df)
        if q is None:
            q = self._quad(weights_cells)
        c = q * self._cohort_S[None, :]
        V = c.sum(axis=1)
        rv = self._scale_relvar()
        with np.errstate(divide="ignore", invalid="ignore"):
            relvar = 2.0 / self._df + (c ** 2 @ rv) / V ** 2
            d = 2.0 / relvar
        return np.where(np.isfinite(d), np.maximum(d, 1.0), self._df)

    def _pooled_se(self, weights_cells: np.ndarray | None, q: np.ndarray | None = None) -> np.ndarray:
        """se under the pooled covariance for linear combinations of cells (rows of
        ``weights_cells``, shape k x cells; None = every cell on its own)."""
        if self._Sigma is None:
            return np.full(self._W.shape[0] if weights_cells is None else weights_cells.shape[0], np.nan)
        if q is None:
            q = self._quad(weights_cells)
        # var = sum_k S_k w_k' Sigma w_k (S_k = n_k for pooled_t; sum of unit scales for hetero_t)
        v = q @ self._cohort_S
        return np.sqrt(np.maximum(v, 0.0))

    def _pooled_cov(self, weights_cells: np.ndarray) -> np.ndarray:
        Wc = np.tensordot(weights_cells, self._W0, axes=(1, 0))
        a, k, t = Wc.shape
        return (Wc @ self._Sigma).reshape(a, k * t) @ (Wc * self._cohort_S[None, :, None]).reshape(a, k * t).T

    def _analytic_se(self, inf: np.ndarray) -> np.ndarray:
        """R did's getSE: sqrt(mean(IF^2) / n) for each column."""
        n = inf.shape[0]
        return np.sqrt((inf ** 2).mean(axis=0) / n)

    def _wif(self, keepers: np.ndarray, pg: np.ndarray) -> np.ndarray:
        """R did's wif(): influence function of the estimated group-share weights."""
        G = self._unit_g
        groups = self._g[keepers]
        ind = (G[:, None] == groups[None, :]).astype(float) - pg[keepers][None, :]
        s = pg[keepers].sum()
        if1 = ind / s
        if2 = ind.sum(axis=1)[:, None] * (pg[keepers] / s ** 2)[None, :]
        return if1 - if2

    def _combo(self, keepers, weights, use_wif, pg):
        """Weighted average of cells ``keepers`` (weights sum to 1): estimate, analytic
        IF (with the weight-estimation term when ``use_wif``), cell-weight row."""
        att = self._att[keepers]
        est = float(np.sum(weights * att))
        inf = self._inf[:, keepers] @ weights
        if use_wif:
            inf = inf + self._wif(keepers, pg) @ att
        row = np.zeros(len(self._att))
        row[keepers] = weights
        return est, inf, row

    # ------------------------------------------------------------------- aggregation
    def aggregate(self, kind: str = "simple", *, min_e: float | None = None, max_e: float | None = None) -> Aggregate:
        """Average the group-time effects: ``simple`` (all treated unit-periods, weighted
        by group size), ``dynamic`` (by periods since adoption: the event study), ``group``
        (by adoption cohort) or ``calendar`` (by period). Follows R ``did::aggte``."""
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
        min_e = self._min_e if min_e is None else min_e
        max_e = self._max_e if max_e is None else max_e
        key = ("agg", kind, min_e, max_e)
        if key not in self._cache:
            self._cache[key] = self._aggregate(kind, min_e, max_e)
        return self._cache[key]

    def _parts(self, kind: str, min_e: float, max_e: float) -> dict:
        """The cell weights of one aggregation (R ``did::aggte``): ``overall`` (estimate,
        influence function, cell-weight row) and per table row ``keys``, ``ests``, ``infs``
        (units x rows) and ``wrows`` (rows x cells)."""
        key = ("parts", kind, min_e, max_e)
        if key in self._cache:
            return self._cache[key]
        ok = np.isfinite(self._att)
        g, t = self._g, self._t
        pg_group = {gg: np.mean(self._unit_g == gg) for gg in np.unique(g)}
        pg = np.array([pg_group[x] for x in g])
        rows, infs, wrows = [], [], []

        if kind == "simple":
            keepers = np.where(ok & (g <= t) & (t <= g + max_e))[0]
            w = pg[keepers] / pg[keepers].sum()
            est, inf, row = self._combo(keepers, w, True, pg)
            overall = (est, inf, row)
            table_keys = []
        elif kind == "group":
            glist = np.unique(g)
            ests, inf_g, rows_g, keep_g = [], [], [], []
            for gg in glist:
                whichg = np.where(ok & (g == gg) & (gg <= t) & (t <= g + max_e))[0]
                if len(whichg) == 0:
                    continue
                w = pg[whichg] / pg[whichg].sum()
                e, i, r = self._combo(whichg, w, False, pg)
                ests.append(e), inf_g.append(i), rows_g.append(r), keep_g.append(gg)
            ests = np.array(ests)
            inf_g = np.column_stack(inf_g)
            rows_g = np.vstack(rows_g)
            pgg = np.array([pg_group[x] for x in keep_g])
            wo = pgg / pgg.sum()
            est = float(np.sum(wo * ests))
            # R: wif over groups with weights pgg
            G = self._unit_g
            ind = (G[:, None] == np.array(keep_g)[None, :]).astype(float) - pgg[None, :]
            wif = ind / pgg.sum() - ind.sum(axis=1)[:, None] * (pgg / pgg.sum() ** 2)[None, :]
            inf = inf_g @ wo + wif @ ests
            overall = (est, inf, wo @ rows_g)
            table_keys, infs, wrows, rows = keep_g, inf_g, rows_g, ests
        elif kind == "dynamic":
            e_all = t - g
            eseq = np.unique(e_all[ok])
            eseq = eseq[(eseq >= min_e) & (eseq <= max_e)]
            ests, inf_e, rows_e = [], [], []
            for e in eseq:
                whiche = np.where(ok & (e_all == e))[0]
                w = pg[whiche] / pg[whiche].sum()
                est_e, i, r = self._combo(whiche, w, True, pg)
                ests.append(est_e), inf_e.append(i), rows_e.append(r)
            ests = np.array(ests)
            inf_e = np.column_stack(inf_e)
            rows_e = np.vstack(rows_e)
            epos = eseq >= 0
            wo = epos / epos.sum()
            overall = (float(np.sum(wo * ests)), inf_e @ wo, wo @ rows_e)
            table_keys, infs, wrows, rows = list(eseq), inf_e, rows_e, ests
        else:  # calendar
            tlist = np.unique(t)
            minG = g.min()
            ctl = tlist[tlist >= minG]
            ests, inf_t, rows_t, keep_t = [], [], [], []
            for tt in ctl:
                whicht = np.where(ok & (t == tt) & (g <= t))[0]
                if len(whicht) == 0:
                    continue
                w = pg[whicht] / pg[whicht].sum()
                e, i, r = self._combo(whicht, w, True, pg)
                ests.append(e), inf_t.append(i), rows_t.append(r), keep_t.append(tt)
            ests = np.array(ests)
            inf_t = np.column_stack(inf_t)
            rows_t = np.vstack(rows_t)
            wo = np.full(len(ests), 1 / len(ests))
            overall = (float(np.sum(wo * ests)), inf_t @ wo, wo @ rows_t)
            table_keys, infs, wrows, rows = keep_t, inf_t, rows_t, ests
        out = {"overall": overall, "keys": table_keys, "ests": rows, "infs": infs, "wrows": wrows}
        self._cache[key] = out
        return out

    def _overall(self, kind: str, min_e: float | None = None, max_e: float | None = None) -> tuple:
        """The overall effect of :meth:`aggregate` alone, without its tables: (estimate, se,
        ci_low, ci_high, p_value, df (array of one), analytic se); for leave-one-out and
        coverage counts."""
        min_e = self._min_e if min_e is None else min_e
        max_e = self._max_e if max_e is None else max_e
        key = ("overall", kind, min_e, max_e)
        if key not in self._cache:
            est, inf, row = self._parts(kind, min_e, max_e)["overall"]
            se_a = float(self._analytic_se(inf[:, None])[0])
            q = self._quad(row[None, :])
            se_p = float(self._pooled_se(row[None, :], q)[0])
            df_o = self._row_df(row[None, :], q)
            se, lo, hi, p = self._interval([est], [se_p], [se_a], df_o)
            self._cache[key] = (est, float(se[0]), float(lo[0]), float(hi[0]), float(p[0]), df_o, se_a)
        return self._cache[key]

    def _table_numbers(self, kind: str, min_e: float, max_e: float) -> dict:
        """Per table row of :meth:`aggregate` (not ``simple``): ``keys`` (event times as
        int), ``ests``, ``se``, ``ci_low``, ``ci_high``, ``p_value``, ``se_analytic``, ``df``,
        with ``infs`` and ``wrows`` of :meth:`_parts`."""
        key = ("table", kind, min_e, max_e)
        if key not in self._cache:
            parts = self._parts(kind, min_e, max_e)
            infs, wrows, rows = parts["infs"], parts["wrows"], parts["ests"]
            se_a_t = self._analytic_se(infs)
            q = self._quad(wrows)
            se_p_t = self._pooled_se(wrows, q)
            df_t = self._row_df(wrows, q)
            se_t, lo_t, hi_t, p_t = self._interval(rows, se_p_t, se_a_t, df_t)
            keys = (np.array([int(k) for k in parts["keys"]], dtype=np.int64) if kind == "dynamic"
                    else parts["keys"])
            self._cache[key] = {"keys": keys, "ests": rows, "se": se_t, "ci_low": lo_t, "ci_high": hi_t,
                                "p_value": p_t, "se_analytic": se_a_t, "df": df_t, "infs": infs, "wrows": wrows}
        return self._cache[key]

    def _aggregate(self, kind: str, min_e: float, max_e: float) -> Aggregate:
        est, inf, row = self._parts(kind, min_e, max_e)["overall"]
        _, se0, lo0, hi0, p0, df_o, se_a = self._overall(kind, min_e, max_e)
        se = np.array([se0])
        sup_t = math.nan
        if kind == "simple":
            infs = wrows = None
            table = pd.DataFrame({"estimate": [est], "se": se, "ci_low": [lo0], "ci_high": [hi0], "p_value": [p0],
                                  "se_analytic": [se_a]})
        else:
            tn = self._table_numbers(kind, min_e, max_e)
            infs, wrows, rows = tn["infs"], tn["wrows"], tn["ests"]
            se_t, df_t = tn["se"], tn["df"]
            key = {"dynamic": "event_time", "group": "group", "calendar": "time"}[kind]
            keys = [int(k) for k in tn["keys"]] if kind == "dynamic" else self._axis.labels(tn["keys"])
            table = pd.DataFrame({key: keys, "estimate": rows, "se": se_t, "ci_low": tn["ci_low"],
                                  "ci_high": tn["ci_high"], "p_value": tn["p_value"], "se_analytic": tn["se_analytic"]})
            # R replaces (numerically) zero standard errors by NA
            tiny = np.sqrt(np.finfo(float).eps) * 10
            table.loc[table["se_analytic"] <= tiny, "se_analytic"] = np.nan
            if self.inference != "analytic":
                table["df"] = df_t
            table["mde"] = _mde(se_t, None if self.inference == "analytic" else df_t, self.alpha)
            if kind == "group":
                table["n_units"] = [int(self._cohort_n[np.searchsorted(self._cohort_vals, gg)]) for gg in tn["keys"]]
            if kind == "dynamic":
                ok_se = np.isfinite(se_t) & (se_t > tiny)
                cov = (self._pooled_cov(wrows[ok_se]) if self.inference != "analytic"
                       else infs[:, ok_se].T @ infs[:, ok_se] / infs.shape[0] ** 2)
                dfs = None if self.inference == "analytic" else float(np.nanmin(df_t[ok_se])) if ok_se.any() else None
                crit = _sup_t_critical(cov, dfs, self.alpha)
                table["cb_low"] = np.where(ok_se, rows - crit * se_t, np.nan)
                table["cb_high"] = np.where(ok_se, rows + crit * se_t, np.nan)
                sup_t = crit
        agg = Aggregate(kind=kind, estimate=est, se=se0, ci_low=lo0, ci_high=hi0,
                        p_value=p0, table=table, inference=self.inference_text,
                        df=None if self.inference == "analytic" else float(df_o[0]), alpha=self.alpha,
                        outcome=self.outcome, n_units=self.n_units, sup_t_critical=sup_t,
                        settings={**self.settings, "kind": kind, "min_e": min_e, "max_e": max_e})
        agg.mde = float(_mde(se, None if self.inference == "analytic" else df_o, self.alpha)[0])
        agg._row = row  # linear weights on the cells (for joint tests)
        agg._rows = wrows if kind != "simple" else row[None, :]
        agg._infs = infs if kind != "simple" else inf[:, None]
        # the weight each adoption cohort carries in the overall estimate
        cw = pd.Series(row, index=self._g).groupby(level=0).sum()
        cw = cw[cw.abs() > 1e-12]
        agg.cohort_weights = pd.DataFrame({"group": self._axis.labels(cw.index.to_numpy()),
                                           "n_units": [int(self._cohort_n[np.searchsorted(self._cohort_vals, x)])
                                                       for x in cw.index],
                                           "weight": cw.to_numpy()})
        agg._parent = self
        return agg

    def without_unit(self, unit_id, *, light: bool = False) -> "StaggeredDiD":
        """The same model re-estimated without one unit (for leave-one-out checks; the panel
        is not prepared again). ``light``: only the overall effects (``_overall``) are needed."""
        keep = self._unit_ids != unit_id
        a = dict(self._fit_args)
        Vobs = a.pop("Vobs")
        return _fit(self._Y[keep], self._unit_g[keep], a.pop("tlist"), a.pop("axis"), a.pop("notes"),
                    None if Vobs is None else Vobs[keep], self._unit_ids[keep], light=light, **a)

    def randomization_p(self, kind: str = "simple", *, n_perm: int = 999, seed: int = 0) -> float:
        """Second opinion on the overall ``kind`` effect: the share of re-assignments of the
        adoption dates to units (cohort sizes kept; ``n_perm`` random ones, seeded) whose
        estimate is at least as far from zero as the real one. Exact under the sharp null
        of no effect in any unit and quarter with exchangeable units; it does not use the
        standard errors at all."""
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
        row = self._parts(kind, self._min_e, self._max_e)["overall"][2]  # = aggregate(kind)._row
        B = np.tensordot(row, self._W0, axes=(0, 0))  # K x T, weight per unit in cohort k
        Y = self._Y
        rng = np.random.default_rng(seed)
        idx = self._cohort_idx
        obs = float(np.sum(B[idx] * Y))
        perms = rng.permuted(np.tile(idx, (n_perm, 1)), axis=1)  # = n_perm successive rng.permutation(idx)
        vals = np.einsum("bit,it->b", B[perms], Y)
        return float((1 + np.sum(np.abs(vals) >= abs(obs) - 1e-12)) / (n_perm + 1))

    @property
    def inference_text(self) -> str:
        """How the intervals were computed, in words (a catalogue message: English as a string)."""
        if self.inference == "hetero_t":
            return Message("model.inference.hetero_t_given" if np.isinf(self._scale_df).all()
                           else "model.inference.hetero_t")
        if self.inference == "analytic":
            return Message("model.inference.analytic")
        return Message("model.inference.pooled", df=f"{self._df:g}", n_units=self.n_units,
                       k=len(self._cohort_vals))

    # ---------------------------------------------------------------- pre-trend test
    def _untreated_mask(self) -> np.ndarray:
        G = self._unit_g
        return (G[:, None] == 0) | (self._tlist[None, :] < G[:, None])

    def _time_effects_untreated(self) -> np.ndarray:
        """Quarter effects of a two-way fixed-effects fit on the untreated unit-quarters
        (what parallel trends says the untreated outcomes share)."""
        U = self._untreated_mask()
        Y = np.where(U, self._Y, np.nan)
        lam = np.zeros(Y.shape[1])
        for _ in range(50):
            a = np.nanmean(Y - lam[None, :], axis=1)
            lam_new = np.nanmean(Y - a[:, None], axis=0)
            lam_new = np.where(np.isfinite(lam_new), lam_new, 0.0)
            if np.allclose(lam_new, lam, atol=1e-12):
                break
            lam = lam_new
        return lam

    def pretrend_test(self, *, leads: int | None = 4, method: str | None = None, n_flips: int = 9999,
                      seed: int = 0) -> PretrendTest:
        """Joint test that the pre-adoption event-study effects are zero (no differential
        trend before adoption).

        ``method``:

        - ``"sign_flip"`` (default unless ``inference="analytic"``): the ``leads``
          estimated pre-period effects closest to adoption (the reference quarter of the
          universal base excluded), a Wald statistic with a unit-level (heteroskedasticity-
          robust) covariance, and its randomisation distribution from flipping the sign of
          each unit's contribution (all 2^(n-1) flips up to 15 units, else ``n_flips``
          seeded draws). Exact when units' errors are independent and symmetric, whatever
          their variances; simulated size in docs/models.md.
        - ``"hotelling"``: Hotelling's T^2 with the pooled covariance as F(q, df - q + 1)
          (the previous default; far too conservative with AR(1) errors and few units).
        - ``"analytic"``: R ``did``'s Wald pre-test on all pre-period ATT(g, t) with the
          influence-function covariance (``leads`` ignored); "not computable" (an
          explained result, not an error) when there are more pre-period cells than units.

        ``detectable_trend`` in the result: the differential linear trend per period in the
        adopting units that the test would detect with about 80 % power."""
        method = method or ("analytic" if self.inference == "analytic" else "sign_flip")
        if method not in ("sign_flip", "hotelling", "analytic"):
            raise ValueError("method must be 'sign_flip', 'hotelling' or 'analytic'")
        tiny = np.sqrt(np.finfo(float).eps) * 10
        if method == "analytic":
            pre = np.where(np.isfinite(self._att) & (self._g > self._t))[0]
            n = self._inf.shape[0]
            V = self._inf.T @ self._inf / n
            se = np.sqrt(np.diag(V) / n)
            pre = pre[se[pre] > tiny]
            a = self._att[pre]
            Vp = V[np.ix_(pre, pre)]
            q = len(pre)
            cells = self.att_gt.iloc[pre][["group", "time", "estimate", "se_analytic"]].reset_index(drop=True)
            rank = np.linalg.matrix_rank(Vp) if q else 0
            if q == 0 or rank < q:
                why = (f"not computable: {q} pre-period effects but their covariance has rank {rank} "
                       f"(at most {n} units - 1); use method='sign_flip' or fewer periods")
                return PretrendTest(math.nan, q, None, math.nan, "not computable", cells, note=why)
            W = float(n * a @ np.linalg.solve(Vp, a))
            return PretrendTest(W, q, None, float(chi2_sf(W, q)), "chi2", cells)
        dyn = self._table_numbers("dynamic", self._min_e, self._max_e)  # aggregate("dynamic") without its band
        e, se_e = dyn["keys"], dyn["se"]
        has_se = np.isfinite(se_e) & (se_e > tiny)
        cand = np.where((e < 0) & has_se)[0]
        cand = cand[np.argsort(-e[cand])]  # closest to adoption first
        sel_idx = np.sort(cand if leads is None else cand[:leads])
        sel = np.zeros(len(e), bool)
        sel[sel_idx] = True
        q = int(sel.sum())
        cells = pd.DataFrame({"event_time": e[sel], "estimate": dyn["ests"][sel], "se": se_e[sel]})
        if q == 0:
            return PretrendTest(math.nan, 0, None, math.nan, "not computable", cells,
                                note="not computable: no pre-adoption effects can be estimated")
        a = dyn["ests"][sel]
        rows = dyn["wrows"][sel]
        if method == "hotelling":
            C = self._pooled_cov(rows)
            df = float(self.n_units - len(self._cohort_vals))
            if self._Sigma is None or df - q + 1 <= 0:
                return PretrendTest(math.nan, q, None, math.nan, "not computable", cells,
                                    note=f"not computable: {q} pre-period effects with {df} degrees of freedom")
            T2 = float(a @ np.linalg.solve(C, a))
            F = (df - q + 1) / (df * q) * T2
            return PretrendTest(F, q, df - q + 1, float(f_sf(F, q, df - q + 1)), "F", cells,
                                detectable_trend=self._detectable_trend(rows, C, q))
        # sign-flip randomisation test on unit contributions
        H = np.tensordot(rows, self._W0, axes=(1, 0))  # q x K x T (weight per unit of cohort k)
        lam = self._time_effects_untreated()
        Yc = np.where(self._untreated_mask(), self._Y - lam[None, :], 0.0)
        # cells of the pre-period effects only touch untreated unit-quarters
        Uc = np.einsum("qit,it->iq", H[:, self._cohort_idx, :], Yc)  # n x q
        M = Uc.T @ Uc
        Minv = np.linalg.pinv(M)
        a_obs = Uc.sum(axis=0)
        stat = float(a_obs @ Minv @ a_obs)
        n = Uc.shape[0]
        if n <= 15:
            import itertools
            flips = np.array([(1,) + c for c in itertools.product((1, -1), repeat=n - 1)], dtype=float)
            kind = f"sign-flip randomisation, all {len(flips)} flips"
        else:
            rng = np.random.default_rng(seed)
            flips = rng.choice((-1.0, 1.0), size=(n_flips, n))
            flips[0] = 1.0
            kind = f"sign-flip randomisation, {n_flips} seeded flips"
        Z = flips @ Uc
        stats_b = np.einsum("bq,qr,br->b", Z, Minv, Z)
        p = float(np.mean(stats_b >= stat - 1e-9 * max(1.0, abs(stat))))
        return PretrendTest(stat, q, None, p, "sign_flip", cells, note=kind,
                            detectable_trend=self._detectable_trend(rows, M, q))

    def _detectable_trend(self, rows: np.ndarray, C: np.ndarray, q: int, power: float = 0.8) -> float:
        """Slope (outcome units per period) of a linear trend in the adopting units,
        relative to the comparison units, that a chi-squared test of the pre-period effects
        with covariance ``C`` detects with probability ``power`` at 5 %."""
        H = np.tensordot(rows, self._W0, axes=(1, 0))
        tvec = np.arange(self._Y.shape[1], dtype=float)
        treated = self._unit_g > 0
        h = np.einsum("qit,t->q", H[:, self._cohort_idx[treated], :], tvec)
        info = float(h @ np.linalg.pinv(C) @ h)
        if not info > 0:
            return math.nan
        crit = chi2_ppf(0.95, q)
        from scipy.optimize import brentq

        from paranalysis.distributions import ncx2_sf

        lam = brentq(lambda L: ncx2_sf(crit, q, L) - power, 1e-6, 1e4)
        return float(math.sqrt(lam / info))

    def sensitivity(self, *, max_e: int | None = None, leads: int = 4, m_values=(0.5, 1.0, 2.0)) -> "Sensitivity":
        """How large a violation of parallel trends would overturn the average post-adoption
        effect (event times 0..``max_e``), in the spirit of Rambachan and Roth (2023):

        - ``breakdown_slope``: the smallest linear differential trend per period (outcome
          units), continuing from the reference quarter, that would move the interval to
          include zero (smoothness bound Delta^SD with M = 0 around a linear trend);
        - ``breakdown_m``: relative magnitudes Delta^RM: post-adoption violations whose
          quarter-to-quarter changes are at most M times the largest change seen between
          consecutive pre-adoption effects (the ``leads`` closest to adoption); the smallest M
          that includes zero;
        - ``bounds``: for each M in ``m_values``, the widened interval (estimate +- worst bias
          +- the usual critical value times se: conservative, simpler than RR's optimal ones).

        Plug-in: the pre-period changes are taken as measured (their noise is ignored)."""
        dyn = self._table_numbers("dynamic", self._min_e, self._max_e)  # aggregate("dynamic") without its band
        ev_all, ests, se_e = dyn["keys"], dyn["ests"], dyn["se"]
        tiny = np.sqrt(np.finfo(float).eps) * 10
        post = ev_all >= 0
        if max_e is not None:
            post &= ev_all <= max_e
        rows = dyn["wrows"][post]
        w = np.full(int(post.sum()), 1.0 / max(int(post.sum()), 1))
        est = float(w @ ests[post])
        row = w @ rows
        se = float(self._pooled_se(row[None, :])[0]) if self.inference != "analytic" else float(
            self._analytic_se((dyn["infs"][:, post] @ w)[:, None])[0])
        df = None if self.inference == "analytic" else float(self._row_df(row[None, :])[0])
        crit = norm_ppf(1 - self.alpha / 2) if df is None else t_ppf(1 - self.alpha / 2, df)
        ev = ev_all[post]
        # bias of the average under a unit-slope trend from the reference quarter (e = -1)
        ref = -1 if self.base_period == "universal" else -1
        slope_bias = float(np.mean(ev - ref))
        pre = ests[(ev_all < 0) & (se_e > tiny)]  # event times ascending
        pre = pre[-leads:] if leads != 0 else pre[:0]  # as DataFrame.tail(leads)
        pre_path = np.r_[pre, 0.0] if len(pre) else np.array([0.0])
        dmax = float(np.max(np.abs(np.diff(pre_path)))) if len(pre_path) > 1 else math.nan
        margin = abs(est) - crit * se
        bounds, breakdown_m = [], math.nan
        if np.isfinite(dmax) and dmax > 0:
            breakdown_m = max(margin, 0.0) / (dmax * slope_bias)
            for M in m_values:
                bias = M * dmax * slope_bias
                bounds.append({"m": M, "ci_low": est - bias - crit * se, "ci_high": est + bias + crit * se})
        return Sensitivity(estimate=est, se=se, ci_low=est - crit * se, ci_high=est + crit * se,
                           breakdown_slope=max(margin, 0.0) / slope_bias if slope_bias > 0 else math.nan,
                           breakdown_m=breakdown_m, max_pre_change=dmax,
                           bounds=pd.DataFrame(bounds, columns=["m", "ci_low", "ci_high"]), outcome=self.outcome,
                           settings={**self.settings, "max_e": max_e, "leads": leads, "m_values": tuple(m_values)})

    def summary(self) -> str:
        s = self.aggregate("simple")
        return (f"Callaway-Sant'Anna DiD of {self.outcome}: {self.n_units} units, {self.n_periods} periods, "
                f"{len(self.cohorts) - int((self.cohorts['first_treated'].isna()).any())} adoption cohorts, "
                f"control group {self.control_group}.\n" + s.summary()
                + ("\nnotes: " + "; ".join(self.notes) if self.notes else ""))


# --------------------------------------------------------------------------------------
# estimation
# --------------------------------------------------------------------------------------


def staggered_did(data: pd.DataFrame, *, outcome: str, unit: str, time: str, first_treated: str,
                  control_group: str = "never_treated", base_period: str = "universal", anticipation: int = 0,
                  inference: str = "hetero_t", alpha: float = 0.05, min_e: float = -math.inf,
                  max_e: float = math.inf, unit_variance: str | None = None) -> StaggeredDiD:
    """Callaway-Sant'Anna group-time average treatment effects on the treated.

    ``data`` is a long panel (one row per unit and period). ``first_treated`` holds each
    unit's first treated period (a quarter such as ``2020Q3`` when ``time`` is quarterly,
    a year when it is yearly); 0 or missing means never treated. Units already treated in
    the first period are dropped; units missing any period (or the outcome) are dropped to
    balance the panel (both listed in ``.notes``). ``control_group`` is ``never_treated``
    or ``not_yet_treated``. ``base_period``: ``universal`` (default: every effect, before and
    after adoption, is measured against the last quarter before adoption, so a steady
    differential trend shows as a sloping line of pre-period dots) or ``varying`` (R ``did``'s
    default: each pre-period effect is a one-quarter change). ``inference``: ``hetero_t``
    (default: unit-specific variance scales, Satterthwaite-type degrees of freedom),
    ``pooled_t`` (one covariance for every unit, df = units - cohorts) or ``analytic`` (R
    ``did``). ``unit_variance``: optional column of each observation's sampling variance
    (e.g. :func:`binomial_variance` of a rate and its count); it then sets the relative
    noise of the units instead of their pre-adoption residuals."""
    _check_options(control_group, base_period, inference)
    panel = _prepare(data, outcome=outcome, unit=unit, time=time, first_treated=first_treated,
                     anticipation=anticipation, unit_variance=unit_variance)
    return _fit(*panel, outcome=outcome, control_group=control_group, base_period=base_period,
                anticipation=anticipation, inference=inference, alpha=alpha, min_e=min_e, max_e=max_e)


_FIT_DEFAULTS = {k: p.default for k, p in inspect.signature(staggered_did).parameters.items()
                 if p.kind is p.KEYWORD_ONLY and p.default is not p.empty and k != "unit_variance"}


def _fit_prepared(prepared: tuple, *, outcome: str, light: bool = False, **options) -> StaggeredDiD:
    """:func:`staggered_did` on a panel already made by :func:`_prepare` (``options`` as
    there, with the same defaults; ``anticipation`` must be the one given to ``_prepare``)."""
    o = {**_FIT_DEFAULTS, **options}
    _check_options(o["control_group"], o["base_period"], o["inference"])
    return _fit(*prepared, outcome=outcome, light=light, **o)


def _without(prepared: tuple, unit_id) -> tuple:
    """The prepared panel without one unit (as if its rows had not been given, provided
    the periods observed stay the same)."""
    Y, G, tlist, axis, notes, Vobs, ids = prepared
    keep = ids != unit_id
    return Y[keep], G[keep], tlist, axis, notes, None if Vobs is None else Vobs[keep], ids[keep]


def _check_options(control_group: str, base_period: str, inference: str) -> None:
    if control_group not in ("never_treated", "not_yet_treated"):
        raise ValueError("control_group must be 'never_treated' or 'not_yet_treated'")
    if base_period not in ("varying", "universal"):
        raise ValueError("base_period must be 'varying' or 'universal'")
    if inference not in INFERENCE_METHODS:
        raise ValueError(f"inference must be one of {INFERENCE_METHODS}")


def _prepare(data: pd.DataFrame, *, outcome: str, unit: str, time: str, first_treated: str, anticipation: int = 0,
             unit_variance: str | None = None) -> tuple:
    """The balanced wide panel of :func:`staggered_did`: ``(Y, G, tlist, axis, notes, Vobs,
    unit_ids)`` (outcomes units x periods, first-treated periods, periods, time axis, data
    notes, sampling variances or None, units). The same for every comparison group and
    inference, so checks that refit one outcome prepare it once."""
    missing = [c for c in (outcome, unit, time, first_treated) + ((unit_variance,) if unit_variance else ())
               if c not in data.columns]
    if missing:
        raise DataError([Problem(column=c, expected=Message("problem.model.panel_column")) for c in missing])
    notes: list[str] = []
    df = data[[unit, time, first_treated, outcome] + ([unit_variance] if unit_variance else [])].copy()
    axis = _TimeAxis(df[time])
    df["_t"] = axis.to_int(df[time])
    df["_g"] = axis.first_treated_to_int(df[first_treated], first_treated)
    df["_y"] = pd.to_numeric(df[outcome], errors="coerce").astype(float)
    # first_treated must be constant within unit
    nun = df.groupby(unit, sort=True)["_g"].nunique()
    if (nun > 1).any():
        bad = nun.index[nun > 1][:10].tolist()
        raise DataError([Problem(column=first_treated, value=b, expected=Message("problem.model.one_first_treated"))
                         for b in bad])
    dup = df.duplicated([unit, "_t"])
    if dup.any():
        raise DataError([Problem(row=int(i), column=time, value=df.loc[i, time],
                                 expected=Message("problem.model.one_row_per_unit_period"))
                         for i in df.index[dup][:20]])
    tlist = np.sort(df["_t"].unique())
    T = len(tlist)
    if T < 2:
        raise DataError(Message("problem.model.two_periods"))
    # treated after the last period -> never treated within the window
    late = (df["_g"] > tlist[-1] + anticipation)
    if late.any():
        k = df.loc[late, unit].nunique()
        notes.append(Message("model.note.late_never", k=k))
        df.loc[late, "_g"] = 0.0
    # already treated in the first period -> dropped (as R did)
    early = (df["_g"] > 0) & (df["_g"] <= tlist[0] + anticipation)
    if early.any():
        k = df.loc[early, unit].nunique()
        notes.append(Message("model.note.dropped_early", k=k))
        df = df[~early]
    # balance: drop units with a missing outcome or period
    df = df[np.isfinite(df["_y"])]
    counts = df.groupby(unit)["_t"].nunique()
    incomplete = counts.index[counts < T]
    if len(incomplete):
        notes.append(Message("model.note.unbalanced", k=len(incomplete), units=", ".join(map(str, incomplete[:10]))))
        df = df[~df[unit].isin(incomplete)]
    wide = df.pivot(index=unit, columns="_t", values="_y").sort_index()
    wide = wide.reindex(columns=tlist)
    Y = wide.to_numpy(dtype=float)
    Vobs = None
    if unit_variance:
        Vobs = (df.assign(_v=pd.to_numeric(df[unit_variance], errors="coerce"))
                .pivot(index=unit, columns="_t", values="_v").reindex(index=wide.index, columns=tlist)
                .to_numpy(dtype=float))
    G = df.groupby(unit)["_g"].first().reindex(wide.index).to_numpy(dtype=float)
    return Y, G, tlist, axis, notes, Vobs, wide.index.to_numpy()


def _cells(Y, G, tlist, axis, notes, cohort_vals, cohort_idx, *, control_group, base_period, anticipation):
    """Every group-time effect ATT(g, t) at once (R ``did``'s order: group, then period):
    estimates, influence functions (units x cells) and the weights of each cell on the
    cohort mean paths (cells x cohorts x periods). Notes of groups without pre-period and of
    cells without comparison units are appended to ``notes``."""
    n, T = Y.shape
    K = len(cohort_vals)
    cnt = np.bincount(cohort_idx, minlength=K)  # units per cohort
    tfac = 0 if base_period == "universal" else 1
    cur = np.arange(tfac, T)  # index of the current period
    parts = []  # per group: g, cohort, current, base, comparison cohorts (cells x K), zero, none
    for g in cohort_vals[cohort_vals > 0]:
        pre_idx = np.where(tlist + anticipation < g)[0]
        if len(pre_idx) == 0:
            notes.append(Message("model.note.no_pre", group=str(axis.label(g))))
            continue
        last = pre_idx[-1]
        base = np.full(len(cur), last) if base_period == "universal" else np.where(g <= tlist[cur], last, cur - 1)
        zero = (base == cur) if base_period == "universal" else np.zeros(len(cur), bool)
        if control_group == "never_treated":
            Cc = np.broadcast_to(cohort_vals == 0, (len(cur), K))
        else:
            thr = np.maximum(tlist[cur], tlist[base]) + anticipation
            Cc = (cohort_vals[None, :] == 0) | ((cohort_vals[None, :] > thr[:, None]) & (cohort_vals[None, :] != g))
        n_c = Cc.astype(np.int64) @ cnt
        none = ~zero & (n_c == 0)
        for j in np.flatnonzero(none):
            notes.append(Message("model.note.no_comparison", group=str(axis.label(g)), period=str(axis.label(tlist[cur[j]]))))
        parts.append((np.full(len(cur), g), np.full(len(cur), np.searchsorted(cohort_vals, g)), cur, base, Cc, zero,
                      none, n_c))
    if not parts:
        return None
    gg, kg, tc, base, Cc, zero, none, n_c = (np.concatenate(x) for x in zip(*parts))
    m = len(gg)
    reg = np.flatnonzero(~zero & ~none)
    att = np.zeros(m)
    att[none] = np.nan
    infT = np.zeros((m, n))  # cells x units, transposed at the end
    W = np.zeros((m, K, T))
    W[none] = np.nan
    YT = np.ascontiguousarray(Y.T)
    dY = YT[tc[reg]] - YT[base[reg]]  # regular cells x units: change since the base period
    mu1, mu0 = np.empty(len(reg)), np.empty(len(reg))
    # contiguous rows of the selected units, so each mean adds up in the same order as dY[D].mean()
    kreg = kg[reg]
    for k in np.unique(kreg):
        r = np.flatnonzero(kreg == k)
        D = np.flatnonzero(cohort_idx == k)
        sub = dY[r[:, None], D]
        mu1[r] = sub.mean(axis=1)
        infT[reg[r][:, None], D] = n * (sub - mu1[r][:, None]) / cnt[k]
    # cells sharing the same comparison cohorts
    if not len(reg):
        groups = []
    elif control_group == "never_treated":
        groups = [np.arange(len(reg))]
    elif K <= 62:
        codes = Cc[reg].astype(np.int64) @ (np.int64(1) << np.arange(K, dtype=np.int64))
        _, which = np.unique(codes, return_inverse=True)
        groups = [np.flatnonzero(which == u) for u in range(which.max() + 1)]
    else:
        _, which = np.unique(Cc[reg], axis=0, return_inverse=True)
        which = np.asarray(which).ravel()
        groups = [np.flatnonzero(which == u) for u in range(which.max() + 1)]
    for r in groups:
        C = np.flatnonzero(Cc[reg[r[0]]][cohort_idx])
        sub = dY[r[:, None], C]
        mu0[r] = sub.mean(axis=1)
        infT[reg[r][:, None], C] = -n * (sub - mu0[r][:, None]) / n_c[reg[r]][:, None]
    att[reg] = mu1 - mu0
    inv_g = 1.0 / cnt[kg[reg]]
    W[reg, kg[reg], tc[reg]] = inv_g
    W[reg, kg[reg], base[reg]] = -inv_g
    cr, ck = np.nonzero(Cc[reg])
    inv_c = 1.0 / n_c[reg[cr]]
    W[reg[cr], ck, tc[reg[cr]]] = -inv_c
    W[reg[cr], ck, base[reg[cr]]] = inv_c
    return att, gg, tlist[tc], np.ascontiguousarray(infT.T), W


def _fit(Y, G, tlist, axis, notes, Vobs, unit_ids, *, outcome, control_group, base_period, anticipation, inference,
         alpha, min_e, max_e, light: bool = False) -> StaggeredDiD:
    """The estimator on the balanced wide panel ``Y`` (units x periods) with first-treated
    periods ``G`` (0 = never). ``light``: only what the aggregates need (no ``att_gt`` or
    ``cohorts`` tables; for leave-one-out refits)."""
    notes = list(notes)
    T = len(tlist)
    n = Y.shape[0]
    if control_group == "never_treated" and not (G == 0).any():
        raise DataError(Message("problem.model.no_never_treated"))
    # cohorts (never treated = 0)
    cohort_vals = np.unique(G)
    cohort_idx = np.searchsorted(cohort_vals, G)
    cohort_n = np.bincount(cohort_idx, minlength=len(cohort_vals)).astype(float)
    K = len(cohort_vals)
    cells = _cells(Y, G, tlist, axis, notes, cohort_vals, cohort_idx, control_group=control_group,
                   base_period=base_period, anticipation=anticipation)
    if cells is None:
        raise DataError(Message("problem.model.no_group_time_effect"))
    att, gg, tt, inf, W = cells
    # pooled within-cohort covariance of the unit outcome paths
    dfree = n - K
    Sigma = None
    scale, scale_df = np.ones(n), np.full(n, np.inf)
    if inference == "hetero_t":
        scale, scale_df = _unit_scales(Y, G, tlist, Vobs)
    cohort_S = np.bincount(cohort_idx, weights=scale, minlength=K)
    df_sigma = float(dfree)
    if dfree > 0:
        means = np.vstack([Y[cohort_idx == k].mean(axis=0) for k in range(K)])
        R = Y - means[cohort_idx]
        shrink = scale * (1 - 1 / cohort_n[cohort_idx])  # E R'R = Sigma_0 * sum of these
        Sigma = R.T @ R / shrink.sum()
        if inference == "hetero_t":
            a_ = shrink[shrink > 0]
            df_sigma = float(dfree * (a_.mean() ** 2 / np.mean(a_ ** 2))) if len(a_) else float(dfree)
    elif inference in ("pooled_t", "hetero_t"):
        raise DataError(Message("problem.model.no_pooled_df", n=n, k=K))

    cohorts = None if light else pd.DataFrame({
        "first_treated": [axis.label(v) if v > 0 else None for v in cohort_vals], "n_units": cohort_n.astype(int)})
    res = StaggeredDiD(att_gt=pd.DataFrame() if not light else None, outcome=outcome, control_group=control_group,
                       base_period=base_period, inference=inference, alpha=alpha, n_units=n, n_periods=T,
                       cohorts=cohorts, notes=notes,
                       _att=att, _g=gg, _t=tt, _inf=inf, _W=W, _cohort_n=cohort_n, _Sigma=Sigma,
                       _df=df_sigma if dfree > 0 else None, _unit_g=G, _axis=axis, _tlist=tlist,
                       _max_e=max_e, _min_e=min_e, _cohort_vals=cohort_vals, _cohort_S=cohort_S,
                       _unit_scale=scale, _scale_df=scale_df, _Y=Y, _cohort_idx=cohort_idx,
                       _unit_ids=unit_ids,
                       settings=dict(outcome=outcome, control_group=control_group, base_period=base_period,
                                     anticipation=anticipation, inference=inference, alpha=alpha))
    res._fit_args = dict(tlist=tlist, axis=axis, notes=[x for x in notes if "single unit" not in x], Vobs=Vobs,
                         outcome=outcome, control_group=control_group, base_period=base_period,
                         anticipation=anticipation, inference=inference, alpha=alpha, min_e=min_e, max_e=max_e)
    if not np.isnan(W).any():
        res._cache["W0"] = W  # nothing to zero
    if light:
        return res
    se_analytic = np.sqrt((inf ** 2).sum(axis=0)) / n
    tiny = np.sqrt(np.finfo(float).eps) * 10
    se_analytic = np.where(se_analytic <= tiny, np.nan, se_analytic)
    small = cohorts[(cohorts["first_treated"].notna()) & (cohorts["n_units"] == 1)]
    if len(small):
        res.notes.append(Message("model.note.single_unit_cohorts", k=len(small), cohorts=", ".join(
            str(axis.label(x)) if not isinstance(x, pd.Period) else str(x) for x in small["first_treated"])))
    q = res._quad(None)
    se_p = res._pooled_se(None, q)  # None: each cell on its own
    se, lo, hi, p = res._interval(att, se_p, se_analytic, res._row_df(None, q))
    event_time = (tt - gg).astype(int)
    res.att_gt = pd.DataFrame({
        "group": axis.labels(gg), "time": axis.labels(tt), "estimate": att, "se": se, "ci_low": lo, "ci_high": hi,
        "p_value": p, "se_analytic": se_analytic, "event_time": event_time, "post": gg <= tt,
    })
    return res


def _unit_scales(Y: np.ndarray, G: np.ndarray, tlist: np.ndarray, Vobs: np.ndarray | None = None):
    """Relative noise variance of each unit (mean 1) and the degrees of freedom behind it.

    With ``Vobs`` (sampling variances per unit and period, e.g. binomial): the unit's mean
    variance, known exactly (infinite df). Otherwise from the unit's own untreated quarters:
    the mean square of its quarter-to-quarter changes minus those of the other untreated
    units (which removes the common quarter effects), corrected for the noise of that
    comparison mean; df = number of such changes."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return _unit_scales_inner(Y, G, tlist, Vobs)


def _nanmean_rows(x: np.ndarray) -> np.ndarray:
    """``np.nanmean(x, axis=1)`` of a float matrix, by the same additions (no warning for
    all-missing rows: they give NaN)."""
    miss = np.isnan(x)
    return np.where(miss, 0.0, x).sum(axis=1) / (~miss).sum(axis=1, dtype=np.intp)


def _unit_scales_inner(Y, G, tlist, Vobs):
    n, T = Y.shape
    if Vobs is not None:
        v = np.nanmean(np.where(np.isfinite(Vobs) & (Vobs > 0), Vobs, np.nan), axis=1)
        v = np.where(np.isfinite(v), v, np.nanmedian(v))
        return v / v.mean(), np.full(n, np.inf)
    U = (G[:, None] == 0) | (tlist[None, :] < G[:, None])
    pair = U[:, 1:] & U[:, :-1]  # untreated in both quarters of the change
    dY = np.diff(Y, axis=1)
    m = pair.sum(axis=0)  # units per change
    tot = np.where(pair, dY, 0.0).sum(axis=0)
    raw = np.full(n, np.nan)
    cnt = pair.sum(axis=1)
    # leave-one-out comparison mean of the changes
    with np.errstate(divide="ignore", invalid="ignore"):
        loo = (tot[None, :] - np.where(pair, dY, 0.0)) / (m[None, :] - 1)
        dev = np.where(pair & (m[None, :] > 1), dY - loo, np.nan)
        raw = _nanmean_rows(dev ** 2)
    good = np.isfinite(raw)
    if not good.any():
        return np.ones(n), np.full(n, np.inf)
    med = np.nanmedian(raw)
    v = np.where(good, raw, med)
    usable = pair & (m[None, :] > 1)
    for _ in range(3):  # remove the comparison mean's share: E dev^2 = v_i + mean_j v_j / (m - 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            vp = np.where(pair, v[:, None], 0.0)
            other = (vp.sum(axis=0)[None, :] - vp) / (m[None, :] - 1) ** 2
            corr = _nanmean_rows(np.where(usable, other, np.nan))
        v = np.where(good, np.maximum(raw - np.nan_to_num(corr), 0.2 * raw), med)
    v = np.maximum(v, 0.05 * np.median(v))
    dfs = np.where(good, np.maximum(cnt, 1), 1.0).astype(float)
    return v / v.mean(), dfs


def binomial_variance(rate, count, *, percent: bool = True):
    """Sampling variance of a rate from its count (binomial: p (1 - p) / n), in squared
    percentage points when ``percent``. Used as ``unit_variance`` it tells the model which
    units' rates are noisier because they handle fewer records."""
    p = np.asarray(rate, float) / (100.0 if percent else 1.0)
    n = np.asarray(count, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        v = np.clip(p * (1 - p), 1e-4, None) / n
    v = np.where(n > 0, v, np.nan)
    return v * (1e4 if percent else 1.0)
