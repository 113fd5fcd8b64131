"""The WhatsApp Cloud API mock answers like Graph, in both modes."""

from __future__ import annotations

import copy
import hashlib
from typing import Any

import httpx
import pytest

from mocks._core import ConnectionResetFault, LatencyFault, MockHandle, StatusFault
from mocks.cloud_api import DEFAULT_TOKEN, CloudApiAdmin, create_service

AUTH = {"Authorization": f"Bearer {DEFAULT_TOKEN}"}
SEND = "/v21.0/1234567890/messages"
KEY = "/v21.0/1234567890/whatsapp_business_encryption"


def text_message(to: str = "15551234567", body: str = "hi") -> dict[str, Any]:
    return {"messaging_product": "whatsapp", "to": to, "type": "text", "text": {"body": body}}


def flow_message(**parameters: Any) -> dict[str, Any]:
    params = {
        "flow_message_version": "3",
        "flow_id": "1234",
        "flow_cta": "Get a quote",
        "flow_token": "tok-1",
        "flow_action": "navigate",
        "flow_action_payload": {"screen": "WELCOME", "data": {"name": "Ada"}},
    }
    params.update(parameters)
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "+44 7700 900123",
        "type": "interactive",
        "interactive": {
            "type": "flow",
            "body": {"text": "Tell us about you"},
            "action": {
                "name": "flow",
                "parameters": {k: v for k, v in params.items() if v is not None},
            },
        },
    }


def graph_error(response: httpx.Response) -> dict[str, Any]:
    error: dict[str, Any] = response.json()["error"]
    assert error["fbtrace_id"] == response.headers["x-fb-trace-id"]
    return error


def test_text_message_is_accepted_with_a_wamid(cloud: MockHandle[Any]) -> None:
    response = cloud.client.post(SEND, headers=AUTH, json=text_message("+1 (555) 123-4567"))
    assert response.status_code == 200
    answer = response.json()
    assert answer["messaging_product"] == "whatsapp"
    assert answer["contacts"] == [{"input": "+1 (555) 123-4567", "wa_id": "15551234567"}]
    (sent,) = CloudApiAdmin(cloud.admin).messages()
    assert answer["messages"] == [{"id": sent.id}]
    assert sent.id.startswith("wamid.")
    assert (sent.wa_id, sent.type, sent.phone_number_id) == ("15551234567", "text", "1234567890")


def test_template_answer_carries_message_status(cloud: MockHandle[Any]) -> None:
    message = {
        "messaging_product": "whatsapp",
        "to": "15551234567",
        "type": "template",
        "template": {"name": "lead_followup", "language": {"code": "en_US"}},
    }
    response = cloud.client.post(SEND, headers=AUTH, json=message)
    assert response.json()["messages"][0]["message_status"] == "accepted"


def test_flow_message_is_readable_as_a_flow(cloud: MockHandle[Any]) -> None:
    assert cloud.client.post(SEND, headers=AUTH, json=flow_message()).status_code == 200
    assert cloud.client.post(SEND, headers=AUTH, json=text_message()).status_code == 200
    exchange = flow_message(
        flow_action="data_exchange", flow_action_payload=None, flow_token="tok-2"
    )
    assert cloud.client.post(SEND, headers=AUTH, json=exchange).status_code == 200
    admin = CloudApiAdmin(cloud.admin)
    flows = admin.flow_messages()
    assert [(f.flow_token, f.flow_action, f.wa_id) for f in flows] == [
        ("tok-1", "navigate", "447700900123"),
        ("tok-2", "data_exchange", "447700900123"),
    ]
    assert flows[0].flow_action_payload == {"screen": "WELCOME", "data": {"name": "Ada"}}
    assert (flows[0].body_text, flows[0].flow_cta, flows[0].flow_id) == (
        "Tell us about you",
        "Get a quote",
        "1234",
    )
    assert admin.flow_messages(flow_token="tok-2") == [flows[1]]
    assert len(admin.messages(type="interactive")) == 2


