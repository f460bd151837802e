"""`ipetl`: the command line over the pipeline's functions.

Every command reads the home from --home, else $IPETL_HOME, else ./var. Errors are one line on
stderr (an error in the user's SQL: DuckDB's whole message, indented under its first line) and a
non-zero exit, never a traceback.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import logging
import os
import re
import sys
import tempfile
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import click

from connectors.resources import resource_error
from ipetl import logs

log = logging.getLogger("ipetl")

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def _json_default(value):
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    return str(value)


def _fail(message: str, code: int = 1):
    click.echo(f"ipetl: {message}", err=True)
    sys.exit(code)


def _sql_failure(exc: Exception):
    """A DuckDB error in the user's SQL, whole: its first line, then its hints ("Did you mean ...",
    candidate bindings, the statement with a caret under the fault) indented under it, blank lines
    left out, so that the message reads as one block."""
    lines = [line.rstrip() for line in str(exc).strip().splitlines() if line.strip()]
    _fail("\n  ".join(lines) or type(exc).__name__)


home_option = click.option(
    "--home", type=click.Path(file_okay=False), default=None, help="Home directory (default: $IPETL_HOME or ./var)."
)


def lake_options(command):
    """--catalog and --data: where the lake lives (see `_lake`)."""
    command = click.option(
        "--data",
        "data",
        default=None,
        metavar="PATH|URL",
        help="Lake data path: a folder or s3://bucket/prefix/ (default: $IPETL_DATA, else <home>/lake/).",
    )(command)
    return click.option(
        "--catalog",
        "catalog",
        default=None,
        metavar="FILE|DSN",
        help="DuckLake catalog: a .sqlite file or a PostgreSQL DSN (default: $IPETL_CATALOG, else <home>/lake.sqlite).",
    )(command)


def _lake(home, catalog, data):
    """The home and the lake's settings, or a one-line usage error."""
    from ipetl.pipeline import home_dir, lake_settings

    try:
        path = home_dir(home)
        return path, lake_settings(path, catalog, data)
    except ValueError as exc:
        _fail(str(exc), 2)


@dataclass(frozen=True)
class Operator:
    """How the operator asked to be told (the group's options), for the commands."""

    level: int  # logs.QUIET, NORMAL or VERBOSE
    log_format: str  # text or json
    terminal: bool  # stderr is a terminal: progress bars


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="ipetl", prog_name="ipetl", message="%(prog)s %(version)s")
@click.option("--verbose", "-v", is_flag=True, help="Also debug lines on stderr and in the run's log.")
@click.option("--quiet", "-q", is_flag=True, help="Only warnings and errors on stderr: no progress.")
@click.option(
    "--log-format",
    type=click.Choice(logs.FORMATS),
    default="text",
    show_default=True,
    help="stderr and the run's log: text lines, or JSON lines (time, level, logger, message, "
    "run_id, step, collection, delivery).",
)
@click.pass_context
def cli(ctx, verbose, quiet, log_format):
    """Open ETL for trademark (ST.66) and industrial-design (ST.86) registers.

    Exit codes: 0 everything asked for was done; 1 some input was rejected or quarantined as a
    whole, or a batch was refused; 2 usage errors; 3 the run could not finish (a resource ran
    out, the lake or a source could not be reached); 130 interrupted (Ctrl-C).

    Progress and warnings go to stderr: bars on a terminal, else a line now and then and one
    at the end of each step; errors are lines starting with `ipetl: `.
    """
    if verbose and quiet:
        raise click.UsageError("--verbose or --quiet, not both")
    level = logs.VERBOSE if verbose else logs.QUIET if quiet else logs.NORMAL
    terminal = sys.stderr.isatty() and log_format == "text" and not quiet
    logs.configure(level, log_format, terminal)
    ctx.obj = Operator(level, log_format, terminal)


