"""16 writers at once through the services (issue 12): letter registrations, letter steps on the
version each writer read, pauses and resumes, double submits of one form. Every attempt ends
stored, or refused with a Chinese message and nothing written; none errors, none is lost, no
two letters share a number and no step is stored on a state its writer did not see.

Runs on every backend given (SQLite always; PostgreSQL / MariaDB with TEST_PG_URL /
TEST_MYSQL_URL) for TEST_CONCURRENCY_SECONDS seconds (default 5); the counts are printed.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections import Counter
from datetime import timedelta

from sqlalchemy import func, select

from db import models
from db.engine import session_scope
from services import clock, intents, letters
from services.common import ServiceError
from tests.conftest import build_world

THREADS = 16
SECONDS = float(os.environ.get("TEST_CONCURRENCY_SECONDS", "5"))
FIELDS = {"已转办": {"forwarded_to": "区住建局"}, "已办结": {"result": "已维修"},
          "已反馈": {"feedback_method": "电话", "satisfaction": "不满意"},
          "不予受理": {"reason": "不属于受理范围"}}


def test_sixteen_writers_lose_nothing_and_see_no_database_error(db_url) -> None:
    world = build_world(db_url)
    staff, admin = world.staff(), world.admin()
    day = clock.today()

    def letter_data(i: int) -> dict:
        return {"mailbox_id": world.mailboxes[i % 2 * 3], "received_on": day - timedelta(days=5),
                "writer_name": f"来信人{i}", "writer_phone": f"138{i:08d}", "summary": f"第{i}号问题：路灯不亮",
                "category": "城乡建设"}

    seed_ids = []
    for i in range(6):
        seed_ids.append(intents.submit("staff", lambda s, i=i: letters.register(s, staff, letter_data(i)).id,
                                       url=db_url))
    counts: Counter = Counter()
    why: Counter = Counter()  # refusals by kind
    stored_steps: list[tuple[int, str]] = []  # (letter id, token) of each step reported stored
    registered: list[str] = []
    errors: list[str] = []
    lock = threading.Lock()
    stop = time.monotonic() + SECONDS

    def note(kind: str, **kw) -> None:
        with lock:
            counts[kind] += 1
            if "step" in kw:
                stored_steps.append(kw["step"])
            if "code" in kw:
                registered.append(kw["code"])

    def attempt(fn, token: str | None, form: str, who: str):
        counts_key = None
        try:
            out = intents.submit(who, fn, token=token, form=form, url=db_url)
            counts_key = "stored"
            return out
        except ServiceError as exc:
            msg = str(exc)
            assert any("\u4e00" <= ch <= "\u9fff" for ch in msg), msg
            counts_key = "refused"
            with lock:
                why[type(exc).__name__ if msg != intents.BUSY else "BUSY"] += 1
            return None
        except Exception as exc:  # noqa: BLE001 - any other error reaching the user is counted
            counts_key = "errored"
            with lock:
                errors.append(f"{type(exc).__name__}: {exc}"[:300])
            return None
        finally:
            note("attempted")
            note(counts_key)

    def worker(n: int) -> None:
        rng = random.Random(n)
        actor, who = (staff, "staff") if n % 2 else (admin, "admin")
        ids = list(seed_ids)
        k = 0
        while time.monotonic() < stop:
            k += 1
            r = rng.random()
            if r < 0.1:  # register a letter
                code = attempt(lambda s, i=n * 100000 + k: letters.register(s, actor, letter_data(i)).code,
                               intents.new_token(), "lt_reg", who)
                if code:
                    note("registered", code=code)
                continue
            lid = rng.choice(ids)
            with session_scope(who, url=db_url) as s:  # the form is drawn: version and steps seen
                info = letters.get_letter(s, actor, lid)
            token = intents.new_token()
            if info["paused_since"]:
                attempt(lambda s, v=info["version"], lid=lid, t=token: letters.resume(s, actor, lid, note=t, expected_version=v),
                        token, "lt_step", who)
                continue
            steps = [t for t, _label in info["next"]]
            if not steps:
                continue
            if r < 0.3 and info["may_pause"]:
                fn = (lambda s, v=info["version"], t=token, lid=lid:
                      letters.pause(s, actor, lid, note="请补充" + t, expected_version=v))
            else:
                # 不予受理 ends a letter: rare, so the letters keep moving (不满意 reopens them)
                to = rng.choice([t for t in steps if t not in ("不予受理", "已合并")] or steps) if rng.random() > 0.02 else steps[-1]
                fn = (lambda s, v=info["version"], to=to, t=token, lid=lid:
                      letters.transition(s, actor, lid, to, note=t, expected_version=v, **FIELDS.get(to, {})))
            if attempt(fn, token, "lt_step", who) is not None:
                note("steps", step=(lid, token))
                if r > 0.9:  # the same form submitted again (a double click): refused
                    attempt(fn, token, "lt_step", who)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    with session_scope("t", url=db_url) as s:
        E = models.LetterEvent
        notes = [n for (n,) in s.execute(select(E.note))]
        codes = [c for (c,) in s.execute(select(models.Letter.code))]
        used = {t for (t,) in s.execute(select(models.FormIntent.token))}
        chains = {}
        for lid, frm, to in s.execute(select(E.letter_id, E.from_status, E.to_status)
                                              .order_by(E.letter_id, E.id)):
            chains.setdefault(lid, []).append((frm, to))
        n_letters = s.execute(select(func.count()).select_from(models.Letter)).scalar_one()
    lost = sum(1 for _lid, t in stored_steps if t not in used or not any(t in (x or "") for x in notes))
    lost += sum(1 for c in registered if c not in codes)
    counts["lost"] = lost
    print(f"\n[{db_url.split(':')[0]}] {SECONDS:g} s, {THREADS} threads: attempted {counts['attempted']}, "
          f"stored {counts['stored']}, refused with a message {counts['refused']}, errored {counts['errored']}, "
          f"lost {lost}; letters registered {counts['registered']}, steps stored {counts['steps']}; "
          f"refusals {dict(why)}")
    assert errors == [] and counts["errored"] == 0
    assert lost == 0
    assert counts["attempted"] == counts["stored"] + counts["refused"]
    assert len(codes) == len(set(codes)) == n_letters == 6 + counts["registered"]
    # every step starts from the state the previous step left (none applied to an unseen state)
    for lid, chain in chains.items():
        state = None
        for frm, to in chain:
            if to in (letters.PAUSE, letters.RESUME):
                assert frm == state, (lid, chain)
                continue
            assert frm == state, (lid, chain)
            state = to
