# Materia: `make run` serves the demo, `make test` runs the whole suite.
# Both create .venv on first use; nothing else needs to be installed by hand.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed-$(shell cat requirements-dev.txt 2>/dev/null | cksum | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 8000

# Local development defaults; every one of them can be overridden from the environment.
export DEBUG ?= true
export PYTHONDONTWRITEBYTECODE = 1
export SITE_URL ?= http://$(HOST):$(PORT)

.PHONY: help install run demo worker test lint format typecheck check-deploy lock messages clean

help:
	@echo "make run        install, migrate, load the demo and serve http://$(HOST):$(PORT)/"
	@echo "make test       run the whole test suite"
	@echo "make lint       ruff check + ruff format --check + mypy"
	@echo "make worker     start a Celery worker (needs CELERY_BROKER_URL)"
	@echo "make lock       re-resolve requirements*.txt from requirements*.in"

$(STAMP): requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Materia needs Python 3.11 or newer; set PYTHON=python3.11 (or newer).")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@# The charts' CJK font with TrueType outlines, for Type 42 PDFs (~1 min, once; plots/truetype.py)
	$(PY) -c 'from materiality.plots.fonts import printable_cjk_font as f; print(f())'
	@rm -f $(VENV)/.installed-*
	@touch $@

install: $(STAMP)

run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py demo
	$(PY) manage.py runserver $(HOST):$(PORT)

demo: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py demo

worker: install
	$(BIN)/celery -A config worker -B --loglevel=INFO

test: install
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

lock: install
	$(PY) tools/lock_requirements.py

messages: install
	$(PY) manage.py makemessages --locale zh_Hans --ignore '.venv/*' --no-obsolete
	$(PY) manage.py compilemessages --locale zh_Hans --ignore '.venv/*'

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
