"""`ipetl`: the command line over the pipeline's functions.

Every command reads the home from --home, else $IPETL_HOME, else ./var. Errors are one line on
stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import sys
import tempfile
from pathlib import Path

import click


def _json_default(value):
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    return str(value)


def _fail(message: str, code: int = 1):
    click.echo(f"ipetl: {message}", err=True)
    sys.exit(code)


home_option = click.option("--home", type=click.Path(file_okay=False), default=None, help="Home directory (default: $IPETL_HOME or ./var).")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main():
    """Open ETL for trademark (ST.66) and industrial-design (ST.86) registers."""


@main.command()
@click.option("--kind", type=click.Choice(["trademark", "design"]), default=None)
def collections(kind):
    """List the collection registry."""
    from ipetl.registry import COLLECTIONS

    rows = [c for c in COLLECTIONS.values() if kind in (None, c.kind)]
    _print_table(
        ["collection", "office", "kind", "format", "schedule", "source", "office name"],
        [(c.id, c.office, c.kind, c.format, c.schedule, c.source.kind, c.office_name) for c in rows],
    )


@main.command()
def dictionary():
    """Print the data dictionary (Markdown) generated from the canonical schemas."""
    from transforms.schema import data_dictionary

    click.echo(data_dictionary(), nl=False)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--collection", "collection_id", required=True, help="Collection id, e.g. khtm (see `ipetl collections`).")
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None, help="Write here: Parquet if it ends in .parquet, else JSON Lines. Default: JSON Lines on stdout.")
def normalize(paths, collection_id, output):
    """Parse local delivery files (plain, .gz, .zip, .tar) into canonical records."""
    from ipetl.registry import get
    from transforms.normalize import normalize_file

    try:
        collection = get(collection_id)
    except KeyError as exc:
        _fail(exc.args[0], 2)
    rules = collection.rules()
    failed = False
    parquet_writer = None
    out = None
    try:
        if output and output.endswith(".parquet"):
            import pyarrow.parquet as pq

            from transforms.schema import TABLES

            parquet_writer = pq.ParquetWriter(output, TABLES[collection.table], compression="zstd")
        else:
            out = open(output, "w", encoding="utf-8") if output else sys.stdout
        with tempfile.TemporaryDirectory(prefix="ipetl-") as work:
            for path in paths:
                result = normalize_file(path, collection.fmt, rules, work)
                if result.rejected:
                    failed = True
                    click.echo(f"ipetl: rejected {path}: {result.rejected}", err=True)
                    continue
                for q in result.quarantined:
                    click.echo(f"ipetl: quarantined a record of {q['source_file']} ({q['rule_id']}): {q['reason']}", err=True)
                for batch in result.batches():
                    if parquet_writer is not None:
                        parquet_writer.write_batch(batch)
                    else:
                        for record in batch.to_pylist():
                            out.write(json.dumps(record, ensure_ascii=False, default=_json_default) + "\n")
                result.discard()
    finally:
        if parquet_writer is not None:
            parquet_writer.close()
        if out is not None and out is not sys.stdout:
            out.close()
    sys.exit(1 if failed else 0)


@main.command()
@click.option("--collection", "collection_ids", multiple=True, help="Collection id; repeat for several. Default: every collection with deliveries.")
@click.option("--source", type=click.Path(file_okay=False), default=None, help="Directory holding the deliveries (or a mirror with one directory per collection).")
@home_option
@click.option("--force", is_flag=True, help="Process deliveries again even if already published.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=os.cpu_count() or 1, show_default="the number of cores",
              help="Processes that fetch and normalize deliveries (a big one is cut into parts); the gate and the publish stay one step.")
def run(collection_ids, source, home, force, jobs):
    """Fetch, normalize, validate and publish."""
    from ipetl.pipeline import run as run_pipeline
    from ipetl.registry import COLLECTIONS

    unknown = [c for c in collection_ids if c not in COLLECTIONS]
    if unknown:
        _fail(f"unknown collection(s): {', '.join(unknown)} (see `ipetl collections`)", 2)
    result = run_pipeline(list(collection_ids) or None, source=source, home=home, force=force, jobs=jobs)
    for collection, reason in result.fetch_failures:
        click.echo(f"ipetl: {collection}: {reason}", err=True)
    for batch in result.batches:
        for path, reason in batch.rejected:
            click.echo(f"ipetl: rejected {path}: {reason}", err=True)
        for failure in batch.failures:
            click.echo(f"ipetl: batch of {batch.collection} not published: {failure}", err=True)
    click.echo(f"{'collection':<11}{'files':>6}{'records':>9}{'passed':>8}{'quarantined':>13}{'rejected':>10}  status")
    for b in result.batches:
        status = "published" if b.status == "staged" and result.snapshot_id else ("up to date" if not b.files else b.status)
        click.echo(f"{b.collection:<11}{b.files:>6}{b.records:>9}{b.passed:>8}{b.quarantined:>13}{len(b.rejected):>10}  {status}" + (f" ({b.skipped} already published)" if b.skipped else ""))
    if not result.batches:
        click.echo("nothing new to process")
    if result.refused:
        click.echo(f"ipetl: not published: {result.refused}", err=True)
    home_path = result.home
    click.echo(f"\nsnapshot:  {result.snapshot_id if result.snapshot_id else 'unchanged'}")
    click.echo(f"parquet:   {home_path / 'warehouse'}")
    click.echo(f"catalog:   {home_path / 'catalog.duckdb'}")
    if result.data_docs:
        click.echo(f"data docs: {result.data_docs}")
    if result.refused or any(b.failures for b in result.batches):
        sys.exit(1)


@main.command()
@click.option("--format", "fmt", type=click.Choice(["parquet", "st66", "st86"]), default="parquet", show_default=True,
              help="parquet: the records changed since --since; st66 / st86: a snapshot's trademarks / designs as one XML document.")
@click.option("--since", type=int, default=0, show_default=True, help="Snapshot to compare with (0: export everything). Parquet only.")
@click.option("--where", default=None, help="SQL condition on the exported view, e.g. \"office = 'KH'\". st66 / st86 only.")
@click.option("--snapshot", type=int, default=None, help="Snapshot to export (default: the current one). st66 / st86 only.")
@click.option("--output", "-o", type=click.Path(file_okay=False), default="exports", show_default=True)
@click.option("--jsonl", is_flag=True, help="Also write JSON Lines copies. Parquet only.")
@home_option
def export(fmt, since, where, snapshot, output, jsonl, home):
    """Write the records changed or deleted since a snapshot (Parquet, manifest.json), or a
    snapshot's trademarks as WIPO ST.66 XML (--format st66) or designs as ST.86 XML (--format st86)."""
    from ipetl.pipeline import home_dir, registry_rows

    if fmt in ("st66", "st86"):
        import duckdb

        from warehouse.xml_export import export_xml

        if since or jsonl:
            _fail("--since and --jsonl go with --format parquet", 2)
        try:
            path = export_xml(home_dir(home), fmt, Path(output), registry_rows(), where=where, snapshot=snapshot)
        except FileNotFoundError as exc:
            _fail(str(exc))
        except duckdb.Error as exc:
            _fail(str(exc).splitlines()[0])
        click.echo(str(path))
        return
    if where or snapshot is not None:
        _fail("--where and --snapshot go with --format st66 or st86", 2)
    from warehouse.export import export_changes

    try:
        manifest = export_changes(home_dir(home), since, Path(output), registry_rows(), jsonl=jsonl)
    except FileNotFoundError as exc:
        _fail(str(exc))
    for f in manifest["files"]:
        click.echo(f"{f['name']:<20}{f['rows']:>10} rows")
    click.echo(f"snapshots {manifest['from_snapshot']} → {manifest['to_snapshot']}: {manifest['directory']}")


