"""基础数据: 维护届次、办事处、代表组、选区、代表和代表信箱，导入导出代表和代表组。"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pandas as pd
import streamlit as st

from components.forms import Intent, field_error, intent, keep_drawn, run_write, show_flash
from components.guard import at_click, require_page
from components.table import Filter, data_table
from components.text import alert, safe_md
from db.engine import session_scope
from services import clock, deputy_io, imports
from services import masterdata as md
from services.common import Actor, Page

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ACTIVE = {True: "启用", False: "停用"}


def _fetch(actor: Actor, fn: Callable) -> Callable[[dict, int, int], Page]:
    """A data_table fetch that calls a masterdata list service in a fresh session."""

    def fetch(filters: dict, offset: int, limit: int) -> Page:
        with session_scope(actor.username) as s:
            return fn(s, actor, filters, offset, limit)

    return fetch


def _load(actor: Actor, fn: Callable, *args: object) -> object:
    """Call a read service in a fresh session."""
    with session_scope(actor.username) as s:
        return fn(s, actor, *args)


def _reset(prefix: str) -> None:
    """Forget the widgets of a form (after a successful save the form starts empty)."""
    for k in [k for k in st.session_state if isinstance(k, str) and k.startswith(prefix)]:
        del st.session_state[k]


def _pick(label: str, options: dict, value: object, key: str, *, none: str | None = None) -> object:
    """A selectbox over {id: label}; ``none`` adds an empty first choice with that text."""
    values = ([None] if none is not None else []) + list(options)
    index = values.index(value) if value in values else 0
    return st.selectbox(label, values, index=index if values else None, key=key,
                        format_func=lambda v: none if v is None else options.get(v, str(v)))


def _record_intent(kind: str, obj_id: int | None, init: dict, prefix: str) -> Intent:
    """The intent of a master-data form (components.forms.intent): for a record, the version it was
    drawn with and a token, shared by its edit form and its 停用 button (either save renews it);
    for a new record, a token (a double click creates one)."""
    if obj_id is None:
        return intent(prefix, 0)
    return intent(kind, obj_id, init.get("version"))


def _drawn(it: Intent, prefix: str, names: str) -> None:
    """Remember the form's fields as drawn (after a stale refusal the untouched ones reload)."""
    keep_drawn(it, [f"{prefix}_{n}" for n in names.split()])


def _active_toggle(actor: Actor, key: str, what: str, active: bool, fn: Callable[..., None], obj_id: int,
                   it: Intent) -> None:
    """A button that deactivates (or reactivates) the selected record, on the version drawn."""
    label = f"停用该{what}" if active else f"重新启用该{what}"
    if st.button(label, key=it.key(f"{key}_toggle")):
        run_write(key, actor.username, lambda s: fn(s, actor, obj_id, not active, it.seen),
                  success=f"已{'停用' if active else '启用'}{what}。", intent=it)


# ---------------------------------------------------------------- 代表