@pytest.mark.parametrize(
    ("message", "code", "fragment"),
    [
        (
            {"to": "15551234567", "type": "text", "text": {"body": "x"}},
            100,
            "messaging_product is required",
        ),
        ({**text_message(), "messaging_product": "sms"}, 100, "Invalid parameter"),
        (
            {"messaging_product": "whatsapp", "type": "text", "text": {"body": "x"}},
            100,
            "parameter to is required",
        ),
        ({**text_message(), "to": "not-a-phone"}, 100, "Invalid parameter"),
        ({**text_message(), "type": "fax"}, 100, "Param type must be one of"),
        ({**text_message(), "text": {}}, 100, "text['body'] is required"),
        ({**text_message(), "text": {"body": "x" * 4097}}, 100, "at most 4096"),
        (
            {
                "messaging_product": "whatsapp",
                "to": "15551234567",
                "type": "template",
                "template": {"name": "t"},
            },
            100,
            "['language']['code']",
        ),
        (
            {"messaging_product": "whatsapp", "to": "15551234567", "type": "image", "image": {}},
            100,
            "Invalid parameter",
        ),
        (flow_message(flow_cta=None), 100, "flow_cta is required"),
        (
            flow_message(flow_cta="A call to action too long"),
            131009,
            "Parameter value is not valid",
        ),
        (flow_message(flow_cta="Go 🚀"), 131009, "Parameter value is not valid"),
        (flow_message(flow_name="lead_flow"), 131009, "Parameter value is not valid"),
        (flow_message(flow_id=None), 131009, "Parameter value is not valid"),
        (flow_message(flow_message_version="2"), 131009, "Parameter value is not valid"),
        (flow_message(flow_action="data_exchange"), 131009, "Parameter value is not valid"),
        (flow_message(flow_action_payload=None), 100, "flow_action_payload is required"),
        (flow_message(flow_action_payload={"data": {"a": 1}}), 100, "['screen'] is required"),
        (
            flow_message(flow_action_payload={"screen": "A", "data": {}}),
            131009,
            "Parameter value is not valid",
        ),
        (flow_message(flow_action="open"), 131009, "Parameter value is not valid"),
        (flow_message(mode="beta"), 131009, "Parameter value is not valid"),
    ],
)
def test_invalid_messages_get_graph_errors(
    cloud: MockHandle[Any], message: dict[str, Any], code: int, fragment: str
) -> None:
    response = cloud.client.post(SEND, headers=AUTH, json=message)
    assert response.status_code == 400
    error = graph_error(response)
    assert (error["code"], error["type"]) == (code, "OAuthException")
    assert error["message"].startswith(f"(#{code}) ")
    assert fragment in error["message"] + error["error_data"]["details"]
    assert error["error_data"]["messaging_product"] == "whatsapp"
    assert CloudApiAdmin(cloud.admin).messages() == []


def test_flow_message_without_body_or_flow_action_name(cloud: MockHandle[Any]) -> None:
    no_body = flow_message()
    del no_body["interactive"]["body"]
    assert (
        "['body']['text']"
        in graph_error(cloud.client.post(SEND, headers=AUTH, json=no_body))["message"]
    )
    wrong_name = copy.deepcopy(flow_message())
    wrong_name["interactive"]["action"]["name"] = "cta_url"
    assert graph_error(cloud.client.post(SEND, headers=AUTH, json=wrong_name))["code"] == 131009


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": "Basic abc"},
        {"Authorization": "Bearer"},
    ],
)
def test_bad_or_missing_token(cloud: MockHandle[Any], headers: dict[str, str]) -> None:
    response = cloud.client.post(SEND, headers=headers, json=text_message())
    assert response.status_code == 401
    error = graph_error(response)
    assert error == {
        "message": "Invalid OAuth access token - Cannot parse access token",
        "type": "OAuthException",
        "code": 190,
        "fbtrace_id": error["fbtrace_id"],
    }
    assert "invalid_token" in response.headers["www-authenticate"]
    (entry,) = cloud.admin.requests()
    assert (entry.status, entry.matched) == (401, True)


def test_token_in_the_query_string(cloud: MockHandle[Any]) -> None:
    response = cloud.client.post(SEND, params={"access_token": DEFAULT_TOKEN}, json=text_message())
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b'{"messaging_product": "whats', "application/json"),
        (b"hello", "text/plain"),
        (b"[1]", "application/json"),
    ],
)
def test_unreadable_bodies_read_as_no_parameters(
    cloud: MockHandle[Any], content: bytes, content_type: str
) -> None:
    headers = {**AUTH, "content-type": content_type}
    response = cloud.client.post(SEND, headers=headers, content=content)
    assert response.status_code == 400
    assert graph_error(response)["message"] == "(#100) The parameter messaging_product is required."
    (entry,) = cloud.admin.requests()
    assert entry.body == content


def test_form_encoded_send(cloud: MockHandle[Any]) -> None:
    form = {
        "messaging_product": "whatsapp",
        "to": "15551234567",
        "type": "text",
        "text": '{"body": "form"}',
    }
    assert cloud.client.post(SEND, headers=AUTH, data=form).status_code == 200
    assert CloudApiAdmin(cloud.admin).messages()[0].payload["text"] == {"body": "form"}


