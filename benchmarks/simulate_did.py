"""Monte Carlo benchmark of ``staggered_did`` and ``panel_fe``: size and power of the
pre-trend tests, coverage and width of the intervals, on panels shaped like the Nghe An
districts, with a known truth.

Design (issue 14). Each replication draws a panel of N units x 24 quarters:

    y_it = a_i + l_t + delta * t * [i adopts] + tau_it * D_it + e_it,
    e_it = rho e_i,t-1 + s_i u_it  (rho = 0.6, stationary start)

a_i ~ N(0, 1), l_t ~ N(0, 0.5^2), unit noise scales s_i ~ U(0.5, 1.5). Effects differ by
cohort and unit and grow with exposure e (quarters since adoption):
tau_it = (c_g + eta_i)(1 + 0.1 e), c_g = 0.5 .. 1.5 across cohorts, eta_i ~ N(0, 0.25^2).
Adoption calendars: cohorts of 2-3 units, plus one-unit cohorts late in the panel, and
4-6 never-treated units:

- N = 8:  (q8: 2 units), (q18: 1), (q21: 1), 4 never treated
- N = 12: (q6: 3), (q12: 2), (q18: 1), (q21: 1), 5 never treated
- N = 20: (q6: 3), (q9: 3), (q12: 3), (q15: 2), (q18: 2), (q21: 1), (q22: 1), 5 never treated

Scenarios
- ``parallel``: parallel trends (delta = 0): size of the pre-trend tests, coverage.
- ``noisy_singletons``: as parallel, but the one-unit cohorts' noise scale is 3x.
- ``trend_0.03`` / ``trend_0.10``: adopting units drift by delta per quarter relative to the
  others (parallel trends fail): power of the pre-trend tests.
- ``no_effect``: tau = 0 and parallel trends: size of the tests of the overall effect
  (default t test and randomisation inference).

Methods: pre-trend tests ``sign_flip`` (default), ``hotelling`` (the previous default) and
``analytic`` (R did's Wald test; "not computable" counts as not rejecting, and is counted);
intervals ``hetero_t`` (default), ``pooled_t`` (previous default) and ``analytic`` (R) for
the simple, group and dynamic aggregations, the sup-t band of the dynamic event study,
and the randomisation-inference p-value of the simple effect; TWFE (``panel_fe``,
wild cluster bootstrap) for the simple target.

Run (multiprocessing; about 20-30 minutes on 2 busy cores):

    .venv/bin/python benchmarks/simulate_did.py --reps 500 --reps-small 300 --reps-power 150 --seed 2024 --jobs 2

It writes benchmarks/results/simulate_did.csv.gz (one row per replication, scenario, size and
method) and benchmarks/results/simulate_did.md (rates with Monte Carlo standard errors).
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

N_PERIODS, RHO = 24, 0.6
CALENDARS = {
    8: ([(8, 2), (18, 1), (21, 1)], 4),
    12: ([(6, 3), (12, 2), (18, 1), (21, 1)], 5),
    20: ([(6, 3), (9, 3), (12, 3), (15, 2), (18, 2), (21, 1), (22, 1)], 5),
}
SCENARIOS = ("parallel", "noisy_singletons", "trend_0.03", "trend_0.10", "no_effect")


def draw_panel(rng: np.random.Generator, n_units: int, scenario: str) -> tuple[pd.DataFrame, dict]:
    """One simulated panel and its true targets (simple, group, dynamic, per event time)."""
    cohorts, n_never = CALENDARS[n_units]
    first = np.zeros(n_units)
    level = np.zeros(n_units)
    single = np.zeros(n_units, bool)
    levels = np.linspace(0.5, 1.5, len(cohorts))
    k = 0
    for (g, size), c in zip(cohorts, levels):
        first[k:k + size], level[k:k + size], single[k:k + size] = g, c, size == 1
        k += size
    a = rng.normal(0, 1, n_units)
    lam = rng.normal(0, 0.5, N_PERIODS)
    s = rng.uniform(0.5, 1.5, n_units)
    if scenario == "noisy_singletons":
        s = np.where(single, 3 * s, s)
    eta = rng.normal(0, 0.25, n_units)
    e = np.zeros((n_units, N_PERIODS))
    e[:, 0] = rng.normal(0, 1, n_units) * s / np.sqrt(1 - RHO ** 2)
    for t in range(1, N_PERIODS):
        e[:, t] = RHO * e[:, t - 1] + s * rng.normal(0, 1, n_units)
    t_idx = np.arange(1, N_PERIODS + 1)
    ev = t_idx[None, :] - first[:, None]
    D = (first[:, None] > 0) & (ev >= 0)
    tau = np.where(D, (level + eta)[:, None] * (1 + 0.1 * ev), 0.0)
    if scenario == "no_effect":
        tau = np.zeros_like(tau)
    delta = float(scenario.split("_")[1]) if scenario.startswith("trend") else 0.0
    y = a[:, None] + lam[None, :] + tau + e + delta * t_idx[None, :] * (first > 0)[:, None]
    df = pd.DataFrame({"unit": np.repeat(np.arange(n_units), N_PERIODS), "time": np.tile(t_idx, n_units),
                       "y": y.ravel(), "first_treated": np.repeat(first, N_PERIODS),
                       "treated": D.ravel().astype(float)})
    evs = np.unique(ev[D])
    by_e = {int(k_): float(tau[D & (ev == k_)].mean()) for k_ in evs}
    groups = np.unique(first[first > 0])
    theta_g = np.array([tau[(first == g)][:, t_idx >= g].mean() for g in groups])
    n_g = np.array([(first == g).sum() for g in groups])
    truth = {"simple": float(tau[D].mean()), "dynamic": float(np.mean(list(by_e.values()))),
             "group": float(np.sum(n_g * theta_g) / n_g.sum()), "by_e": by_e}
    return df, truth


def one_replication(args) -> list[dict]:
    n_units, scenario, seed, n_boot = args
    from paranalysis.models import panel_fe, staggered_did

    rng = np.random.default_rng(seed)
    df, truth = draw_panel(rng, n_units, scenario)
    base = dict(n_units=n_units, scenario=scenario, seed=seed)
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for inference in ("hetero_t", "pooled_t", "analytic"):
            r = staggered_did(df, outcome="y", unit="unit", time="time", first_treated="first_treated",
                              inference=inference)
            for kind in ("simple", "group", "dynamic"):
                agg = r.aggregate(kind)
                rows.append(dict(base, what="interval", method=inference, target=kind, truth=truth[kind],
                                 estimate=agg.estimate, ci_low=agg.ci_low, ci_high=agg.ci_high, p_value=agg.p_value))
                if kind == "dynamic":
                    t = agg.table[agg.table["event_time"] >= 0]
                    tr = t["event_time"].map(truth["by_e"]).to_numpy()
                    inside = (t["cb_low"].to_numpy() <= tr) & (tr <= t["cb_high"].to_numpy())
                    inside_pw = (t["ci_low"].to_numpy() <= tr) & (tr <= t["ci_high"].to_numpy())
                    rows.append(dict(base, what="band", method=inference, target="dynamic_all_e",
                                     covered=bool(inside.all()), covered_pointwise=bool(inside_pw.all()),
                                     width=float(np.mean(t["cb_high"] - t["cb_low"]))))
            if inference == "hetero_t":
                rows.append(dict(base, what="interval", method="randomization", target="simple",
                                 truth=truth["simple"], p_value=r.randomization_p("simple", n_perm=499, seed=seed)))
                for method in ("sign_flip", "hotelling", "analytic"):
                    pt = r.pretrend_test(method=method, n_flips=1999, seed=seed)
                    rows.append(dict(base, what="pretrend", method=method, p_value=pt.p_value,
                                     computable=pt.computable, detectable_trend=pt.detectable_trend))
        if n_boot:
            fe = panel_fe(df, "y ~ treated", unit="unit", time="time", n_boot=n_boot, seed=seed)
            rows.append(dict(base, what="interval", method="twfe_wild", target="simple", truth=truth["simple"],
                             estimate=fe.estimate[0], ci_low=fe.ci_low[0], ci_high=fe.ci_high[0], p_value=fe.p_value[0]))
    return rows


def _rate(x):
    x = np.asarray(x, float)
    p = float(np.mean(x))
    return p, float(np.sqrt(p * (1 - p) / len(x)))


def summarise(res: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(pre-trend rejection rates, interval coverage/width/rejection, sup-t band coverage)."""
    out_p, out_i, out_b = [], [], []
    for (n, sc, m), g in res[res["what"] == "pretrend"].groupby(["n_units", "scenario", "method"], sort=False):
        rej, se = _rate((g["p_value"].fillna(1.0) <= 0.05))
        out_p.append(dict(n_units=n, scenario=sc, method=m, reps=len(g), reject_5pct=rej, mc_se=se,
                          not_computable=float(1 - g["computable"].astype(bool).mean()),
                          detectable_trend=float(g["detectable_trend"].median())))
    iv = res[res["what"] == "interval"]
    for (n, sc, m, tg), g in iv.groupby(["n_units", "scenario", "method", "target"], sort=False):
        rej, rse = _rate(g["p_value"].fillna(1.0) <= 0.05)
        row = dict(n_units=n, scenario=sc, method=m, target=tg, reps=len(g), reject_zero_5pct=rej, reject_mc_se=rse)
        if g["ci_low"].notna().any():
            cov, cse = _rate((g["ci_low"] <= g["truth"]) & (g["truth"] <= g["ci_high"]))
            err = g["estimate"] - g["truth"]
            row.update(coverage=cov, coverage_mc_se=cse, mean_width=float((g["ci_high"] - g["ci_low"]).mean()),
                       bias=float(err.mean()), bias_mc_se=float(err.std() / np.sqrt(len(g))),
                       rmse=float(np.sqrt(np.mean(err ** 2))))
        out_i.append(row)
    for (n, sc, m), g in res[res["what"] == "band"].groupby(["n_units", "scenario", "method"], sort=False):
        cov, cse = _rate(g["covered"].astype(bool))
        pw, pse = _rate(g["covered_pointwise"].astype(bool))
        out_b.append(dict(n_units=n, scenario=sc, method=m, reps=len(g), band_covers_all=cov, band_mc_se=cse,
                          pointwise_cover_all=pw, pointwise_mc_se=pse, mean_band_width=float(g["width"].mean())))
    return pd.DataFrame(out_p), pd.DataFrame(out_i), pd.DataFrame(out_b)


