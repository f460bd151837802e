"""The quality gate: Great Expectations suites run on every batch before it is published.

Each canonical batch is projected (with DuckDB) into a flat frame: the scalar fields plus one
derived column per list rule (`_nice_invalid` holds the first Nice class outside 1..45, ...).
The suites in expectations/suites/*.json run on that frame through a file-based GX context
under the home. A record that breaks a record-level rule goes to quarantine with the rule id
and the failing value; the rest pass. Table-level rules (share of quarantined records) fail
the whole batch.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import os
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from transforms.normalize import quarantine_row
from transforms.records import QuarantineRow
from transforms.rules import CollectionRules
from transforms.schema import EVENT_CATEGORIES, KEYS, KINDS
from transforms.values import ST3_CODES

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

SUITES = resources.files("expectations") / "suites"
MAX_QUARANTINE_SHARE = float(os.environ.get("IPETL_MAX_QUARANTINE_SHARE", "0.5"))
MIN_BATCH_FOR_SHARE_RULE = 20  # a share of a handful of records says nothing

# Dates go to the frame as days since 1970-01-01: numeric comparisons are vectorized in pandas,
# datetime ones are not (5x slower on a 1M-row batch). _failing_value turns them back into dates.
DATE_COLUMNS = ("application_date", "registration_date", "expiry_date", "status_date", "_earliest_filing_date")
EPOCH = dt.date(1970, 1, 1)


def _days(expr: str) -> str:
    return f"datediff('day', DATE '1970-01-01', {expr})::INTEGER"


_COMMON_COLUMNS = "st13, office, collection, application_number, registration_number, status, " + ", ".join(
    f"{_days(c)} AS {c}" for c in DATE_COLUMNS[:4]
)
_COMMON_DERIVED = f"""
    CASE WHEN st13 IS NOT NULL AND office IS NOT NULL AND NOT starts_with(st13, office) THEN st13 END
        AS _st13_office_mismatch,
    {_days("least(application_date, list_min(list_transform(priorities, p -> p.date)))")}
        AS _earliest_filing_date,
    len(list_filter(applicants, a -> a.name IS NOT NULL)) AS _applicants_named,
    list_filter(list_concat(list_transform(list_concat({{parties}}), a -> a.country_code),
                            list_transform(priorities, p -> p.country_code), designated_countries),
                c -> c IS NOT NULL AND NOT list_contains($st3, c))[1] AS _country_invalid,
    list_filter(events, e -> e.category IS NOT NULL AND NOT list_contains($event_categories, e.category))[1].category
        AS _event_category_invalid
"""
FRAMES = {
    "trademarks": f"""
        SELECT _row, {_COMMON_COLUMNS}, mark_feature, mark_text,
        {_COMMON_DERIVED.format(parties="applicants, representatives")},
        list_filter(kind, k -> NOT list_contains($kinds, k))[1] AS _kind_invalid,
        list_filter(nice_classes, c -> c < 1 OR c > 45)[1] AS _nice_invalid,
        list_filter(vienna_codes, v -> NOT regexp_full_match(v, '\\d{{2}}\\.\\d{{2}}\\.\\d{{2}}'))[1]
            AS _vienna_invalid,
        coalesce(list_max(list_transform(goods_services, g -> length(g.text))), 0) AS _goods_services_max_length
        FROM batch""",
    "designs": f"""
        SELECT _row, {_COMMON_COLUMNS}, design_number, product_indication,
        {_COMMON_DERIVED.format(parties="applicants, designers, representatives")},
        list_filter(locarno_classes, c -> NOT regexp_full_match(c, '(0[1-9]|[12][0-9]|3[0-2])-\\d{{2}}'))[1]
            AS _locarno_invalid
        FROM batch""",
}
MAX_LABEL = 160  # bytes of delivery names in a label: run names and batch ids are file names
UNIQUE_RULE = {"trademarks": "TM-ST13-UNIQUE", "designs": "DS-KEY-UNIQUE"}


@dataclass
class GateResult:
    passed: pa.Table
    quarantine: list[QuarantineRow] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # table-level: the batch must not be published
    validation: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.failures


@dataclass(frozen=True)
class BatchLabel:
    """What a validation is of, as the Data Docs name it: the collection (the data asset), the
    deliveries in the batch and the run that staged it (<home>/staging/<collection>/<run_id>/)."""

    collection: str
    deliveries: tuple[str, ...]
    run_id: str

    @property
    def batch_identifier(self) -> str:
        """`<collection> <deliveries>`; past three deliveries, the first and last and how many.
        Also a file name of the context's store: no `/`, and short enough."""
        names = [d.replace("/", "_").replace("\\", "_") for d in self.deliveries]
        shown = ", ".join(names) if len(names) <= 3 else f"{names[0]} … {names[-1]} ({len(names)} deliveries)"
        return f"{self.collection} {shown.encode()[:MAX_LABEL].decode(errors='ignore')}"

    @property
    def run_name(self) -> str:
        return f"{self.batch_identifier} {self.run_id}"


def load_suite_json(table: str) -> dict:
    return json.loads((SUITES / f"{table}.json").read_text())


