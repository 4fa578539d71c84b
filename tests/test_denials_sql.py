"""The DuckDB ``denials`` view agrees with ``read_message`` field by field; frames/summaries filter right."""

# ruff: noqa: E501  (AWS messages are long; kept whole so they read as AWS prints them)

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_denials_messages import CASES, corpus_error_records

from iamlab.denials import FIELDS, read_message
from iamlab.denials.sql import frame, install, render, summary
from iamlab.errors import InputError

# The events contract columns (common brief); the view reads only some.
EVENTS_DDL = """
CREATE TABLE events (
    event_id VARCHAR PRIMARY KEY, event_time TIMESTAMPTZ, event_version VARCHAR,
    event_source VARCHAR, event_name VARCHAR, aws_region VARCHAR, event_type VARCHAR,
    event_category VARCHAR, error_code VARCHAR, error_message VARCHAR, principal_arn VARCHAR,
    principal_type VARCHAR, principal_id VARCHAR, account_id VARCHAR, user_name VARCHAR,
    access_key_id VARCHAR, session_issuer_arn VARCHAR, invoked_by VARCHAR,
    recipient_account_id VARCHAR, source_ip VARCHAR, user_agent VARCHAR, request_id VARCHAR,
    shared_event_id VARCHAR, vpc_endpoint_id VARCHAR, vpc_endpoint_account_id VARCHAR,
    read_only BOOLEAN, management_event BOOLEAN, user_identity JSON, request_parameters JSON,
    response_elements JSON, additional_event_data JSON, resources JSON, tls_details JSON,
    raw JSON, source VARCHAR, source_position VARCHAR, load_id INTEGER)
"""
T0 = dt.datetime(2024, 5, 1, tzinfo=dt.timezone.utc)


def make_db(
    rows: list[tuple], con: duckdb.DuckDBPyConnection | None = None
) -> duckdb.DuckDBPyConnection:
    """rows: (event_id, error_code, error_message, principal_arn, event_time).

    With ``con``, its events are replaced (reusing one database keeps
    property tests fast)."""
    reused = con is not None
    if con is None:
        con = duckdb.connect()
        con.execute(EVENTS_DDL)
    else:
        con.execute("DELETE FROM events")
    frame_ = pd.DataFrame(
        rows,
        columns=["event_id", "error_code", "error_message", "principal_arn", "event_time"],
        dtype=object,
    )
    con.register("new_rows", frame_)  # one bulk insert (executemany is row by row)
    con.execute(
        "INSERT INTO events (event_id, error_code, error_message, principal_arn, event_time,"
        " event_source, event_name) SELECT event_id, error_code, error_message, principal_arn,"
        " event_time::TIMESTAMPTZ, 's3.amazonaws.com', 'GetObject' FROM new_rows"
    )
    con.unregister("new_rows")
    if not reused:
        install(con)
    return con


def sql_results(con) -> dict[str, dict]:
    """event_id -> parsed fields as the views give them (non-denials: all None)."""
    cols = ", ".join(f"d.{f}" for f in FIELDS if f != "is_denial")
    out = {}
    for row in con.execute(
        f"SELECT e.event_id, e.is_denial, {cols} FROM error_events e "
        "LEFT JOIN denials d USING (event_id)"
    ).fetchall():
        values = dict(zip(FIELDS, row[1:], strict=True))
        out[row[0]] = (
            values if values["is_denial"] else {f: None for f in FIELDS} | {"is_denial": False}
        )
    return out


_SHARED: list[duckdb.DuckDBPyConnection] = []


def assert_agree(pairs: list[tuple[str | None, str | None]], reuse: bool = False) -> None:
    rows = [
        (str(i), code, msg, None, T0)
        for i, (code, msg) in enumerate(pairs)
        if code is not None or msg is not None
    ]
    if reuse and _SHARED:
        con = make_db(rows, _SHARED[0])
    else:
        con = make_db(rows)
        if reuse:
            _SHARED.append(con)
    got = sql_results(con)
    assert len(got) == len(rows)
    for event_id, code, msg, _, _ in rows:
        want = read_message(code, msg).to_dict()
        assert got[event_id] == {f: want[f] for f in FIELDS}, (code, msg)


