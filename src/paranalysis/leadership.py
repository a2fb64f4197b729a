"""The leadership report (notebook 05): key findings for one quarter, in plain language.

Each part has a function that computes it (returns data, tested) and one that says it
in Vietnamese or English (labels, titles and captions from :mod:`paranalysis.i18n`):

1. headline indicators for the province (sum of the units, then divided), with the change
   since the previous quarter and since the same quarter a year earlier;
2. units that stand out: a funnel comparison of the late rate (:mod:`paranalysis.funnel`);
3. investments: how many units have them in operation, and what the staggered
   difference-in-differences model says about the change that went with them: 95 %
   intervals that stay honest for about 20 units of different sizes, Holm-adjusted
   p-values, pre-trend, robustness and power checks, and the weights behind the
   headline effect (:mod:`paranalysis.models`);
4. the province's rank trajectory in published indices (:mod:`paranalysis.rankings`);
5. what changed since the last quarter: units reporting, and ingests and revisions from
   the dataset folder's revisions log (:mod:`paranalysis.ingest`).

Everything is computed from the counts; nothing about individual citizens is used.
"""

from __future__ import annotations

import io
import math

import numpy as np
import pandas as pd

from paranalysis.dataset import Dataset
from paranalysis.i18n import DEFAULT_LANG, Message, display_table, fmt_change, fmt_number, fmt_pct, joined, quarter_label, t
from paranalysis.markup import esc
from paranalysis.periods import to_period
from paranalysis.style import styled

#: rate indicators of the headline table (keys of paranalysis.indicators), in order
HEADLINE_RATES = ("on_time_resolved_basis", "late_rate_resolved_basis", "online_share", "overdue_backlog_share",
                  "satisfaction_rate")
_I18N_KEY = {"on_time_resolved_basis": "ind.on_time_rate", "late_rate_resolved_basis": "ind.late_rate",
             "online_share": "ind.online_share", "overdue_backlog_share": "ind.overdue_backlog_share",
             "satisfaction_rate": "ind.satisfaction", "received": "ind.received", "resolved": "ind.resolved"}
#: outcomes the investment models are run on (the headline rates the investments could move)
EFFECT_OUTCOMES = ("late_rate_resolved_basis", "online_share", "overdue_backlog_share")
CATEGORIES = ("one_stop_facility", "online_meeting_system")
PROVINCE = "40"


# ------------------------------------------------------------------------------------
# which units are compared
# ------------------------------------------------------------------------------------

def comparison_units(ds: Dataset, quarter) -> list[str]:
    """The units compared with each other in ``quarter``: those reporting at the most
    common administrative level (district-level units before 2025Q3, the new communes
    from then on: :func:`paranalysis.geography.compared_units`), so that a province total
    row or an agency is never ranked against districts or communes."""
    from paranalysis.geography import compared_units

    return compared_units(ds, quarter)


def _rows(ds: Dataset, quarters, units=None) -> pd.DataFrame:
    p = ds.processing
    p = p[p["period"].isin(list(quarters))]
    if units is not None:
        p = p[p["unit_code"].isin(units)]
    return p


# ------------------------------------------------------------------------------------
# 1. headline
# ------------------------------------------------------------------------------------

def province_totals(ds: Dataset, quarters, units=None) -> pd.DataFrame:
    """Counts summed over the units for each quarter (one row per quarter), with
    ``received`` (online + in person + postal) and ``resolved`` (early + on time + late)."""
    from paranalysis.indicators import combine

    rows = _rows(ds, quarters, units)
    if rows.empty:
        return pd.DataFrame(columns=["period", "n_units", "received", "resolved"])
    tot = combine(rows)
    tot["received"] = tot["received_online"] + tot["received_direct"] + tot["received_postal"]
    tot["resolved"] = tot["resolved_early"] + tot["resolved_on_time"] + tot["resolved_late"]
    return tot.drop(columns=["group"]).sort_values("period").reset_index(drop=True)


