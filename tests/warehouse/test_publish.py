"""Publishing to the lake under change: upserts ordered by delivery, tombstones, no-op reruns,
refusals, time travel, vacuum, exports."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.conftest import query_lake
from transforms.schema import TOMBSTONES, TRADEMARKS, empty_record
from warehouse import catalog
from warehouse import lake as lakes
from warehouse.lake import LakeError, LakeSettings
from warehouse.publish import Delivery, Published, PublishOptions, PublishRefused, PublishRequest, StagedFile, publish


def record(st13: str, mark_text: str, delivered: dt.date, sequence: int = 0, **changes) -> dict:
    r: dict[str, Any] = dict(empty_record("trademarks"))
    r.update(
        st13=st13,
        office=st13[:2],
        collection=f"{st13[:2].lower()}tm",
        application_number=st13[-6:],
        application_date=dt.date(2015, 1, 2),
        status="Pending",
        mark_feature="Word",
        mark_text=mark_text,
        source_file=f"delivery-{delivered:%Y%m%d}.xml",
        delivery_date=delivered,
        delivery_sequence=sequence,
        ingested_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    )
    r.update(changes)
    return r


def committed(lake: LakeSettings, request: PublishRequest) -> Published:
    """publish, for a request that makes a new snapshot."""
    published = publish(lake, request)
    assert published is not None
    return published


def stage(tmp: Path, name: str, rows: list[dict], tombstones: Sequence[dict] = ()) -> PublishRequest:
    request = PublishRequest(collections=sorted({r["collection"] for r in [*rows, *tombstones]}))
    if rows:
        path = tmp / f"{name}.parquet"
        pq.write_table(pa.Table.from_pylist(rows, schema=TRADEMARKS), path)
        request.staged.append(StagedFile(rows[0]["collection"], "trademarks", path, name, len(rows)))
    if tombstones:
        path = tmp / f"{name}-tombstones.parquet"
        pq.write_table(pa.Table.from_pylist(list(tombstones), schema=TOMBSTONES), path)
        request.staged.append(
            StagedFile(tombstones[0]["collection"], "trademarks", path, name, len(tombstones), tombstones=True)
        )
    request.deliveries.append(Delivery(request.collections[0], name, name, 1))
    return request


def tombstone(st13: str, delivered: dt.date, reason: str = "626") -> dict:
    return {
        "table_name": "trademarks",
        "st13": st13,
        "design_number": None,
        "collection": f"{st13[:2].lower()}tm",
        "office": st13[:2],
        "reason": reason,
        "source_file": f"delivery-{delivered:%Y%m%d}.xml",
        "delivery_date": delivered,
        "delivery_sequence": 0,
    }


def rows(lake, home: Path, sql: str = "select st13, mark_text, status from trademarks order by st13", snapshot=None):
    catalog.build_search(lake, home)
    return query_lake(lake, home, sql, snapshot)


A, B, C, D = "US50201500000001A", "US50201500000002A", "US50201500000003A", "US50201500000004A"
JAN, FEB, MAR = dt.date(2026, 1, 5), dt.date(2026, 2, 5), dt.date(2026, 3, 5)


def test_newer_delta_updates_and_older_delta_changes_nothing(lake, home, tmp_path):
    publish(lake, stage(tmp_path, "d1", [record(A, "ALPHA", JAN), record(B, "BETA", JAN)]))
    publish(lake, stage(tmp_path, "d3", [record(A, "ALPHA v3", MAR, status="Registered")]))
    assert rows(lake, home) == [(A, "ALPHA v3", "Registered"), (B, "BETA", "Pending")]
    # February's delta arrives late: it is older than March's for A, newer than January's for B
    published = committed(lake, stage(tmp_path, "d2", [record(A, "ALPHA v2", FEB), record(B, "BETA v2", FEB)]))
    assert rows(lake, home) == [(A, "ALPHA v3", "Registered"), (B, "BETA v2", "Pending")]
    assert published.stats == {"upserted": 1, "deleted": 0, "stale": 1}
    # the same day: the higher sequence wins
    publish(lake, stage(tmp_path, "d3b", [record(B, "BETA seq 2", MAR, 2), record(B, "BETA seq 1", MAR, 1)]))
    assert rows(lake, home)[1] == (B, "BETA seq 2", "Pending")
    # one row per key in the lake, whatever reads it
    assert rows(lake, home, "select count(*), count(distinct st13) from trademarks") == [(2, 2)]


def test_a_delete_tombstones_and_absence_deletes_nothing(lake, home, tmp_path):
    publish(lake, stage(tmp_path, "d1", [record(A, "ALPHA", JAN), record(B, "BETA", JAN), record(C, "GAMMA", JAN)]))
    publish(lake, stage(tmp_path, "d2", [record(A, "ALPHA", FEB)], tombstones=[tombstone(B, FEB)]))  # C merely absent
    assert [r[0] for r in rows(lake, home)] == [A, C]
    assert rows(lake, home, "select st13, reason, delivery_date from deleted") == [(B, "626", FEB)]
    # an older delta cannot resurrect B; a newer one can
    publish(lake, stage(tmp_path, "d1b", [record(B, "BETA old", JAN, 1)]))
    assert [r[0] for r in rows(lake, home)] == [A, C]
    publish(lake, stage(tmp_path, "d3", [record(B, "BETA again", MAR)]))
    assert rows(lake, home) == [(A, "ALPHA", "Pending"), (B, "BETA again", "Pending"), (C, "GAMMA", "Pending")]
    assert rows(lake, home, "select count(*) from deleted") == [(0,)]


def test_the_same_delivery_again_changes_nothing(lake, home, tmp_path):
    request = stage(tmp_path, "d1", [record(A, "ALPHA", JAN)], tombstones=[tombstone(B, JAN)])
    first = committed(lake, request)
    assert publish(lake, request) is None  # no new snapshot
    con = lakes.connect(lake, read_only=True)
    try:
        assert lakes.current_snapshot(con) == first.snapshot_id
    finally:
        con.close()
    assert rows(lake, home, "select name, records from deliveries") == [("d1", 0)]


def test_a_collection_losing_too_much_is_refused_and_the_snapshot_kept(lake, home, tmp_path, monkeypatch):
    monkeypatch.setattr("warehouse.publish.MIN_RECORDS_FOR_DROP_RULE", 3)
    before = committed(
        lake, stage(tmp_path, "d1", [record(A, "ALPHA", JAN), record(B, "BETA", JAN), record(C, "GAMMA", JAN)])
    )
    with pytest.raises(PublishRefused, match="ustm would drop from 3 to 1 records"):
        publish(
            lake,
            stage(tmp_path, "d2", [], tombstones=[tombstone(A, FEB), tombstone(B, FEB)]),
            PublishOptions(max_row_drop_share=0.2),
        )
    con = lakes.connect(lake, read_only=True)
    try:
        assert lakes.current_snapshot(con) == before.snapshot_id
    finally:
        con.close()
    assert [r[0] for r in rows(lake, home)] == [A, B, C]


def test_the_drop_share_counts_records_added_by_the_same_delivery(lake, home, tmp_path, monkeypatch):
    # 3 records; a delivery adds D and deletes A and B: 3 before, 2 after, 2 of 3 removed (67%)
    monkeypatch.setattr("warehouse.publish.MIN_RECORDS_FOR_DROP_RULE", 3)
    publish(lake, stage(tmp_path, "d1", [record(A, "ALPHA", JAN), record(B, "BETA", JAN), record(C, "GAMMA", JAN)]))
    d2 = stage(tmp_path, "d2", [record(D, "DELTA", FEB)], tombstones=[tombstone(A, FEB), tombstone(B, FEB)])
    with pytest.raises(PublishRefused, match="ustm would drop from 3 to 2 records, more than 50%"):
        publish(lake, d2, PublishOptions(max_row_drop_share=0.5))
    publish(lake, d2, PublishOptions(max_row_drop_share=0.7))
    assert [r[0] for r in rows(lake, home)] == [C, D]


def test_older_snapshots_stay_queryable_until_vacuumed(lake, home, tmp_path):
    first = committed(lake, stage(tmp_path, "d1", [record(A, "ALPHA", JAN)]))
    second = committed(lake, stage(tmp_path, "d2", [record(A, "ALPHA v2", FEB)]))
    assert second.snapshot_id > first.snapshot_id
    assert rows(lake, home, "select mark_text from trademarks", snapshot=first.snapshot_id) == [("ALPHA",)]
    result = lakes.vacuum(lake, keep=1)
    assert first.snapshot_id not in result.kept and result.expired >= 1 and result.files_removed >= 1
    assert rows(lake, home, "select mark_text from trademarks") == [("ALPHA v2",)]
    with pytest.raises(LakeError, match=f"snapshot {first.snapshot_id}"):
        query_lake(lake, home, "select 1", snapshot=first.snapshot_id)


def test_vacuum_merges_many_small_files(lake, home, tmp_path):
    for day in range(1, 8):
        publish(
            lake,
            stage(
                tmp_path,
                f"d{day}",
                [
                    record(A, f"ALPHA {day}", dt.date(2026, 1, day)),
                    record(f"US5020150000{day:04d}9B", "X", dt.date(2026, 1, day)),
                ],
            ),
        )

    def data_files():
        con = lakes.connect(lake, read_only=True)
        try:
            return lakes.scalar(con, "select count(*) from ducklake_list_files('lake', 'trademarks')")
        finally:
            con.close()

    assert data_files() == 7
    lakes.vacuum(lake, keep=1)
    assert data_files() == 1
    files_on_disk = list((home / "lake").rglob("*.parquet"))
    assert len([f for f in files_on_disk if "/trademarks/" in f.as_posix()]) == 1
    assert rows(lake, home, f"select mark_text from trademarks where st13 = '{A}'") == [("ALPHA 7",)]
    assert rows(lake, home, "select count(*) from trademarks") == [(8,)]


def test_export_since_a_snapshot_holds_exactly_the_changes(lake, home, tmp_path):
    import json

    from warehouse.export import export_changes, export_full

    first = committed(
        lake, stage(tmp_path, "d1", [record(A, "ALPHA", JAN), record(B, "BETA", JAN), record(C, "GAMMA", JAN)])
    )
    second = committed(lake, stage(tmp_path, "d2", [record(A, "ALPHA v2", FEB)], tombstones=[tombstone(B, FEB)]))
    manifest = export_changes(lake, first.snapshot_id, tmp_path / "out", jsonl=True)
    out = Path(manifest["directory"])
    assert out.name == f"changes-{first.snapshot_id:08d}-{second.snapshot_id:08d}"
    assert [r["st13"] for r in pq.read_table(out / "trademarks.parquet").to_pylist()] == [A]
    assert pq.read_table(out / "trademarks.parquet").column("mark_text").to_pylist() == ["ALPHA v2"]
    deleted = pq.read_table(out / "deleted.parquet").to_pylist()
    assert [(d["st13"], d["reason"], d["delivery_date"]) for d in deleted] == [(B, "626", FEB)]
    assert pq.read_table(out / "designs.parquet").num_rows == 0
    assert json.loads((out / "trademarks.jsonl").read_text())["mark_text"] == "ALPHA v2"
    written = json.loads((out / "manifest.json").read_text())
    assert (written["from_snapshot"], written["to_snapshot"]) == (first.snapshot_id, second.snapshot_id)
    assert {f["name"]: f["rows"] for f in written["files"]}["trademarks.parquet"] == 1
    everything = export_changes(lake, 0, tmp_path / "all")
    assert {f["name"]: f["rows"] for f in everything["files"]}["trademarks.parquet"] == 2
    nothing = export_changes(lake, second.snapshot_id, tmp_path / "none")
    assert {f["name"]: f["rows"] for f in nothing["files"]} == {
        "trademarks.parquet": 0,
        "designs.parquet": 0,
        "deleted.parquet": 0,
        "events.parquet": 0,
    }
    # the whole current snapshot as plain Parquet: one row per key, readable by any engine
    full = Path(export_full(lake, tmp_path / "full")["directory"])
    plain = pq.read_table(full / "trademarks.parquet").to_pylist()
    assert [(r["st13"], r["mark_text"]) for r in plain] == [(A, "ALPHA v2"), (C, "GAMMA")]
    assert [r["st13"] for r in pq.read_table(full / "deleted.parquet").to_pylist()] == [B]


def event(date: dt.date, code: str, category: str | None) -> dict:
    return {"date": date, "code": code, "text": f"text of {code}", "category": category}


def test_events_follow_their_record(lake, home, tmp_path):
    """A newer delivery's record replaces the key's events, an older one changes none, a tombstone
    removes them; a change export holds the current events of the keys whose events changed."""
    from warehouse.export import export_changes

    filed, published = event(dt.date(2015, 1, 2), "NWAP", "Filed"), event(dt.date(2015, 6, 1), "PUBO", "Published")
    odd = event(dt.date(2015, 7, 1), "ZZZZ", None)  # a code no table maps: kept, category null
    first = committed(
        lake,
        stage(
            tmp_path,
            "d1",
            [
                record(A, "ALPHA", JAN, events=[filed]),
                record(B, "BETA", JAN, events=[filed, odd]),
                record(C, "GAMMA", JAN),
            ],
        ),
    )
    events_sql = "select st13, position, code, category from events order by st13, position"
    assert rows(lake, home, events_sql) == [
        (A, 1, "NWAP", "Filed"),
        (B, 1, "NWAP", "Filed"),
        (B, 2, "ZZZZ", None),
    ]
    assert rows(lake, home, "select code, events, records from unmapped_events") == [("ZZZZ", 1, 1)]
    # February: A now published (its whole history again); B deleted
    committed(
        lake,
        stage(tmp_path, "d2", [record(A, "ALPHA", FEB, events=[filed, published])], tombstones=[tombstone(B, FEB)]),
    )
    assert rows(lake, home, events_sql) == [(A, 1, "NWAP", "Filed"), (A, 2, "PUBO", "Published")]
    # a late January delivery of A is stale: its events change nothing either
    committed(lake, stage(tmp_path, "d1b", [record(A, "ALPHA late", JAN, 1, events=[odd])]))
    assert rows(lake, home, events_sql) == [(A, 1, "NWAP", "Filed"), (A, 2, "PUBO", "Published")]
    assert rows(lake, home, "select code, events, records from unmapped_events") == []

    changes = Path(export_changes(lake, first.snapshot_id, tmp_path / "out")["directory"])
    exported = pq.read_table(changes / "events.parquet").to_pylist()
    # A's events replaced; B's gone with it (B is in deleted.parquet, with no events here)
    assert [(e["st13"], e["position"], e["code"]) for e in exported] == [(A, 1, "NWAP"), (A, 2, "PUBO")]
    assert [d["st13"] for d in pq.read_table(changes / "deleted.parquet").to_pylist()] == [B]


def test_a_design_redelivered_alone_replaces_its_own_events_only(lake, home, tmp_path):
    from transforms.schema import DESIGNS

    st13 = "KH702022000000245"

    def design(number: str, delivered: dt.date, events: list[dict]) -> dict:
        r: dict[str, Any] = dict(empty_record("designs"))
        r.update(st13=st13, design_number=number, office="KH", collection="khid", status="Registered", events=events)
        r.update(source_file="d.xml", delivery_date=delivered, delivery_sequence=0)
        return r

    def staged(name: str, rows: list[dict]) -> PublishRequest:
        path = tmp_path / f"{name}.parquet"
        pq.write_table(pa.Table.from_pylist(rows, schema=DESIGNS), path)
        return PublishRequest(
            [StagedFile("khid", "designs", path, name, len(rows))], [], [Delivery("khid", name, name, 1)], ["khid"]
        )

    registered = event(dt.date(2023, 1, 20), "Registered", "Registered")
    committed(lake, staged("d1", [design("1", JAN, [registered]), design("2", JAN, [registered])]))
    committed(lake, staged("d2", [design("1", FEB, [registered, event(dt.date(2026, 2, 1), "Expired", "Expired")])]))
    assert rows(lake, home, "select design_number, position, code from events order by 1, 2") == [
        ("1", 1, "Registered"),
        ("1", 2, "Expired"),
        ("2", 1, "Registered"),
    ]


def test_a_batch_staged_before_events_existed_publishes_its_records(lake, home, tmp_path):
    from transforms.schema import stored

    path = tmp_path / "old.parquet"
    old = [{k: v for k, v in record(A, "ALPHA", JAN).items() if k != "events"}]
    pq.write_table(pa.Table.from_pylist(old, schema=stored(TRADEMARKS)), path)
    request = PublishRequest([StagedFile("ustm", "trademarks", path, "old", 1)], [], [Delivery("ustm", "old", "o", 1)])
    assert committed(lake, request).events == 0
    assert rows(lake, home) == [(A, "ALPHA", "Pending")]


def picture(st13: str, delivered: dt.date, view: int, sha: str) -> dict:
    """An `images` row of the record `record(st13, ..., delivered)` (same source file)."""
    return {
        "st13": st13,
        "design_number": None,
        "view": view,
        "office": st13[:2],
        "collection": f"{st13[:2].lower()}tm",
        "source_ref": f"logo-{view}.gif",
        "source_file": f"delivery-{delivered:%Y%m%d}.xml",
        "sha256": sha,
        "corrupt": False,
    }


def with_pictures(tmp: Path, request: PublishRequest, name: str, pictures: list[dict]) -> PublishRequest:
    from transforms.schema import IMAGES

    path = tmp / f"{name}-images.parquet"
    pq.write_table(pa.Table.from_pylist(pictures, schema=IMAGES), path)
    request.images.append(path)
    return request


def test_pictures_follow_their_record(lake, home, tmp_path):
    """As events do: a newer delivery's record brings its pictures (none: the record has none
    now), a late older delivery's pictures change nothing, a tombstone removes them."""
    pictures_sql = "select st13, view, sha256 from images order by st13, view"
    d1 = stage(tmp_path, "d1", [record(A, "ALPHA", JAN), record(B, "BETA", JAN), record(C, "GAMMA", JAN)])
    committed(lake, with_pictures(tmp_path, d1, "d1", [picture(A, JAN, 1, "a1"), picture(B, JAN, 1, "b1")]))
    assert rows(lake, home, pictures_sql) == [(A, 1, "a1"), (B, 1, "b1")]
    # March: A with two new pictures, B with none any more, C gains one
    d3 = stage(tmp_path, "d3", [record(A, "ALPHA", MAR), record(B, "BETA", MAR), record(C, "GAMMA", MAR)])
    pictures = [picture(A, MAR, 1, "a3"), picture(A, MAR, 2, "a3b"), picture(C, MAR, 1, "c3")]
    committed(lake, with_pictures(tmp_path, d3, "d3", pictures))
    assert rows(lake, home, pictures_sql) == [(A, 1, "a3"), (A, 2, "a3b"), (C, 1, "c3")]
    # February's delivery arrives late: older than March's for every key, its pictures are stale
    d2 = stage(tmp_path, "d2", [record(A, "ALPHA", FEB), record(B, "BETA", FEB)])
    publish(lake, with_pictures(tmp_path, d2, "d2", [picture(A, FEB, 1, "a2"), picture(B, FEB, 1, "b2")]))
    assert rows(lake, home, pictures_sql) == [(A, 1, "a3"), (A, 2, "a3b"), (C, 1, "c3")]
    # April: A deleted, its pictures with it
    committed(lake, stage(tmp_path, "d4", [], tombstones=[tombstone(A, dt.date(2026, 4, 5))]))
    assert rows(lake, home, pictures_sql) == [(C, 1, "c3")]
    # March's delivery again: the same pictures, no new snapshot
    d3_again = stage(tmp_path, "d3", [record(C, "GAMMA", MAR)])
    assert publish(lake, with_pictures(tmp_path, d3_again, "d3-again", [picture(C, MAR, 1, "c3")])) is None
