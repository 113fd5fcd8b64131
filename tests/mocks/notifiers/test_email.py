"""The email mock: real SMTP in, captured messages out through the admin API."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

import pytest

from mocks._core import (
    AdminError,
    ConnectionResetFault,
    LatencyFault,
    MalformedBodyFault,
    RateLimitFault,
    StatusFault,
)
from mocks.email import EmailAdmin, MailServer, MailServerError, create_service


def lead_email(to: str = "sales@example.com", subject: str = "New lead: Ada") -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = "Flow bot <bot@example.com>"
    message["To"] = to
    message["Cc"] = "boss@example.com"
    message.set_content("Ada Lovelace wants a quote.\n")
    message.add_alternative("<p>Ada Lovelace wants a <b>quote</b>.</p>\n", subtype="html")
    message.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf", filename="quote.pdf")
    return message


def send(mail: MailServer, message: EmailMessage, **kwargs: object) -> None:
    with smtplib.SMTP(mail.smtp_host, mail.smtp_port, timeout=5) as smtp:
        smtp.send_message(message, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("admin_mode", ["http", "in_process"])
def test_sent_mail_is_readable_with_headers_and_bodies(mail: MailServer, admin_mode: str) -> None:
    send(
        mail, lead_email(), to_addrs=["sales@example.com", "boss@example.com", "audit@example.com"]
    )
    admin = EmailAdmin(mail.admin if admin_mode == "http" else mail.service.admin())
    (captured,) = admin.messages()
    assert captured.mail_from == "bot@example.com"
    assert captured.rcpt_tos == ["sales@example.com", "boss@example.com", "audit@example.com"]
    assert (captured.subject, captured.from_) == ("New lead: Ada", "Flow bot <bot@example.com>")
    assert (captured.to, captured.cc) == (["sales@example.com"], ["boss@example.com"])
    assert captured.header("content-type").startswith("multipart/mixed")  # type: ignore[union-attr]
    assert captured.text == "Ada Lovelace wants a quote.\n"
    assert captured.html is not None
    assert "<b>quote</b>" in captured.html
    assert [(a.filename, a.content_type, a.size) for a in captured.attachments] == [
        ("quote.pdf", "application/pdf", 8)
    ]
    assert "Subject: New lead: Ada" in captured.raw
    assert captured.peer is not None
    assert captured.peer.startswith("127.0.0.1:")
    assert admin.message(captured.id) == captured


def test_plain_sendmail_and_filters(mail: MailServer) -> None:
    with smtplib.SMTP(mail.host, mail.port, timeout=5) as smtp:
        smtp.sendmail("a@example.com", ["x@example.com"], "Subject: first\r\n\r\nbody one\r\n")
        smtp.sendmail("a@example.com", ["Y@example.com"], "Subject: second\r\n\r\nbody two\r\n")
    assert [m.subject for m in mail.messages()] == ["first", "second"]
    assert [m.subject for m in mail.messages(to="y@EXAMPLE.com")] == ["second"]
    assert [m.text for m in mail.messages(subject="fir")] == ["body one\n"]
    assert mail.messages(to="nobody@example.com") == []


def test_every_transaction_is_journaled(mail: MailServer) -> None:
    send(mail, lead_email())
    (entry,) = mail.admin.requests(method="SMTP")
    assert (entry.path, entry.status, entry.matched) == ("DATA", 250, True)
    assert entry.header("mail-from") == "bot@example.com"
    assert entry.header("rcpt-to") == "sales@example.com, boss@example.com"
    assert b"Subject: New lead: Ada" in entry.body
    assert entry.response_body.startswith(b"250 ")
    assert mail.admin.count(body_contains="quote.pdf") == 1


def test_unknown_message_id_is_a_404(mail: MailServer) -> None:
    with pytest.raises(AdminError) as info:
        EmailAdmin(mail.admin).message(99)
    assert info.value.status == 404


def test_status_fault_rejects_the_next_messages(mail: MailServer) -> None:
    mail.admin.add_fault(
        StatusFault(status=451, body="4.3.2 Try later"), method="SMTP", path="DATA", times=2
    )
    for _ in range(2):
        with pytest.raises(smtplib.SMTPDataError) as info:
            send(mail, lead_email())
        assert (info.value.smtp_code, info.value.smtp_error) == (451, b"4.3.2 Try later")
    send(mail, lead_email())
    assert len(mail.messages()) == 1
    assert [(e.path, e.status, e.faults) for e in mail.admin.requests()] == [
        ("DATA", 451, ["status"]),
        ("DATA", 451, ["status"]),
        ("DATA", 250, []),
    ]


def test_recipient_rejection_and_rate_limit(mail: MailServer) -> None:
    mail.admin.add_fault(StatusFault(status=550), path="RCPT", times=1)
    with (
        pytest.raises(smtplib.SMTPRecipientsRefused),
        smtplib.SMTP(mail.host, mail.port, timeout=5) as smtp,
    ):
        smtp.sendmail("a@example.com", ["x@example.com"], "Subject: s\r\n\r\nb\r\n")
    mail.admin.add_fault(RateLimitFault(retry_after=30), path="MAIL", times=1)
    with pytest.raises(smtplib.SMTPSenderRefused) as info:
        send(mail, lead_email())
    assert info.value.smtp_code == 451
    assert b"30 s" in info.value.smtp_error
    assert mail.messages() == []
    assert [(e.path, e.status) for e in mail.admin.requests()] == [("RCPT", 550), ("MAIL", 451)]


def test_connection_drop_latency_and_garbage(mail: MailServer) -> None:
    mail.admin.add_fault(ConnectionResetFault(), path="DATA", times=1)
    with pytest.raises((smtplib.SMTPServerDisconnected, ConnectionError)):
        send(mail, lead_email())
    mail.admin.add_fault(MalformedBodyFault(body="garbage"), path="MAIL", times=1)
    with pytest.raises(smtplib.SMTPSenderRefused):
        send(mail, lead_email())
    mail.admin.add_fault(LatencyFault(seconds=0.1), path="DATA", times=1)
    send(mail, lead_email())
    entries = mail.admin.requests()
    assert [(e.path, e.status, e.faults) for e in entries] == [
        ("DATA", None, ["connection_reset"]),
        ("MAIL", None, ["malformed_body"]),
        ("DATA", 250, ["latency"]),
    ]
    assert entries[-1].duration is not None
    assert entries[-1].duration >= 0.09
    assert len(mail.messages()) == 1


def test_reset_isolates(mail: MailServer) -> None:
    send(mail, lead_email())
    mail.admin.add_fault(StatusFault(status=554))
    mail.reset()
    assert (mail.messages(), mail.admin.count(), mail.admin.faults()) == ([], 0, [])
    send(mail, lead_email())
    assert len(mail.messages()) == 1


def test_auth_plain_and_login() -> None:
    with MailServer(create_service(credentials={"mailer": "s3cret"})) as mail:
        with smtplib.SMTP(mail.host, mail.port, timeout=5) as smtp:
            with pytest.raises(smtplib.SMTPSenderRefused) as refused:
                smtp.sendmail("a@example.com", ["x@example.com"], "Subject: s\r\n\r\nb\r\n")
            assert refused.value.smtp_code == 530
        with (
            smtplib.SMTP(mail.host, mail.port, timeout=5) as smtp,
            pytest.raises(smtplib.SMTPAuthenticationError),
        ):
            smtp.login("mailer", "wrong")
        for mechanism in ("PLAIN", "LOGIN"):
            with smtplib.SMTP(mail.host, mail.port, timeout=5) as smtp:
                smtp.ehlo()
                smtp.user, smtp.password = "mailer", "s3cret"
                code, _ = smtp.auth(mechanism, getattr(smtp, f"auth_{mechanism.lower()}"))
                assert code == 235
                smtp.sendmail(
                    "a@example.com", ["x@example.com"], f"Subject: {mechanism}\r\n\r\nb\r\n"
                )
        assert [(m.subject, m.auth_user) for m in mail.messages()] == [
            ("PLAIN", "mailer"),
            ("LOGIN", "mailer"),
        ]
        journal = [(e.path, e.status) for e in mail.admin.requests()]
        # smtplib.login tries each offered mechanism (PLAIN, LOGIN) before giving up
        assert journal == [
            ("MAIL", 530),
            ("AUTH", 535),
            ("AUTH", 535),
            ("DATA", 250),
            ("DATA", 250),
        ]
        assert all("s3cret" not in e.model_dump_json() for e in mail.admin.requests())
        assert mail.admin.state()["auth_required"] is True


def test_mail_server_lifecycle() -> None:
    server = MailServer(create_service())
    with pytest.raises(MailServerError, match="not running"):
        _ = server.smtp_port
    assert "stopped" in repr(server)
    with server:
        assert server.admin.health()["service"] == "email"
        assert server.url == server.admin_url
    with pytest.raises(MailServerError):
        _ = server.admin