def headline(ds: Dataset, quarter) -> pd.DataFrame:
    """Headline indicators of the province in ``quarter``, the previous quarter and the
    same quarter a year earlier. Rates in % (records summed over the units, then divided);
    changes of rates in percentage points, changes of counts in %. One row per indicator:
    ``key, kind ("count"/"rate"), now, prev_q, prev_y, change_q, change_y`` and the
    95 % interval of ``now`` for rates."""
    from paranalysis.indicators import rates

    from paranalysis.geography import compared_rows
    from paranalysis.indicators import combine

    q = to_period(quarter)
    qs = [q, q - 1, q - 4]
    # each quarter's compared units (districts before 2025Q3, communes after): the same
    # territory, so the province totals compare across the reorganisation
    present = set(ds.processing["period"].unique())
    rows = compared_rows(ds, [p for p in qs if p in present])
    if rows.empty:
        tot = pd.DataFrame(columns=["period", "n_units", "received", "resolved"])
    else:
        tot = combine(rows).drop(columns=["group"])
        tot["received"] = tot["received_online"] + tot["received_direct"] + tot["received_postal"]
        tot["resolved"] = tot["resolved_early"] + tot["resolved_on_time"] + tot["resolved_late"]
    by_q = tot.set_index("period")
    out = []
    for key in ("received", "resolved"):
        vals = [float(by_q[key].get(p)) if p in by_q.index and not pd.isna(by_q[key].get(p)) else math.nan
                for p in qs]
        out.append({"key": key, "kind": "count", "now": vals[0], "prev_q": vals[1], "prev_y": vals[2],
                    "change_q": 100 * (vals[0] / vals[1] - 1) if vals[1] else math.nan,
                    "change_y": 100 * (vals[0] / vals[2] - 1) if vals[2] else math.nan,
                    "ci_low": math.nan, "ci_high": math.nan})
    rt = rates(tot, HEADLINE_RATES) if len(tot) else pd.DataFrame(columns=["indicator", "period", "rate"])
    for key in HEADLINE_RATES:
        r = rt[rt["indicator"] == key].set_index("period")
        if r.empty or r["rate"].isna().all():
            continue  # e.g. no satisfaction ratings in this dataset
        def get(p, col="rate"):
            return 100 * float(r.loc[p, col]) if p in r.index and not pd.isna(r.loc[p, col]) else math.nan
        now, pq, py = get(q), get(q - 1), get(q - 4)
        out.append({"key": key, "kind": "rate", "now": now, "prev_q": pq, "prev_y": py,
                    "change_q": now - pq, "change_y": now - py,
                    "ci_low": get(q, "ci_low"), "ci_high": get(q, "ci_high")})
    return pd.DataFrame(out)


def headline_notes(ds: Dataset, quarter, lang: str = DEFAULT_LANG) -> list[str]:
    """Plain sentences saying which units the headline adds up in ``quarter`` and which
    reorganisation the comparison with the previous quarter and the same quarter a year
    earlier crosses (none, once both are in the new map)."""
    from paranalysis.geography import compared_level, crossing_lines, crossings, text

    q = to_period(quarter)
    lines = []
    if compared_level(ds, q) == "commune":
        lines.append(text("level_commune", lang, n=len(comparison_units(ds, q))))
    if crossings(q - 4, q):
        lines += crossing_lines(q - 4, q, lang)
    return lines


def headline_table(h: pd.DataFrame, lang: str = DEFAULT_LANG) -> pd.DataFrame:
    """The headline frame written for readers: labels and numbers in ``lang``."""
    rows = []
    for r in h.itertuples(index=False):
        if r.kind == "count":
            vals = [fmt_number(x, lang) for x in (r.now, r.prev_q, r.prev_y)]
            ch = [fmt_change(x, lang, 1, "%") for x in (r.change_q, r.change_y)]
        else:
            vals = [fmt_pct(x, lang) for x in (r.now, r.prev_q, r.prev_y)]
            ch = [fmt_change(x, lang, 2, t("unit.pp", lang)) for x in (r.change_q, r.change_y)]
        rows.append([t(_I18N_KEY[r.key], lang), *vals, *ch])
    cols = ["indicator", "this_quarter", "prev_quarter", "prev_year_quarter", "change_q", "change_y"]
    return display_table(pd.DataFrame(rows, columns=cols), lang)