@main.command()
@home_option
@click.option("--no-build", is_flag=True, help="Print the index of the last build instead of building again.")
def report(home, no_build):
    """Build the Great Expectations Data Docs (offline: no remote assets, no beacon) and print the index page."""
    from expectations.datadocs import build_data_docs, data_docs_index
    from ipetl.pipeline import home_dir

    gx_root = home_dir(home) / "gx"
    if not (gx_root / "gx").is_dir():
        _fail(f"no validation results under {gx_root}: run `ipetl run` first")
    index = data_docs_index(gx_root) if no_build else build_data_docs(gx_root)
    if index is None:
        _fail(f"no Data Docs under {gx_root}: run `ipetl report` without --no-build")
    click.echo(index)


@main.command()
@home_option
@click.option("--keep", type=int, default=int(__import__("os").environ.get("IPETL_KEEP_SNAPSHOTS", "5")), show_default=True, help="Snapshots to keep ($IPETL_KEEP_SNAPSHOTS).")
def vacuum(home, keep):
    """Remove old snapshots and the files no kept snapshot uses."""
    from ipetl.pipeline import home_dir
    from warehouse.snapshots import vacuum as vacuum_snapshots

    if keep < 1:
        _fail("--keep must be at least 1", 2)
    result = vacuum_snapshots(home_dir(home), keep)
    click.echo(f"kept snapshots {', '.join(map(str, result.kept)) or 'none'}; removed {len(result.removed_snapshots)} snapshot(s) and {result.removed_files} file(s)")


