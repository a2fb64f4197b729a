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

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from paranalysis.errors import DataError, Problem

INFERENCE_METHODS = ("pooled_t", "analytic")
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
                                     expected="periods (e.g. quarters '2024Q2') or integer years, not timestamps; "
                                              "convert with .dt.to_period('Q')")])
        elif not pd.api.types.is_numeric_dtype(values):
            raise DataError([Problem(column=str(values.name), value=str(values.dtype),
                                     expected="a numeric or period time column")])

    def to_int(self, s: pd.Series) -> np.ndarray:
        if self.kind == "period":
            return np.array([p.ordinal for p in s], dtype=float)
        return pd.to_numeric(s).to_numpy(dtype=float)

    def first_treated_to_int(self, s: pd.Series, column: str) -> np.ndarray:
        """0, missing (None/NaN/NaT) -> 0 (never treated); otherwise the period number."""
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
                    problems.append(Problem(row=i, column=column, value=v, expected="a period such as '2020Q3', 0 or missing"))
            else:
                try:
                    out[i] = float(v)
                except (ValueError, TypeError):
                    problems.append(Problem(row=i, column=column, value=v, expected="a number, 0 or missing"))
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
        return [self.label(x) for x in xs]


# --------------------------------------------------------------------------------------
# results
# --------------------------------------------------------------------------------------


@dataclass
class Aggregate:
    """One aggregation of the group-time effects: the overall effect (``att``, ``se``,
    ``ci_low``, ``ci_high``, ``p_value``) and the per-event-time / group / period
    ``table``. ``inference`` says how the intervals were made."""

    kind: str
    att: float
    se: float
    ci_low: float
    ci_high: float
    p_value: float
    table: pd.DataFrame
    inference: str
    df: float | None
    alpha: float = 0.05

    def summary(self) -> str:
        lines = [f"Callaway-Sant'Anna aggregation '{self.kind}': ATT = {self.att:.4g} "
                 f"(se {self.se:.3g}; {100 * (1 - self.alpha):.0f}% CI {self.ci_low:.4g} to {self.ci_high:.4g}; "
                 f"p = {self.p_value:.3g})", f"inference: {self.inference}"]
        if len(self.table) > 1 or self.kind != "simple":
            lines.append(self.table.to_string(index=False))
        return "\n".join(lines)

    def __repr__(self) -> str:  # pragma: no cover - display only
        return self.summary()


@dataclass
class PretrendTest:
    """Joint test that the pre-treatment effects are all zero (parallel trends before
    adoption). A large p-value does not prove parallel trends; it says the data do not
    contradict them with the power available."""

    statistic: float
    df1: float
    df2: float | None
    p_value: float
    distribution: str
    cells: pd.DataFrame

    def summary(self) -> str:
        d = f"{self.distribution}({self.df1:g}" + (f", {self.df2:g})" if self.df2 is not None else ")")
        return f"pre-trend test: {d} = {self.statistic:.4g}, p = {self.p_value:.3g} ({len(self.cells)} pre-period effects)"

    def __repr__(self) -> str:  # pragma: no cover
        return self.summary()


