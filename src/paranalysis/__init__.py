"""paranalysis: loaders, indicators and models for public administration reform (PAR)
analysis in Vietnamese provinces (first users: Nghe An).

Public entry points (contracts other tools rely on):

- ``load_dataset(path=None)``: units, processing, investments and rankings tables;
  ``None`` means the bundled data (real published facts + labelled synthetic demo).
- ``load_processing(path, *, period=None)``: tidy processing counts from the project's
  CSV/Parquet or from the official per-unit report form (.xlsx).
- ``harmonize(processing, *, level, on)``: counts re-aggregated onto the units of one level
  valid on one day (one series across the 2024-2025 reorganisations; docs/units.md).
- ``load_service_index(path)``: the portal's Decision 766 scorecard (2025 tabular export,
  2026 reporting-API responses) as one tidy table (docs/service-index.md).
- ``DataError``: raised for every data problem; lists every fault found.
"""

__version__ = "0.1.0"

from paranalysis.errors import DataError, Problem, quiet_foreign_warnings

quiet_foreign_warnings()  # see paranalysis.errors.FOREIGN_WARNINGS

from paranalysis.dataset import Dataset, load_dataset
from paranalysis.loaders import load_processing
from paranalysis.harmonize import harmonize
from paranalysis.serviceindex import load_service_index

__all__ = ["__version__", "DataError", "Problem", "Dataset", "load_dataset", "load_processing", "harmonize",
           "load_service_index"]
