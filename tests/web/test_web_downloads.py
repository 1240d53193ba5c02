"""The scorecard as a file from the dashboard: the Excel workbook and CSV for Excel of the month
the page shows, their numbers the API's, and the page links to them."""

from __future__ import annotations

import io

import openpyxl
from fastapi.testclient import TestClient
from webutil import MONTH, ORG, sign_in

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_the_scorecard_downloads_as_an_excel_workbook(client: TestClient) -> None:
    sign_in(client, "viewer")
    page = client.get(f"/scorecard/{ORG}/{MONTH}")
    assert f'href="/scorecard/{ORG}/{MONTH}/download/xlsx"' in page.text
    got = client.get(f"/scorecard/{ORG}/{MONTH}/download/xlsx")
    assert got.status_code == 200 and got.headers["content-type"] == XLSX
    assert got.headers["content-disposition"] == f'attachment; filename="{ORG}-{MONTH}.xlsx"'
    card = client.get(f"/api/scorecards/{ORG}/{MONTH}").json()
    book = openpyxl.load_workbook(io.BytesIO(got.content))
    ws = book["Scorecard"]
    header = [c.value for c in ws[5]]
    latest = {
        row[0]: row[header.index("Latest")]
        for row in ws.iter_rows(min_row=6, values_only=True)
        if row[0] and row[1]
    }
    for row in card["rows"]:
        if row["latest"] and row["latest"]["value"] is not None:
            value = row["latest"]["value"]
            expected = value / 100 if row["latest"]["unit"] == "%" else value
            assert latest[row["id"]] == float(f"{expected:.16G}"), row["id"]
    notes = [c for r in book["Notes"].iter_rows(values_only=True) for c in r if c]
    assert notes[notes.index("Data vintage") + 1] == "1"  # the vintage the dashboard shows
    # the same bytes on the next request
    assert client.get(f"/scorecard/{ORG}/{MONTH}/download/xlsx").content == got.content


def test_csv_for_excel_and_unknown_formats(client: TestClient) -> None:
    sign_in(client, "viewer")
    got = client.get(f"/scorecard/{ORG}/{MONTH}/download/csv-excel")
    assert got.status_code == 200 and got.headers["content-type"] == "text/csv; charset=utf-8"
    assert got.content.startswith(b"\xef\xbb\xbf") and b"\r\n" in got.content
    assert "£43.8m".encode() in got.content
    assert client.get(f"/scorecard/{ORG}/{MONTH}/download/docx").status_code == 404
    assert client.get(f"/scorecard/{ORG}/1990-01/download/xlsx").status_code == 404


def test_a_signed_out_reader_gets_no_file(client: TestClient) -> None:
    got = client.get(f"/scorecard/{ORG}/{MONTH}/download/xlsx")
    assert got.status_code in (303, 401) and not got.content.startswith(b"PK")