def main() -> None:
    """The `ipetl` command: errors are one line on stderr, never a traceback (IPETL_DEBUG=1 shows it)."""
    try:
        cli.main(prog_name="ipetl", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("ipetl: interrupted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2 if isinstance(exc, click.UsageError) else exc.exit_code)
    except KeyboardInterrupt:
        click.echo("ipetl: interrupted", err=True)
        sys.exit(130)
    except Exception as exc:  # the last line of defence: one line, and the way to see more
        if os.environ.get("IPETL_DEBUG"):
            raise
        resource = resource_error(exc)
        if resource is not None:
            _fail(f"{resource}", 3)
        _fail(
            f"internal error: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''} "
            "(IPETL_DEBUG=1 shows where)",
            70,
        )


@cli.command()
@click.option("--kind", type=click.Choice(["trademark", "design"]), default=None)
def collections(kind):
    """List the collection registry."""
    from ipetl.registry import COLLECTIONS

    rows = [c for c in COLLECTIONS.values() if kind in (None, c.kind)]
    _print_table(
        ["collection", "office", "kind", "format", "schedule", "source", "office name"],
        [(c.id, c.office, c.kind, c.format.name, c.schedule, c.source.kind, c.office_name) for c in rows],
    )


@cli.command("duckdb-extensions")
def duckdb_extensions():
    """Install the pinned DuckDB extensions (ducklake, sqlite, postgres, httpfs) where a plain
    DuckDB finds them, so `ATTACH 'ducklake:...'` works offline in the DuckDB CLI or Python."""
    from warehouse.extensions import install

    click.echo(str(install()))


@cli.command()
def dictionary():
    """Print the data dictionary (Markdown) generated from the canonical schemas."""
    from transforms.schema import data_dictionary

    click.echo(data_dictionary(), nl=False)


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option(
    "--collection", "collection_id", required=True, help="Collection id, e.g. khtm (see `ipetl collections`)."
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False),
    default=None,
    help="Write here: Parquet if it ends in .parquet (tombstones to <name>.deleted.parquet), else JSON Lines. "
    "Default: JSON Lines on stdout.",
)
@click.pass_obj
def normalize(operator, paths, collection_id, output):
    """Parse local delivery files (plain, .gz, .zip, .tar) into canonical records.

    A record the delivery withdraws is a tombstone, never a record with a status: in JSON Lines a
    line {"tombstone": true, ...} with the fields of the lake's `deleted` table; with a .parquet
    output, a row of <name>.deleted.parquet.
    """
    import pyarrow as pa

    from connectors.progress import NO_PROGRESS
    from ipetl.progress import Shown
    from ipetl.registry import get
    from transforms.normalize import normalize_file, split_deletions

    try:
        collection = get(collection_id)
    except KeyError as exc:
        _fail(exc.args[0], 2)
    rules = collection.rules()
    # a bar per file on a terminal; elsewhere stderr keeps to the problems, one line each
    progress = Shown(bar=True).within("normalize", collection.id) if operator.terminal else NO_PROGRESS
    failed = False
    out: TextIO = sys.stdout
    with ExitStack() as stack:
        parquet = _ParquetOutputs(stack, output, collection.table) if output and output.endswith(".parquet") else None
        if output and parquet is None:
            out = stack.enter_context(open(output, "w", encoding="utf-8"))
        work = stack.enter_context(tempfile.TemporaryDirectory(prefix="ipetl-"))
        for path in paths:
            result = normalize_file(path, collection.format, rules, work, progress=progress)
            if result.rejected:
                failed = True
                click.echo(f"ipetl: rejected {path}: {result.rejected}", err=True)
                continue
            if not (result.records or result.quarantined):
                failed = True
                click.echo(
                    f"ipetl: {path}: no {collection.format.name} records in it (a delivery of another collection?)",
                    err=True,
                )
            for q in result.quarantined:
                click.echo(
                    f"ipetl: quarantined a record of {q['source_file']} ({q['rule_id']}): {q['reason']}", err=True
                )
            for batch in result.batches():
                records, tombstones = split_deletions(collection.table, pa.Table.from_batches([batch]))
                if parquet is not None:
                    parquet.write(records, tombstones)
                    continue
                for record in records.to_pylist():
                    out.write(json.dumps(record, ensure_ascii=False, default=_json_default) + "\n")
                for tombstone in tombstones.to_pylist():
                    line = {"tombstone": True, **tombstone}
                    out.write(json.dumps(line, ensure_ascii=False, default=_json_default) + "\n")
            result.discard()
    sys.exit(1 if failed else 0)


class _ParquetOutputs:
    """`ipetl normalize -o x.parquet`: the records in x.parquet, the tombstones (if any) in
    x.deleted.parquet (the lake's `deleted` table)."""

    def __init__(self, stack: ExitStack, output: str, table: str):
        import pyarrow.parquet as pq

        from transforms.schema import TABLES

        self.stack, self.deleted_path = stack, Path(output).with_suffix(".deleted.parquet")
        self.records = stack.enter_context(pq.ParquetWriter(output, TABLES[table], compression="zstd"))
        self.deleted: Any = None  # a ParquetWriter once there is a tombstone

    def write(self, records, tombstones) -> None:
        import pyarrow.parquet as pq

        from transforms.schema import TOMBSTONES

        self.records.write_table(records)
        if tombstones.num_rows:
            if self.deleted is None:
                self.deleted = self.stack.enter_context(
                    pq.ParquetWriter(self.deleted_path, TOMBSTONES, compression="zstd")
                )
                log.info(f"normalize: tombstones (records the deliveries withdraw) go to {self.deleted_path}")
            self.deleted.write_table(tombstones)


@cli.command()
@click.option(
    "--collection",
    "collection_ids",
    multiple=True,
    help="Collection id; repeat for several. Default: every collection with deliveries.",
)
@click.option(
    "--source",
    type=click.Path(file_okay=False),
    default=None,
    help="Directory holding the deliveries (or a mirror with one directory per collection).",
)
@home_option
@lake_options
@click.option("--force", is_flag=True, help="Process deliveries again even if already published.")
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    default=os.cpu_count() or 1,
    show_default="the number of cores",
    help="Processes that fetch and normalize deliveries (a big one is cut into parts); "
    "the gate and the publish stay one step.",
)
@click.option(
    "--summary-json",
    type=click.Path(dir_okay=False),
    default=None,
    help="Also write the summary here as JSON, for schedulers: each collection's read, published, "
    "quarantined, rejected and deleted records, snapshot id, status and exit code.",
)
@click.pass_obj
def run(operator, collection_ids, source, home, catalog, data, force, jobs, summary_json):
    """Fetch, normalize, validate and publish.

    Without --source, each collection comes from its declared source: the offices' servers,
    over the internet. Its log is also written under the home (logs/run-<run id>.log).
    """
    from connectors.home import HomeLayout
    from ipetl.pipeline import new_run_id
    from ipetl.pipeline import run as run_pipeline
    from ipetl.progress import Shown
    from ipetl.registry import COLLECTIONS

    unknown = [c for c in collection_ids if c not in COLLECTIONS]
    if unknown:
        _fail(f"unknown collection(s): {', '.join(unknown)} (see `ipetl collections`)", 2)
    home_path, lake = _lake(home, catalog, data)
    run_id = new_run_id()
    log_path = HomeLayout(home_path).run_log(run_id)
    with logs.run_log(log_path, run_id, operator.log_format, operator.level):
        log.debug(f"run {run_id}: ipetl {_version()}, --jobs {jobs}, source {source or 'the declared ones'}")
        try:
            result = run_pipeline(
                list(collection_ids) or None,
                source=source,
                home=home_path,
                force=force,
                lake=lake,
                jobs=jobs,
                progress=Shown(bar=operator.terminal),
                run_id=run_id,
            )
        except ValueError as exc:
            log.error(str(exc))
            sys.exit(2)
        _log_problems(result)
    outcomes = result.outcomes()
    click.echo(
        f"{'collection':<11}{'files':>6}{'read':>9}{'published':>11}{'quarantined':>13}{'rejected':>10}"
        f"{'deleted':>9}  status"
    )
    for o in outcomes:
        click.echo(
            f"{o.collection:<11}{o.files:>6}{o.read:>9}{o.published:>11}{o.quarantined:>13}{o.rejected:>10}"
            f"{o.deleted:>9}  {o.status}" + (f" ({o.skipped} already published)" if o.skipped else "")
        )
    if not outcomes:
        click.echo("nothing new to process")
    click.echo(f"\nsnapshot:  {result.snapshot_id if result.snapshot_id else 'unchanged'}")
    click.echo(f"lake:      {lake.describe()}")
    click.echo(f"search:    {HomeLayout(home_path).search}")
    if result.data_docs:
        click.echo(f"data docs: {result.data_docs}")
    click.echo(f"log:       {log_path}")
    if summary_json:
        Path(summary_json).write_text(json.dumps(result.report(log_path), indent=1) + "\n", encoding="utf-8")
    sys.exit(result.exit_code)


