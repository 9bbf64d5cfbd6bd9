"""Demo data: a realistic district, deterministic from a seed, inserted in bulk.

``generate(url, seed=..., deputies=..., letters=...)`` fills an empty, migrated database with one
term in its third year, offices (街道办事处), deputy groups, electoral districts, deputies with
plausible names, units and parties, mailboxes with weekly openings, and about a year and a half of
records of every kind in DOMAIN.md: contact activities with participating deputies and voters'
opinions (every opinion state, with events), letters in every lifecycle state with their history,
proposals with signers and sources, congress events with attendance, publicity and rule-of-law
work, report plans, face-to-face and written reports, rectification items, hearings, quarterly
summaries, two supervision topics, and the four demo accounts (password ``demo12345``).

How it is made fast (a benchmark asks for 20,000 deputies and a million letters):
- every primary key is computed in Python (from max(id)+1 of each table), so links between rows
  need no round trip; rows go in with Core ``insert()`` executemany in chunks of 5,000;
- letters and their events are generated and written in date order, chunk by chunk, so memory
  stays flat; only the few ids later links need (clusters, merge targets) are kept;
- on SQLite the rows go straight to the driver's executemany, converted exactly as SQLAlchemy
  stores them, and on PostgreSQL through COPY (tests check that these paths store the same rows
  as Core inserts do);
- Core inserts bypass the ORM audit listener on purpose: demo rows are not audited;
- PostgreSQL sequences are moved past the explicit ids at the end.

What is in it, on purpose (the pages and 工作台 need each case): most deputies hold 4–6 contact
activities a year, about 7% of this year's deputies (at least one) fewer than 2 (R1); a few
deputies resigned or died during the window, a few joined by by-election; every opinion state
and every letter state (a few recent letters are steered into each state so that even a tiny demo
shows them), anonymous letters, repeat writers, merged duplicates, reopened rounds, paused clocks,
letters stuck past their deadlines; concentrated appeals (same category and district, many
writers), half of them already turned into a 建议 (R4) and two made supervision topics (R14);
议案 with at least 10 signers; report plans of a size the R6 rule allows (``rules.report_share``, the
band of the ``report_share`` setting; not in term year 1) of each group's deputies serving on the
year's reference day, as ``services.deputies`` counts them; written reports missing, received, reviewed (通过 or
退回修改), filed and published; mailboxes with skipped weeks and some not opened in the last 7
days; quarterly summaries mostly submitted. Spot checks (``spotchecks.demo_checks``): the quarter before last
drawn from a lottery and finished, last quarter an abandoned 封存 and its reseal opened with dice, this
quarter's list sealed and waiting for its draw.

Determinism: every part draws from its own ``random.Random(f"{seed}:{part}")``, and every date
derives from ``today`` (default ``clock.today()``), so the same seed and ``today`` give the same data.
Records cover whole calendar years: from 1 January of the year ``years`` before ``today`` up to
``today`` (for the default 1.5 years and a day in November: all of last year and this year so far).
There is one term (five years): it begins two years before ``today``'s year, or earlier when
``years`` reaches further back, at most four years before (the term in its fifth year). A longer
``years`` is refused (ValueError, in Chinese) rather than silently shortened.

Who serves when follows the same definitions as ``services.deputies``: each deputy's period of
service (written with ``db.periods.period_row``) covers a day by ``deputies.period_covers``, and a
year's duties count those serving on the year's reference day (31 December of a past year,
``today`` in its year).

``progress(fraction, text)`` (optional) is called between the parts, for a progress bar.
"""

from __future__ import annotations

import json
import math
import random
from bisect import bisect
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from operator import itemgetter

from sqlalchemy import JSON, Date, DateTime, func, select, text
from sqlalchemy.orm import Session

from db import models, stats
from db.engine import session_scope
from db.periods import period_row
from services import auth, clock, counters, rules, scoring
from services import letters as letter_service
from services import opinions as opinion_service
from services import reports as report_service
from services import settings as settings_service
from services.deputies import period_covers
from services.identity import writer_key
from services.masterdata import pinyin_initials
from services.states import (
    ActivityKind,
    AttendanceStatus,
    DeputyStatus,
    EventKind,
    KeeperKind,
    LetterStatus,
    OpinionSource,
    OpinionStatus,
    Organiser,
    Outcome,
    ProposalKind,
    ProposalStatus,
    PublicityKind,
    RectificationSource,
    RectificationStatus,
    ReplyMethod,
    ReportForm,
    ReviewResult,
    Satisfaction,
    TopicStatus,
)

CHUNK = 5000
TERM_NUMBER = 18
TERM_YEARS = 5  # a term's calendar years: the generator writes one term
CN_NUM = "零一二三四五六七八九十"

# ---------------------------------------------------------------- vocabulary

# surname, relative frequency (per cent of the population, rounded)
SURNAMES = [
    ("王", 7.25), ("李", 7.19), ("张", 6.83), ("刘", 5.38), ("陈", 4.53), ("杨", 3.08), ("赵", 2.29),
    ("黄", 2.23), ("周", 1.95), ("吴", 2.05), ("徐", 1.59), ("孙", 1.54), ("马", 1.48), ("朱", 1.35),
    ("胡", 1.31), ("郭", 1.25), ("何", 1.2), ("高", 1.2), ("林", 1.18), ("罗", 1.1), ("郑", 1.0),
    ("梁", 0.96), ("谢", 0.8), ("宋", 0.7), ("唐", 0.69), ("许", 0.66), ("韩", 0.65), ("冯", 0.64),
    ("邓", 0.63), ("曹", 0.61), ("彭", 0.58), ("曾", 0.57), ("肖", 0.55), ("田", 0.52), ("董", 0.51),
    ("袁", 0.49), ("潘", 0.47), ("于", 0.47), ("蒋", 0.46), ("蔡", 0.45), ("余", 0.44), ("杜", 0.43),
    ("叶", 0.42), ("程", 0.41), ("苏", 0.4), ("魏", 0.39), ("吕", 0.38), ("丁", 0.37), ("任", 0.36),
    ("沈", 0.35), ("姚", 0.34), ("卢", 0.33), ("姜", 0.32), ("崔", 0.31), ("钟", 0.3), ("谭", 0.29),
    ("陆", 0.28), ("汪", 0.27), ("范", 0.26), ("金", 0.25), ("石", 0.24), ("廖", 0.23), ("贾", 0.22),
    ("夏", 0.21), ("韦", 0.2), ("付", 0.2), ("方", 0.19), ("白", 0.19), ("邹", 0.18), ("孟", 0.18),
    ("熊", 0.17), ("秦", 0.17), ("邱", 0.17), ("江", 0.16), ("尹", 0.16), ("薛", 0.15), ("闫", 0.15),
    ("段", 0.14), ("雷", 0.14), ("侯", 0.13), ("龙", 0.13), ("史", 0.12), ("陶", 0.12), ("黎", 0.12),
    ("贺", 0.11), ("顾", 0.11), ("毛", 0.11), ("郝", 0.1), ("龚", 0.1), ("邵", 0.1), ("万", 0.09),
    ("钱", 0.09), ("严", 0.09), ("覃", 0.08), ("武", 0.08), ("戴", 0.08), ("莫", 0.08), ("孔", 0.07),
    ("向", 0.07), ("汤", 0.07), ("单", 0.03), ("欧阳", 0.03), ("司马", 0.01), ("诸葛", 0.01),
]
GIVEN_MALE = list("伟强磊军勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆旭宁龙林峰海东文永春振兴德成庆国良")
GIVEN_FEMALE = list("芳娜敏静丽艳娟霞燕玲丹萍红琳洁梅莉婷雪慧颖倩琴云兰凤佳悦晶欣蕾薇秀英桂")
GIVEN_MIDDLE = list("晓志建国文海春玉秀丽德永明小立红宏家子雨思梓一新德光卫爱俊淑美")

OFFICE_PLACES = [
    "城关", "东关", "新华", "建设路", "人民路", "解放路", "和平", "文化路", "红旗", "向阳", "胜利", "光明",
    "长江路", "黄河路", "中山", "民主路", "五一路", "朝阳", "花园路", "府前", "站前", "滨河", "东风", "南湖",
    "西湖", "北苑", "金水", "工人路", "学府", "新城", "汉江路", "桥南", "桥北", "东城", "西城", "南关",
    "北关", "西关", "龙湖", "凤凰",
]
COMMUNITIES = [
    "幸福", "和谐", "春晖", "安居", "育才", "康乐", "翠苑", "金桥", "锦绣", "长青", "枫林", "桂园", "丽景",
    "龙泉", "福民", "兴隆", "永安", "东升", "瑞祥", "丰乐", "惠民", "文昌", "振兴", "新村",
]
ROADS = [
    "人民路", "建设路", "解放路", "中山路", "文化路", "和平路", "胜利路", "光明路", "新华路", "工业路",
    "学府路", "滨河路", "黄河路", "长江路", "迎宾大道", "朝阳路", "花园路", "东风路", "北环路", "南环路",
]
ESTATES = [
    "阳光花园", "锦绣家园", "金色港湾", "翠湖苑", "幸福里", "华府名都", "铁路家属院", "纺织厂家属院",
    "棉纺新村", "书香苑", "世纪城", "丽水佳园", "和谐家园", "盛世华庭", "建业小区", "供电局家属院",
    "粮食局宿舍", "富春苑", "银河湾", "东方花城",
]
VILLAGES = ["王庄", "李家寨", "东营", "西营", "柳河", "杨湾", "孙庄", "前进", "红星", "大刘庄", "小河", "石桥",
            "马岗", "陈楼"]
COMPANY_NAMES = ["华宇", "恒达", "鑫源", "宏远", "金泰", "瑞丰", "天成", "永安", "博通", "中联", "正大", "德润",
                 "新兴", "豫龙", "汇通", "康達"]
COMPANY_KINDS = ["建设集团有限公司", "食品有限公司", "机械制造有限公司", "物流有限公司", "科技有限公司",
                 "商贸有限公司", "置业有限公司", "纺织有限公司", "农业发展有限公司", "医药有限公司"]
SCHOOLS = ["区实验小学", "区第一中学", "区第二中学", "区第三小学", "区职业技术学校", "区第一幼儿园", "区育英学校"]
HOSPITAL_DEPTS = ["内科", "外科", "儿科", "妇产科", "急诊科", "中医科", "全科医学科"]
BUREAUS = ["财政局", "教育局", "民政局", "住房和城乡建设局", "交通运输局", "卫生健康委员会", "农业农村局",
           "市场监督管理局", "人力资源和社会保障局", "城市管理局"]
LAW_FIRMS = ["正义", "明德", "公信", "衡平", "至诚"]

DEMOCRATIC_PARTIES = ["民革", "民盟", "民建", "民进", "农工党", "致公党", "九三学社"]
MOBILE_PREFIXES = ["130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "150", "151", "152",
                   "153", "155", "156", "157", "158", "159", "166", "173", "175", "176", "177", "178", "180",
                   "181", "182", "183", "184", "185", "186", "187", "188", "189", "191", "198", "199"]
AREA_CODE = "0371"

CATEGORY_WEIGHTS = {"城乡建设": 15, "社会保障": 12, "教育": 8, "医疗卫生": 8, "环境保护": 9, "交通出行": 10,
                    "劳动就业": 6, "农业农村": 5, "住房物业": 15, "治安司法": 5, "其他": 7}
