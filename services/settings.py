"""Settings: named values with defaults, stored as JSON in the settings table."""

from __future__ import annotations

import copy

from sqlalchemy.orm import Session

from db import models

# default value and a Chinese label for each setting
DEFAULTS: dict[str, tuple[object, str]] = {
    "letter_categories": (
        ["城乡建设", "社会保障", "教育", "医疗卫生", "环境保护", "交通出行", "劳动就业",
         "农业农村", "住房物业", "治安司法", "其他"],
        "问题类别",
    ),
    "letter_deadlines": (
        {"handed": 2, "reply": 10, "forward": 10, "feedback": 40},
        "来信各环节办理时限（工作日）",
    ),
    "activity_target_groups": (
        ["特困户", "零就业家庭", "低收入家庭", "孤寡病残", "一般选民", "行业领军人物", "社会知名人士"],
        "联系对象",
    ),
    "activity_modes": (
        ["专门活动", "走访慰问", "提供咨询服务", "现场办公解疑", "调研座谈", "公益活动"],
        "活动形式",
    ),
    "r1_min_activities": (2, "每位代表每年至少联系选民活动次数（R1）"),
    "r4_threshold": (3, "同类同选区问题达到多少件未形成议案建议即提示（R4）"),
    "report_share": ({"min": 0.2, "max": 0.3}, "每年当面述职代表比例（R6）"),
    "report_grade_bands": (
        [{"min": 0.8, "grade": "称职"}, {"min": 0.5, "grade": "基本称职"}, {"min": 0.0, "grade": "不称职"}],
        "述职满意率评定档次",
    ),
    "proposal_min_signatures": (10, "议案最少联名代表人数"),
    "mailbox_open_days": (7, "信箱开启周期（天，R11）"),
    "hot_min_writers": (3, "集中反映：同一选区同类问题的不同来信人数达到多少即列为热点（R14）"),
    "spotcheck_checklist": (
        ["记录完整", "时间地点属实", "有签到表或照片", "问题已转交", "有办理结果或反馈", "与代表本人核实"],
        "抽查核查项目",
    ),
    "excellent_share": (0.2, "优秀代表候选比例"),
    "excellent_top_n": (0, "优秀代表候选人数（大于0时按人数，否则按比例）"),
    "excellent_exclude_leaders": (True, "担任领导职务的代表不参评优秀代表"),
    "advanced_groups": (3, "每年先进代表组候选数"),
    "spotcheck_grade_rule": (
        {"bands": [{"grade": "优秀", "max_basic": 0, "max_fail": 0}, {"grade": "合格", "max_basic": 1, "max_fail": 0}],
         "otherwise": "需整改", "empty": "需整改", "rectify_days": 30},
        "抽查代表组评定规则（基本合格、不合格条数上限；整改期限天数）",
    ),
}


def get(session: Session, key: str) -> object:
    """Return a setting's value (the default when never set)."""
    row = session.get(models.Setting, key)
    if row is not None and row.value is not None:
        return copy.deepcopy(row.value)
    return copy.deepcopy(DEFAULTS[key][0])


def put(session: Session, key: str, value: object) -> None:
    """Store a setting's value (audited like every write)."""
    if key not in DEFAULTS:
        raise KeyError(key)
    row = session.get(models.Setting, key)
    if row is None:
        session.add(models.Setting(key=key, value=value))
    else:
        row.value = value


def label(key: str) -> str:
    """Return the Chinese label of a setting."""
    return DEFAULTS[key][1]