# ------------------------------------------------------------------------------------
# 2. units that stand out
# ------------------------------------------------------------------------------------

def standout(ds: Dataset, quarter, key: str = "late_rate_resolved_basis"):
    """Funnel comparison of the compared units on ``key`` in ``quarter``
    (:func:`paranalysis.funnel.funnel`, over-dispersion handled as that module says)."""
    from paranalysis.funnel import funnel

    q = to_period(quarter)
    rows = _rows(ds, [q], comparison_units(ds, q))
    return funnel(rows.reset_index(drop=True), key)


def standout_lines(result, ds: Dataset, lang: str = DEFAULT_LANG) -> list[str]:
    """Plain sentences naming the units outside the 99.8 % limits (high and low)."""
    from paranalysis.indicators import unit_names

    names = unit_names(ds.units, lang)
    out = result.outside(0.998)
    if out.empty:
        return [t("funnel.none", lang)]
    lines = []
    for kind in ("worse", "better", "high", "low"):
        part = out[out["assessment"] == kind].sort_values("rate", ascending=kind in ("better", "low"))
        if len(part):
            units = ", ".join(f"{esc(names.get(r.unit_code, r.unit_code))} ({fmt_pct(100 * r.rate, lang)})"
                              for r in part.itertuples(index=False))
            lines.append(t(f"funnel.{kind}", lang, units=units))
    return lines


def standout_figure(result, ds: Dataset, quarter, lang: str = DEFAULT_LANG):
    from paranalysis.plots import funnel_plot

    return funnel_plot(result, units=ds.units, lang=lang,
                       title=t("funnel.title", lang, quarter=quarter_label(quarter, lang)))


# ------------------------------------------------------------------------------------
# 3. investments and what the models say
# ------------------------------------------------------------------------------------

def first_operation_quarter(ds: Dataset, category: str, units=None) -> pd.Series:
    """The first quarter each unit of the harmonised geography (district-level units of
    30 June 2025, :mod:`paranalysis.geography`) had an investment of ``category`` in
    operation, anywhere within it (the Vietnamese reporting-quarter rule of
    :mod:`paranalysis.treatment`); missing = never. (Not to be confused with
    :func:`paranalysis.treatment.first_in_operation`: the register's own units, with first
    date, quarter, count and cost per category.)"""
    from paranalysis.geography import harmonized_investments
    from paranalysis.treatment import adoption

    inv = harmonized_investments(ds)
    units = list(units) if units is not None else harmonized_units(ds)
    a = adoption(inv, units, treatment=category)
    return pd.Series(a["first_treated"].to_numpy(), index=a["unit_code"].to_numpy(), dtype=object)


def harmonized_units(ds: Dataset, quarter=None) -> list[str]:
    """The units of the harmonised geography with data up to ``quarter`` (20 in the
    bundled demo: the district-level units of 30 June 2025, Vinh including Cửa Lò)."""
    from paranalysis.geography import harmonized_processing

    h = harmonized_processing(ds, end=quarter)
    return sorted(h["unit_code"].unique())


def investment_progress(ds: Dataset, quarter) -> pd.DataFrame:
    """For every quarter up to ``quarter``: the number of units of the harmonised
    geography with each investment category in operation. Columns period, category, units."""
    q = to_period(quarter)
    units = harmonized_units(ds, q)
    periods = [p for p in ds.periods() if p <= q]
    rows = []
    for cat in CATEGORIES:
        first = [p for p in first_operation_quarter(ds, cat, units) if isinstance(p, pd.Period)]
        for p in periods:
            rows.append({"period": p, "category": cat, "units": sum(f <= p for f in first)})
    return pd.DataFrame(rows, columns=["period", "category", "units"])


