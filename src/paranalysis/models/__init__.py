"""Models for investment and processing speed.

- ``panel_fe(data, formula, *, unit, time, cluster=None, ...)``: two-way fixed effects with
  few-cluster inference (wild cluster bootstrap below 40 clusters); ``.estimate``, ``.se``,
  ``.ci_low``, ``.ci_high``, ``.p_value`` per term.
- ``staggered_did(data, *, outcome, unit, time, first_treated, control_group=...)``:
  Callaway-Sant'Anna group-time effects (``.att_gt``) and ``.aggregate(kind)`` for
  ``simple, dynamic, group, calendar``; matches R ``did`` with ``inference="analytic"``.
  Default inference ``hetero_t`` (unit-specific variances, Satterthwaite-type df); the
  sign-flip pre-trend test, sup-t bands, MDE, randomisation inference and a Rambachan-Roth
  style sensitivity (``.pretrend_test()``, ``.aggregate("dynamic").table``,
  ``.randomization_p()``, ``.sensitivity()``: a :class:`Sensitivity`).
- diagnostics: TWFE vs Callaway-Sant'Anna, placebo adoption dates, leave-one-unit-out,
  event-study plot, ``effect_checks`` (all checks for one effect: an :class:`EffectChecks`,
  ``.record()`` a flat dict), ``estimates_by_investment``
  (CS and TWFE per investment and outcome, Holm-adjusted). See docs/models.md.
- multiple: Holm adjustment per family of outcomes, complementary outcomes counted once.

Every model result is a :class:`paranalysis.results.Result`: ``.tidy()`` has the broom
columns ``term, estimate, std_error, statistic, p_value, conf_low, conf_high`` (+ ``outcome``,
``n_units``, ``method``), ``.summary()`` is text, ``.settings`` the options used; the estimate
is always called ``estimate`` (the ATT of Callaway-Sant'Anna included).
"""

from paranalysis.models.did import (Aggregate, PretrendTest, Sensitivity, StaggeredDiD, binomial_variance,
                                    staggered_did)
from paranalysis.models.multiple import COMPLEMENTS, adjust_by_family, drop_complements, holm
from paranalysis.models.panel import PanelFE, demean_two_way, panel_fe
from paranalysis.models.diagnostics import (EffectChecks, compare_estimators, effect_checks, effect_checks_lines,
                                            effect_checks_table, estimates_by_investment, leave_one_out,
                                            pretrend_lines, placebo_adoption,
                                            plot_event_study, plot_leave_one_out, truth_coverage)

__all__ = ["Aggregate", "EffectChecks", "PretrendTest", "Sensitivity", "StaggeredDiD", "staggered_did",
           "binomial_variance", "COMPLEMENTS", "adjust_by_family", "drop_complements", "holm", "effect_checks",
           "effect_checks_table", "effect_checks_lines", "pretrend_lines",
           "PanelFE", "demean_two_way", "panel_fe", "compare_estimators", "estimates_by_investment",
           "leave_one_out", "placebo_adoption", "plot_event_study", "plot_leave_one_out", "truth_coverage"]
