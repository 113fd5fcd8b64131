"""smtplib, unmodified but for host and port, against the email mock's real SMTP server."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from typing import Any

import pytest

from mocks._core import StatusFault
from mocks.email import EmailAdmin


def message(to: str) -> EmailMessage:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "leads@example.com", to, "New lead"
    mail.set_content("Ada Lovelace wants a demo")
    mail.add_attachment(b"\xff\xd8photo", maintype="image", subtype="jpeg", filename="p.jpg")
    return mail


def test_send_and_read_back(sdk_mocks: Any) -> None:
    mock = sdk_mocks.get("smtp")
    with smtplib.SMTP(mock.host, mock.port, timeout=10) as smtp:
        smtp.send_message(message("sales@example.com"))
    (mail,) = EmailAdmin(mock.admin).messages(to="sales@example.com")
    assert (mail.subject, mail.text) == ("New lead", "Ada Lovelace wants a demo\n")
    assert [a.filename for a in mail.attachments] == ["p.jpg"]


def test_errors_raise_smtplibs_exceptions(sdk_mocks: Any) -> None:
    mock = sdk_mocks.get("smtp")
    with smtplib.SMTP(mock.host, mock.port, timeout=10) as smtp:
        with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
            smtp.send_message(message("not-an-address"))
        assert refused.value.recipients["not-an-address"][0] == 501
        with pytest.raises(smtplib.SMTPAuthenticationError):
            smtp.login("intruder", "wrong")
    mock.admin.add_fault(StatusFault(status=452, body="4.3.1 Insufficient system storage"))
    with (
        smtplib.SMTP(mock.host, mock.port, timeout=10) as smtp,
        pytest.raises(smtplib.SMTPSenderRefused) as full,
    ):
        smtp.send_message(message("sales@example.com"))
    assert full.value.smtp_code == 452
    assert EmailAdmin(mock.admin).messages() == []