def _deputy_form(actor: Actor, ch: dict, prefix: str, init: dict, deputy_id: int | None,
                 version: int | None) -> None:
    """The deputy form (new when ``deputy_id`` is None); errors beside fields, input kept."""
    form_key = prefix
    show_flash(form_key)
    with st.form(f"{prefix}_form", border=True):
        c1, c2, c3, c4 = st.columns(4)
        with c1:
            name = st.text_input("姓名", value=init.get("name", ""), key=f"{prefix}_name", max_chars=32)
            field_error(form_key, "name")
        with c2:
            gender = st.selectbox("性别", ["", *md.GENDERS], key=f"{prefix}_gender",
                                  index=(["", *md.GENDERS].index(init["gender"]) if init.get("gender") in md.GENDERS else 0),
                                  format_func=lambda v: v or "（未填）")
            field_error(form_key, "gender")
        with c3:
            birth_year = st.text_input("出生年份", value=str(init.get("birth_year") or ""), key=f"{prefix}_birth",
                                       placeholder="例如 1975", max_chars=8)
            field_error(form_key, "birth_year")
        with c4:
            phone = st.text_input("联系电话", value=init.get("phone", ""), key=f"{prefix}_phone",
                                  placeholder="11位手机号码", max_chars=20)
            field_error(form_key, "phone")
        c1, c2, c3 = st.columns([1, 2, 1])
        with c1:
            parties = ["", *md.PARTIES]
            if init.get("party") and init["party"] not in parties:
                parties.append(init["party"])
            party = st.selectbox("党派", parties, key=f"{prefix}_party", accept_new_options=True,
                                 index=parties.index(init.get("party") or ""), format_func=lambda v: v or "（未填）")
            field_error(form_key, "party")
        with c2:
            unit = st.text_input("工作单位及职务", value=init.get("unit_title", ""), key=f"{prefix}_unit", max_chars=128)
            field_error(form_key, "unit_title")
        with c3:
            occupation = st.text_input("职业", value=init.get("occupation", ""), key=f"{prefix}_occ", max_chars=64)
            field_error(form_key, "occupation")
        c1, c2, c3, c4 = st.columns(4)
        with c1:
            group_id = _pick("代表组", ch["groups"], init.get("group_id"), f"{prefix}_group")
            field_error(form_key, "group_id")
        with c2:
            district_id = _pick("选区", ch["districts_labelled"], init.get("district_id"), f"{prefix}_district",
                                none="（不指定）")
            field_error(form_key, "district_id")
        with c3:
            term_id = _pick("届次", ch["terms"], init.get("term_id"), f"{prefix}_term")
            field_error(form_key, "term_id")
        with c4:
            joined_on = st.date_input("当选日期", value=init.get("joined_on"), key=f"{prefix}_joined",
                                      format="YYYY-MM-DD", min_value=date(1950, 1, 1))
            field_error(form_key, "joined_on")
        status, left_on, reinstated_on = md.SERVING, None, None
        group_change, moved_on = None, None
        if deputy_id is not None:
            serving = init.get("status", md.SERVING) == md.SERVING
            c1, c2, c3 = st.columns(3)
            with c1:
                status = st.selectbox("状态", md.STATUSES, key=f"{prefix}_status",
                                      index=md.STATUSES.index(init.get("status", md.SERVING)),
                                      help="代表辞职、被罢免或去世时在此变更状态，并填写离任日期；"
                                           "已离任的代表恢复任职时改回“在任”，并填写恢复任职日期")
                field_error(form_key, "status")
            with c2:
                left_on = st.date_input("离任日期", value=init.get("left_on"), key=f"{prefix}_left",
                                        format="YYYY-MM-DD", min_value=date(1950, 1, 1),
                                        help="离任生效的日期：不能晚于今天，也不能早于本段任职的开始日期")
                field_error(form_key, "left_on")
            with c3:
                if serving:
                    moved_on = st.date_input("调整生效日期", value=None, key=f"{prefix}_moved",
                                             format="YYYY-MM-DD", min_value=date(1950, 1, 1),
                                             help="选择“调整代表组（自某日起生效）”时填写：自该日起在新代表组任职")
                    field_error(form_key, "moved_on")
                else:
                    reinstated_on = st.date_input("恢复任职日期", value=None, key=f"{prefix}_reinstated",
                                                  format="YYYY-MM-DD", min_value=date(1950, 1, 1),
                                                  help="状态改回“在任”时填写：应晚于离任日期，不能晚于今天")
                    field_error(form_key, "reinstated_on")
            if serving:
                choices = list(md.GROUP_CHANGES)
                group_change = st.radio("更改代表组或选区时（须选择一项）", choices, format_func=md.GROUP_CHANGES.get,
                                        horizontal=True, key=f"{prefix}_change", index=None,
                                        help="更正录入错误：原记录填错了，改正后以往年度也按新代表组统计；"
                                             "调整代表组：代表自生效日期起到新代表组任职，以往年度仍按原代表组统计")
                field_error(form_key, "group_change")
        c1, c2 = st.columns(2)
        with c1:
            leads = st.checkbox("领办企业或单位", value=bool(init.get("leads_enterprise")), key=f"{prefix}_leads",
                                help="借助自己的企业、单位联系选民（R2）")
        with c2:
            leader = st.checkbox("担任领导职务", value=bool(init.get("is_office_leader")), key=f"{prefix}_leader",
                                 help="评优时可按规定排除担任领导职务的代表")
        it = intent(form_key, prefix)  # one save per drawn form (a double click adds one deputy)
        submitted = st.form_submit_button("保存代表" if deputy_id is None else "保存修改", type="primary",
                                          key=it.key(f"{prefix}_save"))
    if submitted:
        data = {"name": name, "gender": gender, "birth_year": birth_year, "party": party, "unit_title": unit,
                "occupation": occupation, "phone": phone, "group_id": group_id, "district_id": district_id,
                "term_id": term_id, "joined_on": joined_on, "status": status, "left_on": left_on,
                "leads_enterprise": leads, "is_office_leader": leader, "group_change": group_change,
                "moved_on": moved_on, "reinstated_on": reinstated_on}

        def save(s):
            d = md.save_deputy(s, actor, data, deputy_id, version)
            if deputy_id is None:
                _reset(f"{prefix}_")
            elif st.session_state.get("md_dep_editing"):
                st.session_state["md_dep_editing"]["version"] = d.version  # the user now holds this one
            return d.id

        run_write(form_key, actor.username, save, intent=it,
                  success=f"已保存代表“{name.strip()}”。" if deputy_id is None else "已保存修改。")