def investment_summary(ds: Dataset, quarter) -> pd.DataFrame:
    """Per category: units of the harmonised geography with it in operation by
    ``quarter``, units compared, the amount invested (VND) in investments in operation by
    then, and how many of those investments a new commune made after 1 July 2025
    (``commune_investments``)."""
    from paranalysis.geography import harmonized_investments
    from paranalysis.treatment import quarters_of_dates

    q = to_period(quarter)
    units = harmonized_units(ds, q)
    inv = harmonized_investments(ds)
    inv = inv[inv["unit_code"].isin(units)]
    inv = inv[[p <= q for p in quarters_of_dates(inv["date_in_operation"])]] if len(inv) else inv
    level = ds.units.drop_duplicates("unit_code").set_index("unit_code")["level"]
    rows = []
    for cat in CATEGORIES:
        part = inv[inv["category"] == cat]
        communal = part["unit_code_as_registered"].map(level).eq("commune") if len(part) else pd.Series(dtype=bool)
        rows.append({"category": cat, "units": int(part["unit_code"].nunique()), "n_units": len(units),
                     "amount_vnd": float(part["amount_vnd"].sum()) if part["amount_vnd"].notna().any() else math.nan,
                     "commune_investments": int(communal.sum())})
    return pd.DataFrame(rows)


def investment_lines(summary: pd.DataFrame, lang: str = DEFAULT_LANG) -> list[str]:
    if summary["units"].sum() == 0:
        return [t("inv.none", lang)]
    return [t("inv.summary", lang, category=t(f"cat.{r.category}", lang), n=r.units, n_units=r.n_units,
              amount=fmt_number(r.amount_vnd / 1e9, lang, 1)) for r in summary.itertuples(index=False)]


@styled
def investment_figure(progress: pd.DataFrame, quarter, lang: str = DEFAULT_LANG):
    """Step chart: units with each investment in operation, by quarter."""
    import matplotlib.pyplot as plt

    from paranalysis import style

    fig, ax = plt.subplots(figsize=(7.5, 3.6))
    for j, cat in enumerate(CATEGORIES):
        d = progress[progress["category"] == cat]
        x = d["period"].map(lambda p: p.start_time)
        ax.step(x, d["units"], where="post", color=style.PALETTE[j], lw=2, label=t(f"cat.{cat}", lang))
    ax.legend(loc="upper left", fontsize=8)
    ax.set_ylim(bottom=0)
    style.finish(fig, title=t("inv.title", lang, quarter=quarter_label(quarter, lang)),
                 caption=t("inv.caption", lang), xlabel=t("inv.xlabel", lang), ylabel=t("inv.ylabel", lang))
    return fig


def investment_model_panel(ds: Dataset, quarter, outcomes=EFFECT_OUTCOMES) -> pd.DataFrame:
    """Unit-by-quarter panel from the first quarter to ``quarter`` on the harmonised
    geography (:func:`paranalysis.geography.harmonized_processing`: district and commune
    rows re-aggregated onto the district-level units of 30 June 2025, so Vinh includes
    Cửa Lò and the 2025Q3+ commune rows continue their former districts; outcomes in
    percent) with each investment category's first quarter in operation (missing = never):
    the panel the investment models of the report use. Its outcome columns are those of
    :func:`paranalysis.treatment.outcome_panel`."""
    from paranalysis.geography import harmonized_processing
    from paranalysis.treatment import outcome_panel as panel_of

    q = to_period(quarter)
    rows = harmonized_processing(ds, end=q)
    panel = panel_of(rows, list(outcomes))
    units = sorted(panel["unit_code"].unique())
    for cat in CATEGORIES:
        first = first_operation_quarter(ds, cat, units).to_dict()
        panel[cat] = pd.Series([first.get(u) if isinstance(first.get(u), pd.Period) else None
                                for u in panel["unit_code"]], index=panel.index, dtype=object)
    return panel


