"""The README's recipe is the code's (re-implemented here from the README with hashlib alone), and a
supervisor who has seen the frozen list cannot change the sample: it is decided by the list, the
source fixed at 封存 and a value nobody knows yet."""

from __future__ import annotations

import hashlib
import io
import math
import random
import re
from datetime import date, timedelta

import pytest
from docx import Document

from db import models
from db.engine import session_scope
from services import auth, settings
from services import spotchecks as sc
from services.common import Actor, PermissionDenied, ValidationError
from services.documents import cn_date
from tests import test_spotchecks as tsc
from tests.conftest import ROOT
from tests.gongwen import assert_gongwen

# ---------------------------------------------------------------- the README recipe, independently

def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def readme_sample(eligible, groups, kinds, group_count, percent, minimums, source, value):
    """The recipe exactly as README.md (section 抽查的复现方法) words it."""
    lines = sorted(eligible, key=lambda t: (t[0], t[1], t[2]))
    fp = sha("\n".join(f"{g}|{k}|{r}" for g, k, r in lines))
    value = " ".join(re.findall(r"[0-9]+", value))
    seed = sha(f"{fp}|{source}|{value}")
    if group_count is not None and group_count < len(groups):
        chosen = sorted(sorted(groups, key=lambda g: sha(f"{seed}|组|{g}"))[:group_count])
    else:
        chosen = sorted(groups)
    kept = []
    for g in chosen:
        for k in kinds:
            pool = [t for t in lines if t[0] == g and t[1] == k]
            n = len(pool)
            take = min(n, max(minimums[k], math.ceil(n * percent / 100)))
            kept += sorted(pool, key=lambda t: sha(f"{seed}|{g}|{k}|{t[2]}"))[:take]
    return fp, seed, sorted(kept, key=lambda t: (t[0], t[1], t[2]))


def test_the_readme_states_the_recipe_this_test_follows():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    for piece in ('"fingerprint|source|value"', '"seed|组|组编号"', '"seed|组编号|类别|记录编号"',
                  "min(n, max(最少条数, ceil(n × 比例 ÷ 100)))", '"来源名称|期号或场次|日期"',
                  "开箱记录, 来信, 联系活动, 述职"):
        assert piece in text, piece


def test_code_and_readme_recipe_agree_on_many_draws():
    rng = random.Random(15)
    for n in range(400):
        groups = sorted(rng.sample(range(1, 40), rng.randint(1, 6)))
        kinds = [k for k in sc.KINDS if rng.random() < 0.7] or ["联系活动"]
        eligible = list({(rng.choice(groups), rng.choice(kinds), rng.randint(1, 5000))
                         for _ in range(rng.randint(0, 120))})
        rng.shuffle(eligible)
        percent = rng.choice([1, 5, 10, 12.5, 30, 100])
        minimums = {k: rng.randint(0, 4) for k in kinds}
        group_count = rng.choice([None, rng.randint(1, len(groups))])
        source = sc.source_text("中国福利彩票双色球", f"2026{n:03d}", date(2026, 1, 1) + timedelta(days=n))
        value = " ".join(f"{rng.randint(1, 33):02d}" for _ in range(7))
        typed = value.replace(" ", rng.choice([",", "，", "  ", "、"]))  # as a person may type it
        fp, seed, sample = readme_sample(eligible, groups, kinds, group_count, percent, minimums, source, value)
        rule = {"recipe": sc.RECIPE, "groups": groups, "kinds": kinds, "group_count": group_count,
                "percent": percent, "minimums": minimums}
        assert sc.fingerprint(eligible) == fp
        assert sc.make_seed(fp, source, sc.normalize_value(typed)) == seed
        assert [tuple(r) for r in sc.draw(rule, eligible, seed)["records"]] == sample


# ---------------------------------------------------------------- nobody can steer


class _Undo(Exception):
    """Raised to roll a what-if back."""


def _what_if(url: str, actor: Actor, check_id: int, value: str, before=None) -> list:
    """Open the check in a transaction that is rolled back; return the sample it would get."""
    out = {}
    try:
        with session_scope(actor.username, url=url) as s:
            if before:
                before(s)
            out["sample"] = list(sc.open_check(s, actor, check_id, value=value).sample)
            raise _Undo
    except _Undo:
        pass
    return out["sample"]