@main.command()
@click.argument("sql")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table")
@click.option("--snapshot", type=int, default=None, help="Query this snapshot instead of the current one.")
@home_option
def query(sql, fmt, snapshot, home):
    """Run SQL on the DuckDB catalog (views trademarks, designs, quarantine, coverage)."""
    import duckdb

    from ipetl.pipeline import home_dir, registry_rows
    from warehouse.catalog import open_catalog

    _run_sql(home, snapshot, sql, [], fmt)


def _run_sql(home, snapshot, sql: str, params: list, fmt: str) -> None:
    import duckdb

    from ipetl.pipeline import home_dir, registry_rows
    from warehouse.catalog import open_catalog

    try:
        con = open_catalog(home_dir(home), registry_rows(), snapshot)
    except FileNotFoundError as exc:
        _fail(str(exc))
    try:
        cursor = con.execute(sql, params)
        columns = [d[0] for d in cursor.description] if cursor.description else []
        rows = cursor.fetchall() if columns else []
    except duckdb.Error as exc:
        _fail(str(exc).splitlines()[0])
    finally:
        con.close()
    if fmt == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(columns)
        writer.writerows(rows)
    elif fmt == "json":
        click.echo(json.dumps([dict(zip(columns, r)) for r in rows], ensure_ascii=False, default=_json_default, indent=1))
    else:
        _print_table(columns, rows)


@main.command()
@click.argument("text")
@click.option("--class", "classes", type=click.IntRange(1, 45), multiple=True, help="Nice class; repeat for several (any matches).")
@click.option("--office", "offices", multiple=True, help="ST.3 office code; repeat for several.")
@click.option("--status", "statuses", type=click.Choice(["Registered", "Pending", "Ended", "Expired", "Unknown"]), multiple=True)
@click.option("--fuzzy", is_flag=True, help="Fuzzy match of the whole mark text (Jaro-Winkler) instead of full-text search.")
@click.option("--min-similarity", type=click.FloatRange(0, 1), default=0.85, show_default=True, help="With --fuzzy.")
@click.option("--limit", type=int, default=20, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table")
@click.option("--snapshot", type=int, default=None)
@home_option
def search(text, classes, offices, statuses, fuzzy, min_similarity, limit, fmt, snapshot, home):
    """Search trademarks for brand clearance: full-text (mark text and applicants) or --fuzzy."""
    args = [text]
    named = {"classes": list(classes) or None, "offices": [o.upper() for o in offices] or None, "statuses": list(statuses) or None, "lim": limit}
    if fuzzy:
        named["min_similarity"] = min_similarity
        macro, columns = "similar_marks", "st13, office, mark_text, applicant_names, status, nice_classes, round(similarity, 3) AS similarity"
    else:
        macro, columns = "search_marks", "st13, office, mark_text, applicant_names, status, nice_classes, round(score, 3) AS score"
    placeholders = ", ".join(["?"] + [f"{k} := ?" for k in named])
    _run_sql(home, snapshot, f"SELECT {columns} FROM {macro}({placeholders})", args + list(named.values()), fmt)


def _print_table(columns: list[str], rows: list[tuple]) -> None:
    cells = [[("" if v is None else str(v)) for v in row] for row in rows]
    widths = [min(60, max([len(c)] + [len(r[i]) for r in cells])) for i, c in enumerate(columns)]
    line = "  ".join(c.ljust(w) for c, w in zip(columns, widths))
    click.echo(line)
    click.echo("  ".join("-" * w for w in widths))
    for r in cells:
        click.echo("  ".join((v if len(v) <= w else v[: w - 1] + "…").ljust(w) for v, w in zip(r, widths)))
    click.echo(f"({len(rows)} row{'s' if len(rows) != 1 else ''})", err=True)


if __name__ == "__main__":
    main()