def effect_window_lines(ds: Dataset, quarter, lang: str = DEFAULT_LANG) -> list[str]:
    """Which units and quarters the investment models use, and the reorganisations that
    window crosses, in plain words."""
    from paranalysis.geography import crossing_lines, panel_window, window_line

    panel = investment_model_panel(ds, quarter, outcomes=("late_rate_resolved_basis",))
    w = panel_window(panel)
    if not w["n_units"]:
        return []
    return [window_line(panel, lang)] + [x for x in crossing_lines(w["first"], w["last"], lang, n_units=w["n_units"])]


def investment_effects(ds: Dataset, quarter, outcomes=EFFECT_OUTCOMES) -> pd.DataFrame:
    """What the staggered difference-in-differences model (Callaway-Sant'Anna, never-treated
    comparison units, universal base period, intervals with unit-specific variances for few
    units) estimates as the average change of each outcome after each investment came into
    operation, in percentage points, with 95 % intervals and every check a reader needs
    (:func:`paranalysis.models.effect_checks`): Holm-adjusted p-value within each
    investment's family of outcomes (``p_holm``; complementary outcomes counted once),
    minimum detectable effect (``mde``), pre-trend test, not-yet-treated comparison,
    leave-one-out, randomisation inference, and the weight of each adoption cohort. One
    row per category and outcome; ``ok=False`` with a ``note`` where the data cannot support
    an estimate (e.g. too few treated or comparison units)."""
    from paranalysis.models import adjust_by_family, drop_complements, effect_checks

    rows = []
    outcomes = drop_complements(outcomes)
    panel = investment_model_panel(ds, quarter, outcomes)
    for outcome in outcomes:
        for cat in CATEGORIES:
            rec = {"category": cat, "outcome": outcome, "estimate": math.nan, "ci_low": math.nan,
                   "ci_high": math.nan, "p_value": math.nan, "n_units": 0, "n_treated": 0, "ok": False, "note": ""}
            treated = panel.groupby("unit_code")[cat].first().notna()
            rec["n_treated"] = int(treated.sum())
            if treated.sum() < 2 or (~treated).sum() < 2:
                rec["note"] = Message("model.note.too_few_units")
                rows.append(rec)
                continue
            try:
                import warnings

                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    chk = effect_checks(panel, outcome, unit="unit_code", time="period", first_treated=cat).record()
                notes = chk.pop("notes")
                rec.update(chk)
                rec.update(n_units=int(chk["n_units"]), ok=bool(np.isfinite(chk["estimate"])), note=joined("; ", notes))
            except Exception as exc:  # noqa: BLE001 - a report must not die on one model
                rec["note"] = f"{type(exc).__name__}: {exc}"
            rows.append(rec)
    out = pd.DataFrame(rows)
    out["p_holm"] = math.nan
    if out["ok"].any():
        out.loc[out["ok"], "p_holm"] = adjust_by_family(out[out["ok"]], "category")["p_holm"]
    return out


def _significant(r) -> bool:
    """Statistically distinguishable from zero after the Holm adjustment of its family."""
    return bool(np.isfinite(r.p_holm) and r.p_holm <= 0.05)