def _periods(actor: Actor, deputy_id: int) -> None:
    """任职记录: the deputy's periods of service as a small table."""
    rows = _load(actor, md.deputy_periods, deputy_id)
    st.markdown("**任职记录**")
    if not rows:
        st.caption("暂无任职记录。")
        return
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key=f"md_dep_periods_{deputy_id}",
                 column_config={"起始日期": st.column_config.DateColumn(format="YYYY-MM-DD"),
                                "结束日期": st.column_config.DateColumn(format="YYYY-MM-DD")}, placeholder="")


def _deputies(actor: Actor, ch: dict) -> None:
    """代表: searchable list, the selected deputy's form, and a form for a new deputy."""
    filters = [Filter("q", "搜索（姓名、拼音首字母或电话）", "text")]
    if len(ch["offices"]) > 1:
        filters.append(Filter("office_id", "办事处", "select", ch["offices"]))
    filters += [Filter("group_id", "代表组", "select", ch["groups"]),
                Filter("status", "状态", "select", list(md.STATUSES), default=md.SERVING.value)]
    res = data_table("md_dep", _fetch(actor, md.list_deputies), filters=filters, export_name="代表名单",
                     unit="人", selectable=True, hidden=("编号", "版本"),
                     empty="没有符合条件的代表。可调整筛选条件，或在下方“新增代表”中录入，也可在“导入导出”中批量导入。")
    if res.selected:
        # Streamlit selects by row position: remember which deputy (and which version of it) the
        # user picked, so that a list reordered by someone else's save does not swap the record,
        # and a save over a newer version is refused.
        grid = st.session_state.get("md_dep__grid")
        try:
            idx = grid["selection"]["rows"][0]
        except (KeyError, IndexError, TypeError):
            idx = None
        editing = st.session_state.get("md_dep_editing")
        if not editing or editing["idx"] != idx or editing["page"] != st.session_state.get("md_dep__page"):
            editing = {"idx": idx, "page": st.session_state.get("md_dep__page"), "id": res.selected["编号"],
                       "version": res.selected["版本"]}
            st.session_state["md_dep_editing"] = editing
            _reset(f"md_dep_e{editing['id']}_")
        dep_id = editing["id"]
        init = _load(actor, md.get_deputy, dep_id)
        st.subheader(f"编辑代表：{safe_md(init['name'])}")
        _deputy_form(actor, ch, f"md_dep_e{dep_id}", init, dep_id, editing["version"])
        _periods(actor, dep_id)
    else:
        st.session_state.pop("md_dep_editing", None)
    with st.expander("新增代表", expanded=not res.selected):
        if not ch["groups"]:
            st.info("还没有代表组。请先在“代表组”中新增代表组和选区。")
        else:
            _deputy_form(actor, ch, "md_dep_new", {}, None, None)


