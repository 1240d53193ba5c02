"""Bulk entry on the demo project (issue 16, item 4): the month's template as XLSX (identifiers
locked, inputs unlocked and validated) or CSV; an upload previewed row by row, then saved as
drafts all or nothing; every refusal names its row and leaves the database as it was."""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from webutil import EXAMPLE, ORG, api_sign_in, csrf_of

from kpiboard.web.bulk import COLUMNS, MAX_UNPACKED_BYTES, SHEET, BulkError, read_upload
from kpiboard.web.db import AppStore, EntryConflict, EntryState, Figures, NotAnOwner, Role, User
from kpiboard.web.db.entries import Draft

SEP = "2009-09"
BASE = f"/api/entries/{ORG}/{SEP}"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def client(own_client: TestClient) -> TestClient:
    return own_client


def _steps(store: AppStore) -> int:
    return sum(len(store.entry_history(ORG, e.measure, e.month)) for e in store.latest_entries())


def _csv(rows: list[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=COLUMNS)
    w.writeheader()
    for r in rows:
        w.writerow(r)
    return out.getvalue().encode()


def _row(**figures: Any) -> dict[str, Any]:
    return {"org": ORG, "measure": "networks_disrupted", "month": SEP, "base": 0, **figures}


def _upload(client: TestClient, who: dict[str, str], data: bytes, *, preview: bool = False) -> Any:
    name = "figures.xlsx" if data.startswith(b"PK") else "figures.csv"
    return client.post(
        f"{BASE}/upload" + ("?preview=1" if preview else ""),
        files={"file": (name, data)},
        headers=who,
    )


def test_the_xlsx_template_locks_identifiers_and_validates_inputs(client: TestClient) -> None:
    api_sign_in(client, "editor")
    got = client.get(f"{BASE}/template.xlsx")
    assert got.status_code == 200, got.text
    assert got.headers["content-type"] == XLSX
    assert "attachment" in got.headers["content-disposition"]
    wb = load_workbook(io.BytesIO(got.content))
    assert wb.sheetnames == [SHEET, "Read me"]
    ws = wb[SHEET]
    assert [c.value for c in ws[1]] == list(COLUMNS)
    row = {name: ws.cell(2, i + 1) for i, name in enumerate(COLUMNS)}
    assert (row["org"].value, row["measure"].value, row["month"].value) == (
        ORG,
        "networks_disrupted",
        SEP,
    )
    assert (row["row"].value, row["kind"].value, row["base"].value) == ("4b", "count", 0)
    assert ws.max_row == 2  # the one measure entered from Sep-09
    assert ws.protection.sheet
    for name in ("org", "measure", "month", "row", "title", "unit", "kind", "base"):
        assert row[name].protection.locked, name
    for name in ("value", "sample_size", "provisional", "note", "reason"):
        assert not row[name].protection.locked, name
    # a count takes a value: its numerator and denominator stay locked
    assert row["numerator"].protection.locked and row["denominator"].protection.locked
    assert ws.column_dimensions["O"].hidden  # base
    validations = {dv.type: dv for dv in ws.data_validations.dataValidation}
    assert set(validations) == {"decimal", "list", "textLength"}
    assert validations["decimal"].operator == "greaterThanOrEqual"
    assert validations["decimal"].formula1 == "0"
    assert "J2" in str(validations["decimal"].sqref)  # value
    assert validations["list"].formula1 == '"yes,no"' and "L2" in str(validations["list"].sqref)
    assert validations["textLength"].formula1 == "2000" and "M2" in str(
        validations["textLength"].sqref
    )
    assert "How to fill in" in str(wb["Read me"]["A1"].value)


def test_a_filled_xlsx_template_previews_then_saves(
    client: TestClient, app_store: AppStore
) -> None:
    editor = api_sign_in(client, "editor")
    wb = load_workbook(io.BytesIO(client.get(f"{BASE}/template.xlsx").content))
    ws = wb[SHEET]
    ws["J2"] = 31
    ws["M2"] = "from ops"
    out = io.BytesIO()
    wb.save(out)
    data = out.getvalue()
    preview = _upload(client, editor, data, preview=True)
    assert preview.status_code == 200, preview.text
    [row] = preview.json()["rows"]
    assert row["problems"] == []
    assert preview.json()["ok"] and row["saves"] and row["where"] == f"{SHEET}!2"
    assert row["figures"]["value"] == 31 and row["problems"] == []
    assert _steps(app_store) == 0  # a preview saves nothing
    saved = _upload(client, editor, data)
    assert saved.status_code == 201, saved.text
    [step] = saved.json()["saved"]
    assert (step["measure"], step["step"], step["state"]) == ("networks_disrupted", 1, "draft")
    assert step["figures"]["note"] == "from ops" and step["author"] == "editor"
    assert _steps(app_store) == 1
    events = [e.event for e in app_store.audit_log(limit=5)]
    assert "entry_draft" in events
    # the same file again is a conflict (the figure moved on since base 0): nothing saved
    again = _upload(client, editor, data)
    assert again.status_code == 409, again.text
    assert again.json()["error"]["current"]["figures"]["value"] == 31
    assert _steps(app_store) == 1
    # a fresh template carries the draft and its step, as CSV too
    text = client.get(f"{BASE}/template.csv").content.decode("utf-8-sig")
    [line] = list(csv.DictReader(io.StringIO(text)))
    assert (line["value"], line["base"], line["note"]) == ("31", "1", "from ops")
    # sent back as it came, it changes nothing (an approved figure is not revised by being listed)
    fresh = client.get(f"{BASE}/template.xlsx").content
    [same] = _upload(client, editor, fresh, preview=True).json()["rows"]
    assert (same["skip"], same["saves"], same["problems"]) == ("unchanged", False, [])
    nothing = _upload(client, editor, fresh)
    assert nothing.status_code == 422 and "blank or unchanged" in nothing.json()["error"]["message"]
    assert _steps(app_store) == 1


@pytest.mark.parametrize(
    ("row", "where", "field", "says"),
    [
        (_row(measure="made_up", value=3), "line 2", "measure", "not a measure you may enter"),
        (_row(value="lots"), "line 2", "value", "must be a number"),
        (_row(value=1e13), "line 2", "value", "too big"),
        (_row(value=3, month="2009-08"), "line 2", "month", "this upload is for 2009-09"),
        (_row(numerator=3, denominator=-1), "line 2", "denominator", "cannot be negative"),
        (_row(value=400), "line 2", "value", "outside the process limits"),
    ],
)
def test_a_row_with_a_problem_is_named_and_nothing_is_saved(
    client: TestClient, app_store: AppStore, row: dict[str, Any], where: str, field: str, says: str
) -> None:
    editor = api_sign_in(client, "editor")
    data = _csv([row])
    preview = _upload(client, editor, data, preview=True)
    assert preview.status_code == 200, preview.text
    [got] = [r for r in preview.json()["rows"] if r["problems"]]
    assert got["where"] == where and not got["saves"]
    assert any(p["field"] == field and says in p["message"] for p in got["problems"]), got
    refused = _upload(client, editor, data)
    assert refused.status_code == 422, refused.text
    assert "nothing was saved" in refused.json()["error"]["message"]
    assert _steps(app_store) == 0


def test_one_bad_row_keeps_the_good_one_from_being_saved(
    client: TestClient, app_store: AppStore
) -> None:
    editor = api_sign_in(client, "editor")
    data = _csv([_row(value=31), _row(measure="made_up", value=2)])
    refused = _upload(client, editor, data)
    assert refused.status_code == 422
    rows = refused.json()["error"]["rows"]
    assert [(r["where"], r["saves"]) for r in rows] == [("line 2", True), ("line 3", False)]
    assert _steps(app_store) == 0
    noted = _csv([_row(value=400, note="joint operation")])
    assert _upload(client, editor, noted).status_code == 201
    assert _steps(app_store) == 1


def test_a_wrong_header_names_the_columns_expected(client: TestClient, app_store: AppStore) -> None:
    editor = api_sign_in(client, "editor")
    got = _upload(client, editor, b"measure,figure\nnetworks_disrupted,3\n", preview=True)
    assert got.status_code == 422, got.text
    message = got.json()["error"]["message"]
    assert (
        "expected the columns org, measure, month" in message and "got measure, figure" in message
    )
    assert _upload(client, editor, b"\x00\xff\xfe garbage").status_code == 422
    assert _steps(app_store) == 0


def test_csrf_and_a_viewer_are_refused(client: TestClient, app_store: AppStore) -> None:
    editor = api_sign_in(client, "editor")
    data = _csv([_row(value=31)])
    no_token = client.post(f"{BASE}/upload", files={"file": ("f.csv", data)})
    assert no_token.status_code == 403 and no_token.json()["error"]["code"] == "csrf_failed"
    assert editor  # signed in, but without the token
    viewer = api_sign_in(client, "viewer")
    assert client.get(f"{BASE}/template.xlsx").status_code == 403
    # a viewer whom no measure names is refused outright, as for the template
    for preview in (True, False):
        got = _upload(client, viewer, data, preview=preview)
        assert got.status_code == 403, got.text
        assert "may enter no figures" in got.json()["error"]["message"]
    assert _steps(app_store) == 0


def test_read_upload_refuses_what_is_not_a_template() -> None:
    with pytest.raises(BulkError, match="no sheet"):
        from openpyxl import Workbook

        wb = Workbook()
        out = io.BytesIO()
        wb.save(out)
        read_upload(out.getvalue())
    with pytest.raises(BulkError, match="empty"):
        read_upload(b"  ")
    bomb = io.BytesIO()  # a small file that unpacks to more than any template
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/worksheets/sheet1.xml", b"\0" * (MAX_UNPACKED_BYTES + 1))
    assert len(bomb.getvalue()) < 100_000
    with pytest.raises(BulkError, match="unpacks to"):
        read_upload(bomb.getvalue())
    [row] = read_upload(_csv([_row(value="1,234", provisional="maybe", base="x")]))
    assert row.figures is not None and row.figures.value == 1234
    assert {p.field for p in row.problems} == {"provisional", "base"}


def test_save_entries_writes_every_draft_or_none(store: AppStore, people: dict[Role, User]) -> None:
    editor = people[Role.EDITOR]
    enter = ["role:editor"]
    first = Draft("savings", Figures(value=4.2), 0, enter)
    stale = Draft("arrests", Figures(value=9), 3, enter)  # the template was older than this
    with pytest.raises(EntryConflict):
        store.save_entries("MPS", "2009-08", [first, stale], editor)
    stranger = Draft("arrests", Figures(value=9), 0, ["finance"])
    with pytest.raises(NotAnOwner):
        store.save_entries("MPS", "2009-08", [first, stranger], editor)
    assert store.latest_entries() == []  # neither call left the first draft behind
    assert store.audit_log(limit=1)[0].event == "permission_denied"
    saved = store.save_entries(
        "MPS", "2009-08", [first, Draft("arrests", Figures(9), 0, enter)], editor
    )
    assert [(s.measure, s.number, s.state) for s in saved] == [
        ("savings", 1, EntryState.DRAFT),
        ("arrests", 1, EntryState.DRAFT),
    ]
    assert [e.event for e in store.audit_log(limit=2)] == ["entry_draft", "entry_draft"]


def test_the_upload_page_previews_then_saves_the_same_file(
    client: TestClient, app_store: AppStore
) -> None:
    api_sign_in(client, "editor")
    page = f"/entries/{ORG}/{SEP}/upload"
    got = client.get(page)
    assert got.status_code == 200, got.text
    assert f"{BASE}/template.xlsx" in got.text and 'type="file"' in got.text
    token = csrf_of(got.text)
    bad = client.post(
        page,
        data={"csrf_token": token},
        files={"file": ("f.csv", _csv([_row(value="lots")]))},
    )
    assert bad.status_code == 200 and "must be a number" in bad.text
    assert "Save 1 figure" not in bad.text
    checked = client.post(
        page, data={"csrf_token": token}, files={"file": ("f.csv", _csv([_row(value=31)]))}
    )
    assert checked.status_code == 200 and "Save 1 figure as drafts" in checked.text
    assert _steps(app_store) == 0
    content = re.search(r'name="content" value="([^"]+)"', checked.text)
    assert content is not None
    refused = client.post(page, data={"content": content[1], "save": "1"})
    assert refused.status_code == 403 and _steps(app_store) == 0  # no CSRF token
    saved = client.post(page, data={"csrf_token": token, "content": content[1], "save": "1"})
    assert saved.status_code == 303, saved.text
    assert saved.headers["location"] == f"{page}?saved=1"
    assert "Saved 1 figure as drafts" in client.get(saved.headers["location"]).text
    assert _steps(app_store) == 1


SOFFICE = shutil.which("soffice")


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
def test_a_template_saved_again_by_libreoffice_reads_back(tmp_path: Path) -> None:
    """What an owner's own spreadsheet program writes: LibreOffice keeps the protection and
    the validations, and its XLSX and CSV read back to the same figures."""
    from kpiboard.catalogue.load import load_catalogue
    from kpiboard.web.bulk import template_rows, write_xlsx

    m = load_catalogue(EXAMPLE).measures["networks_disrupted"]
    wb = load_workbook(io.BytesIO(write_xlsx(template_rows(ORG, SEP, [(m, 0, None)]))))
    wb[SHEET]["J2"], wb[SHEET]["L2"] = 31, "yes"
    wb.save(tmp_path / "filled.xlsx")
    out = tmp_path / "lo"
    profile = f"-env:UserInstallation=file://{tmp_path}/profile"  # not the user's own
    for fmt in ("xlsx", "csv"):
        command = [str(SOFFICE), "--headless", profile, "--convert-to", fmt, "--outdir", str(out)]
        command.append(str(tmp_path / "filled.xlsx"))
        subprocess.run(command, check=True, capture_output=True, timeout=120)
    kept = load_workbook(out / "filled.xlsx")[SHEET]
    assert kept.protection.sheet and kept["A2"].protection.locked
    assert not kept["J2"].protection.locked and len(kept.data_validations.dataValidation) == 3
    for name in ("filled.xlsx", "filled.csv"):
        [row] = read_upload((out / name).read_bytes())
        assert row.problems == () and row.base == 0, name
        assert row.figures is not None and (row.figures.value, row.figures.provisional) == (
            31,
            True,
        )


def test_a_month_written_short_in_the_address_is_the_month_the_rows_name(
    client: TestClient,
) -> None:
    editor = api_sign_in(client, "editor")
    got = client.post(
        f"/api/entries/{ORG}/2009-9/upload?preview=1",
        files={"file": ("f.csv", _csv([_row(value=31)]))},
        headers=editor,
    )
    assert got.status_code == 200, got.text
    assert got.json()["month"] == SEP and got.json()["ok"]
    bad = client.post(
        f"/api/entries/{ORG}/2009-13/upload?preview=1",
        files={"file": ("f.csv", _csv([_row(value=31)]))},
        headers=editor,
    )
    assert bad.status_code == 400 and "has no month 13" in bad.json()["error"]["message"]
