"""Downloads: each scorecard view in every format the registry has for it, and a published
pack's files, rendered once at publication and served unchanged with their SHA-256."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
from collections.abc import Iterator

import openpyxl
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from webutil import ORG, REASON, sign_in

from kpiboard.boardpack import PublishedPack
from kpiboard.render import PACK, RenderOptions, render
from kpiboard.web.db import AppStore
from kpiboard.web.service import ScorecardService
from kpiboard.web.urls import download_formats


def test_every_scorecard_format_downloads(client: TestClient, service: ScorecardService) -> None:
    sign_in(client, "viewer")
    page = client.get(f"/scorecard/{ORG}/2009-08").text
    formats = [f for f, _ in download_formats()]
    assert {"html", "json", "csv", "md"} <= set(formats) and "table" not in formats
    for fmt in formats:
        assert f'href="/scorecard/{ORG}/2009-08/scorecard.{fmt}"' in page
        got = client.get(f"/scorecard/{ORG}/2009-08/scorecard.{fmt}")
        assert got.status_code == 200, (fmt, got.text[:300])
        suffix = "csv" if fmt == "csv-excel" else fmt
        assert f'filename="scorecard-{ORG}-2009-08.{suffix}"' in got.headers["content-disposition"]
    got = client.get(f"/scorecard/{ORG}/2009-08/scorecard.json")
    assert got.headers["content-type"] == "application/json"
    # the scorecard the page shows, naming the vintage it was built from
    card = dataclasses.replace(service.scorecard(ORG, "2009-08"), vintage=1)
    assert got.json() == json.loads(render(card, "json"))
    pdf = client.get(f"/scorecard/{ORG}/2009-08/scorecard.pdf")
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF-")
    csv = client.get(f"/scorecard/{ORG}/2009-08/scorecard.csv")
    assert csv.headers["content-type"] == "text/csv; charset=utf-8"
    assert csv.content == render(card, "csv")


def test_a_download_carries_the_months_commentary(client: TestClient) -> None:
    csrf = sign_in(client, "editor")
    saved = client.post(
        f"/scorecard/{ORG}/2009-08/kpi/robbery/commentary",
        data={"text": "Robbery *fell* again.", "csrf_token": csrf},
    )
    assert saved.status_code == 303
    html = client.get(f"/scorecard/{ORG}/2009-08/scorecard.html").text
    assert "Robbery <em>fell</em> again." in html


def test_unknown_formats_are_404s_naming_the_formats(client: TestClient) -> None:
    sign_in(client, "viewer")
    for fmt in ("table", "docx"):
        got = client.get(f"/scorecard/{ORG}/2009-08/scorecard.{fmt}")
        assert got.status_code == 404 and "formats: json, csv, md, html" in got.text
    assert client.get(f"/packs/{ORG}/2009-08/pack.pdf").status_code == 404  # not published


@pytest.fixture
def txt_packs() -> Iterator[None]:
    """A pack format more, as an extension would register one: the pack's stamp as text."""

    def render_txt(pack: PublishedPack, options: RenderOptions) -> bytes:
        return f"{pack.scorecard.as_of} signed off by {pack.username}\n".encode()

    PACK.register("txt", render_txt)
    yield
    PACK.unregister("txt")


