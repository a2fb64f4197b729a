"""The Decision 766 service index: the portal's monthly scorecard of every province, agency
and commune (docs/service-index.md).

- :func:`load_service_index` (a contract, also ``paranalysis.load_service_index``): the
  2025 tabular export and the 2026 reporting-API responses as one tidy table.
- :mod:`~paranalysis.serviceindex.scorecard`: points lost, thresholds, peers, rank
  changes among identical cohorts, trends.
- :mod:`~paranalysis.serviceindex.reconcile`: the progress component against the
  processing counts of the same unit and period.
- :mod:`~paranalysis.serviceindex.fetch`: fetching responses, stored as received.
- :mod:`~paranalysis.serviceindex.demo`: the labelled synthetic commune scorecard.
- :mod:`~paranalysis.serviceindex.leadership`: the leadership-report section.
"""

from paranalysis.serviceindex.loaders import load_service_index
from paranalysis.serviceindex.schema import (COMPONENTS, FORMULA_VERSIONS, GROUPS, MAX_SCORES,
                                             SERVICE_INDEX_COLUMNS, comparable, component_label,
                                             require_comparable)

__all__ = ["load_service_index", "SERVICE_INDEX_COLUMNS", "COMPONENTS", "GROUPS", "MAX_SCORES", "FORMULA_VERSIONS",
           "comparable", "component_label", "require_comparable"]