def test_sql_agrees_with_python_on_fixtures_and_corpus(corpus):
    pairs = [(c["error_code"], c["error_message"]) for c in CASES]
    pairs += [(c["error_code"], None) for c in CASES if c["error_code"]]
    pairs += [(None, c["error_message"]) for c in CASES]
    pairs += [(r.get("errorCode"), r.get("errorMessage")) for _, _, r in corpus_error_records()]
    # truncations of every fixture message, at a few cut points
    for c in CASES:
        msg = c["error_message"] or ""
        for cut in range(1, len(msg), max(1, len(msg) // 9)):
            pairs.append((c["error_code"], msg[:cut]))
    assert_agree(pairs)


_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=60)
_piece = st.sampled_from(
    [
        "User: ",
        " is not authorized to perform: ",
        " on resource: ",
        " on this resource",
        '"',
        " ",
        "because no identity-based policy allows the s3:GetObject action",
        "with an explicit deny in a ",
        "service control policy",
        ": arn:aws:iam::1:policy/P",
        " (P).",
        ". Encoded authorization failure message: ",
        "authorization id: ",
        "#/authorization-details/X for complete details",
        "Access Denied",
        ".",
        "\n",
        "An error occurred (AccessDenied) when calling the X operation: ",
        "...",
        "arn:aws:s3:::b/k",
    ]
)


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.one_of(
                st.none(), st.sampled_from(["AccessDenied", "Bogus", "ExpiredToken", " "]), _text
            ),
            st.lists(st.one_of(_piece, _text), max_size=12).map("".join),
        ),
        min_size=1,
        max_size=80,
    )
)
def test_sql_agrees_with_python_on_generated_messages(pairs):
    assert_agree(pairs, reuse=True)


def test_install_is_idempotent_and_needs_events():
    con = make_db([("1", "AccessDenied", "Access Denied", None, T0)])
    install(con)
    install(con)
    assert con.execute("SELECT count(*) FROM denials").fetchone() == (1,)
    with pytest.raises(InputError, match="events"):
        install(duckdb.connect())


def test_rendered_sql_has_no_placeholders_left():
    for statement in render():
        assert "{{" not in statement and "}}" not in statement


ALICE = "arn:aws:iam::111122223333:user/alice"
BOB_MSG = (
    "User: arn:aws:iam::111122223333:user/bob is not authorized to perform: s3:GetObject on "
    'resource: "arn:aws:s3:::b/k" with an explicit deny in a service control policy'
)


@pytest.fixture()
def small_db():
    return make_db(
        [
            ("a1", "AccessDenied", "Access Denied", ALICE, T0),
            ("a2", "AccessDenied", "Access Denied", ALICE, T0 + dt.timedelta(hours=2)),
            ("b1", "AccessDenied", BOB_MSG, None, T0 + dt.timedelta(hours=2, minutes=5)),
            ("n1", "NoSuchKey", "The specified key does not exist.", ALICE, T0),
        ]
    )


def test_frame_filters_with_bound_parameters(small_db):
    assert list(frame(small_db).event_id) == ["a1", "a2", "b1"]
    assert list(frame(small_db, principal=ALICE).event_id) == ["a1", "a2"]
    # the principal named in the message counts too
    assert list(frame(small_db, principal="arn:aws:iam::111122223333:user/bob").event_id) == ["b1"]
    assert list(frame(small_db, since="2024-05-01T01:00:00Z").event_id) == ["a2", "b1"]
    assert list(frame(small_db, until=dt.datetime(2024, 5, 1, 2, 0)).event_id) == ["a1"]
    assert list(frame(small_db, cause="org-policy").event_id) == ["b1"]
    # a hostile filter value is data, not SQL
    assert frame(small_db, principal="x' OR 1=1 --").empty