def _log_problems(result) -> None:
    """What went wrong in a run, one line each (on stderr: `ipetl: ...`)."""
    if result.failure:
        log.error(f"run stopped: {result.failure}; nothing more published, the deliveries stay pending")
    for entry in result.unclaimed:
        log.warning(f"not read: {entry}: no collection claims it (one sub-folder per collection id)")
    for failed in result.fetch_failures:
        log.error(f"{failed.collection}: {failed.host}: {failed.reason}", extra={"collection": failed.collection})
    for batch in result.batches:
        for path, reason in batch.rejected:
            log.error(f"rejected {path}: {reason}", extra={"collection": batch.collection})
        for failure in batch.failures:
            log.error(f"batch of {batch.collection} not published: {failure}", extra={"collection": batch.collection})
    if result.refused:
        log.error(f"not published: {result.refused}")


def _version() -> str:
    from importlib.metadata import version

    return version("ipetl")


@cli.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["parquet", "st66", "st86"]),
    default="parquet",
    show_default=True,
    help="parquet: the records changed since --since (or --full); "
    "st66 / st86: a snapshot's trademarks / designs as one XML document.",
)
@click.option(
    "--since",
    type=int,
    default=0,
    show_default=True,
    help="Snapshot to compare with (0: export everything). Parquet only.",
)
@click.option("--full", is_flag=True, help="The current snapshot as plain Parquet, one row per key. Parquet only.")
@click.option(
    "--where", default=None, help="SQL condition on the exported view, e.g. \"office = 'KH'\". st66 / st86 only."
)
@click.option(
    "--snapshot", type=int, default=None, help="Snapshot to export (default: the current one). st66 / st86 only."
)
@click.option("--output", "-o", type=click.Path(file_okay=False), default="exports", show_default=True)
@click.option("--jsonl", is_flag=True, help="Also write JSON Lines copies. Parquet only.")
@home_option
@lake_options
def export(fmt, since, full, where, snapshot, output, jsonl, home, catalog, data):
    """Write the records changed or deleted since a snapshot (Parquet, manifest.json), the whole
    current snapshot as plain Parquet (--full), or a snapshot's trademarks as WIPO ST.66 XML
    (--format st66) or designs as ST.86 XML (--format st86)."""
    import duckdb

    from warehouse.export import ExportConflict, export_changes, export_full
    from warehouse.lake import LakeError

    _, lake = _lake(home, catalog, data)
    if fmt in ("st66", "st86"):
        from warehouse.xml_export import export_xml

        if since or jsonl or full:
            _fail("--since, --full and --jsonl go with --format parquet", 2)
        try:
            path = export_xml(lake, fmt, Path(output), where=where, snapshot=snapshot)
        except ExportConflict as exc:
            _fail(str(exc), 2)
        except LakeError as exc:
            _fail(str(exc))
        except duckdb.Error as exc:
            _sql_failure(exc)
        click.echo(str(path))
        return
    if where or snapshot is not None:
        _fail("--where and --snapshot go with --format st66 or st86", 2)
    if full and since:
        _fail("--full exports the current snapshot: leave out --since", 2)
    try:
        manifest = (
            export_full(lake, Path(output), jsonl=jsonl)
            if full
            else export_changes(lake, since, Path(output), jsonl=jsonl)
        )
    except ExportConflict as exc:
        _fail(str(exc), 2)
    except LakeError as exc:
        _fail(str(exc))
    for f in manifest["files"]:
        click.echo(f"{f['name']:<20}{f['rows']:>10} rows")
    if full:
        click.echo(f"snapshot {manifest['to_snapshot']}: {manifest['directory']}")
    else:
        click.echo(f"snapshots {manifest['from_snapshot']} → {manifest['to_snapshot']}: {manifest['directory']}")


