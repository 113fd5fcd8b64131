"""``MailServer``: the SMTP server and the admin HTTP app of the email mock, started together."""

from __future__ import annotations

import logging
from typing import Self

from mocks._core import AdminClient, MockService, Running, ThreadedServer
from mocks.email._backend import CapturedEmail, EmailBackend
from mocks.email._smtp import CaptureHandler, LoopbackController, quiet_aiosmtpd_log
from mocks.email.exceptions import MailServerError

__all__ = ["MailServer"]


class MailServer(Running):
    """Real SMTP on ``host:smtp_port`` plus the admin API on ``host:admin_port`` (0: free ports).

    It has the surface of a served :class:`~mocks._core.MockHandle` (``url``,
    ``admin``, ``credentials``, ``reset()``), with ``host``/``port`` the SMTP
    server's. No STARTTLS: ``ca_bundle`` is always ``None``.

    ::

        with MailServer(create_service()) as mail:
            with smtplib.SMTP(mail.smtp_host, mail.smtp_port) as smtp:
                smtp.sendmail("a@example.com", ["b@example.com"], "Subject: hi\\r\\n\\r\\nbody")
            assert mail.messages()[0].subject == "hi"
    """

    def __init__(
        self,
        service: MockService[EmailBackend],
        *,
        host: str = "127.0.0.1",
        smtp_port: int = 0,
        admin_port: int = 0,
    ) -> None:
        self.service = service
        self.host = host
        self._smtp_port = smtp_port
        self._admin_port = admin_port
        self._controller: LoopbackController | None = None
        self._http: ThreadedServer | None = None
        self._admin: AdminClient | None = None
        self.mode = "server"
        self.ca_bundle: str | None = None

    @property
    def credentials(self) -> dict[str, str]:
        """The SMTP login when the service requires AUTH (the first user), else ``{}``."""
        users = self.service.backend.credentials or {}
        for user, password in users.items():
            return {"username": user, "password": password}
        return {}

    def start(self) -> Self:
        if self._controller is not None:
            return self
        quiet_aiosmtpd_log()
        handler = CaptureHandler(self.service)
        controller = LoopbackController(
            handler,
            hostname=self.host,
            port=self._smtp_port,
            server_hostname="flowharness-mock",
            authenticator=handler.authenticate,
            # Loopback only: AUTH without TLS is fine; the handler enforces it when configured.
            auth_require_tls=False,
            ready_timeout=10.0,
        )
        try:
            controller.start()
        except (OSError, TimeoutError) as exc:
            raise MailServerError(
                f"the SMTP server did not start on {self.host}:{self._smtp_port}: {exc}; "
                "is the port free? (port 0 picks a free one)"
            ) from exc
        self._controller = controller
        try:
            self._http = self.service.serve(host=self.host, port=self._admin_port)
        except Exception:
            self.stop()
            raise
        self._admin = AdminClient(self._http.url)
        return self

    @property
    def smtp_host(self) -> str:
        return self.host

    @property
    def smtp_port(self) -> int:
        return int(self._running_controller().port)

    @property
    def port(self) -> int:
        """The SMTP port (what mail-sending code is configured with)."""
        return self.smtp_port

    @property
    def admin_url(self) -> str:
        if self._http is None:
            raise MailServerError("the mail server is not running; call start() or use `with`")
        return self._http.url

    @property
    def url(self) -> str:
        return self.admin_url

    @property
    def admin(self) -> AdminClient:
        if self._admin is None:
            raise MailServerError("the mail server is not running; call start() or use `with`")
        return self._admin

    def messages(self, *, to: str | None = None, subject: str | None = None) -> list[CapturedEmail]:
        from mocks.email import EmailAdmin  # the typed helper lives in the public module

        return EmailAdmin(self.admin).messages(to=to, subject=subject)

    def reset(self) -> None:
        self.admin.reset()

    def _running_controller(self) -> LoopbackController:
        if self._controller is None:
            raise MailServerError("the mail server is not running; call start() or use `with`")
        return self._controller

    def close(self) -> None:
        self.stop()

    def stop(self) -> None:
        if self._admin is not None:
            self._admin.close()
            self._admin = None
        if self._http is not None:
            self._http.stop()
            self._http = None
        if self._controller is not None:
            # aiosmtpd logs every cancelled session at ERROR while stopping; not news.
            logging.getLogger("mail.log").disabled = True
            try:
                self._controller.stop()
            finally:
                logging.getLogger("mail.log").disabled = False
            self._controller = None

    def __repr__(self) -> str:
        running = self._controller is not None
        where = (
            f"smtp://{self.host}:{self.smtp_port} admin {self.admin_url}" if running else "stopped"
        )
        return f"<MailServer {where}>"
