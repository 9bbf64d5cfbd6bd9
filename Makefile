# Two commands for a fresh Debian machine with Python 3.11: `make run` and `make test`.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8501

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

run: install
	$(BIN)/python manage.py init-db
	$(BIN)/python manage.py demo --if-empty
	@$(BIN)/python manage.py accounts
	$(BIN)/streamlit run app.py --server.address 127.0.0.1 --server.port $(PORT) --server.headless true

test: install-dev
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

lint: install-dev
	$(BIN)/ruff check .

bench: install
	$(BIN)/python -m bench.run

clean-db:
	rm -f data/app.db data/app.db-wal data/app.db-shm
