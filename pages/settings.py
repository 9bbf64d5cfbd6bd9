"""系统设置: 管理员查看和修改各项规则使用的参数（办理时限、比例、门槛、可选项）。"""

from __future__ import annotations

import copy

import streamlit as st

from components.forms import (
    Intent,
    confirm_button,
    end_intent,
    errors_of,
    field_error,
    intent,
    keep_drawn,
    reload_untouched,
    show_flash,
)
from components.guard import require_page
from components.text import safe_md
from db.engine import session_scope
from services import intents
from services import setting_changes as changes
from services import settings as svc
from services.common import Actor, DuplicateSubmit, ServiceError, ValidationError
from services.states import GroupGrade, values

Kind = svc.Kind


def _init(key: str, value: object) -> str:
    """Give a widget its first value (the value the admin saw) unless it already has one; return its key."""
    if key not in st.session_state:
        st.session_state[key] = value
    return key


def _pct(share: object) -> float:
    """A stored share as the percentage the form shows."""
    return round(float(share) * 100, 2)


def _share(pct: object) -> float | None:
    """A percentage typed in the form as the stored share."""
    return None if pct is None else round(float(pct) / 100, 6)


def _inputs(spec: svc.Spec, prefix: str, seen: object) -> object:
    """The fields of one setting's form, first filled with ``seen``; return the value they propose."""
    k = f"{prefix}__in"
    if spec.kind == Kind.WHOLE:
        v = st.number_input(f"新值（{spec.unit}）", step=1, key=_init(k, int(seen)))
        field_error(prefix, "value")
        return v
    if spec.kind == Kind.SHARE:
        v = st.number_input("新值（%）", step=1.0, format="%.1f", key=_init(k, _pct(seen)))
        field_error(prefix, "value")
        return _share(v)
    if spec.kind == Kind.YES_NO:
        v = st.radio("新值", ["是", "否"], horizontal=True, key=_init(k, "是" if seen else "否"))
        field_error(prefix, "value")
        return v == "是"
    if spec.kind == Kind.WORDS:
        text = st.text_area("选项（每行一项）", key=_init(k, "\n".join(seen)), height=220)
        field_error(prefix, "value")
        return [line for line in text.splitlines() if line.strip()]
    if spec.kind == Kind.LETTER_DEADLINES:
        out = {}
        for col, (part, name) in zip(st.columns(len(svc.DEADLINE_PARTS)), svc.DEADLINE_PARTS.items(), strict=True):
            with col:
                out[part] = st.number_input(f"{name}（工作日）", step=1, key=_init(f"{k}_{part}", int(seen[part])))
                field_error(prefix, part)
        st.caption("转办时限从首次答复来信人之日起算，其余从收信之日起算；暂停计时的天数顺延。")
        return out
    if spec.kind == Kind.SHARE_BAND:
        out = {}
        for col, (part, name) in zip(st.columns(2), svc.BAND_PARTS.items(), strict=True):
            with col:
                out[part] = _share(st.number_input(f"{name}（%）", step=1.0, format="%.1f",
                                                   key=_init(f"{k}_{part}", _pct(seen[part]))))
                field_error(prefix, part)
        return out
    if spec.kind == Kind.GRADE_BANDS:
        bands = list(seen)
        out = []
        for i, (col, band) in enumerate(zip(st.columns(len(bands)), bands, strict=True)):
            with col:
                last = i == len(bands) - 1
                pct = st.number_input(f"{band['grade']}：满意率下限（%）", step=1.0, format="%.1f", disabled=last,
                                      key=_init(f"{k}_min{i}", _pct(band["min"])),
                                      help="最低一档固定为 0%" if last else None)
                field_error(prefix, f"min{i}")
                field_error(prefix, f"grade{i}")
            out.append({"min": _share(pct), "grade": band["grade"]})
        field_error(prefix, "value")
        return out
    if spec.kind == Kind.SPOTCHECK_RULE:
        bands = {b["grade"]: b for b in seen.get("bands", [])}
        limits = {}
        cols = st.columns(4)
        for col, name in zip(cols, ("excellent_basic", "excellent_fail", "pass_basic", "pass_fail"), strict=True):
            grade = GroupGrade.EXCELLENT if name.startswith("excellent") else GroupGrade.PASS
            part = "max_basic" if name.endswith("basic") else "max_fail"
            with col:
                limits[name] = st.number_input(svc.RULE_PARTS[name], step=1,
                                               key=_init(f"{k}_{name}", int(bands.get(grade, {}).get(part, 0))))
                field_error(prefix, name)
        c1, c2 = st.columns(2)
        with c1:
            days = st.number_input(svc.RULE_PARTS["rectify_days"], step=1,
                                   key=_init(f"{k}_rectify_days", int(seen.get("rectify_days", 30))))
            field_error(prefix, "rectify_days")
        with c2:
            grades = values(GroupGrade)
            empty = st.selectbox(svc.RULE_PARTS["empty"], grades,
                                 key=_init(f"{k}_empty", seen.get("empty", GroupGrade.RECTIFY)))
            field_error(prefix, "empty")
        return {"bands": [{"grade": str(GroupGrade.EXCELLENT), "max_basic": limits["excellent_basic"],
                           "max_fail": limits["excellent_fail"]},
                          {"grade": str(GroupGrade.PASS), "max_basic": limits["pass_basic"],
                           "max_fail": limits["pass_fail"]}],
                "otherwise": str(GroupGrade.RECTIFY), "empty": empty, "rectify_days": days}
    raise ValueError(spec.kind)