def _checks(r, lang: str) -> str:
    """Pre-trend, robustness and power flags of one estimate, in words."""
    parts = []
    pp = getattr(r, "pretrend_p", math.nan)
    if pp is None or not np.isfinite(pp):
        parts.append(t("model.pre_na", lang))
    elif pp <= 0.05:
        parts.append(t("model.pre_flag", lang, p=fmt_number(pp, lang, 3)))
    else:
        parts.append(t("model.pre_ok", lang, p=fmt_number(pp, lang, 2),
                       d=fmt_number(getattr(r, "pretrend_detectable", math.nan), lang, 2)))
    sig = r.ci_low > 0 or r.ci_high < 0  # unadjusted, as the other methods are compared unadjusted
    which = []
    if not getattr(r, "loo_significance_stable", True) or (sig and not getattr(r, "loo_sign_stable", True)):
        which.append(t("model.robust_loo", lang))
    lo, hi = getattr(r, "nyt_ci_low", math.nan), getattr(r, "nyt_ci_high", math.nan)
    if np.isfinite(lo) and np.isfinite(hi) and ((lo > 0 or hi < 0) != sig):
        which.append(t("model.robust_nyt", lang))
    pri = getattr(r, "p_randomization", math.nan)
    if np.isfinite(pri) and ((pri <= 0.05) != sig):
        which.append(t("model.robust_ri", lang))
    parts.append(t("model.robust_flag", lang, which=", ".join(which)) if which else t("model.robust_ok", lang))
    parts.append(t("model.power", lang, mde=fmt_number(getattr(r, "mde", math.nan), lang, 2)))
    text = "; ".join(parts)
    return text[:1].upper() + text[1:] + "."


def effect_display_table(effects: pd.DataFrame, lang: str = DEFAULT_LANG) -> pd.DataFrame:
    """The model estimates written for readers: one row per investment and indicator, the
    estimate and its 95 % interval in percentage points, the Holm-adjusted p-value, whether
    the change is statistically distinguishable from zero (words that do not claim cause),
    and the pre-trend, robustness and power checks."""
    ok = effects[effects["ok"]]
    rows = []
    for r in ok.itertuples(index=False):
        outcome = t(f"out.{r.outcome}", lang)
        rows.append([t(f"cat.{r.category}", lang), outcome[:1].upper() + outcome[1:],
                     fmt_change(r.estimate, lang, 2, t("unit.pp", lang)),
                     t("model.interval", lang, low=fmt_number(r.ci_low, lang, 2), high=fmt_number(r.ci_high, lang, 2)),
                     fmt_number(r.p_holm, lang, 3),
                     t("model.reading_clear" if _significant(r) else "model.reading_unclear", lang),
                     _checks(r, lang)])
    cols = ["investment", "outcome", "estimate", "interval", "p_holm", "reading", "checks"]
    return display_table(pd.DataFrame(rows, columns=cols), lang)


def effect_weight_lines(effects: pd.DataFrame, lang: str = DEFAULT_LANG) -> list[str]:
    """Per investment: the share of the headline ("simple") effect each adoption cohort
    carries, and a warning for cohorts of a single unit."""
    from paranalysis.i18n import quarter_label

    lines = []
    ok = effects[effects["ok"]] if "cohort_weights" in effects else effects.iloc[0:0]
    for cat, part in ok.groupby("category", sort=False):
        w = part["cohort_weights"].iloc[0]
        if not isinstance(w, pd.DataFrame) or w.empty:
            continue
        w = w.sort_values("weight", ascending=False)
        items = [t("model.weight_item", lang, quarter=quarter_label(x.group, lang), n=int(x.n_units),
                   pct=fmt_number(100 * x.weight, lang, 0)) for x in w.itertuples(index=False)]
        lines.append(t("model.weights", lang, category=t(f"cat.{cat}", lang), weights=", ".join(items)))
        single = w[w["n_units"] == 1]
        if len(single):
            lines.append(t("model.small_cohorts", lang, category=t(f"cat.{cat}", lang), k=len(single),
                           quarters=", ".join(quarter_label(x, lang) for x in single["group"])))
    return lines


def effect_note(effects: pd.DataFrame, lang: str = DEFAULT_LANG) -> str:
    """The caveat that goes with the estimates (or why there are none): what the numbers
    can mean, the weights behind the headline effect, small-cohort warnings."""
    ok = effects[effects["ok"]]
    if ok.empty:
        return t("model.unavailable", lang)
    return " ".join([t("model.caveat", lang, n_units=int(ok["n_units"].max())), *effect_weight_lines(effects, lang)])


