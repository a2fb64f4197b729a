"""Checks a careful analyst runs before believing an investment effect.

- :func:`compare_estimators`: TWFE (``panel_fe``) and Callaway-Sant'Anna side by side.
  If they disagree, staggered timing with changing effects is biasing TWFE.
- :func:`placebo_adoption`: pretend each unit adopted ``k`` quarters earlier and use only
  quarters before its real adoption; a clear "effect" there means the districts were
  already diverging (parallel trends fail), not that the investment worked.
- :func:`leave_one_out`: re-estimate without each unit in turn; an effect that hangs on
  one district is fragile.
- :func:`plot_event_study`: effects by quarters since adoption, with intervals, pre-periods
  included (they should hover around zero).

All of these are *associations under the parallel-trends assumption*: had the investing
districts not invested, their rates would have moved like the comparison districts'. The
checks can reveal violations; they cannot prove the assumption.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

from paranalysis.i18n import DEFAULT_LANG, TRANSLATIONS, fmt_cell, fmt_number, shown, t
from paranalysis.models.did import Aggregate, _fit_prepared, _prepare, _without, staggered_did
from paranalysis.results import Result, tidy_frame
from paranalysis.models.panel import panel_fe
from paranalysis.style import styled


def _texts(lang: str) -> dict[str, str]:
    """The texts of this module's tables and figures (catalogue keys ``diag.*``)."""
    return {k[len("diag."):]: t(k, lang) for k in TRANSLATIONS if k.startswith("diag.")}


def compare_estimators(panel: pd.DataFrame, outcome: str, *, unit: str = "unit_code", time: str = "period",
                       first_treated: str = "first_treated", treated: str = "treated",
                       control_group: str = "never_treated", n_boot: int = 9999, lang: str = DEFAULT_LANG) -> pd.DataFrame:
    """TWFE coefficient on the treated dummy next to the Callaway-Sant'Anna overall and
    event-time averages, each with its interval and how it was computed."""
    L = _texts(lang)
    fe = panel_fe(panel, f"{outcome} ~ {treated}", unit=unit, time=time, n_boot=n_boot)
    cs = staggered_did(panel, outcome=outcome, unit=unit, time=time, first_treated=first_treated,
                       control_group=control_group)
    s, d = cs._overall("simple"), cs._overall("dynamic")  # the overall effects of aggregate(), without tables
    rows = [
        {"method": L["twfe"], "estimate": fe.estimate[0], "ci_low": fe.ci_low[0], "ci_high": fe.ci_high[0],
         "p_value": fe.p_value[0], "inference": shown(fe.inference, lang)},
        {"method": L["cs_simple"], "estimate": s[0], "ci_low": s[2], "ci_high": s[3], "p_value": s[4],
         "inference": shown(cs.inference_text, lang)},
        {"method": L["cs_dynamic"], "estimate": d[0], "ci_low": d[2], "ci_high": d[3], "p_value": d[4],
         "inference": shown(cs.inference_text, lang)},
    ]
    return pd.DataFrame(rows)


def placebo_adoption(panel: pd.DataFrame, outcome: str, *, shifts=(4, 8), unit: str = "unit_code",
                     time: str = "period", first_treated: str = "first_treated", n_boot: int = 9999) -> pd.DataFrame:
    """Fake adoption ``k`` quarters (periods) before the real one, estimated by TWFE on the
    quarters before each unit's real adoption only (never-treated units keep all quarters).
    The true placebo effect is zero."""
    rows = []
    ft = panel[first_treated]
    is_period = isinstance(panel[time].dtype, pd.PeriodDtype)
    t_ord = panel[time].map(lambda p: p.ordinal).astype(float) if is_period else panel[time].astype(float)
    g_ord = ft.map(lambda p: p.ordinal if isinstance(p, pd.Period) else (np.nan if pd.isna(p) or p == 0 else float(p)))
    g_ord = g_ord.astype(float)
    keep = g_ord.isna() | (t_ord < g_ord)
    for k in shifts:
        d = panel.loc[keep].copy()
        fake = g_ord[keep] - k
        d["_placebo"] = ((t_ord[keep] >= fake) & fake.notna()).astype(float)
        varies = d.groupby(unit)["_placebo"].nunique()
        n_treated_units = int((varies > 1).sum())  # units whose placebo switches on inside the data
        if n_treated_units == 0:
            continue
        fe = panel_fe(d, f"{outcome} ~ _placebo", unit=unit, time=time, n_boot=n_boot)
        rows.append({"shift_periods": k, "units_with_placebo": n_treated_units, "estimate": fe.estimate[0],
                     "ci_low": fe.ci_low[0], "ci_high": fe.ci_high[0], "p_value": fe.p_value[0]})
    return pd.DataFrame(rows)


