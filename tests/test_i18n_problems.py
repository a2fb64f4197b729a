"""Every fault the package reports names what was expected in words of the catalogue
(``Problem(expected=Message(...))``), so that a page in Vietnamese shows it in Vietnamese
and the command line keeps its English; no English literal is written into a Problem or a
DataError. NOT_YET lists modules that still hold literals (none since 4 Dec 2026)."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "paranalysis"

NOT_YET: set[str] = set()  # every module converted (4 Dec 2026)


def _is_text(node) -> bool:
    """A string literal, an f-string, or an expression that joins or chooses one."""
    if isinstance(node, ast.JoinedStr) or (isinstance(node, ast.Constant) and isinstance(node.value, str)):
        return True
    if isinstance(node, ast.BinOp):
        return _is_text(node.left) or _is_text(node.right)
    if isinstance(node, ast.IfExp):
        return _is_text(node.body) or _is_text(node.orelse)
    return False


def literal_texts(path: Path) -> list[int]:
    """Lines of ``path`` where a Problem's ``expected`` or a DataError's text is an English literal."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
        if name == "Problem":
            lines += [node.lineno for kw in node.keywords if kw.arg == "expected" and _is_text(kw.value)]
        elif name == "DataError" and node.args and _is_text(node.args[0]):
            lines.append(node.lineno)
    return lines


def _has_words(node) -> bool:
    """A literal holding a phrase (two letters or more, and a space): not a code, a column
    name or a path."""
    import re

    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        parts = [node.value]
    elif isinstance(node, ast.JoinedStr):
        parts = [v.value for v in node.values if isinstance(v, ast.Constant)]
    elif isinstance(node, ast.BinOp):
        return _has_words(node.left) or _has_words(node.right)
    else:
        return False
    text = "".join(parts)
    return " " in text and re.search(r"[^\W\d_]{2,}", text) is not None


#: phrases the same in both languages: a protocol's status line, a list of column headers
NEUTRAL_PHRASES = {"f'HTTP {exc.code} {exc.reason}'", "'MA_COQUAN, TONG_SCORE'"}


def worded_places(path: Path) -> list[int]:
    """Lines of ``path`` where a Problem's value found or file is an English phrase."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and (getattr(node.func, "id", None) or getattr(node.func, "attr", None)) == "Problem":
            lines += [node.lineno for kw in node.keywords if kw.arg in ("value", "file", "sheet", "column")
                      and _has_words(kw.value) and ast.unparse(kw.value) not in NEUTRAL_PHRASES]
    return lines


def test_no_value_found_or_place_is_an_english_phrase():
    found = {p.relative_to(SRC).as_posix(): worded_places(p) for p in sorted(SRC.rglob("*.py")) if worded_places(p)}
    assert found == {}, f"write these as Message('problem.value....') with a Vietnamese text: {found}"


def test_problems_table_shows_the_value_found_and_a_table_named_in_words_in_the_readers_language():
    from paranalysis import DataError
    from paranalysis.errors import Problem
    from paranalysis.i18n import Message
    from paranalysis.overview import problems_table

    err = DataError([Problem(file=Message("problem.value.rankings_table"), column="unit_code", value="40",
                             expected=Message("problem.data.unit_code")),
                     Problem(file="/home/someone/du_lieu/bang.csv", row=7, value=Message("problem.value.fields", n=3),
                             expected=Message("problem.rec.field_count", width=5))])
    assert str(err.problems[1]).startswith("file '/home/someone/du_lieu/bang.csv', row 7: found '3 fields'; expected")
    vi = problems_table(err, "vi").to_string()
    assert "bảng xếp hạng" in vi and "3 trường" in vi and "bang.csv" in vi and "/home/someone" not in vi
    assert "rankings table" not in vi and "3 fields" not in vi
    en = problems_table(err, "en").to_string()
    assert "rankings table" in en and "3 fields" in en


def test_no_problem_is_written_as_an_english_literal():
    found = {}
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        if rel not in NOT_YET and literal_texts(path):
            found[rel] = literal_texts(path)
    assert found == {}, f"write these as Message('problem....') with a Vietnamese text in messages.yaml: {found}"


def test_the_modules_still_to_convert_are_listed_only_while_they_hold_literals():
    done = sorted(rel for rel in NOT_YET if not literal_texts(SRC / rel))
    assert done == [], f"converted: remove from NOT_YET: {done}"


def test_the_scan_finds_the_forms_it_must():
    import tempfile

    code = ('Problem(file=f, expected="a number")\nProblem(expected=f"a date after {d}")\n'
            'DataError("no such folder")\nProblem(expected="x" + y)\nProblem(expected=Message("k"))\n'
            'DataError([Problem(expected=M)])\n')
    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / "m.py"
        p.write_text(code, encoding="utf-8")
        assert literal_texts(p) == [1, 2, 3, 4]
        p.write_text('Problem(value="a folder")\nProblem(value=f"{n} bytes")\nProblem(value="40", column="so_ho_so")\n'
                     'Problem(file=f"{root}/{name}")\nProblem(column="period argument")\n', encoding="utf-8")
        assert worded_places(p) == [1, 2, 5]
