"""Showing user text (letters, notes) safely inside Markdown-rendering widgets."""

from __future__ import annotations

import re

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def safe_md(text: object) -> str:
    """Escape Markdown and HTML in user text so st.markdown/st.caption show it literally."""
    return _MD_SPECIAL.sub(r"\\\1", str(text or ""))