@cache
def gx_context(gx_root: str):
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    from expectations.datadocs import SITE_CONFIG, SITE_NAME

    context = gx.get_context(mode="file", project_root_dir=gx_root)
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    context.variables.data_docs_sites = {SITE_NAME: SITE_CONFIG}
    context.variables.save()
    return context


@cache
def _suite_and_batch(gx_root: str, table: str, collection: str):
    """The table's suite (each expectation described by its rule id) and the collection's asset:
    one pandas data asset per collection, named after it, with a batch of the whole frame."""
    from great_expectations.core.expectation_suite import ExpectationSuite

    context = gx_context(gx_root)
    source = context.data_sources.all().get("ipetl") or context.data_sources.add_pandas("ipetl")  # keeps its assets
    asset = next((a for a in source.assets if a.name == collection), None) or source.add_dataframe_asset(collection)
    batch_definition = next((b for b in asset.batch_definitions if b.name == "whole"), None) or (
        asset.add_batch_definition_whole_dataframe("whole")
    )
    suite_json = load_suite_json(table)
    for expectation in suite_json["expectations"]:
        expectation["description"] = _describe(expectation["meta"])
    return context.suites.add_or_update(ExpectationSuite(**suite_json)), batch_definition


def _describe(meta: dict[str, Any], limits: str = "") -> str:
    """How Data Docs name an expectation: its rule id (as quarantine rows name it) and what it asks."""
    return f"{meta['rule_id']}: {meta.get('description', '')}{limits}"


def prepare() -> None:
    """Import GX now rather than in the first validate (seconds): `ipetl run --jobs N` does it
    while its pool normalizes. Only the import: a context or suite loaded early could be stale
    by the time another process on the same home has validated (they take turns, under a lock)."""
    import great_expectations  # noqa: F401


def _frame(table: str, batch: pa.Table):
    con = duckdb.connect()
    try:
        con.register("batch", batch)
        params: dict[str, list[str]] = {"st3": sorted(ST3_CODES), "event_categories": list(EVENT_CATEGORIES)}
        if table == "trademarks":
            params["kinds"] = list(KINDS)
        return con.execute(FRAMES[table], params).to_arrow_table().to_pandas()  # 2x faster than .df()
    finally:
        con.close()


def _failing_value(entry: dict[str, Any]) -> str | None:
    values = []
    for column, value in entry.items():
        if column == "_row" or value is None or (isinstance(value, float) and math.isnan(value)):
            continue
        if column in DATE_COLUMNS:
            values.append(str(EPOCH + dt.timedelta(days=int(value))))
        elif isinstance(value, float) and value.is_integer():
            values.append(str(int(value)))
        else:
            values.append(str(value))
    return ", ".join(values) or None


def validate(
    table: str,
    batch: pa.Table,
    rules: CollectionRules,
    collections: list[str],
    gx_root: str | os.PathLike,
    *,
    now: dt.datetime,
    label: BatchLabel,
) -> GateResult:
    """Run the table's suite on a canonical batch; split it into passed rows and quarantine.

    `now` is the gate's time (the run time of the stored validation, the quarantine rows' time;
    its UTC date is the `today` of the not-in-the-future rules); `label` names the batch in the
    Data Docs. The result is stored in the GX context under gx_root for the Data Docs."""
    today = now.astimezone(dt.UTC).date()
    if batch.num_rows == 0:
        return GateResult(passed=batch)
    batch = batch.append_column("_row", pa.array(range(batch.num_rows), pa.int64()))
    frame = _frame(table, batch)

    from great_expectations.validator.v1_validator import Validator

    suite, batch_definition = _suite_and_batch(str(gx_root), table, label.collection)
    result = Validator(
        batch_definition=batch_definition,
        batch_parameters={"dataframe": frame},
        result_format={"result_format": "COMPLETE", "unexpected_index_column_names": ["_row"]},
    ).validate_expectation_suite(
        suite,
        {"today": (today - EPOCH).days, "st3_codes": sorted(ST3_CODES), "collections": collections},
    )
    failed: dict[int, list[tuple[str, str | None, str]]] = {}
    for outcome in result.results:
        if outcome.success:
            continue
        config = outcome.expectation_config
        assert config is not None  # a suite's results name their expectations
        meta = config.meta or {}
        rule_id = meta.get("rule_id", config.type)
        if outcome.exception_info and outcome.exception_info.get("raised_exception"):
            raise RuntimeError(
                f"expectation {rule_id} could not run: {outcome.exception_info.get('exception_message')}"
            )
        entries = outcome.result.get("unexpected_index_list") or []
        if rule_id == UNIQUE_RULE[table]:  # the last record of a duplicated key is the one kept
            superseded = _superseded_rows(batch, table)
            entries = [entry for entry in entries if int(entry["_row"]) in superseded]
        for entry in entries:
            row = int(entry["_row"])
            failed.setdefault(row, []).append((rule_id, _failing_value(entry), meta.get("description", "")))

    rows = sorted(failed)
    indices = pa.array(rows, pa.int64())
    source_files = batch.column("source_file").take(indices).to_pylist()
    st13s = batch.column("st13").take(indices).to_pylist()
    quarantine = [
        quarantine_row(rules, source_files[i], st13s[i], rule_id, value, description, now)
        for i, row in enumerate(rows)
        for rule_id, value, description in failed[row]
    ]
    keep = np.ones(batch.num_rows, dtype=bool)
    keep[rows] = False
    passed = batch.filter(pa.array(keep)).drop_columns(["_row"])
    gate = GateResult(passed=passed, quarantine=quarantine)
    share = len(failed) / batch.num_rows
    if batch.num_rows >= MIN_BATCH_FOR_SHARE_RULE and share > MAX_QUARANTINE_SHARE:
        gate.failures.append(
            f"{len(failed)} of {batch.num_rows} records ({share:.0%}) broke record rules, over the "
            f"{MAX_QUARANTINE_SHARE:.0%} a batch may lose (IPETL_MAX_QUARANTINE_SHARE)"
        )
    gate.validation = _store(str(gx_root), result, label, now, batch.num_rows, len(failed), gate.failures)
    return gate


