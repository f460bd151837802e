# ipetl on the official Airflow image, every dependency at the version uv.lock pins: the image the
# Helm chart's components and KubernetesExecutor task pods run (README, "Scale out").
# UNTESTED: docker could not run where this file was written. Build from the repository root:
#   docker build -t ipetl-airflow:0.1.0 .
FROM apache/airflow:3.3.2-python3.11

COPY --chown=airflow:root . /opt/ipetl
WORKDIR /opt/ipetl
# uv only exports the lock; the image's own pip installs it (the official image installs into the
# airflow user's environment, which the chart's entrypoint expects).
RUN pip install --no-cache-dir uv==0.13.8 \
 && uv export --frozen --no-dev --no-emit-project --no-hashes --output-file /tmp/requirements.txt \
 && pip install --no-cache-dir -r /tmp/requirements.txt \
 && pip install --no-cache-dir --no-deps /opt/ipetl \
 && rm /tmp/requirements.txt

ENV AIRFLOW__CORE__DAGS_FOLDER=/opt/ipetl/dags \
    AIRFLOW__CORE__LOAD_EXAMPLES=False \
    GX_ANALYTICS_ENABLED=false
WORKDIR /opt/airflow
