"""Small helpers every form uses: field errors beside fields, safe writes, confirmations."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from db.engine import session_scope
from services.common import ServiceError, ValidationError


def errors_of(key: str) -> dict[str, str]:
    """Return the field errors the last failed save of this form left (shown beside each field)."""
    return st.session_state.get(f"{key}__errors", {})


def field_error(key: str, name: str) -> None:
    """Show the error of one field right below it (nothing when it has none)."""
    msg = errors_of(key).get(name)
    if msg:
        st.error(msg, icon="⚠️")


def show_flash(key: str) -> None:
    """Show, once, the message a previous save of this form left (success or failure)."""
    msg = st.session_state.pop(f"{key}__flash", None)
    if msg:
        kind, text = msg
        (st.success if kind == "ok" else st.error)(text)


def run_write(key: str, actor_name: str, fn: Callable[[Any], Any], success: str | None = None,
              *, rerun: bool = True) -> Any:
    """Run ``fn(session)`` in one transaction.

    On success: the ``success`` message is kept for ``show_flash``; with ``rerun`` the page reruns
    so lists show the change, else fn's result is returned to the caller. On a ServiceError
    nothing is written: the field errors are kept for ``field_error`` and the page reruns with the
    user's input still in the fields.
    """
    st.session_state[f"{key}__errors"] = {}
    try:
        with session_scope(actor_name) as s:
            result = fn(s)
    except ValidationError as exc:
        st.session_state[f"{key}__errors"] = exc.errors
        st.session_state[f"{key}__flash"] = ("err", "未保存，请按提示修改：" + "；".join(exc.errors.values()))
        st.rerun()
    except ServiceError as exc:
        st.session_state[f"{key}__flash"] = ("err", str(exc))
        st.rerun()
    if success:
        st.session_state[f"{key}__flash"] = ("ok", success)
    if rerun:
        st.rerun()
    return result


def confirm(key: str, label: str, message: str) -> bool:
    """A two-step destructive action: the first click asks, 确认 returns True."""
    ask = f"{key}__ask"
    if st.button(label, key=f"{key}__btn"):
        st.session_state[ask] = True
    if st.session_state.get(ask):
        st.warning(message)
        c1, c2 = st.columns(2)
        if c1.button("确认", key=f"{key}__yes", type="primary"):
            st.session_state[ask] = False
            return True
        if c2.button("取消", key=f"{key}__no"):
            st.session_state[ask] = False
            st.rerun()
    return False
