"""系统设置: every named value the rules read, as a registry, with validation and audited saves.

Each setting (a row of the ``settings`` table, the value as JSON) is described once in
``REGISTRY``: its Chinese label, the area of the 系统设置 page it belongs to, what it means (which
rule it serves and what changes when it changes), its unit, its kind, its allowed range, and its
default with the reason for it (PRACTICE.md and the README's defaults table).

- ``get(session, key)`` returns the value (the default while nothing is stored). Nothing caches
  it: every read asks the database, so the next request after a save uses the new value. A save
  is a write like any other and moves the data version (db/dataversion.py), so caches of figures
  keyed by it go stale at once.
- ``validate(key, value)`` checks a proposed value and returns it clean, or raises
  ValidationError with a Chinese message per field (nothing is written).
- Changing a setting (``save``, ``restore_default``, and what a change recomputes) is in
  ``services.setting_changes``: it needs the services that recompute (letters), which themselves
  read settings here, so this module stays at the bottom of the import graph.
"""

from __future__ import annotations

import copy
import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from db import models
from services import people
from services.common import ValidationError
from services.states import GroupGrade
from services.validation import clean_code, clean_text, clean_word

# ---------------------------------------------------------------- the registry


class Kind(StrEnum):
    """What shape a setting's value has (decides its validation, its text and its form)."""

    WHOLE = "整数"
    SHARE = "比例"  # a share 0–1, shown and entered as %
    YES_NO = "是/否"
    WORDS = "选项列表"
    LETTER_DEADLINES = "来信办理时限"
    SHARE_BAND = "比例区间"
    GRADE_BANDS = "满意率档次"
    SPOTCHECK_RULE = "抽查评定规则"


AREAS: tuple[str, ...] = ("来信办理", "意见办理", "联系活动", "述职", "议案建议", "抽查督导", "评分评优", "热点问题", "基础选项", "安全")

# the parts of the composite values, in the order the page shows them
DEADLINE_PARTS: dict[str, str] = {"handed": "交给代表", "reply": "首次答复来信人", "forward": "转办",
                                  "feedback": "办结并反馈来信人"}
BAND_PARTS: dict[str, str] = {"min": "下限", "max": "上限"}
RULE_PARTS: dict[str, str] = {"excellent_basic": "优秀：基本合格最多（条）", "excellent_fail": "优秀：不合格最多（条）",
                              "pass_basic": "合格：基本合格最多（条）", "pass_fail": "合格：不合格最多（条）",
                              "rectify_days": "整改期限（天）", "empty": "本组没有可抽记录时评定为"}

DEADLINE_RANGE = (1, 60)  # working days, each deadline
WORDS_MAX_ITEMS = 50
WORD_MAX_CHARS = 16
WORD_SEPARATORS = "、,，;；"  # the separators of spreadsheet imports (e.g. 联系对象 “特困户、一般选民”)
FINDING_LIMIT = 20  # 抽查评定: at most this many 基本合格 / 不合格 records in a band
RECTIFY_RANGE = (1, 365)
GRADE_BANDS_COUNT = (2, 6)


@dataclass(frozen=True)
class Spec:
    """One setting: label, area, meaning, unit, kind, allowed range, default and its reason."""

    key: str
    label: str
    area: str
    meaning: str
    unit: str
    kind: Kind
    default: object
    reason: str
    low: float | None = None  # WHOLE and SHARE: the allowed range, inclusive
    high: float | None = None
    low_open: bool = False  # SHARE: the low end itself is not allowed (e.g. a share must be > 0)

    def allowed(self) -> str:
        """The allowed range in words (shown beside the setting)."""
        if self.kind == Kind.WHOLE:
            return f"{_num(self.low)}–{_num(self.high)} {self.unit}的整数"
        if self.kind == Kind.SHARE:
            low = f"大于 {_pct(self.low)}" if self.low_open else f"不低于 {_pct(self.low)}"
            return f"{low}，不超过 {_pct(self.high)}"
        if self.kind == Kind.YES_NO:
            return "是或否"
        if self.kind == Kind.WORDS:
            return (f"1–{WORDS_MAX_ITEMS} 项，每项不超过 {WORD_MAX_CHARS} 个字，不能重复，不能为空，"
                    "不能含顿号、逗号、分号或不可见字符")
        if self.kind == Kind.LETTER_DEADLINES:
            lo, hi = DEADLINE_RANGE
            return (f"每项 {lo}–{hi} 个工作日的整数；交给代表 ≤ 首次答复 ≤ 办结反馈；"
                    "首次答复 + 转办 ≤ 办结反馈")
        if self.kind == Kind.SHARE_BAND:
            return "0% < 下限 ≤ 上限 ≤ 100%"
        if self.kind == Kind.GRADE_BANDS:
            return "各档满意率下限在 0%–100% 之间，从高到低排列、互不相同，最低一档为 0%"
        if self.kind == Kind.SPOTCHECK_RULE:
            lo, hi = RECTIFY_RANGE
            return (f"各条数为 0–{FINDING_LIMIT} 的整数，优秀的上限不高于合格的上限；整改期限 {lo}–{hi} 天；"
                    "没有可抽记录时评定为优秀、合格或需整改")
        return ""