@cli.command()
@home_option
@click.option("--no-build", is_flag=True, help="Print the index of the last build instead of building again.")
def report(home, no_build):
    """Build the Great Expectations Data Docs (offline: no remote assets, no beacon) and print the index page."""
    from connectors.home import HomeLayout
    from expectations.datadocs import build_data_docs, data_docs_index
    from ipetl.pipeline import home_dir

    layout = HomeLayout(home_dir(home))
    gx_root = layout.gx
    if not layout.gx_context.is_dir():
        _fail(f"no validation results under {gx_root}: run `ipetl run` first")
    index = data_docs_index(gx_root) if no_build else build_data_docs(gx_root)
    if index is None:
        _fail(f"no Data Docs under {gx_root}: run `ipetl report` without --no-build")
    click.echo(index)


@cli.command()
@home_option
@lake_options
@click.option(
    "--keep",
    type=int,
    default=5,
    show_default=True,
    envvar="IPETL_KEEP_SNAPSHOTS",
    help="Snapshots to keep, and runs whose validation results to keep per collection ($IPETL_KEEP_SNAPSHOTS).",
)
def vacuum(home, catalog, data, keep):
    """Expire old snapshots, merge small files, delete files no kept snapshot uses (pictures too,
    but those of batches not yet published and those stored in the last day), keep the
    validation results (Data Docs) of each collection's newest --keep runs, and remove what
    killed runs left behind."""
    from connectors.home import HomeLayout
    from expectations.datadocs import prune_validations
    from ipetl.pipeline import sweep
    from ipetl.pipeline.images import PICTURE_GRACE, pending_pictures
    from warehouse.images import vacuum_pictures
    from warehouse.lake import LakeError
    from warehouse.lake import vacuum as vacuum_lake

    if keep < 1:
        _fail("--keep must be at least 1", 2)
    home_path, lake = _lake(home, catalog, data)
    try:
        result = vacuum_lake(lake, keep)
        before = (dt.datetime.now(dt.UTC) - PICTURE_GRACE).timestamp()
        pictures = vacuum_pictures(lake, result.kept, pending_pictures(home_path), before)
    except LakeError as exc:
        _fail(str(exc), 3)
    leftovers = sweep(home_path)
    pruned = prune_validations(HomeLayout(home_path).gx, keep)
    click.echo(
        f"kept snapshots {', '.join(map(str, result.kept)) or 'none'}; expired {result.expired} snapshot(s); "
        f"removed {result.files_removed} file(s), {pictures} picture file(s) no kept snapshot names, "
        f"{len(pruned)} validation result(s) and {len(leftovers)} leftover(s) of killed runs"
    )


