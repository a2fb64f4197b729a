"""The progress component against the processing counts of the same unit and period.

The portal's progress score ("tiến độ giải quyết", 20 points) is 20 × on-time ratio.
Its on-time ratio follows Decision 766 indicator 2.1 (definition C of docs/indicators.md:
records finished on time plus records still in progress within their deadline, over the
records of the period), computed on the records synced to the national portal. The
official form gives the same unit's counts per quarter. The two agree only as far as
their definitions do; :func:`reconcile_progress` sets them side by side and says where
and why they differ:

- **denominator**: the portal counts records received in the period (``totalReceived``);
  the form has new records (``received``) and the workload (``handled`` = carried over +
  new). Which one the portal's count is closest to is reported (``denominator_basis``);
- **numerator**: the portal counts "on time or early, finished or still in time"
  (definition C); the form's usual rate (definition A) counts resolved records only;
- rules only record-level data can reproduce: supplement waiting time is deducted, a
  second supplement request counts as late, returned or withdrawn records count as ended;
- records not synced to the national portal are missing from the portal's counts;
- periods: the portal scores calendar months (summed here to calendar quarters, only when
  all three months are present on one formula version); provincial reports often use
  the 15th-to-14th reporting window.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from paranalysis.errors import DataError, Problem
from paranalysis.i18n import DEFAULT_LANG, Message

#: Differences (percentage points) treated as agreement up to rounding of published ratios.
AGREE_PP = 0.5



def _pct(x, lang: str = DEFAULT_LANG) -> str:
    from paranalysis.i18n import fmt_pct

    return fmt_pct(None if x is None or pd.isna(x) else 100 * float(x), lang)


def _int(x, lang: str = DEFAULT_LANG) -> str:
    from paranalysis.i18n import fmt_number

    return fmt_number(int(x), lang, 0)


def _chg(x, lang: str = DEFAULT_LANG) -> str:
    from paranalysis.i18n import fmt_change

    return fmt_change(float(x), lang, 2)


def portal_quarters(index: pd.DataFrame) -> pd.DataFrame:
    """Progress counts of the portal per unit and calendar quarter: quarter rows as
    published, and months added up into quarters where all three months of one formula
    version are present. Columns: unit_code, unit_id, quarter, received, on_time, score,
    n_months, basis ("quarter" or "months"), formula_version."""
    d = index[(index["component"] == "progress") & index["unit_code"].notna()].copy()
    if d.empty:
        return pd.DataFrame(columns=["unit_code", "unit_id", "quarter", "received", "on_time", "score", "n_months",
                                     "basis", "formula_version"])
    d["quarter"] = pd.PeriodIndex(d["period_start"], freq="Q-DEC")
    out = []
    q = d[d["period_type"] == "quarter"]
    for r in q.itertuples():
        out.append({"unit_code": r.unit_code, "unit_id": r.unit_id, "quarter": r.quarter, "received": r.received,
                    "on_time": r.on_time, "score": r.score, "n_months": pd.NA, "basis": "quarter",
                    "formula_version": r.formula_version})
    have = {(o["unit_code"], o["quarter"]) for o in out}
    m = d[d["period_type"] == "month"]
    g = m.groupby(["unit_code", "quarter", "formula_version"], sort=True)
    size = g.size()
    complete = (g["received"].count() == size) & (g["on_time"].count() == size)
    gid = g.ngroup().to_numpy()  # the first row of each group gives its unit_id
    pos = np.flatnonzero(gid >= 0)
    _, first = np.unique(gid[pos], return_index=True)
    unit_ids = m["unit_id"].to_numpy(dtype=object)[pos[first]]
    for (code, qq, fv), n_per, ok, rec, ont, uid in zip(size.index, g["period"].nunique(), complete,
                                                        g["received"].sum(), g["on_time"].sum(), unit_ids):
        if (code, qq) in have or n_per != 3:
            continue
        received = int(rec) if ok else pd.NA
        on_time = int(ont) if ok else pd.NA
        score = round(20.0 * on_time / received, 2) if ok and received > 0 else np.nan
        out.append({"unit_code": code, "unit_id": uid, "quarter": qq, "received": received,
                    "on_time": on_time, "score": score, "n_months": 3, "basis": "months", "formula_version": fv})
    res = pd.DataFrame(out)
    for c in ("received", "on_time", "n_months"):
        res[c] = res[c].astype("Int64")
    return res.sort_values(["unit_code", "quarter"]).reset_index(drop=True)


#: reconciled tables by the content of their inputs (notebook 07 reconciles twice: its
#: section and its own table)
_RECONCILED: dict[tuple, pd.DataFrame] = {}


def _digest(df: pd.DataFrame) -> str:
    """The content of a table as a key: columns, dtypes, the values' hashes, and the type of
    every value of a column of Python objects (so "0" and 0 differ)."""
    import hashlib

    h = hashlib.sha1(repr((list(df.columns), [str(t) for t in df.dtypes], df.index.dtype.name)).encode())
    h.update(pd.util.hash_pandas_object(df, index=True).to_numpy().tobytes())
    for c in df.columns:
        if df[c].dtype == object:
            h.update(" ".join(type(v).__name__ for v in df[c]).encode())
    if df.index.dtype == object:
        h.update(" ".join(type(v).__name__ for v in df.index).encode())
    return h.hexdigest()


def reconcile_progress(index: pd.DataFrame, processing: pd.DataFrame, *, lang: str = DEFAULT_LANG) -> pd.DataFrame:
    """One row per unit and quarter present in the service index (progress group, with a
    ``unit_code``): the portal's counts, ratio and score beside the form's counts and its
    definition-C and definition-A on-time rates, the differences in percentage points, which
    form count the portal's denominator matches, and the explanation in words (``lang``).
    Computed once per content of the two tables (the index's progress rows) and ``lang``."""
    try:
        key = (_digest(index[(index["component"] == "progress") & index["unit_code"].notna()]),
               _digest(processing), lang)
    except (KeyError, TypeError, ValueError):  # no key: computed (and any fault raised) below
        key = None
    if key is not None and key in _RECONCILED:
        return _RECONCILED[key].copy()
    out = _reconcile_progress(index, processing, lang=lang)
    if key is not None:
        if len(_RECONCILED) >= 8:
            _RECONCILED.clear()
        _RECONCILED[key] = out.copy()
    return out


def _reconcile_progress(index: pd.DataFrame, processing: pd.DataFrame, *, lang: str) -> pd.DataFrame:
    from paranalysis.indicators import on_time_766_basis, on_time_resolved_basis, with_totals

    from paranalysis.i18n import t as _t

    T = {k: _t(f"si.reconcile.{k}", lang) for k in ("months", "no_form", "no_counts", "basis_received",
                                                     "basis_handled", "basis_neither", "agree_c", "differ_c",
                                                     "vs_a")}
    pq = portal_quarters(index)
    if pq.empty:
        raise DataError([Problem(column="component", value="progress",
                                 expected=Message("si.reconcile.no_progress_rows"))])
    proc = processing[processing["unit_code"].isin(set(pq["unit_code"]))].copy()
    if len(proc):
        t = with_totals(proc)
        c = on_time_766_basis(proc)
        a = on_time_resolved_basis(proc)
        form = pd.DataFrame({"unit_code": proc["unit_code"].to_numpy(), "quarter": proc["period"].to_numpy(),
                             "form_received": t["received"].to_numpy(), "form_handled": t["handled"].to_numpy(),
                             "form_on_time_c": c["numerator"].to_numpy(), "form_rate_c": c["rate"].to_numpy(),
                             "form_rate_a": a["rate"].to_numpy(),
                             "synthetic": proc["synthetic"].to_numpy() if "synthetic" in proc else False})
        form["quarter"] = pd.PeriodIndex(form["quarter"], freq="Q-DEC")
    else:
        form = pd.DataFrame(columns=["unit_code", "quarter", "form_received", "form_handled", "form_on_time_c",
                                     "form_rate_c", "form_rate_a", "synthetic"])
    m = pq.merge(form, on=["unit_code", "quarter"], how="left")
    m["portal_ratio"] = [float(o) / float(r) if not (pd.isna(o) or pd.isna(r)) and r > 0 else np.nan
                         for o, r in zip(m["on_time"], m["received"])]
    m["score_from_form_c"] = (20.0 * m["form_rate_c"].astype(float)).round(2)
    m["diff_c_pp"] = (100 * (m["portal_ratio"] - m["form_rate_c"].astype(float))).round(2)
    m["diff_a_pp"] = (100 * (m["portal_ratio"] - m["form_rate_a"].astype(float))).round(2)
    bases, texts = [], []
    for r in m.itertuples():
        parts = []
        if r.basis == "months":
            parts.append(T["months"].format(n=r.n_months))
        if pd.isna(r.form_received):
            bases.append(None)
            texts.append("; ".join(parts + [T["no_form"]]))
            continue
        if pd.isna(r.received):
            bases.append(None)
            parts.append(T["no_counts"].format(s=_chg(r.score, lang).lstrip("+")))
            texts.append("; ".join(parts))
            continue
        rec, hand = int(r.form_received), int(r.form_handled)
        tol = max(1, round(0.005 * max(rec, 1)))
        if abs(int(r.received) - rec) <= tol:
            bases.append("received")
            parts.append(T["basis_received"].format(p=_int(r.received, lang), f=_int(rec, lang)))
        elif abs(int(r.received) - hand) <= tol:
            bases.append("handled")
            parts.append(T["basis_handled"].format(p=_int(r.received, lang), f=_int(hand, lang)))
        else:
            bases.append("neither")
            parts.append(T["basis_neither"].format(p=_int(r.received, lang), r=_int(rec, lang), h=_int(hand, lang)))
        if pd.notna(r.diff_c_pp) and abs(r.diff_c_pp) <= AGREE_PP:
            parts.append(T["agree_c"].format(p=_pct(r.portal_ratio, lang), c=_pct(r.form_rate_c, lang)))
        elif pd.notna(r.diff_c_pp):
            parts.append(T["differ_c"].format(p=_pct(r.portal_ratio, lang), c=_pct(r.form_rate_c, lang),
                                              d=_chg(r.diff_c_pp, lang)))
        if pd.notna(r.diff_a_pp):
            parts.append(T["vs_a"].format(a=_pct(r.form_rate_a, lang), d=_chg(r.diff_a_pp, lang)))
        texts.append("; ".join(parts))
    m["denominator_basis"] = bases
    m["explanation"] = texts
    cols = ["unit_code", "unit_id", "quarter", "basis", "formula_version", "received", "on_time", "portal_ratio",
            "score", "form_received", "form_handled", "form_on_time_c", "form_rate_c", "form_rate_a",
            "score_from_form_c", "diff_c_pp", "diff_a_pp", "denominator_basis", "explanation", "synthetic"]
    out = m.rename(columns={"received": "received", "score": "score"})[cols]
    return out.rename(columns={"received": "portal_received", "on_time": "portal_on_time", "score": "portal_score"})