def _num(x: float | None) -> str:
    """A bound as text without a needless .0."""
    return "" if x is None else (str(int(x)) if float(x).is_integer() else str(x))


def _pct(x: float | None) -> str:
    """A share as a percentage: 0.2 → 20%, 0.333 → 33.3%."""
    if x is None:
        return "—"
    v = round(float(x) * 100, 2)
    return f"{v:g}%"


# ---------------------------------------------------------------- every setting

_SPECS: list[Spec] = [
    Spec(
        "letter_deadlines", "来信各环节办理时限", "来信办理",
        "R12 来信办理的期限：收信后几个工作日内交给代表、首次答复来信人、办结并反馈来信人，以及首次答复后几个"
        "工作日内转办。修改后立即重新计算所有未结案来信的期限（已办结、待反馈来信人的也在内，其反馈期限仍在计时），"
        "超期提示随之变化；已结案（已反馈、不予受理、已合并）的来信保留原期限。",
        "工作日", Kind.LETTER_DEADLINES, {"handed": 2, "reply": 10, "forward": 10, "feedback": 40},
        "交给代表 2、首次答复 10、转办 10、办结反馈 40 个工作日：参照信访工作“15日内处理或转送”和代表联络站"
        "“10日内交办”的做法；工作日按国家法定节假日和调休计算。",
    ),
    Spec(
        "mailbox_open_days", "信箱开启周期", "来信办理",
        "R11 每个代表信箱至少每隔几天开启一次；超过这个天数没有开箱记录的信箱列入“未按时开箱”提示（工作台和代表信箱页）。",
        "天", Kind.WHOLE, 7, "指导意见：代表信箱每周开启一次。", low=1, high=31,
    ),
    Spec(
        "opinion_forward_days", "群众意见转交（交办）时限", "意见办理",
        "R3 活动或述职中提出的群众意见，提出后几个工作日内应转交（交办）有关单位；待转交超过此期限即为超期，超过两倍为严重超期。"
        "修改后立即重新计算所有未办结意见的期限。",
        "工作日", Kind.WHOLE, 10, "各地代表联络站“10日内交办”的做法；与来信转办时限相同。", low=1, high=60,
    ),
    Spec(
        "opinion_resolve_days", "群众意见办结时限", "意见办理",
        "R3 群众意见提出后（重新办理的从重新办理之日起）几个工作日内应办结（已解决或无法解决并说明原因）。"
        "修改后立即重新计算所有未办结意见的期限。",
        "工作日", Kind.WHOLE, 40, "与来信“办结并反馈来信人”40个工作日一致：一件诉求无论经信箱还是活动提出，办理时间相同；"
        "信访事项交办后60日办结的规定折合约40个工作日。", low=1, high=120,
    ),
    Spec(
        "opinion_feedback_days", "群众意见反馈选民时限", "意见办理",
        "R3 意见办结（已解决或无法解决）后几个工作日内应把结果反馈提出意见的选民。修改后立即重新计算所有待反馈意见的期限。",
        "工作日", Kind.WHOLE, 10, "12345 代表专席答复时限为5或10个工作日，取其长者：结果已有，告知选民不应再拖。",
        low=1, high=60,
    ),
    Spec(
        "local_area_code", "本地长途区号（不含开头的0）", "来信办理",
        "来信人电话只写了7～8位本地号码时，按本地号码补上区号保存和比较（如北京填10：62345678 即 010-62345678），"
        "同一来信人不因写没写区号被算作两人。填0表示不补区号。修改后，已登记来信中只写了本地号码的电话立即按新区号重写。",
        "（区号去掉开头的0）", Kind.WHOLE, 0, "区号因地而异，由本单位填写；未填写时不猜测，本地号码按原样保存。", low=0, high=9999,
    ),
    Spec(
        "due_soon_days", "“即将到期”提前提示天数", "意见办理",
        "来信和群众意见的期限在今天起几个工作日内（含今天）到期的，列入工作台“我的待办”和列表的“即将到期”筛选。",
        "工作日", Kind.WHOLE, 3, "一周的大半：留出处理时间，又不把下周的事项提前混入本周待办。", low=1, high=20,
    ),
    Spec(
        "r1_min_activities", "每位代表每年至少联系选民活动次数", "联系活动",
        "R1 每位代表每年在本选区至少开展几次联系选民活动；年中当选的代表按剩余月份折算（向上取整）。少于此数的代表"
        "列入R1提示名单，评分时扣分。改大或改小立即改变名单和扣分。",
        "次", Kind.WHOLE, 2, "指导意见：每位代表每年至少开展2次联系选民活动。", low=1, high=12,
    ),
    Spec(
        "r4_threshold", "同类问题形成议案建议的提示门槛", "联系活动",
        "R4 同一年、同一选区、同一类别的群众意见和来信达到多少件且没有关联议案或建议时，列入“多次反映、尚未形成议案建议”"
        "提示。改小会提示更多问题。",
        "件", Kind.WHOLE, 3, "指导意见：多名选民反映的问题应调研形成议案或建议；3件起提示，零星问题不列入。",
        low=2, high=50,
    ),
    Spec(
        "report_share", "每年当面述职代表比例", "述职",
        "R6 每个代表组每年安排当面述职的代表占在任代表的比例范围。述职计划不在此范围内时给出提醒（仍可保存，需说明理由），"
        "工作台按此统计未达标的代表组。",
        "%", Kind.SHARE_BAND, {"min": 0.2, "max": 0.3},
        "指导意见：每年安排20%–30%的代表当面述职（兰山区为40%，高于本区指导意见）。",
    ),
    Spec(
        "report_grade_bands", "述职满意率评定档次", "述职",
        "R10 选民对述职的满意率 =（满意＋基本满意）÷ 有效票；满意率达到某档下限即评为该档（恰好等于下限也算）。"
        "修改后所有述职的评定结果按新档次显示。",
        "%", Kind.GRADE_BANDS,
        [{"min": 0.8, "grade": "称职"}, {"min": 0.5, "grade": "基本称职"}, {"min": 0.0, "grade": "不称职"}],
        "大悟的做法：满意率80%以上称职，50%–80%基本称职，50%以下不称职。",
    ),
    Spec(
        "proposal_min_signatures", "议案最少联名代表人数", "议案建议",
        "议案应由多少名以上代表联名提出（含领衔代表）。人数不足时提醒补充附议代表或改为建议（仍可保存）。",
        "人", Kind.WHOLE, 10, "地方组织法：县级人大代表10人以上联名可以提出议案。", low=1, high=100,
    ),
    Spec(
        "spotcheck_checklist", "抽查核查项目", "抽查督导",
        "R16 督查人员核查每条抽中记录时逐项给出“通过 / 不通过 / 不适用”的项目。修改后，新的核查按新项目填写；"
        "已核查的记录保留当时的结论。",
        "项", Kind.WORDS, ["记录完整", "时间地点属实", "有签到表或照片", "问题已转交", "有办理结果或反馈", "与代表本人核实"],
        "参照闵行古美、沛县的抽查做法：记录完整、签到表和照片、与选民或代表核实、问题是否转交和办结。",
    ),
    Spec(
        "spotcheck_group_share", "每季度抽查代表组比例", "抽查督导",
        "R16 每季度随机抽查的代表组占全部代表组的比例（向上取整），且不少于“每季度至少抽查代表组数”；"
        "新建抽查时作为默认值，工作台据此提示本季度抽查的代表组是否够数。",
        "%", Kind.SHARE, 0.2, "区县督查做法：每季度抽查不少于20%的代表组。", low=0, high=1, low_open=True,
    ),
    Spec(
        "spotcheck_group_min", "每季度至少抽查代表组数", "抽查督导",
        "R16 每季度至少抽查几个代表组（代表组总数更少时全部抽查）。",
        "个", Kind.WHOLE, 2, "代表组较少时按比例只抽1个不足以督导，至少2个。", low=1, high=100,
    ),
    Spec(
        "spotcheck_record_share", "每组每类记录抽取比例", "抽查督导",
        "R16 每个被抽中的代表组，每类记录（联系活动、来信、有来信的开箱记录、述职）各抽取本期该类记录的比例（向上取整），"
        "且不少于该类的最少条数；记录不足时全部抽取。封存时写入抽查规则，以后修改不影响已封存的抽查。",
        "%", Kind.SHARE, 0.1, "区县督查做法：抽取10%的记录。", low=0, high=1, low_open=True,
    ),
    Spec(
        "spotcheck_record_min", "每组至少抽取联系活动条数", "抽查督导",
        "R16 每个被抽中的代表组至少抽取几条联系活动记录（本期不足时全部抽取）。联系活动最能说明代表联系选民的实情，优先抽查。",
        "条", Kind.WHOLE, 2, "区县督查做法：每组不少于3条，其中联系活动2条、来信1条。", low=0, high=100,
    ),
    Spec(
        "spotcheck_letter_min", "每组至少抽取来信条数", "抽查督导",
        "R16 每个被抽中的代表组至少抽取几件来信（本期不足时全部抽取）。",
        "条", Kind.WHOLE, 1, "区县督查做法：每组不少于3条，其中联系活动2条、来信1条。", low=0, high=100,
    ),
    Spec(
        "spotcheck_opening_min", "每组至少抽取开箱记录条数", "抽查督导",
        "R16 每个被抽中的代表组至少抽取几条开箱记录。只有开箱时发现来信的记录参加抽取（空信箱的开箱记录没有可核查的内容）。",
        "条", Kind.WHOLE, 0, "开箱记录只在有来信时核查，按比例抽取即可，不设最少条数。", low=0, high=100,
    ),
    Spec(
        "spotcheck_report_min", "每组至少抽取述职记录条数", "抽查督导",
        "R16 选择抽查述职记录时，每个被抽中的代表组至少抽取几条述职记录。",
        "条", Kind.WHOLE, 0, "述职另有听取汇报和评议，抽查按比例即可。", low=0, high=100,
    ),
    Spec(
        "spotcheck_grade_rule", "抽查代表组评定规则", "抽查督导",
        "R16 一个代表组的抽中记录全部核查后如何评定：基本合格、不合格的记录不超过优秀的上限评为优秀，否则不超过合格的"
        "上限评为合格，否则为需整改；需整改时自动建立整改事项，期限为整改期限天数。修改只影响以后完成的评定。",
        "条、天", Kind.SPOTCHECK_RULE,
        {"bands": [{"grade": "优秀", "max_basic": 0, "max_fail": 0}, {"grade": "合格", "max_basic": 1, "max_fail": 0}],
         "otherwise": "需整改", "empty": "需整改", "rectify_days": 30},
        "参照区县督查做法：全部合格为优秀，至多一条基本合格且无不合格为合格，其余需整改，30天内整改。",
    ),
    Spec(
        "excellent_share", "优秀代表候选比例", "评分评优",
        "R17 优秀代表候选人数占参评代表的比例（向下取整）；“优秀代表候选人数”大于0时按人数，不用此比例。",
        "%", Kind.SHARE, 0.2, "沅江的做法：优秀代表不超过代表总数的20%。", low=0, high=1, low_open=True,
    ),
    Spec(
        "excellent_top_n", "优秀代表候选人数", "评分评优",
        "R17 大于0时，优秀代表候选按此人数产生（不超过参评人数）；为0时按“优秀代表候选比例”计算。",
        "人", Kind.WHOLE, 0, "默认按比例产生候选（0 表示不按固定人数）。", low=0, high=1000,
    ),
    Spec(
        "excellent_exclude_leaders", "担任领导职务的代表不参评优秀代表", "评分评优",
        "R17 为“是”时，担任领导职务的代表不列入优秀代表候选（名单中注明原因）；为“否”时与其他代表一同排名。",
        "", Kind.YES_NO, True, "沅江的做法：担任领导职务的代表不参加优秀代表评选。",
    ),
    Spec(
        "advanced_groups", "每年先进代表组候选数", "评分评优",
        "R17 每年按代表组得分从高到低产生几个先进代表组候选（抽查评定为需整改的代表组不参评）。",
        "个", Kind.WHOLE, 3, "参照一些乡镇每年评出3个先进代表组的做法。", low=1, high=100,
    ),
    Spec(
        "hot_min_writers", "集中反映的最少来信人数", "热点问题",
        "R14 同一选区、同一类别的问题有多少位不同来信人反映，即列为集中反映，可形成监督议题。同一人多次来信只算一人。"
        "改小会列出更多集中反映。",
        "人", Kind.WHOLE, 3, "几位不同的选民反映同一问题才是集中反映，不是一个人反复来信；3人起。", low=2, high=100,
    ),
    Spec(
        "letter_categories", "问题类别", "基础选项",
        "来信和群众意见登记时可选的问题类别，热点问题、R4提示和季度汇总按类别统计。删除一个类别后，已有记录保留原类别，"
        "但新登记不能再选。",
        "项", Kind.WORDS,
        ["城乡建设", "社会保障", "教育", "医疗卫生", "环境保护", "交通出行", "劳动就业", "农业农村", "住房物业", "治安司法", "其他"],
        "接近海口、佛山、沁阳等地在用的问题类别。",
    ),
    Spec(
        "activity_target_groups", "联系对象", "基础选项",
        "R2 登记联系选民活动时可选的联系对象（“三问”：问难于困难群体、问需于普通选民、问计于行业领军人物和社会知名人士）；"
        "活动台账导入也按此检查。已有活动保留原选项。",
        "项", Kind.WORDS, ["特困户", "零就业家庭", "低收入家庭", "孤寡病残", "一般选民", "行业领军人物", "社会知名人士"],
        "指导意见列举的联系对象。",
    ),
    Spec(
        "activity_modes", "活动形式", "基础选项",
        "R2 登记联系选民活动时可选的活动形式，活动统计按形式分列；活动台账导入也按此检查。已有活动保留原选项。",
        "项", Kind.WORDS, ["专门活动", "走访慰问", "提供咨询服务", "现场办公解疑", "调研座谈", "公益活动"],
        "指导意见列举的活动形式。",
    ),
    Spec(
        "idle_timeout_minutes", "无操作自动退出时间", "安全",
        "登录后连续这么多分钟没有任何操作，会话结束，需要重新登录（离开电脑忘记退出时，他人不能接着使用）。",
        "分钟", Kind.WHOLE, 30, "办公室电脑常有多人使用；30分钟是政务内网系统常见的会话超时。", low=5, high=480,
    ),
    Spec(
        "import_max_rows", "一次导入的最多行数", "安全",
        "代表名单、议案建议和活动台账一次导入的最多数据行数；超过时整个文件不导入，并说明上限和文件的行数。",
        "行", Kind.WHOLE, 5000, "全区代表和一年的台账远少于5000行；上限防止误传大文件长时间占用服务器。",
        low=100, high=100000,
    ),
    Spec(
        "intent_keep_days", "防重复提交记录保留天数", "安全",
        "每次保存都记下表单的一次性标记，用来识别重复点击、重复提交；超过这么多天的标记每天清理一次"
        "（此后再提交那么久以前打开的表单，会按记录版本判断是否已被他人修改）。",
        "天", Kind.WHOLE, 30, "重复点击发生在几秒之内；保留30天足以覆盖长时间未关闭的页面，表也不会无限增长。",
        low=1, high=365,
    ),
]

