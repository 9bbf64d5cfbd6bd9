"""用户管理: 创建账号、设置角色和范围、重置密码、停用账号。"""

from __future__ import annotations

import streamlit as st

from components.forms import field_error, intent, keep_drawn, run_write, show_flash
from components.guard import require_page
from components.table import Filter, data_table
from components.text import safe_md
from db.engine import session_scope
from services import auth
from services import masterdata as md
from services.common import ROLE_NAMES, Actor, Page, ValidationError

ROLES = list(ROLE_NAMES)


def _scope_fields(prefix: str, ch: dict, init: dict) -> tuple[int | None, int | None]:
    """Office and group selectboxes (a staff account may be limited to one of them)."""
    offices, groups = ch["offices"], ch["groups"]
    c1, c2 = st.columns(2)
    with c1:
        vals = [None, *offices]
        office_id = st.selectbox("负责办事处（仅工作人员）", vals, key=f"{prefix}_office",
                                 index=vals.index(init.get("office_id")) if init.get("office_id") in vals else 0,
                                 format_func=lambda v: "全部（不限）" if v is None else offices[v])
        field_error(prefix, "office_id")
    with c2:
        vals = [None, *groups]
        group_id = st.selectbox("负责代表组（仅工作人员，可不选）", vals, key=f"{prefix}_group",
                                index=vals.index(init.get("group_id")) if init.get("group_id") in vals else 0,
                                format_func=lambda v: "不限" if v is None else groups[v])
        field_error(prefix, "group_id")
    return office_id, group_id


def _role(prefix: str, init: dict) -> str:
    """The role selectbox."""
    role = st.selectbox("角色", ROLES, key=f"{prefix}_role", format_func=lambda r: ROLE_NAMES[r],
                        index=ROLES.index(init.get("role", "staff")))
    field_error(prefix, "role")
    return role


def _new_user(actor: Actor, ch: dict) -> None:
    """The form that creates an account."""
    prefix = "usr_new"
    show_flash(prefix)
    with st.form(f"{prefix}_form"):
        c1, c2, c3 = st.columns(3)
        with c1:
            username = st.text_input("用户名", key=f"{prefix}_username", max_chars=32,
                                     placeholder="小写字母、数字，3–32位")
            field_error(prefix, "username")
        with c2:
            name = st.text_input("姓名", key=f"{prefix}_name", max_chars=64)
            field_error(prefix, "display_name")
        with c3:
            role = _role(prefix, {})
        office_id, group_id = _scope_fields(prefix, ch, {})
        password = st.text_input("初始密码", type="password", key=f"{prefix}_password",
                                 help="至少8位，须同时包含字母和数字；请让用户登录后尽快告知管理员重置为自己的密码")
        field_error(prefix, "password")
        it = intent(prefix, 0)  # one account per drawn form: a double click creates one
        submitted = st.form_submit_button("创建账号", type="primary", key=it.key("usr_new_save"))
    if submitted:
        data = {"username": username, "display_name": name, "role": role, "office_id": office_id,
                "group_id": group_id, "password": password}
        run_write(prefix, actor.username, lambda s: auth.create_user(s, actor, data).id, rerun=False, intent=it,
                  success=f"已创建账号 {username.strip().lower()}。")
        for k in [k for k in st.session_state if str(k).startswith(f"{prefix}_") and not str(k).startswith(f"{prefix}__")]:
            del st.session_state[k]  # stored: the form's fields start empty (its flash message stays)
        st.rerun()