def run(reps: int = 500, seed: int = 2024, n_boot: int = 199, sizes=(8, 12, 20), scenarios=SCENARIOS,
        jobs: int = 1, out_dir: Path | None = None, verbose: bool = True, reps_small: int | None = None,
        reps_power: int | None = None):
    """Run the benchmark; returns the three summary tables (and writes them when ``out_dir``).
    ``reps`` replications per size and scenario; ``reps_small`` for N = 8 and ``reps_power``
    for the trend and no-effect scenarios, when given (to keep the run short)."""
    t0 = time.time()
    ss = np.random.SeedSequence(seed)
    tasks = []
    for n in sizes:
        for sc in scenarios:
            k = reps
            if sc in ("parallel", "noisy_singletons") and n < 12 and reps_small:
                k = reps_small
            elif sc not in ("parallel", "noisy_singletons") and reps_power:
                k = reps_power
            for child in ss.spawn(k):
                tasks.append((n, sc, int(child.generate_state(1)[0]), n_boot))
    rows = []

    def progress(i):
        if (i + 1) % 200 == 0:
            if verbose:
                print(f"{i + 1}/{len(tasks)} ({time.time() - t0:.0f}s)", flush=True)
            if out_dir is not None:  # partial results survive an interrupted run
                _write(pd.DataFrame(rows), out_dir, f"PARTIAL ({i + 1} of {len(tasks)} replications) ")

    if jobs > 1:
        import multiprocessing as mp

        with mp.get_context("fork").Pool(jobs) as pool:
            for i, r in enumerate(pool.imap_unordered(one_replication, tasks, chunksize=4)):
                rows += r
                progress(i)
    else:
        for i, task in enumerate(tasks):
            rows += one_replication(task)
            progress(i)
    res = pd.DataFrame(rows)
    tables = summarise(res)
    if out_dir is not None:
        _write(res, out_dir, "")
    return tables


