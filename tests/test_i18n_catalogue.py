"""The one catalogue (paranalysis/resources/messages.yaml) and its discipline: no language
branch anywhere else, one default language, every key complete and used, every key used
present, tables shown with translated headers and "—" for missing values, and a report
run in one language throughout (the slow tests run every notebook in each language)."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest

from paranalysis.i18n import (DEFAULT_LANG, LANGS, MISSING, TRANSLATIONS, UntranslatedError, column_label,
                              display_table, fmt_date, fmt_number, fmt_pct, quarter_label, t)

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "paranalysis"
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))
CATALOGUE_MODULE = SRC / "i18n.py"


def _sources() -> list[tuple[str, str]]:
    """(name, code) of every module of the package and every notebook code cell."""
    out = [(str(p.relative_to(ROOT)), p.read_text(encoding="utf-8")) for p in sorted(SRC.rglob("*.py"))]
    for nb_path in NOTEBOOKS:
        nb = nbformat.read(nb_path, as_version=4)
        for i, c in enumerate(nb.cells):
            if c.cell_type == "code":
                out.append((f"{nb_path.name}[{i}]", c.source))
    return out


# --- (a) no language branches, one default ---------------------------------------------

BRANCH = re.compile(r"""\blang\s*(==|!=)|(==|!=)\s*lang\b|\bif\s+(not\s+)?lang\b|\b(elif|if)\s+vi\b"""
                    r"""|(==|!=)\s*['"](vi|en)['"]|['"](vi|en)['"]\s*(==|!=)|\bvi\s*=\s*lang\b""")
LITERAL_DEFAULT = re.compile(r"""\blang\s*(:\s*str\s*)?=\s*['"](vi|en)['"]""")


@pytest.mark.parametrize("name, code", _sources(), ids=lambda v: v if isinstance(v, str) and len(v) < 60 else "")
def test_no_language_branch_outside_the_catalogue_module(name, code):
    if name == str(CATALOGUE_MODULE.relative_to(ROOT)):
        return
    hits = [ln.strip() for ln in code.splitlines() if BRANCH.search(ln)]
    assert not hits, f"{name}: language branch(es) {hits}; use a catalogue key and i18n.t"
    defaults = [ln.strip() for ln in code.splitlines() if LITERAL_DEFAULT.search(ln)]
    assert not defaults, f"{name}: literal language default {defaults}; use i18n.DEFAULT_LANG"


def test_no_label_table_outside_the_catalogue():
    """No dict literal keyed by both languages ({"vi": ..., "en": ...}) in any module but the
    catalogue module, and no tuple pairs chosen by language."""
    found = []
    for p in sorted(SRC.rglob("*.py")):
        if p == CATALOGUE_MODULE:
            continue
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Dict):
                keys = {k.value for k in node.keys if isinstance(k, ast.Constant)}
                if {"vi", "en"} <= keys:
                    found.append(f"{p.relative_to(ROOT)}:{node.lineno}")
    assert not found, f"label tables outside the catalogue: {found}"


def test_one_default_language():
    assert DEFAULT_LANG == "vi" and DEFAULT_LANG in LANGS
    for nb_path in NOTEBOOKS:
        nb = nbformat.read(nb_path, as_version=4)
        params = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
        assert "lang = DEFAULT_LANG" in params.source, nb_path.name
    from paranalysis.cli import build_parser

    run = build_parser()._subparsers._group_actions[0].choices["run"]
    assert next(a for a in run._actions if a.dest == "lang").default == DEFAULT_LANG


# --- (b) every key complete ---------------------------------------------------------------

def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def _specs(text: str) -> set[tuple]:
    """(placeholder, conversion, format spec) of a text: ``{start:%d/%m/%Y}`` is the same in both languages."""
    return {(name, conv, spec) for _, name, spec, conv in string.Formatter().parse(text) if name}


class _AnyValue:
    """A value every placeholder accepts, whatever its format spec (``{computed:.4f}``, ``{start:%d/%m/%Y}``)."""

    def __format__(self, spec):
        return "x"

    def __repr__(self):
        return "'x'"


def test_catalogue_is_one_yaml_file_read_by_i18n():
    path = SRC / "resources" / "messages.yaml"
    import yaml

    assert yaml.safe_load(path.read_text(encoding="utf-8")) == TRANSLATIONS
    assert len(TRANSLATIONS) > 400


def test_no_key_is_written_twice():
    """YAML keeps the last of two equal keys without a word: a key added twice (the second
    silently replacing the first) must fail here."""
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    dupes = []

    def mapping(loader, node, deep=False):
        keys = [loader.construct_object(k) for k, _ in node.value]
        dupes.extend(k for k in set(keys) if keys.count(k) > 1)
        return {k: loader.construct_object(v, deep=True) for k, v in node.value}

    Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
    yaml.load((SRC / "resources" / "messages.yaml").read_text(encoding="utf-8"), Loader=Loader)
    assert not dupes, f"keys written twice in messages.yaml: {dupes}"


