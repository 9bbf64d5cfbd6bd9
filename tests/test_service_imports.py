"""The services import each other without cycles, never import Streamlit, and 工作台 lists the
areas it collects figures from explicitly (a module that does not import is an error)."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys

from tests.conftest import ROOT

SERVICES = ROOT / "services"
MODULES = sorted(p.stem for p in SERVICES.glob("*.py") if p.stem != "__init__")


def imports_of(path) -> set[str]:  # noqa: ANN001
    """The modules of ``services`` that a file imports, anywhere in it (top level or inside a
    function): ``from services import x``, ``from services.x import y``, ``import services.x``."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "services":
                out |= {a.name for a in node.names}
            elif node.module.startswith("services."):
                out.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            out |= {a.name.split(".")[1] for a in node.names if a.name.startswith("services.")}
    return out & set(MODULES)


def graph() -> dict[str, set[str]]:
    """module -> the services modules it imports."""
    return {m: imports_of(SERVICES / f"{m}.py") - {m} for m in MODULES}


def cycles(g: dict[str, set[str]]) -> list[list[str]]:
    """Every cycle found by a depth-first search (each as a path that returns to its start)."""
    found: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(u: str) -> None:
        state[u] = 1
        stack.append(u)
        for v in sorted(g[u]):
            if state.get(v) == 1:
                found.append(stack[stack.index(v):] + [v])
            elif v not in state:
                visit(v)
        stack.pop()
        state[u] = 2

    for u in sorted(g):
        if u not in state:
            visit(u)
    return found


def test_every_services_module_imports() -> None:
    """Each module of services/ imports on its own (a broken import fails here, by name)."""
    for name in MODULES:
        importlib.import_module(f"services.{name}")


def test_no_import_cycle_among_services() -> None:
    """No chain of imports leads from a services module back to itself (letters ↔ quarterly was one)."""
    g = graph()
    assert "letters" in g["quarterly"]  # quarterly uses the letters' overdue clock
    assert "quarterly" not in g["letters"]  # and letters no longer needs quarterly for a figure
    assert cycles(g) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    """The checker itself: a two-module and a three-module cycle are reported."""
    assert cycles({"a": {"b"}, "b": {"a"}}) == [["a", "b", "a"]]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_services_never_import_streamlit() -> None:
    """The rules run in a plain Python shell: no services module imports streamlit."""
    offenders = []
    for name in MODULES:
        tree = ast.parse((SERVICES / f"{name}.py").read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            if any(n == "streamlit" or n.startswith("streamlit.") for n in names):
                offenders.append(name)
    assert offenders == []


def test_dashboard_lists_every_module_that_has_figures() -> None:
    """工作台's SOURCES name exactly the services modules that define figures(), each once."""
    from services import dashboard

    listed = [m.__name__.split(".")[1] for m, _area in dashboard.SOURCES]
    assert len(listed) == len(set(listed))
    having = {n for n in MODULES if n != "dashboard" and hasattr(importlib.import_module(f"services.{n}"), "figures")}
    assert set(listed) == having
    assert all(area for _m, area in dashboard.SOURCES)  # each area has a Chinese name for its error tile


def test_a_missing_area_module_is_an_import_error() -> None:
    """If an area's module cannot be imported, 工作台 does not import either (no silently missing tile)."""
    code = ("import sys; sys.modules['services.hotissues'] = None\n"
            "try:\n    import services.dashboard\nexcept ImportError as exc:\n    print('IMPORT ERROR', exc)\n"
            "else:\n    print('IMPORTED')\n")
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                       check=False)
    assert r.returncode == 0, r.stderr
    assert "IMPORT ERROR" in r.stdout and "hotissues" in r.stdout