REGISTRY: dict[str, Spec] = {s.key: s for s in _SPECS}

# default value and Chinese label of each setting (kept for the callers that read it this way)
DEFAULTS: dict[str, tuple[object, str]] = {k: (s.default, s.label) for k, s in REGISTRY.items()}


def spec(key: str) -> Spec:
    """The registry entry of a setting (KeyError for an unknown key)."""
    return REGISTRY[key]


def label(key: str) -> str:
    """Return the Chinese label of a setting."""
    return REGISTRY[key].label


def default(key: str) -> object:
    """A setting's built-in default (a copy)."""
    return copy.deepcopy(REGISTRY[key].default)


# ---------------------------------------------------------------- reading


_PINNED: ContextVar[dict | None] = ContextVar("rddb_settings_pinned", default=None)


@contextmanager
def pinned(values: dict) -> Iterator[None]:
    """Within the block, ``get`` returns these values instead of the stored ones (in this thread or
    task only): a confirmed list is recomputed with the settings it was computed with."""
    token = _PINNED.set({**(_PINNED.get() or {}), **values})
    try:
        yield
    finally:
        _PINNED.reset(token)


def area_code(session: Session) -> int | None:
    """The district's long-distance area code without its 0 (setting ``local_area_code``), None
    when not set: what a local landline typed without area code is given (services.identity)."""
    return int(get(session, "local_area_code")) or None