@pytest.mark.parametrize("key", sorted(TRANSLATIONS))
def test_every_key_has_both_languages_and_the_same_placeholders(key):
    entry = TRANSLATIONS[key]
    assert set(entry) == set(LANGS), key
    assert all(isinstance(entry[lg], str) and entry[lg].strip() for lg in LANGS), key
    assert _fields(entry["vi"]) == _fields(entry["en"]), key
    assert _specs(entry["vi"]) == _specs(entry["en"]), key
    dummy = {f: _AnyValue() for f in _fields(entry["vi"])}
    for lg in LANGS:
        t(key, lg, **dummy)  # formats


def test_the_english_of_a_key_is_not_vietnamese():
    """An English text with letters only Vietnamese uses is a text left untranslated
    (proper nouns — unit and place names, document numbers — aside)."""
    from one_language import PROPER, VI_LETTERS

    bad = []
    names = sorted(PROPER | _unit_names(), key=len, reverse=True)
    for k, e in TRANSLATIONS.items():
        text = e["en"]
        for n in names:
            text = text.replace(n, " ")
        if any(set(w.lower()) & VI_LETTERS for w in re.findall(r"\w+", text)):
            bad.append(k)
    assert not bad, f"English texts with Vietnamese words: {bad}"


# --- (c) every key used exists; every key is used ------------------------------------------

#: helpers that put a prefix before the key they are given: (call pattern, prefix, files)
PREFIXED = [
    (r"""\b_t\(\s*lang\s*,\s*f?["']([a-z0-9_]+)["']""", "plot.", "src/paranalysis/plots.py"),
    (r"""\b_t\(\s*["']([a-z0-9_]+)["']\s*,\s*lang""", "records.", "src/paranalysis/records/plots.py"),
    (r"""\b_t\(\s*lang\s*,\s*f?["']([a-z0-9_]+)["']""", "rankings.", "src/paranalysis/rankings/"),
    (r"""\b_t\(\s*lang\s*,\s*f?["']([a-z0-9_]+)["']""", "si.", "src/paranalysis/serviceindex/leadership.py"),
    (r"""\btext\(\s*["']([a-z0-9_]+)["']""", "geo.", "src/paranalysis/geography.py"),
]
DIRECT = re.compile(r"""\b(?:t|t_or|has|md|column_label|Message)\(\s*["']([A-Za-z0-9_.?]+)["']""")
FSTRING_PREFIX = re.compile(r"""f["']([a-z0-9_]+(?:\.[a-z0-9_]*)+)\{""")


def test_every_key_used_in_code_exists():
    missing = []
    for name, code in _sources():
        for m in DIRECT.finditer(code):
            if "." in m.group(1) and m.group(1) not in TRANSLATIONS:
                missing.append(f"{name}: {m.group(1)}")
        for pattern, prefix, where in PREFIXED:
            if where in name:
                for m in re.finditer(pattern, code):
                    if prefix + m.group(1) not in TRANSLATIONS and "{" not in m.group(0):
                        missing.append(f"{name}: {prefix}{m.group(1)}")
    assert not missing, f"keys used but not in the catalogue: {missing}"


def test_every_catalogue_key_is_used():
    """A key no code reaches is dead text (or a typo of the key the code asks for). Keys
    reached through a computed name (f"col.{name}", f"geo.{key}") count as used when their
    prefix is built that way somewhere."""
    sources = _sources()
    constants: set[str] = set()
    prefixes: set[str] = set()
    by_file: dict[str, set[str]] = {}
    for name, code in sources:
        try:
            tree = ast.parse(code)
        except SyntaxError:
            tree = ast.parse("\n".join(ln for ln in code.splitlines() if not ln.lstrip().startswith(("%", "!"))))
        consts = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
        constants |= consts
        by_file[name] = consts
        prefixes |= set(FSTRING_PREFIX.findall(code))
    # the prefixed helpers: plot.<k> is used when "<k>" is a constant of plots.py
    prefixes |= {"diag."}  # models/diagnostics._texts reads every diag.* key
    # display_table(..., values={"flag": "flag."}): a constant naming a key prefix
    prefixes |= {c for c in constants if re.fullmatch(r"[a-z_]+(\.[a-z_]+)*\.", c)
                 and any(k.startswith(c) for k in TRANSLATIONS)}
    unused = []
    for key in TRANSLATIONS:
        if key in constants or any(key.startswith(p) for p in prefixes):
            continue
        if any(key.startswith(prefix) and key[len(prefix):] in by_file[name]
               for _, prefix, where in PREFIXED for name in by_file if where in name):
            continue
        unused.append(key)
    assert not unused, f"catalogue keys no code uses: {unused}"


# --- (d) tables as readers see them ----------------------------------------------------------