def _write(res: pd.DataFrame, out_dir: Path, status: str, cmd: str | None = None):
    import sys

    tables = summarise(res)
    out_dir.mkdir(parents=True, exist_ok=True)
    res.to_csv(out_dir / "simulate_did.csv.gz", index=False, float_format="%.6g")
    if cmd is None:
        cmd = " ".join(["benchmarks/simulate_did.py", *sys.argv[1:]]) if sys.argv and sys.argv[0].endswith(
            "simulate_did.py") else "benchmarks/simulate_did.py (called from Python)"
    text = [f"# simulate_did results\n\n{status}Command: `.venv/bin/python {cmd}`; replications per size and "
            "scenario in the `reps` columns.\nRates are at the 5 % level / of 95 % intervals; `mc_se` columns are "
            "Monte Carlo standard errors of the rate before them.\n"]
    titles = ("## Pre-trend tests: rejection rate (size under `parallel`/`noisy_singletons`, power under trends)",
              "## Intervals: coverage, width, rejection of zero",
              "## Event study: simultaneous (sup-t) band vs pointwise intervals covering every post-adoption truth")
    for title, tab in zip(titles, tables):
        text.append(title + "\n\n" + _markdown(_fmt(tab)) + "\n")
    (out_dir / "simulate_did.md").write_text("\n".join(text), encoding="utf-8")


def _fmt(df: pd.DataFrame) -> pd.DataFrame:
    f = df.copy()
    for c in f.columns:
        if c in ("n_units", "reps", "scenario", "method", "target"):
            continue
        pct = c != "bias_mc_se" and any(k in c for k in ("reject", "coverage", "cover", "mc_se", "computable"))
        f[c] = f[c].map(lambda v: "" if pd.isna(v) else (f"{100 * v:.1f}%" if pct else f"{v:.3f}"))
    return f


def _markdown(df: pd.DataFrame) -> str:
    cols = list(df.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reps", type=int, default=500)
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--n-boot", type=int, default=199, help="wild bootstrap draws for TWFE (0 = skip TWFE)")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--reps-small", type=int, default=None, help="replications at N = 8 (parallel, noisy_singletons)")
    ap.add_argument("--reps-power", type=int, default=None, help="replications of the trend and no-effect scenarios")
    ap.add_argument("--sizes", type=int, nargs="+", default=[8, 12, 20])
    ap.add_argument("--scenarios", nargs="+", default=list(SCENARIOS))
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = ap.parse_args(argv)
    tables = run(args.reps, args.seed, args.n_boot, tuple(args.sizes), tuple(args.scenarios), args.jobs,
                 out_dir=args.out, reps_small=args.reps_small, reps_power=args.reps_power)
    with pd.option_context("display.width", 220, "display.max_columns", 30):
        for t in tables:
            print(t.to_string(index=False))


if __name__ == "__main__":
    main()
