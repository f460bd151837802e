"""Run WIPO's own transformation (wipo-gbd-transformation) on delivery files; runs in .venv-gbd.

    .venv-gbd/bin/python tests/gbd/transform_with_gbd.py JOBS.json OUT.json

JOBS.json is a list of [template, path] pairs (template: WIPO's name for an office's collection,
`altm`, `sgid` ...); OUT.json gets, per path, one result per record of the file: {"gbd": <its
GBD JSON record>} or {"error": "<the exception>"}, the one-line reason WIPO's code refused the
record, kept as a finding, not hidden. This is how WIPO's `gbd-transform` command drives it
(gbdtransformation/execs.py `_run_per_file`): `Parser(template).run(path)` renders the office's
template.yml over one record's document, read by xmltodict.
"""

from __future__ import annotations

import contextlib
import copy
import json
import re
import sys
import tempfile

from gbdtransformation.parser import Parser
from lxml import etree

_DEFAULT_NAMESPACE = re.compile(rb'xmlns="([^"]*)"')
# GBD transforms one record per document: the elements a delivery may hold several of.
_RECORD_TAGS = ("TradeMark", "DesignApplication", "TMBRAND")
# The TMview envelope some of WIPO's templates read the record from (bgtm, rotm ...).
_ENVELOPE = "Transaction.TradeMarkTransactionBody.TransactionContentDetails.TransactionData.TradeMarkDetails.TradeMark"


def record_documents(data: bytes) -> list[bytes]:
    """One document per record of a delivery: a record with what encloses it, without the other
    records (a wrapper holding nothing but records, like <TMBRANDS>, is left out)."""
    root = etree.fromstring(data)
    records = [e for e in root.iter() if isinstance(e.tag, str) and etree.QName(e).localname in _RECORD_TAGS]
    if len(records) < 2:
        return [data]
    documents = []
    for keep in range(len(records)):
        if all(child in records for child in root):
            document = records[keep]
        else:
            document = copy.deepcopy(root)
            found = [e for e in document.iter() if isinstance(e.tag, str) and etree.QName(e).localname in _RECORD_TAGS]
            for number, element in enumerate(found):
                parent = element.getparent()
                if number != keep and parent is not None:
                    parent.remove(element)
        documents.append(etree.tostring(document, encoding="UTF-8", xml_declaration=True))
    return documents


def in_template_shape(data: bytes, parser: Parser) -> bytes:
    """A fixture's record as WIPO's template reads it. Our fixtures, written from element trees
    that record neither the XML namespace nor an envelope, use ST.66's namespace and start at the
    tree's root; a template reads its office's own namespace (the one it lists to ignore) or none,
    and some begin at TMview's `Transaction` envelope. Real samples already have their office's
    shape and pass unchanged."""
    found = _DEFAULT_NAMESPACE.search(data)
    readable = parser.env.filters.get("ignore_namespace", [])
    if found is not None and found.group(1).decode() not in readable:
        declaration = f'xmlns="{readable[0]}"'.encode() if readable else b""
        data = data[: found.start()] + declaration + data[found.end() :]
    template_source = parser.env.loader.get_source(parser.env, "template.yml")[0]
    root = etree.fromstring(data)
    if _ENVELOPE in template_source and etree.QName(root).localname == "TradeMark":
        wrappers = _ENVELOPE.split(".")[:-1]
        opening = "".join(f"<{tag}>" for tag in wrappers).encode()
        closing = "".join(f"</{tag}>" for tag in reversed(wrappers)).encode()
        data = opening + etree.tostring(root, encoding="UTF-8") + closing
    return data


def transform_record(parser: Parser, document: bytes, work: str) -> dict:
    shaped = f"{work}/record.xml"  # WIPO's loader reads .xml files
    with open(shaped, "wb") as out:
        out.write(in_template_shape(document, parser))
    try:
        # Loading a template's filter modules prints to stdout the ones it has not: keep them out.
        with contextlib.redirect_stdout(sys.stderr):
            rendered = parser.run(shaped, raise_errors=True)
    except Exception as error:  # WIPO's refusal of a record is the result here
        return {"error": f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"}
    return {"gbd": json.loads(rendered) if isinstance(rendered, str) else rendered}


def transform(template: str, path: str) -> list[dict]:
    """WIPO's result for each record of a file: {"gbd": record} or {"error": reason}."""
    with contextlib.redirect_stdout(sys.stderr):
        parser = Parser(template)
    with open(path, "rb") as source, tempfile.TemporaryDirectory() as work:
        return [transform_record(parser, document, work) for document in record_documents(source.read())]


def main(jobs_file: str, out_file: str) -> None:
    with open(jobs_file, encoding="utf-8") as jobs:
        results = {path: transform(template, path) for template, path in json.load(jobs)}
    with open(out_file, "w", encoding="utf-8") as out:
        json.dump(results, out, ensure_ascii=False)


if __name__ == "__main__":
    main(*sys.argv[1:])
