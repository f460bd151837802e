"""`ipetl run --jobs N`: deliveries normalized in a process pool, a big delivery cut into parts
at record boundaries; the published rows are those of `--jobs 1`."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from connectors.split import split_xml
from connectors.uspto_tdxf import iter_office_records
from ipetl import pipeline
from tests.conftest import query_lake

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from normalize_bench import BENCHES, generate  # noqa: E402  (the benchmark's daily-XML generators)


def serials(path: Path) -> list[str | None]:
    with open(path, "rb") as stream:
        return [record["serial-number"] for record in iter_office_records(stream)]


def test_a_cut_delivery_holds_every_record_once_in_order(tmp_path):
    delivery = tmp_path / "apc250301.xml"
    count = generate(BENCHES["ustm"], delivery, 0.5)  # ~70 case-files
    parts = split_xml(delivery, "case-file", 3, tmp_path / "parts")
    assert [p.relative_to(tmp_path / "parts").as_posix() for p in parts] == [f"000{n}/apc250301.xml" for n in range(3)]
    pieces = [serials(p) for p in parts]
    assert all(pieces) and sum(pieces, []) == serials(delivery)
    assert len(serials(delivery)) == count


def test_a_file_with_one_record_is_not_cut(tmp_path):
    assert split_xml(ROOT / "samples" / "mirror" / "khtm" / "khtm.xml", "TradeMark", 2, tmp_path) == []


def published(home: Path) -> list[tuple]:
    return query_lake(
        pipeline.lake_settings(home), home, "select * exclude (ingested_at) from trademarks order by st13"
    )


def test_jobs_2_publishes_what_jobs_1_does(tmp_path, monkeypatch, mirror):
    source = tmp_path / "mirror"
    for cid in ("khtm", "altm", "iltm"):  # 1 + 1 + 4 small deliveries
        shutil.copytree(mirror / cid, source / cid)
    (source / "ustm").mkdir()
    whole = tmp_path / "generated.xml"
    generate(BENCHES["ustm"], whole, 0.7)
    first, second = split_xml(whole, "case-file", 2, tmp_path / "halves")  # two deliveries, other marks in each
    first.rename(source / "ustm" / "apc250301.xml")
    second.rename(source / "ustm" / "apc250302.xml")
    monkeypatch.setattr("ipetl.pipeline.normalize.SPLIT_PART_BYTES", 100_000)  # the 400 kB delivery is cut in two
    cut = []

    def counted_split(path: Path, *args) -> list[Path]:
        cut.append(path.name)
        return split_xml(path, *args)

    monkeypatch.setattr("ipetl.pipeline.normalize.split_xml", counted_split)
    runs = {}
    for jobs in (1, 2):
        home = tmp_path / f"home-jobs{jobs}"
        result = pipeline.run(["khtm", "altm", "iltm", "ustm"], source=source, home=home, jobs=jobs)
        assert result.snapshot_id is not None and result.refused is None and result.fetch_failures == []
        runs[jobs] = published(home)
    assert cut == ["apc250301.xml", "apc250302.xml"]  # with --jobs 2 only
    assert len(runs[1]) > 50
    assert runs[2] == runs[1]
