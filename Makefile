# Two commands on a fresh machine (python3 + make): `make demo` and `make test`.
# uv is bootstrapped into .uv/ from PyPI; the project environment (.venv) is installed from uv.lock.

PYTHON ?= python3
UV_VERSION := 0.13.8
UV := .uv/bin/uv
VENV := .venv
PY := $(VENV)/bin/python
HOME_DIR ?= var
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)
export GX_ANALYTICS_ENABLED := false

.PHONY: install gbd-venv demo lint format readme test test-fast fuzz bench airflow cluster cluster-stop clean

$(UV):
	$(PYTHON) -m venv .uv
	.uv/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.installed: $(UV) uv.lock pyproject.toml
	$(UV) sync --frozen --compile-bytecode --python $(PYTHON)
	touch $@

install: $(VENV)/.installed

# WIPO's own transformation (wipo-gbd-transformation, pinned with hashes in tests/gbd/requirements.txt)
# in an environment of its own: it pins old libraries. tests/test_gbd_differential.py compares with it.
GBD_VENV := .venv-gbd
$(GBD_VENV)/.installed: $(UV) tests/gbd/requirements.txt
	rm -rf $(GBD_VENV)
	$(UV) venv --quiet --python $(PYTHON) $(GBD_VENV)
	VIRTUAL_ENV=$(abspath $(GBD_VENV)) $(UV) pip install --quiet --require-hashes -r tests/gbd/requirements.txt
	touch $@

gbd-venv: $(GBD_VENV)/.installed

demo: install
	$(PY) -m ipetl.cli run --source samples/mirror --home $(HOME_DIR)
	@echo
	$(PY) -m ipetl.cli query "select collection, office, kind, records, earliest_application_date, latest_application_date from coverage" --home $(HOME_DIR)

# Lint, format check and types (ruff; mypy strict on connectors/, transforms/, warehouse/). CI runs it first.
LINT_PATHS := bench connectors dags expectations ipetl scripts tests transforms warehouse
lint: install
	$(VENV)/bin/ruff format --check $(LINT_PATHS)
	$(VENV)/bin/ruff check $(LINT_PATHS)
	$(VENV)/bin/mypy $(LINT_PATHS)

format: install
	$(VENV)/bin/ruff format $(LINT_PATHS)
	$(VENV)/bin/ruff check --fix $(LINT_PATHS)

# The README's coverage table, generated from the collection registry (tests/test_registry.py checks it).
readme: install
	$(PY) -m ipetl.registry README.md

# Each test file's name is printed as it starts, and the ten slowest tests at the end.
test: install gbd-venv
	$(PY) -m pytest --durations=10

# Unit tests only (under a minute): the modules marked `slow` (tests/conftest.py SLOW_MODULES:
# Airflow, the cluster, servers, whole runs, the lake) are left out; 60 s at most per test.
test-fast: install
	$(PY) -m pytest -q -m "not slow" --timeout 60

# Fuzzing the connectors and value readers (hypothesis): damaged real deliveries of every format.
# `make test` runs the same properties with 25 examples each; CI runs this with FUZZ_EXAMPLES=2000.
FUZZ_EXAMPLES ?= 20000
fuzz: install
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(PY) -m pytest -q -p no:cacheprovider tests/fuzz

# Airflow (scheduler, DAG processor, API server + UI, triggerer) on http://127.0.0.1:$(AIRFLOW_PORT),
# AIRFLOW_HOME ./airflow-home, writing to the same home as `make demo`.
AIRFLOW_PORT ?= 8080
airflow: install
	AIRFLOW_PORT=$(AIRFLOW_PORT) AIRFLOW_VAR_IPETL_HOME=$(abspath $(HOME_DIR)) scripts/airflow-standalone.sh

# A multi-process deployment on this machine (scripts/cluster.py): PostgreSQL, Redis and an S3
# server from the lock; Airflow's api-server, scheduler, dag-processor, triggerer and two Celery
# workers. Everything lives in $(CLUSTER_DIR); `make cluster-stop` stops exactly what started.
CLUSTER_DIR ?= cluster-home
cluster: install
	$(PY) scripts/cluster.py start --dir $(CLUSTER_DIR) --port $(AIRFLOW_PORT)

cluster-stop:
	$(PY) scripts/cluster.py stop --dir $(CLUSTER_DIR)

# Benchmarks (not tests): normalize vs raw iterparse (ST.66, USPTO, ST.86; BENCH_LARGE_MB adds the
# peak-RSS run on a large ST.66 file, 0 to skip), the GX gate on 1M rows, the warehouse at 1M and
# 10M rows, `ipetl run --jobs 1` vs `--jobs 2`, search by picture, clearance search (recall@10 and MRR per
# category of bench/clearance_eval.tsv, latency, refresh) at 1M and 10M marks. Tables go to stdout and
# bench/out/results.md. ~20 min here, plus the clearance search's (~45 min, most of it the 10M index build).
BENCH_MB ?= 160
BENCH_LARGE_MB ?= 1600
BENCH_SIZES ?= 1000000 10000000
bench: install
	mkdir -p bench/out
	{ echo "## Normalize to Parquet (ipetl normalize) vs raw lxml iterparse ($(BENCH_MB) MB per format)"; \
	  $(PY) bench/normalize_bench.py --mb $(BENCH_MB) --large-mb $(BENCH_LARGE_MB); \
	  echo; echo "## Quality gate: GX suites on a 1M-row batch"; \
	  $(PY) bench/gate_bench.py --rows 1000000; \
	  echo; echo "## Lake: 100k-row delta, lookups and search, local disk and S3"; \
	  $(PY) bench/warehouse_bench.py --sizes $(BENCH_SIZES) --delta 100000; \
	  echo; echo "## ipetl run --jobs 1 vs --jobs 2 (8 x 20 MB deliveries; one 200 MB delivery)"; \
	  $(PY) bench/jobs_bench.py --deliveries 8 --delivery-mb 20 --big-mb 200; \
	  echo; echo "## Search by picture: recall@10 on 2,000 generated logos x 7, latency on 10M hashes"; \
	  $(PY) bench/image_bench.py --logos 2000 --hashes 10000000; \
	  echo; echo "## Clearance search: recall@10 and MRR per category (bench/clearance_eval.tsv), latency, refresh"; \
	  $(PY) bench/clearance_bench.py --marks $(BENCH_SIZES) --delta 100000; } 2>/dev/null | tee bench/out/results.md

clean:
	rm -rf $(VENV) $(GBD_VENV) .uv $(HOME_DIR)
