"""What the DAG files share: defaults, and the deployment's settings from Airflow Variables and
Connections (the registry's values when none is set; never a code edit).

Read at parse time (cheap, no metadata DB): `IPETL_CATCHUP`, an environment variable of the DAG
processor: collection ids (comma-separated) whose DAG catches up missed intervals, or `all`.
Read inside tasks only (a Variable or Connection lookup at module level would hit the metadata
DB/secrets backend every time the DAG processor parses a file):
- Variable `ipetl_home`: the IPETL home, a path or a `file://` URI (ipetl.pipeline.home_dir);
- Variable `ipetl_source_<collection>`: a directory or an http(s)/ftp/sftp URL instead of the
  registry's source (ipetl.pipeline.source_for);
- Connection `ipetl_<collection>`: the server and credentials of that source (source_access;
  for a `product-api` source, the password is the API key).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
import shutil
import socket
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit, urlunsplit

from airflow.sdk import Asset, Variable

from connectors.sources import FetchSettings
from ipetl.collection import Collection, Source
from ipetl.registry import COLLECTIONS

START_DATE = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
# Airflow refuses to map a task over more than [core] max_map_length (1024) items; the rest of
# a long backlog waits for the next run (undated deliveries) or a rerun of the interval.
MAX_DELIVERIES_PER_RUN = 500

DEFAULT_ARGS = {
    "owner": "ipetl",
    "retries": 3,
    "retry_delay": dt.timedelta(minutes=1),
    "retry_exponential_backoff": 2.0,  # 1, 2, 4 ... minutes, up to max_retry_delay
    "max_retry_delay": dt.timedelta(minutes=30),
    "execution_timeout": dt.timedelta(hours=2),
}
DISCOVER_TIMEOUT = dt.timedelta(minutes=15)  # one listing of the source


def catchup(collection_id: str) -> bool:
    """Whether the collection's DAG runs every interval missed since START_DATE (IPETL_CATCHUP)."""
    chosen = {c.strip() for c in os.environ.get("IPETL_CATCHUP", "").split(",")}
    return "all" in chosen or collection_id in chosen


def doc_md(collection: Collection) -> str:
    cid = collection.id
    return (
        f"{collection.description}\n\n"
        f"**Source:** `{collection.source.kind}` {collection.source.location} (`{collection.source.pattern}`)  \n"
        f"**Licence:** {collection.licence}\n\n"
        f"Settings: Variables `ipetl_home`, `ipetl_catalog`, `ipetl_data`, `ipetl_source_{cid}`; "
        f"Connections `ipetl_{cid}`, `ipetl_lake`."
    )


def setting(key: str, default: str | None = None) -> str | None:
    """Airflow Variable `key` (or env AIRFLOW_VAR_<KEY>), else `default`; blank counts as unset."""
    value = Variable.get(key, default=None)
    return value if value not in (None, "") else default


def home() -> Path:
    """The IPETL home: Variable `ipetl_home`, else $IPETL_HOME, else ./var (pipeline.home_dir)."""
    from ipetl import pipeline

    return pipeline.home_dir(setting("ipetl_home"))


def lake():
    """Where the lake lives: Variables `ipetl_catalog` and `ipetl_data` (else $IPETL_CATALOG /
    $IPETL_DATA, else under the home). Object-store credentials: Connection `ipetl_lake` (login =
    access key id, password = secret key, extra `region_name` / `endpoint_url`, as Airflow's AWS
    connections write them), else the AWS_* variables of the worker."""
    from ipetl import pipeline

    environ = dict(os.environ)
    conn = connection("ipetl_lake")
    if conn is not None:
        extra = conn.extra_dejson
        for var, value in (
            ("AWS_ACCESS_KEY_ID", conn.login),
            ("AWS_SECRET_ACCESS_KEY", conn.password),
            ("AWS_REGION", extra.get("region_name")),
            ("AWS_ENDPOINT_URL", extra.get("endpoint_url") or conn.host),
        ):
            if value:
                environ[var] = value
    return pipeline.lake_settings(home(), setting("ipetl_catalog"), setting("ipetl_data"), environ)


def connection(conn_id: str):
    """The Airflow Connection, or None when it is not defined."""
    from airflow.sdk import Connection
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        return Connection.get(conn_id)
    except AirflowNotFoundException:
        return None


def _with_connection(source: Source, conn) -> Source:
    """The source with the Connection's server: its host (with or without a scheme), port and
    schema (the path) replace the URL's; conn_type http/https/ftp/sftp (or the host's scheme)
    sets the protocol. Extra `pattern` replaces the glob. Credentials are not put in the URL."""
    from ipetl.pipeline import SOURCE_KINDS, at_url

    pattern = conn.extra_dejson.get("pattern", source.pattern)
    if not conn.host:
        return dataclasses.replace(source, pattern=pattern)
    host_scheme, _, host = conn.host.rpartition("://")
    base = urlsplit(source.resolved()) if source.kind != "local" else None
    scheme = host_scheme or (conn.conn_type if conn.conn_type in SOURCE_KINDS else base.scheme if base else "")
    if scheme not in SOURCE_KINDS:
        raise ValueError(f"Connection {conn.conn_id}: give conn_type http, https, ftp or sftp for the host {host}")
    netloc = host.strip("/") + (f":{conn.port}" if conn.port else "")
    if conn.schema:
        path, query = "/" + conn.schema.lstrip("/"), ""
    else:
        path, query = (base.path, base.query) if base else ("/", "")
    return dataclasses.replace(at_url(source, urlunsplit((scheme, netloc, path, query, ""))), pattern=pattern)


