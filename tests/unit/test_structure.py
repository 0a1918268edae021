"""The code's shape (issue 9), checked over the whole tree with Python's ast, so a new file is covered as it lands:
short functions, thin pages, no numpy in pages, no threads or Streamlit in the engine, no private Streamlit API."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MAX_FUNCTION_LINES = 40
MAX_PAGE_LINES = 200
SKIP = {".venv", ".git", "__pycache__", "node_modules"}


def py_files(*folders: str) -> list[Path]:
    """Every .py file under the folders (or the whole repo without arguments), outside virtualenvs and caches."""
    roots = [ROOT / f for f in folders] if folders else [ROOT]
    return sorted(p for r in roots for p in r.rglob("*.py") if not SKIP & set(p.relative_to(ROOT).parts))


def rel(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else path.name


def tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def long_functions(paths: list[Path]) -> list[str]:
    """'file:line name (n lines)' for every function or method longer than the limit, docstring and decorators in."""
    out = []
    for path in paths:
        for node in ast.walk(tree(path)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                start = min([node.lineno] + [d.lineno for d in node.decorator_list])
                n = node.end_lineno - start + 1
                if n > MAX_FUNCTION_LINES:
                    out.append(f"{rel(path)}:{node.lineno} {node.name} ({n} lines)")
    return out


def imported_modules(path: Path) -> set[str]:
    """Top-level names of every module the file imports (``import a.b`` and ``from a.b import c`` give ``a``)."""
    names = set()
    for node in ast.walk(tree(path)):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def streamlit_names(module: ast.Module) -> set[str]:
    """Local names bound to Streamlit or to anything imported from it (``st``, ``AppTest``, ``get_session_state``)."""
    names = set()
    for node in ast.walk(module):
        if isinstance(node, ast.Import):
            names |= {a.asname or a.name.split(".")[0] for a in node.names if a.name.split(".")[0] == "streamlit"}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "streamlit":
            names |= {a.asname or a.name for a in node.names}
    return names


def private_streamlit_uses(path: Path) -> list[str]:
    """'file:line expr' wherever a private attribute (``._x``, not dunder) is read from a Streamlit object."""
    module = tree(path)
    roots, out = streamlit_names(module), []
    for node in ast.walk(module):
        if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
            base = node.value
            while isinstance(base, (ast.Attribute, ast.Call, ast.Subscript)):
                base = base.func if isinstance(base, ast.Call) else base.value
            if isinstance(base, ast.Name) and base.id in roots:
                out.append(f"{rel(path)}:{node.lineno} {ast.unparse(node)}")
    return out


def test_no_function_longer_than_40_lines_in_engine_lab_and_pages():
    assert not long_functions(py_files("gru_core", "lab", "pages")), "\n".join(
        long_functions(py_files("gru_core", "lab", "pages")))


def test_no_page_file_longer_than_200_lines():
    long = {p.name: n for p in py_files("pages") if (n := len(p.read_text().splitlines())) > MAX_PAGE_LINES}
    assert not long, long


def test_pages_do_not_import_numpy():
    assert not [p.name for p in py_files("pages") if "numpy" in imported_modules(p)]


def test_engine_has_no_threads_and_no_streamlit():
    banned = {"threading", "_thread", "concurrent", "multiprocessing", "streamlit"}
    found = {str(p.relative_to(ROOT)): sorted(imported_modules(p) & banned) for p in py_files("gru_core")}
    assert not {k: v for k, v in found.items() if v}


def test_no_private_streamlit_attribute_anywhere():
    uses = [u for p in py_files() for u in private_streamlit_uses(p) if not u.startswith("tests/unit/test_structure")]
    assert not uses, "\n".join(uses)


def test_the_checks_see_what_they_look_for(tmp_path):
    """The detectors themselves: a long function, a numpy import and a private Streamlit read are found."""
    src = tmp_path / "x.py"
    src.write_text("import numpy as np\nimport streamlit as st\n\ndef f():\n" + "    x = 1\n" * 41
                   + "    return st.query_params._query_params\n")
    assert long_functions([src]) == ["x.py:4 f (43 lines)"]
    assert "numpy" in imported_modules(src)
    assert private_streamlit_uses(src) == ["x.py:46 st.query_params._query_params"]


def _docstrings(t: ast.Module) -> set[int]:
    """ids of the docstring nodes of a module, its classes and functions."""
    out = set()
    for node in ast.walk(t):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                out.add(id(first.value))
    return out


def server_words(paths: list[Path]) -> list[str]:
    """'file:line text' for every string a page can show (not a docstring, not a log line) that speaks of the
    server or "here": the machine the lab runs on is not what a student is learning about."""
    out = []
    for path in paths:
        t = tree(path)
        skip = _docstrings(t) | {id(a) for n in ast.walk(t) if isinstance(n, ast.Call)
                                 and getattr(n.func, "attr", "") in {"info", "debug", "warning", "error"}
                                 and getattr(n.func.value, "id", "") == "_LOG" for a in ast.walk(n)}
        for node in ast.walk(t):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
                low = node.value.lower()
                if "server" in low or "training here" in low or "this machine" in low:
                    out.append(f"{rel(path)}:{node.lineno} {node.value[:60]!r}")
    return out


def test_no_page_text_speaks_of_the_server_or_the_machine():
    assert server_words(py_files("pages", "lab/models")) == []
