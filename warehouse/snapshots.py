"""Numbered, immutable snapshots of the warehouse and the atomic switch between them.

Data files are never overwritten: a publish writes new files under new names, then a manifest
`_snapshots/NNNNNNNN.json`, then replaces the one-line `CURRENT` pointer (os.replace is atomic
on POSIX). A crash anywhere before that last step leaves the previous snapshot current and
complete; files it left behind belong to no snapshot and `vacuum` removes them.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
from dataclasses import dataclass
from pathlib import Path

from transforms.schema import SCHEMA_VERSION

TABLE_NAMES = ("trademarks", "designs", "deleted", "quarantine")


def warehouse_dir(home: Path) -> Path:
    return Path(home) / "warehouse"


def _snapshots_dir(home: Path) -> Path:
    return warehouse_dir(home) / "_snapshots"


def empty_manifest() -> dict:
    return {
        "snapshot_id": 0,
        "parent": None,
        "created_at": None,
        "schema_version": SCHEMA_VERSION,
        "tables": {name: {"rows": 0, "files": []} for name in TABLE_NAMES},
        "deliveries": [],
        "collections": {},
    }


def current_id(home: Path) -> int:
    pointer = warehouse_dir(home) / "CURRENT"
    try:
        return int(pointer.read_text().strip())
    except FileNotFoundError:
        return 0


def load(home: Path, snapshot_id: int | None = None) -> dict:
    """The manifest of a snapshot (the current one by default); snapshot 0 is the empty warehouse."""
    sid = current_id(home) if snapshot_id is None else snapshot_id
    if sid == 0:
        return empty_manifest()
    path = _snapshots_dir(home) / f"{sid:08d}.json"
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise FileNotFoundError(f"snapshot {sid} does not exist (vacuumed?)") from None


def list_ids(home: Path) -> list[int]:
    folder = _snapshots_dir(home)
    if not folder.exists():
        return []
    return sorted(int(p.stem) for p in folder.glob("*.json") if p.stem.isdigit())


def next_id(home: Path) -> int:
    """One past every snapshot ever written, so an id is never reused after a crash."""
    return max([current_id(home), *list_ids(home)], default=0) + 1


def _write_atomic(path: Path, data: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def failpoint(name: str) -> None:
    """Crash here (SIGKILL, no clean-up) when IPETL_FAILPOINT names this point: crash tests only."""
    if os.environ.get("IPETL_FAILPOINT") == name:
        os.kill(os.getpid(), signal.SIGKILL)


def commit(home: Path, manifest: dict) -> None:
    """Write the manifest, then switch CURRENT to it: the single atomic step of a publish."""
    folder = _snapshots_dir(home)
    folder.mkdir(parents=True, exist_ok=True)
    failpoint("before-manifest")
    _write_atomic(folder / f"{manifest['snapshot_id']:08d}.json", json.dumps(manifest, indent=1, sort_keys=True, default=str))
    failpoint("before-switch")
    _write_atomic(warehouse_dir(home) / "CURRENT", f"{manifest['snapshot_id']}\n")
    fd = os.open(warehouse_dir(home), os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass
class VacuumResult:
    kept: list[int]
    removed_snapshots: list[int]
    removed_files: int


def lineage(home: Path) -> list[int]:
    """Committed snapshots, oldest first: the current one and its parents. A manifest written by
    a publish that crashed before switching CURRENT is not among them."""
    chain = []
    sid = current_id(home)
    while sid:
        chain.append(sid)
        try:
            sid = load(home, sid)["parent"] or 0
        except FileNotFoundError:
            break
    return chain[::-1]


def vacuum(home: Path, keep: int) -> VacuumResult:
    """Keep the newest `keep` committed snapshots; delete other manifests and unreferenced files."""
    committed = lineage(home)
    kept = committed[-max(keep, 1):]
    removed = [i for i in list_ids(home) if i not in kept]
    referenced = set()
    for sid in kept:
        for table in load(home, sid)["tables"].values():
            referenced.update(f["path"] for f in table["files"])
    base = warehouse_dir(home)
    removed_files = 0
    for name in TABLE_NAMES:
        folder = base / name
        for path in folder.rglob("*.parquet") if folder.exists() else ():
            if str(path.relative_to(base)) not in referenced:
                path.unlink()
                removed_files += 1
    for sid in removed:
        (_snapshots_dir(home) / f"{sid:08d}.json").unlink(missing_ok=True)
    return VacuumResult(kept, removed, removed_files)
