"""Fair comparison of units: funnel limits, outlier flags and league tables with intervals.

A small district's rate jumps around by chance far more than a big city's. A funnel
plot draws each unit's rate against its volume (records in the denominator) with
control limits around the province rate that narrow as volume grows; a unit outside
the 99.8 % limits is unlikely to differ by chance alone.

Method (Spiegelhalter 2005, "Funnel plots for comparing institutional performance" and
"Handling over-dispersion of performance indicators"; the proportion method of the
NHS-R FunnelPlotR package):

- Target: the province rate, records summed over units then divided.
- Scale: the variance-stabilising arcsine square root, y = asin(sqrt(rate)), whose
  standard error is 1 / (2 sqrt(n)); limits are transformed back with sin², so they
  stay inside 0-100 % even for rates near 99 %.
- Over-dispersion: real units differ by more than chance (case mix, procedure mix,
  reporting practice). The dispersion ratio phi is the mean squared z-score after
  winsorising the z-scores at 10 % in each tail, divided by the value that mean takes
  under chance alone (0.679), so that phi ≈ 1 without over-dispersion (without this
  correction the between-unit variance tau² comes out about 40 % too small in
  simulation and the limits too narrow); the data "call for" an adjustment when I * phi
  exceeds the 95th percentile of a chi-square with I - 1 degrees of freedom.
- Adjustment: **additive random effects** by default (DerSimonian-Laird tau²,
  limits target ± z sqrt(s² + tau²)). With thousands of records per district the
  multiplicative adjustment (limits target ± z sqrt(phi) s) still narrows to nothing as
  volume grows and would flag nearly every large unit; the additive one keeps a floor
  of between-unit variation. Both are available (``overdispersion=``).

Funnel limits with few units (21 districts) are themselves estimated from those units:
treat a flag as a reason to look at a unit, not as a verdict.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from paranalysis.distributions import chi2_sf, norm_pdf, norm_ppf, rankdata  # scipy.special, not scipy.stats
from paranalysis.i18n import DEFAULT_LANG, fmt_number, fmt_pct, t
from paranalysis.indicators import compute, indicator, proportion_interval, unit_names

LEVELS = (0.95, 0.998)
ADJUSTMENTS = ("auto", "additive", "multiplicative", "none")

def _z(level: float) -> float:
    return float(norm_ppf(0.5 + level / 2))


def winsor_consistency(winsor: float = 0.1) -> float:
    """Expected squared winsorised z-score when units differ by chance alone: for a
    standard normal z pulled in at its ``winsor`` and ``1 - winsor`` quantiles ±k,
    E[z_w²] = (1 - 2 winsor) - 2 k φ(k) + 2 winsor k² (0.679 for 10 %)."""
    if winsor <= 0:
        return 1.0
    k = float(norm_ppf(1 - winsor))
    return float((1 - 2 * winsor) - 2 * k * norm_pdf(k) + 2 * winsor * k * k)


def winsorised_phi(z: np.ndarray, winsor: float = 0.1, *, consistent: bool = True) -> float:
    """Dispersion ratio phi: mean of the squared z-scores after pulling the lowest and
    highest ``winsor`` share of them in to the corresponding quantiles (linear
    interpolation), so that a few extreme units do not inflate it. Winsorising also
    shrinks the mean square of well-behaved z-scores (to 0.679 for 10 %), so by default
    it is divided by :func:`winsor_consistency` and phi ≈ 1 when units differ by chance
    alone; ``consistent=False`` gives Spiegelhalter's (2005) uncorrected estimate."""
    z = np.asarray(z, dtype=float)
    z = z[np.isfinite(z)]
    if len(z) == 0:
        return float("nan")
    lo, hi = np.quantile(z, [winsor, 1 - winsor])
    zw = np.clip(z, lo, hi)
    phi = float(np.mean(zw ** 2))
    return phi / winsor_consistency(winsor) if consistent else phi


def tau2_dersimonian_laird(phi: float, s: np.ndarray) -> float:
    """Between-unit variance tau² (on the arcsine scale) from the dispersion ratio and
    the units' standard errors: (I phi - (I - 1)) / (Σw - Σw² / Σw), w = 1/s²; zero
    when there is no excess dispersion."""
    s = np.asarray(s, dtype=float)
    i = len(s)
    w = 1.0 / s ** 2
    excess = i * phi - (i - 1)
    if i < 2 or excess <= 0:
        return 0.0
    return float(excess / (w.sum() - (w ** 2).sum() / w.sum()))