def leave_one_out(panel: pd.DataFrame, outcome: str, *, unit: str = "unit_code", time: str = "period",
                  first_treated: str = "first_treated", kind: str = "simple",
                  control_group: str = "never_treated", names: dict | None = None) -> pd.DataFrame:
    """The Callaway-Sant'Anna ``kind`` aggregate re-estimated without each unit in turn
    (the panel is prepared once; a unit whose rows alone cover some period is refitted
    from its own data)."""
    rows = []
    opts = dict(outcome=outcome, unit=unit, time=time, first_treated=first_treated)
    prepared, lone = None, set()
    if panel[unit].notna().all() and panel[time].notna().all():
        try:
            prepared = _prepare(panel, **opts)
        except ValueError:
            prepared = None  # each refit below reports its own error
        pairs = panel[[time, unit]].drop_duplicates()
        lone = set(pairs.loc[pairs.groupby(time)[unit].transform("size") == 1, unit])  # sole unit of a period
    for u in sorted(panel[unit].unique()):
        try:
            if prepared is not None and u not in lone:
                part = _without(prepared, u) if u in set(prepared[6]) else prepared
                fit = _fit_prepared(part, outcome=outcome, control_group=control_group, light=True)
            else:
                fit = staggered_did(panel[panel[unit] != u], control_group=control_group, **opts)
            est, _, lo, hi = fit._overall(kind)[:4]
        except ValueError as e:  # e.g. no never-treated left
            rows.append({"left_out": u, "name": (names or {}).get(u, u), "estimate": np.nan, "ci_low": np.nan,
                         "ci_high": np.nan, "note": str(e).splitlines()[0]})
            continue
        rows.append({"left_out": u, "name": (names or {}).get(u, u), "estimate": est, "ci_low": lo,
                     "ci_high": hi, "note": ""})
    return pd.DataFrame(rows)


@styled
def plot_event_study(agg: Aggregate, *, title: str, ylabel: str, caption: str | None = None,
                     truth: float | None = None, lang: str = DEFAULT_LANG, ax=None, window: tuple[int, int] | None = None):
    """Event-study figure: difference by quarters since adoption, each against the quarter
    before adoption (universal base, the hollow dot at -1), with 95 % pointwise intervals
    (bars) and the simultaneous sup-t band (shaded: holds for all quarters at once).
    Pre-periods (grey) should lie along zero; a steady slope among them is a differential
    trend. Post-periods (blue) show the change over time."""
    import matplotlib.pyplot as plt

    from paranalysis import style

    if agg.kind != "dynamic":
        raise ValueError("plot_event_study needs aggregate('dynamic')")
    L = _texts(lang)
    t = agg.table
    if window is not None:
        t = t[(t["event_time"] >= window[0]) & (t["event_time"] <= window[1])]
    fig = None
    if ax is None:
        fig, ax = plt.subplots(figsize=(8, 4))
    if "cb_low" in t and t["cb_low"].notna().any():
        b = t[t["cb_low"].notna()]
        ax.fill_between(b["event_time"], b["cb_low"], b["cb_high"], color=style.PALETTE[0], alpha=0.12, lw=0,
                        step=None, label=L["band"])
    se = t["se"].to_numpy(dtype=float)
    ref = ~(np.isfinite(se) & (se > 1e-10))
    if ref.any():
        r = t[ref]
        ax.plot(r["event_time"], r["estimate"], "o", mfc="white", mec="black", ms=5, label=L["ref"])
        t = t[~ref]
    pre = t["event_time"] < 0
    for mask, color, label in ((pre, style.PALETTE[5], L["pre"]), (~pre, style.PALETTE[0], L["post"])):
        part = t[mask]
        ax.errorbar(part["event_time"], part["estimate"],
                    yerr=[part["estimate"] - part["ci_low"], part["ci_high"] - part["estimate"]],
                    fmt="o", color=color, ecolor=color, elinewidth=1, capsize=2, ms=4, label=label)
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.axhline(0, color="black", lw=0.8)
    ax.axvline(-0.5, color="grey", lw=0.8, ls=":")
    if truth is not None:
        ax.plot([0, t["event_time"].max()], [truth, truth], color=style.PALETTE[1], ls="--", lw=1.2, label=L["truth"])
    ax.legend(loc="best", fontsize=8)
    fig = fig or ax.figure
    return style.finish(fig, title=title, caption=caption or "", xlabel=L["event_x"], ylabel=ylabel, ax=ax)