def _forget(prefix: str) -> None:
    """Drop the form's state (fields, the value seen, a pending confirmation) so it refills from the database."""
    for key in [k for k in st.session_state if str(k).startswith(f"{prefix}_")]:
        del st.session_state[key]


def _write(prefix: str, actor: Actor, fn, it: Intent) -> None:  # noqa: ANN001
    """Run a save in one transaction, claiming the form's token (a double click saves once), and
    rerun with its message beside the setting.

    Refused: the errors go beside the fields and the admin's input stays. Stale (the value the
    form was drawn with is no longer the stored one): the message says what the setting is now,
    who changed it and when; the form keeps the admin's input and now counts as opened on the
    new value, with a new token (a second 保存 is a deliberate overwrite).
    """
    st.session_state[f"{prefix}__errors"] = {}
    st.session_state.pop(f"{prefix}__pending", None)
    try:  # a lost database race is retried, never shown
        saved = intents.submit(actor.username, fn, token=it.token, form=prefix)
    except ValidationError as exc:
        st.session_state[f"{prefix}__errors"] = exc.errors
        st.session_state[f"{prefix}__flash"] = ("err", "未保存，请按提示修改：" + "；".join(exc.errors.values()))
        st.rerun()
    except DuplicateSubmit as exc:
        end_intent(it)
        st.session_state[f"{prefix}__flash"] = ("info", str(exc))
        st.rerun()
    except changes.StaleSetting as exc:
        reload_untouched(it)  # parts the admin did not change refill from the value now stored
        end_intent(it)
        st.session_state[f"{prefix}__seen"] = exc.current
        st.session_state[f"{prefix}__flash"] = ("err", str(exc))
        st.rerun()
    except ServiceError as exc:
        st.session_state[f"{prefix}__flash"] = ("err", str(exc))
        st.rerun()
    # figures cached in this process were computed with the old value; other processes key their
    # caches by the data version, which the save moved on
    st.cache_data.clear()
    _forget(prefix)
    if saved.changed:
        st.session_state[f"{prefix}__flash"] = ("ok", saved.message())
    else:  # nothing to do; a double click's second save must not hide the first one's message
        st.session_state.setdefault(f"{prefix}__flash", ("ok", saved.message()))
    st.rerun()


def _recompute_note(spec: svc.Spec, n: int | None) -> str:
    """The sentence of a confirmation that says what the change recomputes."""
    if changes.hook(spec.key) is None or n is None:
        return ""
    return changes.hook(spec.key).note(n)


