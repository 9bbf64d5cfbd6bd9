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

# The tests that run on PostgreSQL / MariaDB (the database fixture's parameters); the main run
# takes the rest (SQLite and the browser tests), so the two together run every test once.
SERVER_TESTS := postgresql or mysql

test: install-dev
	$(BIN)/ruff check .
	@# Beside the main run (SQLite and the browser tests, in the foreground) three runs go in the
	@# background, their output shown at the end: the two dated runs (SQLite, no browser, one process
	@# each) and, when TEST_PG_URL / TEST_MYSQL_URL are given, the PostgreSQL and MariaDB tests.
	@# Four processes share the machine's two cores: a clean clone's CI took 16 minutes with three
	@# (the server tests in the main run), one after the other over 35. PYTEST_ARGS / DATED_ARGS
	@# narrow the runs (e.g. to try the recipe on one file).
	@pids=""; for day in $(TEST_DAYS); do \
	  ( env -u TEST_PG_URL -u TEST_MYSQL_URL TEST_TODAY=$$day $(BIN)/python -m pytest -q -m "not browser" \
	      -p no:warnings -p no:cacheprovider $(DATED_ARGS) > .test-$$day.log 2>&1; echo $$? > .test-$$day.rc ) & \
	  pids="$$pids $$!"; \
	done; \
	runs="$(TEST_DAYS)"; main_k=""; \
	if [ -n "$$TEST_PG_URL$$TEST_MYSQL_URL" ]; then \
	  ( $(BIN)/python -m pytest -q -m "not browser" -k "$(SERVER_TESTS)" -p no:warnings -p no:cacheprovider \
	      $(PYTEST_ARGS) > .test-servers.log 2>&1; rc=$$?; [ $$rc = 5 ] && [ -n "$(PYTEST_ARGS)" ] && rc=0; \
	    echo $$rc > .test-servers.rc ) & \
	  pids="$$pids $$!"; runs="$$runs servers"; main_k="not ($(SERVER_TESTS))"; \
	fi; \
	if [ -n "$$main_k" ]; then $(BIN)/python -m pytest -k "$$main_k" $(PYTEST_ARGS); else $(BIN)/python -m pytest $(PYTEST_ARGS); fi; \
	rc=$$?; [ $$rc = 5 ] && [ -n "$(PYTEST_ARGS)" ] && rc=0; \
	wait $$pids; for run in $$runs; do \
	  if [ $$run = servers ]; then echo "== PostgreSQL 与 MariaDB 上的数据库测试"; \
	  else echo "== 测试日期 $$run（SQLite，不含浏览器测试）"; fi; \
	  tail -n 30 .test-$$run.log; \
	  [ "$$(cat .test-$$run.rc)" = 0 ] || rc=1; rm -f .test-$$run.log .test-$$run.rc; \
	done; exit $$rc

lint: install-dev
	$(BIN)/ruff check .

bench: install
	$(BIN)/python -m bench.run --scale $(SCALE)

clean-db:
	rm -f data/app.db data/app.db-wal data/app.db-shm