BODIES = {
    "城乡建设": ["区住房和城乡建设局", "区城市管理局", "区自然资源和规划局"],
    "社会保障": ["区人力资源和社会保障局", "区民政局", "区医疗保障局"],
    "教育": ["区教育局"],
    "医疗卫生": ["区卫生健康委员会", "区医疗保障局"],
    "环境保护": ["市生态环境局区分局", "区城市管理局", "区水利局"],
    "交通出行": ["区交通运输局", "区公安分局交通管理大队", "区城市管理局"],
    "劳动就业": ["区人力资源和社会保障局", "区总工会"],
    "农业农村": ["区农业农村局", "区水利局"],
    "住房物业": ["区住房和城乡建设局", "区房屋征收与补偿办公室", "所在街道办事处"],
    "治安司法": ["区公安分局", "区司法局", "区人民法院", "区人民检察院"],
    "其他": ["区人民政府办公室", "区文化广电和旅游局", "区市场监督管理局"],
}
DEFAULT_BODIES = ["区人民政府有关部门"]
# {c} community, {r}/{r2} roads, {x} estate, {v} village
PROBLEMS = {
    "城乡建设": ["{r}与{r2}交叉口路面坑洼多年未修，雨天积水严重，希望尽快维修",
             "{c}社区背街小巷路灯损坏，夜间出行不便，请求维修",
             "{x}小区周边违章搭建较多，占用消防通道，请求依法拆除",
             "{r}沿线雨污管网老化，下雨时污水外溢，请求改造"],
    "社会保障": ["{c}社区低保户年审后低保金被停发，希望核实情况",
             "独居高龄老人申请居家养老服务补贴迟迟未批，希望帮助协调",
             "{c}社区缺少老年人日间照料中心，老人就餐不便，建议增设助餐点",
             "残疾人两项补贴发放不及时，请求核查"],
    "教育": ["{x}小区适龄儿童多，附近公办幼儿园学位紧张，希望增加学位",
           "{c}社区学校放学时段校门口拥堵，建议错峰放学并增设接送区",
           "学校课后服务收费不透明，希望规范",
           "随迁子女入学材料要求繁琐，希望简化办理"],
    "医疗卫生": ["{c}社区卫生服务站药品种类少，慢性病患者取药不便",
             "希望{c}社区卫生服务中心延长门诊时间，方便上班族就医",
             "异地就医医保报销手续复杂，希望简化",
             "{x}小区附近缺少诊所和药店，老人看病不方便"],
    "环境保护": ["{r}附近餐馆油烟直排，影响周边居民生活，请求治理",
             "{x}小区旁工地夜间施工噪音扰民，希望规范施工时间",
             "{c}社区内河道淤积发臭，希望清淤整治",
             "{r}垃圾中转站异味大、清运不及时，请求整改"],
    "交通出行": ["{r}公交站台没有遮雨棚，候车不便，建议增设",
             "{x}小区周边停车位严重不足，车辆乱停乱放，希望规划停车场",
             "{r}与{r2}路口信号灯时长设置不合理，高峰期拥堵，建议优化",
             "希望开通{c}社区至区人民医院的公交线路"],
    "劳动就业": ["在{x}小区工地务工被拖欠工资三个月，请求帮助追讨",
             "{c}社区零就业家庭较多，希望多组织技能培训和招聘会",
             "灵活就业人员社保缴费政策不清楚，希望上门宣传",
             "大龄失业人员再就业困难，希望提供公益性岗位"],
    "农业农村": ["{v}村灌溉渠年久失修，影响春耕用水，请求维修",
             "{v}村通组道路尚未硬化，雨天泥泞难行，希望列入计划",
             "{v}村土地流转费用未按期支付，请求协调",
             "{v}村生活污水直排，希望建设污水处理设施"],
    "住房物业": ["{x}小区物业服务差，垃圾清运不及时，业主多次反映未果",
             "{x}小区老旧楼房没有电梯，老人上下楼困难，希望加装电梯",
             "{x}小区专项维修资金使用不公开，业主有意见",
             "{x}小区屋面渗漏严重，开发商和物业互相推诿，请求协调",
             "{x}小区房产证迟迟办不下来，希望帮助解决"],
    "治安司法": ["{x}小区夜间常有人聚集喧哗，希望加强巡逻",
             "老年人频繁接到诈骗电话，希望加强反诈宣传",
             "{c}社区电动车被盗较多，建议增设监控和充电棚",
             "与邻居宅基地纠纷多次调解无果，希望提供法律援助"],
    "其他": ["{c}社区文化活动场所少，希望增设健身器材",
           "{r}沿线商铺占道经营，影响通行",
           "希望在{c}社区增设便民服务点，方便办理证件",
           "{c}社区网络信号差，希望协调运营商改善"],
}
DEFAULT_PROBLEMS = ["{c}社区居民反映的其他问题，希望有关部门研究解决"]
LETTER_OPENERS = ["本人系{x}小区居民，", "", "", "我是{c}社区居民，", "", "反映：", "我们{x}小区多户居民反映，"]
RESULTS = ["经{b}核实，已安排专人现场查看并制定整改方案，预计{m}月底前完成",
           "{b}已完成维修整改，来信人反映的问题已解决",
           "{b}已将该事项纳入{y}年度实施计划，分步推进",
           "{b}已约谈相关单位并责令限期整改",
           "经{b}核查，已按政策予以解决",
           "经{b}核查，该事项不符合现行政策规定，已向来信人解释说明"]
CLOSE_REASONS = ["反映事项已进入诉讼程序，已告知来信人依法通过司法途径解决",
                 "反映内容不属于代表联系选民工作受理范围，已告知来信人向有关部门反映",
                 "来信内容不明确，多次联系来信人未果"]
FEEDBACK_METHODS = ["电话", "当面", "书面", "短信"]

TOPICS = {"城乡建设": "老旧小区改造", "住房物业": "老旧小区加装电梯", "交通出行": "城区停车难治理",
          "教育": "普惠性学前教育资源扩容", "医疗卫生": "社区卫生服务能力提升", "社会保障": "居家养老服务体系建设",
          "环境保护": "餐饮油烟污染治理", "劳动就业": "根治农民工欠薪", "农业农村": "农村人居环境整治",
          "治安司法": "电信网络诈骗防范", "其他": "基层公共文化设施建设"}
PROPOSAL_TITLES = ["关于{where}{topic}的{word}", "关于加快推进{where}{topic}的{word}",
                   "关于进一步做好{where}{topic}工作的{word}", "关于解决{where}{topic}中突出问题的{word}"]
LAWS = ["食品安全法", "大气污染防治法", "道路交通安全法", "未成年人保护法", "消防法", "安全生产法",
        "老年人权益保障法", "就业促进法"]
ACT_TARGETS_BY_KIND = {
    ActivityKind.WENNAN: ["特困户", "零就业家庭", "低收入家庭", "孤寡病残"],
    ActivityKind.WENXU: ["一般选民"],
    ActivityKind.WENJI: ["行业领军人物", "社会知名人士"],
    ActivityKind.OTHER: ["一般选民"],
}
ACT_MODES_BY_KIND = {
    ActivityKind.WENNAN: [("走访慰问", 6), ("公益活动", 2), ("提供咨询服务", 2)],
    ActivityKind.WENXU: [("专门活动", 5), ("现场办公解疑", 3), ("提供咨询服务", 2)],
    ActivityKind.WENJI: [("调研座谈", 8), ("专门活动", 2)],
    "其他": [("公益活动", 5), ("专门活动", 5)],
}
ACT_SUMMARIES = {
    "走访慰问": "{names}走访慰问{c}社区{t}{n}户，送去慰问品，详细了解其生活困难和实际需求，收集意见{m}条。",
    "专门活动": "{names}在{place}开展代表接待选民活动，接待选民{n}人，收集意见建议{m}条。",
    "现场办公解疑": "{names}在{place}现场办公，就选民关心的{topic}问题现场答疑，当场解答{n}人次。",
    "调研座谈": "{names}邀请{t}召开座谈会，围绕{topic}听取意见建议，参加{n}人。",
    "提供咨询服务": "{names}联合律师、医生在{place}为居民提供法律和健康咨询服务，服务群众{n}人次。",
    "公益活动": "{names}参与{c}社区志愿服务活动，开展环境整治和文明劝导，参与群众{n}人。",
}
PLACES = ["{c}社区党群服务中心", "{c}社区居委会会议室", "{o}人大代表联络站", "{x}小区广场", "{v}村委会"]
TYPICAL_NOTES = "（典型事例：代表跟踪督办，问题得到解决，群众送来感谢信）"
RECT_CONTENTS = ["选民提出代表联系群众次数偏少，整改：每季度至少参加一次代表接待日活动",
                 "选民反映提出的建议跟踪落实不够，整改：建立建议办理台账，逐件跟踪反馈",
                 "选民希望公开代表联系方式，整改：在社区公示栏公布代表信箱和联系电话",
                 "选民反映述职报告内容较空泛，整改：下次述职增加办实事具体事例",
                 "选民希望代表更多关注老年人需求，整改：联系走访辖区高龄独居老人"]
HEARING_POINTS = ["汇报本组联系选民活动开展情况，建议进一步规范活动记录，及时转交群众意见。",
                  "汇报代表信箱管理和来信办理情况，要求按周开箱，办理结果及时反馈来信人。",
                  "汇报代表述职和整改落实情况，要求整改事项在代表组会议上公布。",
                  "汇报代表建议办理跟踪情况，建议将群众反映集中的问题形成议案建议。"]
HEARD_BY = ["区人大常委会代表联络工作委员会", "区人大常委会办公室", "区人大常委会人事代表工作委员会"]


# ---------------------------------------------------------------- helpers


class _Rng(random.Random):
    """random.Random with cheaper picks for the hot loops (randrange is slow)."""

    def ri(self, a: int, b: int) -> int:
        """A uniform integer in [a, b]."""
        return a + int(self.random() * (b - a + 1))

    def pick(self, seq: list):
        """A uniform element of a sequence."""
        return seq[int(self.random() * len(seq))]


class _Dep:
    """What the generator remembers of a deputy, with the one period of service it writes."""

    __slots__ = ("district_id", "end_on", "gender", "group_id", "id", "joined_on", "left_on", "name", "office_id",
                 "start_on", "weight")

    def __init__(self, **kw: object) -> None:
        self.start_on: date | None = None
        self.end_on: date | None = None
        for k, v in kw.items():
            setattr(self, k, v)

    def serving(self, day: date) -> bool:
        """True when the deputy serves on ``day`` (services.deputies: the period covers the day)."""
        return period_covers(self.start_on, self.end_on, day)

    def serving_whole(self, lo: date, hi: date) -> bool:
        """True when the deputy serves on ``lo`` and on ``hi`` (from ``lo`` through ``hi``)."""
        return self.serving(lo) and self.serving(hi)


def _cum(weights: Iterable[float]) -> list[float]:
    """Cumulative weights for bisect sampling."""
    out, t = [], 0.0
    for w in weights:
        t += w
        out.append(t)
    return out


def _pick(rng: random.Random, items: list, cum: list[float]):
    """One weighted pick (items and their cumulative weights)."""
    return items[bisect(cum, rng.random() * cum[-1])]


def _wpick(rng: random.Random, pairs: list[tuple[object, float]]):
    """One weighted pick from (item, weight) pairs."""
    return rng.choices([p[0] for p in pairs], [p[1] for p in pairs])[0]


_SURNAME_ITEMS = [s for s, _ in SURNAMES]
_SURNAME_CUM = _cum(w for _, w in SURNAMES)


def person_name(rng: _Rng, gender: str | None = None) -> str:
    """A plausible Chinese name: a frequency-weighted surname and one or two given characters."""
    surname = _pick(rng, _SURNAME_ITEMS, _SURNAME_CUM)
    pool = GIVEN_FEMALE if (gender or ("女" if rng.random() < 0.5 else "男")) == "女" else GIVEN_MALE
    if rng.random() < 0.35:
        return surname + rng.pick(pool)
    return surname + rng.pick(GIVEN_MIDDLE) + rng.pick(pool)


def mobile(rng: _Rng) -> str:
    """A mainland mobile number 1[3-9]x xxxx xxxx."""
    return rng.pick(MOBILE_PREFIXES) + f"{int(rng.random() * 100_000_000):08d}"


@lru_cache(maxsize=50_000)
def _initials(name: str) -> str:
    """Pinyin initials of a name (as the master-data service computes them)."""
    return pinyin_initials(name)


def _at(day: date, rng: _Rng, step: int | None = None) -> datetime:
    """A working-hours time on ``day``; the ``step``-th step of a record comes later in the day than
    the steps before it, so a history sorted by time keeps its order."""
    hour = 8 + (int(rng.random() * 10) if step is None else min(step, 9))
    return datetime(day.year, day.month, day.day, hour, int(rng.random() * 60))


def _fill(template: str, rng: _Rng, place: dict) -> str:
    """Fill a problem template with names of the district's places."""
    if "{" not in template:
        return template
    i = int(rng.random() * len(ROADS))
    j = (i + 1 + int(rng.random() * (len(ROADS) - 1))) % len(ROADS)
    return template.format(c=place["c"], x=rng.pick(place["x"]), v=rng.pick(VILLAGES), r=ROADS[i], r2=ROADS[j])


def _cn_num(n: int) -> str:
    """Chinese numeral for 1..99 (第十八届, 第三次会议)."""
    if n <= 10:
        return CN_NUM[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else CN_NUM[tens]) + "十" + (CN_NUM[ones] if ones else "")