# ---------------------------------------------------------------- 代表组


def _group_form(actor: Actor, ch: dict, prefix: str, init: dict, group_id: int | None) -> Intent:
    """The group form; returns its intent (the 停用 button shares it)."""
    it = _record_intent("md_grp", group_id, init, prefix)
    show_flash(prefix)
    with st.form(f"{prefix}_form"):
        c1, c2, c3, c4 = st.columns(4)
        with c1:
            name = st.text_input("代表组名称", value=init.get("name", ""), key=f"{prefix}_name", max_chars=64)
            field_error(prefix, "name")
        with c2:
            office_id = _pick("所属办事处", ch["offices"], init.get("office_id"), f"{prefix}_office")
            field_error(prefix, "office_id")
        with c3:
            liaison = st.text_input("联络员", value=init.get("liaison_name", ""), key=f"{prefix}_liaison", max_chars=64)
            field_error(prefix, "liaison_name")
        with c4:
            phone = st.text_input("联络员电话", value=init.get("liaison_phone", ""), key=f"{prefix}_phone", max_chars=20)
            field_error(prefix, "liaison_phone")
        _drawn(it, prefix, "name office liaison phone")
        submitted = st.form_submit_button("保存代表组" if group_id is None else "保存修改", type="primary",
                                          key=it.key(f"{prefix}_save"))
    if submitted:
        data = {"name": name, "office_id": office_id, "liaison_name": liaison, "liaison_phone": phone}

        def save(s):
            md.save_group(s, actor, data, group_id, it.seen)
            if group_id is None:
                _reset(f"{prefix}_")

        run_write(prefix, actor.username, save, success="已保存代表组。", intent=it)
    return it


def _groups(actor: Actor, ch: dict) -> None:
    """代表组: list, edit, deactivate, new."""
    filters = [Filter("q", "搜索（名称或联络员）", "text")]
    if len(ch["offices"]) > 1:
        filters.append(Filter("office_id", "办事处", "select", ch["offices"]))
    filters.append(Filter("active", "只看启用的", "bool", default=True))
    res = data_table("md_grp", _fetch(actor, md.list_groups), filters=filters, export_name="代表组",
                     unit="个", selectable=True, hidden=("编号",),
                     empty="没有代表组。请在下方新增，或在“导入导出”中导入代表组。")
    if res.selected:
        gid = res.selected["编号"]
        init = _load(actor, md.get_group, gid)
        st.subheader(f"编辑代表组：{safe_md(init['name'])}")
        it = _group_form(actor, ch, f"md_grp_e{gid}", init, gid)
        _active_toggle(actor, f"md_grp_e{gid}", "代表组", init["active"], md.set_group_active, gid, it)
    if actor.group_id is None:
        with st.expander("新增代表组", expanded=not res.selected):
            if not ch["offices"]:
                st.info("还没有办事处。请先由系统管理员在“办事处”中新增办事处。")
            else:
                _group_form(actor, ch, "md_grp_new", {}, None)


# ---------------------------------------------------------------- 选区