def effect_lines(effects: pd.DataFrame, lang: str = DEFAULT_LANG) -> list[str]:
    """One sentence per estimate (statistically distinguishable from zero or not, with its
    checks), then the weights and the caveat."""
    ok = effects[effects["ok"]]
    if ok.empty:
        return [t("model.unavailable", lang)]
    lines = []
    for r in ok.itertuples(index=False):
        reading = t("model.reading_sig" if _significant(r) else "model.reading_nonsig", lang,
                    p=fmt_number(r.p_holm, lang, 3))
        lines.append(t("model.effect", lang, category=t(f"cat.{r.category}", lang),
                       outcome=t(f"out.{r.outcome}", lang),
                       estimate=fmt_change(r.estimate, lang, 2), low=fmt_number(r.ci_low, lang, 2),
                       high=fmt_number(r.ci_high, lang, 2), reading=reading, checks=_checks(r, lang)))
    lines += effect_weight_lines(effects, lang)
    lines.append(t("model.caveat", lang, n_units=int(ok["n_units"].max())))
    return lines


# ------------------------------------------------------------------------------------
# 4. rankings
# ------------------------------------------------------------------------------------

# Indices leadership follows every year; one-off rankings (e.g. the MIC ICT index of 2017)
# are left to notebook 04.
LEADERSHIP_INDICES = ("PAR_INDEX", "SIPAS", "PAPI", "PCI", "SERVICE_INDEX_766", "DDCI", "DISTRICT_PAR_INDEX")


def ranking_latest(ds: Dataset, unit_code: str = PROVINCE, indices=LEADERSHIP_INDICES) -> pd.DataFrame:
    """The latest published rank of ``unit_code`` in each index leadership follows, with
    the previous one (``rankings.rank_changes``: places gained, and whether a method break
    makes the comparison unsafe)."""
    from paranalysis.rankings import rank_changes

    r = ds.rankings[(ds.rankings["unit_code"] == unit_code) & ds.rankings["rank"].notna()
                    & ds.rankings["index"].isin(list(indices))]
    if r.empty:
        return pd.DataFrame(columns=["index", "year", "rank", "n_ranked", "prev_year", "prev_rank",
                                     "places_gained", "rank_comparable"])
    ch = rank_changes(r)
    last = ch.sort_values("year").groupby("index", sort=False).tail(1)
    cols = ["index", "year", "rank", "n_ranked", "prev_year", "prev_rank", "places_gained", "rank_comparable"]
    return last[cols].sort_values("index").reset_index(drop=True)


def ranking_lines(latest: pd.DataFrame, lang: str = DEFAULT_LANG) -> list[str]:
    if latest.empty:
        return [t("rank.none", lang)]
    from paranalysis.rankings import index_label

    lines = []
    for r in latest.itertuples(index=False):
        change = ""
        if not pd.isna(r.prev_rank):
            k = int(r.places_gained)
            key = "rank.change_up" if k > 0 else ("rank.change_down" if k < 0 else "rank.change_same")
            change = t(key, lang, k=abs(k), year=int(r.prev_year))
        lines.append(t("rank.latest", lang, index=esc(index_label(r.index, lang)), year=int(r.year), rank=int(r.rank),
                       n_ranked=int(r.n_ranked) if not pd.isna(r.n_ranked) else "?", change=change))
    return lines


def ranking_figure(ds: Dataset, lang: str = DEFAULT_LANG, unit_code: str = PROVINCE,
                   indices=("PAR_INDEX", "SIPAS", "PCI", "PAPI"), since: int = 2015):
    """The unit's relative position over the years in the main national indices."""
    from paranalysis.rankings import plot_trajectory

    r = ds.rankings[(ds.rankings["unit_code"] == unit_code) & (ds.rankings["year"] >= since)]
    present = [ix for ix in indices if ix in set(r["index"])]
    return plot_trajectory(r, unit_code, indices=present or None, lang=lang, title=t("rank.title", lang))


