"""Rankings: reading rank changes correctly, and relating them to investment and speed.

Conventions (see docs/rankings.md):

- **Rank**: 1 = best. Ties are handled as the publishers do, by *competition* ("min")
  ranking: scores 90, 85, 85, 80 get ranks 1, 2, 2, 4.
- **Percentile** of a rank among ``n`` ranked units: ``(n - rank) / (n - 1)``, so the
  best unit is 1.0 (100 %), the last is 0.0 and the middle is 0.5, whatever ``n`` is.
  This makes "27th of 63" (0.581) comparable with "15th of 34" (0.576). Tied units share
  the percentile of their (best) published rank. Undefined (NaN) when ``n = 1``.
  ``percentile_to_rank`` inverts it: ``rank = n - p (n - 1)``.
- **Places gained** between two years: ``previous rank - rank`` (positive = moved up, as
  in the press: "tăng 5 bậc"). Percentile change: ``percentile - previous percentile``.
- **Breaks** (method, scale and number-of-units changes) are kept as data in one place,
  ``resources/ranking_breaks.csv`` (``BREAKS`` / ``method_breaks()``); ``rank_changes``
  flags every change that crosses one.

Modules: ``labels`` (index names), ``ranks`` (ranks, percentiles, places to gain),
``breaks`` (the break catalogue, rank changes), ``decompose`` (score change by
sub-index), ``tables`` (published tables), ``districts`` (district-level statistics),
``plots`` (figures). Everything is importable from ``paranalysis.rankings``.
"""

from __future__ import annotations

from paranalysis.rankings.labels import (  # noqa: F401
    index_label,
)
from paranalysis.rankings.ranks import (  # noqa: F401
    competition_rank,
    equivalent_rank,
    latest_table,
    middle_unit,
    percentile_to_rank,
    points_per_place,
    points_to_gain,
    rank_to_percentile,
)
from paranalysis.rankings.breaks import (  # noqa: F401
    BREAKS,
    BREAK_KINDS,
    history_table,
    method_breaks,
    rank_changes,
)
from paranalysis.rankings.decompose import (  # noqa: F401
    PCI_COLUMNS_PANEL,
    PCI_COLUMNS_VIETNAMDATA,
    PCI_WEIGHTS,
    decompose_change,
    decompose_table_change,
    decomposition_table,
)
from paranalysis.rankings.tables import (  # noqa: F401
    PCI_PANEL_FILE,
    RANKING_TABLE_COLUMNS,
    load_pci_panel,
    load_ranking_table,
    reference_data_dir,
    table_to_rankings,
)
from paranalysis.rankings.districts import (  # noqa: F401
    RankCorrelation,
    correlation_table,
    district_indices,
    district_rank_changes,
    rank_correlation,
    yearly_processing,
)
from paranalysis.rankings.plots import (  # noqa: F401
    plot_labelled_scatter,
    p_method_text,
    plot_points_to_gain,
    plot_province_timeline,
    plot_trajectory,
    province_fact_rates,
    units_with_investment,
)

__all__ = [
    "index_label",
    "competition_rank",
    "equivalent_rank",
    "latest_table",
    "middle_unit",
    "percentile_to_rank",
    "points_per_place",
    "points_to_gain",
    "rank_to_percentile",
    "BREAKS",
    "BREAK_KINDS",
    "history_table",
    "method_breaks",
    "rank_changes",
    "PCI_COLUMNS_PANEL",
    "PCI_COLUMNS_VIETNAMDATA",
    "PCI_WEIGHTS",
    "decompose_change",
    "decompose_table_change",
    "decomposition_table",
    "PCI_PANEL_FILE",
    "RANKING_TABLE_COLUMNS",
    "load_pci_panel",
    "load_ranking_table",
    "reference_data_dir",
    "table_to_rankings",
    "RankCorrelation",
    "correlation_table",
    "district_indices",
    "district_rank_changes",
    "rank_correlation",
    "yearly_processing",
    "plot_labelled_scatter",
    "p_method_text",
    "plot_points_to_gain",
    "plot_province_timeline",
    "plot_trajectory",
    "province_fact_rates",
    "units_with_investment",
]