def test_display_table_translates_headers_formats_numbers_and_shows_missing_as_dash():
    df = pd.DataFrame({"unit_code": ["40", "412"], "year": [2024, 2025], "score": [1234.5, np.nan],
                       "quarter": [pd.Period("2024Q2", freq="Q-DEC"), None], "rank": [3, pd.NA]})
    vi = display_table(df, "vi", decimals=1)
    assert list(vi.columns) == ["Mã đơn vị", "Năm", "Điểm", "Quý", "Hạng"]
    assert vi.iloc[0].tolist() == ["40", "2024", "1.234,5", "Quý II/2024", "3"]
    assert vi.iloc[1].tolist() == ["412", "2025", MISSING, MISSING, MISSING] and MISSING == "—"
    en = display_table(df, "en", decimals=1)
    assert list(en.columns) == ["Unit code", "Year", "Score", "Quarter", "Rank"]
    assert en.iloc[0].tolist() == ["40", "2024", "1,234.5", "Q2 2024", "3"]
    assert "NaN" not in en.to_html() and "None" not in en.to_html() and "<NA>" not in vi.to_html()


def test_a_column_without_a_header_in_the_catalogue_is_an_error():
    df = pd.DataFrame({"one_stop_facility": [1], "score": [2.0]})
    with pytest.raises(UntranslatedError, match="one_stop_facility"):
        display_table(df, "en")
    with pytest.raises(UntranslatedError):
        column_label("one_stop_facility_new_raw", "vi")
    # a header already in the reader's words is kept when the caller says so
    assert list(display_table(df, "en", translated=("one_stop_facility",)).columns) == ["one_stop_facility", "Score"]


def test_numbers_percentages_and_dates_by_babel():
    assert fmt_number(-1234567.891, "vi", 2) == "\u22121.234.567,89"
    assert fmt_number(-1234567.891, "en", 2) == "\u22121,234,567.89"
    assert fmt_pct(100 * 16263 / 16840, "vi") == "96,57%"  # Nghe An centre, May-Jun 2023
    assert fmt_date("2025-07-01", "vi") == "01/07/2025" and fmt_date("2025-07-01", "en") == "1 Jul 2025"
    assert fmt_date(None, "en") == MISSING and fmt_number(pd.NA, "vi") == MISSING
    assert quarter_label("2025Q3", "vi") == "Quý III/2025" and quarter_label("2025Q3", "en") == "Q3 2025"


def test_leadership_tables_have_no_raw_names_and_no_nan():
    """The tables the leadership report and notebook 07 show, on the bundled data, in both
    languages: every header translated, no NaN/None, missing shown as "—"."""
    import paranalysis
    from paranalysis import leadership as L
    from paranalysis.serviceindex import leadership as SL

    ds = paranalysis.load_dataset()
    q = ds.processing["period"].max()
    score, pub = SL.index_for()
    info = SL.section(score, published=pub, reconcile_with=ds.processing)
    for lang in LANGS:
        other = "en" if lang == "vi" else "vi"
        own_headers = {e[lang] for e in TRANSLATIONS.values()}
        other_only = {e[other] for e in TRANSLATIONS.values()} - own_headers
        tables = [L.headline_table(L.headline(ds, q), lang), SL.province_table(info, lang),
                  SL.communes_table(info, lang), SL.published_table(pub, lang)]
        for tab in tables:
            assert len(tab.columns) and not (set(tab.columns) & other_only), list(tab.columns)
            html = tab.to_html()
            assert not re.search(r">(NaN|None|<NA>|nan)<", html)
            assert not any(re.fullmatch(r"[a-z]+(_[a-z0-9]+)+", str(c)) for c in tab.columns)


# --- (e) a run is in one language -----------------------------------------------------------

def _unit_names() -> set[str]:
    import paranalysis
    from paranalysis.serviceindex import leadership as SL

    ds = paranalysis.load_dataset()
    names = set(ds.units["name_vi"].dropna()) | set(ds.units["short_name_vi"].dropna())
    names |= set(ds.facts["unit_name"].dropna())
    score, _ = SL.index_for()
    if score is not None:
        names |= set(score["unit_name"].dropna())
    return {str(n) for n in names}


@pytest.mark.slow
@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("notebook", [p.name for p in NOTEBOOKS])
def test_a_run_is_in_one_language(notebook, lang, tmp_path):
    """Run one notebook on the bundled data in ``lang`` and read its HTML page: no heading,
    paragraph, list item, table header or figure text in the other language, no raw column
    name, no NaN. (Slow: ``pytest -m slow tests/test_i18n_catalogue.py -k "05 and en"``.)"""
    from one_language import foreign_words

    from paranalysis.reporting import run_notebooks

    res = run_notebooks(out=tmp_path, lang=lang, notebooks=[ROOT / "notebooks" / notebook], progress=False,
                        workers=1)
    assert not res.failed, res.failed
    page = next(tmp_path.glob(notebook.replace(".ipynb", "") + "*.html"))
    words = foreign_words(page.read_text(encoding="utf-8"), lang, _unit_names())
    assert not words, f"{notebook} ({lang}): {sorted(set(words))[:40]}"


def test_the_fast_yaml_loader_reads_the_catalogue_exactly_as_the_safe_loader():
    import yaml
    from importlib import resources

    from paranalysis.i18n import catalogue

    text = resources.files("paranalysis").joinpath("resources/messages.yaml").read_text(encoding="utf-8")
    assert catalogue() == yaml.safe_load(text)