def _district_form(actor: Actor, ch: dict, prefix: str, init: dict, district_id: int | None) -> Intent:
    """The district form; returns its intent (the 停用 button shares it)."""
    it = _record_intent("md_dist", district_id, init, prefix)
    show_flash(prefix)
    with st.form(f"{prefix}_form"):
        c1, c2 = st.columns(2)
        with c1:
            name = st.text_input("选区名称", value=init.get("name", ""), key=f"{prefix}_name", max_chars=64)
            field_error(prefix, "name")
        with c2:
            group_id = _pick("所属代表组", ch["groups"], init.get("group_id"), f"{prefix}_group")
            field_error(prefix, "group_id")
        _drawn(it, prefix, "name group")
        submitted = st.form_submit_button("保存选区" if district_id is None else "保存修改", type="primary",
                                          key=it.key(f"{prefix}_save"))
    if submitted:
        def save(s):
            md.save_district(s, actor, {"name": name, "group_id": group_id}, district_id, it.seen)
            if district_id is None:
                _reset(f"{prefix}_")

        run_write(prefix, actor.username, save, success="已保存选区。", intent=it)
    return it


def _districts(actor: Actor, ch: dict) -> None:
    """选区: list, edit, deactivate, new."""
    filters = [Filter("q", "搜索（选区名称）", "text"), Filter("group_id", "代表组", "select", ch["groups"]),
               Filter("active", "只看启用的", "bool", default=True)]
    res = data_table("md_dist", _fetch(actor, md.list_districts), filters=filters, export_name="选区",
                     unit="个", selectable=True, hidden=("编号",), empty="没有选区。请在下方新增选区。")
    if res.selected:
        did = res.selected["编号"]
        init = _load(actor, md.get_district, did)
        st.subheader(f"编辑选区：{safe_md(init['name'])}")
        it = _district_form(actor, ch, f"md_dist_e{did}", init, did)
        _active_toggle(actor, f"md_dist_e{did}", "选区", init["active"], md.set_district_active, did, it)
    with st.expander("新增选区", expanded=not res.selected):
        if not ch["groups"]:
            st.info("还没有代表组。请先在“代表组”中新增代表组。")
        else:
            _district_form(actor, ch, "md_dist_new", {}, None)


# ---------------------------------------------------------------- 办事处 and 届次 (admin writes)


def _offices(actor: Actor) -> None:
    """办事处: list; the admin creates, renames and deactivates."""
    filters = [Filter("q", "搜索（名称）", "text")]
    res = data_table("md_off", _fetch(actor, md.list_offices), filters=filters, export_name="办事处",
                     unit="个", selectable=actor.role == "admin", hidden=("编号",),
                     empty="没有办事处。" + ("请在下方新增办事处。" if actor.role == "admin" else "请联系系统管理员新增。"))
    if actor.role != "admin":
        st.caption("办事处由系统管理员维护。")
        return
    prefix, init, oid = "md_off_new", {}, None
    if res.selected:
        oid = res.selected["编号"]
        init = _load(actor, md.get_office, oid)
        prefix = f"md_off_e{oid}"
        st.subheader(f"编辑办事处：{safe_md(init['name'])}")
    it = _record_intent("md_off", oid, init, prefix)
    show_flash(prefix)
    with st.form(f"{prefix}_form"):
        name = st.text_input("办事处名称", value=init.get("name", ""), key=f"{prefix}_name", max_chars=64)
        field_error(prefix, "name")
        _drawn(it, prefix, "name")
        submitted = st.form_submit_button("保存办事处" if oid is None else "保存修改", type="primary",
                                          key=it.key(f"{prefix}_save"))
    if submitted:
        def save(s):
            md.save_office(s, actor, {"name": name}, oid, it.seen)
            if oid is None:
                _reset(f"{prefix}_")

        run_write(prefix, actor.username, save, success="已保存办事处。", intent=it)
    if oid is not None:
        field_error(prefix, "active")
        _active_toggle(actor, prefix, "办事处", init["active"], md.set_office_active, oid, it)