def test_unknown_paths_answer_like_graph_and_stay_unmatched(cloud: MockHandle[Any]) -> None:
    unknown = cloud.client.post("/v21.0/123/unknown_edge", headers=AUTH, json={})
    assert (unknown.status_code, graph_error(unknown)["code"]) == (400, 2500)
    missing = cloud.client.get("/v21.0/not-an-id", headers=AUTH)
    error = graph_error(missing)
    assert (error["code"], error["error_subcode"], error["type"]) == (
        100,
        33,
        "GraphMethodException",
    )
    bad_version = cloud.client.post("/latest/123/messages", headers=AUTH, json=text_message())
    assert graph_error(bad_version)["code"] == 2500
    assert [e.path for e in cloud.admin.unmatched()] == [
        "/v21.0/123/unknown_edge",
        "/v21.0/not-an-id",
    ]


def test_public_key_upload_and_read_back(cloud: MockHandle[Any], public_pem: bytes) -> None:
    pem = public_pem.decode()
    admin = CloudApiAdmin(cloud.admin)
    assert admin.public_key() is None
    assert cloud.client.get(KEY, headers=AUTH).json() == {"data": []}
    uploaded = cloud.client.post(KEY, headers=AUTH, data={"business_public_key": pem})
    assert uploaded.json() == {"success": True}
    assert cloud.client.get(KEY, headers=AUTH).json() == {
        "data": [
            {"business_public_key": pem.strip(), "business_public_key_signature_status": "VALID"}
        ]
    }
    assert admin.public_key("1234567890") == pem.strip() == admin.public_key()
    # pywa's style: JSON, no version in the path
    assert (
        cloud.client.post(
            "/555/whatsapp_business_encryption", headers=AUTH, json={"business_public_key": pem}
        ).status_code
        == 200
    )
    assert admin.public_key("555") == pem.strip()


def test_public_key_errors(cloud: MockHandle[Any], public_pem: bytes) -> None:
    assert (
        cloud.client.post(KEY, data={"business_public_key": public_pem.decode()}).status_code == 401
    )
    empty = cloud.client.post(KEY, headers=AUTH, data={})
    assert graph_error(empty)["message"] == "(#100) The parameter business_public_key is required."
    junk = cloud.client.post(
        KEY, headers=AUTH, data={"business_public_key": "-----BEGIN PUBLIC KEY-----\nnope"}
    )
    assert graph_error(junk)["code"] == 100
    assert CloudApiAdmin(cloud.admin).public_key() is None


def test_media_upload_url_and_download(cloud: MockHandle[Any]) -> None:
    photo = b"\xff\xd8\xff\xe0 not really a jpeg"
    upload = cloud.client.post(
        "/v21.0/1234567890/media",
        headers=AUTH,
        data={"messaging_product": "whatsapp", "type": "image/jpeg"},
        files={"file": ("lead.jpg", photo, "image/jpeg")},
    )
    media_id = upload.json()["id"]
    info = cloud.client.get(f"/v21.0/{media_id}", headers=AUTH).json()
    assert info["sha256"] == hashlib.sha256(photo).hexdigest()
    assert (info["file_size"], info["mime_type"], info["id"]) == (
        len(photo),
        "image/jpeg",
        media_id,
    )
    # on the mock's own host and port when served; in-process, the URL the call came in on
    assert info["url"].startswith(cloud.url + "/whatsapp_business/attachments/?mid=")
    download = cloud.client.get(info["url"], headers=AUTH)
    assert (download.content, download.headers["content-type"]) == (photo, "image/jpeg")
    assert cloud.client.get(info["url"]).status_code == 401
    assert cloud.client.get(info["url"].replace("hash=", "hash=x")).status_code in (401, 404)
    assert cloud.client.delete(f"/v21.0/{media_id}", headers=AUTH).json() == {"success": True}
    gone = cloud.client.get(f"/v21.0/{media_id}", headers=AUTH)
    assert graph_error(gone)["error_subcode"] == 33


def test_media_sent_by_a_user_through_admin(cloud: MockHandle[Any]) -> None:
    admin = CloudApiAdmin(cloud.admin)
    info = admin.add_media(b"photo-bytes", "image/png", filename="p.png")
    url = cloud.client.get(f"/v21.0/{info['id']}", headers=AUTH).json()["url"]
    assert cloud.client.get(url, headers=AUTH).content == b"photo-bytes"
    assert [m["id"] for m in admin.media()] == [info["id"]]