@cli.command()
@home_option
@lake_options
def verify(home, catalog, data):
    """Check that every file of the current snapshot is there with the size it was written with."""
    from warehouse import lake as lakes

    _, lake = _lake(home, catalog, data)
    try:
        con = lakes.connect(lake, read_only=True)
        try:
            problems = lakes.verify(con, lake)
        finally:
            con.close()
    except lakes.LakeError as exc:
        _fail(str(exc), 3)
    for problem in problems:
        click.echo(f"ipetl: damaged: {problem}", err=True)
    click.echo(f"{len(problems)} damaged file(s)" if problems else "every file of the current snapshot is whole")
    sys.exit(1 if problems else 0)


@cli.command()
@click.argument("sql")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table")
@click.option("--snapshot", type=int, default=None, help="Query this lake snapshot instead of the current one.")
@home_option
@lake_options
def query(sql, fmt, snapshot, home, catalog, data):
    """Run SQL on the lake (views trademarks, designs, events, deleted, quarantine, deliveries, coverage,
    unmapped_events)."""
    _run_sql(home, catalog, data, snapshot, sql, [], fmt)


@cli.command("unmapped-events")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table")
@home_option
@lake_options
def unmapped_events(fmt, home, catalog, data):
    """The offices' event codes that no table maps to an event category yet, with how many events
    and records carry each (their events are published with category null)."""
    _run_sql(home, catalog, data, None, "SELECT * FROM unmapped_events", [], fmt)


def _run_sql(home, catalog, data, snapshot, sql: str, params: list, fmt: str) -> None:
    import duckdb

    from ipetl.pipeline import registry_rows
    from warehouse.catalog import check_read_only, open_catalog
    from warehouse.lake import LakeError

    home_path, lake = _lake(home, catalog, data)
    try:
        con = open_catalog(lake, home_path, registry_rows(), snapshot)
    except LakeError as exc:
        _fail(str(exc))
    try:
        check_read_only(con, sql)
        cursor = con.execute(sql, params)
        columns = [d[0] for d in cursor.description] if cursor.description else []
        rows = cursor.fetchall() if columns else []
    except PermissionError as exc:
        _fail(str(exc), 2)
    except duckdb.Error as exc:
        _sql_failure(exc)
    finally:
        con.close()
    if fmt == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(columns)
        writer.writerows(rows)
    elif fmt == "json":
        click.echo(
            json.dumps(
                [dict(zip(columns, r, strict=True)) for r in rows], ensure_ascii=False, default=_json_default, indent=1
            )
        )
    else:
        _print_table(columns, rows)


