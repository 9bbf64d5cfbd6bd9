"""承办单位 directory; outcome classes A/B/C/D; one writer one identity; what a reply said

- table handling_bodies; body columns on letters, opinions (转交 and 解决) and proposals;
- outcome (A/B/C/D) on letters, opinions and proposals; reply content and method on letters;
- letters.writer_key (the writer's identity) and writer phones in their one canonical form.

Existing free-text bodies are matched: every distinct text that names an organisation becomes
(or joins, by normalised name) a body of the directory; texts naming a person or the deputy
(本人, 自行解决, 张伟同志 …) are left unmatched, for the admin to map (承办单位 page).
Opinions already 已解决 are class A (the status said so), 无法解决 class D; letters and proposals
already closed keep no class (closing them said nothing about the answer): they no longer count as
solved until someone classifies them.

Revision ID: 0006_i14_bodies
Revises: 0005_i15_twostep
Create Date: 2026-11-30
"""

import re
import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0006_i14_bodies"
down_revision = "0005_i15_twostep"
branch_labels = None
depends_on = None

# the values of services.states at the time of this revision (a migration never imports app code)
OUTCOMES = ("A 已解决", "B 正在解决", "C 列入计划逐步解决", "D 因条件限制留作参考")
KINDS = ("政府部门", "法院", "检察院", "街道乡镇", "企事业单位", "其他")
REPLY = ("电话", "当面", "书面")


def _in(column: str, words: tuple[str, ...], nullable: bool = True) -> str:
    """A CHECK constraint's SQL keeping a column within words."""
    text = f"{column} in ({','.join(repr(w) for w in words)})"
    return f"{column} is null or {text}" if nullable else text


# ---- frozen copies of services.identity / services.bodies at this revision

_INVISIBLE = re.compile(r"[\s\u200b-\u200f\u2060\ufeff\u00ad\u3000]+")
_DOT_RE = re.compile("[" + re.escape("·•・‧･∙⋅.．ㆍ⸱ᐧ᛫⦁") + "]+")
_NO_BODY = re.compile(r"(不需|无需|无须|不用|不必|暂不|未|没有|无)(转办|转交|交办|处理|办理|单位)")
_DEPUTY_PLACE = re.compile(r"代表(工作室|联络站|联络室|之家|活动室|接待室|接待站|小组|组)")
_VAGUE = re.compile(r"^(有关|相关|各|其他|其它|上级|主管|职能)(部门|单位|机关|科室)$")
_POST = re.compile("^[王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
                   "姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤]"
                   "(局|科|所|队|处|委|站|办|总|部)$")
_MOBILE = re.compile(r"1[3-9]\d{9}")
_SEP = re.compile(r"[\s\-－—–‐.．·()（）\[\]【】/]+")
SELF_WORDS = ("本人", "自行", "自己", "亲自", "个人")
PERSON_TITLES = ("同志", "代表", "先生", "女士", "老师", "师傅", "书记", "主任", "局长", "镇长", "村长")
ORG_ENDINGS = ("局", "委", "办", "院", "厅", "处", "科", "所", "站", "队", "中心", "公司", "集团", "街道", "镇", "乡",
               "村", "社区", "政府", "部", "部门", "会", "室", "馆", "署", "社", "厂", "场", "园", "单位", "行", "校",
               "团", "联", "庭", "监狱", "府", "组织")


def _nfkc(v: object) -> str:
    """Text with widths folded and outer spaces trimmed."""
    return unicodedata.normalize("NFKC", str(v or "")).strip()


def _visible(text: str) -> str:
    """identity._visible: no spaces, invisible or control characters (text pasted from Word)."""
    return "".join(ch for ch in _INVISIBLE.sub("", text) if unicodedata.category(ch) not in ("Cf", "Cc"))


def body_key(name: object) -> str:
    """identity.body_key."""
    text = _visible(_nfkc(name))
    text = re.sub(r"[\"'“”‘’、，,。.;；:：!！?？()（）\[\]【】《》<>·•・\-—_]", "", text)
    return text.casefold()


def name_key(name: object) -> str:
    """identity.name_key."""
    return _DOT_RE.sub("·", _visible(unicodedata.normalize("NFKC", str(name or "")))).casefold()


