"""Display names of the ranking indices and the texts of this package, in Vietnamese and English."""

from __future__ import annotations

# ---------------------------------------------------------------------------------------
# Labels (vi / en)
# ---------------------------------------------------------------------------------------




def _t(lang: str, key: str) -> str:
    return _TEXT.get(lang, _TEXT["en"])[key]


def index_label(index: str, lang: str = "vi") -> str:
    """Display name of a ranking index in Vietnamese (``vi``) or English (``en``)."""
    return INDEX_LABELS.get(lang, INDEX_LABELS["en"]).get(index, index)