@cli.command()
@click.argument("text", required=False)
@click.option(
    "--image",
    type=click.Path(exists=True, dir_okay=False),
    help="Search by picture: marks and designs whose images look like this file's.",
)
@click.option(
    "--class",
    "classes",
    type=click.IntRange(1, 45),
    multiple=True,
    help="Nice class; repeat for several (any matches).",
)
@click.option("--office", "offices", multiple=True, help="ST.3 office code; repeat for several.")
@click.option(
    "--status", "statuses", type=click.Choice(["Registered", "Pending", "Ended", "Expired", "Unknown"]), multiple=True
)
@click.option("--vienna", multiple=True, help="Vienna code CC.SS.EE; repeat for several (any matches).")
@click.option("--locarno", multiple=True, help="Locarno class CC-SS, with --image; repeat for several.")
@click.option(
    "--fuzzy", is_flag=True, help="Jaro-Winkler similarity of the whole mark text instead of the clearance search."
)
@click.option("--min-similarity", type=click.FloatRange(0, 1), default=0.85, show_default=True, help="With --fuzzy.")
@click.option("--limit", type=int, default=20, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table")
@click.option("--snapshot", type=int, default=None)
@home_option
@lake_options
def search(
    text,
    image,
    classes,
    offices,
    statuses,
    vienna,
    locarno,
    fuzzy,
    min_similarity,
    limit,
    fmt,
    snapshot,
    home,
    catalog,
    data,
):
    """Search trademarks for brand clearance: words, sounds, transliterations and typos of TEXT in
    mark texts and applicant names, in any script, each hit with how it matched; or --fuzzy; or
    marks and designs by picture (--image)."""
    if (text is None) == (image is None):
        raise click.UsageError("give a TEXT to search for, or --image PATH (not both)")
    if locarno and image is None:
        raise click.UsageError("--locarno filters a search by picture (--image)")
    named = {
        "classes": list(classes) or None,
        "offices": [o.upper() for o in offices] or None,
        "statuses": list(statuses) or None,
        "vienna": list(vienna) or None,
        "lim": limit,
    }
    if image is not None:
        from transforms.images import ImageRejected, analyse

        try:
            picture = analyse(Path(image).read_bytes())
        except ImageRejected as exc:
            raise click.ClickException(f"{image}: {exc}") from None
        args: list[object] = [picture.phash, picture.dhash, picture.shapehash]
        named["locarno"] = list(locarno) or None
        macro, columns = (
            "similar_images",
            "st13, design_number, view, office, status, title, distance, thumbnail",
        )
        placeholders = ", ".join(["?::UBIGINT"] * 3 + [f"{k} := ?" for k in named])
    else:
        args = [text]
        if fuzzy:
            named.pop("vienna")
            named["min_similarity"] = min_similarity
            macro, columns = (
                "similar_marks",
                "st13, office, mark_text, applicant_names, status, nice_classes, round(similarity, 3) AS similarity",
            )
        else:
            macro, columns = (
                "search_marks",
                "st13, office, mark_text, applicant_names, status, nice_classes, match, round(score, 3) AS score",
            )
        placeholders = ", ".join(["?"] + [f"{k} := ?" for k in named])
    _run_sql(
        home,
        catalog,
        data,
        snapshot,
        f"SELECT {columns} FROM {macro}({placeholders})",
        args + list(named.values()),
        fmt,
    )


def _print_table(columns: list[str], rows: list[tuple]) -> None:
    """Columns aligned by display width (wcwidth): a Korean, Chinese or Japanese character takes
    two columns, a combining mark none; control characters show as spaces; cells cut at 60."""
    import wcwidth

    def cell(value: object) -> str:
        return _CONTROL.sub(" ", "" if value is None else str(value))

    def fit(text: str, width: int) -> str:
        if wcwidth.width(text) > width:
            text = wcwidth.clip(text, 0, width - 1) + "…"
        return wcwidth.ljust(text, width)

    cells = [[cell(v) for v in row] for row in rows]
    widths = [min(60, max([wcwidth.width(c)] + [wcwidth.width(r[i]) for r in cells])) for i, c in enumerate(columns)]
    click.echo("  ".join(fit(c, w) for c, w in zip(columns, widths, strict=True)))
    click.echo("  ".join("-" * w for w in widths))
    for r in cells:
        click.echo("  ".join(fit(v, w) for v, w in zip(r, widths, strict=True)))
    click.echo(f"({len(rows)} row{'s' if len(rows) != 1 else ''})", err=True)


if __name__ == "__main__":
    main()
