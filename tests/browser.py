"""Open pages in a headless Chromium (Qt WebEngine, from the PySide6-WebEngine wheel: the browser
ships inside it, nothing is downloaded at first use) and report what a person would see, after
the pages' scripts ran: the visible text and the cells of every table; optionally a screenshot.

    python -m tests.browser OUT.json PAGE [PAGE ...] [--screenshot-dir DIR]

It runs in a process of its own (one Qt application per process, and a hung page cannot hang
the tests): see `render`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

# what the page shows: its text as rendered (display:none left out) and each table's cells
_READ = """JSON.stringify({
    title: document.title,
    text: document.body.innerText,
    tables: Array.from(document.querySelectorAll('table')).map(t =>
        Array.from(t.querySelectorAll('tr')).map(r => Array.from(r.cells).map(c => c.innerText.trim()))),
})"""
SETTLE_MS = 500  # after the load: bootstrap-table builds the index's rows from its data
TIMEOUT_MS = 60_000


def render(pages: list[Path], out: Path, screenshot_dir: Path | None = None, timeout: float = 120) -> list[dict]:
    """What each page shows in the browser (dicts with title, text, tables), in order."""
    args = [sys.executable, "-m", "tests.browser", str(out), *map(str, pages)]
    if screenshot_dir is not None:
        args += ["--screenshot-dir", str(screenshot_dir)]
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",  # no display
        QTWEBENGINE_CHROMIUM_FLAGS="--no-sandbox",  # Chromium's sandbox refuses to run as root
    )
    proc = subprocess.run(args, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(out.read_text())


def _main(argv: list[str]) -> int:
    from PySide6.QtCore import QTimer, QUrl
    from PySide6.QtWebEngineWidgets import QWebEngineView
    from PySide6.QtWidgets import QApplication

    screenshot_dir = None
    if "--screenshot-dir" in argv:
        at = argv.index("--screenshot-dir")
        screenshot_dir = Path(argv[at + 1])
        argv = argv[:at] + argv[at + 2 :]
    out, pages = Path(argv[0]), [Path(p) for p in argv[1:]]
    app = QApplication([])
    view = QWebEngineView()
    view.resize(1400, 1000)
    view.show()
    seen: list[dict] = []
    failures: list[str] = []

    def load_next() -> None:
        if len(seen) == len(pages):
            app.quit()
            return
        view.load(QUrl.fromLocalFile(str(pages[len(seen)].resolve())))

    def read(page: Path) -> None:
        def got(found: str) -> None:
            if screenshot_dir is not None:
                view.grab().save(str(screenshot_dir / f"{len(seen)}.png"))
            seen.append(json.loads(found))
            load_next()

        view.page().runJavaScript(_READ, 0, got)

    def loaded(ok: bool) -> None:
        page = pages[len(seen)]
        if not ok:
            failures.append(f"{page}: did not load")
            app.quit()
            return
        QTimer.singleShot(SETTLE_MS, lambda: read(page))

    def timed_out() -> None:
        failures.append(f"timed out after {TIMEOUT_MS} ms on {pages[len(seen)]}")
        app.quit()

    view.loadFinished.connect(loaded)
    QTimer.singleShot(TIMEOUT_MS, timed_out)
    load_next()
    app.exec()
    if failures:
        print("\n".join(failures), file=sys.stderr)
        return 1
    out.write_text(json.dumps(seen))
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