def test_no_choice_after_seeing_the_frozen_list_changes_the_sample(world, travel):
    ids = tsc.add_records(world)
    sup, other = world.supervisor(), Actor("supervisor2", "supervisor", display_name="赵督查")
    sealed_on = travel(date(tsc.YEAR, 4, 2))
    draw_day = sealed_on + timedelta(days=2)
    with session_scope("supervisor", url=world.url) as s:
        rule = sc.build_rule(s, sup, period_start=tsc.START, period_end=tsc.END, kinds=list(sc.KINDS))
        check = sc.seal_check(s, sup, rule, source_kind="彩票开奖", source_name="中国福利彩票双色球",
                              source_ref="2026038", source_due=draw_day)
        cid, fp, frozen = check.id, check.fingerprint, [tuple(t) for t in check.eligible]
        # a double click on 封存 seals once
        again = sc.seal_check(s, sup, rule, source_kind="彩票开奖", source_name="中国福利彩票双色球",
                              source_ref="2026038", source_due=draw_day)
        assert again.id == cid and s.query(models.SpotCheck).count() == 1
        # what the supervisor sees at 封存: the list and the 公告 with when and where the value comes from
        notice = sc.check_detail(s, sup, cid)["announcement"]
        assert fp in notice and "2026038" in notice and draw_day.isoformat() in notice
        blob = sc.announcement_docx(s, sup, cid)
        printed = "\n".join(p.text for p in assert_gongwen(blob, compact=True, tables=False).paragraphs)
        assert notice in printed and cn_date(sealed_on) in printed  # dated the day it was sealed
    # the value is not known yet: opening before the announced day is refused
    with session_scope("supervisor", url=world.url) as s, pytest.raises(ValidationError):
        sc.open_check(s, sup, cid, value="01 02 03 04 05 06 07")
    travel(draw_day)
    value = "03 07 12 19 25 31 09"
    expected = _what_if(world.url, sup, cid, value)
    # the sample is the README recipe applied to the frozen list, the announced source and the value
    src = f"中国福利彩票双色球|2026038|{draw_day.isoformat()}"
    assert [tuple(r) for r in expected] == readme_sample(frozen, rule["groups"], rule["kinds"], None,
                                                        rule["percent"], rule["minimums"], src, value)[2]

    def edit_records(s):  # the group (or anyone) changes, adds and deletes records after 封存
        s.get(models.Activity, ids["联系活动"][0]).summary = "封存后改写"
        s.get(models.Activity, ids["联系活动"][1]).has_signin = True
        s.add(models.Activity(held_on=date(tsc.YEAR, 3, 30), place="补录", district_id=world.districts[0],
                              group_id=world.groups[0], office_id=world.offices[0], organiser="代表个人",
                              kind="问计", targets=[], mode="调研座谈", voters_reached=5, summary="补录"))
        s.get(models.MailboxOpening, ids["开箱记录"][0]).letters_found = 3  # now it would be eligible
        s.delete(s.get(models.Activity, ids["联系活动"][-1]))

    def change_settings(s):  # the shares of new checks change
        settings.put(s, "spotcheck_record_share", 0.5)
        settings.put(s, "spotcheck_record_min", 9)

    choices = [
        ("another supervisor opens", other, value, None),
        ("the value typed another way", sup, "03,07,12,19,25,31+09", None),
        ("full-width digits", sup, "０３ ０７ １２ １９ ２５ ３１ ０９", None),
        ("pasted from Word", sup, "0\u200b3\v07\u200b 12\t19　25、31\n+09", None),
        ("records edited, added, deleted after 封存", sup, value, edit_records),
        ("settings changed after 封存", sup, value, change_settings),
    ]
    for why, actor, typed, before in choices:
        assert _what_if(world.url, actor, cid, typed, before) == expected, why
    travel(draw_day + timedelta(days=5))  # opened days later: the same
    assert _what_if(world.url, sup, cid, value) == expected
    # only the value decides: other published results give other samples
    others = [_what_if(world.url, sup, cid, f"0{n} 1{n} 2{n} 30 31 32 0{n}") for n in range(1, 9)]
    assert any(o != expected for o in others)
    # the source, its draw number and day were fixed at 封存: open_check takes no other source
    with session_scope("supervisor", url=world.url) as s, pytest.raises(TypeError):
        sc.open_check(s, sup, cid, value=value, source_ref="2026039")
    # opened once for real (a double click opens once); a second 开签 with another value is refused
    with session_scope("supervisor", url=world.url) as s:
        assert sc.open_check(s, sup, cid, value=value).sample == expected
    with session_scope("supervisor", url=world.url) as s:
        assert sc.open_check(s, sup, cid, value=value).id == cid
        assert s.query(models.SpotCheckItem).filter_by(check_id=cid).count() == len(expected)
    with session_scope("supervisor", url=world.url) as s, pytest.raises(ValidationError):
        sc.open_check(s, sup, cid, value="01 02 03 04 05 06 07")
    # the way out — seal again, or abandon and seal again — is closed to the supervisor while the
    # check is being worked on: re-sealing is refused, abandoning needs a leader with a reason
    with session_scope("supervisor", url=world.url) as s, pytest.raises(ValidationError) as e:
        sc.seal_check(s, sup, rule, source_kind="彩票开奖", source_name="中国福利彩票双色球",
                      source_ref="2026040", source_due=draw_day + timedelta(days=7), reason="想重新抽")
    assert "检查中" in e.value.errors["reason"] and f"第{cid}号" in e.value.errors["reason"]
    with session_scope("supervisor", url=world.url) as s, pytest.raises(PermissionDenied, match="领导"):
        sc.abandon_check(s, sup, cid, "抽查期间填写有误")
    with session_scope("leader", url=world.url) as s:
        with pytest.raises(ValidationError):
            sc.abandon_check(s, world.leader(), cid, "  ")
        sc.abandon_check(s, world.leader(), cid, "抽查期间填写有误")
    with session_scope("supervisor", url=world.url) as s:
        with pytest.raises(ValidationError) as e:
            sc.seal_check(s, sup, rule, source_kind="彩票开奖", source_name="中国福利彩票双色球",
                          source_ref="2026040", source_due=draw_day + timedelta(days=7))
        assert set(e.value.errors) == {"reason"}
        again = sc.seal_check(s, sup, rule, source_kind="彩票开奖", source_name="中国福利彩票双色球",
                              source_ref="2026040", source_due=draw_day + timedelta(days=7),
                              reason="第一次封存的期间填写有误")
        rows = {r["编号"]: r for r in sc.list_checks(s, sup, {}, 0, 20).rows}
    assert rows[cid]["状态"] == "已作废" and "抽查期间填写有误" in rows[cid]["作废"]
    assert "赵领导" in rows[cid]["作废"]
    assert rows[again.id]["再次封存理由"] == "第一次封存的期间填写有误"