def canonical_phone(value: object) -> str | None:
    """identity.canonical_phone (landlines accepted); None when unreadable."""
    text = _nfkc(value)
    if not text:
        return None
    ext = None
    m = re.match(r"^(.*?\d)\s*(?:转|分机|ext\.?|x|#)\s*(\d{1,6})$", text, re.I)
    if m:
        text, ext = m.group(1), m.group(2)

    def core(t: str) -> str | None:
        plain, intl = _SEP.sub("", t), False
        if plain.startswith("+86"):
            plain, intl = plain[3:], True
        elif plain.startswith("0086"):
            plain, intl = plain[4:], True
        elif plain.startswith("86") and len(plain) == 13 and _MOBILE.fullmatch(plain[2:]):
            plain = plain[2:]
        if not plain.isdigit():
            return None
        if _MOBILE.fullmatch(plain):
            return plain
        if intl and not plain.startswith("0"):
            plain = "0" + plain
        if plain.startswith("0") and len(plain) > 2:
            n = 3 if plain[1] in "12" else 4
            if re.fullmatch(r"[2-9]\d{6,7}", plain[n:]):
                return f"{plain[:n]}-{plain[n:]}"
        if not intl and re.fullmatch(r"[2-9]\d{6,7}", plain):
            return plain
        return None

    number = core(text)
    if number is None and ext is None:
        m = re.match(r"^(.*\d)[\s\-－—–‐]+(\d{1,6})$", text)
        if m:
            head = core(m.group(1))
            if head and not _MOBILE.fullmatch(head):
                number, ext = head, m.group(2)
    if number is None or (ext and _MOBILE.fullmatch(number)):
        return None
    return f"{number}转{ext}" if ext else number


def writer_key(name: object, phone: str | None) -> str | None:
    """identity.writer_key on a canonical phone."""
    if phone:
        return "t:" + phone.split("转")[0]
    n = name_key(name)
    return "n:" + n if n else None


def is_organisation(name: str, deputy_keys: set[str]) -> bool:
    """bodies.not_an_organisation(...) is None."""
    text = _visible(_nfkc(name))
    if not text or any(w in text for w in SELF_WORDS) or _NO_BODY.search(text):
        return False
    if re.search(r"[（(]\s*(代表|本人|个人)\s*[）)]", text) or _DEPUTY_PLACE.search(text):
        return False
    if _VAGUE.match(text) or _POST.match(text):
        return False
    k = name_key(text)
    if k in deputy_keys or any(k == d + t for d in deputy_keys for t in PERSON_TITLES):
        return False
    tail = re.search(r"[（(][^（）()]*[）)]$", text)  # 某局（某某局）: a bracketed second name
    inner = tail.group()[1:-1].strip() if tail else ""
    core = text[:tail.start()] if inner.endswith(ORG_ENDINGS) and not inner.endswith(PERSON_TITLES) else text
    return not text.endswith(PERSON_TITLES) and not core.endswith(PERSON_TITLES) and core.endswith(ORG_ENDINGS)


def guess_kind(name: str) -> str:
    """bodies.guess_kind."""
    if "法院" in name or name.endswith("法庭"):
        return "法院"
    if "检察院" in name:
        return "检察院"
    if any(w in name for w in ("街道", "办事处")) or name.endswith(("镇", "乡", "社区", "村", "镇政府", "乡政府")):
        return "街道乡镇"
    if name.endswith(("公司", "集团", "医院", "学校", "小学", "中学", "幼儿园", "银行", "厂")):
        return "企事业单位"
    if any(w in name for w in ("局", "委", "政府", "办公室", "部门", "分局", "大队")):
        return "政府部门"
    return "其他"


def _initials(name: str) -> str:
    """Pinyin initials (the package, not app code)."""
    from pypinyin import Style, lazy_pinyin

    return "".join(x[:1] for x in lazy_pinyin(name, style=Style.FIRST_LETTER, errors="ignore")).lower()[:64]


# (table, text column, body column)
TEXT_FIELDS = (("letters", "forwarded_to", "body_id"), ("opinions", "forwarded_to", "body_id"),
               ("opinions", "resolved_by", "resolved_body_id"), ("proposals", "handling_body", "body_id"))


