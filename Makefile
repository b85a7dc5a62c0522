# Xinyidai: `make run` serves the demo on SQLite; `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed
PG_LOCAL_URL := postgres://postgres@127.0.0.1:5432/xinyidai
APT_STAMP := $(VENV)/.apt

.PHONY: run test lint format migrate seed messages assets sysdeps sysdeps-test venv bench worker clean

$(STAMP): requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet -r requirements.txt
	touch $(STAMP)

venv: $(STAMP)

# System packages: gettext (compilemessages), Node.js + npm (front-end assets), a CJK font (PDFs) and
# HarfBuzz's subsetter (WeasyPrint embeds font subsets with it in ~1 s a report; without it, fontTools takes ~5 s),
# pg_dump and pg_restore (postgresql-client: make backup / restore).
sysdeps:
	@missing=""; \
	command -v msgfmt >/dev/null || missing="$$missing gettext"; \
	command -v npm >/dev/null || missing="$$missing nodejs npm"; \
	fc-list 2>/dev/null | grep -qi "wenquanyi\|wqy" || missing="$$missing fonts-wqy-microhei"; \
	ldconfig -p 2>/dev/null | grep -q libharfbuzz-subset || missing="$$missing libharfbuzz-subset0"; \
	command -v pg_dump >/dev/null || missing="$$missing postgresql-client"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing system packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

# Browser tests drive Debian's chromium (never a downloaded browser).
sysdeps-test: sysdeps
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; }

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch node_modules/.package-lock.json

assets: node_modules/.package-lock.json

messages: venv sysdeps
	DJANGO_DEBUG=1 $(PY) manage.py compilemessages --ignore=.venv --ignore=node_modules -v 0

migrate: venv
	$(PY) manage.py migrate --noinput -v 0

run: export DJANGO_DEBUG ?= 1
run: venv sysdeps assets messages
	$(PY) manage.py migrate --noinput -v 0
	$(PY) manage.py load_reference_data
	$(PY) manage.py seed_demo --scale demo
	$(PY) manage.py runserver 127.0.0.1:8000

# PostgreSQL when DATABASE_URL is set or the local server answers; otherwise SQLite (PostgreSQL-only
# tests then skip with a printed reason). Redis at 127.0.0.1:6379, when it answers, backs the tests
# that run a real Celery worker.
test: venv sysdeps-test assets messages
	@if [ -z "$$DATABASE_URL" ] && $(PY) -c "import psycopg; psycopg.connect('$(PG_LOCAL_URL:/xinyidai=/postgres)', connect_timeout=2).close()" 2>/dev/null; then \
	  export DATABASE_URL=$(PG_LOCAL_URL); fi; \
	if [ -z "$$XINYIDAI_TEST_BROKER_URL" ] && $(PY) -c "import redis; redis.Redis(socket_connect_timeout=2).ping()" 2>/dev/null; then \
	  export XINYIDAI_TEST_BROKER_URL=redis://127.0.0.1:6379/15; fi; \
	echo "Database: $${DATABASE_URL:-SQLite (set DATABASE_URL or start PostgreSQL at 127.0.0.1:5432 for the full suite)}"; \
	echo "Celery broker for worker tests: $${XINYIDAI_TEST_BROKER_URL:-none (worker tests skip)}"; \
	DJANGO_ALLOW_ASYNC_UNSAFE=true $(VENV)/bin/pytest $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	set -o pipefail; $(VENV)/bin/bandit -c pyproject.toml -r xinyidai lending creditinfo -q 2>&1 \
	  | { grep -v "nosec encountered" || true; }

format: venv
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

seed: venv
	$(PY) manage.py seed_demo --scale $(or $(SCALE),demo)

# Benchmark (issue 3): gunicorn on 127.0.0.1:8100 against DATABASE_URL (default xinyidai_$(SCALE)), every
# endpoint at concurrency 1 and at saturation, both floors, worker memory; writes bench/results/. SCALE is
# demo, medium or province; BENCH_ARGS passes options to bench/run.py. See bench/README.md.
BENCH_STAMP := $(VENV)/.bench-installed