def test_a_sealed_check_whose_value_day_has_come_is_abandoned_only_by_a_leader(world, travel):
    """Two seals of the same quarter waiting at once, or abandoning a sealed check once its dice may
    have been rolled, would let a supervisor keep the draw that suits: both are refused."""
    tsc.add_records(world)
    sup = world.supervisor()
    day = travel(date(tsc.YEAR, 4, 2))
    with session_scope("supervisor", url=world.url) as s:
        rule = sc.build_rule(s, sup, period_start=tsc.START, period_end=tsc.END, kinds=["联系活动"])
        cid = sc.seal_check(s, sup, rule, source_kind="现场掷骰", source_name="督查会", source_ref="302室",
                            source_due=day + timedelta(days=1)).id
        with pytest.raises(ValidationError) as e:  # a second seal while the first waits for its draw
            sc.seal_check(s, sup, rule, source_kind="现场掷骰", source_name="督查会", source_ref="303室",
                          source_due=day + timedelta(days=1), reason="备用")
        assert "已封存" in e.value.errors["reason"]
    travel(day + timedelta(days=1))  # the meeting day: the dice may have been rolled
    with session_scope("supervisor", url=world.url) as s, pytest.raises(PermissionDenied):
        sc.abandon_check(s, sup, cid, "不想要这次的点数")
    with session_scope("supervisor", url=world.url) as s:
        assert s.get(models.SpotCheck, cid).status == "已封存"
    with session_scope("admin", url=world.url) as s:
        sc.abandon_check(s, world.admin(), cid, "会议改期")
        assert s.get(models.SpotCheck, cid).abandoned_by == "admin"


def test_before_its_value_day_the_supervisor_abandons_a_sealed_check(world, travel):
    tsc.add_records(world)
    sup = world.supervisor()
    day = travel(date(tsc.YEAR, 4, 2))
    with session_scope("supervisor", url=world.url) as s:
        rule = sc.build_rule(s, sup, period_start=tsc.START, period_end=tsc.END, kinds=["联系活动"])
        cid = sc.seal_check(s, sup, rule, source_kind="彩票开奖", source_name="双色球", source_ref="2026038",
                            source_due=day + timedelta(days=2)).id
        sc.abandon_check(s, sup, cid, "漏选了来信")
        assert s.get(models.SpotCheck, cid).status == "已作废"


