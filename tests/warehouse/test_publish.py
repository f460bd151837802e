"""Publishing under change: upserts ordered by delivery, tombstones, no-op reruns, refusals."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ipetl.pipeline import registry_rows
from transforms.schema import TRADEMARKS, empty_record
from warehouse import catalog, snapshots
from warehouse.publish import TOMBSTONES, Delivery, PublishRefused, PublishRequest, StagedFile, publish


def record(st13: str, mark_text: str, delivered: dt.date, sequence: int = 0, **changes) -> dict:
    r = empty_record("trademarks")
    r.update(
        st13=st13, office=st13[:2], collection=f"{st13[:2].lower()}tm", application_number=st13[-6:],
        application_date=dt.date(2015, 1, 2), status="Pending", mark_feature="Word", mark_text=mark_text,
        source_file=f"delivery-{delivered:%Y%m%d}.xml", delivery_date=delivered, delivery_sequence=sequence,
        ingested_at=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc),
    )
    r.update(changes)
    return r


def stage(tmp: Path, name: str, rows: list[dict], tombstones: list[dict] = ()) -> PublishRequest:
    request = PublishRequest(collections=sorted({r["collection"] for r in [*rows, *tombstones]}))
    if rows:
        path = tmp / f"{name}.parquet"
        pq.write_table(pa.Table.from_pylist(rows, schema=TRADEMARKS), path)
        request.staged.append(StagedFile(rows[0]["collection"], "trademarks", path, name, len(rows)))
    if tombstones:
        path = tmp / f"{name}-tombstones.parquet"
        pq.write_table(pa.Table.from_pylist(list(tombstones), schema=TOMBSTONES), path)
        request.staged.append(StagedFile(tombstones[0]["collection"], "trademarks", path, name, len(tombstones), tombstones=True))
    request.deliveries.append(Delivery(request.collections[0], name, name, 1))
    return request


def tombstone(st13: str, delivered: dt.date, reason: str = "626") -> dict:
    return {"table_name": "trademarks", "st13": st13, "design_number": None, "collection": f"{st13[:2].lower()}tm",
            "office": st13[:2], "reason": reason, "source_file": f"delivery-{delivered:%Y%m%d}.xml",
            "delivery_date": delivered, "delivery_sequence": 0}


def rows(home: Path, sql: str = "select st13, mark_text, status from trademarks order by st13"):
    catalog.build(home, registry_rows())
    con = catalog.open_catalog(home, registry_rows())
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


A, B, C = "US50201500000001A", "US50201500000002A", "US50201500000003A"
JAN, FEB, MAR = dt.date(2026, 1, 5), dt.date(2026, 2, 5), dt.date(2026, 3, 5)


def test_newer_delta_updates_and_older_delta_changes_nothing(home, tmp_path):
    publish(home, stage(tmp_path, "d1", [record(A, "ALPHA", JAN), record(B, "BETA", JAN)]))
    publish(home, stage(tmp_path, "d3", [record(A, "ALPHA v3", MAR, status="Registered")]))
    assert rows(home) == [(A, "ALPHA v3", "Registered"), (B, "BETA", "Pending")]
    # February's delta arrives late: it is older than March's for A, newer than January's for B
    manifest = publish(home, stage(tmp_path, "d2", [record(A, "ALPHA v2", FEB), record(B, "BETA v2", FEB)]))
    assert rows(home) == [(A, "ALPHA v3", "Registered"), (B, "BETA v2", "Pending")]
    assert manifest["stats"] == {"upserted": 1, "deleted": 0, "stale": 1}
    # the same day: the higher sequence wins
    publish(home, stage(tmp_path, "d3b", [record(B, "BETA seq 2", MAR, 2), record(B, "BETA seq 1", MAR, 1)]))
    assert rows(home)[1] == (B, "BETA seq 2", "Pending")


def test_a_delete_tombstones_and_absence_deletes_nothing(home, tmp_path):
    publish(home, stage(tmp_path, "d1", [record(A, "ALPHA", JAN), record(B, "BETA", JAN), record(C, "GAMMA", JAN)]))
    publish(home, stage(tmp_path, "d2", [record(A, "ALPHA", FEB)], tombstones=[tombstone(B, FEB)]))  # C merely absent
    assert [r[0] for r in rows(home)] == [A, C]
    assert rows(home, "select st13, reason, delivery_date from deleted") == [(B, "626", FEB)]
    # an older delta cannot resurrect B; a newer one can
    publish(home, stage(tmp_path, "d1b", [record(B, "BETA old", JAN, 1)]))
    assert [r[0] for r in rows(home)] == [A, C]
    publish(home, stage(tmp_path, "d3", [record(B, "BETA again", MAR)]))
    assert rows(home) == [(A, "ALPHA", "Pending"), (B, "BETA again", "Pending"), (C, "GAMMA", "Pending")]
    assert rows(home, "select count(*) from deleted") == [(0,)]


def test_the_same_delivery_again_changes_nothing(home, tmp_path):
    request = stage(tmp_path, "d1", [record(A, "ALPHA", JAN)])
    first = publish(home, request)
    assert publish(home, request) is None  # no new snapshot
    assert snapshots.load(home) == first


def test_a_collection_losing_too_much_is_refused_and_the_snapshot_kept(home, tmp_path, monkeypatch):
    monkeypatch.setattr("warehouse.publish.MIN_RECORDS_FOR_DROP_RULE", 3)
    publish(home, stage(tmp_path, "d1", [record(A, "ALPHA", JAN), record(B, "BETA", JAN), record(C, "GAMMA", JAN)]))
    before = snapshots.load(home)
    with pytest.raises(PublishRefused, match="ustm would drop from 3 to 1 records"):
        publish(home, stage(tmp_path, "d2", [], tombstones=[tombstone(A, FEB), tombstone(B, FEB)]))
    assert snapshots.current_id(home) == before["snapshot_id"]
    assert [r[0] for r in rows(home)] == [A, B, C]


def test_many_small_deltas_get_compacted(home, tmp_path, monkeypatch):
    monkeypatch.setattr("warehouse.publish.MAX_RUNS", 3)
    for day in range(1, 8):
        publish(home, stage(tmp_path, f"d{day}", [record(A, f"ALPHA {day}", dt.date(2026, 1, day)), record(f"US5020150000{day:04d}9B", "X", dt.date(2026, 1, day))]))
    files = snapshots.load(home)["tables"]["trademarks"]["files"]
    assert len([f for f in files if f["role"] == "data"]) <= 3
    assert rows(home, f"select mark_text from trademarks where st13 = '{A}'") == [("ALPHA 7",)]
    assert rows(home, "select count(*) from trademarks") == [(8,)]


def test_older_snapshots_stay_queryable_until_vacuumed(home, tmp_path):
    publish(home, stage(tmp_path, "d1", [record(A, "ALPHA", JAN)]))
    publish(home, stage(tmp_path, "d2", [record(A, "ALPHA v2", FEB)]))
    con = catalog.open_catalog(home, registry_rows(), snapshot_id=1)
    assert con.execute("select mark_text from trademarks").fetchall() == [("ALPHA",)]
    con.close()
    result = snapshots.vacuum(home, keep=1)
    assert result.kept == [2] and result.removed_snapshots == [1] and result.removed_files >= 1
    assert rows(home, "select mark_text from trademarks") == [("ALPHA v2",)]
    with pytest.raises(FileNotFoundError):
        catalog.open_catalog(home, registry_rows(), snapshot_id=1)


def test_export_since_a_snapshot_holds_exactly_the_changes(home, tmp_path):
    import json

    from warehouse.export import export_changes

    publish(home, stage(tmp_path, "d1", [record(A, "ALPHA", JAN), record(B, "BETA", JAN), record(C, "GAMMA", JAN)]))
    publish(home, stage(tmp_path, "d2", [record(A, "ALPHA v2", FEB)], tombstones=[tombstone(B, FEB)]))
    manifest = export_changes(home, 1, tmp_path / "out", registry_rows(), jsonl=True)
    out = Path(manifest["directory"])
    assert [r["st13"] for r in pq.read_table(out / "trademarks.parquet").to_pylist()] == [A]
    assert pq.read_table(out / "trademarks.parquet").column("mark_text").to_pylist() == ["ALPHA v2"]
    deleted = pq.read_table(out / "deleted.parquet").to_pylist()
    assert [(d["st13"], d["reason"], d["delivery_date"]) for d in deleted] == [(B, "626", FEB)]
    assert pq.read_table(out / "designs.parquet").num_rows == 0
    assert json.loads((out / "trademarks.jsonl").read_text())["mark_text"] == "ALPHA v2"
    written = json.loads((out / "manifest.json").read_text())
    assert (written["from_snapshot"], written["to_snapshot"]) == (1, 2)
    assert {f["name"]: f["rows"] for f in written["files"]}["trademarks.parquet"] == 1
    everything = export_changes(home, 0, tmp_path / "all", registry_rows())
    assert {f["name"]: f["rows"] for f in everything["files"]}["trademarks.parquet"] == 2
