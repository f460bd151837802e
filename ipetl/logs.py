"""The command line's logging, configured once by ipetl/cli.py: lines on stderr for the operator
(text, or JSON lines with --log-format json), and each `ipetl run`'s own log under the home
(HomeLayout.run_log) in the same format.

Text on stderr: warnings and errors as `ipetl: message` (the command line's one-line errors),
the rest as `HH:MM:SS message`. JSON: one object a line with time, level, logger, message and
the record's fields among FIELDS (run_id, step, collection, delivery). Pool processes forked by
a run inherit the handlers, so their lines reach stderr and the run's log too.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

FIELDS = ("run_id", "step", "collection", "delivery")
OURS = ("ipetl", "connectors", "transforms", "expectations", "warehouse", "dags")  # --verbose: their debug lines
QUIET, NORMAL, VERBOSE = logging.WARNING, logging.INFO, logging.DEBUG
FORMATS = ("text", "json")


class JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        data.update({name: getattr(record, name) for name in FIELDS if getattr(record, name, None) is not None})
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False, default=str)


class OperatorText(logging.Formatter):
    """stderr: `ipetl: message` for warnings and errors, `HH:MM:SS message` for the rest."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if record.levelno >= logging.WARNING:
            return f"ipetl: {message}"
        return f"{dt.datetime.fromtimestamp(record.created).strftime('%H:%M:%S')} {message}"


class FileText(logging.Formatter):
    """A run's log file: the UTC time, level, logger and the record's fields on each line."""

    def format(self, record: logging.LogRecord) -> str:
        time = dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds")
        fields = "".join(f" {name}={getattr(record, name)}" for name in FIELDS if getattr(record, name, None))
        line = f"{time} {record.levelname:<7} {record.name}{fields}: {record.getMessage()}"
        return line + ("\n" + self.formatException(record.exc_info) if record.exc_info else "")


class _RunId(logging.Filter):
    """Stamps each record with the run it belongs to (set while a run logs)."""

    run_id: str | None = None

    def filter(self, record: logging.LogRecord) -> bool:
        if self.run_id is not None and getattr(record, "run_id", None) is None:
            record.run_id = self.run_id
        return True


class _Stderr(logging.StreamHandler[TextIO]):
    """Writes to whatever sys.stderr is when a record comes (a test runner swaps it); on a
    terminal through tqdm, so that a progress bar is redrawn below the line, not torn by it."""

    def __init__(self, terminal: bool):
        super().__init__()
        self.terminal = terminal

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, value: TextIO) -> None:
        pass

    def emit(self, record: logging.LogRecord) -> None:
        if not self.terminal:
            super().emit(record)
            return
        from tqdm import tqdm

        try:
            tqdm.write(self.format(record), file=sys.stderr)
        except Exception:
            self.handleError(record)


_RUN_ID = _RunId()
_OWN = "_ipetl_handler"  # marks the handlers configure() added, so that a second call replaces them


def configure(level: int = NORMAL, fmt: str = "text", terminal: bool = False) -> None:
    """Log to stderr at `level` (QUIET, NORMAL, VERBOSE) in `fmt` ("text" or "json");
    terminal: stderr is a terminal showing progress bars. Replaces an earlier configuration."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, _OWN, False)]:
        root.removeHandler(handler)
    handler = _Stderr(terminal)
    handler.setLevel(level)
    handler.setFormatter(JsonLines() if fmt == "json" else OperatorText())
    _own(handler)
    root.addHandler(handler)
    root.setLevel(logging.WARNING)  # other libraries: their warnings only (GX says much at INFO)
    for name in OURS:
        logging.getLogger(name).setLevel(logging.DEBUG if level <= VERBOSE else logging.INFO)
    # urllib3 warns of each retry in 300 characters; connectors.sources says it in a line of its own
    logging.getLogger("urllib3").setLevel(logging.WARNING if level <= VERBOSE else logging.ERROR)


def _own(handler: logging.Handler) -> None:
    setattr(handler, _OWN, True)
    handler.addFilter(_RUN_ID)


class _RunFile(logging.FileHandler):
    """A run's log: written as well as can be. A full disk or a folder that cannot be made must
    not stop the run nor add a traceback to stderr, which says the same things."""

    def handleError(self, record: logging.LogRecord) -> None:
        pass


@contextmanager
def run_log(path: Path, run_id: str, fmt: str = "text", level: int = NORMAL) -> Iterator[None]:
    """While the block runs: every record is stamped with run_id and also written to `path`
    (created with its folder at the first record; --verbose: debug lines too)."""
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
    handler = _RunFile(path, encoding="utf-8", delay=True)
    handler.setLevel(min(level, NORMAL))
    handler.setFormatter(JsonLines() if fmt == "json" else FileText())
    _own(handler)
    root = logging.getLogger()
    root.addHandler(handler)
    _RUN_ID.run_id = run_id
    try:
        yield
    finally:
        _RUN_ID.run_id = None
        root.removeHandler(handler)
        handler.close()
