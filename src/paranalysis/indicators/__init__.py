"""Processing-speed indicators, each under a named definition, with uncertainty.

Everything here starts from the counts of the ``processing`` table (one row per unit and
quarter) and follows three rules:

1. **Named definitions.** "On-time rate" means different things in different reports
   (docs/indicators.md). There is no unnamed on-time rate: ``on_time_resolved_basis``
   (A, press reports), ``on_time_workload_basis`` (B, Gia Lai dashboard) and
   ``on_time_766_basis`` (C, Decision 766 indicator 2.1) are separate indicators.
2. **Sum counts, then divide.** A district total, a province total, a year or a rolling
   four quarters is built by adding records (:func:`aggregate_time`, :func:`combine`) and
   only then dividing; rates are never averaged. Over time, flows (records received,
   resolved, ...) are added, while the stock carried over is the one at the start of the
   window and the pending stock the one at its end.
3. **Uncertainty.** Every rate carries a confidence interval (Wilson score by default,
   exact Clopper-Pearson on request). The counts are a census of a period's
   records, so the interval describes the rate as a measure of the unit's underlying
   performance (how much it would move by chance alone with the same practice), not
   sampling error of a survey.

The indicator functions (``on_time_resolved_basis(counts)``, ...) each return a frame
with ``numerator, denominator, rate, ci_low, ci_high, missing_reason`` aligned with
``counts`` (``missing_reason``: why the rate is missing where the form gave only the sum
of two counts, e.g. "the form gives early and on-time as one number"; else None);
:func:`rates` computes many indicators at once as a tidy (long) table, and
:func:`changes` compares periods (quarter on quarter, year on year) with an interval for
the change.

One module per part: ``counts`` (derived totals, adding up over units and time),
``definitions`` (the named indicators, :func:`rates`), ``intervals`` (intervals of a rate
and of a change), ``summary`` (the province in one quarter, display tables), ``facts``
(press figures), ``breaks`` (definition breaks).

``DEFINITION_BREAKS`` lists the dates at which the meaning of the counts changed
(regulations, mergers); other modules and the plots reuse it.
"""

from __future__ import annotations

from paranalysis.indicators.breaks import (  # noqa: F401
    DEFINITION_BREAKS,
    DefinitionBreak,
    definition_breaks,
    break_dummies,
)
from paranalysis.indicators.counts import (  # noqa: F401
    RECEIVED_COLUMNS,
    RESOLVED_COLUMNS,
    PENDING_COLUMNS,
    FLOW_COLUMNS,
    OPENING_STOCK_COLUMNS,
    CLOSING_STOCK_COLUMNS,
    ALL_COUNTS,
    MISSING_REASONS,
    DERIVED_COLUMNS,
    with_totals,
    count_columns,
    key_columns,
    window,
    aggregate_time,
    combine,
)
from paranalysis.indicators.intervals import (  # noqa: F401
    proportion_interval,
    counts_as_float,
    changes,
)
from paranalysis.indicators.definitions import (  # noqa: F401
    INDICATORS,
    IndicatorSpec,
    on_time_resolved_basis,
    on_time_workload_basis,
    on_time_766_basis,
    late_rate_resolved_basis,
    late_rate_received_basis,
    late_rate_workload_basis,
    overdue_backlog_share,
    early_share,
    clearance_rate,
    online_share,
    postal_share,
    direct_share,
    digitisation_rate,
    satisfaction_rate,
    ON_TIME_DEFINITIONS,
    HEADLINE,
    indicator,
    compute,
    rates,
)
from paranalysis.indicators.summary import (  # noqa: F401
    province_summary,
    unit_names,
    format_rate_table,
)
from paranalysis.indicators.facts import (  # noqa: F401
    FACT_COUNT_METRICS,
    FACT_PERCENT_METRICS,
    FACT_RATE_COLUMNS,
    fact_rates,
    facts_vs_data,
)

__all__ = [
    "DEFINITION_BREAKS",
    "INDICATORS",
    "DefinitionBreak",
    "definition_breaks",
    "break_dummies",
    "RECEIVED_COLUMNS",
    "RESOLVED_COLUMNS",
    "PENDING_COLUMNS",
    "FLOW_COLUMNS",
    "OPENING_STOCK_COLUMNS",
    "CLOSING_STOCK_COLUMNS",
    "ALL_COUNTS",
    "MISSING_REASONS",
    "DERIVED_COLUMNS",
    "with_totals",
    "count_columns",
    "key_columns",
    "window",
    "aggregate_time",
    "combine",
    "proportion_interval",
    "counts_as_float",
    "changes",
    "IndicatorSpec",
    "on_time_resolved_basis",
    "on_time_workload_basis",
    "on_time_766_basis",
    "late_rate_resolved_basis",
    "late_rate_received_basis",
    "late_rate_workload_basis",
    "overdue_backlog_share",
    "early_share",
    "clearance_rate",
    "online_share",
    "postal_share",
    "direct_share",
    "digitisation_rate",
    "satisfaction_rate",
    "ON_TIME_DEFINITIONS",
    "HEADLINE",
    "indicator",
    "compute",
    "rates",
    "province_summary",
    "unit_names",
    "format_rate_table",
    "FACT_COUNT_METRICS",
    "FACT_PERCENT_METRICS",
    "FACT_RATE_COLUMNS",
    "fact_rates",
    "facts_vs_data",
]