def get(session: Session, key: str) -> object:
    """Return a setting's value (the default when never set; a pinned value inside ``pinned``)."""
    pin = _PINNED.get()
    if pin and key in pin:
        return copy.deepcopy(pin[key])
    row = session.get(models.Setting, key)
    if row is not None and row.value is not None:
        return copy.deepcopy(row.value)
    return copy.deepcopy(DEFAULTS[key][0])


def put(session: Session, key: str, value: object) -> None:
    """Store a setting's value without checks (demo data and tests; the page uses ``save``)."""
    if key not in DEFAULTS:
        raise KeyError(key)
    row = session.get(models.Setting, key)
    if row is None:
        session.add(models.Setting(key=key, value=value))
    else:
        row.value = value


@dataclass
class Entry:
    """One setting as the page shows it: its spec, the value now, and who changed it last."""

    spec: Spec
    value: object
    is_default: bool
    changed_by: str | None = None
    changed_at: datetime | None = None


def entries(session: Session) -> list[Entry]:
    """Every setting with its current value and last change (from the audit log), registry order."""
    stored = {r.key: r.value for r in session.execute(select(models.Setting)).scalars()}
    A = models.AuditLog
    last: dict[str, tuple[str, datetime]] = {}
    for key, user, at in session.execute(
            select(A.entity_id, A.username, A.at).where(A.entity == "Setting", A.action.in_(("新增", "修改")))
            .order_by(A.at.desc(), A.id.desc())):
        last.setdefault(key, (user, at))
    who_is = people.names_of(session, [u for u, _ in last.values()])
    last = {k: (who_is.get(u, u), at) for k, (u, at) in last.items()}
    out = []
    for key, s in REGISTRY.items():
        value = copy.deepcopy(stored[key]) if stored.get(key) is not None else default(key)
        who, at = last.get(key, (None, None))
        out.append(Entry(s, value, same(value, s.default), who, at))
    return out