def test_dice_need_a_second_person_confirming_with_their_own_account(world, travel):
    """A typed name let one supervisor enter any faces alone: the second person now confirms with
    their own user name and password (the login's check and throttling)."""
    tsc.add_records(world)
    sup = world.supervisor()
    tsc.second_account(world.url)  # 钱副督查, another supervisor
    tsc.second_account(world.url, "liaison3", "吴联络", "staff", group_id=world.groups[2])
    tsc.second_account(world.url, "gone", "离职督查", "supervisor")
    with session_scope("system", url=world.url) as s:
        s.query(models.User).filter_by(username="gone").one().active = False
    day = travel(date(tsc.YEAR, 4, 2))
    with session_scope("supervisor", url=world.url) as s:
        rule = sc.build_rule(s, sup, period_start=tsc.START, period_end=tsc.END, kinds=["联系活动"])
        cid = sc.seal_check(s, sup, rule, source_kind="现场掷骰", source_name="二季度督查会",
                            source_ref="区人大302会议室", source_due=day, dice=3).id
        notice = sc.check_detail(s, sup, cid)["announcement"]
    assert "督查人员 李督查" in notice and "supervisor" not in notice  # the person, not the login
    assert "本人账号" in notice

    def refused(username, password, field, actor=sup):
        with pytest.raises(ValidationError) as e, session_scope(actor.username, url=world.url) as s:
            sc.open_check(s, actor, cid, value="3 5 6", second_username=username, second_password=password,
                          client="10.0.0.7")
        assert field in e.value.errors, e.value.errors
        return e.value.errors[field]

    def failures(username):
        with session_scope(url=world.url) as s:
            return s.query(models.LoginAttempt).filter_by(username=username, success=False).count()

    pw = auth.DEMO_PASSWORD
    assert "用户名和密码" in refused("", "", "second_username")
    assert "本人" in refused("supervisor", pw, "second_username")  # the sealer and opener himself
    assert "本人" in refused("SUPERVISOR ", pw, "second_username")
    # another supervisor opens: the sealer still cannot be the second person
    other = Actor("supervisor2", "supervisor", display_name=tsc.SECOND)
    assert "本人" in refused("supervisor", pw, "second_username", actor=other)
    assert "已停用" in refused("gone", pw, "second_username")
    assert "督查人员" in refused("leader", pw, "second_username")  # neither a supervisor nor a liaison
    # staff whose scope does not cover every drawn group (all 3 groups are drawn) cannot confirm
    assert "范围" in refused("staff", pw, "second_username")
    assert "范围" in refused("liaison3", pw, "second_username")
    assert failures("staff") == failures("leader") == 0  # a right password is no failure
    # a wrong password stores nothing and is a failed login of that account (throttling counts it)
    assert "密码错误" in refused("supervisor2", "guess-1234", "second_password")
    assert "密码错误" in refused("nobody", "guess-1234", "second_password")
    assert failures("supervisor2") == 1 and failures("nobody") == 1
    with session_scope(url=world.url) as s:
        check = s.get(models.SpotCheck, cid)
        assert (check.status, check.seed, check.second_user_id) == ("已封存", None, None)
        assert s.query(models.SpotCheckItem).filter_by(check_id=cid).count() == 0
    refused("supervisor2", "guess-2345", "second_password")
    refused("supervisor2", "guess-3456", "second_password")
    # three failures from this client: even the right password now waits, as at the login
    assert "后再试" in refused("supervisor2", pw, "second_password")
    assert failures("supervisor2") == 3
    with session_scope(url=world.url) as s:
        assert auth.throttle_message(s, "supervisor2", "10.0.0.7") is not None  # the login is throttled too
    # dice show 1 to 6: a "roll" of 9s or a long number (found offline to steer the sample) is refused
    for value in ("9 9 9 9 9", "99 1234 0", "7", "0 3 5"):
        with session_scope("supervisor", url=world.url) as s, pytest.raises(ValidationError, match="1 至 6"):
            sc.open_check(s, sup, cid, value=value, second_username="supervisor2", second_password=pw)
    # how many dice was fixed at 封存 (on the 公告): rolling one more, or one fewer, is refused
    assert "掷 3 颗骰子" in notice
    for value in ("3 5", "3 5 6 1"):
        with session_scope("supervisor", url=world.url) as s, pytest.raises(ValidationError, match="3 颗骰子"):
            sc.open_check(s, sup, cid, value=value, second_username="supervisor2", second_password=pw)
    travel(day + timedelta(days=1))  # the throttling window has passed
    with session_scope("supervisor", url=world.url) as s:
        check = sc.open_check(s, sup, cid, value="3 5 6", second_username="supervisor2", second_password=pw,
                              client="10.0.0.7")
        assert (check.second_name, check.second_role, check.opened_by) == (tsc.SECOND, "督查人员", "supervisor")
        assert check.second_user_id == s.query(models.User).filter_by(username="supervisor2").one().id
        assert sc.rederive(check)["ok"]
        d = sc.check_detail(s, sup, cid)
        assert "督查人员钱副督查用本人账号确认" in sc.source_words(d)
        row = sc.list_checks(s, sup, {}, 0, 5).rows[0]
        assert row["第二人确认"] == "督查人员钱副督查"
        text = "\n".join(p.text for p in Document(io.BytesIO(sc.export_docx(s, sup, cid))).paragraphs)
        assert "钱副督查" in text and "supervisor2" not in text