def _setting(actor: Actor, entry: svc.Entry) -> None:
    """One setting: meaning, unit, range, value now, default; its form and 恢复默认值."""
    spec = entry.spec
    prefix = f"set_{spec.key}"
    # the value the form was drawn with (its "version": a save over another value is refused) and
    # the form's token (components.forms.intent: one save per drawn form)
    seen = st.session_state.setdefault(f"{prefix}__seen", copy.deepcopy(entry.value))
    it = intent(prefix, spec.key)
    with st.container(border=True):
        st.subheader(spec.label)
        st.markdown(safe_md(spec.meaning))
        st.markdown(f"**当前值**：{safe_md(svc.describe(spec.key, entry.value))}"
                    + ("（默认值）" if entry.is_default else ""))
        st.caption(safe_md(f"单位：{spec.unit or '—'}；允许范围：{spec.allowed()}"))
        st.caption(safe_md(f"默认值：{svc.describe(spec.key, spec.default)}。依据：{spec.reason}"))
        if entry.changed_by and entry.changed_at:
            st.caption(safe_md(f"上次修改：{entry.changed_by}，{entry.changed_at:%Y-%m-%d %H:%M}"))
        show_flash(prefix)
        if not svc.same(seen, entry.value):
            st.warning("您打开本页后，此设置已被他人修改（当前值见上）；下面的表单仍是您打开时的值，保存时将被拒绝。")
            if st.button("按当前值重新填写", key=f"{prefix}__reload"):
                _forget(prefix)
                st.rerun()
        pending = st.session_state.get(f"{prefix}__pending")
        with st.expander("修改", expanded=bool(errors_of(prefix)) or pending is not None):
            with st.form(f"{prefix}__form"):
                proposed = _inputs(spec, prefix, seen)
                keep_drawn(it, [k for k in st.session_state if str(k).startswith(f"{prefix}__in")])
                submitted = st.form_submit_button("保存", type="primary", key=it.key(f"{prefix}__save"))
            if submitted:
                _submit(actor, spec, prefix, seen, proposed, it)
            if pending is not None:
                _confirm_pending(actor, spec, prefix, seen, pending, it)
        if not entry.is_default:
            with session_scope(actor.username) as s:
                n = changes.pending_recount(s, spec.key)
            message = (f"确定将“{spec.label}”恢复为默认值（{svc.describe(spec.key, spec.default)}）吗？"
                       + _recompute_note(spec, n) + "此操作记入操作日志。")
            if confirm_button("恢复默认值", it, f"{prefix}__restore", message):
                _write(prefix, actor, lambda s: changes.restore_default(s, actor, spec.key, seen), it)


def _submit(actor: Actor, spec: svc.Spec, prefix: str, seen: object, proposed: object, it: Intent) -> None:
    """保存 clicked: check the value; a change that recomputes deadlines asks first, the rest saves."""
    try:
        clean = svc.validate(spec.key, proposed)
    except ValidationError as exc:
        st.session_state[f"{prefix}__errors"] = exc.errors
        st.session_state[f"{prefix}__flash"] = ("err", "未保存，请按提示修改：" + "；".join(exc.errors.values()))
        st.session_state.pop(f"{prefix}__pending", None)
        st.rerun()
    if changes.hook(spec.key) is not None and not svc.same(clean, seen):
        st.session_state[f"{prefix}__errors"] = {}
        st.session_state[f"{prefix}__pending"] = clean
        st.rerun()
    _write(prefix, actor, lambda s: changes.save(s, actor, spec.key, clean, seen), it)


def _confirm_pending(actor: Actor, spec: svc.Spec, prefix: str, seen: object, pending: object, it: Intent) -> None:
    """Ask before a change that recomputes due dates; 确认修改 saves it."""
    with session_scope(actor.username) as s:
        n = changes.pending_recount(s, spec.key)
    st.warning(f"将把“{spec.label}”改为：{svc.describe(spec.key, pending)}。{_recompute_note(spec, n)}确认修改吗？")
    c1, c2 = st.columns(2)
    if c1.button("确认修改", key=it.key(f"{prefix}__yes"), type="primary"):
        _write(prefix, actor, lambda s: changes.save(s, actor, spec.key, pending, seen), it)
    if c2.button("取消", key=f"{prefix}__no"):
        st.session_state.pop(f"{prefix}__pending", None)
        st.rerun()


def render() -> None:
    """Draw the 系统设置 page (nothing runs at import)."""
    actor = require_page("settings")
    st.caption("各项规则使用的参数：办理时限、比例、门槛和可选项。每项说明含义、单位、允许范围和默认值；"
               "修改后立即生效，并记入操作日志。")
    with session_scope(actor.username) as s:
        entries = svc.entries(s)
    for tab, area in zip(st.tabs(list(svc.AREAS)), svc.AREAS, strict=True):
        with tab:
            for entry in entries:
                if entry.spec.area == area:
                    _setting(actor, entry)


if __name__ == "__main__":  # served on its own at /<file name>: go to app.py and its login
    from components.guard import opened_directly

    opened_directly()