def _add(table: str, column: str, type_: sa.types.TypeEngine, *, fk: str | None = None,
         check: tuple[str, str] | None = None) -> None:
    """Add a nullable column with its foreign key or CHECK. SQLite adds it in place (ALTER TABLE
    ADD COLUMN … REFERENCES / CHECK): rebuilding letters would cascade-delete its history rows."""
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        ddl = type_.compile(dialect=bind.dialect)
        if fk:
            ddl += f" REFERENCES {fk.split('.')[0]}({fk.split('.')[1]})"
        if check:
            ddl += f" CONSTRAINT {check[0]} CHECK ({check[1]})"
        op.execute(f"ALTER TABLE {table} ADD COLUMN {column} {ddl}")
        return
    op.add_column(table, sa.Column(column, type_))
    if fk:
        op.create_foreign_key(f"fk_{table}_{column}", table, fk.split(".")[0], [column], [fk.split(".")[1]])
    if check:
        op.create_check_constraint(check[0], table, check[1])


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "handling_bodies",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(128), nullable=False, unique=True),
        sa.Column("name_key", sa.String(128), nullable=False),
        sa.Column("pinyin", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("parent_id", sa.Integer(), sa.ForeignKey("handling_bodies.id")),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(64)),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(_in("kind", KINDS, nullable=False), name="ck_body_kind"),
    )
    op.create_index("ix_body_key", "handling_bodies", ["name_key"])
    _add("letters", "writer_key", sa.String(80))
    _add("letters", "body_id", sa.Integer(), fk="handling_bodies.id")
    _add("letters", "reply_content", sa.Text())
    _add("letters", "reply_method", sa.String(8), check=("ck_letter_reply_method", _in("reply_method", REPLY)))
    _add("letters", "outcome", sa.String(16), check=("ck_letter_outcome", _in("outcome", OUTCOMES)))
    op.create_index("ix_letter_writer_key", "letters", ["writer_key"])
    op.create_index("ix_letter_body", "letters", ["body_id"])
    op.create_index("ix_letter_merged_into", "letters", ["merged_into_id"])
    _add("opinions", "body_id", sa.Integer(), fk="handling_bodies.id")
    _add("opinions", "resolved_body_id", sa.Integer(), fk="handling_bodies.id")
    _add("opinions", "outcome", sa.String(16), check=("ck_opinion_outcome", _in("outcome", OUTCOMES)))
    op.create_index("ix_opinions_body_id", "opinions", ["body_id"])
    _add("proposals", "body_id", sa.Integer(), fk="handling_bodies.id")
    _add("proposals", "outcome", sa.String(16), check=("ck_proposal_outcome", _in("outcome", OUTCOMES)))
    op.create_index("ix_proposals_body_id", "proposals", ["body_id"])
    _data()


def _data() -> None:
    """Canonical phones and writer keys; bodies from the free text; outcome classes of opinions."""
    conn = op.get_bind()
    md = sa.MetaData()
    letters = sa.Table("letters", md, autoload_with=conn)
    opinions = sa.Table("opinions", md, autoload_with=conn)
    proposals = sa.Table("proposals", md, autoload_with=conn)
    bodies = sa.Table("handling_bodies", md, autoload_with=conn)
    deputies = sa.Table("deputies", md, autoload_with=conn)
    tables = {"letters": letters, "opinions": opinions, "proposals": proposals}
    # writers: one canonical phone, one key
    rows = conn.execute(sa.select(letters.c.id, letters.c.writer_name, letters.c.writer_phone)).all()
    params = []
    for lid, name, phone in rows:
        canon = canonical_phone(phone) if phone else None
        params.append({"i": lid, "p": canon or phone, "k": writer_key(name, canon or phone)})
    if params:
        conn.execute(letters.update().where(letters.c.id == sa.bindparam("i"))
                     .values(writer_phone=sa.bindparam("p"), writer_key=sa.bindparam("k")), params)
    # bodies from the free text, grouped by normalised name
    deputy_keys = {name_key(n) for (n,) in conn.execute(sa.select(deputies.c.name)) if n}
    texts: dict[str, int] = {}
    for table, text_col, _body in TEXT_FIELDS:
        t = tables[table].c[text_col]
        for text, n in conn.execute(sa.select(t, sa.func.count()).where(t.is_not(None)).group_by(t)):
            if text:
                texts[text] = texts.get(text, 0) + int(n)
    # variants of one name (spaces, widths, punctuation) form one group; a group whose variants
    # name an organisation becomes one body, named as most often typed
    groups: dict[str, list[tuple[str, int]]] = {}
    for text, n in texts.items():
        groups.setdefault(body_key(text), []).append((text, n))
    groups = {k: v for k, v in groups.items() if k and any(is_organisation(t, deputy_keys) for t, _n in v)}
    from services import clock

    now = clock.now().replace(microsecond=0)  # the one clock (tests can move it)
    ids: dict[str, int] = {}
    for key, variants in sorted(groups.items()):
        orgs = [v for v in variants if is_organisation(v[0], deputy_keys)]
        # named as typed (no width folding: （）and ，stay Chinese), without invisible characters
        name = _visible(str(sorted(orgs, key=lambda v: (-v[1], len(v[0]), v[0]))[0][0]))[:128]
        conn.execute(bodies.insert().values(name=name, name_key=key, pinyin=_initials(name), kind=guess_kind(name),
                                            active=True, created_by="数据迁移", created_at=now, version=1))
        ids[key] = conn.execute(sa.select(bodies.c.id).where(bodies.c.name == name)).scalar_one()
        for text, _n in variants:
            for table, text_col, body_col in TEXT_FIELDS:
                tb = tables[table]
                conn.execute(tb.update().where(tb.c[text_col] == text).values({body_col: ids[key]}))
    # outcome classes: an opinion resolved is A, one that could not be resolved D
    conn.execute(opinions.update().where(opinions.c.status.in_(("已解决", "已反馈选民")),
                                         opinions.c.resolved_on.is_not(None),
                                         opinions.c.unresolvable_reason.is_(None)).values(outcome=OUTCOMES[0]))
    conn.execute(opinions.update().where(opinions.c.status.in_(("无法解决", "已反馈选民")),
                                         opinions.c.unresolvable_reason.is_not(None)).values(outcome=OUTCOMES[3]))