def test_the_liaison_of_the_drawn_groups_confirms_the_dice(world, travel):
    tsc.add_records(world)
    sup = world.supervisor()
    day = travel(date(tsc.YEAR, 4, 2))
    with session_scope("supervisor", url=world.url) as s:
        rule = sc.build_rule(s, sup, period_start=tsc.START, period_end=tsc.END, kinds=["联系活动"],
                             groups=world.groups[:2])  # both in the staff account's office
        cid = sc.seal_check(s, sup, rule, source_kind="现场掷骰", source_name="督查会", source_ref="302室",
                            source_due=day, dice=3).id
        check = sc.open_check(s, sup, cid, value="2 4 6", second_username="staff",
                              second_password=auth.DEMO_PASSWORD)
        assert (check.second_name, check.second_role) == ("王工作", "代表组联络员")


def _expand(text: str) -> list[int]:
    """Record numbers as the 验证单 prints them ("3 7–10")."""
    out = []
    for part in text.split():
        a, _, b = part.partition("–")
        out.extend(range(int(a), int(b or a) + 1))
    return out


def test_a_group_redoes_the_whole_draw_from_the_verification_sheet_alone(world, travel):
    """Only the 验证单's text and a SHA-256 tool: the seed, the group draw from the candidate group
    numbers, each chosen group's records and the shares from the rule give the stored sample."""
    ids = tsc.add_records(world, activities=15, letters=7)
    # a gap in the numbers (a record outside the period) so the ranges are not one run
    assert ids
    sup = world.supervisor()
    day = travel(date(tsc.YEAR, 4, 2))
    samples = set()
    for n, value in enumerate(("05 11 17 22 28 30 04", "01 02 09 13 27 33 16", "07 08 10 19 21 25 12")):
        with session_scope("supervisor", url=world.url) as s:
            rule = sc.build_rule(s, sup, period_start=tsc.START, period_end=tsc.END, kinds=list(sc.KINDS),
                                 group_count=2, on=day)
            cid = sc.seal_check(s, sup, rule, source_kind="彩票开奖", source_name="中国福利彩票双色球",
                                source_ref=f"202603{n}", source_due=day + timedelta(days=1),
                                reason="再抽一次" if n else "").id
        travel(day + timedelta(days=1))
        with session_scope("supervisor", url=world.url) as s:
            sample = sc.open_check(s, sup, cid, value=value).sample
            blob = sc.verification_sheet(s, sup, cid)
            text = "\n".join(p.text for p in assert_gongwen(blob, compact=True, tables=False).paragraphs)
            for item in s.query(models.SpotCheckItem).filter_by(check_id=cid):
                sc.record_finding(s, sup, item.id, tsc.ALL_OK | sc.preset_checklist(s, item.record_kind), "合格")
        travel(day)
        # --- from here on, only the text of the sheet
        seed = sha(text.split("随机种子 = SHA256(“")[1].split("”)")[0])
        assert f"随机种子：{seed}" in text
        cands = [int(g) for g in re.search(r"候选代表组编号：([0-9、]+)（", text).group(1).split("、")]
        k = int(re.search(r"随机抽取(\d+)个：", text).group(1))
        chosen = sorted(sorted(cands, key=lambda g: sha(f"{seed}|组|{g}"))[:k])
        assert f"抽中的代表组编号：{'、'.join(map(str, chosen))}" in text
        percent = int(re.search(r"每组每类抽取(\d+)%", text).group(1))
        minimums = {m[0]: int(m[1]) for m in re.findall(r"(联系活动|来信|开箱记录|述职)至少(\d+)条", text)}
        redone = []
        for g, kind, n_listed, numbers in re.findall(
                r"代表组(\d+)（[^）]*）(联系活动|来信|开箱记录|述职)：(\d+)条，应抽\d+条(?:；记录编号 ([0-9 –]+))?", text):
            records = _expand(numbers) if numbers else []
            assert len(records) == int(n_listed)
            keep = min(len(records), max(minimums[kind], math.ceil(len(records) * percent / 100)))
            ranked = sorted(records, key=lambda r, g=g, kind=kind: sha(f"{seed}|{g}|{kind}|{r}"))
            redone.extend((int(g), kind, r) for r in ranked[:keep])
        assert {int(g) for g, *_ in redone} <= set(chosen)
        order = {k: i for i, k in enumerate(("开箱记录", "来信", "联系活动", "述职"))}
        assert sorted(redone, key=lambda t: (t[0], order[t[1]], t[2])) == [tuple(x) for x in sample]
        samples.add(tuple(map(tuple, sample)))
    assert len(samples) > 1  # different values gave different samples: the sheet did not just repeat one


