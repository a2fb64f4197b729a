"""Models for investment and processing speed.

- ``panel_fe(data, formula, *, unit, time, cluster=None, ...)``: two-way fixed effects with
  few-cluster inference (wild cluster bootstrap below 40 clusters); ``.tidy()`` has
  ``term, estimate, se, ci_low, ci_high, p_value``.
- ``staggered_did(data, *, outcome, unit, time, first_treated, control_group=...)``:
  Callaway-Sant'Anna group-time effects (``.att_gt``) and ``.aggregate(kind)`` for
  ``simple, dynamic, group, calendar``; matches R ``did`` with ``inference="analytic"``.
- diagnostics: TWFE vs Callaway-Sant'Anna, placebo adoption dates, leave-one-unit-out,
  event-study plot. See docs/models.md.
"""

from paranalysis.models.did import Aggregate, PretrendTest, StaggeredDiD, staggered_did
from paranalysis.models.panel import PanelFE, demean_two_way, panel_fe
from paranalysis.models.diagnostics import (compare_estimators, effect_table, leave_one_out, placebo_adoption,
                                            plot_event_study, plot_leave_one_out, truth_coverage)

__all__ = ["Aggregate", "PretrendTest", "StaggeredDiD", "staggered_did", "PanelFE", "demean_two_way", "panel_fe",
           "compare_estimators", "effect_table", "leave_one_out", "placebo_adoption", "plot_event_study",
           "plot_leave_one_out", "truth_coverage"]
