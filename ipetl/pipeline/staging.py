"""What passes between the steps, on disk and in XComs: a normalized delivery (its spool), and a
staged batch (its directory and batch.json, read and written here only)."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from filelock import FileLock

from connectors.home import BATCH_FILE, HomeLayout
from warehouse.publish import Delivery

STAGED, FAILED, REFUSED = "staged", "failed", "refused"  # a batch's status; only a staged one is published


@dataclass
class BatchSummary:
    """One collection's staged batch: what a run read, kept, quarantined and rejected."""

    collection: str
    table: str
    batch_dir: str | None = None
    files: int = 0
    records: int = 0
    passed: int = 0
    quarantined: int = 0
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    failures: list[str] = field(default_factory=list)
    skipped: int = 0  # deliveries already published
    deleted: int = 0  # records the deliveries mark deleted (tombstones)

    @property
    def status(self) -> str:
        return FAILED if self.failures else STAGED

    def counts(self) -> dict[str, Any]:
        """The batch in a few numbers (an XCom, an Asset event's extra)."""
        return {
            "batch_dir": self.batch_dir,
            "status": self.status,
            "files": self.files,
            "records": self.records,
            "passed": self.passed,
            "quarantined": self.quarantined,
            "rejected": len(self.rejected),
            "deleted": self.deleted,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BatchSummary:
        return cls(**{**data, "rejected": [(path, reason) for path, reason in data["rejected"]]})


@dataclass(frozen=True)
class NormalizedDelivery:
    """One delivery after normalize_delivery: its spool and counts (never records), or `skipped`
    when there was nothing to normalize (already published, or nothing new under its name)."""

    name: str
    path: str | None
    skipped: bool = False
    spool: str | None = None  # <home>/staging/.work/<collection>/<run_id>/<name>/
    records: int = 0
    quarantined: int = 0
    rejected: str | None = None  # why the whole delivery was set aside

    def to_dict(self) -> dict[str, Any]:
        """As an XCom (Airflow deserializes plain values only)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NormalizedDelivery:
        return cls(**data)

    @property
    def spool_dir(self) -> Path:
        if self.spool is None:
            raise ValueError(f"{self.name}: skipped, no spool")
        return Path(self.spool)


@dataclass
class StagedBatch:
    """A batch's batch.json: its summary, its status and the deliveries it takes to the lake.
    Written last, so a batch directory without one is not staged."""

    summary: BatchSummary
    status: str
    deliveries: list[Delivery]
    created_at: str
    reason: str | None = None  # why the publish was refused

    @classmethod
    def read(cls, batch_dir: Path) -> StagedBatch:
        data = json.loads((batch_dir / BATCH_FILE).read_text())
        return cls(
            summary=BatchSummary.from_json(data["summary"]),
            status=data["status"],
            deliveries=[Delivery(**d) for d in data["deliveries"]],
            created_at=data["created_at"],
            reason=data.get("reason"),
        )

    def write(self, batch_dir: Path) -> None:
        data = {
            "summary": asdict(self.summary),
            "status": self.status,
            "deliveries": [asdict(d) for d in self.deliveries],
            "created_at": self.created_at,
        }
        if self.reason is not None:
            data["reason"] = self.reason
        (batch_dir / BATCH_FILE).write_text(json.dumps(data, indent=1))

    def refused(self, reason: str) -> StagedBatch:
        return dataclasses.replace(self, status=REFUSED, reason=reason)


def is_staged(batch_dir: Path) -> bool:
    """Whether the directory holds a batch (written to the end: it has its batch.json)."""
    return (batch_dir / BATCH_FILE).exists()


def staged_batches(home: Path) -> list[Path]:
    """Staged batch directories awaiting publication, oldest first."""
    found = []
    for batch_json in HomeLayout(home).batch_files():
        batch = StagedBatch.read(batch_json.parent)
        if batch.status == STAGED:
            found.append((batch.created_at, batch_json.parent))
    return [p for _, p in sorted(found)]


def home_lock(home: Path, name: str) -> FileLock:
    """An exclusive lock between processes working on the same home (runs, Airflow tasks)."""
    path = HomeLayout(home).lock(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    return FileLock(path)
