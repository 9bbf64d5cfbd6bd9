"""The 承办单位 picker: a searchable choice from the directory (name or pinyin initials), with
“新增承办单位” inline for those who may add one (admin, staff)."""

from __future__ import annotations

import streamlit as st

from components.text import alert
from db.engine import session_scope
from services import bodies
from services.common import Actor, ValidationError


def body_picker(actor: Actor, key: str, label: str = "承办单位", current: int | None = None, *,
                allow_add: bool = True) -> int | None:
    """A selectbox of the active bodies (typing 区教 or qjy finds 区教育局); returns the chosen id.

    A body added inline is chosen at once. Nothing is written unless 新增 is clicked. Inside an
    ``st.form`` (no buttons allowed) pass ``allow_add=False``."""
    with session_scope(actor.username) as s:
        opts = bodies.options(s)
    added = st.session_state.pop(f"{key}__added", None)
    if added in opts:
        st.session_state[key] = added
    ids = list(opts)
    index = ids.index(current) if current in opts and key not in st.session_state else None
    chosen = st.selectbox(label, ids, format_func=lambda i: opts.get(i, str(i)), index=index, key=key,
                          placeholder="输入单位名称或拼音首字母搜索",
                          help="承办单位须为名录中的机关或单位；代表不自行处理问题，不能填写代表本人或个人（R3）。")
    if allow_add and actor.can_write("body"):
        with st.popover("名录中没有？新增承办单位"):
            name = st.text_input("单位名称", key=f"{key}_new_name", max_chars=128)
            kind = st.selectbox("单位类别", bodies.KINDS, key=f"{key}_new_kind")
            err = st.session_state.pop(f"{key}__adderr", None)
            if err:
                alert("error", err)
            if st.button("新增并选用", key=f"{key}_new_add"):
                try:
                    with session_scope(actor.username) as s:
                        new_id = bodies.add_body(s, actor, {"name": name, "kind": kind}).id
                except ValidationError as exc:
                    with session_scope(actor.username) as s:
                        same = bodies.find(s, name) if name and name.strip() else None
                    if same is not None and same.active and same.name == name.strip():
                        st.session_state[f"{key}__added"] = same.id  # a second click: the body is there
                    else:
                        st.session_state[f"{key}__adderr"] = "未新增：" + "；".join(exc.errors.values())
                else:
                    st.session_state[f"{key}__added"] = new_id
                st.rerun()
    return chosen
