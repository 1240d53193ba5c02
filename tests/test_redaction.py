"""The one rule for showing a warehouse URL (kpiboard.redaction): each kind of secret
a warehouse URL may carry, hidden, and everything else shown as written."""

from __future__ import annotations

import pytest

from kpiboard.redaction import redact
from kpiboard.warehouse.connect import redact as redact_from_connect
from kpiboard.warehouse.spark_session import spark_url


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        # PostgreSQL: the user part's password, libpq's password parameters
        ("postgres://kpi:hunter22@db:5432/kpi", "postgres://kpi:***@db:5432/kpi"),
        ("postgresql://:hunter22@db/kpi", "postgresql://:***@db/kpi"),
        ("postgres://kpi@db/kpi?password=hunter22", "postgres://kpi@db/kpi?password=***"),
        (
            "postgres://kpi@db/kpi?sslmode=require&PASSWORD=a%26b&application_name=x",
            "postgres://kpi@db/kpi?sslmode=require&PASSWORD=***&application_name=x",
        ),
        ("postgres://db/kpi?sslpassword=k3y&port=5", "postgres://db/kpi?sslpassword=***&port=5"),
        # a password its writer did not percent-encode: the user part ends at the last @
        ("postgres://kpi:p@ss/w@db/kpi", "postgres://kpi:***@db/kpi"),
        # an @ in a parameter is not a user part
        ("postgres://kpi@db/kpi?options=a@b", "postgres://kpi@db/kpi?options=a@b"),
        # a conninfo string, as a driver's message may quote it
        ("host=db password='a b' dbname=kpi", "host=db password=*** dbname=kpi"),
        ("host=db password=hunter22 dbname=kpi", "host=db password=*** dbname=kpi"),
        # Spark Connect: the token, and every parameter but PySpark's four
        ("sc://localhost:15002/;token=abc123", "sc://localhost:15002/;token=***"),
        (
            "sc://h:15002/;use_ssl=true;user_id=ana;token=abc;user_agent=kb;x-proxy-key=s",
            "sc://h:15002/;use_ssl=true;user_id=ana;token=***;user_agent=kb;x-proxy-key=***",
        ),
        ("sc://h:15002/;x-tenant=acme", "sc://h:15002/;x-tenant=***"),
        ("sc://h/;token=abc==", "sc://h/;token=***"),  # one PySpark cannot read: hidden too
        # nothing secret: as written
        ("sc://localhost:15002", "sc://localhost:15002"),
        ("local[2]", "local[2]"),
        ("spark://master:7077", "spark://master:7077"),
        ("duckdb:///srv/kpi/warehouse.duckdb", "duckdb:///srv/kpi/warehouse.duckdb"),
        ("postgres://kpi@db:5432/kpi", "postgres://kpi@db:5432/kpi"),
    ],
)
def test_each_secret_a_url_may_carry_is_hidden(url: str, shown: str) -> None:
    assert redact(url) == shown
    assert redact(f"cannot connect to '{url}': refused") == f"cannot connect to '{shown}': refused"


def test_a_message_quoting_the_secret_alone_is_scrubbed_by_the_url() -> None:
    url = "postgres://kpi:hunter%2022@db/kpi?sslpassword=ssl-secret"
    said = "FATAL: bad password hunter 22 (hunter%2022), key ssl-secret, port 5432"
    assert redact(said, url) == "FATAL: bad password *** (***), key ***, port 5432"
    # a short secret is hidden where it stands in a URL, not in every word
    assert redact("no such user: kpi", "postgres://kpi:pw@db/kpi") == "no such user: kpi"


def test_a_spark_url_shows_itself_without_its_token() -> None:
    target = spark_url("sc://localhost:15002/;token=abc123")
    assert target is not None
    assert target.shown == "sc://localhost:15002/;token=***"
    assert target.scrub("Parameter 'token=abc123=' is bad; abc123") == (
        "Parameter 'token=***' is bad; ***"
    )


def test_connect_redacts_by_the_same_rule() -> None:
    assert redact_from_connect is redact
