# make run   - virtualenv, migrations, demo data, gunicorn on http://127.0.0.1:8000
#              and the job consumer (Procfile, run by honcho)
# make test  - the same bootstrap, then the whole test suite
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cksum requirements.txt | cut -d' ' -f1)
FLASK  := $(BIN)/flask --app wsgi
PYTEST_ARGS ?=
# Both cores (pytest-xdist; tests/conftest.py gives each worker its own PostgreSQL
# database). `make test PYTEST_XDIST=` runs in one process.
PYTEST_XDIST ?= -n 2

.PHONY: run test bootstrap translations messages migrate demo lint format clean

bootstrap: $(STAMP) translations .flaskenv

# The flask command reads .flaskenv (python-dotenv), so the README's CLI lines work as
# typed on a development checkout. A variable already set (production's SIGNAGE_ENV)
# wins over the file. Written once; never committed.
.flaskenv:
	printf '# Written by make bootstrap for this development checkout.\nSIGNAGE_ENV=development\n' > $@

$(STAMP): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	rm -f $(VENV)/.installed-*
	touch $@

translations: $(STAMP)
	@for d in $$(find signage -type d -name translations); do \
		$(BIN)/pybabel compile -d $$d >/dev/null || exit 1; \
	done

# Extract new Vietnamese strings into each area's English catalogue (then translate).
messages: $(STAMP)
	scripts/messages.sh

migrate: bootstrap
	SIGNAGE_ENV=$${SIGNAGE_ENV:-development} $(FLASK) db upgrade

demo: migrate
	SIGNAGE_ENV=$${SIGNAGE_ENV:-development} $(FLASK) demo load

run: demo
	SIGNAGE_ENV=$${SIGNAGE_ENV:-development} SIGNAGE_ACCESS_LOG=$${SIGNAGE_ACCESS_LOG--} $(BIN)/honcho start -f Procfile

test: bootstrap
	$(BIN)/python -m pytest $(PYTEST_XDIST) $(PYTEST_ARGS)

# ruff (style, imports, bugbear) and mypy (types; settings in pyproject.toml): CI runs it.
lint: bootstrap
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/mypy

format: bootstrap
	$(BIN)/ruff format . && $(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) instance/signage.db* instance/ratelimit.db*
