"""Whether a process, or a process group, still runs: signal 0 asks without disturbing it."""

from __future__ import annotations

import os
from collections.abc import Callable


def _answers(send: Callable[[int, int], None], target: int) -> bool:
    try:
        send(target, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it runs, as another user
        return True
    return True


def process_alive(pid: int) -> bool:
    return _answers(os.kill, pid)


def group_alive(pgid: int) -> bool:
    return _answers(os.killpg, pgid)
