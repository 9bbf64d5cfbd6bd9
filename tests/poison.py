"""A demo data set whose every free-text column carries attacks (issue 16): a formula, Markdown
with an image, HTML, a vertical tab and a bidi override. Shared by the export and page tests."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import String, Text, text

from db import models
from db.engine import get_engine
from db.migrate import upgrade
from services import demo

# what a careless or hostile user could have typed (stored as legacy data, before clean_text)
POISON = "=1+1\x0b:red[大字]**粗体组**![x](http://attacker.invalid/g.png)<b>b</b>\u202e"
MARKS = ("**粗体组**", "![x](", ":red[", "<b>", "\x0b", "\u202e")
# columns left alone: keys people log in or look up with, secrets, enumerations (CHECK constraints
# refuse other words anyway), phones/codes (the masking tests cover them), the log itself
_SKIP_COLUMNS = {"username", "password_hash", "key", "role", "status", "kind", "code", "pinyin", "phone",
                 "writer_phone", "liaison_phone", "gender", "party", "form", "grade", "mode", "organiser",
                 "keeper_kind", "source", "fact", "focus", "cap_group", "action", "entity", "entity_id",
                 "fingerprint", "witness", "seed", "feedback_method", "satisfaction", "result_kind"}
_SKIP_TABLES = {"audit_log", "login_attempts", "alembic_version", "settings", "data_version"}


def build(tmp: Path) -> str:
    """A small demo district in SQLite with every free-text column poisoned; returns its URL."""
    url = f"sqlite:///{tmp / 'poison.db'}"
    upgrade(url)
    demo.generate(url, offices=2, groups=4, districts=6, deputies=24, years=1.2)
    engine = get_engine(url)
    poisoned = 0
    with engine.begin() as conn:
        for table in models.Base.metadata.sorted_tables:
            if table.name in _SKIP_TABLES:
                continue
            for col in table.columns:
                if col.name in _SKIP_COLUMNS or col.foreign_keys or not isinstance(col.type, String | Text):
                    continue
                if getattr(col.type, "length", None) and col.type.length < 16:
                    continue
                sp = conn.begin_nested()
                try:
                    n = conn.execute(text(f'UPDATE "{table.name}" SET "{col.name}" = :p || "{col.name}" '
                                          f'WHERE "{col.name}" IS NOT NULL AND "{col.name}" <> \'\''),
                                     {"p": POISON}).rowcount
                    sp.commit()
                    poisoned += n
                except Exception:  # noqa: BLE001 - a CHECK constraint refuses it: an enumerated column
                    sp.rollback()
        # a category named like a formula (the held test), used by letters
        cats = '["=1+1", "@SUM(A1)", "城乡建设", "社会保障", "教育", "医疗卫生", "其他"]'
        conn.execute(text("DELETE FROM settings WHERE key = 'letter_categories'"))
        conn.execute(text("INSERT INTO settings (key, value) VALUES ('letter_categories', :v)"), {"v": cats})
        conn.execute(text("UPDATE letters SET category = '=1+1' WHERE id % 3 = 0"))
        conn.execute(text("UPDATE letters SET category = '@SUM(A1)' WHERE id % 3 = 1"))
    assert poisoned > 100, poisoned
    return url
