"""Ranks of district-level units against investment timing and processing indicators."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from paranalysis.distributions import rankdata
from paranalysis.errors import DataError, Problem
from paranalysis.i18n import Message
from paranalysis.rankings.breaks import method_breaks
from paranalysis.rankings.ranks import rank_to_percentile
from paranalysis.results import Result, TableResult, tidy_frame

# ---------------------------------------------------------------------------------------
# Ranks against investment timing and processing indicators (district-level units)
# ---------------------------------------------------------------------------------------


@dataclass(repr=False)
class RankCorrelation(Result):
    """Result of :func:`rank_correlation`: the coefficient (``statistic``: Spearman's rho
    or Kendall's tau-b, which is also what the permutation test compares), its
    ``p_value``, how that was computed (``p_method``) and the pairs used (``n``).
    ``tidy()``: one row, term ``spearman_rho`` / ``kendall_tau``, the coefficient as
    ``estimate`` and ``statistic`` (no standard error or interval)."""

    method: str
    statistic: float
    p_value: float
    p_method: str
    n: int

    def tidy(self) -> pd.DataFrame:
        term = {"spearman": "spearman_rho", "kendall": "kendall_tau"}.get(self.method, self.method)
        return tidy_frame(term, [self.statistic], np.nan, self.p_value, statistic=[self.statistic], n=self.n,
                          p_method=self.p_method, method=self.method)


def _kendall_p_exact(n: int, c: int, alternative: str) -> float:
    """Exact p-value of Kendall's tau without ties from the ``c`` concordant pairs of ``n``
    (M. G. Kendall, Rank Correlation Methods, 1970; the recursion ``scipy.stats.kendalltau``
    uses with ``method="exact"``)."""
    in_right_tail = c >= (n * (n - 1)) // 2 - c
    c = int(min(c, (n * (n - 1)) // 2 - c))
    p_mass_at_c = 0.0
    if n == 1:
        prob, p_mass_at_c = 1.0, 1
    elif n == 2:
        prob, p_mass_at_c = 1.0, 0.5
    elif c == 0:
        prob = 2.0 / math.factorial(n) if n < 171 else 0.0
        p_mass_at_c = prob / 2
    elif c == 1:
        prob = 2.0 / math.factorial(n - 1) if n < 172 else 0.0
        p_mass_at_c = (n - 1) / math.factorial(n)
    elif 4 * c == n * (n - 1) and alternative == "two-sided":
        prob = 1.0
    elif n < 171:
        new = np.zeros(c + 1)
        new[0:2] = 1.0
        for j in range(3, n + 1):
            new = np.cumsum(new)
            if j <= c:
                new[j:] -= new[:c + 1 - j]
        prob = 2.0 * np.sum(new) / math.factorial(n)
        p_mass_at_c = new[-1] / math.factorial(n)
    else:
        new = np.zeros(c + 1)
        new[0:2] = 1.0
        for j in range(3, n + 1):
            new = np.cumsum(new) / j
            if j <= c:
                new[j:] -= new[:c + 1 - j]
        prob = np.sum(new)
        p_mass_at_c = new[-1] / 2
    if alternative != "two-sided":
        if in_right_tail == (alternative == "greater"):
            prob /= 2
        else:
            prob = 1 - prob / 2 + p_mass_at_c
    return float(np.clip(prob, 0, 1))


def _kendall_exact(x: np.ndarray, y: np.ndarray, alternative: str) -> tuple[float, float]:
    """Kendall's tau and its exact p-value for pairs without ties."""
    n = x.size
    i, j = np.triu_indices(n, k=1)
    dis = int(((x[j] - x[i]) * (y[j] - y[i]) < 0).sum())
    tot = (n * (n - 1)) // 2
    tau = np.minimum(1.0, max(-1.0, (tot - 2 * dis) / np.sqrt(tot) / np.sqrt(tot)))
    return float(tau), _kendall_p_exact(n, tot - dis, alternative)


def _permutation_p(rx: np.ndarray, stat, n_resamples: int, alternative: str, rng) -> tuple[float, float]:
    """Statistic and p-value of the test that permutes the pairings of ``rx`` (every
    permutation when n! <= ``n_resamples``, else ``n_resamples`` random ones drawn from
    ``rng``), computed as ``scipy.stats.permutation_test(..., permutation_type="pairings")``
    does, without importing scipy.stats."""
    if not math.isinf(n_resamples) and (int(n_resamples) != n_resamples or n_resamples <= 0):
        raise ValueError("`n_resamples` must be a positive integer.")
    alternative = str(alternative).lower()
    if alternative not in ("two-sided", "less", "greater"):
        raise ValueError("`alternative` must be in {'two-sided', 'less', 'greater'}")
    n = rx.shape[-1]
    observed = stat(rx, axis=-1)
    n_max = math.factorial(n)
    exact = n_resamples >= n_max
    if exact:
        n_perm = n_max
        idx = np.asarray(list(itertools.permutations(range(n))))
    else:
        n_perm = int(n_resamples)
        idx = rng.permuted(np.tile(np.arange(n), (n_perm, 1, 1)), axis=-1)[:, 0, :]
    null = stat(rx[..., idx], axis=-1)
    adjustment = 0 if exact else 1
    gamma = np.abs(np.finfo(observed.dtype).eps * 100 * observed)
    less = (np.count_nonzero(null <= observed + gamma, axis=0) + adjustment) / (n_perm + adjustment)
    greater = (np.count_nonzero(null >= observed - gamma, axis=0) + adjustment) / (n_perm + adjustment)
    p = {"less": less, "greater": greater, "two-sided": np.minimum(less, greater) * 2}[alternative]
    return float(observed), float(np.clip(p, 0.0, 1.0))


def rank_correlation(x, y, *, method: str = "spearman", n_resamples: int = 9999, seed: int = 20240601,
                     alternative: str = "two-sided") -> RankCorrelation:
    """Rank correlation with a small-sample p-value.

    - ``kendall``: Kendall's tau-b; exact p-value (as scipy's ``kendalltau(method="exact")``)
      when there are no ties, otherwise a permutation p-value.
    - ``spearman``: Spearman's rho with a permutation p-value (exact enumeration when n! <=
      ``n_resamples``, else ``n_resamples`` seeded random permutations; as scipy's
      ``permutation_test``).

    Returns a :class:`RankCorrelation` (statistic, p_value, p_method, n). Pairs with a
    missing value are dropped."""
    settings = {"method": method, "n_resamples": n_resamples, "seed": seed, "alternative": alternative}

    xs = pd.Series(x, dtype=float).reset_index(drop=True)
    ys = pd.Series(y, dtype=float).reset_index(drop=True)
    ok = xs.notna() & ys.notna()
    xa, ya = xs[ok].to_numpy(), ys[ok].to_numpy()
    n = len(xa)
    if n < 3 or np.unique(xa).size < 2 or np.unique(ya).size < 2:
        return RankCorrelation(method=method, statistic=float("nan"), p_value=float("nan"), p_method="not computable",
                               n=n, settings=settings)
    ties = np.unique(xa).size < n or np.unique(ya).size < n
    if method == "kendall" and not ties:
        tau, p = _kendall_exact(xa, ya, alternative)
        return RankCorrelation(method="kendall", statistic=tau, p_value=p, p_method="exact", n=n, settings=settings)
    rx, ry = rankdata(xa, "average"), rankdata(ya, "average")
    if method == "kendall":
        # tau-b from pair signs: sum(sx * sy) / sqrt(sum|sx| * sum|sy|); permuting x keeps its ties
        # (average ranks are halves: twice them are whole numbers, and the sums of signs are exact)
        i, j = np.triu_indices(n, k=1)
        sy = np.sign(np.rint(2 * ry).astype(np.int32)[j] - np.rint(2 * ry).astype(np.int32)[i]).astype(np.int8)
        sy_abs = float(np.abs(sy).sum())

        def stat(a, axis=-1):
            a = np.rint(2 * np.moveaxis(a, axis, -1)).astype(np.int32)
            sx = np.sign(a[..., j] - a[..., i]).astype(np.int8)
            num = (sx * sy).sum(-1, dtype=np.int64).astype(float)
            return num / np.sqrt(np.abs(sx).sum(-1, dtype=np.int64).astype(float) * sy_abs)
    elif method == "spearman":
        cy = ry - ry.mean()

        def stat(a, axis=-1):  # Pearson correlation of the (average) ranks
            a = np.moveaxis(a, axis, -1)
            ca = a - a.mean(-1, keepdims=True)
            return (ca * cy).sum(-1) / np.sqrt((ca ** 2).sum(-1) * (cy ** 2).sum())
    else:
        raise ValueError("method must be 'spearman' or 'kendall'")
    statistic, p = _permutation_p(rx, stat, n_resamples, alternative, np.random.default_rng(seed))
    exact = math.factorial(n) <= n_resamples
    return RankCorrelation(method=method, statistic=statistic, p_value=p,
                           p_method="exact permutation" if exact else f"permutation ({n_resamples:,} resamples)", n=n,
                           settings=settings)


def correlation_table(df: pd.DataFrame, outcome: str, drivers: Iterable[str], **kw) -> pd.DataFrame:
    """Spearman and Kendall correlations (with small-sample p-values) of ``outcome`` with
    each driver column: one row per driver."""
    rows = []
    for d in drivers:
        s = rank_correlation(df[d], df[outcome], method="spearman", **kw)
        k = rank_correlation(df[d], df[outcome], method="kendall", **kw)
        rows.append({"driver": d, "outcome": outcome, "n": s.n, "spearman_rho": s.statistic,
                     "spearman_p": s.p_value, "spearman_p_method": s.p_method, "kendall_tau": k.statistic,
                     "kendall_p": k.p_value, "kendall_p_method": k.p_method})
    return pd.DataFrame(rows)


def yearly_processing(processing: pd.DataFrame) -> pd.DataFrame:
    """Calendar-year processing indicators per unit from the quarterly counts: on-time rate
    on the resolved basis ((early + on time) / resolved, variant A) and online share
    (online / newly received), both in %."""
    p = processing.copy()
    p["year"] = p["period"].dt.year.astype("Int64")
    cols = ["resolved_early", "resolved_on_time", "resolved_late", "received_online", "received_direct",
            "received_postal"]
    y = p.groupby(["unit_code", "year"])[cols].sum(min_count=1).reset_index()
    resolved = (y["resolved_early"] + y["resolved_on_time"] + y["resolved_late"]).astype(float)
    received = (y["received_online"] + y["received_direct"] + y["received_postal"]).astype(float)
    y["on_time_rate"] = 100.0 * (y["resolved_early"] + y["resolved_on_time"]).astype(float) / resolved
    y["online_share"] = 100.0 * y["received_online"].astype(float) / received
    y["quarters"] = p.groupby(["unit_code", "year"]).size().to_numpy()
    return y[["unit_code", "year", "quarters", "on_time_rate", "online_share"]]


def district_indices(rankings: pd.DataFrame, units: pd.DataFrame | None = None) -> list[str]:
    """Indices in the rankings table that rank district-level units, the one with the most
    years first."""
    from paranalysis.units import package_units

    u = package_units() if units is None else units
    districts = set(u.loc[u["level"] == "district", "unit_code"])
    r = rankings[rankings["unit_code"].isin(districts)]
    years = r.groupby("index")["year"].nunique().sort_values(ascending=False, kind="stable")
    return list(years.index)


def district_rank_changes(rankings: pd.DataFrame, investments: pd.DataFrame, processing: pd.DataFrame | None = None,
                          *, index: str = "DDCI", start: int | None = None, end: int | None = None,
                          units: pd.DataFrame | None = None) -> TableResult:
    """One row per unit ranked by ``index`` in both ``start`` and ``end`` years (default:
    first and last year of the index): rank, percentile and score change, investment timing
    and processing change over the same window. Returns a :class:`TableResult`: ``.table``
    (the rows), ``.settings`` (``index``, ``start``, ``end``: the years used) and
    ``.meta["not_in_both_years"]`` (units ranked in only one of the two years).

    Investment columns, per category (``one_stop_facility``, ``online_meeting_system``):
    ``<cat>_since`` (first date in operation), ``<cat>_new`` (came into operation after the
    end of ``start`` and by the end of ``end``: the change it could explain),
    ``<cat>_years`` (years in operation at the end of ``end``, 0 if never). Processing
    columns: on-time rate and online share (calendar years ``start`` and ``end``) and their
    change in percentage points. ``footprint_changed`` marks a unit whose territory changed
    inside the window (Vinh from Dec 2024)."""
    r = rankings[rankings["index"] == index]
    if r.empty:
        raise DataError([Problem(column="index", value=index,
                                 expected=Message("problem.model.index_in_rankings_table"))])
    years = sorted(int(y) for y in r["year"].dropna().unique())
    start = years[0] if start is None else int(start)
    end = years[-1] if end is None else int(end)
    a = r[r["year"] == start].set_index("unit_code")
    b = r[r["year"] == end].set_index("unit_code")
    codes = [c for c in a.index if c in b.index]
    out = pd.DataFrame({"unit_code": codes})
    out["rank_start"] = a.loc[codes, "rank"].astype("Int64").to_numpy()
    out["rank_end"] = b.loc[codes, "rank"].astype("Int64").to_numpy()
    out["n_start"] = a.loc[codes, "n_ranked"].astype("Int64").to_numpy()
    out["n_end"] = b.loc[codes, "n_ranked"].astype("Int64").to_numpy()
    out["places_gained"] = (out["rank_start"] - out["rank_end"]).astype("Int64")
    out["percentile_change"] = 100.0 * (rank_to_percentile(out["rank_end"], out["n_end"])
                                        - rank_to_percentile(out["rank_start"], out["n_start"]))
    out["score_start"] = a.loc[codes, "score"].astype(float).to_numpy()
    out["score_end"] = b.loc[codes, "score"].astype(float).to_numpy()
    out["score_change"] = out["score_end"] - out["score_start"]
    t0 = pd.Timestamp(f"{start}-12-31")
    t1 = pd.Timestamp(f"{end}-12-31")
    for cat in ("one_stop_facility", "online_meeting_system"):
        sel = investments[investments["category"] == cat]
        inv = pd.to_datetime(sel["date_in_operation"]).groupby(sel["unit_code"]).min()
        since = pd.to_datetime(out["unit_code"].map(inv))
        out[f"{cat}_since"] = since
        out[f"{cat}_new"] = (since > t0) & (since <= t1)
        out[f"{cat}_years"] = ((t1 - since).dt.days / 365.25).clip(lower=0).fillna(0.0).round(2)
    if processing is not None and len(processing):
        yp = yearly_processing(processing).set_index(["unit_code", "year"])
        for col in ("on_time_rate", "online_share"):
            s0 = [yp[col].get((c, start), float("nan")) for c in codes]
            s1 = [yp[col].get((c, end), float("nan")) for c in codes]
            out[f"{col}_start"] = s0
            out[f"{col}_end"] = s1
            out[f"{col}_change_pp"] = out[f"{col}_end"] - out[f"{col}_start"]
    br = method_breaks(index)
    changed = set(br[(br["kind"] == "method") & br["unit_code"].notna() & (br["year"] > start)
                     & (br["year"] <= end)]["unit_code"])
    out["footprint_changed"] = out["unit_code"].isin(changed)
    from paranalysis.units import package_units

    u = (package_units() if units is None else units).set_index("unit_code")
    out.insert(1, "name", out["unit_code"].map(u["short_name_vi"]).fillna(out["unit_code"]))
    dropped = sorted(set(a.index) ^ set(b.index))
    return TableResult(table=out, meta={"not_in_both_years": dropped},
                       settings={"index": index, "start": start, "end": end},
                       title=f"{index} rank changes {start}-{end}")