def estimates_by_investment(panels: dict, outcomes: dict, *, truth: dict | None = None,
                            unit: str = "unit_code", time: str = "period", first_treated: str = "first_treated", n_boot: int = 9999) -> pd.DataFrame:
    """One row per investment and outcome: the Callaway-Sant'Anna overall effect
    (``cs_estimate``, default
    interval, minimum detectable effect ``cs_mde``, ``cs_p_holm`` Holm-adjusted within each
    investment's outcomes, ``cs_distinguishable``: statistically distinguishable from zero
    after that adjustment), the TWFE coefficient (wild cluster bootstrap interval) and, when
    ``truth`` is given (demo data: ``{investment: {outcome: planted}}``), the planted effect
    and whether each interval contains it. ``panels`` maps an investment to its
    :func:`paranalysis.treatment.treatment_panel`; ``outcomes`` maps outcome columns to
    labels."""
    from paranalysis.models.multiple import adjust_by_family

    rows = []
    for inv, panel in panels.items():
        for col, label in outcomes.items():
            cs = _fit_prepared(_prepare(panel, outcome=col, unit=unit, time=time, first_treated=first_treated),
                               outcome=col, light=True).aggregate("simple")
            fe = panel_fe(panel, f"{col} ~ treated", unit=unit, time=time, n_boot=n_boot)
            row = {"investment": inv, "outcome": label, "cs_estimate": cs.estimate, "cs_ci_low": cs.ci_low,
                   "cs_ci_high": cs.ci_high, "cs_p": cs.p_value, "cs_mde": cs.mde, "twfe": fe.estimate[0],
                   "twfe_ci_low": fe.ci_low[0], "twfe_ci_high": fe.ci_high[0]}
            if truth is not None:
                t = truth.get(inv, {}).get(col, np.nan)
                row.update({"planted": t, "cs_covers": bool(cs.ci_low <= t <= cs.ci_high),
                            "twfe_covers": bool(fe.ci_low[0] <= t <= fe.ci_high[0])})
            rows.append(row)
    out = adjust_by_family(pd.DataFrame(rows), "investment", p="cs_p", out="cs_p_holm")
    out["cs_distinguishable"] = out["cs_p_holm"] <= 0.05
    return out


def truth_coverage(panels: dict, truth: dict, *, inferences=("hetero_t", "pooled_t", "analytic"),
                   kinds=("simple", "dynamic", "group", "calendar"), unit: str = "unit_code",
                   time: str = "period", first_treated: str = "first_treated") -> pd.DataFrame:
    """How many 95 % intervals contain the planted effect, per inference method, over every
    investment, outcome in ``truth`` and aggregation kind. Only meaningful on demo data,
    where the truth is known (``paranalysis.demo.PLANTED_EFFECTS`` in rate columns)."""
    rows = []
    for inv, panel in panels.items():
        for col, t in truth.get(inv, {}).items():
            prepared = _prepare(panel, outcome=col, unit=unit, time=time, first_treated=first_treated)
            for inference in inferences:
                res = _fit_prepared(prepared, outcome=col, inference=inference, light=True)
                for kind in kinds:
                    lo, hi = res._overall(kind)[2:4]  # the interval of aggregate(kind)
                    rows.append({"inference": inference, "investment": inv, "outcome": col, "kind": kind,
                                 "covers": bool(lo <= t <= hi)})
    df = pd.DataFrame(rows)
    return (df.groupby("inference")["covers"].agg(["sum", "size"])
            .rename(columns={"sum": "intervals_covering", "size": "intervals"}))


