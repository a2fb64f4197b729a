"""Display names of the ranking indices and the texts of this package, from the one
catalogue (``paranalysis.i18n``: keys ``index.<INDEX>`` and ``rankings.<text>``)."""

from __future__ import annotations

from paranalysis.i18n import DEFAULT_LANG, t, t_or


def _t(lang: str, key: str) -> str:
    return t(f"rankings.{key}", lang)


def index_label(index: str, lang: str = DEFAULT_LANG) -> str:
    """Display name of a ranking index in ``lang`` (the code itself for an index the
    catalogue does not name)."""
    return t_or(f"index.{index}", lang, index)
