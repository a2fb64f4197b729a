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
