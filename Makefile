# stock-bot: `make run` (sim mode, no keys) and `make test`.
SHELL := /bin/bash
PY    := .venv/bin/python
PIP   := .venv/bin/pip
STAMP := .venv/.installed
COMPOSE ?= docker compose

.PHONY: install run test test-fast lint bench up down logs status demo clean

$(STAMP): pyproject.toml requirements.lock
	@test -x $(PY) || python3 -m venv .venv
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -r requirements.lock
	$(PIP) install -q --no-deps -e .
	@touch $(STAMP)

install: $(STAMP)

run: install
	$(PY) scripts/run_local.py

test: install
	$(PY) scripts/ensure_redis.py
	$(PY) -m pytest -q -n 2 --dist loadgroup

test-fast: install
	$(PY) -m pytest -q -x -m "not slow"

lint: install
	.venv/bin/ruff check src services scripts tests reports bench


bench: install
	$(PY) scripts/ensure_redis.py
	$(PY) bench/run_all.py

status: install
	$(PY) scripts/status.py

demo: install
	$(PY) scripts/run_demo.py

up:
	$(COMPOSE) up -d --build

down:
	$(COMPOSE) down

logs:
	$(COMPOSE) logs -f --tail=200

clean:
	rm -rf var .pytest_cache .ruff_cache
