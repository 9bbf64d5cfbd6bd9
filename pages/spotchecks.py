"""抽查督导: 封存可抽记录并公告随机值来源，开签后抽取样本（R16）；任何人可按公布的方法复核；记录核查结论、评定与整改。"""

from __future__ import annotations

from datetime import timedelta

import altair as alt
import pandas as pd
import streamlit as st

from components import charts
from components.forms import end_intent, field_error, intent, keep_drawn, run_write, show_flash
from components.guard import at_click, require_page
from components.params import param_choice
from components.rectifications import rectification_list
from components.table import Filter, data_table
from components.text import alert, safe_md
from db.engine import session_scope
from services import clock, settings
from services import spotchecks as sc
from services.common import Actor, Page, ValidationError, today
from services.validation import fmt_date

TABS = ["封存与开签", "检查记录", "复核", "整改跟踪", "历史与趋势"]
PICKERS = ("sc_pick_check", "sc_pick_verify", "sc_pick_export")
GROUP_MODES = ["随机抽取部分代表组", "全部代表组", "指定代表组"]
SOURCES = ["彩票开奖", "现场掷骰"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _apply_pending() -> None:
    """Point the check pickers at a check just sealed or opened (before any widget exists)."""
    new = st.session_state.pop("sc_pending", None)
    if new is not None:
        for key in (*PICKERS, "sc_pick_open"):
            st.session_state[key] = new
        st.session_state["sc_value"] = ""
    nxt = st.session_state.pop("sc_next_item", None)
    if nxt is not None:
        check_id, item_id = nxt
        st.session_state[f"sc_item_{check_id}"] = item_id


def render() -> None:
    """Draw the 抽查督导 page (nothing runs at import)."""
    actor = require_page("spotchecks")
    st.caption("先封存可抽记录清单并公告随机值的来源，到公告日期再开签抽取样本；抽样任何人可按公布的方法复核。")
    _apply_pending()
    with session_scope(actor.username) as s:
        groups = sc.group_choices(s, actor)
        checks = sc.check_options(s, actor)
    wanted = param_choice("tab", TABS)
    tabs = st.tabs(TABS, default=wanted)
    with tabs[0]:
        _draw_tab(actor, groups, checks)
    with tabs[1]:
        _check_tab(actor, checks)
    with tabs[2]:
        _verify_tab(actor, checks)
    with tabs[3]:
        _rect_tab(actor, groups, checks)
    with tabs[4]:
        _history_tab(actor, groups, checks)


def _pick_check(key: str, checks: dict[int, str], label: str = "选择抽查", prefer: str = "") -> int | None:
    """A picker of checks (newest first; by default the newest whose label names ``prefer``, e.g.
    the newest still 检查中); None when there is none yet."""
    if not checks:
        st.info("尚无抽查记录。请在“封存与开签”中设定规则并封存可抽记录清单。")
        return None
    if st.session_state.get(key) not in checks:
        st.session_state[key] = next((i for i, t in checks.items() if prefer and prefer in t), next(iter(checks)))
    return st.selectbox(label, list(checks), format_func=lambda i: checks.get(i, str(i)), key=key)


def _show_draw_facts(d: dict) -> None:
    """The facts anyone needs to redo a draw: the frozen list's fingerprint, the source, the value."""
    st.text(f"抽查规则：{d['rule_text']}")
    st.text(f"封存：{fmt_date(d['created_at'])} {d['created_by']}；随机值：{sc.source_words(d)}")
    if d["reseal_reason"]:
        st.text(f"再次封存理由：{d['reseal_reason']}")
    if d["abandoned"]:
        st.text(f"作废：{d['abandoned']}")
    st.text(f"可抽记录清单指纹（SHA-256，共 {d['eligible_count']} 条）：")
    st.code(d["fingerprint"], language=None)
    if d["seed"]:
        st.text("随机种子（SHA-256）：")
        st.code(d["seed"], language=None)


# ---------------------------------------------------------------- 封存与开签


def _draw_tab(actor: Actor, groups: dict[int, str], checks: dict[int, str]) -> None:
    """Step 1 封存 (rule, source, the 公告); step 2 开签 (the value); 作废 with a reason."""
    if not groups:
        st.info("尚无代表组。请先在“基础数据”中添加办事处和代表组。")
        return
    st.markdown("**第一步　封存可抽记录清单**")
    _seal_form(actor, groups)
    st.divider()
    st.markdown("**第二步　开签**")
    _open_form(actor)


def _seal_form(actor: Actor, groups: dict[int, str]) -> None:
    """The rule, the eligible counts, the random source fixed in advance, 封存."""
    errors: dict[str, str] = {}
    t = today()
    prev_start, prev_end = sc.quarter_of(sc.quarter_of(t)[0] - timedelta(days=1))
    with session_scope(actor.username) as s:
        unchecked = sc.unchecked_groups(s, actor, sc.quarter_of(t)[0])
        defaults = sc.sampling_defaults(s)
        group_default = sc.default_group_count(s, len(groups))
    if unchecked:
        st.caption(f"本季度尚未完成抽查的代表组（{len(unchecked)}个）：" + "、".join(map(safe_md, unchecked.values())))
    c1, c2 = st.columns(2)
    start = c1.date_input("抽查期间起", value=prev_start, key="sc_start", format="YYYY-MM-DD")
    end = c2.date_input("抽查期间止", value=prev_end, key="sc_end", format="YYYY-MM-DD",
                        help="抽查已经结束的期间：封存后期间内不应再新增记录。")
    slots = {"period": st.empty()}
    kinds = st.multiselect("记录类别", list(sc.KINDS), default=list(sc.DEFAULT_KINDS), key="sc_kinds",
                           placeholder="请选择要抽查的记录类别",
                           help="开箱记录只抽取开箱时发现来信的记录。")
    slots["kinds"] = st.empty()
    mode = st.radio("抽查代表组", GROUP_MODES, horizontal=True, key="sc_group_mode")
    chosen: list[int] | None = None
    group_count: int | None = None
    if mode == GROUP_MODES[0]:
        group_count = int(st.number_input(
            f"随机抽取代表组数（共 {len(groups)} 个）", min_value=1, max_value=len(groups), step=1,
            value=group_default, key="sc_group_count",
            help=f"默认每季度抽取不少于{defaults['group_share']:.0%}的代表组，且不少于{defaults['group_min']}个。"))
        slots["group_count"] = st.empty()
    elif mode == GROUP_MODES[2]:
        chosen = st.multiselect("指定代表组", list(groups), format_func=lambda g: groups.get(g, str(g)),
                                key="sc_groups_pick", placeholder="请选择代表组")
    slots["groups"] = st.empty()
    cols = st.columns(1 + len(sc.KINDS))
    percent = cols[0].number_input("每类抽取比例（%）", min_value=1, max_value=100,
                                   value=max(1, round(defaults["percent"])), step=1, key="sc_percent")
    minimums = {}
    for col, k in zip(cols[1:], sc.KINDS, strict=True):
        minimums[k] = col.number_input(f"{k}至少（条）", min_value=0, max_value=100,
                                       value=defaults["minimums"][k], step=1, key=f"sc_min_{k}")
    slots["percent"] = slots["minimums"] = st.empty()
    rule = None
    earlier: list = []
    try:
        with session_scope(actor.username) as s:
            rule = sc.build_rule(s, actor, period_start=start, period_end=end, kinds=kinds, groups=chosen,
                                 group_count=group_count, percent=percent, minimums=minimums)
            counts = sc.eligible_counts(s, actor, rule)
            earlier = [(c.id, c.status) for c in sc.earlier_seals(s, rule)]
    except ValidationError as exc:
        errors = exc.errors
    for name, msg in errors.items():
        (slots.get(name) or st).error(msg, icon="⚠️")
    if rule is not None:
        frame = pd.DataFrame(counts)
        st.dataframe(frame, hide_index=True, width="stretch", key="sc_counts", placeholder="")
        total = int(frame["合计"].sum()) if len(frame) else 0
        note = "（随机抽组时只抽取被抽中的代表组）" if rule.get("group_count") else ""
        st.caption(f"共 {len(counts)} 个代表组、{total} 条可抽记录；按规则预计抽取 {int(frame['应抽条数'].sum())} 条{note}。")
    form = "sc_seal"
    c1, c2 = st.columns(2)
    kind = c1.radio("随机值来源", SOURCES, horizontal=True, key="sc_source_kind",
                    help="彩票开奖：采用封存日之后第一期开奖号码，任何人可事后查询；现场掷骰：在会议上掷骰，"
                         "由督查人员录入，另一名督查人员或被抽中代表组的联络员用本人账号和密码确认。")
    lottery = kind == "彩票开奖"
    name = c2.text_input("彩票名称" if lottery else "会议名称", key=f"sc_source_name_{kind}",
                         value=sc.LOTTERY_DEFAULT if lottery else "", max_chars=64)
    field_error(form, "source_name")
    c1, c2 = st.columns(2)
    ref = c1.text_input("开奖期号" if lottery else "会议地点或场次", key=f"sc_source_ref_{kind}", max_chars=64,
                        placeholder="如：2026138" if lottery else "如：区人大常委会302会议室")
    field_error(form, "source_ref")
    due = c2.date_input("开奖日期" if lottery else "掷骰日期", key=f"sc_source_due_{kind}", format="YYYY-MM-DD",
                        value=t + timedelta(days=2) if lottery else t,
                        help="彩票须是封存之后（今天以后）开奖的一期。")
    field_error(form, "source_due")
    n_dice = None
    if not lottery:
        n_dice = st.number_input("骰子个数（封存后不能改变，开签时须输入同样多个点数）", min_value=sc.DICE_MIN,
                                 max_value=sc.DICE_MAX, value=sc.DICE_DEFAULT, step=1, key="sc_dice")
        field_error(form, "dice")
    reason = ""
    live = [(i, st_) for i, st_ in earlier if st_ in ("已封存", "检查中")]
    if live:
        alert("warning", "这些代表组本季度的抽查尚未结束：" + "、".join(f"第{i}号（{st_}）" for i, st_ in live)
                   + "。完成该次抽查（或在取值日期之前作废）后才能再次封存；已到取值日期或已开签的，须由领导作废。")
        field_error(form, "reason")
    elif earlier:
        alert("warning", "本季度已封存过这些代表组：" + "、".join(f"第{i}号（{st_}）" for i, st_ in earlier)
                   + "。再次封存须写明理由，理由将显示在抽查记录和公告上。")
        reason = st.text_input("再次封存理由", key="sc_reseal_reason", max_chars=500)
        field_error(form, "reason")
    can = actor.can_write("spotcheck")
    if st.button("封存可抽记录清单", key="sc_seal_btn", type="primary", disabled=rule is None or not can):
        def _do(s):
            check = sc.seal_check(s, actor, rule, source_kind=kind, source_name=name, source_ref=ref,
                                  source_due=due, reason=reason, dice=n_dice)
            st.session_state["sc_pending"] = check.id
            st.session_state["sc_last"] = check.id
            return check.id

        run_write(form, actor.username, _do, "已封存，请打印或发布下方的抽查公告；到公告日期后开签。")
    if not can:
        st.caption("您的角色只能查看抽查，不能封存或开签。")
    show_flash(form)


def _open_form(actor: Actor) -> None:
    """开签 a sealed check: its 公告, the value (and the second person for dice); 作废."""
    with session_scope(actor.username) as s:
        sealed = sc.check_options(s, actor, status="已封存")
    if not sealed:
        st.caption("没有待开签的抽查。")
        return
    if st.session_state.get("sc_pick_open") not in sealed:
        st.session_state["sc_pick_open"] = next(iter(sealed))
    cid = st.selectbox("待开签的抽查", list(sealed), format_func=lambda i: sealed[i], key="sc_pick_open")
    with session_scope(actor.username) as s:
        d = sc.check_detail(s, actor, cid)
    st.text("抽查公告：")
    st.text(d["announcement"])

    def _notice() -> bytes:
        with session_scope(actor.username) as s:
            return sc.announcement_docx(s, actor, cid)

    st.download_button("下载抽查公告（Word）", data=at_click(_notice), mime=DOCX, key=f"sc_notice_{cid}", on_click="ignore",
                       file_name=f"第{cid}号抽查公告_{clock.today():%Y-%m-%d}.docx")
    form = f"sc_open_{cid}"
    can = actor.can_write("spotcheck")
    dice = d["source_kind"] == "现场掷骰"
    value = st.text_input("开奖号码（按公布顺序）" if not dice else "掷骰点数（按掷出顺序）", key="sc_value",
                          max_chars=128, placeholder="如：03 07 12 19 25 31 09" if not dice else "如：3 5 6")
    read = sc.normalize_value(value)
    if read:  # what will be used: only the numbers, in order (a value pasted from Word shows here)
        st.caption(f"将按“{read}”开签（共 {len(read.split())} 个数；只取其中的数字，按原顺序）。")
    field_error(form, "value")
    second, password = "", ""
    if dice:
        st.caption("第二人（另一名督查人员，或负责被抽中代表组的代表组联络员）核对点数后，在此输入本人的用户名和密码确认。")
        c1, c2 = st.columns(2)
        second = c1.text_input("第二人用户名", key=f"sc_second_{cid}", max_chars=32, autocomplete="off")
        field_error(form, "second_username")
        password = c2.text_input("第二人密码", key=f"sc_second_pw_{cid}", type="password", max_chars=128,
                                 autocomplete="new-password")
        field_error(form, "second_password")
    if st.button("开签并抽取样本", key="sc_open_btn", type="primary", disabled=not can):
        client = _client()
        st.session_state.pop(f"sc_second_pw_{cid}", None)  # the password never stays in the form

        def _do(s):
            sc.open_check(s, actor, cid, value=value, second_username=second, second_password=password,
                          client=client)
            st.session_state["sc_pending"] = cid
            return cid

        run_write(form, actor.username, _do, f"第{cid}号抽查已开签，请在“检查记录”中核查。")
    show_flash(form)
    _abandon(actor, cid, d)


def _abandon(actor: Actor, cid: int, d: dict) -> None:
    """作废 with a reason: a supervisor before the day of the random value; after it (or once
    opened) only a leader or admin (services.spotchecks.abandon_check)."""
    known = d["value_may_be_known"]
    allowed = actor.role in sc.LEADER_ROLES if known else actor.can_write("spotcheck")
    with st.expander("作废这次抽查" if d["status"] != "已封存" else "作废这次封存"):
        if known and not allowed:
            st.caption("已开签或已到取值日期：随机值可能已为人所知，督查人员不能作废；确需作废须由领导（或系统管理员）写明理由作废。")
            return
        why = st.text_input("作废理由", key=f"sc_abandon_reason_{cid}", max_chars=500)
        field_error(f"sc_abandon_{cid}", "reason")
        if st.button("作废", key=f"sc_abandon_btn_{cid}", disabled=not allowed):
            run_write(f"sc_abandon_{cid}", actor.username, lambda s: sc.abandon_check(s, actor, cid, why),
                      f"第{cid}号抽查已作废，记录保留在历史中。")
        show_flash(f"sc_abandon_{cid}")


def _client() -> str:
    """Where this browser connects from, for the login throttling of the second person's password
    (the same rule as the login: services.auth.client_from)."""
    import os

    from services import auth

    try:
        trusted = auth.trusted_networks(os.environ.get("TRUSTED_PROXIES"))
        forwarded = st.context.headers.get("X-Forwarded-For", "")
        ip = st.context.ip_address
    except Exception:  # noqa: BLE001 - no request (tests) or a bad TRUSTED_PROXIES (the login refuses it)
        trusted, forwarded, ip = [], "", None
    return auth.client_from(ip if isinstance(ip, str) else None,
                            forwarded if isinstance(forwarded, str) else "", trusted)


# ---------------------------------------------------------------- 检查记录


def _check_tab(actor: Actor, checks: dict[int, str]) -> None:
    """Findings: exceptions one by one (checklist preset by kind), then 其余全部合格 per group."""
    check_id = _pick_check("sc_pick_check", checks, prefer="检查中")
    if check_id is None:
        return
    with session_scope(actor.username) as s:
        d = sc.check_detail(s, actor, check_id)
        names = settings.get(s, "spotcheck_checklist")
    st.text(f"抽查规则：{d['rule_text']}")
    if d["status"] in ("已封存", "已作废"):
        show_flash(f"sc_abandon_{check_id}")  # just abandoned here
        st.info(f"第{check_id}号抽查{d['status']}，没有可核查的记录。")
        return
    if d["status"] == "检查中" and not any(i["结果"] for i in d["items"]):
        _abandon(actor, check_id, d)
    items = d["items"]

    def fetch(f: dict, offset: int, limit: int) -> Page:
        rows = [i for i in items if (not f.get("result") or (i["结果"] or "未核查") == f["result"])]
        shown = [{"代表组": i["代表组"], "类别": i["类别"], "记录编号": i["记录编号"], "记录": i["记录"],
                  "结果": i["结果"] or "未核查", "说明": i["说明"], "核查人": i["核查人"], "修订说明": i["修订说明"]}
                 for i in rows]
        return Page(shown[offset: offset + limit], len(shown))

    data_table(f"sc_items_{check_id}", fetch, filters=[Filter("result", "核查结果", options=[*sc.RESULTS, "未核查"])],
               export_name=f"第{check_id}号抽查记录", unit="条", empty="本次抽查未抽到记录。")
    st.markdown("**代表组评定**")
    st.dataframe(pd.DataFrame([{k: v for k, v in g.items() if k != "group_id"} for g in d["grades"]]),
                 hide_index=True, width="stretch", key=f"sc_grades_{check_id}", placeholder="")
    if not items:
        return
    if not actor.can_write("spotcheck"):
        st.caption("您的角色只能查看核查结果。")
        return
    st.markdown("**先逐条记录有问题的记录，再点“其余全部合格”**")
    by_id = {i["id"]: i for i in items}
    key = f"sc_item_{check_id}"
    if st.session_state.get(key) not in by_id:
        st.session_state[key] = next((i["id"] for i in items if not i["结果"]), items[0]["id"])
    item_id = st.selectbox(
        "核查记录", list(by_id), key=key,
        format_func=lambda i: f"{by_id[i]['代表组']}｜{by_id[i]['类别']}｜{by_id[i]['记录']}"
                              f"（{by_id[i]['结果'] or '未核查'}）",
    )
    item = by_id[item_id]
    with st.expander("被抽记录内容"):
        with session_scope(actor.username) as s:
            facts = sc.record_facts(s, actor, item["类别"], item["记录编号"])
        for label, value in facts:
            st.text(f"{label}：{value}")
    form = f"sc_find_{check_id}"
    with session_scope(actor.username) as s:
        preset = sc.preset_checklist(s, item["类别"])
    it = intent(form, item_id, item["version"])  # the version shown; a token used once (double click)
    fields = [f"sc_ck_{item_id}_{n}" for n in range(len(names))] + [f"sc_res_{item_id}", f"sc_note_{item_id}"]
    if it.seen != item["version"]:  # saved elsewhere since this form was drawn: show who, keep the input
        alert("warning", f"该记录的核查结论在您打开后已被{item['核查人'] or '他人'}修改为“{item['结果'] or '未核查'}”；"
                   "保存时将被拒绝，请核对后重新提交。")
    with st.form(f"sc_finding_{item_id}"):
        st.text(f"{item['代表组']}　{item['类别']}　编号 {item['记录编号']}：{item['记录']}")
        marks = {}
        for n, name in enumerate(names):
            old = item["checklist"].get(name) or preset.get(name, "通过")
            marks[name] = st.radio(name, list(sc.MARKS), horizontal=True, key=f"sc_ck_{item_id}_{n}",
                                   index=sc.MARKS.index(old) if old in sc.MARKS else None)
        field_error(form, "checklist")
        result = st.radio("核查结果", list(sc.RESULTS), horizontal=True, key=f"sc_res_{item_id}",
                          index=sc.RESULTS.index(item["结果"]) if item["结果"] in sc.RESULTS else None)
        field_error(form, "result")
        note = st.text_area("发现的问题及说明", value=item["说明"], key=f"sc_note_{item_id}",
                            placeholder="基本合格或不合格时必填，如：签到表缺失、照片无日期")
        field_error(form, "note")
        reason = ""
        if item["结果"]:
            reason = st.text_input("修改理由（已核查的记录修改结论时必填）", key=f"sc_reason_{item_id}")
            field_error(form, "reason")
        saved = st.form_submit_button("保存核查结果", type="primary", key=it.key(f"sc_save_{item_id}"))
    keep_drawn(it, fields)
    if saved:
        checklist = {k: v for k, v in marks.items() if v is not None}
        nxt = next((i["id"] for i in items if not i["结果"] and i["id"] != item_id), None)

        def _do(s):
            grade = sc.record_finding(s, actor, item_id, checklist, result, note, reason=reason,
                                      expected_version=it.seen)
            if nxt is not None:
                st.session_state["sc_next_item"] = (check_id, nxt)
            return grade

        run_write(form, actor.username, _do, "核查结果已保存；本组记录全部核查后自动评定。", intent=it)
    show_flash(form)
    left = {g["group_id"]: g["抽取条数"] - g["已核查"] for g in d["grades"]}
    pending = [g for g in d["grades"] if left[g["group_id"]] > 0]
    if pending:
        cols = st.columns(min(len(pending), 4))
        for n, g in enumerate(pending):
            col = cols[n % len(cols)]
            col.text(g["代表组"])  # the name as plain text (a button label would read Markdown)
            if col.button(f"其余{left[g['group_id']]}条全部合格", key=f"sc_rest_{check_id}_{g['group_id']}"):
                gid = g["group_id"]
                n = run_write(form, actor.username, lambda s, gid=gid: sc.pass_the_rest(s, actor, check_id, gid),
                              rerun=False)
                end_intent(it)  # the record on the form may be among them: redraw it with its new version
                st.session_state[f"{form}__flash"] = (
                    ("ok", f"{g['代表组']}其余{n}条记录已记为合格。") if n
                    else ("info", f"{g['代表组']}的记录已全部核查（可能已在其他窗口保存），没有再记录。"))
                st.rerun()


# ---------------------------------------------------------------- 复核


def _verify_tab(actor: Actor, checks: dict[int, str]) -> None:
    """复核: redo the draw from what is stored; records changed since 封存 with before / after."""
    check_id = _pick_check("sc_pick_verify", checks)
    if check_id is None:
        return
    with session_scope(actor.username) as s:
        d = sc.check_detail(s, actor, check_id)
    _show_draw_facts(d)
    with st.expander("如何自行复核"):
        st.text(sc.RECIPE_TEXT)
        st.text("可抽记录清单与每条记录的排序值见导出的 Excel（“可抽记录清单”工作表），复核步骤见《抽查验证单》。")
    if st.button("复核", key="sc_verify_btn", type="primary"):
        with session_scope(actor.username) as s:
            result = sc.verify(s, check_id, actor)
        checks_done = [
            ("保存的可抽记录清单与指纹一致", result["stored_list_ok"]),
            ("随机种子由清单指纹、随机值来源和随机值算出", result["seed_ok"]),
            ("按规则、清单和种子重新抽取，样本一致", result["sample_ok"]),
            ("当前数据库中的可抽记录与封存时一致", result["fingerprint_ok"]),
            ("被抽记录封存后未被修改", not result["changed"]),
        ]
        for label, ok in checks_done:
            if ok is None:
                st.text(f"— {label}（尚未开签）")
            else:
                st.text(("✓ " if ok else "✗ ") + label)
        if result["ok"]:
            st.success("✓ 复核一致：任何人用相同的清单、来源和随机值都会得到相同的样本。")
        else:
            alert("error", "复核发现差异：" + "；".join(result["problems"]) + "。")
        if result["changed_other"]:
            st.caption(f"另有 {result['changed_other']} 条未被抽中的可抽记录在封存后有变化（不影响样本）。")
        for c in result["changed"]:
            st.text(f"{c['代表组']}｜{c['类别']}｜{c['记录']}：{c['变化']}")
            if c["修改内容"]:
                st.dataframe(pd.DataFrame(c["修改内容"], columns=["字段", "封存时", "现在"]), hide_index=True,
                             width="stretch", key=f"sc_diff_{c['类别']}_{c['记录编号']}", placeholder="")


# ---------------------------------------------------------------- 整改跟踪


def _rect_tab(actor: Actor, groups: dict[int, str], checks: dict[int, str]) -> None:
    """Rectification items of groups graded 需整改: list, close, add."""
    rectification_list(actor, groups)
    if not checks or not actor.can_write("spotcheck"):
        return
    with st.expander("新增整改事项"):
        check_id = st.selectbox("抽查", list(checks), format_func=lambda i: checks[i], key="sc_rect_check")
        with session_scope(actor.username) as s:
            grades = sc.check_detail(s, actor, check_id)["grades"]
        gopts = {g["group_id"]: f"{g['代表组']}（{g['评定']}）" for g in grades}
        with st.form("sc_rect_add"):
            gid = st.selectbox("代表组", list(gopts), format_func=lambda g: gopts[g], key="sc_rect_group")
            field_error("sc_rect_add", "group")
            content = st.text_area("整改内容", key="sc_rect_content")
            field_error("sc_rect_add", "content")
            due = st.date_input("整改期限", value=today() + timedelta(days=30), key="sc_rect_due",
                                format="YYYY-MM-DD")
            field_error("sc_rect_add", "due_on")
            it = intent("sc_rect_add", 0)  # one item per drawn form: a double click adds one
            add = st.form_submit_button("新增", key=it.key("sc_rect_add_btn"))
        if add:
            run_write("sc_rect_add", actor.username,
                      lambda s: sc.add_rectification(s, actor, check_id, gid, content, due), "已新增整改事项。",
                      intent=it)
        show_flash("sc_rect_add")


# ---------------------------------------------------------------- 历史与趋势


def _history_tab(actor: Actor, groups: dict[int, str], checks: dict[int, str]) -> None:
    """All checks with filters; export of one check; per-group grade trend."""
    def fetch(f: dict, offset: int, limit: int) -> Page:
        with session_scope(actor.username) as s:
            return sc.list_checks(s, actor, f, offset, limit)

    data_table(
        "sc_hist", fetch,
        filters=[Filter("period", "抽查期间", kind="date_range"), Filter("group", "代表组", options=groups),
                 Filter("grade", "评定", options=list(sc.GRADES))],
        export_name="抽查记录", unit="次", hidden=["id"],
        empty="暂无抽查记录。请在“封存与开签”中封存可抽记录清单。",
    )
    check_id = _pick_check("sc_pick_export", checks, "导出抽查记录")
    if check_id is not None:
        def _xlsx() -> bytes:
            with session_scope(actor.username) as s:
                return sc.export_xlsx(s, actor, check_id)

        def _docx() -> bytes:
            with session_scope(actor.username) as s:
                return sc.export_docx(s, actor, check_id)

        def _sheet() -> bytes:
            with session_scope(actor.username) as s:
                return sc.verification_sheet(s, actor, check_id)

        c1, c2, c3 = st.columns(3)
        c3.download_button("抽查验证单（Word）", data=at_click(_sheet), mime=DOCX,
                           file_name=f"第{check_id}号抽查验证单_{clock.today():%Y-%m-%d}.docx",
                           key="sc_export_sheet", on_click="ignore")
        c1.download_button("导出 Excel（规则、来源、指纹、样本、核查结果）", data=at_click(_xlsx), mime=XLSX,
                           file_name=f"第{check_id}号抽查记录_{clock.today():%Y-%m-%d}.xlsx",
                           key="sc_export_xlsx", on_click="ignore")
        c2.download_button("导出打印版 Word", data=at_click(_docx), mime=DOCX,
                           file_name=f"第{check_id}号抽查记录_{clock.today():%Y-%m-%d}.docx",
                           key="sc_export_docx", on_click="ignore")
    st.markdown("**各代表组评定趋势**")
    gid = st.selectbox("代表组", [None, *groups], key="sc_trend_group",
                       format_func=lambda g: "全部代表组" if g is None else groups.get(g, str(g)))
    with session_scope(actor.username) as s:
        trend = sc.grade_trend(s, actor, gid)
    if not trend:
        st.info("尚无已评定的抽查。代表组的抽取记录全部核查后自动评定，此处显示评定趋势。")
        return
    frame = pd.DataFrame(trend)
    frame["抽查日期"] = pd.to_datetime(frame["抽查日期"])
    label = "datum.value == 3 ? '优秀' : datum.value == 2 ? '合格' : datum.value == 1 ? '需整改' : ''"
    chart = alt.Chart(frame).mark_line(point=True).encode(
        x=alt.X("抽查日期:T", title="抽查日期", axis=alt.Axis(format="%Y-%m-%d")),
        y=alt.Y("分值:Q", title="评定", scale=alt.Scale(domain=[0.5, 3.5]),
                axis=alt.Axis(values=[1, 2, 3], labelExpr=label)),
        color=alt.Color("代表组:N", title="代表组"),
        tooltip=[alt.Tooltip("代表组:N"), alt.Tooltip("抽查编号:Q", title="抽查编号"),
                 alt.Tooltip("抽查日期:T", title="抽查日期", format="%Y-%m-%d"), alt.Tooltip("评定:N")],
    )
    charts.show(chart, "sc_trend_chart", "抽查评定趋势", width="stretch")


if __name__ == "__main__":  # served on its own at /<file name>: go to app.py and its login
    from components.guard import opened_directly

    opened_directly()
