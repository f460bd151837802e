"""Great Expectations Data Docs that open offline and report to no one.

GX 1.24 renders its site with stylesheets, scripts and fonts from public CDNs, and with a logo
from the vendor's S3 bucket whose query string carries the data context id (a beacon). After GX
builds the site, every page is rewritten to load the same files from copies vendored in
expectations/datadocs_assets/ (its README names each package, version, licence and npm
tarball), the logo comes from the site's own static/images, and links to the vendor's site are
removed. A remote asset that has no vendored copy stops the build: a page that would load it is
never left behind.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import re
import shutil
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit

import lxml.etree
import lxml.html

ASSETS = resources.files("expectations") / "datadocs_assets"
SITE_NAME = "local_site"
SITE = Path("gx", "uncommitted", "data_docs", SITE_NAME)  # where GX keeps it in the file context at gx_root
VENDOR = "static/vendor"  # the vendored assets inside the site
VALIDATIONS = Path("gx", "uncommitted", "validations")  # the context's validation results at gx_root
_RENDERERS = "expectations.datadocs_render"
SITE_CONFIG = {  # GX's default local site, with the renderers that tell passed with warnings from failed
    "class_name": "SiteBuilder",
    "show_how_to_buttons": True,
    "store_backend": {
        "class_name": "TupleFilesystemStoreBackend",
        "base_directory": f"uncommitted/data_docs/{SITE_NAME}/",
    },
    "site_index_builder": {
        "class_name": "DefaultSiteIndexBuilder",
        "renderer": {"module_name": _RENDERERS, "class_name": "IndexPageRenderer"},
    },
    "site_section_builders": {
        "validations": {"renderer": {"module_name": _RENDERERS, "class_name": "ValidationPageRenderer"}},
    },
}

_GX_WEB_ASSETS = "https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/"
# Every remote file GX 1.24's page templates load, and what replaces it (a path in the site).
LOCAL_COPIES = {
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css": (
        f"{VENDOR}/bootstrap-4.3.1/dist/css/bootstrap.min.css"
    ),
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js": (
        f"{VENDOR}/bootstrap-4.3.1/dist/js/bootstrap.min.js"
    ),
    "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.css": (
        f"{VENDOR}/forevolve-bootstrap-dark-1.1.0/dist/css/bootstrap-prefers-dark.min.css"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css": (
        f"{VENDOR}/bootstrap-datepicker-1.9.0/dist/css/bootstrap-datepicker.min.css"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js": (
        f"{VENDOR}/bootstrap-datepicker-1.9.0/dist/js/bootstrap-datepicker.min.js"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css": (
        f"{VENDOR}/fortawesome-fontawesome-free-6.6.0/css/all.min.css"
    ),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css": (
        f"{VENDOR}/bootstrap-table-1.19.1/dist/bootstrap-table.min.css"
    ),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js": (
        f"{VENDOR}/bootstrap-table-1.19.1/dist/bootstrap-table.min.js"
    ),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.js": (
        f"{VENDOR}/bootstrap-table-1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.js"
    ),
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.css": (
        f"{VENDOR}/bootstrap-table-1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.css"
    ),
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.min.css": (
        f"{VENDOR}/bootstrap-table-1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.min.css"
    ),
    "https://cdn.jsdelivr.net/npm/vega@5": f"{VENDOR}/vega-5.33.1/build/vega.min.js",
    "https://cdn.jsdelivr.net/npm/vega-lite@5": f"{VENDOR}/vega-lite-5.23.0/build/vega-lite.min.js",
    "https://cdn.jsdelivr.net/npm/vega-embed@6": f"{VENDOR}/vega-embed-6.29.0/build/vega-embed.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js": (
        f"{VENDOR}/popper.js-1.12.9/dist/umd/popper.min.js"
    ),
    "https://code.jquery.com/jquery-3.7.1.min.js": f"{VENDOR}/jquery-3.7.1/dist/jquery.min.js",
    _GX_WEB_ASSETS + "logo-long.png": "static/images/logo-long.png",
    _GX_WEB_ASSETS + "full_logo_dark.png": "static/images/logo-long.png",  # dark-mode logo: the site ships no dark one
}

URL_ATTRIBUTES = ("src", "href", "srcset", "poster", "data", "background", "xlink:href")
_REMOTE = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:)?//", re.IGNORECASE)
_CSS_REFERENCE = re.compile(
    r"""url\(\s*(?P<quote>['"]?)(?P<url>.*?)(?P=quote)\s*\)|@import\s+(?P<import_quote>['"])(?P<import_url>.*?)(?P=import_quote)""",
    re.IGNORECASE | re.DOTALL,
)
_PARSER = lxml.html.HTMLParser(no_network=True, huge_tree=False)


class UnvendoredAsset(RuntimeError):
    """A page or stylesheet loads a remote file that has no copy in datadocs_assets."""


def build_data_docs(gx_root: str | os.PathLike) -> Path:
    """Build the Data Docs site with GX, then make every page load only files inside the site."""
    from expectations.gate import gx_context

    gx_context(str(gx_root)).build_data_docs(site_names=[SITE_NAME])
    site = Path(gx_root) / SITE
    index = site / "index.html"
    if not index.is_file():
        raise RuntimeError(f"Great Expectations built no Data Docs at {site}")
    with resources.as_file(ASSETS) as assets:
        shutil.copytree(assets, site / VENDOR, dirs_exist_ok=True)
    for stylesheet in sorted((site / "static").rglob("*.css")):
        text = stylesheet.read_text(encoding="utf-8")
        localized = _localize_css(text, stylesheet.parent, site, stylesheet)
        if localized != text:
            stylesheet.write_text(localized, encoding="utf-8")
    for page in sorted(site.rglob("*.html")):
        localize_page(page, site)
    return index


def data_docs_index(gx_root: str | os.PathLike) -> Path | None:
    """The offline site's index page, or None when build_data_docs has not built one."""
    site = Path(gx_root) / SITE
    index = site / "index.html"
    return index if index.is_file() and (site / VENDOR).is_dir() else None


def prune_validations(gx_root: str | os.PathLike, keep: int) -> list[Path]:
    """Keep the validation results of each collection's newest `keep` runs, remove the others and
    their pages; the site's index is built again when it had links to them. Returns the results
    removed. A result is <suite>/<run name>/<run time>/<batch id>.json under VALIDATIONS, and the
    gate names runs `<collection> <deliveries> <run id>` (gate.BatchLabel)."""
    store = Path(gx_root) / VALIDATIONS
    results = sorted(store.glob("*/*/*/*.json"), key=lambda r: r.parent.name, reverse=True)  # newest first
    runs: dict[str, list[str]] = {}  # collection -> its run names, newest first
    for result in results:
        run_name = result.parent.parent.name
        names = runs.setdefault(run_name.split(" ")[0], [])
        if run_name not in names:
            names.append(run_name)
    kept = {name for names in runs.values() for name in names[:keep]}
    removed = [r for r in results if r.parent.parent.name not in kept]
    site = Path(gx_root) / SITE / "validations"
    for result in removed:
        relative = result.relative_to(store)
        result.unlink()
        (site / relative).with_suffix(".html").unlink(missing_ok=True)
        for folder in (relative.parent, relative.parent.parent):
            for root in (store, site):
                with contextlib.suppress(OSError):  # not empty: another result of the run is kept
                    (root / folder).rmdir()
    if removed and data_docs_index(gx_root) is not None:
        build_data_docs(gx_root)
    return removed


def _is_remote(url: str) -> bool:
    """http(s)://, any other scheme://, or protocol-relative //host: a load from another host."""
    return bool(_REMOTE.match(url))


def localize_page(page: Path, site: Path) -> None:
    """Rewrite one page of the site so that everything it loads is a file of the site."""
    document = lxml.html.document_fromstring(page.read_bytes(), parser=_PARSER)
    doctype = document.getroottree().docinfo.doctype  # type: ignore[attr-defined]  # lxml-stubs lack it
    _drop_remote_links(document)
    for element in document.iter(lxml.etree.Element):
        for name in URL_ATTRIBUTES:
            value = element.get(name)
            if value is not None:
                element.set(name, _localize_attribute(element, name, value, page, site))
        inline = element.get("style")
        if inline:
            element.set("style", _localize_css(inline, page.parent, site, page))
    for style in document.iter("style"):
        if style.text:
            style.text = _localize_css(style.text, page.parent, site, page)
    page.write_bytes(lxml.html.tostring(document, encoding="utf-8", doctype=doctype or None))


def _drop_remote_links(document) -> None:
    """A footer of links to the vendor (newsletter, tutorials) goes; a remote link in text becomes its text."""
    links = [a for a in document.xpath("//a[@href] | //area[@href]") if _is_remote(a.get("href"))]
    footers = {}
    for link in links:
        footer = next(link.iterancestors("footer"), None)
        if footer is None:
            link.drop_tag()
        else:
            footers[id(footer)] = footer
    for footer in footers.values():
        footer.drop_tree()


def _localize_attribute(element, name: str, value: str, page: Path, site: Path) -> str:
    if name == "srcset":
        return ", ".join(
            " ".join([_localize_url(url, page.parent, site, page), *descriptor])
            for url, *descriptor in (candidate.split() for candidate in value.split(",") if candidate.strip())
        )
    if _is_remote(value):
        local = _localize_url(value, page.parent, site, page)
        _check_integrity(element, page.parent / local)
        return local
    return _reanchor_static(value, page.parent, site)


def _localize_url(url: str, base: Path, site: Path, where: Path) -> str:
    """The vendored copy of a remote file, relative to base (the page's or stylesheet's folder)."""
    if not _is_remote(url):
        return url
    absolute = url.strip() if "://" in url else "https:" + url.strip()  # protocol-relative //host/...
    target = LOCAL_COPIES.get(urlsplit(absolute)._replace(query="", fragment="").geturl())  # drops the beacon's query
    if target is None:
        raise UnvendoredAsset(f"{where} loads {url}, which has no copy in expectations/datadocs_assets")
    return _relative(site / target, base)


def _localize_css(text: str, base: Path, site: Path, where: Path) -> str:
    def local(match: re.Match) -> str:
        url = match["url"] if match["url"] is not None else match["import_url"]
        return match[0].replace(url, _localize_url(url, base, site, where)) if _is_remote(url) else match[0]

    return _CSS_REFERENCE.sub(local, text)


def _reanchor_static(value: str, base: Path, site: Path) -> str:
    """GX counts the `../` of a validation page's favicon one level short; point static/ paths at the site's."""
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or "static/" not in parts.path or (base / parts.path).exists():
        return value
    return _relative(site / "static" / parts.path.split("static/", 1)[1], base)


def _check_integrity(element, file: Path) -> None:
    """Subresource integrity needs CORS, which file:// pages lack: verify the vendored copy here, then drop it."""
    expected = element.attrib.pop("integrity", None)
    element.attrib.pop("crossorigin", None)
    if not expected:
        return
    content = file.read_bytes()
    for token in expected.split():
        algorithm, _, digest = token.partition("-")
        if base64.b64encode(hashlib.new(algorithm, content).digest()).decode() == digest:
            return
    raise UnvendoredAsset(f"{file} does not match the integrity {expected} the page expects")


def _relative(target: Path, base: Path) -> str:
    return Path(os.path.relpath(target, base)).as_posix()
