"""Issue 16: user text is never rendered as Markdown or HTML. Every page of every role is drawn
over a data set whose free text is ``:red[大字]**粗体组**![x](http://attacker.invalid/g.png)<b>b</b>``;
no element that renders Markdown (text, captions, headings, alerts, metrics, labels, tabs,
expanders, radio options) may carry it unescaped."""

from __future__ import annotations

import pytest

from components.text import safe_md
from services.common import PAGES
from tests import poison
from tests.conftest import app_as, goto

# what must never reach a Markdown renderer as such (escaped, it reads \*\*粗体组\*\* …)
MARKS = ("**粗体组**", "![x](", ":red[大字]", "<b>")
# widgets whose value is the user's own input, and st.text / st.code and tables: plain text, never Markdown
PLAIN = {"TextInput", "TextArea", "Dataframe", "Selectbox", "Multiselect", "DateInput", "NumberInput", "Text", "Code"}


def _leaks(node, out: list) -> None:  # noqa: ANN001
    kind = type(node).__name__
    if kind not in PLAIN:
        for attr in ("value", "label", "body"):
            try:
                v = getattr(node, attr)
            except Exception:  # noqa: BLE001 - not every element has every attribute
                continue
            if isinstance(v, str) and any(m in v for m in MARKS):
                out.append((kind, attr, v[:60]))
        if kind == "Radio":
            out += [(kind, "option", o[:60]) for o in node.options if any(m in o for m in MARKS)]
    children = getattr(node, "children", None)
    if isinstance(children, dict):
        for child in children.values():
            _leaks(child, out)


@pytest.fixture(scope="module")
def poisoned(tmp_path_factory):
    return poison.build(tmp_path_factory.mktemp("poison_md"))


def test_safe_md_escapes_what_streamlit_would_render():
    shown = safe_md(poison.POISON)
    assert not any(m in shown for m in MARKS)
    assert safe_md("普通文字，（括号）！") == "普通文字，（括号）！"  # Chinese punctuation untouched


@pytest.mark.parametrize("role", ["admin", "staff", "supervisor", "leader"])
def test_no_page_renders_user_text_as_markdown(poisoned, monkeypatch, tmp_path, role):
    monkeypatch.setenv("DATABASE_URL", poisoned)
    monkeypatch.setenv("COOKIE_KEY_FILE", str(tmp_path / "cookie_key"))
    at = app_as(role)
    leaks, pages = {}, 0
    for key, (_title, roles) in PAGES.items():
        if role not in roles:
            continue
        goto(at, key)
        pages += 1
        assert not at.exception, (key, at.exception)
        found: list = []
        _leaks(at._tree, found)
        if found:
            leaks[key] = found
    print(f"{role}: {pages} pages over poisoned data")
    assert not leaks


# a flash message quoting user text: a file name, a record's title (issue 16)
FLASH = "已导入“:red[大字]**粗体组**![x](http://attacker.invalid/g.png)<b>b</b>.xlsx”"


def _flash_script() -> None:
    import streamlit as st

    from components.forms import show_flash

    for k, kind in (("a", "ok"), ("b", "info"), ("c", "err")):
        st.session_state[f"{k}__flash"] = (kind, "已导入“:red[大字]**粗体组**![x](http://attacker.invalid/g.png)<b>b</b>.xlsx”")
        show_flash(k)


def test_flash_messages_never_render_markdown():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_flash_script).run()
    shown = [e.value for e in (*at.success, *at.info, *at.error)]
    assert len(shown) == 3
    assert all(v == safe_md(FLASH) for v in shown), shown
    assert not [v for v in shown if any(m in v for m in MARKS)]


def test_message_boxes_take_user_text_only_through_components_text():
    """Every st.success / st.info / st.warning / st.error in pages, components and app.py is given
    a literal text, an f-string of the page's own wording or safe_md(...); any other text (a
    service message, a file name, a title) goes through components.text.alert, which escapes it."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    files = [*sorted((root / "pages").glob("*.py")), *sorted((root / "components").glob("*.py")), root / "app.py"]

    def literal(node) -> bool:  # noqa: ANN001
        if isinstance(node, ast.Constant | ast.JoinedStr):
            return True
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "safe_md":
            return True
        return isinstance(node, ast.BinOp) and literal(node.left) and literal(node.right)

    found = []
    for f in files:
        if f.name == "text.py":
            continue
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("success", "info", "warning", "error")
                    and isinstance(node.func.value, ast.Name) and node.args and not literal(node.args[0])):
                found.append(f"{f.name}:{node.lineno}")
    assert not found


def _selectable_tables() -> dict[str, list[str]]:
    """{page key: [table key, …]} of every list whose rows open a detail when selected
    (components.table.data_table(..., selectable=…)), read from the page files, so a new one is
    covered without touching this test."""
    import ast
    from pathlib import Path

    stems = {"workcalendar": "calendar"}
    out: dict[str, list[str]] = {}
    for f in sorted((Path(__file__).resolve().parent.parent / "pages").glob("*.py")):
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and getattr(node.func, "id", "") == "data_table"
                    and any(k.arg == "selectable" for k in node.keywords)
                    and node.args and isinstance(node.args[0], ast.Constant)):
                out.setdefault(stems.get(f.stem, f.stem), []).append(node.args[0].value)
    return out


@pytest.mark.parametrize("role", ["admin", "staff", "supervisor", "leader"])
def test_no_detail_view_renders_user_text_as_markdown(poisoned, monkeypatch, tmp_path, role):
    """The detail views that appear only after selecting a row in a list (a letter, an activity,
    a deputy, a user, a topic …): the first row of each list selected in turn."""
    monkeypatch.setenv("DATABASE_URL", poisoned)
    monkeypatch.setenv("COOKIE_KEY_FILE", str(tmp_path / "cookie_key"))
    tables = _selectable_tables()
    assert sum(len(v) for v in tables.values()) >= 15, tables
    at = app_as(role)
    leaks, opened = {}, 0
    for page, keys in tables.items():
        if role not in PAGES[page][1]:
            continue
        for key in keys:
            goto(at, page)
            at.session_state[f"{key}__grid"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
            at.run()
            assert not at.exception, (page, key, at.exception)
            opened += 1
            found: list = []
            _leaks(at._tree, found)
            if found:
                leaks[f"{page}/{key}"] = found
            at.session_state[f"{key}__grid"] = {"selection": {"rows": [], "columns": [], "cells": []}}
    print(f"{role}: {opened} detail views over poisoned data")
    assert opened and not leaks
