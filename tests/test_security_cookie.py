"""Issue 16: the cookie signing key is never in the source; a cookie forged with any string of the
repository is refused."""

from __future__ import annotations

import re
import stat
import subprocess
from datetime import timedelta

import jwt
import pytest
from streamlit.testing.v1 import AppTest

from services import auth, clock
from tests.conftest import ROOT


def _repository_strings() -> set[str]:
    """Every token of 6+ key-like characters in every tracked text file, plus every quoted string."""
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    out: set[str] = set()
    for name in files:
        try:
            text = (ROOT / name).read_text(encoding="utf-8")
        except (UnicodeDecodeError, FileNotFoundError):
            continue
        out.update(re.findall(r"[A-Za-z0-9_\-+/=.~]{6,200}", text))
        out.update(m for m in re.findall(r"\"([^\"\n]{6,200})\"|'([^'\n]{6,200})'", text) for m in m if m)
    return out


def test_make_run_key_is_random_owner_only_and_kept(tmp_path, monkeypatch):
    monkeypatch.setenv("COOKIE_KEY_FILE", str(tmp_path / "data" / "cookie_key"))
    key, error = auth.resolve_cookie_key(None, production=False)
    assert error is None and auth.weak_key_reason(key) is None
    path = tmp_path / "data" / "cookie_key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert auth.resolve_cookie_key(None, production=False)[0] == key  # the same key on the next start
    path.chmod(0o644)
    assert auth.generated_key(path) == key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # made owner-only again
    other = tmp_path / "other"
    assert auth.generated_key(other) != key  # a new installation gets its own key


def test_damaged_key_file_is_replaced(tmp_path):
    path = tmp_path / "cookie_key"
    path.write_text("")
    key = auth.generated_key(path)
    assert auth.weak_key_reason(key) is None


def test_default_key_file_is_outside_git():
    assert auth.KEY_FILE_DEFAULT.parent.name == "data"
    rel = auth.KEY_FILE_DEFAULT.relative_to(ROOT)
    ignored = subprocess.run(["git", "check-ignore", "-q", str(rel)], cwd=ROOT)
    assert ignored.returncode == 0


def test_a_cookie_forged_with_any_repository_string_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("COOKIE_KEY_FILE", str(tmp_path / "cookie_key"))
    key, _ = auth.resolve_cookie_key(None, production=False)
    candidates = _repository_strings()
    assert len(candidates) > 1000
    assert key not in candidates
    exp = (clock.now() + timedelta(days=1)).timestamp()
    real = jwt.encode({"username": "admin", "exp_date": exp}, key, algorithm="HS256")
    assert jwt.decode(real, key, algorithms=["HS256"])["username"] == "admin"
    refused = 0
    for candidate in candidates:
        forged = jwt.encode({"username": "admin", "exp_date": exp}, candidate, algorithm="HS256")
        with pytest.raises(jwt.InvalidSignatureError):
            jwt.decode(forged, key, algorithms=["HS256"])  # what streamlit-authenticator does
        refused += 1
    print(f"forged cookies refused: {refused}")


def test_app_starts_without_a_configured_key_and_creates_one(app_world, monkeypatch, tmp_path):
    monkeypatch.delenv("COOKIE_KEY", raising=False)
    monkeypatch.delenv("APP_ENV", raising=False)
    path = tmp_path / "k" / "cookie_key"
    monkeypatch.setenv("COOKIE_KEY_FILE", str(path))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30).run()
    assert not at.error
    assert [w.label for w in at.text_input] == ["用户名", "密码"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_configured_weak_key_is_refused_outside_production_too():
    for weak in ("demo-cookie-key", "a" * 64, "ab" * 20):
        key, error = auth.resolve_cookie_key(weak, production=False)
        assert key is None and "密钥" in error
