"""Resource failures: the run's failure, never the delivery's.

A full disk, too many open files, a permission the operator forgot, exhausted memory: none of
these says anything about the delivery being read, so it must not be rejected or quarantined
for them. They are raised as ResourceError, which ends the run with one line naming what ran
out and where, leaves the delivery pending for the next run and the last snapshot as it was.
"""

from __future__ import annotations

import errno

# errno values that describe this machine, not the bytes of a delivery
RESOURCE_ERRNOS = {
    errno.ENOSPC: "no space left on device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EFBIG: "file too large for this file system or limit",
    errno.EMFILE: "too many open files",
    errno.ENFILE: "too many open files in the system",
    errno.ENOMEM: "out of memory",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.EROFS: "read-only file system",
    errno.EIO: "input/output error",
}


class ResourceError(Exception):
    """The machine ran out of something (or refused): the run fails, the delivery stays pending."""


def resource_error(exc: BaseException, where: str | None = None) -> ResourceError | None:
    """The ResourceError an exception stands for (itself, or what caused it: libraries wrap
    OSErrors in their own exceptions), or None when it is about the input itself."""
    seen = set()
    link: BaseException | None = exc
    while link is not None and id(link) not in seen:
        seen.add(id(link))
        if isinstance(link, ResourceError):
            return link
        if isinstance(link, MemoryError):
            return ResourceError(f"out of memory{f' while reading {where}' if where else ''}")
        if isinstance(link, OSError) and link.errno in RESOURCE_ERRNOS:
            place = link.filename or where
            return ResourceError(f"{RESOURCE_ERRNOS[link.errno]}{f': {place}' if place else ''}")
        if any(
            s in str(link).lower() for s in ("no space left on device", "disk is full")
        ):  # DuckDB's errors carry no errno
            return ResourceError(f"no space left on device: {str(link).strip().splitlines()[0]}")
        link = link.__cause__ or link.__context__
    return None
