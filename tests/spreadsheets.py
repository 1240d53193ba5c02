"""Write real XLSX (openpyxl) and ODS (OpenDocument, written out as LibreOffice does: identical
neighbouring cells and rows stored once with a repeat count, a long empty tail) files in tests,
laid out as government tables are: a cover sheet, a notes sheet, and a data sheet with title
rows above the header and a note below the table."""

from __future__ import annotations

import csv
import zipfile
from itertools import groupby
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import openpyxl

Cell = str | int | float | None
Sheet = tuple[str, list[list[Cell]]]


def typed(text: str) -> Cell:
    """A CSV cell as a spreadsheet holds it: whole numbers as numbers, blanks empty."""
    if text == "":
        return None
    try:
        return int(text)
    except ValueError:
        return text


def csv_rows(path: Path) -> list[list[Cell]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return [[typed(c) for c in row] for row in csv.reader(fh)]


def published(table: list[list[Cell]], title: str) -> list[Sheet]:
    """The table as a publication lays it out: cover, notes, and the data under titles."""
    data: list[list[Cell]] = [
        [title],
        ["England and Wales, year ending March 2018"],
        [],
        ["Source: Home Office"],
        [],
        *table,
        [],
        ["Note 1: figures are provisional"],
    ]
    return [
        ("Cover", [[title], [], ["This workbook contains the table below."]]),
        (
            "Notes",
            [["Note", "Text"], [1, "Figures are provisional"], [2, "Counts can be negative"]],
        ),
        ("Data", data),
    ]


def write_xlsx(path: Path, sheets: list[Sheet]) -> None:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets:
        ws = book.create_sheet(name)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                if value is not None:
                    ws.cell(row=r, column=c, value=value)
    book.save(path)


def _ods_cell(value: Cell) -> str:
    if value is None:
        return "<table:table-cell/>"
    if isinstance(value, (int, float)):
        return (
            f'<table:table-cell office:value-type="float" office:value="{value}">'
            f"<text:p>{value}</text:p></table:table-cell>"
        )
    text = escape(value).replace("  ", ' <text:s text:c="1"/>')
    return (
        f'<table:table-cell office:value-type="string"><text:p>{text}</text:p></table:table-cell>'
    )


def _ods_row(row: list[Cell]) -> str:
    cells = []
    for value, run in groupby(row):
        n = len(list(run))
        xml = _ods_cell(value)
        if n > 1:
            xml = xml.replace(
                "<table:table-cell", f'<table:table-cell table:number-columns-repeated="{n}"', 1
            )
        cells.append(xml)
    cells.append('<table:table-cell table:number-columns-repeated="1000"/>')  # the empty right
    return "".join(cells)


def write_ods(path: Path, sheets: list[Sheet]) -> None:
    body = []
    for name, rows in sheets:
        body.append(
            f"<table:table table:name={quoteattr(name)}>"
            '<table:table-column table:number-columns-repeated="30"/>'
        )
        for row, run in groupby(rows):
            n = len(list(run))
            repeat = f' table:number-rows-repeated="{n}"' if n > 1 else ""
            body.append(f"<table:table-row{repeat}>{_ods_row(row)}</table:table-row>")
        body.append(
            '<table:table-row table:number-rows-repeated="1048000">'
            '<table:table-cell table:number-columns-repeated="1024"/></table:table-row>'
            "</table:table>"
        )
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        "<office:body><office:spreadsheet>"
        + "".join(body)
        + "</office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            zipfile.ZipInfo("mimetype"),
            "application/vnd.oasis.opendocument.spreadsheet",
            compress_type=zipfile.ZIP_STORED,
        )
        z.writestr("META-INF/manifest.xml", manifest)
        z.writestr("content.xml", content)
