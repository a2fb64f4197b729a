"""Models: panel fixed effects with few-cluster inference, staggered DiD."""
from paranalysis.models.did import Aggregate, PretrendTest, StaggeredDiD, staggered_did

__all__ = ["Aggregate", "PretrendTest", "StaggeredDiD", "staggered_did"]
from paranalysis.models.panel import PanelFE, demean_two_way, panel_fe

__all__ += ["PanelFE", "demean_two_way", "panel_fe"]
from paranalysis.models.diagnostics import compare_estimators, leave_one_out, placebo_adoption, plot_event_study

__all__ += ["compare_estimators", "leave_one_out", "placebo_adoption", "plot_event_study"]