def _terms(actor: Actor) -> None:
    """届次: list; the admin creates and edits."""
    res = data_table("md_term", _fetch(actor, md.list_terms), export_name="届次", unit="届",
                     selectable=actor.role == "admin", hidden=("编号",),
                     empty="还没有届次。" + ("请在下方新增届次。" if actor.role == "admin" else "请联系系统管理员新增。"))
    if actor.role != "admin":
        st.caption("届次由系统管理员维护。")
        return
    prefix, init, tid = "md_term_new", {}, None
    if res.selected:
        tid = res.selected["编号"]
        init = _load(actor, md.get_term, tid)
        prefix = f"md_term_e{tid}"
        st.subheader(f"编辑届次：{safe_md(init['name'])}")
    it = _record_intent("md_term", tid, init, prefix)
    show_flash(prefix)
    with st.form(f"{prefix}_form"):
        c1, c2, c3, c4 = st.columns(4)
        with c1:
            number = st.text_input("第几届", value=str(init.get("number", "")), key=f"{prefix}_number")
            field_error(prefix, "number")
        with c2:
            name = st.text_input("名称", value=init.get("name", ""), key=f"{prefix}_name", placeholder="例如 第十八届")
            field_error(prefix, "name")
        with c3:
            start = st.text_input("起始年份", value=str(init.get("start_year", "")), key=f"{prefix}_start")
            field_error(prefix, "start_year")
        with c4:
            end = st.text_input("结束年份", value=str(init.get("end_year", "")), key=f"{prefix}_end")
            field_error(prefix, "end_year")
        active = st.checkbox("当前届次（启用）", value=init.get("active", True), key=f"{prefix}_active")
        _drawn(it, prefix, "number name start end active")
        submitted = st.form_submit_button("保存届次" if tid is None else "保存修改", type="primary",
                                          key=it.key(f"{prefix}_save"))
    if submitted:
        data = {"number": number, "name": name, "start_year": start, "end_year": end, "active": active}

        def save(s):
            md.save_term(s, actor, data, tid, it.seen)
            if tid is None:
                _reset(f"{prefix}_")

        run_write(prefix, actor.username, save, success="已保存届次。", intent=it)


# ---------------------------------------------------------------- 代表信箱


