"""Small helpers every form uses: field errors beside fields, safe writes, confirmations.

The write pattern of every form that changes a record:

    it = intent("lt_step", letter_id, info["version"])       # when the form is drawn
    ...widgets...
    if st.button("确认办理", key=it.key("lt_go")):            # the button is named by the token
        run_write("lt_step", user, lambda s: svc.step(s, ..., expected_version=it.seen), "…", intent=it)

``intent`` keeps, in session_state, the version the form was drawn with and a token made at that
moment; the reruns of the same form (a widget changed, the click itself) reuse them, so the
version sent is the one the user saw, never one re-read in the rerun of the click. The button's
key carries the token: a click on a form already replaced (a double click arriving after the
first save redrew the page) names a button that no longer exists and does nothing, and a second
click on the same drawn form is refused by the service (``services.intents.claim``). After a save
or a refusal the next draw takes the current version and a new token; after bad input the
user's fields and the intent stay.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import streamlit as st

from components.text import alert
from services import intents
from services.common import DuplicateSubmit, ServiceError, StaleError, ValidationError


@dataclass(frozen=True)
class Intent:
    """What a drawn form carries: the record, the version it showed and its token."""

    slot: str
    record: object
    seen: int | None
    token: str

    def key(self, name: str) -> str:
        """The widget key of the form's submit button (new with every new token)."""
        return f"{name}_{self.token[:10]}"


def intent(form: str, record: object = None, version: int | None = None) -> Intent:
    """The intent of ``form`` on ``record``: made when the form is first drawn (the version it
    shows and a fresh token), reused by every rerun until a save or a refusal ends it."""
    slot = f"{form}__intent__{record}"
    cur = st.session_state.get(slot)
    if not cur:
        cur = {"seen": version, "token": intents.new_token()}
        st.session_state[slot] = cur
    return Intent(slot, record, cur["seen"], cur["token"])


def keep_drawn(it: Intent, keys: list[str]) -> None:
    """Remember the values the form's widgets ``keys`` had when the intent was made (the record as
    drawn). After a stale refusal the fields the user did not touch are reloaded from the record as
    it now is, the fields the user changed keep the user's input (``run_write``, ``reload_untouched``)."""
    cur = st.session_state.get(it.slot)
    if cur is not None and "drawn" not in cur:
        cur["drawn"] = {k: st.session_state.get(k) for k in keys}


def reload_untouched(it: Intent | None) -> None:
    """Drop the widget state of fields still as drawn (``keep_drawn``): they refill from the
    current record. Called after a stale refusal, so a retry never re-sends a drawn value the
    user did not choose over someone else's change."""
    cur = st.session_state.get(it.slot) if it is not None else None
    for k, v in ((cur or {}).get("drawn") or {}).items():
        if k in st.session_state and st.session_state[k] == v:
            del st.session_state[k]


def end_intent(it: Intent | None) -> None:
    """Forget a form's intent: the next draw reads the current version with a new token."""
    if it is not None:
        st.session_state.pop(it.slot, None)


def errors_of(key: str) -> dict[str, str]:
    """Return the field errors the last failed save of this form left (shown beside each field)."""
    return st.session_state.get(f"{key}__errors", {})


def field_error(key: str, name: str) -> None:
    """Show the error of one field right below it (nothing when it has none)."""
    msg = errors_of(key).get(name)
    if msg:
        alert("error", msg, icon="⚠️")


def show_flash(key: str) -> None:
    """Show, once, the message a previous save of this form left (success or failure)."""
    msg = st.session_state.pop(f"{key}__flash", None)
    if msg:
        kind, text = msg
        alert({"ok": "success", "info": "info"}.get(kind, "error"), text)  # may quote user text


def run_write(key: str, actor_name: str, fn: Callable[[Any], Any], success: str | None = None,
              *, rerun: bool = True, intent: Intent | None = None) -> Any:
    """Run ``fn(session)`` in one transaction (``services.intents.submit``: a lost database race
    is retried, never shown as an error); with ``intent`` its token is claimed in the same
    transaction (a second submit of the same drawn form stores nothing).

    On success: the ``success`` message is kept for ``show_flash``; with ``rerun`` the page reruns
    so lists show the change, else fn's result is returned to the caller. On a ServiceError
    nothing is written: the field errors are kept for ``field_error`` and the page reruns with the
    user's input still in the fields (a stale version or a repeated submit also ends the intent,
    so the page shows the current record and the next submit is judged against it).
    """
    st.session_state[f"{key}__errors"] = {}
    try:
        result = intents.submit(actor_name, fn, token=intent.token if intent else None, form=key)
    except ValidationError as exc:
        st.session_state[f"{key}__errors"] = exc.errors
        st.session_state[f"{key}__flash"] = ("err", "未保存，请按提示修改：" + "；".join(exc.errors.values()))
        st.rerun()
    except DuplicateSubmit as exc:
        end_intent(intent)
        st.session_state[f"{key}__flash"] = ("info", str(exc))
        st.rerun()
    except StaleError as exc:
        reload_untouched(intent)
        end_intent(intent)
        st.session_state[f"{key}__flash"] = ("err", str(exc))
        st.rerun()
    except ServiceError as exc:
        st.session_state[f"{key}__flash"] = ("err", str(exc))
        st.rerun()
    end_intent(intent)
    if success:
        st.session_state[f"{key}__flash"] = ("ok", success)
    if rerun:
        st.rerun()
    return result


def confirm_button(label: str, it: Intent, name: str, message: str, *, ask: bool = True) -> bool:
    """A decision that matters: the first click shows ``message`` (what will be stored) with
    确认 / 取消; 确认 returns True. Both buttons carry the form's token (a double click on 确认
    stores once). With ``ask`` False it is a plain submit button."""
    if not ask:
        return st.button(label, key=it.key(name), type="primary")
    flag = f"{it.slot}__ask"
    if st.button(label, key=it.key(name), type="primary"):
        st.session_state[flag] = True
    if st.session_state.get(flag):
        alert("warning", message)
        c1, c2 = st.columns(2)
        if c1.button("确认", key=it.key(f"{name}_yes"), type="primary"):
            st.session_state.pop(flag, None)
            return True
        if c2.button("取消", key=it.key(f"{name}_no")):
            st.session_state.pop(flag, None)
            st.rerun()
    return False


def confirm(key: str, label: str, message: str) -> bool:
    """A two-step destructive action: the first click asks, 确认 returns True."""
    ask = f"{key}__ask"
    if st.button(label, key=f"{key}__btn"):
        st.session_state[ask] = True
    if st.session_state.get(ask):
        alert("warning", message)
        c1, c2 = st.columns(2)
        if c1.button("确认", key=f"{key}__yes", type="primary"):
            st.session_state[ask] = False
            return True
        if c2.button("取消", key=f"{key}__no"):
            st.session_state[ask] = False
            st.rerun()
    return False
