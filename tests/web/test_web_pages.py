"""The dashboard's pages: what they show equals the engine's Scorecard, and bad addresses are
404 pages, not tracebacks."""

from __future__ import annotations

import json
from html import unescape

import pytest
from fastapi.testclient import TestClient
from webutil import MONTH, ORG, AppFactory, sign_in

from kpiboard.render import render
from kpiboard.render.viewmodel import sections
from kpiboard.web.service import ScorecardService


def test_home_redirects_to_the_latest_month_of_the_home_organisation(
    client: TestClient, service: ScorecardService
) -> None:
    sign_in(client, "viewer")
    got = client.get("/")
    assert got.status_code == 303
    assert got.headers["location"] == f"/scorecard/{ORG}/{service.latest_month}"


def test_signed_out_reader_is_sent_to_sign_in(client: TestClient) -> None:
    got = client.get(f"/scorecard/{ORG}/{MONTH}")
    assert (
        got.status_code == 303
        and got.headers["location"] == f"/login?next=/scorecard/{ORG}/{MONTH}"
    )
    api = client.get(f"/api/scorecards/{ORG}/{MONTH}")
    assert api.status_code == 401 and api.json()["error"]["code"] == "sign_in_required"


def test_anonymous_read_is_a_setting(make_client: AppFactory) -> None:
    anon = make_client(anonymous_read=True)
    assert anon.get(f"/scorecard/{ORG}/{MONTH}").status_code == 200
    assert anon.get(f"/api/scorecards/{ORG}/{MONTH}").status_code == 200
    # reading only: writing still needs an account
    assert (
        anon.post(f"/api/commentary/{ORG}/{MONTH}/robbery", json={"text": "x"}).status_code == 401
    )


def test_scorecard_page_shows_every_row_as_the_engine_computed_it(
    client: TestClient, service: ScorecardService
) -> None:
    sign_in(client, "viewer")
    html = unescape(client.get(f"/scorecard/{ORG}/{MONTH}").text)
    card = service.scorecard(ORG, MONTH)
    lines = [line for s in sections(card) for line in s.lines]
    assert len(lines) == len(card.all_rows()) > 20
    for line in lines:
        start = html.index(f'id="{line.anchor}"')
        cell = html[start : html.index("</tr>", start)]
        assert line.row.title in cell
        assert line.latest in cell
        assert f'<span class="word">{line.status.word}</span>' in cell
        if line.status.key != "none":
            assert f'<span class="letter">{line.status.letter}</span>' in cell  # never colour alone
        if line.row.status_reason:
            assert line.row.status_reason in cell
        assert f"/scorecard/{ORG}/{MONTH}/kpi/{line.row.measure}" in cell


def test_api_scorecard_is_the_json_contract(client: TestClient, service: ScorecardService) -> None:
    sign_in(client, "viewer")
    got = client.get(f"/api/scorecards/{ORG}/{MONTH}")
    assert got.status_code == 200
    assert got.json() == json.loads(render(service.scorecard(ORG, MONTH), "json"))
    assert got.headers["x-kpiboard-data-version"] == service.version.hash


def test_kpi_page_has_trend_values_peers_definition_and_commentary(
    client: TestClient, service: ScorecardService
) -> None:
    sign_in(client, "viewer")
    card = service.scorecard(ORG, MONTH)
    row = next(r for r in card.all_rows() if r.spc is not None and r.ranks)
    html = unescape(client.get(f"/scorecard/{ORG}/{MONTH}/kpi/{row.measure}").text)
    assert row.title in html and row.status_reason in html
    assert "<svg" in html  # SPC and trend charts, static SVG
    assert f"Show the {len(row.spc.points)} monthly values" in html
    for point in row.spc.points:
        assert f'<th scope="row">{point.label}</th>' in html
    for rank in row.ranks:
        assert f"{rank.group}: {rank.text}" in html
    league = service.league(ORG, MONTH, row.measure)
    assert league is not None and 'class="chart chart-league"' in html  # the peer comparison chart
    measure = service.catalogue.measures[row.measure]
    assert f"<dd>{measure.window.value.replace('_', ' ')}</dd>" in html
    assert 'id="commentary"' in html and "No commentary yet." in html


def test_kpi_pages_print_a_ratio_as_a_ratio_and_say_where_figures_come_from(
    client: TestClient,
) -> None:
    """6b is ranked on its ratio: its peer mean is a mean of ratios, written "x : 1", and the
    chart's axis says so; a measure made from others names them as its source."""
    sign_in(client, "viewer")

    def page(measure: str) -> str:
        return unescape(client.get(f"/scorecard/{ORG}/{MONTH}/kpi/{measure}").text)

    ratio = page("recruits_minority")
    assert "mean of ratios 1.1 : 1" in ratio and "mean of rates" not in ratio
    assert "Ratio (x : 1)" in ratio and "Value (%)" not in ratio
    assert "<dt>Source</dt><dd>the ratio of Police officer recruits" in ratio
    assert "data/corporate.csv" in ratio
    parts = page("serious_acquisitive")
    assert "<dt>Source</dt><dd>sum of its parts Residential burglary, Robbery" in parts
    for measure in ("recruits_minority", "serious_acquisitive", "satisfaction_gap", "msv"):
        assert "no data loaded" not in page(measure), measure
    assert "<dt>Source</dt><dd>no data loaded</dd>" in page("counter_terrorism")


