"""fetch_new/mark_processed on a local source (`ipetl run --source DIR`) and the state file."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading

import pytest

from connectors.fetch import fetch_new, mark_processed
from connectors.state import open_state, state_path
from ipetl.collection import Source
from tests.conftest import MIRROR

KH = MIRROR / "khtm" / "khtm.xml"
AL = MIRROR / "altm" / "altm.xml"


def sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def state(home) -> dict:
    return json.loads(state_path(home, "khtm").read_text())


@pytest.fixture
def folder(tmp_path):
    folder = tmp_path / "drop"
    folder.mkdir()
    shutil.copy(KH, folder / "khtm.xml")
    (folder / "readme.txt").write_text("not matched by the pattern")
    return folder


def test_local_deliveries_are_read_in_place_and_recorded(folder, home):
    result = fetch_new("khtm", Source("local", str(folder), "*.xml*"), home)
    [delivery] = result.deliveries
    assert (delivery.name, delivery.path, delivery.size) == ("khtm.xml", folder / "khtm.xml", KH.stat().st_size)
    assert delivery.sha256 == sha(KH)
    assert not (home / "incoming").exists()  # nothing copied
    entry = state(home)["deliveries"]["khtm.xml"]
    assert (entry["status"], entry["sha256"], entry["path"]) == ("fetched", sha(KH), str(folder / "khtm.xml"))


def test_rerun_after_processing_finds_nothing_new(folder, home):
    source = Source("local", str(folder), "*.xml*")
    [delivery] = fetch_new("khtm", source, home).deliveries
    mark_processed(home, "khtm", delivery)
    assert fetch_new("khtm", source, home).deliveries == []
    entry = state(home)["deliveries"]["khtm.xml"]
    assert entry["status"] == "processed" and entry["processed_at"]


def test_same_bytes_with_a_new_date_are_not_a_new_delivery(folder, home):
    source = Source("local", str(folder), "*.xml*")
    mark_processed(home, "khtm", fetch_new("khtm", source, home).deliveries[0])
    os.utime(folder / "khtm.xml", (1_700_000_000, 1_700_000_000))
    assert fetch_new("khtm", source, home).deliveries == []
    assert state(home)["deliveries"]["khtm.xml"]["modified"] == "2023-11-14T22:13:20+00:00"


def test_changed_bytes_under_the_same_name_are_a_new_delivery(folder, home):
    source = Source("local", str(folder), "*.xml*")
    mark_processed(home, "khtm", fetch_new("khtm", source, home).deliveries[0])
    shutil.copy(AL, folder / "khtm.xml")
    [delivery] = fetch_new("khtm", source, home).deliveries
    assert delivery.sha256 == sha(AL)
    assert state(home)["deliveries"]["khtm.xml"]["status"] == "fetched"


def test_force_returns_processed_deliveries_again(folder, home):
    source = Source("local", str(folder), "*.xml*")
    mark_processed(home, "khtm", fetch_new("khtm", source, home).deliveries[0])
    assert [d.name for d in fetch_new("khtm", source, home, force=True).deliveries] == ["khtm.xml"]


def test_rejected_delivery_keeps_its_reason_and_is_not_returned(folder, home):
    source = Source("local", str(folder), "*.xml*")
    [delivery] = fetch_new("khtm", source, home).deliveries
    mark_processed(home, "khtm", delivery, "rejected", "not well-formed XML: line 3")
    assert fetch_new("khtm", source, home).deliveries == []
    entry = state(home)["deliveries"]["khtm.xml"]
    assert (entry["status"], entry["reason"]) == ("rejected", "not well-formed XML: line 3")


def test_mark_processed_refuses_unknown_or_superseded_deliveries(folder, home):
    source = Source("local", str(folder), "*.xml*")
    [old] = fetch_new("khtm", source, home).deliveries
    with pytest.raises(ValueError, match="no delivery"):
        mark_processed(home, "khtm", "other.xml")
    with pytest.raises(ValueError, match="status must be"):
        mark_processed(home, "khtm", old, "done")
    with pytest.raises(ValueError, match="no delivery"):
        mark_processed(home, "khtm", [old, "other.xml"])
    assert state(home)["deliveries"]["khtm.xml"]["status"] == "fetched"  # all or none
    shutil.copy(AL, folder / "khtm.xml")
    fetch_new("khtm", source, home)
    with pytest.raises(ValueError, match="fetched again"):
        mark_processed(home, "khtm", old)


def test_sample_mirror_folder_of_a_collection(home):
    """`--source samples/mirror` for khtm reads samples/mirror/khtm/, the one bundled file."""
    [delivery] = fetch_new("khtm", Source("local", str(MIRROR / "khtm"), "*.xml*"), home).deliveries
    assert delivery.path == KH and delivery.sha256 == sha(KH)


def test_missing_folder_and_unknown_kind(home, tmp_path):
    assert fetch_new("khtm", Source("local", str(tmp_path / "absent")), home).deliveries == []
    with pytest.raises(ValueError, match="unknown source kind"):
        fetch_new("khtm", Source("gopher", "gopher://x"), home)
    with pytest.raises(ValueError, match="not a collection id"):
        fetch_new("../khtm", Source("local", str(tmp_path)), home)


def test_state_file_is_replaced_whole(folder, home):
    fetch_new("khtm", Source("local", str(folder), "*.xml*"), home)
    names = sorted(p.name for p in (home / "state").iterdir())
    assert names == ["khtm.json", "khtm.lock"]  # no temporary file left behind
    assert state(home)["version"] == 1 and state(home)["collection"] == "khtm"


def test_a_second_writer_waits_for_the_lock(folder, home):
    [delivery] = fetch_new("khtm", Source("local", str(folder), "*.xml*"), home).deliveries
    with open_state(home, "khtm"):
        writer = threading.Thread(target=mark_processed, args=(home, "khtm", delivery))
        writer.start()
        writer.join(0.2)
        assert writer.is_alive()  # blocked while this run holds the collection's lock
    writer.join(5)
    assert state(home)["deliveries"]["khtm.xml"]["status"] == "processed"
