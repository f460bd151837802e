#!/bin/sh
# `airflow standalone` (scheduler, dag-processor, api-server, triggerer; LocalExecutor; SQLite)
# over this repo's DAGs: `make airflow`, and tests/test_airflow_scheduler.py. A setting already
# in the environment wins over the defaults below.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
: "${AIRFLOW_PORT:=8080}"
export AIRFLOW_HOME="${AIRFLOW_HOME:-$ROOT/airflow-home}"
export AIRFLOW__CORE__DAGS_FOLDER="${AIRFLOW__CORE__DAGS_FOLDER:-$ROOT/dags}"
export AIRFLOW__CORE__LOAD_EXAMPLES="${AIRFLOW__CORE__LOAD_EXAMPLES:-False}"
export AIRFLOW__CORE__PARALLELISM="${AIRFLOW__CORE__PARALLELISM:-4}"
export AIRFLOW__CORE__AUTH_MANAGER="airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS="${AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS:-admin:admin}"
export AIRFLOW__API__HOST="${AIRFLOW__API__HOST:-127.0.0.1}"
export AIRFLOW__API__PORT="$AIRFLOW_PORT"
export AIRFLOW__API__BASE_URL="${AIRFLOW__API__BASE_URL:-http://127.0.0.1:$AIRFLOW_PORT}"  # tasks reach the execution API here
export AIRFLOW_VAR_IPETL_HOME="${AIRFLOW_VAR_IPETL_HOME:-$ROOT/var}"  # the same home as `make demo`
export GX_ANALYTICS_ENABLED=false
export PATH="$ROOT/.venv/bin:$PATH"  # standalone starts its components as `airflow ...` from PATH
mkdir -p "$AIRFLOW_HOME"
echo "airflow standalone: AIRFLOW_HOME=$AIRFLOW_HOME, UI http://127.0.0.1:$AIRFLOW_PORT" \
     "(user admin; password in $AIRFLOW_HOME/simple_auth_manager_passwords.json.generated)"
# The fetch tasks' pools (dags/_settings.fetch_pools): a task of a missing pool is never scheduled.
airflow db migrate >"$AIRFLOW_HOME/setup.log"
python -c 'import json, sys; from dags._settings import fetch_pools; json.dump(fetch_pools(), sys.stdout)' >"$AIRFLOW_HOME/pools.json"
airflow pools import "$AIRFLOW_HOME/pools.json" >>"$AIRFLOW_HOME/setup.log"
exec airflow standalone