class _Ctx:
    """The generation context: session, ids, seeds, counts, the dates that frame the data."""

    def __init__(self, session: Session, seed: int, today: date, years: float,
                 progress: Callable[[float, str], None] | None) -> None:
        self.session = session
        self.seed = seed
        self.today = today
        self.start = date(first_year(today, years), 1, 1)
        self.term_start = min(today.year - 2, self.start.year)  # the term in its third year, or later
        self.counts: Counter[str] = Counter()
        self._next: dict[str, int] = {}
        self._progress = progress
        self.dialect = session.get_bind().dialect.name

    def reference_day(self, year: int) -> date:
        """The reference day of ``year`` seen from the generator's ``today`` (as
        ``services.deputies.reference_day`` on that day): 31 December of a past year, else today."""
        return date(year, 12, 31) if year < self.today.year else self.today

    def rng(self, part: str) -> _Rng:
        """The random stream of one part of the data."""
        return _Rng(f"{self.seed}:{part}")

    def ids(self, model: type, n: int) -> int:
        """Reserve ``n`` primary keys of ``model``'s table; return the first."""
        name = model.__tablename__
        if name not in self._next:
            top = self.session.execute(select(func.max(model.__table__.c.id))).scalar()
            self._next[name] = int(top or 0) + 1
        first = self._next[name]
        self._next[name] += n
        return first

    def insert(self, model: type, rows: list[dict]) -> None:
        """Insert rows in chunks with Core executemany (no ORM, no audit rows).

        On SQLite the rows go straight to the driver's executemany with the values converted as
        SQLAlchemy would store them (dates and times as ISO text, JSON as text): the same rows,
        about twice as fast, which matters for a million letters.
        """
        if not rows:
            return
        table = model.__table__
        if self.dialect == "sqlite":
            self._insert_sqlite(table, rows)
        elif self.dialect == "postgresql" and hasattr(self._driver(), "cursor"):
            self._insert_pg_copy(table, rows)
        else:
            for i in range(0, len(rows), CHUNK):
                self.session.execute(table.insert(), rows[i:i + CHUNK])
        self.counts[table.name] += len(rows)

    def _driver(self) -> object:
        """The DBAPI connection under the session's connection (same transaction)."""
        return self.session.connection().connection.driver_connection

    def _insert_pg_copy(self, table, rows: list[dict]) -> None:
        """PostgreSQL fast path of ``insert``: COPY ... FROM STDIN (psycopg 3), JSON as text."""
        cols = list(rows[0].keys())
        quote = self.session.get_bind().dialect.identifier_preparer.quote
        json_idx = [i for i, n in enumerate(cols) if isinstance(table.c[n].type, JSON)]
        getter = itemgetter(*cols)
        single = len(cols) == 1
        sql = f"COPY {quote(table.name)} ({', '.join(quote(n) for n in cols)}) FROM STDIN"
        with self._driver().cursor() as cur, cur.copy(sql) as copy:
            for r in rows:
                t = (getter(r),) if single else getter(r)
                if json_idx:
                    t = list(t)
                    for k in json_idx:
                        if t[k] is not None:
                            t[k] = json.dumps(t[k])
                copy.write_row(t)

    def _insert_sqlite(self, table, rows: list[dict]) -> None:
        """SQLite fast path of ``insert``."""
        cols = list(rows[0].keys())
        extra = [c for c in table.c if c.name not in rows[0] and c.default is not None]
        consts = []
        for c in extra:
            value = c.default.arg if c.default.is_scalar else c.default.arg(None)
            consts.append(value)
        names = cols + [c.name for c in extra]
        quote = self.session.get_bind().dialect.identifier_preparer.quote
        sql = (f"INSERT INTO {quote(table.name)} ({', '.join(quote(n) for n in names)}) "
               f"VALUES ({', '.join('?' for _ in names)})")
        conv = [(i, f) for i, n in enumerate(names) if (f := _sqlite_converter(table.c[n].type)) is not None]
        getter = itemgetter(*cols)
        single = len(cols) == 1
        conn = self.session.connection()
        for i in range(0, len(rows), CHUNK):
            data = []
            for r in rows[i:i + CHUNK]:
                t = [getter(r)] if single else list(getter(r))
                if consts:
                    t.extend(consts)
                for k, f in conv:
                    v = t[k]
                    if v is not None:
                        t[k] = f(v)
                data.append(tuple(t))
            conn.exec_driver_sql(sql, data)

    def progress(self, fraction: float, message: str) -> None:
        """Report progress to the caller, if asked."""
        if self._progress is not None:
            self._progress(min(1.0, max(0.0, fraction)), message)


def _sqlite_datetime(v: datetime) -> str:
    """A datetime as SQLAlchemy stores it in SQLite."""
    return v.isoformat(" ") if v.microsecond else v.isoformat(" ") + ".000000"


def _sqlite_converter(type_: object) -> Callable | None:
    """How SQLAlchemy turns a Python value of this column type into what SQLite stores."""
    if isinstance(type_, DateTime):
        return _sqlite_datetime
    if isinstance(type_, Date):
        return date.isoformat
    if isinstance(type_, JSON):
        return json.dumps
    return None


def first_year(today: date, years: float) -> int:
    """The calendar year ``years`` before ``today`` (the data begin on 1 January of it)."""
    return (today - timedelta(days=round(years * 365.25))).year


def max_years(today: date) -> float:
    """The longest ``years`` (to a tenth) whose data fit in one term ending in ``today``'s year or
    later: from 1 January of the year ``TERM_YEARS - 1`` before."""
    earliest = today.year - (TERM_YEARS - 1)
    best = math.floor((today - date(earliest, 1, 1)).days / 365.25 * 10) / 10
    while best > 0 and first_year(today, best) < earliest:
        best = round(best - 0.1, 1)
    return best


def check_years(today: date, years: float) -> None:
    """Refuse (ValueError, in Chinese) a ``years`` the generator cannot honour."""
    if not years or years <= 0 or math.isnan(years):
        raise ValueError("--years 应为大于0的年数，例如 1.5")
    if first_year(today, years) < today.year - (TERM_YEARS - 1):
        raise ValueError(f"演示数据只生成一届任期（{TERM_YEARS}年）内的记录：--years 最大为 {max_years(today)}"
                         f"（从{today.year - (TERM_YEARS - 1)}年1月1日起），收到 {years:g}。")


def _rand_day(rng: random.Random, lo: date, hi: date) -> date:
    """A uniform day in [lo, hi]."""
    return lo + timedelta(days=rng.randrange((hi - lo).days + 1))


# ---------------------------------------------------------------- master data


def _master(ctx: _Ctx, n_offices: int, n_groups: int, n_districts: int, n_deputies: int) -> dict:
    """Term, offices, groups, districts, deputies; return what later parts need."""
    rng = ctx.rng("master")
    today = ctx.today
    start_year = ctx.term_start
    term_id = ctx.ids(models.Term, 1)
    first_session = date(start_year, 1, 8 + rng.randrange(10))
    ctx.insert(models.Term, [{"id": term_id, "number": TERM_NUMBER, "name": f"第{_cn_num(TERM_NUMBER)}届",
                              "start_year": start_year, "end_year": start_year + TERM_YEARS - 1, "active": True}])

    n_groups = max(n_groups, n_offices) if n_offices else n_groups
    office0 = ctx.ids(models.Office, n_offices)
    offices = []
    for i in range(n_offices):
        base = OFFICE_PLACES[i % len(OFFICE_PLACES)]
        lap = i // len(OFFICE_PLACES)
        short = base + (f"{_cn_num(lap + 1)}" if lap else "")
        offices.append({"id": office0 + i, "name": f"{short}街道办事处", "active": True, "_short": f"{short}街道"})
    ctx.insert(models.Office, [{k: v for k, v in o.items() if not k.startswith("_")} for o in offices])

    group0 = ctx.ids(models.DeputyGroup, n_groups)
    groups = []
    per_office: Counter[int] = Counter()
    for i in range(n_groups):
        office = offices[i % n_offices]
        per_office[office["id"]] += 1
        k = per_office[office["id"]]
        groups.append({"id": group0 + i, "name": f"{office['_short']}第{_cn_num(k) if k < 100 else k}代表组",
                       "office_id": office["id"], "liaison_name": person_name(rng), "liaison_phone": mobile(rng),
                       "active": True})
    ctx.insert(models.DeputyGroup, groups)
    short_of = {o["id"]: o["_short"] for o in offices}

    district0 = ctx.ids(models.District, n_districts)
    districts = []
    for i in range(n_districts):
        g = groups[i % n_groups]
        districts.append({"id": district0 + i, "name": f"第{i + 1}选区", "group_id": g["id"], "active": True})
    ctx.insert(models.District, districts)
    group_of_district = {d["id"]: d["group_id"] for d in districts}
    office_of_group = {g["id"]: g["office_id"] for g in groups}
    place = {}
    for d in districts:
        place[d["id"]] = {"c": rng.choice(COMMUNITIES), "x": rng.sample(ESTATES, 3),
                          "o": short_of[office_of_group[d["group_id"]]]}

    # deputies: each district gets one first, the rest at random; a few leavers and by-elected joiners
    dep0 = ctx.ids(models.Deputy, n_deputies)
    deputies: list[_Dep] = []
    rows = []
    n_leavers = max(1, round(n_deputies * 0.03)) if n_deputies >= 20 else 0
    n_joiners = max(1, round(n_deputies * 0.02)) if n_deputies >= 20 else 0
    leavers = set(rng.sample(range(n_deputies), n_leavers)) if n_leavers else set()
    joiners = set(rng.sample([i for i in range(n_deputies) if i not in leavers], n_joiners)) if n_joiners else set()
    win_lo = ctx.start + timedelta(days=30)
    win_hi = today - timedelta(days=14)
    unit_kinds = [("community", 20), ("enterprise_head", 7), ("enterprise_staff", 10), ("teacher", 11),
                  ("doctor", 9), ("farmer", 8), ("cadre", 12), ("lawyer", 4), ("self", 6), ("engineer", 7),
                  ("police", 3), ("retired", 3)]
    for i in range(n_deputies):
        # districts elect a handful of deputies each: mostly spread evenly, some at random
        spread = i < n_districts or rng.random() < 0.8
        did = districts[i % n_districts if spread else rng.randrange(n_districts)]["id"]
        gid = group_of_district[did]
        oid = office_of_group[gid]
        gender = "女" if rng.random() < 0.32 else "男"
        name = person_name(rng, gender)
        age = int(rng.triangular(30, 63, 49))
        r = rng.random()
        party = "中共党员" if r < 0.70 else (rng.choice(DEMOCRATIC_PARTIES) if r < 0.80 else
                                        ("无党派人士" if r < 0.83 else "群众"))
        unit, occ, leads, leader = _unit(rng, _wpick(rng, unit_kinds), short_of[oid], place[did])
        joined, left, status = first_session, None, DeputyStatus.SERVING
        if i in leavers:
            left = _rand_day(rng, win_lo, win_hi)
            status = DeputyStatus.DECEASED if rng.random() < 0.2 else DeputyStatus.RESIGNED
        if i in joiners:
            joined = _rand_day(rng, win_lo, win_hi)
        dep = _Dep(id=dep0 + i, name=name, group_id=gid, district_id=did, office_id=oid, joined_on=joined,
                   left_on=left, weight=rng.lognormvariate(0, 0.45), gender=gender)
        deputies.append(dep)
        rows.append({"id": dep.id, "name": name, "pinyin": _initials(name), "gender": gender,
                     "birth_year": today.year - age, "party": party, "unit_title": unit, "occupation": occ,
                     "phone": mobile(rng), "group_id": gid, "district_id": did, "term_id": term_id,
                     "status": status, "leads_enterprise": leads, "is_office_leader": leader,
                     "joined_on": joined, "left_on": left, "version": 1})
    ctx.insert(models.Deputy, rows)
    # periods of service: bulk inserts bypass the ORM listener that keeps them (db/periods.py);
    # the generator decides who serves from the very same periods
    p0 = ctx.ids(models.DeputyPeriod, len(rows))
    periods = [{"id": p0 + k, **period_row(r, date(start_year, 1, 1))} for k, r in enumerate(rows)]
    for dep, period in zip(deputies, periods, strict=True):
        dep.start_on, dep.end_on = period["start_on"], period["end_on"]
    ctx.insert(models.DeputyPeriod, periods)
    return {"term_id": term_id, "first_session": first_session, "start_year": start_year,
            "offices": offices, "groups": groups, "districts": districts, "deputies": deputies,
            "group_of_district": group_of_district, "office_of_group": office_of_group, "place": place,
            "liaison": {g["id"]: g["liaison_name"] for g in groups}, "bodies": _bodies(ctx)}


def _bodies(ctx: _Ctx) -> dict[str, int]:
    """The 承办单位 directory the demo forwards to (services.bodies), {name: id}."""
    from services.bodies import guess_kind, initials
    from services.identity import body_key

    names = sorted({n for names in BODIES.values() for n in names} | set(DEFAULT_BODIES))
    first = ctx.ids(models.HandlingBody, len(names))
    rows = [{"id": first + i, "name": n, "name_key": body_key(n), "pinyin": initials(n),
             "kind": guess_kind(n), "parent_id": None, "active": True, "created_by": "admin",
             "created_at": datetime.combine(ctx.today, time(9, 0)), "version": 1} for i, n in enumerate(names)]
    ctx.insert(models.HandlingBody, rows)
    return {r["name"]: r["id"] for r in rows}


# the outcome classes of answers (建议办理: most answers solve the problem; a few are plans or references)
OUTCOME_WEIGHTS = [(Outcome.A, 62), (Outcome.B, 18), (Outcome.C, 13), (Outcome.D, 7)]


