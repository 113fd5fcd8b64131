"""The Salesforce mock's SOQL subset, describe, trailing slashes and fixed session token."""

from __future__ import annotations

from typing import Any

import pytest

from mocks._core import MockHandle
from mocks.crm.salesforce import SF_ACCESS_TOKEN, SalesforceAdmin, create_service

API = "/services/data/v60.0"
LEADS = [
    {"FirstName": "Ada", "LastName": "Lovelace", "Company": "Analytical", "Email": "ada@ex.com",
     "NumberOfEmployees": 3},
    {"FirstName": "Grace", "LastName": "Hopper", "Company": "Navy", "Email": "grace@ex.com",
     "NumberOfEmployees": 300},
    {"LastName": "Turing", "Company": "Bletchley", "NumberOfEmployees": 40},
]  # fmt: skip


@pytest.fixture
def leads(sf: MockHandle[Any]) -> dict[str, str]:
    """The three leads, created through the API: last name -> id."""
    ids = {}
    for lead in LEADS:
        answer = sf.client.post(f"{API}/sobjects/Lead/", json=lead)  # simple-salesforce's slash
        assert answer.status_code == 201, answer.text
        ids[lead["LastName"]] = answer.json()["id"]
    return ids


def query(sf: MockHandle[Any], soql: str, path: str = "query/") -> Any:
    return sf.client.get(f"{API}/{path}", params={"q": soql})


def names(sf: MockHandle[Any], soql: str) -> list[str]:
    answer = query(sf, soql)
    assert answer.status_code == 200, answer.text
    return [r["LastName"] for r in answer.json()["records"]]


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("Email = 'ADA@EX.COM'", ["Lovelace"]),
        ("Email != 'ada@ex.com'", ["Hopper", "Turing"]),
        ("Email <> null", ["Lovelace", "Hopper"]),
        ("Email = null", ["Turing"]),
        ("Company LIKE 'b%'", ["Turing"]),
        ("FirstName LIKE '_da'", ["Lovelace"]),
        ("LastName IN ('Hopper', 'Turing')", ["Hopper", "Turing"]),
        ("LastName NOT IN ('Hopper')", ["Lovelace", "Turing"]),
        ("NumberOfEmployees >= 40", ["Hopper", "Turing"]),
        ("NumberOfEmployees < 40 OR Company = 'Navy'", ["Lovelace", "Hopper"]),
        ("(Company = 'Navy' OR Company = 'Bletchley') AND NumberOfEmployees > 100", ["Hopper"]),
        ("NOT Company = 'Navy'", ["Lovelace", "Turing"]),
        ("CreatedDate > 2000-01-01T00:00:00Z", ["Lovelace", "Hopper", "Turing"]),
    ],
)
def test_where(sf: MockHandle[Any], leads: dict[str, str], where: str, expected: list[str]) -> None:
    found = names(sf, f"SELECT LastName FROM Lead WHERE {where} ORDER BY CreatedDate")
    assert sorted(found) == sorted(expected)


def test_order_limit_offset_count_and_records(sf: MockHandle[Any], leads: dict[str, str]) -> None:
    assert names(sf, "SELECT LastName FROM Lead ORDER BY NumberOfEmployees DESC") == [
        "Hopper",
        "Turing",
        "Lovelace",
    ]
    assert names(sf, "select lastname from lead order by Email nulls first limit 2") == [
        "Turing",
        "Lovelace",
    ]
    assert names(sf, "SELECT LastName FROM Lead ORDER BY LastName LIMIT 1 OFFSET 1") == ["Lovelace"]
    count = query(sf, "SELECT COUNT() FROM Lead").json()
    assert (count["totalSize"], count["records"], count["done"]) == (3, [], True)
    (record,) = query(sf, "SELECT Id, name, WhatsApp_Phone__c FROM Lead WHERE Email = 'ada@ex.com'",
                      "query").json()["records"]  # fmt: skip
    assert record == {
        "attributes": {"type": "Lead", "url": f"{API}/sobjects/Lead/{leads['Lovelace']}"},
        "Id": leads["Lovelace"],
        "Name": "Ada Lovelace",
        "WhatsApp_Phone__c": None,
    }


def test_query_all_sees_deleted_leads(sf: MockHandle[Any], leads: dict[str, str]) -> None:
    assert sf.client.delete(f"{API}/sobjects/Lead/{leads['Turing']}").status_code == 204
    assert names(sf, "SELECT LastName FROM Lead WHERE Company = 'Bletchley'") == []
    deleted = query(sf, "SELECT LastName, IsDeleted FROM Lead WHERE IsDeleted = true", "queryAll/")
    assert [(r["LastName"], r["IsDeleted"]) for r in deleted.json()["records"]] == [
        ("Turing", True)
    ]


