"""Reading ``multipart/form-data`` bodies with the standard library's MIME parser.

Mocks parse raw bodies themselves (a real service answers malformed input in
its own way, not with FastAPI's 422), so they share this small reader.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP

__all__ = ["FileUpload", "parse_multipart"]


@dataclass(frozen=True)
class FileUpload:
    """A file part of a multipart body."""

    content: bytes
    content_type: str
    filename: str | None


def parse_multipart(content_type: str, body: bytes) -> dict[str, str | FileUpload]:
    """The fields of a multipart body: text fields as ``str``, parts with a file name as
    :class:`FileUpload`.

    ``content_type`` is the request's header (it carries the boundary); a body
    that does not parse gives no fields. A repeated name keeps its last part.
    """
    # The stdlib MIME parser reads multipart/form-data once given its header.
    parsed = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    fields: dict[str, str | FileUpload] = {}
    if not parsed.is_multipart():
        return fields
    for part in parsed.iter_parts():
        if not isinstance(part, Message):
            continue
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        content = part.get_payload(decode=True)
        content = content if isinstance(content, bytes) else b""
        filename = part.get_filename()
        if filename is not None:
            fields[name] = FileUpload(content, part.get_content_type(), filename)
        else:
            fields[name] = content.decode("utf-8", errors="replace")
    return fields