# ------------------------------------------------------------------------------------
# 5. what changed
# ------------------------------------------------------------------------------------

def what_changed(ds: Dataset, quarter) -> dict:
    """Units reporting in ``quarter`` and the previous one, and the entries of the
    revisions log since the previous quarter's data arrived (all entries touching
    ``quarter`` if the previous quarter was never ingested). ``log`` is None when the
    folder has no revisions log (bundled data, tables added by hand)."""
    from paranalysis.ingest import revisions

    q = to_period(quarter)
    p = ds.processing
    info = {"quarter": q, "n_units": int(p.loc[p["period"] == q, "unit_code"].nunique()),
            "n_units_prev": int(p.loc[p["period"] == q - 1, "unit_code"].nunique()), "log": None,
            "revised_periods": []}
    log = revisions(ds.path)
    if len(log) == 0:
        return info
    touches = log["periods"].str.split()
    prev_added = log[touches.map(lambda ps: str(q - 1) in ps)]
    if len(prev_added):  # the log is append-only: everything after the previous quarter's first ingest
        recent = log.loc[prev_added.index[0] + 1:]
    else:
        recent = log[touches.map(lambda ps: str(q) in ps)]
    info["log"] = recent.reset_index(drop=True)
    rev = recent[recent["action"] == "revised"]
    info["revised_periods"] = sorted({x for ps in rev["periods"].str.split() for x in ps})
    return info


def what_changed_lines(info: dict, lang: str = DEFAULT_LANG) -> list[str]:
    lines = [t("chg.new_quarter", lang, quarter=quarter_label(info["quarter"], lang), n=info["n_units"],
               n_prev=info["n_units_prev"])]
    log = info["log"]
    if log is None:
        lines.append(t("chg.no_log", lang))
        return lines
    if len(log) == 0:
        lines.append(t("chg.no_recent", lang))
    for r in log.itertuples(index=False):
        values = dict(time=esc(str(r.time_utc).replace("T", " ")[:16]) + " UTC", file=esc(r.file_name), rows=esc(r.rows),
                      periods=", ".join(esc(quarter_label(x, lang)) for x in str(r.periods).split()))
        if r.action == "revised":
            lines.append(t("chg.log_revised", lang, changed=esc(r.changed_values), **values))
        else:
            lines.append(t("chg.log_added", lang, **values))
    if info["revised_periods"]:
        lines.append(t("chg.revised_history", lang,
                       periods=", ".join(esc(quarter_label(x, lang)) for x in info["revised_periods"])))
    return lines


# ------------------------------------------------------------------------------------
# display helpers for the notebook
# ------------------------------------------------------------------------------------

def show(fig, dpi: int = 100):
    """Show a figure as an embedded PNG whose alt text is the figure's caption, and
    close it (so it is not shown twice)."""
    import matplotlib.pyplot as plt
    from IPython.display import Image, display

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    plt.close(fig)
    alt = getattr(fig, "paranalysis_caption", "") or (fig._suptitle.get_text() if fig._suptitle else "")
    display(Image(data=buf.getvalue(), format="png", metadata={"alt": alt}))


def heading(text: str, level: int = 2):
    from IPython.display import Markdown, display

    display(Markdown("#" * level + " " + text))


def say(lines, intro: str | None = None):
    """Show sentences as a bullet list (Markdown)."""
    from IPython.display import Markdown, display

    if isinstance(lines, str):
        lines = [lines]
    text = (intro + "\n\n" if intro else "") + "\n".join(f"- {x}" for x in lines)
    display(Markdown(text))


def table(df: pd.DataFrame, text: bool = False):
    """Show a small table without its index (``text=True``: every column left-aligned,
    for tables of words rather than numbers)."""
    from IPython.display import HTML, display

    classes = "pa-table pa-text" if text else "pa-table"
    display(HTML(df.to_html(index=False, escape=True, border=0, classes=classes)))