def _unit(rng: random.Random, kind: str, office_short: str, place: dict) -> tuple[str, str, bool, bool]:
    """工作单位及职务, occupation, leads an enterprise, is an office leader."""
    company = rng.choice(COMPANY_NAMES) + rng.choice(COMPANY_KINDS)
    if kind == "community":
        return f"{office_short}{place['c']}社区党委书记、居委会主任", "社区工作者", False, False
    if kind == "enterprise_head":
        return f"{company}{rng.choice(['董事长', '总经理', '董事长、总经理'])}", "企业负责人", True, False
    if kind == "enterprise_staff":
        return f"{company}{rng.choice(['车间主任', '技术员', '一线工人', '销售经理', '质检员'])}", "企业职工", False, False
    if kind == "teacher":
        return f"{rng.choice(SCHOOLS)}{rng.choice(['教师', '教师', '校长', '副校长', '教研室主任'])}", "教师", False, False
    if kind == "doctor":
        if rng.random() < 0.6:
            return f"区人民医院{rng.choice(HOSPITAL_DEPTS)}主任医师", "医务工作者", False, False
        return f"{office_short}{place['c']}社区卫生服务中心主任", "医务工作者", False, False
    if kind == "farmer":
        v = rng.choice(VILLAGES)
        if rng.random() < 0.5:
            return f"{office_short}{v}村党支部书记、村委会主任", "农民", False, False
        return f"{office_short}{v}村村民（种植大户）", "农民", False, False
    if kind == "cadre":
        if rng.random() < 0.3:
            return f"{office_short}党工委书记", "机关干部", False, True
        return f"区{rng.choice(BUREAUS)}{rng.choice(['局长', '副局长', '科长'])}", "机关干部", False, False
    if kind == "lawyer":
        return f"{rng.choice(LAW_FIRMS)}律师事务所主任", "律师", False, False
    if kind == "self":
        return f"{office_short}{rng.choice(ROADS)}个体工商户", "个体工商户", rng.random() < 0.3, False
    if kind == "engineer":
        return f"{company}总工程师", "专业技术人员", False, False
    if kind == "police":
        return f"区公安分局{office_short}派出所所长", "公安干警", False, False
    return f"{office_short}{place['c']}社区老年协会会长（退休）", "离退休人员", False, False


# ---------------------------------------------------------------- mailboxes, openings, letters


def _mailboxes(ctx: _Ctx, m: dict) -> list[dict]:
    """One mailbox per district, some kept by the group liaison by delegation; weekly openings."""
    rng = ctx.rng("mailboxes")
    by_district: dict[int, list[_Dep]] = defaultdict(list)
    for d in m["deputies"]:
        by_district[d.district_id].append(d)
    first = m["first_session"]
    box0 = ctx.ids(models.Mailbox, len(m["districts"]))
    boxes = []
    n = len(m["districts"])
    stale = set(rng.sample(range(n), max(1, round(n * 0.08)))) if n >= 3 else set()
    irregular = set(rng.sample(range(n), max(1, round(n * 0.12)))) if n >= 3 else set()
    for i, d in enumerate(m["districts"]):
        keepers = [x for x in by_district[d["id"]] if x.serving(first) and x.serving(ctx.today)]
        est = first + timedelta(days=30 + rng.randrange(60))
        keeper = keepers[0] if keepers else None
        delegated = keeper is None or rng.random() < 0.25
        gid = d["group_id"]
        liaison = m["liaison"][gid]
        box = {"id": box0 + i, "name": f"{d['name']}代表信箱", "district_id": d["id"],
               "deputy_id": keeper.id if keeper else None,
               "keeper_kind": KeeperKind.LIAISON if delegated else KeeperKind.DEPUTY,
               "keeper_name": liaison if delegated else keeper.name,
               "delegation_start": (est + timedelta(days=rng.randrange(200))) if delegated else None,
               "delegation_end": date(m["start_year"] + TERM_YEARS - 1, 12, 31) if delegated else None,
               "location": f"{m['place'][d['id']]['c']}社区党群服务中心一楼大厅", "established_on": est,
               "active": True}
        boxes.append(box)
        box["_group"] = gid
        box["_opener"] = box["keeper_name"]
        box["_weight"] = rng.lognormvariate(0, 0.5)
        # the weekly openings over the data window
        day = max(ctx.start, est) + timedelta(days=rng.randrange(7))
        last = ctx.today - timedelta(days=10 + rng.randrange(20)) if i in stale else ctx.today
        dates = []
        while day <= last:
            dates.append(day)
            step = 7
            if i in irregular and rng.random() < 0.1:
                step = 7 * rng.choice((2, 2, 3))
            elif rng.random() < 0.02:
                step = 8
            day += timedelta(days=step)
        box["_openings"] = dates
    ctx.insert(models.Mailbox, [{k: v for k, v in b.items() if not k.startswith("_")} for b in boxes])
    return boxes


_LETTER_STEPS = [LetterStatus.HANDED, LetterStatus.REPLIED, LetterStatus.FORWARDED, LetterStatus.HANDLING, LetterStatus.CONCLUDED, LetterStatus.FED_BACK]
_LETTER_DELAYS = [(0, 3), (1, 12), (0, 9), (0, 4), (8, 50), (1, 12)]
_DAYS = [timedelta(days=k) for k in range(400)]


def _letter_chain(rng: _Rng, received: date, today: date) -> tuple[list[tuple[str, date]], str]:
    """The steps a letter went through up to today, and how it ends: 'normal', 'reject', 'stall'."""
    steps = [(LetterStatus.REGISTERED, received)]
    r = rng.random()
    # letters left stuck are mostly recent ones: old ones were chased up and closed in the end
    stuck = 0.10 if (today - received).days < 150 else 0.025
    end = "reject" if r < 0.03 else ("stall" if r < 0.03 + stuck else "normal")
    day = received
    if end == "reject":
        k = int(rng.random() * 2)  # rejected at 登记 or after 已交代表
        for j in range(k):
            day += _DAYS[rng.ri(*_LETTER_DELAYS[j])]
            if day > today:
                return steps, "normal"
            steps.append((_LETTER_STEPS[j], day))
        day += _DAYS[rng.ri(1, 8)]
        if day <= today:
            steps.append((LetterStatus.REJECTED, day))
        return steps, end
    stall_at = rng.ri(1, 5) if end == "stall" else 99
    for j in range(min(6, stall_at)):
        day += _DAYS[rng.ri(*_LETTER_DELAYS[j])]
        if day > today:
            break
        steps.append((_LETTER_STEPS[j], day))
    return steps, end


def _satisfaction(r: float) -> str:
    """A writer's satisfaction at feedback: mostly 满意."""
    return Satisfaction.SATISFIED if r < 0.7 else (Satisfaction.BASIC if r < 0.9 else Satisfaction.UNSATISFIED)


CHAIN = [LetterStatus.REGISTERED, LetterStatus.HANDED, LetterStatus.REPLIED, LetterStatus.FORWARDED, LetterStatus.HANDLING, LetterStatus.CONCLUDED, LetterStatus.FED_BACK]


def _forced_chain(rng: random.Random, received: date, today: date, target: str) -> list[tuple[str, date]]:
    """A recent letter's steps ending in ``target`` (so that every state shows even in a small demo)."""
    names = [LetterStatus.REGISTERED] if target in (LetterStatus.REJECTED, LetterStatus.MERGED) else CHAIN[:CHAIN.index(target) + 1]
    if target == LetterStatus.REJECTED:
        names.append(target)
    steps, day = [], received
    for k, name in enumerate(names):
        if k:
            day = min(today, day + timedelta(days=rng.randint(0, 2)))
        steps.append((name, day))
    return steps