def _edit_user(actor: Actor, ch: dict, user_id: int) -> None:
    """Edit the selected account: name, role, scope, active; and reset its password."""
    with session_scope(actor.username) as s:
        init = auth.get_user(s, actor, user_id)
    prefix = f"usr_e{user_id}"
    # one intent for the account's forms (edit, unlock, reset): the version they were drawn with
    # and a token; any save renews it, so the admin's own save never makes the next one stale
    it = intent("usr", user_id, init["version"])
    st.subheader(f"编辑账号：{safe_md(init['username'])}")
    show_flash(prefix)
    with st.form(f"{prefix}_form"):
        c1, c2, c3 = st.columns(3)
        with c1:
            name = st.text_input("姓名", value=init["display_name"], key=f"{prefix}_name", max_chars=64)
            field_error(prefix, "display_name")
        with c2:
            role = _role(prefix, init)
        with c3:
            st.write("")
            active = st.checkbox("启用", value=init["active"], key=f"{prefix}_active",
                                 help="停用后该用户立即无法登录，已登录的会话也会失效")
        office_id, group_id = _scope_fields(prefix, ch, init)
        keep_drawn(it, [f"{prefix}_{k}" for k in ("name", "role", "active", "office", "group")])
        submitted = st.form_submit_button("保存修改", type="primary", key=it.key(f"usr_save_{user_id}"))
    if submitted:
        data = {"display_name": name, "role": role, "office_id": office_id, "group_id": group_id, "active": active}
        run_write(prefix, actor.username, lambda s: auth.update_user(s, actor, user_id, data, it.seen),
                  success="已保存修改。", intent=it)

    lock_key = f"usr_lock{user_id}"
    show_flash(lock_key)
    if init["locked"]:
        st.warning("该账号因登录失败次数过多，已暂停从未登录过的终端登录（本人常用的电脑仍可登录）。")
    if st.button("解除登录锁定", key=it.key(f"usr_unlock_{user_id}"),
                 help="清除该账号此前的登录失败记录（所有终端）；解除操作记入操作日志"):
        run_write(lock_key, actor.username, lambda s: auth.unlock(s, actor, init["username"], it.seen),
                  success=f"已解除账号 {init['username']} 的登录锁定。", intent=it)

    pw_key = f"usr_pw{user_id}"
    show_flash(pw_key)
    with st.form(f"{pw_key}_form"):
        c1, c2 = st.columns(2)
        with c1:
            pw1 = st.text_input("新密码", type="password", key=f"{pw_key}_1")
            field_error(pw_key, "password")
        with c2:
            pw2 = st.text_input("再次输入新密码", type="password", key=f"{pw_key}_2")
            field_error(pw_key, "password2")
        reset = st.form_submit_button("重置密码", key=it.key(f"usr_pw_{user_id}"))
    if reset:
        def do_reset(s):
            if pw1 != pw2:
                raise ValidationError({"password2": "两次输入的密码不一致"})
            auth.reset_password(s, actor, user_id, pw1, it.seen)

        run_write(pw_key, actor.username, do_reset, success="密码已重置；该用户已登录的会话均已失效。", intent=it)


def render() -> None:
    """Draw the 用户管理 page (nothing runs at import)."""
    actor = require_page("users")
    st.caption("创建账号、设置角色和负责范围、重置密码、停用账号。密码只保存加盐的不可逆散列，任何人（包括管理员）都看不到原文。")
    with session_scope(actor.username) as s:
        ch = {"offices": md.office_options(s, actor), "groups": md.group_options(s, actor)}

    def fetch(filters: dict, offset: int, limit: int) -> Page:
        with session_scope(actor.username) as s:
            return auth.list_users(s, filters, offset, limit)

    res = data_table(
        "usr_list", fetch, unit="个", export_name="用户列表", selectable=True, hidden=("编号",),
        filters=[Filter("q", "搜索（用户名或姓名）", "text"),
                 Filter("role", "角色", "select", ROLE_NAMES),
                 Filter("active", "只看启用的", "bool")],
        empty="没有符合条件的账号。可在下方创建账号。",
    )
    if res.selected:
        _edit_user(actor, ch, res.selected["编号"])
    else:
        st.caption("在上表中点选一个账号即可修改其角色、范围，或重置密码。")
    with st.expander("创建账号", expanded=not res.selected):
        _new_user(actor, ch)


if __name__ == "__main__":  # served on its own at /<file name>: go to app.py and its login
    from components.guard import opened_directly

    opened_directly()