@dataclass
class StaggeredDiD:
    """Result of :func:`staggered_did`. ``att_gt`` has one row per group and period:
    ``group, time, att, se`` (se of the chosen inference), ``ci_low, ci_high``,
    ``se_analytic`` (R ``did``'s influence-function se), ``event_time`` and ``post``."""

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
    _cohort_n: np.ndarray = field(default=None, repr=False)
    _Sigma: np.ndarray | None = field(default=None, repr=False)
    _df: float | None = field(default=None, repr=False)
    _unit_g: np.ndarray = field(default=None, repr=False)
    _axis: _TimeAxis = field(default=None, repr=False)
    _tlist: np.ndarray = field(default=None, repr=False)
    _max_e: float = field(default=math.inf, repr=False)
    _min_e: float = field(default=-math.inf, repr=False)

    # ---------------------------------------------------------------- inference helpers
    def _interval(self, est, se_pooled, se_analytic):
        """(se, ci_low, ci_high, p) for the result's inference method."""
        est = np.asarray(est, float)
        if self.inference == "analytic":
            se = np.asarray(se_analytic, float)
            crit = stats.norm.ppf(1 - self.alpha / 2)
            with np.errstate(divide="ignore", invalid="ignore"):
                p = 2 * stats.norm.sf(np.abs(est / se))
        else:
            se = np.asarray(se_pooled, float)
            crit = stats.t.ppf(1 - self.alpha / 2, self._df)
            with np.errstate(divide="ignore", invalid="ignore"):
                p = 2 * stats.t.sf(np.abs(est / se), self._df)
        return se, est - crit * se, est + crit * se, p

    def _pooled_se(self, weights_cells: np.ndarray) -> np.ndarray:
        """se under the pooled covariance for linear combinations of cells (rows of
        ``weights_cells``, shape k x cells)."""
        if self._Sigma is None:
            return np.full(weights_cells.shape[0], np.nan)
        Wc = np.tensordot(weights_cells, np.nan_to_num(self._W), axes=(1, 0))  # k x K x T
        # var = sum_k n_k w_k' Sigma w_k
        v = np.einsum("akt,ts,aks->a", Wc, self._Sigma, Wc * self._cohort_n[None, :, None])
        return np.sqrt(np.maximum(v, 0.0))

    def _pooled_cov(self, weights_cells: np.ndarray) -> np.ndarray:
        Wc = np.tensordot(weights_cells, np.nan_to_num(self._W), axes=(1, 0))
        return np.einsum("akt,ts,bks->ab", Wc, self._Sigma, Wc * self._cohort_n[None, :, None])

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
        ok = np.isfinite(self._att)
        g, t, att = self._g, self._t, self._att
        n = self._inf.shape[0]
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

        est, inf, row = overall
        se_a = float(self._analytic_se(inf[:, None])[0])
        se_p = float(self._pooled_se(row[None, :])[0])
        se, lo, hi, p = self._interval([est], [se_p], [se_a])
        if kind == "simple":
            table = pd.DataFrame({"att": [est], "se": se, "ci_low": lo, "ci_high": hi, "p_value": p,
                                  "se_analytic": [se_a]})
        else:
            se_a_t = self._analytic_se(infs)
            se_p_t = self._pooled_se(wrows)
            se_t, lo_t, hi_t, p_t = self._interval(rows, se_p_t, se_a_t)
            key = {"dynamic": "event_time", "group": "group", "calendar": "time"}[kind]
            keys = [int(k) for k in table_keys] if kind == "dynamic" else self._axis.labels(table_keys)
            table = pd.DataFrame({key: keys, "att": rows, "se": se_t, "ci_low": lo_t, "ci_high": hi_t,
                                  "p_value": p_t, "se_analytic": se_a_t})
            # R replaces (numerically) zero standard errors by NA
            tiny = np.sqrt(np.finfo(float).eps) * 10
            table.loc[table["se_analytic"] <= tiny, "se_analytic"] = np.nan
        agg = Aggregate(kind=kind, att=est, se=float(se[0]), ci_low=float(lo[0]), ci_high=float(hi[0]),
                        p_value=float(p[0]), table=table, inference=self.inference_text, df=self._df, alpha=self.alpha)
        agg._row = row  # linear weights on the cells (for joint tests)
        agg._rows = wrows if kind != "simple" else row[None, :]
        agg._infs = infs if kind != "simple" else inf[:, None]
        return agg

    @property
    def inference_text(self) -> str:
        if self.inference == "analytic":
            return ("analytic influence-function standard errors clustered by unit (as R did, bstrap=FALSE), "
                    "normal critical values; too optimistic with few units")
        return (f"pooled-covariance standard errors (cohorts fixed, one error covariance over time pooled within "
                f"cohorts), t distribution with {self._df:g} degrees of freedom "
                f"({self.n_units} units - {len(self.cohorts)} cohorts)")

    # ---------------------------------------------------------------- pre-trend test
    def pretrend_test(self, *, leads: int | None = 4, method: str | None = None) -> PretrendTest:
        """Joint test that pre-adoption effects are zero.

        With ``method="analytic"`` (R ``did``'s Wald pre-test): all pre-period ATT(g, t),
        chi-squared with the analytic influence-function covariance (``leads`` ignored).
        Default (pooled inference): the event-study effects for the ``leads`` periods before
        adoption (event times -leads .. -1), Hotelling's T^2 as an F test with the pooled
        covariance."""
        method = method or self.inference
        if method == "analytic":
            pre = np.where(np.isfinite(self._att) & (self._g > self._t))[0]
            n = self._inf.shape[0]
            V = self._inf.T @ self._inf / n
            se = np.sqrt(np.diag(V) / n)
            pre = pre[se[pre] > np.sqrt(np.finfo(float).eps) * 10]
            a = self._att[pre]
            Vp = V[np.ix_(pre, pre)]
            W = float(n * a @ np.linalg.solve(Vp, a))
            q = len(pre)
            cells = self.att_gt.iloc[pre][["group", "time", "att", "se_analytic"]].reset_index(drop=True)
            return PretrendTest(W, q, None, float(stats.chi2.sf(W, q)), "chi2", cells)
        dyn = self.aggregate("dynamic")
        e = dyn.table["event_time"].to_numpy()
        sel = (e < 0) if leads is None else ((e < 0) & (e >= -leads))
        a = dyn.table["att"].to_numpy()[sel]
        C = self._pooled_cov(dyn._rows[sel])
        q = int(sel.sum())
        df = self._df
        if q == 0 or df is None or df - q + 1 <= 0:
            raise ValueError(f"cannot test {q} pre-period effects with {df} degrees of freedom; use fewer leads")
        T2 = float(a @ np.linalg.solve(C, a))
        F = (df - q + 1) / (df * q) * T2
        cells = dyn.table.loc[sel, ["event_time", "att", "se"]].reset_index(drop=True)
        return PretrendTest(F, q, df - q + 1, float(stats.f.sf(F, q, df - q + 1)), "F", cells)

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
                  control_group: str = "never_treated", base_period: str = "varying", anticipation: int = 0,
                  inference: str = "pooled_t", alpha: float = 0.05, min_e: float = -math.inf,
                  max_e: float = math.inf) -> StaggeredDiD:
    """Callaway-Sant'Anna group-time average treatment effects on the treated.

    ``data`` is a long panel (one row per unit and period). ``first_treated`` holds each
    unit's first treated period (a quarter such as ``2020Q3`` when ``time`` is quarterly,
    a year when it is yearly); 0 or missing means never treated. Units already treated in
    the first period are dropped; units missing any period (or the outcome) are dropped to
    balance the panel (both listed in ``.notes``). ``control_group`` is ``never_treated``
    or ``not_yet_treated``. ``inference``: ``pooled_t`` (default, honest with ~20 units) or
    ``analytic`` (R ``did``)."""
    if control_group not in ("never_treated", "not_yet_treated"):
        raise ValueError("control_group must be 'never_treated' or 'not_yet_treated'")
    if base_period not in ("varying", "universal"):
        raise ValueError("base_period must be 'varying' or 'universal'")
    if inference not in INFERENCE_METHODS:
        raise ValueError(f"inference must be one of {INFERENCE_METHODS}")
    missing = [c for c in (outcome, unit, time, first_treated) if c not in data.columns]
    if missing:
        raise DataError([Problem(column=c, expected="a column of the panel") for c in missing])
    notes: list[str] = []
    df = data[[unit, time, first_treated, outcome]].copy()
    axis = _TimeAxis(df[time])
    df["_t"] = axis.to_int(df[time])
    df["_g"] = axis.first_treated_to_int(df[first_treated], first_treated)
    df["_y"] = pd.to_numeric(df[outcome], errors="coerce").astype(float)
    # first_treated must be constant within unit
    nun = df.groupby(unit, sort=True)["_g"].nunique()
    if (nun > 1).any():
        bad = nun.index[nun > 1][:10].tolist()
        raise DataError([Problem(column=first_treated, value=b, expected="one first-treated period per unit "
                                 "(treatment is irreversible)") for b in bad])
    dup = df.duplicated([unit, "_t"])
    if dup.any():
        raise DataError([Problem(row=int(i), column=time, value=df.loc[i, time],
                                 expected="one row per unit and period") for i in df.index[dup][:20]])
    tlist = np.sort(df["_t"].unique())
    T = len(tlist)
    if T < 2:
        raise DataError("at least two periods are needed")
    # treated after the last period -> never treated within the window
    late = (df["_g"] > tlist[-1] + anticipation)
    if late.any():
        k = df.loc[late, unit].nunique()
        notes.append(f"{k} unit(s) first treated after the last period are treated as never treated")
        df.loc[late, "_g"] = 0.0
    # already treated in the first period -> dropped (as R did)
    early = (df["_g"] > 0) & (df["_g"] <= tlist[0] + anticipation)
    if early.any():
        k = df.loc[early, unit].nunique()
        notes.append(f"dropped {k} unit(s) already treated in the first period")
        df = df[~early]
    # balance: drop units with a missing outcome or period
    df = df[np.isfinite(df["_y"])]
    counts = df.groupby(unit)["_t"].nunique()
    incomplete = counts.index[counts < T]
    if len(incomplete):
        notes.append(f"dropped {len(incomplete)} unit(s) not observed in every period to balance the panel: "
                     + ", ".join(map(str, incomplete[:10])))
        df = df[~df[unit].isin(incomplete)]
    wide = df.pivot(index=unit, columns="_t", values="_y").sort_index()
    wide = wide.reindex(columns=tlist)
    Y = wide.to_numpy(dtype=float)
    G = df.groupby(unit)["_g"].first().reindex(wide.index).to_numpy(dtype=float)
    n = Y.shape[0]
    if control_group == "never_treated" and not (G == 0).any():
        raise DataError("no never-treated units: use control_group='not_yet_treated'")
    glist = np.unique(G[G > 0])
    # cohorts (never treated = 0)
    cohort_vals = np.unique(G)
    cohort_idx = np.searchsorted(cohort_vals, G)
    cohort_n = np.bincount(cohort_idx, minlength=len(cohort_vals)).astype(float)
    K = len(cohort_vals)

    cells_g, cells_t, att_l, inf_cols, Wcells = [], [], [], [], []
    tfac = 0 if base_period == "universal" else 1
    for g in glist:
        pre_idx = np.where(tlist + anticipation < g)[0]
        if len(pre_idx) == 0:
            notes.append(f"group {axis.label(g)} has no pre-treatment period and is dropped")
            continue
        for j in range(T - tfac):
            tc = j + tfac  # index of the current period
            if base_period == "universal":
                base = pre_idx[-1]
            else:
                base = j if tfac == 1 else pre_idx[-1]
            if g <= tlist[tc]:
                base = pre_idx[-1]
            if base_period == "universal" and base == tc:
                cells_g.append(g), cells_t.append(tlist[tc]), att_l.append(0.0)
                inf_cols.append(np.zeros(n)), Wcells.append(np.zeros((K, T)))
                continue
            D = (G == g)
            if control_group == "never_treated":
                C = (G == 0)
            else:
                C = (G == 0) | ((G > max(tlist[tc], tlist[base]) + anticipation) & (G != g))
            n_g, n_c = D.sum(), C.sum()
            if n_c == 0:
                cells_g.append(g), cells_t.append(tlist[tc]), att_l.append(np.nan)
                inf_cols.append(np.zeros(n)), Wcells.append(np.full((K, T), np.nan))
                notes.append(f"no comparison units for group {axis.label(g)} in {axis.label(tlist[tc])}")
                continue
            dY = Y[:, tc] - Y[:, base]
            mu1, mu0 = dY[D].mean(), dY[C].mean()
            att = mu1 - mu0
            inf = np.zeros(n)
            inf[D] = n * (dY[D] - mu1) / n_g
            inf[C] = -n * (dY[C] - mu0) / n_c
            Wk = np.zeros((K, T))
            kg = np.searchsorted(cohort_vals, g)
            Wk[kg, tc] += 1.0 / n_g
            Wk[kg, base] -= 1.0 / n_g
            for kc in np.unique(cohort_idx[C]):
                Wk[kc, tc] -= 1.0 / n_c
                Wk[kc, base] += 1.0 / n_c
            cells_g.append(g), cells_t.append(tlist[tc]), att_l.append(att)
            inf_cols.append(inf), Wcells.append(Wk)

    if not att_l:
        raise DataError("no group-time effect could be estimated (no treated group with a pre-period)")
    att = np.array(att_l, float)
    gg, tt = np.array(cells_g), np.array(cells_t)
    inf = np.column_stack(inf_cols)
    W = np.stack(Wcells)
    # pooled within-cohort covariance of the unit outcome paths
    dfree = n - K
    Sigma = None
    if dfree > 0:
        means = np.vstack([Y[cohort_idx == k].mean(axis=0) for k in range(K)])
        R = Y - means[cohort_idx]
        Sigma = R.T @ R / dfree
    elif inference == "pooled_t":
        raise DataError(f"{n} units in {K} cohorts leave no degrees of freedom for the pooled covariance; "
                        "group adoption dates more coarsely (e.g. by half-year) or use inference='analytic'")
    se_analytic = np.sqrt((inf ** 2).sum(axis=0)) / n
    tiny = np.sqrt(np.finfo(float).eps) * 10
    se_analytic = np.where(se_analytic <= tiny, np.nan, se_analytic)

    cohorts = pd.DataFrame({"first_treated": [axis.label(v) if v > 0 else None for v in cohort_vals],
                            "n_units": cohort_n.astype(int)})
    res = StaggeredDiD(att_gt=pd.DataFrame(), outcome=outcome, control_group=control_group, base_period=base_period,
                       inference=inference, alpha=alpha, n_units=n, n_periods=T, cohorts=cohorts, notes=notes,
                       _att=att, _g=gg, _t=tt, _inf=inf, _W=W, _cohort_n=cohort_n, _Sigma=Sigma,
                       _df=float(dfree) if dfree > 0 else None, _unit_g=G, _axis=axis, _tlist=tlist,
                       _max_e=max_e, _min_e=min_e)
    se_p = res._pooled_se(np.eye(len(att)))
    se, lo, hi, p = res._interval(att, se_p, se_analytic)
    event_time = (tt - gg).astype(int)
    res.att_gt = pd.DataFrame({
        "group": axis.labels(gg), "time": axis.labels(tt), "att": att, "se": se, "ci_low": lo, "ci_high": hi,
        "p_value": p, "se_analytic": se_analytic, "event_time": event_time, "post": gg <= tt,
    })
    return res