def test_media_upload_errors(cloud: MockHandle[Any]) -> None:
    path = "/v21.0/1234567890/media"
    no_file = cloud.client.post(path, headers=AUTH, data={"messaging_product": "whatsapp"})
    assert "file is required" in graph_error(no_file)["message"]
    no_product = cloud.client.post(
        path, headers=AUTH, files={"file": ("a.jpg", b"x", "image/jpeg")}
    )
    assert "messaging_product is required" in graph_error(no_product)["message"]


@pytest.mark.parametrize(
    ("kind", "code"), [("throughput", 130429), ("account", 80007), ("pair", 131056)]
)
def test_throttle_answers_with_graph_rate_limit_codes(
    cloud: MockHandle[Any], kind: Any, code: int
) -> None:
    CloudApiAdmin(cloud.admin).throttle(kind, retry_after=90, times=1)
    limited = cloud.client.post(SEND, headers=AUTH, json=text_message())
    assert (limited.status_code, limited.headers["retry-after"]) == (429, "90")
    assert limited.json()["error"]["code"] == code
    assert '"estimated_time_to_regain_access":2' in limited.headers["x-business-use-case-usage"]
    assert cloud.client.post(SEND, headers=AUTH, json=text_message()).status_code == 200
    assert [e.faults for e in cloud.admin.requests()] == [["rate_limit"], []]


def test_other_faults_on_send(cloud: MockHandle[Any]) -> None:
    cloud.admin.add_fault(StatusFault(status=500, body={"error": {"code": 1}}), path=SEND, times=1)
    assert cloud.client.post(SEND, headers=AUTH, json=text_message()).status_code == 500
    cloud.admin.add_fault(ConnectionResetFault(), path=SEND, times=1)
    with pytest.raises(httpx.TransportError):
        cloud.client.post(SEND, headers=AUTH, json=text_message())
    cloud.admin.add_fault(LatencyFault(seconds=0.05), path=SEND, times=1)
    assert cloud.client.post(SEND, headers=AUTH, json=text_message()).status_code == 200
    assert len(CloudApiAdmin(cloud.admin).messages()) == 1
    assert cloud.admin.count(path=SEND) == 3


def test_reset_isolates_and_replays_ids(cloud: MockHandle[Any], public_pem: bytes) -> None:
    first = cloud.client.post(SEND, headers=AUTH, json=text_message()).json()["messages"][0]["id"]
    cloud.client.post(KEY, headers=AUTH, data={"business_public_key": public_pem.decode()})
    cloud.reset()
    admin = CloudApiAdmin(cloud.admin)
    assert (admin.messages(), admin.public_key(), admin.media(), cloud.admin.count()) == (
        [],
        None,
        [],
        0,
    )
    again = cloud.client.post(SEND, headers=AUTH, json=text_message()).json()["messages"][0]["id"]
    assert again == first  # seeded: the same run gives the same wamids


def test_configured_numbers_templates_and_recipients() -> None:
    service = create_service(
        tokens=["t1"],
        phone_number_ids=["111"],
        templates={"welcome": ["en_US"]},
        allowed_recipients=["15551234567"],
    )
    with MockHandle.in_process(service) as cloud:
        auth = {"Authorization": "Bearer t1"}
        unknown = cloud.client.post("/v21.0/222/messages", headers=auth, json=text_message())
        assert graph_error(unknown)["error_subcode"] == 33
        blocked = cloud.client.post(
            "/v21.0/111/messages", headers=auth, json=text_message("15550000000")
        )
        assert graph_error(blocked)["code"] == 131030
        template = {
            "messaging_product": "whatsapp",
            "to": "15551234567",
            "type": "template",
            "template": {"name": "welcome", "language": {"code": "pt_BR"}},
        }
        missing = cloud.client.post("/v21.0/111/messages", headers=auth, json=template)
        assert (missing.status_code, graph_error(missing)["code"]) == (404, 132001)
        assert (
            cloud.client.post("/v21.0/111/messages", headers=auth, json=text_message()).status_code
            == 200
        )
    with pytest.raises(ValueError, match="at least one access token"):
        create_service(tokens=[])


def test_media_url_names_the_server_even_when_reached_by_another_name() -> None:
    with MockHandle.served(create_service()) as served:
        info = CloudApiAdmin(served.admin).add_media(b"photo", "image/png")
        localhost = served.url.replace("127.0.0.1", "localhost")
        answer = httpx.get(f"{localhost}/v21.0/{info['id']}", headers=AUTH).json()
        assert answer["url"].startswith(served.url + "/whatsapp_business/")