def test_frame_rejects_bad_filters(small_db):
    with pytest.raises(InputError, match="cause"):
        frame(small_db, cause="bogus")
    with pytest.raises(InputError, match="since"):
        frame(small_db, since="yesterday")


def test_summaries(small_db):
    by_cause = summary(small_db, "cause")
    assert by_cause[["cause", "denials"]].values.tolist() == [["undetailed", 2], ["org-policy", 1]]
    by_principal = summary(small_db, "principal")
    assert by_principal[["principal", "denials"]].values.tolist() == [
        [ALICE, 2],
        ["arn:aws:iam::111122223333:user/bob", 1],
    ]
    # a1, a2 name no action: their call (s3.amazonaws.com GetObject) needs s3:GetObject,
    # the action b1's message names, so all three count under it
    by_action = summary(small_db, "action")
    assert by_action[["action", "denials", "from_call", "principals"]].values.tolist() == [
        ["s3:GetObject", 3, 2, 2]
    ]
    assert by_cause[["cause", "principals", "actions"]].values.tolist() == [
        ["undetailed", 1, 1],
        ["org-policy", 1, 1],
    ]
    by_hour = summary(small_db, "hour")
    hours = [
        (h.to_pydatetime().astimezone(dt.timezone.utc).hour, c, n)
        for h, c, n in by_hour.values.tolist()
    ]
    assert hours == [(0, "undetailed", 1), (2, "org-policy", 1), (2, "undetailed", 1)]
    assert summary(small_db, "cause", principal=ALICE)["denials"].tolist() == [2]
    with pytest.raises(InputError, match="by="):
        summary(small_db, "region")


def test_read_only_database_gets_temp_views(tmp_path):
    path = str(tmp_path / "ro.duckdb")
    con = duckdb.connect(path)
    con.execute(EVENTS_DDL)
    con.execute(
        "INSERT INTO events (event_id, error_code, error_message, event_time) VALUES "
        "('1', 'AccessDenied', 'Access Denied', TIMESTAMPTZ '2024-05-01 00:00:00+00')"
    )
    con.close()
    ro = duckdb.connect(path, read_only=True)
    assert list(frame(ro).cause) == ["undetailed"]


def test_principal_summary_names_the_account_when_no_arn_is_known():
    # Network activity and cross-account copies may carry only userIdentity.accountId.
    con = make_db(
        [
            (
                "v1",
                "VpceAccessDenied",
                "The request was denied due to a VPC endpoint policy",
                None,
                T0,
            )
        ]
    )
    con.execute("UPDATE events SET account_id = '444455556666'")
    rows = summary(con, "principal")[["principal", "denials"]].values.tolist()
    assert rows == [["account 444455556666", 1]]
    # and --by cause counts that account as a principal, the call as an action
    rows = summary(con, "cause")[["cause", "principals", "actions"]].values.tolist()
    assert rows == [["vpc-endpoint", 1, 1]]
    rows = summary(con, "action")[["action", "from_call"]].values.tolist()
    assert rows == [["s3:GetObject", 1]]


def test_action_summary_names_unknown_services_by_their_event_source():
    con = make_db([("e1", "AccessDenied", "Access Denied", None, T0)])
    con.execute(
        "UPDATE events SET event_source = 'eks-auth.amazonaws.com', "
        "event_name = 'AssumeRoleForPodIdentity'"
    )
    con.execute(
        "INSERT INTO events (event_id, error_code, error_message, event_time) VALUES "
        "('e2', 'AccessDenied', 'Access Denied', TIMESTAMPTZ '2024-05-01 00:00:00+00')"
    )
    rows = summary(con, "action")[["action", "denials"]].values.tolist()
    assert rows == [["(unknown)", 1], ["eks-auth:AssumeRoleForPodIdentity", 1]]