$(BENCH_STAMP): bench/requirements.txt $(STAMP)
	$(PIP) install --quiet -r bench/requirements.txt
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP) assets messages
	$(PY) -m bench.run --scale $(or $(SCALE),demo) \
	  --database-url "$(or $(DATABASE_URL),postgres://postgres@127.0.0.1:5432/xinyidai_$(or $(SCALE),demo))" $(BENCH_ARGS)

# Issue 5: the incremental rollup refresh after 10,000 feedback rows on a seeded database (bench/README.md).
.PHONY: bench-rollups
bench-rollups: venv
	$(PY) -m bench.rollup_refresh --scale $(or $(SCALE),demo) \
	  --database-url "$(or $(DATABASE_URL),postgres://postgres@127.0.0.1:5432/xinyidai_$(or $(SCALE),demo))" $(BENCH_ARGS)

# Issue 7: 50 simulated users on a mixed journey for 10 minutes, gunicorn + a real Celery worker (Redis at
# SOAK_BROKER_URL), worker memory sampled; writes bench/results/soak-*.json. SOAK_ARGS: python -m bench.soak --help.
.PHONY: soak
soak: $(BENCH_STAMP) assets messages
	$(PY) -m bench.soak --scale $(or $(SCALE),demo) --broker-url "$(or $(SOAK_BROKER_URL),redis://127.0.0.1:6379/7)" \
	  --database-url "$(or $(DATABASE_URL),postgres://postgres@127.0.0.1:5432/xinyidai_$(or $(SCALE),demo))" $(SOAK_ARGS)

worker: venv
	$(VENV)/bin/celery -A xinyidai worker -B -l info

# Backup and restore (issue 7; README "Failure"). `make backup` writes DATABASE_URL (PostgreSQL) to
# BACKUP_FILE, pg_dump's custom format, default backups/xinyidai-<UTC time>.dump. `make restore BACKUP_FILE=...
# CONFIRM=yes` replaces the tables of DATABASE_URL with the file's: pg_restore --clean --if-exists --no-owner in one
# transaction (all or nothing); without CONFIRM=yes it only says what it would do. pg_dump and pg_restore must be of
# the server's major version or newer (postgresql-client, installed by sysdeps).
PG_URL_CHECK = case "$(DATABASE_URL)" in postgres://*|postgresql://*) ;; \
  *) echo "make $@: set DATABASE_URL to a PostgreSQL database (postgres://user@host:port/name)." >&2; exit 2;; esac

.PHONY: backup restore
backup:
	@$(PG_URL_CHECK); \
	file="$(BACKUP_FILE)"; file="$${file:-backups/xinyidai-$$(date -u +%Y%m%dT%H%M%SZ).dump}"; \
	mkdir -p "$$(dirname "$$file")" && \
	pg_dump --format=custom --no-owner --file="$$file.partial" "$(DATABASE_URL)" && mv "$$file.partial" "$$file" && \
	echo "Backup of database $${DATABASE_URL##*/} written to $$file ($$(du -h "$$file" | cut -f1))."

restore:
	@$(PG_URL_CHECK); \
	test -n "$(BACKUP_FILE)" || { echo "make restore: name the file, BACKUP_FILE=backups/xinyidai-....dump" >&2; exit 2; }; \
	pg_restore --list "$(BACKUP_FILE)" >/dev/null || { echo "make restore: $(BACKUP_FILE) is not a pg_dump file." >&2; exit 2; }; \
	if [ "$(CONFIRM)" != yes ]; then \
	  echo "make restore would replace every table of database $${DATABASE_URL##*/} with those of $(BACKUP_FILE)." >&2; \
	  echo "Run it again with CONFIRM=yes to do so." >&2; exit 2; fi; \
	pg_restore --clean --if-exists --no-owner --no-privileges --single-transaction --exit-on-error \
	  --dbname="$(DATABASE_URL)" "$(BACKUP_FILE)" && \
	echo "Database $${DATABASE_URL##*/} restored from $(BACKUP_FILE)."

clean:
	rm -rf $(VENV) node_modules staticfiles db.sqlite3
