"""The one component that shows a lifecycle as a timeline (letters, opinions, proposals...)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

import streamlit as st

from components.text import safe_md


@dataclass
class Step:
    """One step of a lifecycle: what, when, who, and a note."""

    title: str
    when: date | datetime | None
    who: str = ""
    note: str = ""
    muted: bool = False  # e.g. an undone step


def _when(v: date | datetime | None) -> str:
    """Write a step's time as 2026-03-05 (with hh:mm for datetimes)."""
    if v is None:
        return ""
    if isinstance(v, datetime):
        return v.strftime("%Y-%m-%d %H:%M")
    return v.strftime("%Y-%m-%d")


def timeline(steps: Sequence[Step], *, empty: str = "暂无办理记录。") -> None:
    """Draw the steps top to bottom; user text is shown with st.text, never as HTML."""
    if not steps:
        st.caption(empty)
        return
    for i, step in enumerate(steps):
        marker = "○" if step.muted else ("●" if i == len(steps) - 1 else "•")
        cols = st.columns([1, 9])
        with cols[0]:
            st.text(marker)
        with cols[1]:
            head = f"{step.title}（已撤销）" if step.muted else step.title
            st.text(f"{head}　{_when(step.when)}　{step.who}")
            if step.note:
                st.caption(safe_md(step.note.replace("\n", " ")[:500]))