def same(a: object, b: object) -> bool:
    """True when two values of a setting are equal (0.2 and 0.20000000001 are; lists keep order)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return abs(float(a) - float(b)) < 1e-9
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


# ---------------------------------------------------------------- text of a value


def describe(key: str, value: object) -> str:
    """A value as the page and the messages show it, with its unit: "2 次", "20%–30%", …"""
    s = REGISTRY[key]
    try:
        if s.kind == Kind.WHOLE:
            text = f"{int(value)} {s.unit}"
            if key == "excellent_top_n" and int(value) == 0:
                text += "（按比例）"
            if key == "local_area_code":
                text = f"0{int(value)}" if int(value) else "未设置（本地号码不补区号）"
            return text
        if s.kind == Kind.SHARE:
            return _pct(value)
        if s.kind == Kind.YES_NO:
            return "是" if value else "否"
        if s.kind == Kind.WORDS:
            return "、".join(str(w) for w in value) + f"（共 {len(value)} 项）"
        if s.kind == Kind.LETTER_DEADLINES:
            return "；".join(f"{name} {value[k]}" for k, name in DEADLINE_PARTS.items()) + "（工作日）"
        if s.kind == Kind.SHARE_BAND:
            return f"{_pct(value['min'])}–{_pct(value['max'])}"
        if s.kind == Kind.GRADE_BANDS:
            bands = sorted(value, key=lambda b: -float(b["min"]))
            parts = []
            for i, b in enumerate(bands):
                lo = float(b["min"])
                if i == 0:
                    parts.append(f"{b['grade']}：满意率 ≥ {_pct(lo)}")
                elif lo <= 0:
                    parts.append(f"{b['grade']}：低于 {_pct(bands[i - 1]['min'])}")
                else:
                    parts.append(f"{b['grade']}：{_pct(lo)}（含）至 {_pct(bands[i - 1]['min'])}")
            return "；".join(parts)
        if s.kind == Kind.SPOTCHECK_RULE:
            parts = [f"{b['grade']}：基本合格不超过 {b.get('max_basic', 0)} 条、不合格不超过 {b.get('max_fail', 0)} 条"
                     for b in value.get("bands", [])]
            parts.append(f"否则{value.get('otherwise', GroupGrade.RECTIFY)}")
            parts.append(f"没有可抽记录时{value.get('empty', GroupGrade.RECTIFY)}")
            parts.append(f"整改期限 {value.get('rectify_days', 30)} 天")
            return "；".join(parts)
    except (KeyError, TypeError, ValueError):
        pass
    return str(value)


# ---------------------------------------------------------------- validation


def _whole(value: object) -> int | None:
    """An integer from a form value (int, a float without fraction, digits as text); None if not."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    text = clean_code(value)  # full-width digits read as digits
    # at most 9 digits and one leading minus: no 5,000-digit number, no "--3"
    if re.fullmatch(r"-?[0-9]{1,9}", text):
        return int(text)
    return None


