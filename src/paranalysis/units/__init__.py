"""Administrative units of Nghệ An: the dated registry shipped with the package, matching
of names and codes as exports write them by date and level, and the crosswalks between
the maps before and after each reorganisation (see docs/units.md).

``from paranalysis.units import UnitMatcher, package_units, fold, match_key`` keeps working.
"""

from paranalysis.units.crosswalk import apply_crosswalk_overrides, package_crosswalk, parent_on
from paranalysis.units.matcher import UnitMatcher
from paranalysis.units.names import deaccent, fold, match_key, nfc, prefix_level
from paranalysis.units.registry import (
    HOW_TO_ADD,
    LEVELS,
    REORGANISATIONS,
    add_units,
    normalize_level,
    on_date,
    package_units,
)

__all__ = [
    "UnitMatcher", "package_units", "package_crosswalk", "apply_crosswalk_overrides", "parent_on",
    "add_units", "fold", "match_key", "nfc", "deaccent", "prefix_level", "normalize_level", "on_date",
    "LEVELS", "REORGANISATIONS", "HOW_TO_ADD",
]