def test_a_lottery_value_with_the_draw_number_or_date_pasted_in_is_refused(world, travel):
    """Pasted from a web page or Word with the draw number or the date: read as other numbers, it
    would give another sample; each lottery number has at most two digits."""
    tsc.add_records(world)
    sup = world.supervisor()
    day = travel(date(tsc.YEAR, 4, 2))
    with session_scope("supervisor", url=world.url) as s:
        rule = sc.build_rule(s, sup, period_start=tsc.START, period_end=tsc.END, kinds=["联系活动"])
        cid = sc.seal_check(s, sup, rule, source_kind="彩票开奖", source_name="双色球", source_ref="2026038",
                            source_due=day + timedelta(days=1)).id
        with pytest.raises(ValidationError):
            sc.seal_check(s, sup, rule, source_kind="现场掷骰", source_name="会", source_ref="302室",
                          source_due=day, dice=2, reason="x")  # too few dice to be a draw
    travel(day + timedelta(days=1))
    for pasted in ("第2026038期 03 07 12 19 25 31 09", f"{day + timedelta(days=1)} 03 07 12 19 25 31 09"):
        with session_scope("supervisor", url=world.url) as s, pytest.raises(ValidationError) as e:
            sc.open_check(s, sup, cid, value=pasted)
        assert "不超过两位" in e.value.errors["value"]
    with session_scope("supervisor", url=world.url) as s:  # from Word: a non-breaking space, a tab, a 、
        check = sc.open_check(s, sup, cid, value="03\u00a007\t12、19，25 31 + 09\u200b")
        assert check.witness_value == "03 07 12 19 25 31 09"


def test_a_lottery_draw_already_drawn_cannot_be_the_source_of_a_new_seal(world, travel):
    """A draw whose result is known (it was the source of a check opened or due) would let the
    sealer know the sample in advance; two checks sealed before the same future draw may share it."""
    tsc.add_records(world)
    sup = world.supervisor()
    day = travel(date(tsc.YEAR, 4, 2))

    def seal(groups, ref, due, reason=""):
        with session_scope("supervisor", url=world.url) as s:
            rule = sc.build_rule(s, sup, period_start=tsc.START, period_end=tsc.END, kinds=["联系活动"],
                                 groups=groups)
            return sc.seal_check(s, sup, rule, source_kind="彩票开奖", source_name="双色球", source_ref=ref,
                                 source_due=due, reason=reason).id

    first = seal([world.groups[0]], "2026038", day + timedelta(days=1))
    seal([world.groups[1]], "2026038", day + timedelta(days=1))  # the same future draw: fine
    travel(day + timedelta(days=2))
    with session_scope("supervisor", url=world.url) as s:
        sc.open_check(s, sup, first, value="03 07 12 19 25 31 09")
    for ref in ("2026038", "2026030"):
        with pytest.raises(ValidationError) as e:
            seal([world.groups[2]], ref, day + timedelta(days=4))
        assert "已开奖" in e.value.errors["source_ref"]
    seal([world.groups[2]], "2026040", day + timedelta(days=4))
