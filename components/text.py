"""Showing user text (letters, notes) safely inside Markdown-rendering widgets."""

from __future__ import annotations

import re

# what Markdown (and Streamlit's :color[…] / :material/…: directives, $math$, HTML) reads anywhere
_MD_ANYWHERE = re.compile(r"([\\`*_{}\[\]<>~$:|!])")
# what it reads only at the start of a line: headings, lists, rules, setext underlines, 1. / 1)
_MD_LINE_START = re.compile(r"(?m)^([ \t]*)([#+\-=])(?=[ \t#+\-=]|$)")
_MD_NUMBERED = re.compile(r"(?m)^([ \t]*\d+)([.)])(?=[ \t]|$)")


def safe_md(text: object) -> str:
    """Escape Markdown and HTML in user text so st.markdown/st.caption/alerts show it literally.

    Characters that only mean something at the start of a line (# - + = and "1.") are escaped
    only there, so 14.3%, wang.li, XF2026-000123 and (括号) read the same raw and rendered."""
    out = _MD_ANYWHERE.sub(r"\\\1", str(text or ""))
    out = _MD_LINE_START.sub(r"\1\\\2", out)
    return _MD_NUMBERED.sub(r"\1\\\2", out)


ALERT_KINDS = ("success", "info", "warning", "error")


def alert(kind: str, text: object, *, where: object = None, **kwargs: object) -> None:
    """Show a message box (``kind``: success / info / warning / error) whose text may carry user
    text — a file name, a record's title, a name, a service message that quotes them — never
    rendered as Markdown or HTML. ``where``: a placeholder (st.empty()) or container, else the page."""
    import streamlit as st

    if kind not in ALERT_KINDS:
        raise ValueError(kind)
    getattr(where if where is not None else st, kind)(safe_md(text), **kwargs)
