"""Progress shown to the operator (connectors.progress.Progress, which pure code is told of):
a tqdm bar on a terminal, elsewhere a line every `every` seconds while a piece of work goes on
(a file fetched, a file read). Either way a line when it ends, and one for each note (where it
looks, a retry and its wait): log records of the logger `ipetl.progress`, with the step,
collection and delivery as fields."""

from __future__ import annotations

import dataclasses
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from connectors.progress import Progress

log = logging.getLogger("ipetl.progress")


def amount(value: float, unit: str) -> str:
    """1.5 MiB, 1,234 records, 3."""
    if unit == "B":
        size = float(value)
        for prefix in ("", "Ki", "Mi", "Gi"):
            if size < 1024 or prefix == "Gi":
                return f"{size:.0f} B" if not prefix else f"{size:.1f} {prefix}B"
            size /= 1024
    count = f"{int(value):,}"
    return f"{count} {unit}{'' if int(value) == 1 else 's'}" if unit else count


@dataclass
class Shown(Progress):
    """bar: draw tqdm bars (stderr is a terminal); else a line every `every` seconds.
    step, collection: what the lines say first ("fetch ustm: ..."), see within()."""

    bar: bool = False
    every: float = 30.0
    step: str = ""
    collection: str | None = None
    _label: str = ""
    _total: int | None = None
    _unit: str = ""
    _done: int = 0
    _started: float = 0.0
    _last: float = 0.0
    _tqdm: Any = field(default=None, repr=False)

    def within(self, step: str, collection: str | None = None) -> Shown:
        """The same progress, for one step (fetch, normalize, gate, publish) of a collection."""
        return dataclasses.replace(self, step=step, collection=collection, _tqdm=None)

    def for_worker(self) -> Shown:
        """For a pool's process: plain lines (bars from several processes would tear each other)."""
        return dataclasses.replace(self, bar=False, _tqdm=None)

    def _say(self, level: int, text: str) -> None:
        head = " ".join(part for part in (self.step, self.collection) if part)
        message = ": ".join(part for part in (head, self._label, text) if part)
        extra = {"step": self.step or None, "collection": self.collection, "delivery": self._label or None}
        log.log(level, message, extra=extra)

    def begin(self, label: str, total: int | None = None, unit: str = "", done: int = 0) -> None:
        self._label, self._total, self._unit, self._done = label, total, unit, done
        self._started = self._last = time.monotonic()
        if self.bar:
            from tqdm import tqdm

            head = " ".join(part for part in (self.step, self.collection, label) if part)
            self._tqdm = tqdm(
                desc=head,
                total=total,
                initial=done,
                unit=unit or "it",
                unit_scale=unit == "B",
                unit_divisor=1024 if unit == "B" else 1000,
                leave=False,
            )

    def advance(self, amount_done: int) -> None:
        self._done += amount_done
        if self._tqdm is not None:
            self._tqdm.update(amount_done)
            return
        now = time.monotonic()
        if now - self._last >= self.every:
            self._last = now
            self._say(logging.INFO, self._so_far() + f" after {now - self._started:.0f} s")

    def end(self) -> None:
        if self._tqdm is not None:
            self._tqdm.close()
            self._tqdm = None
        took = time.monotonic() - self._started
        self._say(logging.INFO, f"{self._so_far()} in {took:.1f} s")
        self._label = ""

    def note(self, message: str) -> None:
        self._say(logging.INFO, message)

    def _so_far(self) -> str:
        done = amount(self._done, self._unit)
        if self._total:
            return f"{done} of {amount(self._total, self._unit)} ({self._done / self._total:.0%})"
        return done
