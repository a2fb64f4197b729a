"""paranalysis: loaders, indicators and models for public administration reform (PAR)
analysis in Vietnamese provinces (first users: Nghe An).

Public entry points (contracts other tools rely on):

- ``load_dataset(path=None)``: units, processing, investments and rankings tables;
  ``None`` means the bundled data (real published facts + labelled synthetic demo).
- ``load_processing(path, *, period=None)``: tidy processing counts from the project's
  CSV/Parquet or from the official per-unit report form (.xlsx).
- ``DataError``: raised for every data problem; lists every fault found.
"""

__version__ = "0.1.0"

import warnings as _warnings

# With the optional extra [spark] installed, pandera imports pyspark.pandas, which warns that
# it does not fully support pandas 3: about pyspark.pandas, which paranalysis never uses.
# Keep that line out of notebooks and reports (paranalysis.records.spark uses Spark SQL only).
with _warnings.catch_warnings():
    _warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas", category=FutureWarning)
    import pandera.pandas  # noqa: F401

from paranalysis.errors import DataError, Problem
from paranalysis.dataset import Dataset, load_dataset
from paranalysis.loaders import load_processing

__all__ = ["__version__", "DataError", "Problem", "Dataset", "load_dataset", "load_processing"]