def test_a_published_packs_files_are_kept_and_served_unchanged(
    client: TestClient, app_store: AppStore, txt_packs: None
) -> None:
    csrf = sign_in(client, "approver")
    assert (
        client.post(
            f"/packs/{ORG}/2009-08", data={"csrf_token": csrf, "reason": REASON}
        ).status_code
        == 303
    )
    want = b"2009-08 signed off by approver\n"
    digest = hashlib.sha256(want).hexdigest()
    got = client.get(f"/packs/{ORG}/2009-08/pack.txt")
    assert got.status_code == 200 and got.content == want
    assert got.headers["x-kpiboard-sha256"] == digest
    assert got.headers["content-type"] == "application/octet-stream"
    assert digest in client.get(f"/packs/{ORG}/2009-08").text
    files = client.get(f"/api/packs/{ORG}/2009-08").json()["files"]
    formats = {f["format"]: f for f in files}
    assert formats["txt"]["sha256"] == digest and formats["txt"]["size"] == len(want)
    assert formats["txt"]["url"] == f"/packs/{ORG}/2009-08/pack.txt"
    # the renderer changing later changes nothing published
    PACK.register("txt", lambda pack, options: b"something else", replace=True)
    assert client.get(f"/packs/{ORG}/2009-08/pack.txt").content == want
    # and the database refuses to change the stored bytes
    with pytest.raises(sa.exc.DatabaseError), app_store._engine.begin() as conn:
        conn.execute(sa.text("UPDATE pack_files SET content = :c"), {"c": b"forged"})
    assert client.get(f"/packs/{ORG}/2009-08/pack.txt").content == want
    missing = client.get(f"/packs/{ORG}/2009-08/pack.xyz")
    assert missing.status_code == 404 and "kept at publication: html" in missing.text


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_the_scorecard_downloads_as_an_excel_workbook(client: TestClient) -> None:
    sign_in(client, "viewer")
    got = client.get(f"/scorecard/{ORG}/2009-08/scorecard.xlsx")
    assert got.status_code == 200 and got.headers["content-type"] == XLSX
    assert got.headers["content-disposition"].startswith(
        f'attachment; filename="scorecard-{ORG}-2009-08.xlsx"'
    )
    card = client.get(f"/api/scorecards/{ORG}/2009-08").json()
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
    assert client.get(f"/scorecard/{ORG}/2009-08/scorecard.xlsx").content == got.content


def test_csv_for_excel_keeps_the_pound_sign_and_ends_in_csv(client: TestClient) -> None:
    sign_in(client, "viewer")
    got = client.get(f"/scorecard/{ORG}/2009-08/scorecard.csv-excel")
    assert got.status_code == 200 and got.headers["content-type"] == "text/csv; charset=utf-8"
    assert 'filename="scorecard-metropolitan-2009-08.csv"' in got.headers["content-disposition"]
    assert got.content.startswith(b"\xef\xbb\xbf") and b"\r\n" in got.content
    assert "£43.8m".encode() in got.content


def test_a_signed_out_reader_gets_no_file(client: TestClient) -> None:
    got = client.get(f"/scorecard/{ORG}/2009-08/scorecard.xlsx")
    assert got.status_code in (303, 401) and not got.content.startswith(b"PK")


def test_a_published_pack_keeps_its_workbook(client: TestClient, app_store: AppStore) -> None:
    csrf = sign_in(client, "approver")
    assert (
        client.post(
            f"/packs/{ORG}/2009-08", data={"csrf_token": csrf, "reason": REASON}
        ).status_code
        == 303
    )
    got = client.get(f"/packs/{ORG}/2009-08/pack.xlsx")
    assert got.status_code == 200 and got.headers["content-type"] == XLSX
    assert got.headers["x-kpiboard-sha256"] == hashlib.sha256(got.content).hexdigest()
    book = openpyxl.load_workbook(io.BytesIO(got.content))
    stamp = book["Summary"]["A2"].value
    assert stamp.startswith("Published pack for Aug-09, signed off on") and "(approver)" in stamp


def test_a_packs_pdf_names_the_packs_content_hash(client: TestClient, app_store: AppStore) -> None:
    pytest.importorskip("pypdf")
    from pypdf import PdfReader

    csrf = sign_in(client, "approver")
    assert (
        client.post(
            f"/packs/{ORG}/2009-07", data={"csrf_token": csrf, "reason": REASON}
        ).status_code
        == 303
    )
    pub = app_store.publication(ORG, "2009-07")
    assert pub is not None
    got = client.get(f"/packs/{ORG}/2009-07/pack.pdf")
    assert got.status_code == 200 and got.headers["content-type"] == "application/pdf"
    assert got.headers["x-kpiboard-sha256"] == hashlib.sha256(got.content).hexdigest()
    cover = PdfReader(io.BytesIO(got.content)).pages[0].extract_text()
    assert pub.content_hash in cover.replace("\n", "")
    assert "Published pack for Jul-09, signed off on" in cover.replace("\n", " ")
    assert pub.content_hash not in pub.pack_html  # the HTML cannot hold its own hash