def _drop(table: str, columns: tuple[str, ...], *, indexes: tuple[str, ...] = (), fks: tuple[str, ...] = (),
          checks: tuple[str, ...] = ()) -> None:
    """Drop this revision's columns of a table with their indexes, foreign keys and CHECKs.

    SQLite added them in place (``_add``: an inline REFERENCES has no name to drop), so there the
    table is rebuilt without them (batch, foreign-key enforcement off in env.py); PostgreSQL and
    MariaDB drop the named constraints, then the indexes and columns."""
    if op.get_bind().dialect.name == "sqlite":
        for ix in indexes:
            op.drop_index(ix, table_name=table)
        with op.batch_alter_table(table, recreate="always") as b:
            for ck in checks:
                b.drop_constraint(ck, type_="check")
            for c in columns:  # its unnamed REFERENCES goes with the column
                b.drop_column(c)
        return
    for ck in checks:
        op.drop_constraint(ck, table, type_="check")
    for fk in fks:
        op.drop_constraint(fk, table, type_="foreignkey")
    for ix in indexes:  # after the foreign keys: MariaDB keeps an index a foreign key needs
        if ix == "ix_letter_merged_into" and op.get_bind().dialect.name in ("mysql", "mariadb"):
            # MariaDB let this index replace the one it made for 0001's foreign key on
            # merged_into_id: the key gets its own index back in the same statement
            op.execute("ALTER TABLE letters ADD INDEX merged_into_id (merged_into_id), DROP INDEX ix_letter_merged_into")
            continue
        op.drop_index(ix, table_name=table)
    for c in columns:
        op.drop_column(table, c)


def downgrade() -> None:
    """Revert this revision (phones stay canonical; the classes, bodies and writer keys are lost).
    On SQLite this rebuilds letters, opinions and proposals: back up first."""
    _drop("proposals", ("outcome", "body_id"), indexes=("ix_proposals_body_id",),
          fks=("fk_proposals_body_id",), checks=("ck_proposal_outcome",))
    _drop("opinions", ("outcome", "resolved_body_id", "body_id"), indexes=("ix_opinions_body_id",),
          fks=("fk_opinions_resolved_body_id", "fk_opinions_body_id"), checks=("ck_opinion_outcome",))
    _drop("letters", ("outcome", "reply_method", "reply_content", "body_id", "writer_key"),
          indexes=("ix_letter_merged_into", "ix_letter_body", "ix_letter_writer_key"),
          fks=("fk_letters_body_id",), checks=("ck_letter_reply_method", "ck_letter_outcome"))
    op.drop_index("ix_body_key", table_name="handling_bodies")
    op.drop_table("handling_bodies")