def _mailbox_form(actor: Actor, ch: dict, prefix: str, init: dict, mailbox_id: int | None) -> Intent:
    """The mailbox form: district, keeper (deputy, or liaison by delegation), place, dates; returns
    its intent (the 停用 button shares it)."""
    it = _record_intent("md_box", mailbox_id, init, prefix)
    show_flash(prefix)
    # the district is chosen outside the form so that the keeper list shows that group's deputies
    district_id = _pick("选区", ch["districts_labelled"], init.get("district_id"), f"{prefix}_district")
    field_error(prefix, "district_id")
    with session_scope(actor.username) as s:
        deputies = md.deputy_options(s, actor, group_id=md.district_group(s, district_id) or -1)
    with st.form(f"{prefix}_form"):
        c1, c3 = st.columns(2)
        with c1:
            name = st.text_input("信箱名称", value=init.get("name", ""), key=f"{prefix}_name", max_chars=64)
            field_error(prefix, "name")
        with c3:
            location = st.text_input("设置地点", value=init.get("location", ""), key=f"{prefix}_location", max_chars=128)
            field_error(prefix, "location")
        c1, c2, c3 = st.columns(3)
        with c1:
            kinds = list(md.KEEPER_KINDS)
            kind = st.radio("管理方式", kinds, horizontal=True, key=f"{prefix}_kind",
                            index=kinds.index(init.get("keeper_kind", "代表本人")))
            field_error(prefix, "keeper_kind")
        with c2:
            deputy_id = _pick("管理代表（代表本人管理时）", deputies, init.get("deputy_id"), f"{prefix}_deputy",
                              none="（未指定）")
            field_error(prefix, "deputy_id")
        with c3:
            keeper = st.text_input("受委托联络员（委托管理时）", value=init.get("keeper_name", ""),
                                   key=f"{prefix}_keeper", max_chars=64)
            field_error(prefix, "keeper_name")
        c1, c2, c3 = st.columns(3)
        with c1:
            start = st.date_input("委托开始日期", value=init.get("delegation_start"), key=f"{prefix}_dstart",
                                  format="YYYY-MM-DD")
            field_error(prefix, "delegation_start")
        with c2:
            end = st.date_input("委托结束日期", value=init.get("delegation_end"), key=f"{prefix}_dend", format="YYYY-MM-DD")
            field_error(prefix, "delegation_end")
        with c3:
            est = st.date_input("设立日期", value=init.get("established_on") or clock.today(), key=f"{prefix}_est",
                                format="YYYY-MM-DD")
            field_error(prefix, "established_on")
        _drawn(it, prefix, "district name location kind deputy keeper dstart dend est")
        submitted = st.form_submit_button("保存信箱" if mailbox_id is None else "保存修改", type="primary",
                                          key=it.key(f"{prefix}_save"))
    if submitted:
        data = {"name": name, "district_id": district_id, "location": location, "keeper_kind": kind,
                "deputy_id": deputy_id, "keeper_name": keeper, "delegation_start": start,
                "delegation_end": end, "established_on": est}

        def save(s):
            md.save_mailbox(s, actor, data, mailbox_id, it.seen)
            if mailbox_id is None:
                _reset(f"{prefix}_")

        run_write(prefix, actor.username, save, success="已保存代表信箱。", intent=it)
    return it


def _mailboxes(actor: Actor, ch: dict) -> None:
    """代表信箱: list, edit, deactivate, new."""
    filters = [Filter("q", "搜索（信箱名称）", "text"), Filter("group_id", "代表组", "select", ch["groups"]),
               Filter("active", "只看启用的", "bool", default=True)]
    res = data_table("md_box", _fetch(actor, md.list_mailboxes), filters=filters, export_name="代表信箱",
                     unit="个", selectable=True, hidden=("编号",), empty="没有代表信箱。请在下方新增信箱。")
    if res.selected:
        mid = res.selected["编号"]
        init = _load(actor, md.get_mailbox, mid)
        st.subheader(f"编辑信箱：{safe_md(init['name'])}")
        it = _mailbox_form(actor, ch, f"md_box_e{mid}", init, mid)
        _active_toggle(actor, f"md_box_e{mid}", "信箱", init["active"], md.set_mailbox_active, mid, it)
    with st.expander("新增代表信箱", expanded=not res.selected):
        if not ch["districts"]:
            st.info("还没有选区。请先在“选区”中新增选区。")
        else:
            _mailbox_form(actor, ch, "md_box_new", {}, None)


# ---------------------------------------------------------------- 导入导出


