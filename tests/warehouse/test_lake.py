"""The lake itself: portable homes, object storage, a PostgreSQL catalog, plain readers, and
one-line failures when the catalog or the store cannot be reached."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from connectors.home import HomeLayout
from ipetl import devservers
from ipetl.pipeline import lake_settings
from tests.conftest import query_lake
from tests.warehouse.test_publish import FEB, JAN, A, B, C, record, stage, tombstone
from warehouse import catalog, extensions
from warehouse import lake as lakes
from warehouse.lake import LakeError, LakeSettings
from warehouse.publish import publish

ROOT = Path(__file__).resolve().parents[2]


def two_deliveries(lake, tmp_path):
    """Three marks in January; in February A is renamed and registered, B deleted."""
    publish(lake, stage(tmp_path, "d1", [record(A, "ALPHA", JAN), record(B, "BETA", JAN), record(C, "GAMMA", JAN)]))
    publish(
        lake, stage(tmp_path, "d2", [record(A, "ALPHA v2", FEB, status="Registered")], tombstones=[tombstone(B, FEB)])
    )


NEWEST = [(A, "ALPHA v2", "Registered"), (C, "GAMMA", "Pending")]
SQL = "select st13, mark_text, status from trademarks order by st13"


def ipetl(*args, env=None, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "ipetl.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=cwd,
    )


def test_a_moved_home_gives_the_same_answers_and_stores_no_absolute_path(lake, home, tmp_path):
    two_deliveries(lake, tmp_path)
    moved = tmp_path / "elsewhere" / "home"
    shutil.copytree(home, moved)
    shutil.rmtree(home)  # the old home is gone: nothing may still point there
    assert query_lake(lake_settings(moved, environ={}), moved, SQL) == NEWEST
    catalog_db = sqlite3.connect(moved / "lake.sqlite")
    tables = [r[0] for r in catalog_db.execute("select name from sqlite_master where type = 'table'")]
    stored = [
        str(v) for t in tables for row in catalog_db.execute(f'select * from "{t}"') for v in row if isinstance(v, str)
    ]
    assert not [v for v in stored if str(tmp_path) in v or v.startswith("/")]
    assert ("data_path", "lake/") in catalog_db.execute("select key, value from ducklake_metadata").fetchall()


READER = """
import duckdb
con = duckdb.connect()
for extension in ({extensions}):
    con.execute(f"LOAD '{{extension}}'")
