"""How a long piece of work goes, told by the code doing it: bytes fetched, records read, a retry
and its wait. Pure code (connectors, transforms, warehouse) calls a Progress and never prints;
this one shows nothing, the command line's shows a bar on a terminal and periodic lines
otherwise (ipetl/progress.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager


class Progress:
    """Told of one piece of work at a time (a file fetched, a file read); shows nothing."""

    def begin(self, label: str, total: int | None = None, unit: str = "", done: int = 0) -> None:
        """A piece of work starts: `done` of its `total` units (None: unknown) are already done."""

    def advance(self, amount: int) -> None:
        """`amount` more units of the current piece are done."""

    def end(self) -> None:
        """The current piece ended (finished or failed)."""

    def note(self, message: str) -> None:
        """Something to know while the work goes on (a retry and its wait), one line."""

    def within(self, step: str, collection: str | None = None) -> Progress:
        """The same progress, told of one step (fetch, normalize ...) of a collection; this one is itself."""
        return self

    def for_worker(self) -> Progress:
        """The same progress, for a pool's process (it is pickled there); this one is itself."""
        return self

    @contextmanager
    def task(
        self, label: str, total: int | None = None, unit: str = "", done: int = 0
    ) -> Iterator[Callable[[int], None]]:
        """begin ... end around a block, which is given `advance`."""
        self.begin(label, total, unit, done)
        try:
            yield self.advance
        finally:
            self.end()


NO_PROGRESS = Progress()