def test_summary_counts_every_kpi_once_by_status(
    client: TestClient, service: ScorecardService
) -> None:
    sign_in(client, "viewer")
    card = service.scorecard(ORG, MONTH)
    got = client.get(f"/api/scorecards/{ORG}/{MONTH}/summary").json()
    rows = card.all_rows()
    assert sum(got["counts"].values()) == len(rows)
    for key in ("red", "amber", "green"):
        assert got["counts"][key] == sum(
            1 for r in rows if r.status is not None and r.status.value == key
        )
    required = {k["measure"] for k in got["commentary_required"]}
    expected = {
        r.measure
        for r in rows
        if (r.status is not None and r.status.value == "red")
        or (r.spc is not None and r.spc.variation in ("concern_high", "concern_low"))
    }
    assert required == expected and required
    page = client.get(f"/summary/{ORG}/{MONTH}")
    assert page.status_code == 200 and "Commentary required" in page.text


def test_pickers_redirect_to_the_permalink(client: TestClient) -> None:
    sign_in(client, "viewer")
    got = client.get(
        "/scorecard", params={"org": "Metropolitan Police Service", "month": "2009-07"}
    )
    assert got.status_code == 303 and got.headers["location"] == f"/scorecard/{ORG}/2009-07"
    got = client.get("/scorecard", params={"org": ORG, "month": "2009-07", "view": "summary"})
    assert got.headers["location"] == f"/summary/{ORG}/2009-07"


@pytest.mark.parametrize(
    "path",
    [
        f"/scorecard/no-such-force/{MONTH}",
        f"/scorecard/{ORG}/2031-01",
        f"/scorecard/{ORG}/not-a-month",
        f"/scorecard/{ORG}/{MONTH}/kpi/no_such_kpi",
        f"/summary/nowhere/{MONTH}",
        f"/packs/{ORG}/{MONTH}",
        "/no/such/page",
    ],
)
def test_unknown_things_in_urls_are_404_pages(client: TestClient, path: str) -> None:
    sign_in(client, "viewer")
    got = client.get(path)
    assert got.status_code == 404
    assert got.headers["content-type"].startswith("text/html")
    assert "Traceback" not in got.text and "<h1>Not found</h1>" in got.text
    api = client.get(
        "/api" + path.replace("/scorecard/", "/scorecards/").replace("/kpi/", "/kpis/")
    )
    assert api.status_code == 404
    body = api.json()
    assert set(body) == {"error"} and set(body["error"]) == {"status", "code", "message", "hint"}
    assert body["error"]["status"] == 404 and body["error"]["code"] == "not_found"


def test_unknown_organisation_names_the_nearest(client: TestClient) -> None:
    sign_in(client, "viewer")
    got = client.get(f"/api/scorecards/metropolitn/{MONTH}").json()["error"]
    assert "metropolitn" in got["message"] and "metropolitan" in (got["hint"] or "").lower()


def test_openapi_lists_the_api(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for path in (
        "/api/scorecards/{org}/{month}",
        "/api/scorecards/{org}/{month}/kpis/{measure}",
        "/api/commentary/{org}/{month}/{measure}",
        "/api/packs",
        "/api/packs/{org}/{month}",
    ):
        assert path in spec["paths"], path
    assert client.get("/docs").status_code == 200


def _error_shape(body: dict[str, object], status: int) -> None:
    assert set(body) == {"error"}
    error = body["error"]
    assert isinstance(error, dict) and set(error) == {"status", "code", "message", "hint"}
    assert error["status"] == status and error["message"]


def test_one_error_shape_for_every_api_failure(client: TestClient) -> None:
    got = client.post("/api/session", json={"username": "viewer"})  # no password
    assert got.status_code == 422
    _error_shape(got.json(), 422)
    got = client.post("/api/session", json={"username": "viewer", "password": "wrong password"})
    assert got.status_code == 401
    _error_shape(got.json(), 401)
    got = client.put(f"/api/scorecards/{ORG}/{MONTH}")
    assert got.status_code == 405
    _error_shape(got.json(), 405)
    got = client.get("/api/no-such-thing")
    assert got.status_code == 404
    _error_shape(got.json(), 404)
    csrf = sign_in(client, "viewer")
    got = client.get("/api/audit")
    assert got.status_code == 403
    _error_shape(got.json(), 403)
    assert csrf


def test_a_month_before_an_organisations_data_is_a_404_in_a_web_users_words(
    client: TestClient,
) -> None:
    # the project's data start in 1994-12; Avon and Somerset's in 2001-04
    sign_in(client, "viewer")
    page = client.get("/scorecard/avon-and-somerset/1994-12")
    assert page.status_code == 404
    text = unescape(page.text)
    assert "No data for 1994-12: the data start in 2001-04" in text and "--as-of" not in text
    got = client.get("/api/scorecards/avon-and-somerset/1994-12")
    assert got.status_code == 404
    error = got.json()["error"]
    assert error["code"] == "not_found"
    assert error["message"] == "No data for 1994-12: the data start in 2001-04"
    assert "2001-04 to 2009-08" in error["hint"]
