"""Issue 16: text as typed, made safe: NUL, control characters and bidi overrides removed, a
vertical tab becomes a line break, names of only invisible characters refused, width folding only
for phones, ID numbers, numbers and codes."""

from __future__ import annotations

import pytest

from db import models
from db.engine import session_scope
from services import masterdata
from services.common import ValidationError
from services.validation import clean_code, clean_text, clean_word, has_visible, normalize_phone, parse_date, parse_year

CASES = [
    ("第一行\x0b第二行", "第一行\n第二行"),  # Word's Shift+Enter
    ("a\r\nb\rc", "a\nb\nc"),
    ("nul\x00byte", "nulbyte"),
    ("\x07bell\x1b[31m", "bell[31m"),
    ("del\x7f c1\x85", "del c1"),
    ("abc\u202edcba\u202c", "abcdcba"),  # RTL override
    ("\u2066iso\u2069 \u200fmark\u200e", "iso mark"),
    ("\u200b\u200b张三\ufeff", "张三"),
    ("\u3000 张三 \u3000", "张三"),
    ("tab\tkept\nnewline kept", "tab\tkept\nnewline kept"),
    ("问题：路灯不亮（已三天）！怎么办？，", "问题：路灯不亮（已三天）！怎么办？，"),  # Chinese punctuation as typed
    ("ＡＢＣ１２３", "ＡＢＣ１２３"),  # free text is not folded
    ("lone\ud800surrogate", "lonesurrogate"),
    ("区教\u00ad育局", "区教育局"),  # Word's soft hyphen inside a name
    ("tag\U000e0041\U000e007fs", "tags"),  # tag characters
    (None, ""),
    (float("nan"), ""),
    (12.0, "12"),
]
INVISIBLE_ONLY = ["\u200b", "\u200b\u200c\u200d", "\ufeff", "\u3000\u3000", " \u2060 ", "\u202e", "\x00\x00",
                  "\u00ad", "\u3164", "\x0b\x0b", "\u200e\u200f"]


@pytest.mark.parametrize(("raw", "clean"), CASES)
def test_clean_text(raw, clean):
    assert clean_text(raw) == clean


@pytest.mark.parametrize("raw", INVISIBLE_ONLY)
def test_invisible_only_is_empty(raw):
    assert clean_text(raw) == "" and not has_visible(raw)


def test_width_folding_only_for_codes():
    assert clean_code("１３７ ０００ ０００２２") == "137 000 00022"
    assert normalize_phone("１３７００００００２２") == "13700000022"
    assert parse_year("１９８２") == 1982
    assert str(parse_date("２０２６年３月５日")) == "2026-03-05"
    assert clean_word("ＩＴ服务（其他）") == "IT服务（其他）"  # option words: letters folded, punctuation kept
    assert clean_text("ＩＴ服务（其他）") == "ＩＴ服务（其他）"


@pytest.mark.parametrize("name", INVISIBLE_ONLY)
def test_a_group_named_with_invisible_characters_only_is_refused(world, name):
    with session_scope("admin", url=world.url) as s:
        with pytest.raises(ValidationError) as exc:
            masterdata.save_group(s, world.admin(), {"name": name, "office_id": world.offices[0]})
        assert "名称" in exc.value.errors["name"]


def test_a_group_name_keeps_its_text_without_control_characters(world):
    with session_scope("admin", url=world.url) as s:
        g = masterdata.save_group(s, world.admin(), {"name": "\u202e东城\x00第九（新）代表组\x0b",
                                                     "office_id": world.offices[0], "liaison_name": "李\x0b四"})
        gid = g.id
    with session_scope(url=world.url) as s:
        g = s.get(models.DeputyGroup, gid)
        assert g.name == "东城第九（新）代表组"
        assert g.liaison_name == "李\n四"


def test_imports_are_capped_with_a_clear_message(world):
    """The finding: 10,000 rows took 75 s with no progress. Past the cap nothing is imported."""
    from services import deputy_io
    from tests.test_import_deputies import xlsx

    with session_scope("admin", url=world.url) as s:
        s.merge(models.Setting(key="import_max_rows", value=100))
    rows = [[f"代表{i:03d}", "男", 1980, "", "", "", "东城第一代表组", "第1选区"] for i in range(150)]
    with session_scope("admin", url=world.url) as s:
        before = s.query(models.Deputy).count()
        with pytest.raises(ValidationError) as exc:
            deputy_io.import_deputies(s, world.admin(), xlsx(rows))
        message = exc.value.errors["file"]
        assert "150 行" in message and "上限 100 行" in message and "未导入任何数据" in message
        assert s.query(models.Deputy).count() == before


@pytest.mark.parametrize("typed", ["1899-01-01", "0001-01-01", "9999-12-31", "2101-01-01"])
def test_absurd_dates_are_refused(typed):
    with pytest.raises(ValueError, match="年份应在"):
        parse_date(typed)


@pytest.mark.parametrize("joined", ["1899-05-01", "2099-05-01"])
def test_elected_date_outside_the_term_is_refused(world, joined):
    from tests.test_masterdata import _deputy

    with session_scope("admin", url=world.url) as s:
        with pytest.raises(ValidationError) as exc:
            masterdata.check_deputy(s, world.admin(), _deputy(world, joined_on=joined))
        assert "当选日期" in exc.value.errors["joined_on"]
