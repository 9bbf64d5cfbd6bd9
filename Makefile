# Two commands for a fresh Debian machine with Python 3.11: `make run` and `make test`.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8501
SCALE ?= district

.PHONY: run test install install-dev lint bench clean-db

$(BIN)/python:
	@command -v $(PY) >/dev/null 2>&1 || { echo "需要 Python 3.11（找不到 $(PY)）"; exit 1; }
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# make run PORT=8502 serves on another port; a port already taken stops here with a message
# (instead of leaving the user on whatever else answers there)
run: install
	@$(BIN)/python -c "import socket, sys; s = socket.socket(); s.settimeout(1); taken = s.connect_ex(('127.0.0.1', $(PORT))) == 0; s.close(); taken and sys.exit('端口 $(PORT) 已被占用（另一个程序或另一份本应用正在使用）。请换一个端口，例如：make run PORT=$$(( $(PORT) + 1 ))')"
	$(BIN)/python manage.py init-db
	$(BIN)/python manage.py demo --if-empty
	@$(BIN)/python manage.py accounts
	$(BIN)/streamlit run serve.py --server.address 127.0.0.1 --server.port $(PORT) --server.headless true

# Besides today, the suite runs with the clock moved to these days (tests/conftest.py reads
# TEST_TODAY), on SQLite and without the browser: no test may depend on the day it runs.
TEST_DAYS ?= 2026-01-05 2026-12-31

test: install-dev
	$(BIN)/ruff check .
	@# The two dated runs start first, in the background (SQLite, no browser, one process each, their
	@# output shown whole at the end); the main run (the three databases and the browser tests) runs
	@# meanwhile in the foreground. Three processes share the machine's two cores: one after the
	@# other they took over 35 minutes, side by side well under 30. PYTEST_ARGS / DATED_ARGS narrow
	@# the runs (e.g. to try the recipe on one file).
	@pids=""; for day in $(TEST_DAYS); do \
	  ( env -u TEST_PG_URL -u TEST_MYSQL_URL TEST_TODAY=$$day $(BIN)/python -m pytest -q -m "not browser" \
	      -p no:warnings -p no:cacheprovider $(DATED_ARGS) > .test-$$day.log 2>&1; echo $$? > .test-$$day.rc ) & \
	  pids="$$pids $$!"; \
	done; \
	$(BIN)/python -m pytest $(PYTEST_ARGS); rc=$$?; \
	wait $$pids; for day in $(TEST_DAYS); do \
	  echo "== 测试日期 $$day（SQLite，不含浏览器测试）"; tail -n 30 .test-$$day.log; \
	  [ "$$(cat .test-$$day.rc)" = 0 ] || rc=1; rm -f .test-$$day.log .test-$$day.rc; \
	done; exit $$rc

lint: install-dev
	$(BIN)/ruff check .

bench: install
	$(BIN)/python -m bench.run --scale $(SCALE)

clean-db:
	rm -f data/app.db data/app.db-wal data/app.db-shm
