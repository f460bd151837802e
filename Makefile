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

.PHONY: install demo test bench airflow clean

$(UV):
	$(PYTHON) -m venv .uv
	.uv/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.installed: $(UV) uv.lock pyproject.toml
	$(UV) sync --frozen --compile-bytecode --python $(PYTHON)
	touch $@

install: $(VENV)/.installed

demo: install
	$(PY) -m ipetl.cli run --source samples/mirror --home $(HOME_DIR)
	@echo
	$(PY) -m ipetl.cli query "select collection, office, kind, records, earliest_application_date, latest_application_date from coverage" --home $(HOME_DIR)

test: install
	$(PY) -m pytest -q

clean:
	rm -rf $(VENV) .uv $(HOME_DIR)
