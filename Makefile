# The two commands of the README: `make demo` runs the system, `make test` runs every test.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo hub test docs bench clean webui

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip setuptools wheel
	$(PY) -m pip install --quiet -e '.[all,energyplus]'
	touch $(STAMP)

# The web UI's assets, built with npm from webui/ into rpymostat_webui/static/ (the hub serves
# them at /). Without npm the hub runs without its UI and the browser tests skip.
WEBUI_SOURCES := $(wildcard webui/src/*.* webui/src/screens/*.js) webui/build.mjs webui/package-lock.json
WEBUI := rpymostat_webui/static/index.html

webui: $(WEBUI)

$(WEBUI): $(WEBUI_SOURCES)
	@if command -v npm >/dev/null 2>&1; then \
		cd webui && npm ci --no-audit --no-fund --loglevel=error && node build.mjs; \
	else echo "npm not found: the web UI is not built (install Node.js and npm, then run make webui)"; fi

demo: $(STAMP) webui
	$(VENV)/bin/rpymostat --home .demo demo $(ARGS)

hub: $(STAMP) webui
	$(VENV)/bin/rpymostat --home .demo/hub hub --listen 127.0.0.1 $(ARGS)

# pytest exits 5 when it collected no tests: that is a failure here, said in words.
test: $(STAMP) webui
	tools/test-deps
	$(PY) -m pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests" >&2; fi; exit $$rc

# docs/configuration.md is generated from the config classes, then committed.
docs: $(STAMP)
	$(PY) -m docs.config_page
	$(PY) -m sphinx -W -b html docs docs/_build/html

# bare_web.py and stack_floor.py are baselines the benchmarks start themselves.
BENCHES := $(filter-out bench/bare_web.py bench/stack_floor.py,$(wildcard bench/*.py))

bench: $(STAMP)
	for b in $(BENCHES); do $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) build dist rpymostat_webui/static webui/node_modules *.egg-info docs/_build .pytest_cache .hypothesis .ruff_cache .mypy_cache
