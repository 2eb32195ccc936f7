# ivb — two commands on a fresh machine with Python 3.11+:
#   make report   set up .venv, fetch what the cache lacks (when online), run the batch for every year, write outputs/
#                 (make report OFFLINE=1: the cache and the embedded snapshot only)
#   make test     set up .venv, run the unit tests and nbval on the committed notebooks
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
YEARS  ?= 2020-2023
JOBS   ?= 2
MUNICIPALITY ?= GM1969
MONITOR_YEAR ?= $(shell date +%Y)

.PHONY: setup report test lab notebooks fetch clean

setup: $(STAMP)

# uv installs about ten times faster than pip: the one on PATH, else uv installed into the venv
# from PyPI (one small wheel); pip alone when neither works. --compile-bytecode: this machine sets
# PYTHONDONTWRITEBYTECODE, so without it every kernel would compile its imports again.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "ivb needs Python 3.11 or newer (set PYTHON=python3.11)")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@UV=$$(command -v uv || true); \
	if [ -z "$$UV" ] && $(BIN)/python -m pip install --quiet --disable-pip-version-check uv >/dev/null 2>&1; then UV=$(BIN)/uv; fi; \
	if [ -n "$$UV" ]; then \
		$$UV pip install --quiet --compile-bytecode --python $(BIN)/python -e '.[dev]'; \
	else \
		$(BIN)/python -m pip install --quiet --upgrade pip && $(BIN)/python -m pip install --quiet -e '.[dev]'; \
	fi
	@touch $(STAMP)

# First ask each assumption about the services once (`ivb fetch --check`: table status, newest
# year, columns, next-page host, BRON files; only what differs is printed), then fetch what the
# cache lacks from the official sources (bounded in time; without network one line, not an
# error): the municipality, then the national panel for the peer sections; then run the batch.
# A broken assumption stops the fetch of that source with its line, never the run.
# OFFLINE=1: the cache and the embedded snapshot only.
report: setup
ifndef OFFLINE
	$(BIN)/ivb fetch --check --municipality $(MUNICIPALITY) --quiet --best-effort --timeout 30
	$(BIN)/ivb fetch --municipality $(MUNICIPALITY) --quiet --best-effort --timeout 30 --source-timeout 300
	$(BIN)/ivb fetch --all-municipalities --quiet --best-effort --timeout 30 --source-timeout 300
endif
	$(BIN)/ivb run --years $(YEARS) --jobs $(JOBS)
	$(BIN)/ivb national --years $(YEARS) --skip-without-panel
	$(BIN)/ivb monitor --year $(MONITOR_YEAR)

# Tests spread over the machine's cores (pytest-xdist; a file's tests stay together, so each
# notebook's nbval cells run in order in one process). TEST_WORKERS=0 runs them in one process.
# The 15 slowest tests are listed at the end (where the time goes).
TEST_WORKERS ?= auto
test: setup
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile --durations=15

# Download live figures into data/cache/ (needs internet), e.g. make fetch MUNICIPALITY=GM0014
fetch: setup
	$(BIN)/ivb fetch --municipality $(MUNICIPALITY)

lab: setup
	$(BIN)/jupyter lab notebooks/

# Re-execute the committed notebooks in place on the embedded data (after a deliberate change
# to a result); nbval then checks that these outputs keep reproducing.
notebooks: setup
	$(BIN)/python -m ivbtools.batch.refresh notebooks/target.ipynb notebooks/scorecard.ipynb notebooks/explore.ipynb notebooks/monitor.ipynb

clean:
	rm -rf $(VENV) outputs/*/ outputs/index.html