def _share(value: object) -> float | None:
    """A share from a form value (a number 0–1); None when it is not a number."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        v = float(value)
    else:
        try:
            v = float(clean_code(value))
        except ValueError:
            return None
    return None if v != v else round(v, 6)


def _check_whole(value: object, lo: int, hi: int, what: str, unit: str) -> tuple[int | None, str | None]:
    """(the integer, None) or (None, the Chinese message) for a whole number in [lo, hi]."""
    n = _whole(value)
    if n is None:
        return None, f"{what}须为整数（{unit}）"
    if not lo <= n <= hi:
        return None, f"{what}须在 {lo}–{hi} {unit}之间（填写的是 {n}）"
    return n, None


def _brief(word: str) -> str:
    """A word as a message names it: at most 20 characters, then “…”."""
    return word if len(word) <= 20 else word[:20] + "…"


def _check_words(value: object) -> tuple[list[str], str | None]:
    """A clean list of words, or the message saying what is wrong with it."""
    if not isinstance(value, list | tuple):
        return [], "请填写选项，每行一项"
    words: list[str] = []
    for i, raw in enumerate(value, start=1):
        w = clean_word(raw)
        if any(unicodedata.category(ch) in ("Cc", "Cf") for ch in w):
            return [], f"第 {i} 项含有不可见字符，请删除后重新输入"
        if not w:
            return [], f"第 {i} 项为空，请删除空项"
        if len(w) > WORD_MAX_CHARS:
            return [], f"第 {i} 项“{_brief(w)}”超过 {WORD_MAX_CHARS} 个字（共 {len(w)} 个字）"
        bad = [c for c in WORD_SEPARATORS if c in w]
        if bad:
            return [], f"第 {i} 项“{_brief(w)}”含有分隔符“{bad[0]}”，每行只写一项"
        if w in words:
            return [], f"“{_brief(w)}”重复出现，每项只能出现一次"
        words.append(w)
    if not words:
        return [], "至少需要 1 项"
    if len(words) > WORDS_MAX_ITEMS:
        return [], f"最多 {WORDS_MAX_ITEMS} 项（填写了 {len(words)} 项）"
    return words, None


def _validate_deadlines(value: object, errors: dict) -> dict:
    """{handed, reply, forward, feedback} in working days, in a sensible order."""
    value = value if isinstance(value, dict) else {}
    lo, hi = DEADLINE_RANGE
    out: dict[str, int] = {}
    for k, name in DEADLINE_PARTS.items():
        n, msg = _check_whole(value.get(k), lo, hi, f"{name}时限", "个工作日")
        if msg:
            errors[k] = msg
        else:
            out[k] = n
    if len(out) == len(DEADLINE_PARTS):
        if out["handed"] > out["reply"]:
            errors["handed"] = (f"交给代表的时限（{out['handed']} 个工作日）不能长于首次答复时限"
                                f"（{out['reply']} 个工作日）：来信要先交给代表才能答复")
        if out["reply"] > out["feedback"]:
            errors["reply"] = (f"首次答复时限（{out['reply']} 个工作日）不能长于办结反馈时限"
                               f"（{out['feedback']} 个工作日）")
        elif out["reply"] + out["forward"] > out["feedback"]:
            errors["forward"] = (f"首次答复时限加转办时限（共 {out['reply'] + out['forward']} 个工作日）不能超过"
                                 f"办结反馈时限（{out['feedback']} 个工作日）：转办后还要留出办理和反馈的时间")
    return out


def _validate_band(value: object, errors: dict) -> dict:
    """{min, max} shares with 0 < min ≤ max ≤ 1."""
    value = value if isinstance(value, dict) else {}
    lo, hi = _share(value.get("min")), _share(value.get("max"))
    if lo is None:
        errors["min"] = "请填写下限（%）"
    elif not 0 < lo <= 1:
        errors["min"] = f"下限须大于 0% 且不超过 100%（填写的是 {_pct(lo)}）"
    if hi is None:
        errors["max"] = "请填写上限（%）"
    elif not 0 < hi <= 1:
        errors["max"] = f"上限须大于 0% 且不超过 100%（填写的是 {_pct(hi)}）"
    if "min" not in errors and "max" not in errors and lo > hi:
        errors["max"] = f"上限（{_pct(hi)}）不能低于下限（{_pct(lo)}）"
    return {"min": lo, "max": hi}


def _validate_grade_bands(value: object, errors: dict) -> list[dict]:
    """[{min, grade}, …] from the highest band down to one at 0%."""
    if not isinstance(value, list | tuple) or not value:
        errors["value"] = "请填写各档次"
        return []
    n_lo, n_hi = GRADE_BANDS_COUNT
    if not n_lo <= len(value) <= n_hi:
        errors["value"] = f"档次须为 {n_lo}–{n_hi} 个"
        return []
    out: list[dict] = []
    grades: list[str] = []
    for i, band in enumerate(value):
        band = band if isinstance(band, dict) else {}
        grade = clean_text(band.get("grade"))
        if not grade or len(grade) > WORD_MAX_CHARS or any(unicodedata.category(c) in ("Cc", "Cf") for c in grade):
            errors[f"grade{i}"] = f"第 {i + 1} 档的名称须为 1–{WORD_MAX_CHARS} 个字"
        elif grade in grades:
            errors[f"grade{i}"] = f"档次名称“{grade}”重复"
        grades.append(grade)
        lo = _share(band.get("min"))
        if lo is None or not 0 <= lo <= 1:
            errors[f"min{i}"] = f"“{grade or i + 1}”的满意率下限须在 0%–100% 之间"
        elif out and out[-1]["min"] is not None and lo >= out[-1]["min"]:
            errors[f"min{i}"] = (f"“{grade}”的下限（{_pct(lo)}）须低于上一档“{out[-1]['grade']}”的下限"
                                 f"（{_pct(out[-1]['min'])}）")
        out.append({"min": lo, "grade": grade})
    last = len(out) - 1
    if f"min{last}" not in errors and out[last]["min"] != 0:
        errors[f"min{last}"] = f"最低一档“{out[last]['grade']}”的下限须为 0%，以便每个满意率都有档次"
    return out


def _validate_spotcheck_rule(value: object, errors: dict) -> dict:
    """The group grading rule: limits of 优秀 and 合格, the grade of a group without records,
    and the rectification period."""
    value = value if isinstance(value, dict) else {}
    bands = {b.get("grade"): b for b in value.get("bands", []) if isinstance(b, dict)}
    limits: dict[str, int] = {}
    for grade, prefix in ((GroupGrade.EXCELLENT, "excellent"), (GroupGrade.PASS, "pass")):
        band = bands.get(grade, {})
        for part, what in (("basic", "基本合格"), ("fail", "不合格")):
            name = f"{prefix}_{part}"
            n, msg = _check_whole(band.get(f"max_{part}"), 0, FINDING_LIMIT, f"{grade}允许的{what}记录数", "条")
            if msg:
                errors[name] = msg
            else:
                limits[name] = n
    for part, what in (("basic", "基本合格"), ("fail", "不合格")):
        e, p = limits.get(f"excellent_{part}"), limits.get(f"pass_{part}")
        if e is not None and p is not None and e > p:
            errors[f"excellent_{part}"] = (f"优秀允许的{what}记录数（{e} 条）不能多于合格允许的（{p} 条），"
                                           "否则合格永远评不出")
    days, msg = _check_whole(value.get("rectify_days"), *RECTIFY_RANGE, "整改期限", "天")
    if msg:
        errors["rectify_days"] = msg
    empty = value.get("empty")
    if empty not in set(GroupGrade):
        errors["empty"] = "没有可抽记录时的评定须为优秀、合格或需整改"
    return {
        "bands": [{"grade": str(GroupGrade.EXCELLENT), "max_basic": limits.get("excellent_basic"),
                   "max_fail": limits.get("excellent_fail")},
                  {"grade": str(GroupGrade.PASS), "max_basic": limits.get("pass_basic"),
                   "max_fail": limits.get("pass_fail")}],
        "otherwise": str(GroupGrade.RECTIFY), "empty": str(empty) if empty else None, "rectify_days": days,
    }


def validate(key: str, value: object) -> object:
    """Check a proposed value of setting ``key``; return it clean, or raise ValidationError.

    The errors map a field to its Chinese message: ``value`` for a single value, the part's name
    for a composite one (deadlines: handed/reply/forward/feedback; band: min/max; grade bands:
    min0…/grade0…; spot-check rule: excellent_basic, pass_fail, rectify_days, empty …).
    """
    if key not in REGISTRY:
        raise ValidationError({"key": f"没有名为“{key}”的设置项"})
    s = REGISTRY[key]
    errors: dict[str, str] = {}
    clean: object = None
    if s.kind == Kind.WHOLE:
        clean, msg = _check_whole(value, int(s.low), int(s.high), s.label, s.unit)
        if msg:
            errors["value"] = msg
    elif s.kind == Kind.SHARE:
        v = _share(value)
        too_low = v is not None and (v <= s.low if s.low_open else v < s.low)
        if v is None:
            errors["value"] = f"请填写{s.label}（%）"
        elif too_low or v > s.high:
            errors["value"] = f"{s.label}须{s.allowed()}（填写的是 {_pct(v)}）"
        clean = v
    elif s.kind == Kind.YES_NO:
        if not isinstance(value, bool):
            errors["value"] = "请选择是或否"
        clean = value
    elif s.kind == Kind.WORDS:
        clean, msg = _check_words(value)
        if msg:
            errors["value"] = msg
    elif s.kind == Kind.LETTER_DEADLINES:
        clean = _validate_deadlines(value, errors)
    elif s.kind == Kind.SHARE_BAND:
        clean = _validate_band(value, errors)
    elif s.kind == Kind.GRADE_BANDS:
        clean = _validate_grade_bands(value, errors)
    elif s.kind == Kind.SPOTCHECK_RULE:
        clean = _validate_spotcheck_rule(value, errors)
    if errors:
        raise ValidationError(errors)
    return clean
