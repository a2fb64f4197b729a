"""The declarative header mapping (``resources/form_header_mapping.yaml``): which
normalised header paths mean which field.

A mapping file of one's own (``mapping=`` / ``--mapping FILE``, or
``form_header_mapping.yaml`` in the dataset folder) is merged over the package's: its
lists are added to the package's lists, so a new wording needs a few lines in that file
and no edit of the installed package.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import yaml

from paranalysis.units import fold

MAPPING_FILE = "resources/form_header_mapping.yaml"
#: The name of a mapping file in a dataset folder (merged over the package's).
DATA_MAPPING_NAME = "form_header_mapping.yaml"

# Words that make a header a percentage column, whatever else it says ("Tỷ lệ ...", "%").
_RATE_WORDS = ("ty le ", "ti le ")


def _norm_text(text) -> str:
    """Fold a header label: lower case, no diacritics or punctuation, single spaces."""
    s = fold(str(text)).replace("%", " ").replace(":", " ").replace("*", " ").replace("&", " ")
    s = s.replace(">", " ").replace("+", " ").replace(";", " ")
    return re.sub(r"\s+", " ", s).strip()


def is_rate_label(written: str) -> bool:
    """Whether a header label names a percentage: "Tỷ lệ ...", "Tỉ lệ ...", or a "%" in it."""
    if "%" in str(written):
        return True
    f = _norm_text(written) + " "
    return any(f.startswith(w) or (" " + w) in f for w in _RATE_WORDS)


@dataclass(frozen=True)
class HeaderMapping:
    """The declarative header mapping: which normalised header paths mean which field."""

    filler: frozenset
    prefixes: tuple
    total_labels: frozenset
    grand_total_labels: frozenset
    stt: frozenset
    unit_name: frozenset
    unit_code: frozenset
    patterns: tuple  # ((segment, ...), role, field)
    synonyms: tuple  # ((variant, canonical), ...), longest variant first
    sections: tuple  # ((pattern, level), ...)
    rate_kinds: tuple  # ((field, (words, ...), (not words, ...)), ...)
    source: str

    def segment(self, text) -> str:
        """Normalise one header label: fold; cut a leading "Trong đó:"-like filler and a
        "Số hồ sơ"-like prefix; replace a synonym by its canonical wording."""
        s = _norm_text(text)
        changed = True
        while changed:
            changed = False
            for f in self.filler:
                if s.startswith(f + " "):
                    s, changed = s[len(f) + 1:], True
            for p in self.prefixes:
                if s.startswith(p + " "):
                    s, changed = s[len(p) + 1:], True
                    break
        for variant, canonical in self.synonyms:
            if s == variant:
                return canonical
        return s

    def path(self, labels) -> tuple:
        """Normalised header path from the labels of one column, top row first."""
        out: list[str] = []
        for lab in labels:
            if lab is None or str(lab).strip() == "":
                continue
            s = self.segment(lab)
            if not s or s in self.filler:
                continue
            if out and out[-1] == s:
                continue
            out.append(s)
        return tuple(out)

    def match(self, path: tuple) -> list[tuple[str, str]]:
        """The (role, field) pairs whose pattern is the longest suffix of ``path``."""
        best: list[tuple[str, str]] = []
        best_len = 0
        for segs, role, field in self.patterns:
            n = len(segs)
            if n <= len(path) and path[-n:] == segs:
                if n > best_len:
                    best, best_len = [(role, field)], n
                elif n == best_len and (role, field) not in best:
                    best.append((role, field))
        return best

    def rate_field(self, path: tuple) -> str | None:
        """Which known rate a percentage column is, from its words (None: another rate)."""
        text = " " + " ".join(path) + " "
        for field, words, nots in self.rate_kinds:
            if all(" " + w + " " in text for w in words) and not any(" " + w + " " in text for w in nots):
                return field
        return None

    def section_level(self, label: str) -> str | None:
        """The unit level a section heading names ("I. Cấp tỉnh" -> department), or None."""
        s = " " + _norm_text(label) + " "
        for pattern, level in self.sections:
            if " " + pattern + " " in s:
                return level
        return None

    def example(self, field: str) -> str:
        return next((" > ".join(s) for s, _, f in self.patterns if f == field), field)

    def guess(self, path: tuple) -> tuple[str, str] | None:
        """The (role, field) whose patterns look most like ``path`` (for a suggestion)."""
        import difflib

        text = " > ".join(path)
        best, score = None, 0.0
        for segs, role, field in self.patterns:
            if role != "count":  # a new wording is most often a count the table keeps
                continue
            r = difflib.SequenceMatcher(None, text, " > ".join(segs)).ratio()
            if r > score:
                best, score = (role, field), r
        return best if score >= 0.5 else None


# fields renamed since a mapping file may have been written: old name -> new name
_RENAMED = {"resolved_in_time": "resolved_early_on_time"}


def _merge(base: dict, extra: dict) -> dict:
    """Lists are joined, mappings merged key by key, anything else replaced."""
    out = dict(base)
    for k, v in (extra or {}).items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        elif isinstance(v, list) and isinstance(out.get(k), list):
            out[k] = out[k] + [x for x in v if x not in out[k]]
        else:
            out[k] = v
    return out


def _build_mapping(data: dict, source: str) -> HeaderMapping:
    prefixes = sorted({_norm_text(p) for p in data.get("segment_prefixes", [])}, key=len, reverse=True)
    filler = frozenset(_norm_text(x) for x in data.get("filler_segments", []))
    base = HeaderMapping(
        filler=filler, prefixes=tuple(prefixes), total_labels=frozenset(), grand_total_labels=frozenset(),
        stt=frozenset(), unit_name=frozenset(), unit_code=frozenset(), patterns=(), synonyms=(), sections=(),
        rate_kinds=(), source=source,
    )
    syn = []
    for canonical, variants in (data.get("synonyms") or {}).items():
        c = base.segment(canonical)
        for v in variants or []:
            syn.append((base.segment(v), c))
    syn.sort(key=lambda x: -len(x[0]))
    base = HeaderMapping(**{**base.__dict__, "synonyms": tuple(syn)})

    def seg(x):
        return base.segment(x)

    def pat(text):
        return tuple(s for s in (seg(part) for part in str(text).split(">")) if s and s not in base.filler)

    patterns = []
    for role in ("counts", "totals", "rates", "addends"):
        for field, pats in (data.get(role) or {}).items():
            field = _RENAMED.get(field, field)
            for p in pats or []:
                patterns.append((pat(p), role[:-1] if role != "counts" else "count", field))
    for kind, pats in (data.get("ignore") or {}).items():
        for p in pats or []:
            patterns.append((pat(p), "ignore", kind))
    sections = []
    for level, pats in (data.get("section_levels") or {}).items():
        for p in pats or []:
            sections.append((_norm_text(p), level))
    sections.sort(key=lambda x: -len(x[0]))
    kinds = []
    for field, spec in (data.get("rate_kinds") or {}).items():
        for alt in spec or []:
            kinds.append((field, tuple(_norm_text(w) for w in alt.get("all", [])),
                          tuple(_norm_text(w) for w in alt.get("none", []))))
    return HeaderMapping(
        filler=base.filler, prefixes=base.prefixes,
        total_labels=frozenset(_norm_text(x) for x in data.get("total_row_labels", [])),
        grand_total_labels=frozenset(_norm_text(x) for x in data.get("grand_total_labels", [])),
        stt=frozenset(seg(x) for x in data.get("stt", [])),
        unit_name=frozenset(seg(x) for x in data.get("unit_name", [])),
        unit_code=frozenset(seg(x) for x in data.get("unit_code", [])),
        patterns=tuple(p for p in patterns if p[0]), synonyms=base.synonyms, sections=tuple(sections),
        rate_kinds=tuple(kinds), source=source,
    )


def _package_text() -> str:
    return resources.files("paranalysis").joinpath(MAPPING_FILE).read_text(encoding="utf-8")


@lru_cache(maxsize=8)
def _load(paths: tuple[str, ...], mtimes: tuple[float, ...]) -> HeaderMapping:
    data = yaml.load(_package_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # libyaml if present
    sources = ["paranalysis/" + MAPPING_FILE]
    for p in paths:
        extra = yaml.safe_load(Path(p).read_text(encoding="utf-8")) or {}
        if not isinstance(extra, dict):
            raise ValueError(f"{p}: a header mapping must be a YAML mapping (see docs/data.md)")
        data = _merge(data, extra)
        sources.append(str(p))
    return _build_mapping(data, " + ".join(sources))


def load_mapping(path: str | Path | None = None, *, data_dir: str | Path | None = None) -> HeaderMapping:
    """The header mapping: the package's ``form_header_mapping.yaml``, with the dataset
    folder's ``form_header_mapping.yaml`` (if ``data_dir`` has one) and then ``path``
    merged over it."""
    paths = []
    if data_dir is not None and (Path(data_dir) / DATA_MAPPING_NAME).is_file():
        paths.append(str(Path(data_dir) / DATA_MAPPING_NAME))
    if path is not None:
        if not Path(path).is_file():
            raise FileNotFoundError(f"header mapping file not found: {path}")
        paths.append(str(path))
    mtimes = tuple(Path(p).stat().st_mtime_ns for p in paths)
    return _load(tuple(paths), mtimes)