@styled
def plot_leave_one_out(loo: pd.DataFrame, *, full: float, title: str, ylabel: str, caption: str = "",
                       lang: str = DEFAULT_LANG):
    """Each dot: the overall effect estimated without one unit (with its interval); the
    line: the estimate with all units."""
    import matplotlib.pyplot as plt

    from paranalysis import style

    d = loo.sort_values("estimate").reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(8, 4))
    ax.errorbar(np.arange(len(d)), d["estimate"], yerr=[d["estimate"] - d["ci_low"], d["ci_high"] - d["estimate"]],
                fmt="o", color=style.PALETTE[0], elinewidth=1, capsize=2, ms=4)
    ax.axhline(full, color=style.PALETTE[1], ls="--", lw=1.2)
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xticks(np.arange(len(d)))
    ax.set_xticklabels(d["name"], rotation=60, ha="right", fontsize=8)
    xl = t("diag.unit_left_out", lang)
    return style.finish(fig, title=title, caption=caption, xlabel=xl, ylabel=ylabel, ax=ax)


@dataclass(repr=False)
class EffectChecks(Result):
    """Result of :func:`effect_checks`: one overall effect and every check of it (the
    fields are listed there). ``record()`` gives them as one flat dict (a row of a report
    table); ``tidy()`` the default estimate (term ``overall``) and the not-yet-treated one
    (term ``not_yet_treated``) in broom columns, with ``mde``, ``p_randomization``,
    ``pretrend_p`` and ``breakdown_slope`` beside them."""

    estimate: float
    se: float
    ci_low: float
    ci_high: float
    p_value: float
    df: float | None
    mde: float
    n_units: int
    n_treated: int
    p_randomization: float
    pretrend_p: float
    pretrend_detectable: float
    pretrend_note: str
    breakdown_slope: float
    breakdown_m: float
    cohort_weights: pd.DataFrame
    notes: list
    nyt_estimate: float = np.nan
    nyt_ci_low: float = np.nan
    nyt_ci_high: float = np.nan
    nyt_p: float = np.nan
    loo_min: float = np.nan
    loo_max: float = np.nan
    loo_sign_stable: bool = False
    loo_significance_stable: bool = False
    outcome: str = ""

    def record(self) -> dict:
        """Every check as one flat dict (without ``outcome`` and ``settings``)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name not in ("outcome", "settings")}

    def tidy(self) -> pd.DataFrame:
        extra = dict(outcome=self.outcome, n_units=self.n_units, n_treated=self.n_treated, mde=[self.mde, np.nan],
                     p_randomization=[self.p_randomization, np.nan], pretrend_p=self.pretrend_p,
                     breakdown_slope=self.breakdown_slope,
                     method=["callaway_santanna_never_treated", "callaway_santanna_not_yet_treated"])
        return tidy_frame(["overall", "not_yet_treated"], [self.estimate, self.nyt_estimate], [self.se, np.nan],
                          [self.p_value, self.nyt_p], [self.ci_low, self.nyt_ci_low], [self.ci_high, self.nyt_ci_high],
                          **extra)


def effect_checks(panel: pd.DataFrame, outcome: str, *, unit: str = "unit_code", time: str = "period",
                  first_treated: str = "first_treated", kind: str = "simple", leads: int = 4,
                  unit_variance: str | None = None, n_perm: int = 999, seed: int = 0) -> EffectChecks:
    """Everything a reader needs beside one overall effect, as one :class:`EffectChecks`
    (``.record()`` is a flat dict):

    - the default estimate (``staggered_did``, never-treated comparison, universal base,
      ``hetero_t``) with its interval, p-value, degrees of freedom and minimum detectable
      effect (``mde``: the true effect found with 80 % power);
    - ``p_randomization``: randomisation inference (adoption dates re-assigned);
    - the pre-trend test (``pretrend_p``, ``pretrend_detectable``: the differential trend
      per quarter it would detect with 80 % power);
    - ``breakdown_slope``: the differential trend per quarter that would overturn the
      conclusion (:meth:`StaggeredDiD.sensitivity`);
    - ``nyt_*``: the same estimate with not-yet-treated comparison units;
    - ``loo_min``, ``loo_max``, ``loo_sign_stable`` and ``loo_significance_stable``: leave
      one unit out;
    - ``cohort_weights``: the share of the estimate each adoption cohort carries;
    - ``notes``: small-cohort warnings and data notes."""
    prepared = _prepare(panel, outcome=outcome, unit=unit, time=time, first_treated=first_treated,
                        unit_variance=unit_variance)  # once for both comparison groups and every unit left out
    res = _fit_prepared(prepared, outcome=outcome)
    agg = res.aggregate(kind)
    pt = res.pretrend_test(leads=leads, seed=seed)
    sens = res.sensitivity(leads=leads)
    rec = {"estimate": agg.estimate, "se": agg.se, "ci_low": agg.ci_low, "ci_high": agg.ci_high, "p_value": agg.p_value,
           "df": agg.df, "mde": agg.mde, "n_units": res.n_units,
           "n_treated": int(res.cohorts.loc[res.cohorts["first_treated"].notna(), "n_units"].sum()),
           "p_randomization": res.randomization_p(kind, n_perm=n_perm, seed=seed),
           "pretrend_p": pt.p_value, "pretrend_detectable": pt.detectable_trend, "pretrend_note": pt.note,
           "breakdown_slope": sens.breakdown_slope, "breakdown_m": sens.breakdown_m,
           "cohort_weights": agg.cohort_weights, "notes": list(res.notes)}
    try:
        nyt_est, _, nyt_lo, nyt_hi, nyt_p = _fit_prepared(prepared, outcome=outcome, control_group="not_yet_treated",
                                                          light=True)._overall(kind)[:5]
        rec.update(nyt_estimate=nyt_est, nyt_ci_low=nyt_lo, nyt_ci_high=nyt_hi, nyt_p=nyt_p)
    except ValueError as exc:
        rec.update(nyt_estimate=np.nan, nyt_ci_low=np.nan, nyt_ci_high=np.nan, nyt_p=np.nan)
        rec["notes"].append(f"not-yet-treated comparison not possible: {exc}")
    ests, sig = [], []
    for u in res._unit_ids:
        try:
            est, _, lo, hi = res.without_unit(u, light=True)._overall(kind)[:4]
        except ValueError:
            continue
        ests.append(est)
        sig.append(lo > 0 or hi < 0)
    significant = agg.ci_low > 0 or agg.ci_high < 0
    ests = np.array(ests, float)
    rec.update(loo_min=float(np.nanmin(ests)) if len(ests) else np.nan,
               loo_max=float(np.nanmax(ests)) if len(ests) else np.nan,
               loo_sign_stable=bool(len(ests) and (np.all(ests > 0) or np.all(ests < 0))),
               loo_significance_stable=bool(len(sig) and all(s == significant for s in sig)))
    return EffectChecks(**rec, outcome=outcome,
                        settings=dict(kind=kind, leads=leads, unit_variance=unit_variance, n_perm=n_perm, seed=seed,
                                      **res.settings))


CHECK_COLUMNS = ("estimate", "ci_low", "ci_high", "p_value", "p_randomization", "mde", "pretrend_p",
                 "pretrend_detectable", "breakdown_slope", "nyt_estimate", "loo_min", "loo_max")


def effect_checks_table(checks: dict) -> pd.DataFrame:
    """Several :func:`effect_checks` records side by side, one row per named result
    (``checks``: reader's name -> ``EffectChecks.record()``), the columns a reader weighs."""
    cols = list(CHECK_COLUMNS)
    return (pd.DataFrame({k: {c: v[c] for c in cols} for k, v in checks.items()}).T[cols]
            .rename_axis("result").reset_index())


def effect_checks_lines(checks: dict, lang: str = DEFAULT_LANG) -> list[str]:
    """One line per named result: how much each adoption cohort weighs in the overall
    effect, then the model's notes, in ``lang``."""
    from paranalysis.i18n import joined

    lines = []
    for name, rec in checks.items():
        weights = ", ".join(f"{fmt_cell(r.group, lang)} ({r.n_units}): {fmt_number(100 * r.weight, lang, 0)}%"
                            for r in rec["cohort_weights"].itertuples())
        lines.append(" | ".join([str(name), f"{t('nb03.cohort_weights', lang)} {weights}",
                                 str(shown(joined("; ", rec["notes"]), lang))]))
    return lines


def pretrend_lines(fits: dict, lang: str = DEFAULT_LANG, *, leads: int = 4) -> str:
    """The pre-trend test of each named fit (reader's name -> :func:`staggered_did` result)
    in plain words, one Markdown bullet each: its p-value, how many pre-adoption effects it
    tests and the differential trend it would detect (or that it cannot be computed)."""
    lines = []
    for name, res in fits.items():
        pt = res.pretrend_test(leads=leads)
        said = (t("nb03.pretrend", lang, p=fmt_number(pt.p_value, lang, 3), n=len(pt.cells),
                  detect=fmt_number(pt.detectable_trend, lang, 3)) if pt.computable else t("nb03.pretrend_none", lang))
        lines.append(f"- {name}: {said}")
    return "\n".join(lines)