def _fetch_settings(extra: dict) -> FetchSettings:
    """FetchSettings fields the Connection's extra sets (retries, backoff_factor, timeouts, ...)."""
    defaults = FetchSettings()
    return FetchSettings(
        **{
            f.name: type(getattr(defaults, f.name))(extra[f.name])
            for f in dataclasses.fields(FetchSettings)
            if f.name in extra
        }
    )


def _netrc_token(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@contextmanager
def _netrc(host: str, login: str | None, password: str | None) -> Iterator[None]:
    """Hand credentials to the fetch layer the way it reads them (netrc, for HTTPS, FTP and SFTP
    alike): a private netrc file (mode 0600 in a 0700 directory) named by $NETRC while the block
    runs, removed after. The secret never goes into a URL, a log line or an XCom."""
    folder = tempfile.mkdtemp(prefix="ipetl-netrc-")
    path = Path(folder) / "netrc"
    entry = f"machine {_netrc_token(host)}"
    entry += f" login {_netrc_token(login)}" if login else ""
    entry += f" password {_netrc_token(password)}" if password else ""
    previous = os.environ.get("NETRC")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(entry + "\n")
        os.environ["NETRC"] = str(path)
        yield
    finally:
        if previous is None:
            os.environ.pop("NETRC", None)
        else:
            os.environ["NETRC"] = previous
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def source_access(collection: Collection) -> Iterator[tuple[Source, FetchSettings]]:
    """The collection's source as this deployment configures it, and the fetch settings.

    The registry's source; Variable `ipetl_source_<collection>` instead, if set; then Connection
    `ipetl_<collection>`, if defined, over that: its server (see _with_connection), its
    login/password for that server (see _netrc, for as long as the block runs), its extra's
    `pattern` and FetchSettings fields (`retries`, `backoff_factor`, `connect_timeout`, ...).
    """
    from ipetl import pipeline

    source = pipeline.source_for(collection, setting(f"ipetl_source_{collection.id}"))
    conn = connection(f"ipetl_{collection.id}")
    if conn is None:
        yield source, FetchSettings()
        return
    source = _with_connection(source, conn)
    with ExitStack() as stack:
        host = urlsplit(source.resolved()).hostname if source.kind != "local" else None
        if host and (conn.login or conn.password):
            stack.enter_context(_netrc(host, conn.login, conn.password))
        yield source, _fetch_settings(conn.extra_dejson)


def fetch_pool(collection: Collection) -> str:
    """The Airflow pool of the collection's downloads: one per office host (the registry's source;
    `fetch_local` for a directory), so that collections served by one host share its slots."""
    source = collection.source
    host = urlsplit(source.resolved()).hostname if source.kind != "local" else None
    return "fetch_" + re.sub(r"[^A-Za-z0-9_.-]+", "_", host or "local")


def fetch_pools() -> dict[str, dict]:
    """Every fetch pool, as `airflow pools import` takes them: slots = the fewest `downloads` a
    collection of that host declares. Created by scripts/cluster.py and airflow-standalone.sh;
    a task of a pool that does not exist is never scheduled."""
    pools: dict[str, dict] = {}
    for collection in COLLECTIONS.values():
        name, slots = fetch_pool(collection), collection.source.downloads
        pool = pools.setdefault(
            name, {"slots": slots, "description": "ipetl downloads from one office host", "include_deferred": False}
        )
        pool["slots"] = min(pool["slots"], slots)
    return pools


def hostname() -> str:
    """[core] hostname_callable: $IPETL_WORKER_HOSTNAME when several workers share a machine
    (scripts/cluster.py gives each its own, so a task instance names the worker that ran it),
    else the machine's FQDN, Airflow's default."""
    return os.environ.get("IPETL_WORKER_HOSTNAME") or socket.getfqdn()


def name_mapped_task(delivery: str) -> None:
    """Name the running mapped task instance after its delivery (map_index_template="{{ delivery }}")."""
    from airflow.sdk import get_current_context

    cast("dict[str, Any]", get_current_context())["delivery"] = delivery  # a key the template reads


def staged_asset(collection_id: str) -> Asset:
    """Updated each time a batch of the collection is staged and ready to publish."""
    return Asset(f"ipetl://staged/{collection_id}")


def safe_run_id(run_id: str) -> str:
    """An Airflow run id (`manual__2025-01-01T00:00:00+00:00`) as one safe path component."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", run_id).strip("._") or "run"