def _letters(ctx: _Ctx, m: dict, boxes: list[dict], n_letters: int) -> dict:
    """Letters in date order with their events, written chunk by chunk; openings afterwards."""
    rng = ctx.rng("letters")
    orng = ctx.rng("letter-outcomes")  # its own stream: the letters' stream is the same as before outcomes
    today = ctx.today
    cats = letter_service.categories(ctx.session)
    cat_cum = _cum(CATEGORY_WEIGHTS.get(c, 5) for c in cats)
    deps_by_district: dict[int, list[_Dep]] = defaultdict(list)
    for d in m["deputies"]:
        deps_by_district[d.district_id].append(d)

    # every (mailbox, opening) in date order, weighted by the mailbox's volume
    slots = sorted(((day, b["id"]) for b in boxes for day in b["_openings"]), key=lambda t: (t[0], t[1]))
    box_by_id = {b["id"]: b for b in boxes}
    slot_index = {s: i for i, s in enumerate(slots)}
    counts = [0] * len(slots)
    cluster_at: dict[int, list[int]] = defaultdict(list)

    # concentrated appeals: same category and district, several writers, within a few weeks
    clusters = []
    n_clusters = 0 if n_letters < 30 else max(3, min(12, n_letters // 80))
    recent = [s for s in slots if s[0] >= today - timedelta(days=300)]
    for c in range(n_clusters):
        if not recent:
            break
        day0, box_id = rng.choice(recent)
        box = box_by_id[box_id]
        cat = cats[c % len(cats)] if c < 4 else _pick(rng, cats, cat_cum)
        size = rng.randint(6, 18)
        window = [s for s in slots if s[1] == box_id and day0 <= s[0] <= day0 + timedelta(days=70)]
        if not window:
            continue
        core = _fill(rng.choice(PROBLEMS.get(cat, DEFAULT_PROBLEMS)), rng, m["place"][box["district_id"]])
        clusters.append({"category": cat, "district_id": box["district_id"], "core": core, "ids": [],
                         "linked": c % 2 == 1, "group_id": box["_group"]})
        for _ in range(size):
            cluster_at[slot_index[rng.choice(window)]].append(len(clusters) - 1)
    n_plain = max(0, n_letters - sum(len(v) for v in cluster_at.values()))
    if slots and n_plain:
        cum = _cum(box_by_id[s[1]]["_weight"] for s in slots)
        picks = rng.choices(range(len(slots)), cum_weights=cum, k=n_plain)
        for p in picks:
            counts[p] += 1
        del picks

    total = n_plain + sum(len(v) for v in cluster_at.values())
    # a few recent letters are made to end in each state, so that every state shows at any size
    per_slot = [counts[i] + len(cluster_at.get(i, ())) for i in range(len(slots))]
    recent_from = sum(n for (day, _), n in zip(slots, per_slot, strict=True) if day < today - timedelta(days=45))
    states = [LetterStatus.REGISTERED, LetterStatus.HANDED, LetterStatus.REPLIED, LetterStatus.FORWARDED, LetterStatus.HANDLING, LetterStatus.CONCLUDED, LetterStatus.FED_BACK, LetterStatus.REJECTED, LetterStatus.MERGED]
    positions = rng.sample(range(recent_from, total), min(len(states), total - recent_from))
    forced = dict(zip(positions, states, strict=False))
    first_id = ctx.ids(models.Letter, total)
    codes: dict[int, int] = {}
    for y in range(ctx.start.year, today.year + 1):
        last = ctx.session.execute(select(func.max(models.Letter.code)).where(
            models.Letter.code.like(f"XF{y}-%"))).scalar()
        codes[y] = int(last.rsplit("-", 1)[1]) if last else 0
    opened = Counter()
    lid = first_id
    letters_buf: list[dict] = []
    events_buf: list[dict] = []
    recent_by_district: dict[int, list[tuple]] = defaultdict(list)
    merged_n = reopened = paused = 0
    done = 0
    last_named: list[tuple] = []

    def flush() -> None:
        """Write the buffered letters, then their events (ids reserved chunk by chunk)."""
        if not letters_buf:
            return
        ctx.insert(models.Letter, letters_buf)
        first_ev = ctx.ids(models.LetterEvent, len(events_buf))
        for k, e in enumerate(events_buf):
            e["id"] = first_ev + k
        ctx.insert(models.LetterEvent, events_buf)
        letters_buf.clear()
        events_buf.clear()
        ctx.progress(0.15 + 0.55 * done / max(1, total), f"来信 {done}/{total}")

    for si, (day, box_id) in enumerate(slots):
        n_here = counts[si]
        cl = cluster_at.get(si, ())
        if not n_here and not cl:
            continue
        box = box_by_id[box_id]
        did, gid = box["district_id"], box["_group"]
        oid = m["office_of_group"][gid]
        place = m["place"][did]
        liaison = m["liaison"][gid]
        deps = [d for d in deps_by_district[did] if d.serving(day)]
        by = box["keeper_name"] if box["keeper_kind"] == KeeperKind.LIAISON else liaison
        created_by = "staff" if oid == m["offices"][0]["id"] else "admin"
        for k in range(n_here + len(cl)):
            cluster = clusters[cl[k - n_here]] if k >= n_here else None
            opened[(box_id, day)] += 1
            codes[day.year] += 1
            code = f"XF{day.year}-{codes[day.year]:06d}"
            if cluster is not None:
                cat = cluster["category"]
                summary = _fill(rng.pick(LETTER_OPENERS), rng, place) + cluster["core"] + "。"
            else:
                cat = _pick(rng, cats, cat_cum)
                summary = (_fill(rng.pick(LETTER_OPENERS), rng, place)
                           + _fill(rng.pick(PROBLEMS.get(cat, DEFAULT_PROBLEMS)), rng, place) + "。")
            recent = recent_by_district[did]
            anonymous = cluster is None and rng.random() < 0.08
            if anonymous:
                name = phone = address = None
            elif cluster is None and recent and rng.random() < 0.04:
                _, name, phone, address, _ = rng.pick(recent)  # the same writer writes again
            else:
                name = person_name(rng)
                phone = mobile(rng) if rng.random() < 0.9 else f"{AREA_CODE}-6{int(rng.random() * 10_000_000):07d}"
                address = (f"{m['place'][did]['o']}{rng.pick(place['x'])}{rng.ri(1, 24)}号楼"
                           f"{rng.ri(1, 4)}单元{rng.ri(1, 6)}0{rng.ri(1, 4)}室")
            deputy = rng.pick(deps).id if deps else None
            target = forced.get(done)
            if target is not None:
                steps, end = _forced_chain(rng, day, today, target), "forced"
            else:
                steps, end = _letter_chain(rng, day, today)
            merge_target = None
            if target == LetterStatus.MERGED or (cluster is None and recent and len(steps) <= 3 and end == "normal"
                                     and rng.random() < 0.025):
                pool = recent or last_named
                if pool:
                    merge_target = rng.pick(pool)
                    steps.append((LetterStatus.MERGED, min(today, steps[-1][1] + _DAYS[rng.ri(0, 3)])))
                    end = "merge"
                    merged_n += 1
            status, status_on = steps[-1]
            if status == LetterStatus.REGISTERED and rng.random() < 0.4:
                deputy = None
            body = rng.pick(BODIES.get(cat, DEFAULT_BODIES))
            row = {"id": lid, "code": code, "mailbox_id": box_id, "district_id": did, "group_id": gid,
                   "office_id": oid, "received_on": day, "writer_name": name, "writer_phone": phone,
                   "writer_address": address, "summary": summary, "category": cat, "deputy_id": deputy,
                   "status": status, "status_on": status_on, "forwarded_to": None, "body_id": None, "result": None,
                   "outcome": None, "reply_content": None, "reply_method": None,
                   "writer_key": writer_key(name, phone),
                   "feedback_method": None, "satisfaction": None, "close_reason": None, "merged_into_id": None,
                   "round": 1, "paused_since": None, "paused_days": 0, "reply_due": None, "resolve_due": None,
                   "created_by": created_by, "created_at": _at(day, rng, 0), "updated_at": _at(status_on, rng, 9),
                   "version": len(steps)}
            evs = []
            prev = None
            for st, when in steps:
                note = None
                if st == LetterStatus.REGISTERED:
                    note = "匿名来信" if anonymous else "开箱登记"
                elif st == LetterStatus.HANDED:
                    note = "交承办代表阅处"
                elif st == LetterStatus.REPLIED:
                    row["reply_method"] = _wpick(orng, [(ReplyMethod.PHONE, 70), (ReplyMethod.IN_PERSON, 20),
                                                       (ReplyMethod.WRITTEN, 10)])
                    row["reply_content"] = "已收到来信，说明将转有关部门办理并跟踪结果"
                    note = f"{row['reply_method']}答复：{row['reply_content']}"
                elif st == LetterStatus.FORWARDED:
                    row["forwarded_to"] = body
                    row["body_id"] = m["bodies"][body]
                    note = f"转办至{body}"
                elif st == LetterStatus.HANDLING:
                    note = f"{body}已受理，正在办理"
                elif st == LetterStatus.CONCLUDED:
                    row["result"] = rng.pick(RESULTS).format(b=body, m=min(12, when.month + 2), y=when.year)
                    row["outcome"] = _wpick(orng, OUTCOME_WEIGHTS)
                    note = f"办理结果（{row['outcome']}）：{row['result']}"
                elif st == LetterStatus.FED_BACK:
                    row["feedback_method"] = rng.pick(FEEDBACK_METHODS)
                    row["satisfaction"] = _satisfaction(rng.random())
                    note = f"{row['feedback_method']}反馈，来信人{row['satisfaction']}"
                elif st == LetterStatus.REJECTED:
                    row["close_reason"] = rng.pick(CLOSE_REASONS)
                    note = f"理由：{row['close_reason']}"
                elif st == LetterStatus.MERGED:
                    row["merged_into_id"] = merge_target[0]
                    row["close_reason"] = f"与来信{merge_target[4]}反映同一事项，合并办理"
                    note = f"并入来信{merge_target[4]}"
                evs.append([1, prev, st, when, note])
                prev = st
            # a writer not satisfied: the letter is reopened for a new round
            if row["satisfaction"] == Satisfaction.UNSATISFIED and end != "forced" and rng.random() < 0.25:
                d2 = status_on + _DAYS[rng.ri(2, 10)]
                if d2 <= today:
                    reopened += 1
                    row["round"] = 2
                    evs.append([2, LetterStatus.FED_BACK, LetterStatus.HANDLING, d2, f"来信人对第1轮办理结果不满意（{row['result']}），重新办理"])
                    row.update(status=LetterStatus.HANDLING, status_on=d2, result=None, feedback_method=None, satisfaction=None)
                    d3 = d2 + _DAYS[rng.ri(10, 40)]
                    if d3 <= today:
                        row["result"] = f"{body}再次研究后已落实整改"
                        evs.append([2, LetterStatus.HANDLING, LetterStatus.CONCLUDED, d3, f"办理结果：{row['result']}"])
                        row.update(status=LetterStatus.CONCLUDED, status_on=d3)
                        d4 = d3 + _DAYS[rng.ri(1, 10)]
                        if d4 <= today:
                            row.update(status=LetterStatus.FED_BACK, status_on=d4, feedback_method="当面",
                                       satisfaction=_wpick(rng, [(Satisfaction.SATISFIED, 60), (Satisfaction.BASIC, 40)]))
                            evs.append([2, LetterStatus.CONCLUDED, LetterStatus.FED_BACK, d4, f"当面反馈，来信人{row['satisfaction']}"])
                    row["version"] = len(evs)
            # waiting for the writer's clarification: paused now, or paused and resumed
            if row["status"] in (LetterStatus.REPLIED, LetterStatus.FORWARDED, LetterStatus.HANDLING) and end != "forced" and rng.random() < 0.03:
                p0 = row["status_on"] + _DAYS[rng.ri(1, 5)]
                if p0 <= today:
                    paused += 1
                    evs.append([row["round"], row["status"], "暂停计时", p0, "等待来信人补充说明：请提供相关证明材料"])
                    p1 = p0 + _DAYS[rng.ri(3, 15)]
                    if p1 <= today and rng.random() < 0.6:
                        days_paused = sum(1 for j in range((p1 - p0).days) if (p0 + timedelta(days=j)).weekday() < 5)
                        row["paused_days"] = days_paused
                        evs.append([row["round"], row["status"], "恢复计时", p1,
                                    f"来信人已补充材料；暂停{days_paused}个工作日，时限相应顺延"])
                    else:
                        row["paused_since"] = p0
                    row["version"] = len(evs)
            for step, (rnd, frm, to, when, note) in enumerate(evs):
                events_buf.append({"id": None, "letter_id": lid, "round": rnd, "from_status": frm, "to_status": to,
                                   "happened_on": when, "at": _at(when, rng, step), "by": by, "note": note,
                                   "undone": False})
            letters_buf.append(row)
            if cluster is not None:
                cluster["ids"].append(lid)
            elif name is not None and row["status"] != LetterStatus.MERGED:
                recent.append((lid, name, phone, address, code))
                if len(recent) > 12:
                    recent.pop(0)
                last_named[:] = [(lid, name, phone, address, code)]
            lid += 1
            done += 1
            if len(letters_buf) >= CHUNK:
                flush()
    flush()
    for y, n in codes.items():  # registrations after the demo go on from the demo's last number
        counters.raise_to(ctx.session, "letter", y, n)

    # openings: how many letters each one found
    op0 = ctx.ids(models.MailboxOpening, len(slots))
    rows = []
    for k, (day, box_id) in enumerate(slots):
        b = box_by_id[box_id]
        found = opened.get((box_id, day), 0)
        rows.append({"id": op0 + k, "mailbox_id": box_id, "opened_on": day, "opened_by": b["_opener"],
                     "letters_found": found, "note": None if found else "无来信",
                     "created_at": _at(day, rng), "updated_at": _at(day, rng)})
    ctx.insert(models.MailboxOpening, rows)
    return {"clusters": clusters, "first_id": first_id, "last_id": lid - 1, "merged": merged_n,
            "reopened": reopened, "paused": paused}


# ---------------------------------------------------------------- activities and opinions


def _opinion_chain(rng: random.Random, raised: date, today: date) -> list[tuple[str, date]]:
    """The steps an opinion went through up to today."""
    steps = [(OpinionStatus.PENDING, raised)]
    if rng.random() < 0.06:
        return steps
    day = raised + timedelta(days=rng.choice((0, 0, 1, 2, 3, 5, 7)))
    if day > today:
        return steps
    steps.append((OpinionStatus.FORWARDED, day))
    if rng.random() < 0.08:
        return steps
    if rng.random() < 0.75:
        day += timedelta(days=rng.randint(3, 15))
        if day > today:
            return steps
        steps.append((OpinionStatus.HANDLING, day))
        if rng.random() < 0.1:
            return steps
    solved = rng.random() < 0.85
    day += timedelta(days=rng.randint(7, 60) if solved else rng.randint(10, 40))
    if day > today:
        return steps
    steps.append((OpinionStatus.RESOLVED if solved else OpinionStatus.UNRESOLVABLE, day))
    if rng.random() < 0.2:
        return steps
    day += timedelta(days=rng.randint(2, 15))
    if day <= today:
        steps.append((OpinionStatus.FED_BACK, day))
    return steps


class _Opinions:
    """Builds opinion rows and their events (for activities and report meetings)."""

    def __init__(self, ctx: _Ctx, m: dict, rng: random.Random) -> None:
        self.ctx, self.m, self.rng = ctx, m, rng
        self.orng = ctx.rng("opinion-outcomes")  # its own stream (the opinions' stream is unchanged)
        self.cats = letter_service.categories(ctx.session)
        self.cat_cum = _cum(CATEGORY_WEIGHTS.get(c, 5) for c in self.cats)
        self.rows: list[dict] = []
        self.events: list[dict] = []
        self.kept: list[tuple] = []  # (id, group_id, district_id, category, raised_on)

    def add(self, *, source: str, activity_id: int | None, report_id: int | None, deputy_id: int | None,
            district_id: int, group_id: int, raised: date, category: str | None = None,
            content: str | None = None) -> int:
        """One opinion and its events; return its id."""
        rng, today = self.rng, self.ctx.today
        oid = self.ctx.ids(models.Opinion, 1)
        cat = category or _pick(rng, self.cats, self.cat_cum)
        place = self.m["place"][district_id]
        text_ = content or ("选民反映：" + _fill(rng.choice(PROBLEMS.get(cat, DEFAULT_PROBLEMS)), rng, place) + "。")
        body = rng.choice(BODIES.get(cat, DEFAULT_BODIES))
        steps = _opinion_chain(rng, raised, today)
        row = {"id": oid, "source": source, "activity_id": activity_id, "report_id": report_id,
               "deputy_id": deputy_id, "district_id": district_id, "group_id": group_id, "raised_on": raised,
               "content": text_, "category": cat,
               "is_livelihood": cat in ("社会保障", "教育", "医疗卫生", "住房物业", "劳动就业", "交通出行")
               or rng.random() < 0.3,
               "forwarded_to": None, "status": steps[-1][0], "resolved_by": None, "result": None,
               "unresolvable_reason": None, "feedback": None, "resolved_on": None, "version": len(steps),
               "body_id": None, "resolved_body_id": None, "outcome": None,
               "status_on": steps[-1][1], "round": 1, "paused_days": 0}
        by = self.m["liaison"][group_id]
        prev = None
        for step, (st, when) in enumerate(steps):
            note = f"登记（来源：{source}）" if st == "待转交" else None
            if st == OpinionStatus.FORWARDED:
                row["forwarded_to"] = body
                row["body_id"] = self.m["bodies"][body]
                note = f"转交{body}"
            elif st == OpinionStatus.HANDLING:
                note = f"{body}正在办理"
            elif st == OpinionStatus.RESOLVED:
                row["resolved_by"] = body
                row["resolved_body_id"] = self.m["bodies"][body]
                row["outcome"] = _wpick(self.orng, [(Outcome.A, 75), (Outcome.B, 15), (Outcome.C, 10)])
                row["result"] = {Outcome.A: f"{body}已落实解决", Outcome.B: f"{body}正在组织实施",
                                 Outcome.C: f"{body}已列入明年工作计划"}[row["outcome"]]
                row["resolved_on"] = when
                note = f"{body}答复（{row['outcome']}）：{row['result']}"
            elif st == OpinionStatus.UNRESOLVABLE:
                row["unresolvable_reason"] = "受现行政策和资金限制，近期无法解决，已纳入长期规划"
                row["outcome"] = Outcome.D
                note = f"原因：{row['unresolvable_reason']}"
            elif st == OpinionStatus.FED_BACK:
                row["feedback"] = "代表电话告知选民办理结果" if row["resolved_on"] else "代表当面向选民解释原因"
                note = row["feedback"]
            self.events.append({"id": None, "opinion_id": oid, "from_status": prev, "to_status": st,
                                "happened_on": when, "at": _at(when, rng, step), "by": by, "note": note})
            prev = st
        self.rows.append(row)
        self.kept.append((oid, group_id, district_id, cat, raised))
        return oid

    def flush(self) -> None:
        """Write the buffered opinions and events."""
        self.ctx.insert(models.Opinion, self.rows)
        if self.events:
            first = self.ctx.ids(models.OpinionEvent, len(self.events))
            for k, e in enumerate(self.events):
                e["id"] = first + k
            self.ctx.insert(models.OpinionEvent, self.events)
        self.rows.clear()
        self.events.clear()


def _activities(ctx: _Ctx, m: dict, n_activities: int, clusters: list[dict]) -> dict:
    """Contact activities with their deputies and opinions; R1 shortfalls on purpose."""
    rng = ctx.rng("activities")
    today = ctx.today
    minimum = int(settings_service.get(ctx.session, "r1_min_activities"))  # R1's minimum, a setting
    deputies: list[_Dep] = m["deputies"]
    by_group: dict[int, list[_Dep]] = defaultdict(list)
    for d in deputies:
        by_group[d.group_id].append(d)
    group_ids = [g["id"] for g in m["groups"] if by_group[g["id"]]]
    if not group_ids:
        return {"lazy": []}
    group_cum = _cum(len(by_group[g]) for g in group_ids)
    dep_cum = {g: _cum(d.weight for d in by_group[g]) for g in group_ids}
    districts_of: dict[int, list[int]] = defaultdict(list)
    for d in m["districts"]:
        districts_of[d["group_id"]].append(d["id"])
    total_days = (today - ctx.start).days + 1
    acts: list[list] = []  # [day, group, district, organiser, [deputy ids]]
    lazy_all = []
    for year in range(ctx.start.year, today.year + 1):
        lo, hi = max(date(year, 1, 1), ctx.start), min(date(year, 12, 31), today)
        days = (hi - lo).days + 1
        n = round(n_activities * days / total_days)
        p_lazy = 0.07 if year == today.year else 0.04
        caps = {d.id: rng.choice((0, 0, 1)) for d in deputies if rng.random() < p_lazy}
        whole = [d for d in deputies if d.serving_whole(lo, hi)]
        if year == today.year and whole and not any(d.id in caps for d in whole):
            caps[rng.choice(whole).id] = 0  # R1 shortfalls must exist
        lazy_all.extend((year, d) for d in caps)
        counts: Counter[int] = Counter()

        def ok(d: _Dep, day: date, chosen: list[int], counts: Counter = counts, caps: dict = caps) -> bool:
            return d.serving(day) and d.id not in chosen and counts[d.id] < caps.get(d.id, 10**9)

        for _ in range(n):
            g = _pick(rng, group_ids, group_cum)
            members = by_group[g]
            day = _rand_day(rng, lo, hi)
            chosen: list[int] = []
            if len(members) >= 3 and rng.random() < 0.3:
                k = rng.randint(3, min(8, len(members)))
                for _t in range(k * 4):
                    d = _pick(rng, members, dep_cum[g])
                    if ok(d, day, chosen):
                        chosen.append(d.id)
                        if len(chosen) >= k:
                            break
                organiser, district = Organiser.GROUP, rng.choice(districts_of[g])
            else:
                lead = None
                for _t in range(10):
                    d = _pick(rng, members, dep_cum[g])
                    if ok(d, day, chosen):
                        lead = d
                        break
                if lead is None:
                    continue
                chosen.append(lead.id)
                if rng.random() < 0.15:
                    d = _pick(rng, members, dep_cum[g])
                    if ok(d, day, chosen):
                        chosen.append(d.id)
                organiser, district = Organiser.DEPUTY, lead.district_id or rng.choice(districts_of[g])
            if not chosen:
                continue
            for x in chosen:
                counts[x] += 1
            acts.append([day, g, district, organiser, chosen])
        # most deputies reach R1's minimum a year (those marked lazy this year do not)
        if days >= 120:
            for d in whole:
                if d.id in caps:
                    continue
                for _ in range(max(0, minimum + (rng.random() < 0.5) - counts[d.id])):
                    counts[d.id] += 1
                    acts.append([_rand_day(rng, lo, hi), d.group_id, d.district_id or rng.choice(districts_of[d.group_id]),
                                 Organiser.DEPUTY, [d.id]])
    acts.sort(key=lambda a: a[0])

    names = {d.id: d.name for d in deputies}
    first = ctx.ids(models.Activity, len(acts))
    ops = _Opinions(ctx, m, ctx.rng("opinions"))
    # cluster problems are also raised at activities in their district (R4 counts both)
    cluster_by_district: dict[int, list[dict]] = defaultdict(list)
    for c in clusters:
        cluster_by_district[c["district_id"]].append(c)
    rows, links = [], []
    kinds = [(ActivityKind.WENXU, 45), (ActivityKind.WENNAN, 25), (ActivityKind.WENJI, 20), (ActivityKind.OTHER, 10)]
    for k, (day, g, district, organiser, chosen) in enumerate(acts):
        aid = first + k
        kind = _wpick(rng, kinds)
        mode = _wpick(rng, ACT_MODES_BY_KIND[kind])
        pool = ACT_TARGETS_BY_KIND[kind]
        targets = rng.sample(pool, min(len(pool), rng.randint(1, 2)))
        if kind == ActivityKind.WENXU and rng.random() < 0.2:
            targets.append("低收入家庭")
        place = m["place"][district]
        where = rng.choice(PLACES).format(c=place["c"], o=place["o"], x=rng.choice(place["x"]), v=rng.choice(VILLAGES))
        if mode == "走访慰问":
            voters = rng.randint(3, 25)
        elif mode == "调研座谈":
            voters = rng.randint(6, 25)
        else:
            voters = rng.randint(15, 150)
        n_ops = _wpick(rng, [(0, 30), (1, 35), (2, 25), (3, 10)])
        who = "、".join(names[x] for x in chosen[:3]) + ("等代表" if len(chosen) > 3 else "代表")
        cat = rng.choice(list(TOPICS))
        summary = ACT_SUMMARIES[mode].format(names=who, c=place["c"], t="、".join(targets), n=voters, m=n_ops,
                                             place=where, topic=TOPICS[cat])
        typical = rng.random() < 0.03
        if typical:
            summary += TYPICAL_NOTES
        bare = rng.random() < 0.06
        has_signin = not bare and rng.random() < 0.75
        has_photos = not bare and rng.random() < 0.85
        verified = not bare and day <= today - timedelta(days=20) and rng.random() < 0.1
        created = min(datetime.combine(day + timedelta(days=rng.randint(0, 3)), time(16, rng.randrange(60))),
                      datetime.combine(today, time(8, 0)))
        rows.append({"id": aid, "held_on": day, "place": where, "district_id": district, "group_id": g,
                     "office_id": m["office_of_group"][g], "organiser": organiser, "kind": kind, "targets": targets,
                     "mode": mode, "voters_reached": voters, "summary": summary, "has_signin": has_signin,
                     "has_photos": has_photos, "has_other": not bare and rng.random() < 0.1, "typical": typical,
                     "verified_by": "代表联络工委" if verified else None,
                     "verified_at": datetime.combine(day + timedelta(days=14), time(10, 0)) if verified else None,
                     "created_by": "staff" if m["office_of_group"][g] == m["offices"][0]["id"] else "admin",
                     "created_at": created, "updated_at": created, "version": 1})
        links.extend({"activity_id": aid, "deputy_id": x} for x in chosen)
        hot = cluster_by_district.get(district, ())
        for j in range(n_ops):
            c = hot[0] if hot and j == 0 and rng.random() < 0.5 else None
            ops.add(source=OpinionSource.ACTIVITY, activity_id=aid, report_id=None, deputy_id=rng.choice(chosen),
                    district_id=district, group_id=g, raised=day,
                    category=c["category"] if c else None,
                    content=("选民反映：" + c["core"] + "。") if c else None)
        if len(rows) >= CHUNK:
            ctx.insert(models.Activity, rows)
            ctx.insert(models.ActivityDeputy, links)
            ops.flush()
            rows, links = [], []
    ctx.insert(models.Activity, rows)
    ctx.insert(models.ActivityDeputy, links)
    kept = ops.kept
    ops.flush()
    return {"lazy": lazy_all, "opinions": kept}


# ---------------------------------------------------------------- congress events, publicity, proposals


def _events(ctx: _Ctx, m: dict) -> list[dict]:
    """人代会 sessions and standing-committee activities with attendance; return the sessions."""
    rng = ctx.rng("events")
    today = ctx.today
    deputies: list[_Dep] = m["deputies"]
    by_group: dict[int, list[_Dep]] = defaultdict(list)
    for d in deputies:
        by_group[d.group_id].append(d)
    events, att = [], []
    sessions = []

    def invite(eid: int, day: date, who: list[_Dep], p_leave: float, p_absent: float) -> None:
        for d in who:
            if not d.serving(day):
                continue
            r = rng.random()
            status = AttendanceStatus.LEAVE if r < p_leave else (AttendanceStatus.ABSENT if r < p_leave + p_absent else AttendanceStatus.PRESENT)
            att.append({"event_id": eid, "deputy_id": d.id, "status": status})

    for year in range(ctx.start.year, today.year + 1):
        lo, hi = max(date(year, 1, 1), ctx.start), min(date(year, 12, 31), today)
        term_year = year - m["start_year"] + 1
        # two sessions a year: the annual one in January, and a shorter one in summer
        annual = m["first_session"] if term_year == 1 else date(year, 1, 10 + rng.randrange(10))
        summer = date(year, 7, 20) + timedelta(days=rng.randrange(30))
        for k, day in enumerate((annual, summer)):
            session_no = 2 * term_year - 1 + k
            if not (lo <= day <= hi):
                continue
            eid = ctx.ids(models.CongressEvent, 1)
            title = f"区{m['term_name']}人民代表大会第{_cn_num(session_no)}次会议"
            events.append({"id": eid, "kind": EventKind.CONGRESS, "title": title, "held_on": day, "term_id": m["term_id"],
                           "session_no": session_no})
            sessions.append({"id": eid, "held_on": day, "session_no": session_no, "annual": k == 0})
            invite(eid, day, deputies, 0.04, 0.01)
        plan = [(EventKind.STANDING_SESSION, 6), (EventKind.INSPECTION, 4), (EventKind.RESEARCH, 4), (EventKind.LAW_CHECK, 2)]
        sc_no = 0
        for kind, n in plan:
            for j in range(n):
                day = date(year, 1, 1) + timedelta(days=int((j + 0.5) * 365 / n) + rng.randrange(-10, 10))
                if not (lo <= day <= hi):
                    continue
                eid = ctx.ids(models.CongressEvent, 1)
                topic = rng.choice(list(TOPICS.values()))
                if kind == EventKind.STANDING_SESSION:
                    sc_no += 1
                    title = f"列席区人大常委会第{(term_year - 1) * 6 + sc_no}次会议"
                    size = rng.randint(4, 8)
                elif kind == EventKind.INSPECTION:
                    title, size = f"视察{topic}工作情况", rng.randint(10, 25)
                elif kind == EventKind.RESEARCH:
                    title, size = f"{topic}专题调研", rng.randint(8, 20)
                else:
                    title, size = f"《中华人民共和国{rng.choice(LAWS)}》执法检查", rng.randint(10, 20)
                events.append({"id": eid, "kind": kind, "title": title, "held_on": day, "term_id": m["term_id"],
                               "session_no": None})
                invite(eid, day, rng.sample(deputies, min(size, len(deputies))), 0.08, 0.03)
        for g in m["groups"]:
            members = by_group[g["id"]]
            if not members:
                continue
            for j in range(2):
                day = date(year, 4 + 6 * j, 1) + timedelta(days=rng.randrange(45))
                if not (lo <= day <= hi):
                    continue
                eid = ctx.ids(models.CongressEvent, 1)
                what = rng.choice(["集中学习活动", f"视察{rng.choice(list(TOPICS.values()))}", "代表述职评议会"])
                events.append({"id": eid, "kind": EventKind.GROUP_ACTIVITY, "title": f"{g['name']}{what}", "held_on": day,
                               "term_id": m["term_id"], "session_no": None})
                invite(eid, day, members, 0.06, 0.02)
    events.sort(key=lambda e: e["id"])
    ctx.insert(models.CongressEvent, events)
    ctx.insert(models.Attendance, att)
    return sessions


def _publicity(ctx: _Ctx, m: dict) -> None:
    """宣传 / 普法 / 法制调研 work with the deputies who took part."""
    rng = ctx.rng("publicity")
    today = ctx.today
    by_group: dict[int, list[_Dep]] = defaultdict(list)
    for d in m["deputies"]:
        by_group[d.group_id].append(d)
    groups = [g for g in m["groups"] if by_group[g["id"]]]
    if not groups:
        return
    n = max(6, len(m["deputies"]) // 4)
    works, links = [], []
    titles = {
        PublicityKind.PUBLICITY: ["宣讲区委全会精神", "宣传区人代会决议", "宣讲党的二十届三中全会精神", "宣传区政府工作报告重点任务"],
        PublicityKind.LAW_EDUCATION: ["宪法宣传周进社区", "《民法典》普法讲座", "反电信网络诈骗普法宣传", "《老年人权益保障法》宣传"],
        PublicityKind.LAW_RESEARCH: [f"关于{t}的法制调研" for t in TOPICS.values()],
    }
    for year in range(ctx.start.year, today.year + 1):
        lo, hi = max(date(year, 1, 1), ctx.start), min(date(year, 12, 31), today)
        # each group's whole-group work: spreading the congress's decisions after the session,
        # the Party committee's plenum in autumn, and the constitution week (4 December)
        for g in groups:
            for kind, title, day in ((PublicityKind.PUBLICITY, "宣传区人代会决议", date(year, 2, 20)),
                                     (PublicityKind.PUBLICITY, "宣讲区委全会精神", date(year, 10, 25)),
                                     (PublicityKind.LAW_EDUCATION, "国家宪法日宪法宣传进社区", date(year, 12, 4))):
                day += timedelta(days=rng.randrange(10))
                who = [d for d in by_group[g["id"]] if d.serving(day) and rng.random() < 0.85]
                if not (lo <= day <= hi) or not who:
                    continue
                wid = ctx.ids(models.PublicityWork, 1)
                audience = rng.randint(50, 300)
                works.append({"id": wid, "kind": kind, "title": title, "held_on": day, "audience": audience,
                              "summary": f"{g['name']}{len(who)}名代表{title}，参加群众{audience}人。",
                              "created_by": "staff" if g["office_id"] == m["offices"][0]["id"] else "admin"})
                links.extend({"work_id": wid, "deputy_id": d.id} for d in who)
        k = round(n * ((hi - lo).days + 1) / 365)
        for _ in range(k):
            kind = _wpick(rng, [(PublicityKind.PUBLICITY, 50), (PublicityKind.LAW_EDUCATION, 35), (PublicityKind.LAW_RESEARCH, 15)])
            day = _rand_day(rng, lo, hi)
            g = rng.choice(groups)
            who = [d for d in by_group[g["id"]] if d.serving(day)]
            if not who:
                continue
            wid = ctx.ids(models.PublicityWork, 1)
            title = rng.choice(titles[kind])
            audience = rng.randint(0, 30) if kind == PublicityKind.LAW_RESEARCH else rng.randint(20, 300)
            works.append({"id": wid, "kind": kind, "title": title, "held_on": day, "audience": audience,
                          "summary": f"{g['name']}代表{title}，参加群众{audience}人。",
                          "created_by": "staff" if g["office_id"] == m["offices"][0]["id"] else "admin"})
            for d in rng.sample(who, min(len(who), rng.randint(2, 6))):
                links.append({"work_id": wid, "deputy_id": d.id})
    ctx.insert(models.PublicityWork, works)
    ctx.insert(models.PublicityDeputy, links)


def _sample_serving(rng: random.Random, pool: list[_Dep], k: int, day: date, exclude: list[int]) -> list[_Dep]:
    """Up to ``k`` distinct deputies of ``pool`` serving on ``day`` (rejection sampling, then a scan)."""
    out: list[_Dep] = []
    seen = set(exclude)
    if k <= 0 or not pool:
        return out
    for _ in range(k * 6):
        d = pool[rng.randrange(len(pool))]
        if d.id not in seen and d.serving(day):
            seen.add(d.id)
            out.append(d)
            if len(out) >= k:
                return out
    for d in pool:  # small pools: take whoever is left
        if d.id not in seen and d.serving(day):
            seen.add(d.id)
            out.append(d)
            if len(out) >= k:
                break
    return out


def _proposals(ctx: _Ctx, m: dict, sessions: list[dict], clusters: list[dict], opinions: list[tuple]) -> None:
    """议案 / 建议 / 批评和意见 in every status, with signers; some from letters and opinions (R4)."""
    rng = ctx.rng("proposals")
    orng = ctx.rng("proposal-outcomes")  # its own stream (the proposals' stream is unchanged)
    today = ctx.today
    deputies: list[_Dep] = m["deputies"]
    by_group: dict[int, list[_Dep]] = defaultdict(list)
    for d in deputies:
        by_group[d.group_id].append(d)
    session_of = {s["held_on"].year: s for s in sessions if s["annual"]}
    dep_cum = _cum(d.weight for d in deputies)
    props, signers, sources = [], [], []
    ops_by_group: dict[int, list[tuple]] = defaultdict(list)
    for o in opinions:
        ops_by_group[o[1]].append(o)
    cats = list(TOPICS)

    def add(kind: str, day: date, session_no: int | None, lead: _Dep, co: list[_Dep], cat: str) -> int:
        pid = ctx.ids(models.Proposal, 1)
        topic = TOPICS[cat]
        law = rng.random() < 0.2
        word = kind if kind != ProposalKind.CRITICISM else "意见"
        if law and kind != ProposalKind.CRITICISM:
            title = f"关于加强《{rng.choice(LAWS)}》贯彻实施的{word}"
        else:
            where = m["offices"][lead.office_id - m["offices"][0]["id"]]["_short"] if rng.random() < 0.3 else ""
            title = rng.choice(PROPOSAL_TITLES).format(where=where, topic=topic, word=word)
        handled = ProposalStatus.REGISTERED if kind == ProposalKind.MOTION else ProposalStatus.ASSIGNED
        steps = [(ProposalStatus.SUBMITTED, day)]
        d = day + timedelta(days=rng.randint(7, 30))
        if d <= today:
            steps.append((handled, d))
            d += timedelta(days=rng.randint(5, 20))
            if d <= today:
                steps.append((ProposalStatus.HANDLING, d))
                d += timedelta(days=rng.randint(50, 120))
                if d <= today and rng.random() < 0.92:
                    steps.append((ProposalStatus.ANSWERED, d))
        status, on = steps[-1]
        view = _wpick(rng, [(Satisfaction.SATISFIED, 70), (Satisfaction.BASIC, 22), (Satisfaction.UNSATISFIED, 8)]) if status == ProposalStatus.ANSWERED else None
        body = rng.choice(BODIES.get(cat, DEFAULT_BODIES))
        props.append({"id": pid, "kind": kind, "term_id": m["term_id"], "session_no": session_no, "title": title,
                      "summary": f"建议{body}加快推进{topic}，回应群众关切。", "lead_deputy_id": lead.id,
                      "submitted_on": day, "handling_body": body if status != ProposalStatus.SUBMITTED else None,
                      "body_id": m["bodies"][body] if status != ProposalStatus.SUBMITTED else None,
                      "outcome": _wpick(orng, OUTCOME_WEIGHTS) if status == ProposalStatus.ANSWERED else None,
                      "status": status, "deputy_view": view,
                      "result": f"{body}答复：已列入工作计划并推进落实" if status == "已答复" else None,
                      "result_on": on if status == ProposalStatus.ANSWERED else None, "law_related": law,
                      "created_by": "staff" if lead.office_id == m["offices"][0]["id"] else "admin",
                      "version": len(steps)})
        signers.append({"proposal_id": pid, "deputy_id": lead.id, "is_lead": True})
        seen = {lead.id}
        for c in co:
            if c.id not in seen:
                seen.add(c.id)
                signers.append({"proposal_id": pid, "deputy_id": c.id, "is_lead": False})
        return pid

    n = len(deputies)
    for year in range(ctx.start.year, today.year + 1):
        lo, hi = max(date(year, 1, 1), ctx.start), min(date(year, 12, 31), today)
        sess = session_of.get(year)
        plan = [(ProposalKind.SUGGESTION, max(3, n)), (ProposalKind.MOTION, max(1, n // 60)), (ProposalKind.CRITICISM, max(1, n // 30))]
        for kind, k in plan:
            for _ in range(k):
                at_session = sess is not None and rng.random() < 0.8
                day = sess["held_on"] if at_session else _rand_day(rng, lo, hi)
                lead = _pick(rng, deputies, dep_cum)  # the diligent ones lead more
                if not lead.serving(day):
                    continue
                members = by_group[lead.group_id]
                if kind == ProposalKind.MOTION:
                    want = rng.randint(9, 14)
                    co = _sample_serving(rng, members, want, day, [lead.id])
                    co += _sample_serving(rng, deputies, want - len(co), day, [lead.id, *(c.id for c in co)])
                elif kind == ProposalKind.SUGGESTION:
                    co = _sample_serving(rng, members, rng.choice((0, 0, 1, 2, 3, 4)), day, [lead.id])
                else:
                    co = _sample_serving(rng, members, rng.choice((0, 0, 1)), day, [lead.id])
                cat = rng.choice(cats)
                pid = add(kind, day, sess["session_no"] if at_session else None, lead, co, cat)
                # some suggestions grew out of opinions their lead deputy's group collected
                if kind == ProposalKind.SUGGESTION and rng.random() < 0.15:
                    pool = [o for o in ops_by_group[lead.group_id][-200:] if o[4] <= day]
                    for o in rng.sample(pool, min(len(pool), rng.randint(1, 2))):
                        sources.append({"proposal_id": pid, "letter_id": None, "opinion_id": o[0]})
    # concentrated appeals: every second one already became a 建议 (R4), the rest wait for one
    for c in clusters:
        if not c["linked"] or not c["ids"]:
            continue
        day = today - timedelta(days=rng.randint(0, 20))
        members = [d for d in by_group[c["group_id"]] if d.serving(day)]
        if not members:
            continue
        lead = rng.choice(members)
        co = rng.sample([d for d in members if d.id != lead.id], min(len(members) - 1, 2))
        pid = add(ProposalKind.SUGGESTION, day, None, lead, co, c["category"])
        for lid in c["ids"]:
            sources.append({"proposal_id": pid, "letter_id": lid, "opinion_id": None})
        for o in [o for o in ops_by_group[c["group_id"]] if o[2] == c["district_id"] and o[3] == c["category"]][:5]:
            sources.append({"proposal_id": pid, "letter_id": None, "opinion_id": o[0]})
    ctx.insert(models.Proposal, props)
    ctx.insert(models.ProposalSigner, signers)
    first = ctx.ids(models.ProposalSource, len(sources))
    for k, s in enumerate(sources):
        s["id"] = first + k
    ctx.insert(models.ProposalSource, sources)


# ---------------------------------------------------------------- reports to voters, hearings, summaries


def plan_size(serving: int, band: tuple[float, float]) -> int:
    """How many of a group's ``serving`` deputies its yearly plan takes: of the sizes the R6 rule
    allows (``rules.report_share(...).sizes``, which gives a small group the nearest whole number),
    the one nearest the middle of the band."""
    if serving <= 0:
        return 0
    mid = (band[0] + band[1]) / 2
    sizes = list(rules.report_share(0, serving, band).sizes)
    return min(sizes, key=lambda k: (abs(k / serving - mid), k))


def _reports(ctx: _Ctx, m: dict) -> None:
    """Plans (not in term year 1), face-to-face and written reports, rectification, report opinions."""
    rng = ctx.rng("reports")
    today = ctx.today
    by_group: dict[int, list[_Dep]] = defaultdict(list)
    for d in m["deputies"]:
        by_group[d.group_id].append(d)
    plans, items, reports, rects = [], [], [], []
    ops = _Opinions(ctx, m, ctx.rng("report-opinions"))
    report_ops: list[tuple] = []
    reported: set[int] = set()
    band = rules.share_band(ctx.session)
    for year in range(ctx.start.year, today.year + 1):
        if report_service.plan_year_error(ctx.session, year):
            continue  # R6: no face-to-face plan in the term's first year (the one refusal)
        jan1, dec31 = date(year, 1, 1), date(year, 12, 31)
        ref = ctx.reference_day(year)
        for g in m["groups"]:
            members = by_group[g["id"]]
            # the group's deputies serving in the year, as services.deputies counts them (on the
            # reference day); those serving since 1 January report (face to face or in writing)
            counted = [d for d in members if d.serving(ref)]
            serving = [d for d in counted if d.serving(jan1)]
            if not serving:
                continue
            k = min(plan_size(len(counted), band), len(serving))
            fresh = [d for d in serving if d.id not in reported]
            rng.shuffle(fresh)
            chosen = fresh[:k]
            if len(chosen) < k:
                rest = [d for d in serving if d not in chosen]
                chosen += rng.sample(rest, k - len(chosen))
            pid = ctx.ids(models.ReportPlan, 1)
            locked = year < today.year or rng.random() < 0.85
            plans.append({"id": pid, "group_id": g["id"], "year": year, "locked": locked,
                          "locked_by": "staff" if locked else None,
                          "locked_at": datetime(year, 2, 20, 10, 0) if locked else None})
            for j, d in enumerate(chosen):
                reported.add(d.id)
                planned = date(year, 3, 15) + timedelta(days=int((j + 0.5) * 260 / max(1, len(chosen)))
                                                        + rng.randrange(-7, 8))
                venue = f"{m['place'][d.district_id]['c']}社区代表联络站"
                items.append({"plan_id": pid, "deputy_id": d.id, "planned_on": planned, "venue": venue,
                              "content": f"向选民报告{year}年履职情况：出席人代会、闭会期间活动、联系选民和提出建议、"
                                         "遵守宪法法律、为选民办实事"})
                if planned > today or rng.random() < 0.08:
                    continue  # not held yet (or postponed)
                held = min(today, planned + timedelta(days=rng.randint(-3, 5)))
                rid = ctx.ids(models.Report, 1)
                present = rng.randint(35, 150)
                r = rng.random()
                rate = rng.uniform(0.3, 0.5) if r < 0.04 else (rng.uniform(0.6, 0.8) if r < 0.15 else rng.uniform(0.85, 1))
                sat = round(present * rate)
                basic = round((present - sat) * rng.uniform(0.4, 0.9))
                unsat = present - sat - basic
                asked = rng.randint(2, 10)
                published = held + timedelta(days=rng.randint(10, 40))
                pub = published <= today and rng.random() < (0.8 if year < today.year else 0.5)
                reports.append(_report_row(rid, d.id, year, ReportForm.FACE, held=held, venue=venue, present=present,
                                           asked=asked, answered=asked - (rng.random() < 0.2),
                                           video=rng.random() < 0.6, sat=sat, basic=basic, unsat=unsat,
                                           published=published if pub else None))
                for _ in range(_wpick(rng, [(0, 40), (1, 35), (2, 25)])):
                    report_ops.append((rid, d, held))
                if unsat > 0 and (rate < 0.8 or rng.random() < 0.3):
                    for c in rng.sample(RECT_CONTENTS, rng.randint(1, 2)):
                        due = held + timedelta(days=rng.randint(30, 60))
                        done_ = due <= today and rng.random() < 0.85
                        rects.append({"id": ctx.ids(models.Rectification, 1), "source": RectificationSource.REPORT, "report_id": rid,
                                      "spot_check_id": None, "group_id": g["id"], "content": c, "owner": d.name,
                                      "due_on": due, "status": RectificationStatus.DONE if done_ else RectificationStatus.OPEN,
                                      "announced_on": held + timedelta(days=rng.randint(7, 20))
                                      if rng.random() < 0.8 else None,
                                      "closed_on": due - timedelta(days=rng.randint(0, 10)) if done_ else None,
                                      "closed_by": "staff" if done_ else None, "opened_by_grading": False})
            # written reports from everyone else serving the whole year
            planned_ids = {d.id for d in chosen}
            for d in serving:
                if d.id in planned_ids:
                    continue
                if year < today.year:
                    state = _wpick(rng, [("missing", 6), ("received", 6), ("reviewed", 10), ("filed", 30),
                                         ("published", 48)])
                    received = dec31 - timedelta(days=20) + timedelta(days=rng.randint(0, 40))
                else:
                    state = _wpick(rng, [("missing", 35), ("received", 20), ("reviewed", 15), ("filed", 15),
                                         ("published", 15)])
                    received = today - timedelta(days=rng.randint(20, 120))
                if state == "missing" or received > today:
                    continue
                rid = ctx.ids(models.Report, 1)
                order = ["received", "reviewed", "filed", "published"]
                lvl = order.index(state)
                rev = received + timedelta(days=rng.randint(3, 15))
                fil = rev + timedelta(days=rng.randint(3, 15))
                pub = fil + timedelta(days=rng.randint(5, 30))
                lvl = min(lvl, 0 if rev > today else (1 if fil > today else (2 if pub > today else 3)))
                result = (ReviewResult.PASSED if rng.random() < 0.9 else ReviewResult.RETURNED) if lvl >= 1 else None
                if result == ReviewResult.RETURNED:
                    lvl = 1
                reports.append(_report_row(
                    rid, d.id, year, ReportForm.WRITTEN, received=received,
                    review=result, reviewer=m["liaison"][g["id"]] if lvl >= 1 else None,
                    reviewed=rev if lvl >= 1 else None, filed=fil if lvl >= 2 else None,
                    published=pub if lvl >= 3 else None))
    ctx.insert(models.ReportPlan, plans)
    ctx.insert(models.ReportPlanItem, items)
    ctx.insert(models.Report, reports)
    ctx.insert(models.Rectification, rects)
    for rid, d, held in report_ops:
        ops.add(source=OpinionSource.REPORT, activity_id=None, report_id=rid, deputy_id=d.id, district_id=d.district_id,
                group_id=d.group_id, raised=held)
    ops.flush()


def _report_row(rid: int, deputy_id: int, year: int, form: str, *, held: date | None = None,
                venue: str | None = None, present: int | None = None, asked: int | None = None,
                answered: int | None = None, video: bool = False, sat: int | None = None,
                basic: int | None = None, unsat: int | None = None, received: date | None = None,
                review: str | None = None, reviewer: str | None = None, reviewed: date | None = None,
                filed: date | None = None, published: date | None = None) -> dict:
    """One reports row with every column."""
    return {"id": rid, "deputy_id": deputy_id, "year": year, "form": form, "held_on": held, "venue": venue,
            "voters_present": present, "questions_asked": asked, "questions_answered": answered,
            "video_recorded": video,
            "text_note": "述职报告文本存代表组档案" if form == ReportForm.FACE else "书面报告原件存代表组档案",
            "satisfied": sat, "basically_satisfied": basic, "unsatisfied": unsat, "received_on": received,
            "review_result": review, "reviewer": reviewer, "reviewed_on": reviewed, "filed_on": filed,
            "published_on": published,
            "publication_issue": f"{published.year}年第{published.month}期" if published else None,
            "version": 1}


def _hearings_and_summaries(ctx: _Ctx, m: dict) -> None:
    """Group work report hearings (R16) and quarterly summaries submitted (R13)."""
    rng = ctx.rng("hearings")
    today = ctx.today
    hearings, summaries = [], []
    for year in range(ctx.start.year, today.year + 1):
        lo, hi = max(date(year, 1, 1), ctx.start), min(date(year, 12, 31), today)
        for g in m["groups"]:
            for _ in range(_wpick(rng, [(0, 15), (1, 65), (2, 20)])):
                day = _rand_day(rng, lo, hi)
                hearings.append({"id": ctx.ids(models.Hearing, 1), "group_id": g["id"], "held_on": day,
                                 "heard_by": rng.choice(HEARD_BY), "points": rng.choice(HEARING_POINTS)})
            for q in range(1, 5):
                q_end = date(year, 3 * q, 1) + timedelta(days=31)
                q_end = q_end.replace(day=1) - timedelta(days=1)
                if q_end < ctx.start or q_end >= today:
                    continue
                latest = q_end + timedelta(days=100) > today
                if rng.random() < (0.8 if latest else 0.93):
                    at = q_end + timedelta(days=rng.randint(3, 15))
                    if at > today:
                        continue
                    summaries.append({"id": ctx.ids(models.QuarterlySummary, 1), "group_id": g["id"], "year": year,
                                      "quarter": q, "submitted_by": m["liaison"][g["id"]],
                                      "submitted_at": datetime.combine(at, time(15, 30)),
                                      "note": f"{g['name']}{year}年第{q}季度群众意见汇总已报常委会代表联络工委"})
    ctx.insert(models.Hearing, hearings)
    ctx.insert(models.QuarterlySummary, summaries)


def _topics(ctx: _Ctx, clusters: list[dict]) -> None:
    """Two supervision topics from concentrated appeals: one in progress, one closed with writers told."""
    rng = ctx.rng("topics")
    today = ctx.today
    topics, links = [], []
    open_ones = [c for c in clusters if not c["linked"] and c["ids"]]
    for k, c in enumerate(open_ones[:2]):
        tid = ctx.ids(models.SupervisionTopic, 1)
        closed = k == 1
        created = datetime.combine(today - timedelta(days=40 - 15 * k), time(10, 0))
        topics.append({"id": tid, "title": f"关于{TOPICS.get(c['category'], c['category'])}问题的监督",
                       "category": c["category"], "district_id": c["district_id"],
                       "status": TopicStatus.CLOSED if closed else TopicStatus.OPEN,
                       "outcome": "常委会听取专项报告，相关部门已制定整改方案并公示" if closed else None,
                       "outcome_class": "B 正在解决" if closed else None,
                       "created_by": "leader", "created_at": created,
                       "closed_at": datetime.combine(today - timedelta(days=5), time(16, 0)) if closed else None})
        for lid in c["ids"]:
            told = closed and rng.random() < 0.5
            links.append({"topic_id": tid, "letter_id": lid,
                          "told_at": datetime.combine(today - timedelta(days=rng.randint(0, 4)), time(11, 0))
                          if told else None, "told_by": "staff" if told else None})
    ctx.insert(models.SupervisionTopic, topics)
    ctx.insert(models.TopicLetter, links)


def _users(ctx: _Ctx, m: dict) -> None:
    """The four demo accounts (password demo12345), skipping usernames that exist already."""
    have = set(ctx.session.execute(select(models.User.username)).scalars())
    pw = auth.hash_password(auth.DEMO_PASSWORD)
    first_office = m["offices"][0]["id"] if m["offices"] else None
    wanted = [("admin", "系统管理员", "admin", None), ("staff", "王晓红", "staff", first_office),
              ("supervisor", "李建国", "supervisor", None), ("leader", "赵国华", "leader", None)]
    rows = []
    for username, display, role, office in wanted:
        if username in have:
            continue
        rows.append({"id": ctx.ids(models.User, 1), "username": username, "display_name": display,
                     "password_hash": pw, "role": role, "office_id": office, "group_id": None, "active": True,
                     "tokens_valid_after": None, "created_at": datetime.combine(ctx.today, time(8, 0))})
    ctx.insert(models.User, rows)


def _fix_sequences(ctx: _Ctx) -> None:
    """PostgreSQL: move each id sequence past the explicit ids just inserted."""
    if ctx.dialect != "postgresql":
        return
    for table in models.Base.metadata.sorted_tables:
        if "id" not in table.c or not table.c.id.primary_key or table.name not in ctx.counts:
            continue
        ctx.session.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
            f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"))


# ---------------------------------------------------------------- entry point


def _spot_checks(ctx: _Ctx) -> None:
    """Demo spot checks through the service (``spotchecks.demo_checks``): a finished lottery draw,
    an abandoned 封存 and its reseal opened with dice, and this quarter's list sealed. Their rows get
    ids reserved like every demo row (the same seed gives the same ids on every backend)."""
    from sqlalchemy import event

    from services import spotchecks

    def explicit_ids(session: Session, _ctx: object, _instances: object) -> None:
        for obj in session.new:
            if isinstance(obj, models.SpotCheck | models.SpotCheckItem | models.Rectification) and obj.id is None:
                obj.id = ctx.ids(type(obj), 1)

    event.listen(ctx.session, "before_flush", explicit_ids)
    try:
        before = ctx.session.execute(select(func.count()).select_from(models.Rectification)).scalar_one()
        spotchecks.demo_checks(ctx.session, ctx.today, ctx.seed)
        ctx.session.flush()
    finally:
        event.remove(ctx.session, "before_flush", explicit_ids)
    for model in (models.SpotCheck, models.SpotCheckItem, models.SpotCheckGrade):
        rows = ctx.session.execute(select(func.count()).select_from(model)).scalar_one()
        if rows:
            ctx.counts[model.__tablename__] = rows
    added = ctx.session.execute(select(func.count()).select_from(models.Rectification)).scalar_one() - before
    if added:
        ctx.counts["rectifications"] += added


def generate(url: str | None = None, *, seed: int = 2026, offices: int = 6, groups: int = 12,
             districts: int = 40, deputies: int = 180, letters: int | None = None,
             activities: int | None = None, years: float = 1.5, today: date | None = None,
             progress: Callable[[float, str], None] | None = None) -> dict:
    """Fill an empty, migrated database with demo data; return the rows inserted per table.

    ``letters`` defaults to about 3 per deputy and year, ``activities`` to about 2 per deputy
    and year (each has one to eight deputies, so most deputies take part in 4–6 a year).
    Refuses (ValueError) a database that already holds offices or terms.
    """
    today = today or clock.today()
    if min(offices, groups, districts, deputies) < 1:
        raise ValueError("办事处、代表组、选区和代表的数量都至少为1")
    check_years(today, years)
    with session_scope("demo", url=url) as session:
        if session.execute(select(func.count()).select_from(models.Office)).scalar() or \
                session.execute(select(func.count()).select_from(models.Term)).scalar():
            raise ValueError("数据库中已有基础数据，演示数据只能载入空数据库")
        ctx = _Ctx(session, seed, today, years, progress)
        span = ((today - ctx.start).days + 1) / 365.25
        n_letters = round(3 * deputies * span) if letters is None else letters
        n_acts = round(2.0 * deputies * span) if activities is None else activities
        ctx.progress(0.0, "基础数据")
        m = _master(ctx, offices, groups, districts, deputies)
        m["term_name"] = f"第{_cn_num(TERM_NUMBER)}届"
        ctx.progress(0.1, "代表信箱")
        boxes = _mailboxes(ctx, m)
        ctx.progress(0.15, "来信")
        lt = _letters(ctx, m, boxes, n_letters)
        ctx.progress(0.7, "联系选民活动")
        ac = _activities(ctx, m, n_acts, lt["clusters"])
        ctx.progress(0.8, "会议与出席")
        sessions = _events(ctx, m)
        _publicity(ctx, m)
        ctx.progress(0.85, "议案建议")
        _proposals(ctx, m, sessions, lt["clusters"], ac.get("opinions", []))
        ctx.progress(0.9, "述职")
        _reports(ctx, m)
        _hearings_and_summaries(ctx, m)
        _topics(ctx, lt["clusters"])
        _users(ctx, m)
        ctx.progress(0.92, "抽查")
        _spot_checks(ctx)
        _fix_sequences(ctx)
        ctx.progress(0.93, "办理时限")
        if n_letters:
            letter_service.recompute_deadlines(session, None)
        opinion_service.recompute_deadlines(session, None)
        scoring.ensure_default_rubric(session)
        counts = dict(sorted(ctx.counts.items()))
    stats.analyze_url(url)  # a bulk load: the planner needs statistics for what was just written
    ctx.progress(1.0, "完成")
    return counts