con.execute("ATTACH 'ducklake:sqlite:lake.sqlite' AS lake (READ_ONLY)")
print(con.execute("SELECT st13, mark_text, status FROM lake.trademarks ORDER BY st13").fetchall())
"""


def test_plain_duckdb_reads_the_lake_from_the_home_without_ipetl(lake, home, tmp_path):
    two_deliveries(lake, tmp_path)
    paths = ", ".join(repr(extensions.extension_path(n)) for n in ("ducklake", "sqlite_scanner"))
    out = subprocess.run(
        [sys.executable, "-c", READER.format(extensions=paths)], cwd=home, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == repr(NEWEST)


def test_full_export_is_one_row_per_key_for_engines_without_ducklake(lake, home, tmp_path):
    import pandas as pd

    two_deliveries(lake, tmp_path)
    out = ipetl(
        "export",
        "--full",
        "--home",
        str(home),
        "-o",
        str(tmp_path / "exports"),
        env={"IPETL_CATALOG": "", "IPETL_DATA": ""},
    )
    assert out.returncode == 0, out.stderr
    frame = pd.read_parquet(next((tmp_path / "exports").glob("full-*")) / "trademarks.parquet")
    assert list(frame[["st13", "mark_text", "status"]].itertuples(index=False, name=None)) == NEWEST


def test_lake_on_an_s3_server_read_from_another_directory(home, tmp_path, s3_server):
    lake = lake_settings(home, data=f"{s3_server.url}lake-a/", environ=s3_server.env)
    two_deliveries(lake, tmp_path)
    assert query_lake(lake, home, SQL) == NEWEST
    assert not (home / "lake").exists()  # the data went to the object store
    # another machine: the catalog file copied into a new home, the same bucket
    other = tmp_path / "other"
    other.mkdir()
    shutil.copy(home / "lake.sqlite", other / "lake.sqlite")
    assert query_lake(replace(lake, catalog=str(other / "lake.sqlite")), other, SQL) == NEWEST
    # and through the command line, with the settings in the environment
    out = ipetl(
        "query",
        SQL,
        "--home",
        str(other),
        "--format",
        "csv",
        env={**s3_server.env, "IPETL_CATALOG": str(other / "lake.sqlite"), "IPETL_DATA": f"{s3_server.url}lake-a/"},
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[1:] == [f"{A},ALPHA v2,Registered", f"{C},GAMMA,Pending"]


def test_lake_with_a_postgresql_catalog(home, tmp_path, postgres_server):
    devservers.create_database(postgres_server, "lake_catalog")
    lake = lake_settings(home, catalog=f"postgres:{postgres_server.libpq('lake_catalog')}", environ={})
    assert lake.catalog_uri == f"ducklake:postgres:{postgres_server.libpq('lake_catalog')}"
    two_deliveries(lake, tmp_path)
    assert query_lake(lake, home, SQL) == NEWEST
    assert not (home / "lake.sqlite").exists()


def test_an_unreachable_catalog_is_one_line_and_nothing_is_published(mirror, home, tmp_path):
    port = devservers.free_port()
    dsn = f"postgres:host=127.0.0.1 port={port} dbname=lake user=ipetl password=s3cret-pw"
    out = ipetl("run", "--source", str(mirror), "--collection", "khtm", "--home", str(home), "--catalog", dsn)
    assert out.returncode == 3  # the run could not finish
    [line] = out.stderr.strip().splitlines()
    assert (
        line.startswith("ipetl: run stopped: cannot open the lake (catalog postgres:host=127.0.0.1")
        and f"port={port}" in line
    )
    assert line.endswith("the deliveries stay pending")
    assert "password=***" in line and "s3cret-pw" not in out.stderr + out.stdout
    assert "Traceback" not in out.stderr
    # the delivery stays pending: with the default lake it is published by the next run
    again = ipetl(
        "run",
        "--source",
        str(mirror),
        "--collection",
        "khtm",
        "--home",
        str(home),
        env={"IPETL_CATALOG": "", "IPETL_DATA": ""},
    )
    assert again.returncode == 0, again.stderr
    assert query_lake(lake_settings(home, environ={}), home, "select st13 from trademarks") == [("KH50201500673426M",)]


def test_a_missing_bucket_is_one_line_and_the_last_snapshot_stays_readable(mirror, home, tmp_path, s3_server):
    lake = lake_settings(home, data=f"{s3_server.url}lake-b/", environ=s3_server.env)
    two_deliveries(lake, tmp_path)
    env = {**s3_server.env, "IPETL_DATA": "s3://no-such-bucket/lake/", "IPETL_CATALOG": str(home / "lake.sqlite")}
    out = ipetl("--quiet", "run", "--source", str(mirror), "--collection", "khtm", "--home", str(home), env=env)
    assert out.returncode == 3
    [line] = out.stderr.strip().splitlines()  # --quiet: the problems alone
    assert (
        "no-such-bucket" in line
        and "Traceback" not in out.stderr
        and s3_server.env["AWS_SECRET_ACCESS_KEY"] not in line
    )
    assert query_lake(lake, home, SQL) == NEWEST


def test_an_unreachable_object_store_is_a_lake_error(home, tmp_path):
    env = {
        "AWS_ACCESS_KEY_ID": "k",
        "AWS_SECRET_ACCESS_KEY": "secret-value",
        "AWS_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{devservers.free_port()}",
    }
    lake = lake_settings(home, data="s3://bucket/lake/", environ=env)
    with pytest.raises(LakeError) as caught:
        publish(lake, stage(tmp_path, "d1", [record(A, "ALPHA", JAN)]))
    assert "\n" not in str(caught.value) and "secret-value" not in str(caught.value)
    assert "data s3://bucket/lake/" in str(caught.value)


def test_settings_redact_credentials_and_refuse_unknown_stores(home):
    settings = LakeSettings("postgresql://ipetl:pw123@db:5432/lake", "s3://b/p/")
    assert "pw123" not in settings.describe() and "postgresql://ipetl:***@db:5432/lake" in settings.describe()
    assert "pw123" not in repr(lake_settings(home, data="s3://b/", environ={"AWS_SECRET_ACCESS_KEY": "pw123"}))
    with pytest.raises(ValueError, match="az://x/"):
        lake_settings(home, data="az://x/", environ={})


def test_the_search_database_follows_the_lake(lake, home, tmp_path):
    two_deliveries(lake, tmp_path)
    catalog.build_search(lake, home)
    con = lakes.connect(lake, read_only=True)
    try:
        assert catalog.search_snapshot(HomeLayout(home).search) == lakes.current_snapshot(con)
    finally:
        con.close()
    assert query_lake(lake, home, "select st13 from search_marks('alpha')") == [(A,)]