def _import_section(actor: Actor, kind: str) -> None:
    """Template and export downloads, upload, all-or-nothing import with progress and row errors."""
    is_dep = kind == "deputies"
    what, unit = ("代表", "人") if is_dep else ("代表组", "个")
    columns = deputy_io.DEPUTY_COLUMNS if is_dep else deputy_io.GROUP_COLUMNS
    st.markdown(f"**{what}**　模板表头：" + "、".join(columns))
    c1, c2 = st.columns(2)

    def template() -> bytes:
        with session_scope(actor.username) as s:
            return (deputy_io.deputy_template if is_dep else deputy_io.group_template)(s, actor)

    def export() -> bytes:
        with session_scope(actor.username) as s:
            return deputy_io.export_deputies(s, actor) if is_dep else deputy_io.export_groups(s, actor)

    c1.download_button(f"下载{what}导入模板", data=at_click(template), file_name=f"{what}导入模板.xlsx", mime=XLSX,
                       key=f"md_io_{kind}_tpl", on_click="ignore")
    c2.download_button(f"导出全部{what}（可修改后再导入）", data=at_click(export),
                       file_name=f"{what}名单_{clock.today():%Y-%m-%d}.xlsx", mime=XLSX,
                       key=f"md_io_{kind}_exp", on_click="ignore")
    if is_dep is False and actor.group_id is not None:
        return
    key = f"md_io_{kind}"
    n = st.session_state.get(f"{key}_file__n", 0)
    upload = st.file_uploader(f"选择要导入的{what} Excel 文件（.xlsx）", type=["xlsx"],
                              key=f"{key}_file{n}" if n else f"{key}_file")
    show_flash(key)
    if upload is not None and st.button(f"开始导入{what}", key=f"{key}_go", type="primary"):
        bar = st.progress(0.0, text="正在检查……")

        def progress(done: int, total: int) -> None:
            bar.progress(min(1.0, done / max(total, 1)),
                         text=f"正在检查第 {done} / {total // 2} 行" if done <= total // 2 else "正在写入……")

        data = upload.getvalue()
        fn = deputy_io.import_deputies if is_dep else deputy_io.import_groups
        name = upload.name

        def _run(s):  # the same content once (who and when if again)
            return imports.import_once(s, actor, kind, data, name, lambda: fn(s, actor, data, progress))

        report = run_write(key, actor.username, _run, rerun=False)
        bar.empty()
        if report is None:
            return
        st.session_state[f"{key}_report"] = report
        if report.ok:
            st.session_state[f"{key}_file__n"] = n + 1  # the uploader is emptied
            st.rerun()  # the lists above were drawn before the import: show the new rows
    report = st.session_state.get(f"{key}_report")
    if report is not None:
        if report.ok:
            alert("success", report.summary(unit))
        else:
            alert("error", report.summary(unit))
            st.dataframe(pd.DataFrame(report.errors), hide_index=True, width="stretch", key=f"{key}_errors", placeholder="")


def _import_export(actor: Actor) -> None:
    """导入导出: deputies and groups."""
    st.caption("导入时先逐行检查；只要有一行有问题，就全部不导入，并列出每个问题行的行号和原因。"
               "姓名和联系电话与已有代表相同的行将更新该代表，不会重复新增；导出的文件可直接再导入。")
    _import_section(actor, "deputies")
    st.divider()
    _import_section(actor, "groups")


# ---------------------------------------------------------------- the page


def _choices(actor: Actor) -> dict:
    """The choices every form offers, read once per run, within the actor's scope."""
    with session_scope(actor.username) as s:
        groups = md.group_options(s, actor)
        districts = md.district_options(s, actor)
        return {
            "offices": md.office_options(s, actor),
            "groups": groups,
            "districts": districts,
            "districts_labelled": md.district_options(s, actor, with_group=True),
            "terms": md.term_options(s),
        }


def render() -> None:
    """Draw the 基础数据 page (nothing runs at import)."""
    actor = require_page("masterdata")
    st.caption("维护届次、办事处、代表组、选区、代表和代表信箱；批量导入导出代表和代表组。"
               + ("（您只能查看和维护本办事处的数据）" if actor.scoped else ""))
    ch = _choices(actor)
    tabs = st.tabs(["代表", "代表组", "选区", "办事处", "届次", "代表信箱", "导入导出"])
    with tabs[0]:
        _deputies(actor, ch)
    with tabs[1]:
        _groups(actor, ch)
    with tabs[2]:
        _districts(actor, ch)
    with tabs[3]:
        _offices(actor)
    with tabs[4]:
        _terms(actor)
    with tabs[5]:
        _mailboxes(actor, ch)
    with tabs[6]:
        _import_export(actor)


if __name__ == "__main__":  # served on its own at /<file name>: go to app.py and its login
    from components.guard import opened_directly

    opened_directly()
