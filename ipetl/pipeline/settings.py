"""Where a run works and what it reads: the home, the lake, the limits from the environment, and
the source of each collection (its declared one, or a directory or URL given instead)."""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import unquote, urlsplit

from connectors.home import HomeLayout
from ipetl.registry import COLLECTIONS, Collection, Source
from warehouse.catalog import RegistryRow
from warehouse.lake import REMOTE_SCHEMES, LakeSettings, S3Credentials
from warehouse.publish import PublishOptions

SOURCE_KINDS = {"http": "https", "https": "https", "ftp": "ftp", "sftp": "sftp"}  # URL scheme → Source.kind
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")

SourceArg = Source | str | os.PathLike[str] | None  # a collection's source as a caller may give it


def home_dir(home: str | os.PathLike[str] | None = None) -> Path:
    """--home, else $IPETL_HOME, else ./var. A `file://` URI names a local path; the warehouse
    needs a POSIX file system (atomic rename, file locks, a DuckDB file), so an object store is
    used by mounting it and giving the mount's path."""
    value = str(home or os.environ.get("IPETL_HOME") or "var")
    if _URI.match(value):
        parts = urlsplit(value)
        if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
            raise ValueError(
                f"home {value}: the home is a local folder (a path or a file:// URI); "
                "put the lake's data on an object store with --data / IPETL_DATA"
            )
        value = unquote(parts.path)
    return Path(value).absolute()


def _environ(environ: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if environ is None else environ


def lake_settings(
    home: Path,
    catalog: str | None = None,
    data: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> LakeSettings:
    """Where the lake lives: --catalog/--data (or the Airflow Variables), else $IPETL_CATALOG /
    $IPETL_DATA, else <home>/lake.sqlite and <home>/lake/. S3 credentials come from the standard
    AWS_* variables (AWS_ENDPOINT_URL for MinIO and other S3-compatible stores)."""
    env = _environ(environ)
    layout = HomeLayout(home)
    catalog = catalog or env.get("IPETL_CATALOG") or str(layout.lake_catalog)
    data = data or env.get("IPETL_DATA") or str(layout.lake_data)
    s3 = None
    if "://" in data:
        if not data.startswith(REMOTE_SCHEMES):
            raise ValueError(f"data path {data}: give a local folder or an s3://, gs:// or r2:// URL")
        s3 = S3Credentials(
            key_id=env.get("AWS_ACCESS_KEY_ID"),
            secret=env.get("AWS_SECRET_ACCESS_KEY"),
            region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION"),
            endpoint=env.get("AWS_ENDPOINT_URL_S3") or env.get("AWS_ENDPOINT_URL"),
            session_token=env.get("AWS_SESSION_TOKEN"),
        )
    elif data.startswith("file:"):
        data = unquote(urlsplit(data).path)
    return LakeSettings(catalog=catalog, data=data, s3=s3)


def max_attempts(environ: Mapping[str, str] | None = None) -> int:
    """Readings of one delivery that may die unfinished before it is set aside (IPETL_MAX_ATTEMPTS)."""
    return int(_environ(environ).get("IPETL_MAX_ATTEMPTS", "3"))


def publish_options(home: Path, environ: Mapping[str, str] | None = None) -> PublishOptions:
    env = _environ(environ)
    return PublishOptions(
        max_row_drop_share=float(env.get("IPETL_MAX_ROW_DROP_SHARE", "0.2")),
        memory_limit=env.get("IPETL_DUCKDB_MEMORY", "4GB"),
        spill_dir=HomeLayout(home).spill,
    )


def registry_rows() -> list[RegistryRow]:
    """The registry as the lake's `collections` view shows it."""
    return [
        RegistryRow(collection=c.id, office=c.office, kind=c.kind, format=c.format.name, office_name=c.office_name)
        for c in COLLECTIONS.values()
    ]


def at_url(source: Source, url: str) -> Source:
    """`source` moved to `url` (http(s), ftp or sftp), the URL's scheme saying the kind; an API
    source stays one (its URL is then that of a server answering as the API does)."""
    scheme = urlsplit(url).scheme
    kind = source.kind if source.kind == "product-api" and scheme in ("http", "https") else SOURCE_KINDS[scheme]
    return dataclasses.replace(source, kind=kind, location=url)


def source_for(collection: Collection, source: SourceArg = None) -> Source:
    """The collection's declared source, or `source` instead: a Source, an http(s)/ftp/sftp URL,
    or a directory (a path or a file:// URI) holding the deliveries or one directory per collection."""
    if not source:
        return collection.source
    if isinstance(source, Source):
        return source
    text = str(source)
    scheme = urlsplit(text).scheme if _URI.match(text) else ""
    if scheme in SOURCE_KINDS:
        return at_url(collection.source, text)
    if scheme not in ("", "file"):
        raise ValueError(f"{collection.id}: source {text}: not a directory nor an http(s), ftp or sftp URL")
    folder = Path(unquote(urlsplit(text).path) if scheme else text)
    if (folder / collection.id).is_dir():
        folder = folder / collection.id
    return dataclasses.replace(collection.source, kind="local", location=str(folder))


def route_source(
    source: str | os.PathLike[str] | None, collection_ids: list[str] | None
) -> tuple[list[str], list[str]]:
    """Which collections a run takes, and the entries of a --source folder no collection claims.

    A mirror (a folder with one sub-folder per collection) gives each collection its own
    sub-folder and nothing else; a flat folder of deliveries belongs to the collection(s) named
    with --collection (raises ValueError without one); a URL or no source: the registry's.
    """
    ids = list(collection_ids or COLLECTIONS)
    text = str(source) if source else ""
    if not text or (_URI.match(text) and urlsplit(text).scheme != "file"):
        return ids, []
    folder = Path(unquote(urlsplit(text).path) if text.startswith("file:") else text)
    if not folder.is_dir():
        raise ValueError(f"source {folder}: no such directory")
    entries = sorted(folder.iterdir())
    mirrored = {p.name for p in entries if p.is_dir() and p.name in COLLECTIONS}
    if not mirrored:
        if not collection_ids:
            raise ValueError(
                f"source {folder} holds deliveries, not one folder per collection: "
                "name their collection with --collection"
            )
        return ids, []
    unclaimed = (
        [] if collection_ids else [str(p) for p in entries if p.name not in mirrored and not p.name.startswith(".")]
    )
    return [c for c in ids if c in mirrored], unclaimed
