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
