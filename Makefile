# lifecrm: the two commands of the README.
#   make demo   set up everything, generate the demo book, serve the workbench on 127.0.0.1:8000
#   make test   lint, check the import layers, run the whole test suite
# DATABASE_URL selects the database (default: SQLite under var/); DEMO_CUSTOMERS sizes the demo book.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_CUSTOMERS ?= 5000
PYTEST_ARGS ?=
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt 2>/dev/null | sha1sum | cut -c1-12)
# Debian packages: Pango/HarfBuzz and Noto CJK render PDF letters (and Chinese in screenshots);
# chromium and poppler-utils serve the browser and letter tests.
RUNTIME_APT := fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0
TEST_APT := chromium poppler-utils

.PHONY: demo test install runtime-deps test-deps lint bench

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $@

install: $(STAMP)

define apt_install
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; fi
endef

runtime-deps:
	$(call apt_install,$(RUNTIME_APT))

test-deps: runtime-deps
	$(call apt_install,$(TEST_APT))

demo: install runtime-deps
	LIFECRM_ENV=dev $(BIN)/lifecrm migrate --no-input -v 0
	LIFECRM_ENV=dev $(BIN)/lifecrm demo-setup --customers $(DEMO_CUSTOMERS)
	LIFECRM_ENV=dev $(BIN)/lifecrm runserver 127.0.0.1:8000

lint: install
	$(BIN)/ruff check lifecrm tests benchmarks conftest.py
	$(BIN)/lint-imports

test: install test-deps lint
	LIFECRM_ENV=test $(BIN)/pytest -n 2 $(PYTEST_ARGS)

bench: install
	LIFECRM_ENV=dev $(BIN)/python benchmarks/run.py all