def _store(
    gx_root: str,
    result,
    label: BatchLabel,
    now: dt.datetime,
    records: int,
    quarantined: int,
    failures: list[str],
) -> dict:
    """Store the validation for the Data Docs, as the gate decided it: named after the batch;
    a success unless a table rule failed (a record rule quarantines records, it fails no batch);
    dates as dates, helper columns under the rule that uses them, without the complete lists of
    unexpected values and rows (the quarantine has them). Returns what was stored."""
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    run_id = RunIdentifier(run_name=label.run_name, run_time=now)
    result.success = not failures
    result.meta["run_id"] = run_id
    result.meta["validation_time"] = now
    result.meta["batch_spec"] = {
        "data_asset_name": label.collection,
        "deliveries": list(label.deliveries),
        "run": label.run_id,
        "records": records,
        "quarantined_records": quarantined,
        "table_rule_failures": failures,
    }
    helpers = {
        column: outcome.expectation_config.meta["rule_id"]
        for outcome in result.results
        for name in ("column", "column_A", "column_B")
        if (column := outcome.expectation_config.kwargs.get(name, "")).startswith("_")
    }
    for outcome in result.results:
        _readable(outcome, helpers)
    context = gx_context(gx_root)
    key = ValidationResultIdentifier(
        expectation_suite_identifier=ExpectationSuiteIdentifier(name=result.suite_name),
        run_id=run_id,
        batch_identifier=label.batch_identifier,
    )
    context.validation_results_store.set(key, result)
    return result.to_json_dict()


def _readable(outcome, helpers: dict[str, str]) -> None:
    """One expectation's result as Data Docs show it (see _store)."""
    config = outcome.expectation_config
    kwargs = config.kwargs
    dated = {kwargs.get(name) for name in ("column", "column_A", "column_B")} & set(DATE_COLUMNS)
    limits = []
    for bound, word in (("min_value", "from"), ("max_value", "up to")):
        if dated and isinstance(kwargs.get(bound), int | float):
            kwargs[bound] = _as_date(kwargs[bound])
            limits.append(f"{word} {kwargs[bound]}")
    config.description = _describe(config.meta, f" ({', '.join(limits)})" if limits else "")
    for name in ("column", "column_A", "column_B"):
        if kwargs.get(name) in helpers:
            kwargs[name] = helpers[kwargs[name]]
    found = outcome.result
    for bulky in ("unexpected_list", "unexpected_index_list", "unexpected_index_query"):
        found.pop(bulky, None)
    found["partial_unexpected_list"] = [_shown(v, bool(dated)) for v in found.get("partial_unexpected_list", [])]
    for count in found.get("partial_unexpected_counts", []):
        count["value"] = _shown(count["value"], bool(dated))
    found["partial_unexpected_index_list"] = [
        {helpers.get(c, c): _shown(v, c in DATE_COLUMNS) for c, v in entry.items()}
        for entry in found.get("partial_unexpected_index_list", [])
    ]


def _as_date(days: float) -> str:
    return str(EPOCH + dt.timedelta(days=int(days)))


def _shown(value: Any, dated: bool) -> Any:
    """A frame value (or a pair of them) as Data Docs show it: a date column's days since 1970 as
    an ISO date, a whole number that pandas made a float (beside a null) as an integer."""
    if isinstance(value, list | tuple):
        return [_shown(v, dated) for v in value]
    if isinstance(value, bool) or not isinstance(value, int | float) or not float(value).is_integer():
        return value
    return _as_date(value) if dated else int(value)


def _superseded_rows(batch: pa.Table, table: str) -> set[int]:
    """Rows whose key appears again later in the batch (the office's later record wins)."""
    keys = ", ".join(KEYS[table])
    con = duckdb.connect()
    try:
        con.register("batch", batch.select([*KEYS[table], "_row"]))
        found = con.execute(
            f"SELECT _row FROM (SELECT _row, max(_row) OVER (PARTITION BY {keys}) AS _last FROM batch)"
            " WHERE _row < _last"
        ).fetchall()
    finally:
        con.close()
    return {r[0] for r in found}