@dataclass
class FunnelResult:
    """A funnel comparison of units on one indicator.

    ``units``: one row per unit with numerator, denominator, rate, its interval, the
    z-score (after any over-dispersion adjustment), the limits at the unit's own volume
    and ``flag`` (``within``, ``above_95``, ``above_99.8``, ``below_95``, ``below_99.8``)
    and ``assessment`` (better/worse when the indicator has a direction).
    ``limits``: the funnel lines over a grid of volumes, for plotting."""

    indicator: str
    target: float
    n_units: int
    phi: float
    chi2_p_value: float
    overdispersed: bool
    adjustment: str
    tau2: float
    levels: tuple[float, ...]
    units: pd.DataFrame
    limits: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    def limit_at(self, n, level: float = 0.998) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper limits at volume(s) ``n``."""
        return _limits(np.asarray(n, dtype=float), self.target, level, self.adjustment, self.phi, self.tau2)

    def outside(self, level: float = 0.998) -> pd.DataFrame:
        """The units outside the limits of ``level``."""
        return self.units[np.abs(self.units["z"]) > _z(level)]

    def summary(self, lang: str = DEFAULT_LANG) -> str:
        """One sentence on the target, the dispersion and the adjustment used."""
        return t("funnel.summary", lang, rate=fmt_pct(100 * self.target, lang, 2), n=self.n_units,
                 phi=fmt_number(self.phi, lang, 2), p=_g3(self.chi2_p_value, lang),
                 adj=t(f"funnel.adjust_{self.adjustment}", lang), n_out=len(self.outside(0.998)))


def _g3(x: float, lang: str) -> str:
    """``x`` with three significant digits ("%.3g"), the decimal mark of ``lang``."""
    s = f"{x:.3g}"
    return s if "e" in s else fmt_number(float(s), lang, max(0, len(s.split(".")[1]) if "." in s else 0))


def _tag(level: float) -> str:
    return f"{100 * level:g}"


def _limits(n, target, level, adjustment, phi, tau2):
    z = _z(level)
    t = np.arcsin(np.sqrt(target))
    s = 1.0 / (2.0 * np.sqrt(n))
    if adjustment == "additive":
        sd = np.sqrt(s ** 2 + tau2)
    elif adjustment == "multiplicative":
        sd = np.sqrt(phi) * s
    else:
        sd = s
    lo = np.sin(np.clip(t - z * sd, 0.0, np.pi / 2)) ** 2
    hi = np.sin(np.clip(t + z * sd, 0.0, np.pi / 2)) ** 2
    return lo, hi


def funnel(data: pd.DataFrame, key: str | None = None, *, unit: str = "unit_code", target: float | None = None,
           overdispersion: str = "auto", winsor: float = 0.1, consistent: bool = True,
           levels: tuple[float, ...] = LEVELS, conf: float = 0.95) -> FunnelResult:
    """Funnel comparison of units on one indicator for one period.

    ``data``: processing counts (one row per unit; pass ``key``, the indicator) or a rate
    table already restricted to one indicator (columns numerator, denominator). Units
    with no records in the denominator are left out. ``target``: the centre line;
    default the pooled rate of the units shown. ``overdispersion``: "auto" (additive
    adjustment only where the chi-square test says the units are over-dispersed),
    "additive", "multiplicative" or "none"."""
    if overdispersion not in ADJUSTMENTS:
        raise ValueError(f"overdispersion must be one of {ADJUSTMENTS}")
    if "numerator" in data.columns and "denominator" in data.columns:
        tab = data.copy()
        if key is None:
            ks = tab["indicator"].unique() if "indicator" in tab.columns else []
            if len(ks) != 1:
                raise ValueError("pass key= or a rate table holding exactly one indicator")
            key = ks[0]
        if not {"ci_low", "ci_high"} <= set(tab.columns):
            n_ = pd.to_numeric(tab["numerator"], errors="coerce").astype(float).to_numpy()
            d_ = pd.to_numeric(tab["denominator"], errors="coerce").astype(float).to_numpy()
            tab["ci_low"], tab["ci_high"] = proportion_interval(n_, d_, conf, "wilson")
    else:
        if key is None:
            raise ValueError("pass the indicator key, e.g. funnel(counts, 'on_time_resolved_basis')")
        tab = compute(data, key, conf=conf)
    if unit in tab.columns and tab[unit].duplicated().any():
        raise ValueError(f"one row per {unit} expected (restrict the table to one period first)")
    spec = indicator(key)
    num = pd.to_numeric(tab["numerator"], errors="coerce").astype(float).to_numpy()
    den = pd.to_numeric(tab["denominator"], errors="coerce").astype(float).to_numpy()
    keep = np.isfinite(num) & np.isfinite(den) & (den > 0)
    notes = []
    if (~keep).any():
        notes.append(f"{int((~keep).sum())} unit(s) without records in the denominator left out")
    tab = tab[keep].reset_index(drop=True)
    num, den = num[keep], den[keep]
    if len(tab) == 0:
        raise ValueError("no unit has records in the denominator")
    p0 = float(num.sum() / den.sum()) if target is None else float(target)
    p = num / den
    t = np.arcsin(np.sqrt(p0))
    y = np.arcsin(np.sqrt(p))
    s = 1.0 / (2.0 * np.sqrt(den))
    z_raw = (y - t) / s
    i = len(tab)
    phi = winsorised_phi(z_raw, winsor, consistent=consistent)
    pval = float(chi2_sf(i * phi, i - 1)) if i > 1 else float("nan")
    over = bool(i > 1 and pval < 0.05)
    if overdispersion == "auto":
        adjustment = "additive" if over else "none"
    else:
        adjustment = overdispersion
    tau2 = tau2_dersimonian_laird(phi, s) if adjustment == "additive" else 0.0
    if adjustment == "additive":
        sd = np.sqrt(s ** 2 + tau2)
    elif adjustment == "multiplicative":
        sd = np.sqrt(phi) * s
    else:
        sd = s
    z = (y - t) / sd
    out = tab.copy()
    out["rate"] = p
    out["z_unadjusted"] = z_raw
    out["z"] = z
    hi_lvl = max(levels)
    lo_lvl = min(levels)
    flag = np.full(i, "within", dtype=object)
    for lvl in sorted(levels):
        zc = _z(lvl)
        flag = np.where(z > zc, f"above_{_tag(lvl)}", flag)
        flag = np.where(z < -zc, f"below_{_tag(lvl)}", flag)
    out["flag"] = flag
    for lvl in levels:
        lo, hi = _limits(den, p0, lvl, adjustment, phi, tau2)
        out[f"lower_{_tag(lvl)}"], out[f"upper_{_tag(lvl)}"] = lo, hi
    if spec.higher_is_better is None:
        out["assessment"] = np.where(flag == "within", "within", np.where(z > 0, "high", "low"))
    else:
        good = (z > 0) if spec.higher_is_better else (z < 0)
        out["assessment"] = np.where(flag == "within", "within", np.where(good, "better", "worse"))
    out["outside_99.8"] = np.abs(z) > _z(hi_lvl)
    out["outside_95"] = np.abs(z) > _z(lo_lvl)
    grid = np.unique(np.concatenate([np.geomspace(max(1.0, den.min() / 2), den.max() * 1.5, 200), den]))
    lim = pd.DataFrame({"denominator": grid})
    for lvl in levels:
        lo, hi = _limits(grid, p0, lvl, adjustment, phi, tau2)
        lim[f"lower_{_tag(lvl)}"], lim[f"upper_{_tag(lvl)}"] = lo, hi
    return FunnelResult(indicator=key, target=p0, n_units=i, phi=phi, chi2_p_value=pval, overdispersed=over,
                        adjustment=adjustment, tau2=tau2, levels=tuple(levels), units=out, limits=lim, notes=notes)


def rank_intervals(numerator, denominator, *, higher_is_better: bool = True, n_sim: int = 4000, seed: int = 2024,
                   conf: float = 0.95) -> pd.DataFrame:
    """Rank of each unit (1 = best) with an interval from simulation: each unit's rate is
    drawn from its Jeffreys posterior Beta(x + ½, n - x + ½), units are ranked in every
    draw, and the 2.5 and 97.5 percentiles of a unit's ranks form its interval. Reflects
    chance within units only (not over-dispersion), so it is a lower bound on rank
    uncertainty."""
    x = np.asarray(numerator, dtype=float)
    n = np.asarray(denominator, dtype=float)
    rng = np.random.default_rng(seed)
    draws = rng.beta(x[None, :] + 0.5, n[None, :] - x[None, :] + 0.5, size=(n_sim, len(x)))
    sign = -1.0 if higher_is_better else 1.0
    ranks = rankdata(sign * draws, "average")
    a = (1 - conf) / 2
    rate = np.where(n > 0, x / np.where(n > 0, n, 1), np.nan)
    point = rankdata(sign * rate, "min")
    return pd.DataFrame({
        "rank": point.astype(int),
        "rank_low": np.floor(np.quantile(ranks, a, axis=0)).astype(int),
        "rank_high": np.ceil(np.quantile(ranks, 1 - a, axis=0)).astype(int),
    })


def league_table(data: pd.DataFrame, key: str | None = None, *, unit: str = "unit_code",
                 units: pd.DataFrame | None = None, lang: str = DEFAULT_LANG, overdispersion: str = "auto",
                 conf: float = 0.95, n_sim: int = 4000, seed: int = 2024) -> pd.DataFrame:
    """Units ranked on one indicator for one period, best first, each with its rate and
    confidence interval, a rank interval (:func:`rank_intervals`) and the funnel flag.
    A rank interval of "2-9" says the data cannot tell the unit's place more precisely."""
    fr = funnel(data, key, unit=unit, overdispersion=overdispersion, conf=conf)
    spec = indicator(fr.indicator)
    tab = fr.units.reset_index(drop=True)
    hib = True if spec.higher_is_better is None else spec.higher_is_better
    ri = rank_intervals(tab["numerator"], tab["denominator"], higher_is_better=hib, n_sim=n_sim, seed=seed,
                        conf=conf)
    tab = pd.concat([tab, ri], axis=1)
    names = unit_names(units, lang)
    if unit in tab.columns:
        tab.insert(0, "name", [names.get(c, c) for c in tab[unit]])
    cols = [c for c in ("rank", "rank_low", "rank_high", "name", unit, "numerator", "denominator", "rate", "ci_low",
                        "ci_high", "flag", "assessment") if c in tab.columns]
    return tab.sort_values(["rank", "denominator"], ascending=[True, False])[cols].reset_index(drop=True)