@pytest.mark.parametrize(
    ("soql", "code", "detail"),
    [
        ("SELECT Id FROM Lead GROUP BY Company", "MALFORMED_QUERY", "unexpected token: 'GROUP'"),
        (
            "SELECT Id FROM Lead WHERE City = 'a' AND Title = 'b' OR State = 'c'",
            "MALFORMED_QUERY",
            "'OR'",
        ),
        ("SELECT Owner.Name FROM Lead", "MALFORMED_QUERY", "relationship fields"),
        ("SELECT (SELECT Id FROM Tasks) FROM Lead", "MALFORMED_QUERY", "unexpected token"),
        ("SELECT COUNT(Id) FROM Lead", "MALFORMED_QUERY", "only COUNT()"),
        ("SELECT Id FROM Lead WHERE CreatedDate = TODAY", "MALFORMED_QUERY", "'TODAY'"),
        ("SELECT Id FROM Lead WHERE Email = 'open", "MALFORMED_QUERY", "unexpected token"),
        ("SELECT Id FROM Lead LIMIT", "MALFORMED_QUERY", "unexpected end"),
        ("", "MALFORMED_QUERY", "empty query"),
        ("SELECT Id FROM Contact", "INVALID_TYPE", "sObject type 'Contact' is not supported"),
        ("SELECT Nope FROM Lead", "INVALID_FIELD", "No such column 'Nope' on entity 'Lead'"),
        ("SELECT Id FROM Lead WHERE Nope = 1", "INVALID_FIELD", "No such column 'Nope'"),
    ],
)
def test_refused_queries(sf: MockHandle[Any], soql: str, code: str, detail: str) -> None:
    answer = query(sf, soql)
    assert answer.status_code == 400
    (error,) = answer.json()
    assert error["errorCode"] == code
    assert detail in error["message"]


def test_query_pages_follow_next_records_url() -> None:
    with MockHandle.in_process(create_service(query_batch_size=2)) as sf:
        sf.client.headers["Authorization"] = f"Bearer {SF_ACCESS_TOKEN}"
        for lead in LEADS:
            sf.client.post(f"{API}/sobjects/Lead", json=lead)
        first = query(sf, "SELECT LastName FROM Lead ORDER BY LastName").json()
        assert (first["totalSize"], first["done"], len(first["records"])) == (3, False, 2)
        rest = sf.client.get(first["nextRecordsUrl"]).json()
        assert (rest["totalSize"], rest["done"], [r["LastName"] for r in rest["records"]]) == (
            3,
            True,
            ["Turing"],
        )
        again = sf.client.get(first["nextRecordsUrl"])
        assert again.json()[0]["errorCode"] == "INVALID_QUERY_LOCATOR"


def test_describe_and_metadata(sf: MockHandle[Any], leads: dict[str, str]) -> None:
    described = sf.client.get(f"{API}/sobjects/Lead/describe/").json()
    fields = {f["name"]: f for f in described["fields"]}
    assert (described["name"], described["keyPrefix"]) == ("Lead", "00Q")
    assert fields["LastName"]["nillable"] is False
    assert fields["LastName"]["length"] == 80
    assert fields["Email"]["type"] == "email"
    assert fields["Id"]["createable"] is False
    assert fields["WhatsApp_Phone__c"]["externalId"] is True
    metadata = sf.client.get(f"{API}/sobjects/Lead/").json()
    assert metadata["objectDescribe"]["name"] == "Lead"
    assert {item["Id"] for item in metadata["recentItems"]} == set(leads.values())


def test_unknown_fields_refused_custom_fields_taken(sf: MockHandle[Any]) -> None:
    unknown = sf.client.post(f"{API}/sobjects/Lead", json={"LastName": "L", "Company": "C",
                                                           "Colour": "blue"})  # fmt: skip
    assert unknown.status_code == 400
    assert unknown.json()[0]["errorCode"] == "INVALID_FIELD"
    custom = sf.client.post(f"{API}/sobjects/Lead", json={"LastName": "L", "Company": "C",
                                                          "Colour__c": "blue"})  # fmt: skip
    assert custom.status_code == 201
    name = sf.client.post(f"{API}/sobjects/Lead", json={"LastName": "L", "Company": "C",
                                                        "Name": "x"})  # fmt: skip
    assert name.json()[0]["errorCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"


def test_content_version_read_and_data(sf: MockHandle[Any], leads: dict[str, str]) -> None:
    created = sf.client.post(
        f"{API}/sobjects/ContentVersion/",
        json={"PathOnClient": "p.jpg", "VersionData": "aGVsbG8=",
              "FirstPublishLocationId": leads["Lovelace"]},
    )  # fmt: skip
    version_id = created.json()["id"]
    record = sf.client.get(f"{API}/sobjects/ContentVersion/{version_id}").json()
    assert record["VersionData"] == f"{API}/sobjects/ContentVersion/{version_id}/VersionData"
    assert sf.client.get(record["VersionData"]).content == b"hello"
    assert sf.client.get(f"{API}/sobjects/ContentVersion/068000000000000AAA").status_code == 404


def test_fixed_session_token(salesforce: MockHandle[Any]) -> None:
    auth = {"Authorization": f"Bearer {SF_ACCESS_TOKEN}"}
    assert salesforce.client.get(f"{API}/query", params={"q": "SELECT Id FROM Lead"},
                                 headers=auth).status_code == 200  # fmt: skip
    admin = SalesforceAdmin(salesforce.admin)
    assert admin.live_sessions() == 0  # fixed tokens are not issued sessions
    admin.expire_sessions()
    expired = salesforce.client.get(f"{API}/sobjects/Lead/describe", headers=auth)
    assert expired.json()[0]["errorCode"] == "INVALID_SESSION_ID"
    salesforce.reset()
    assert salesforce.client.get(f"{API}/sobjects/Lead/describe", headers=auth).status_code == 200
