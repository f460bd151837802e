"""DuckDB extensions, loaded from their `duckdb-extension-<name>` wheels: never downloaded.

The wheels are pinned in uv.lock at DuckDB's own version; a session that loads from them works
offline and cannot pick up an extension build that does not match the engine.
"""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

import duckdb

# extension name -> the package of its wheel
PACKAGES = {
    "ducklake": "duckdb_extension_ducklake",
    "httpfs": "duckdb_extension_httpfs",
    "sqlite_scanner": "duckdb_extension_sqlite_scanner",
    "postgres_scanner": "duckdb_extension_postgres_scanner",
}


def extension_path(name: str) -> str:
    version = duckdb.__version__
    path = resources.files(PACKAGES[name]) / "extensions" / f"v{version}" / f"{name}.duckdb_extension"
    if not path.is_file():
        raise RuntimeError(
            f"the {name} extension for DuckDB {version} is not in {PACKAGES[name]} (pin the same version)"
        )
    return str(path)


def load(con: duckdb.DuckDBPyConnection, *names: str) -> None:
    """Load extensions from their wheels; autoinstall stays off so nothing is fetched."""
    con.execute("SET autoinstall_known_extensions = false")
    for name in names:
        con.execute(f"LOAD '{extension_path(name)}'")


def install(extension_dir: Path | None = None) -> Path:
    """Copy the pinned extension builds where DuckDB looks for installed extensions
    (~/.duckdb/extensions/<version>/<platform>/), as `INSTALL <name>` would download them, so a
    plain DuckDB (CLI or Python) autoloads them offline; returns that folder."""
    con = duckdb.connect()
    try:
        (platform,) = con.execute("PRAGMA platform").fetchall()[0]
    finally:
        con.close()
    root = extension_dir or Path.home() / ".duckdb" / "extensions"
    target = root / f"v{duckdb.__version__}" / str(platform)
    target.mkdir(parents=True, exist_ok=True)
    for name in PACKAGES:
        shutil.copyfile(extension_path(name), target / f"{name}.duckdb_extension")
    return target
