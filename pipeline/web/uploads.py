"""Files dropped on the page, streamed from the request straight into the inbox with a cap on each.

No upload is held in memory or in a temporary folder elsewhere: each part of the multipart body
goes to an InboxWriter in inbox/<year>/ as it arrives, and past the size limit it is dropped and
the rest of its bytes are read and thrown away. A request larger than the total cap, by its
Content-Length, is refused before a byte of it is read.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import anyio.to_thread
from python_multipart import MultipartParser
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import parse_options_header
from starlette.requests import ClientDisconnect, Request

from pipeline.model.numbers import vn_number
from pipeline.workspace.inbox import InboxWriter, Saved, TooLarge

MIB = 1024 * 1024


class UploadRefused(Exception):
    """The whole request was refused; str() is the Vietnamese reason."""


@dataclass(frozen=True)
class Received:
    """One file of the request: where it went, or why it was not kept."""

    client_name: str
    saved: Saved | None = None
    refused: str = ""


def too_large(name: str, limit: int) -> str:
    """The message for a file over the limit."""
    return (f"Tệp “{name}” lớn hơn {vn_number(limit // MIB)} MB nên không được lưu (tệp lớn như vậy cũng không được "
            "kiểm tra). Đề nghị đơn vị xoá bớt hình ảnh, trang tính thừa hoặc tách thành nhiều tệp rồi gửi lại.")


def _decode(value: bytes) -> str:
    return value.decode("utf-8", "replace")


class _Parts:
    """Callbacks of the streaming parser, queued as events the request loop then acts on (writes off the loop)."""

    def __init__(self) -> None:
        self.events: list[tuple[str, bytes]] = []
        self._field = b""
        self._value = b""
        self._disposition = b""

    def on_part_begin(self) -> None:
        self._disposition = b""

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def on_header_end(self) -> None:
        if self._field.lower() == b"content-disposition":
            self._disposition = self._value
        self._field, self._value = b"", b""

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self._disposition)
        if b"filename" in options:
            self.events.append(("file", options[b"filename"]))
        else:
            self.events.append(("field", options.get(b"name", b"")))

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        self.events.append(("data", bytes(data[start:end])))

    def on_part_end(self) -> None:
        self.events.append(("end", b""))


async def receive_uploads(request: Request, folder: Path, limit: int, total_limit: int) -> list[Received]:
    """Save every file part of a multipart request into `folder`; each one capped at `limit` bytes."""
    content_type, params = parse_options_header(request.headers.get("content-type", ""))
    if content_type != b"multipart/form-data" or b"boundary" not in params:
        raise UploadRefused("Yêu cầu tải lên không đúng dạng; hãy chọn tệp bằng nút “Chọn tệp” rồi bấm “Tải lên”.")
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > total_limit:
        raise UploadRefused(f"Các tệp chọn cùng lúc lớn hơn {vn_number(total_limit // MIB)} MB nên không được lưu. "
                            "Hãy tải lên ít tệp hơn mỗi lần.")
    parts = _Parts()
    parser = MultipartParser(params[b"boundary"], {
        "on_part_begin": parts.on_part_begin, "on_header_field": parts.on_header_field,
        "on_header_value": parts.on_header_value, "on_header_end": parts.on_header_end,
        "on_headers_finished": parts.on_headers_finished, "on_part_data": parts.on_part_data,
        "on_part_end": parts.on_part_end})
    out: list[Received] = []
    writer: InboxWriter | None = None
    name = ""
    state = "skip"  # "file" while a file part is being written, "skip" for fields and dropped files
    seen = 0
    try:
        async for chunk in request.stream():
            seen += len(chunk)
            if seen > total_limit:
                raise UploadRefused(f"Các tệp chọn cùng lúc lớn hơn {vn_number(total_limit // MIB)} MB; các tệp "
                                    "chưa lưu xong đã bị bỏ. Hãy tải lên ít tệp hơn mỗi lần.")
            try:
                parser.write(chunk)
            except MultipartParseError:
                raise UploadRefused("Dữ liệu tải lên bị hỏng giữa chừng; hãy tải lên lại.") from None
            events, parts.events = parts.events, []
            for kind, data in events:
                if kind == "file":
                    name = _decode(data)
                    if name.strip():
                        writer = await anyio.to_thread.run_sync(InboxWriter, folder, name, limit)
                        state = "file"
                    else:  # a file input left empty
                        state = "skip"
                elif kind == "field":
                    state = "skip"
                elif kind == "data" and state == "file" and writer is not None:
                    try:
                        await anyio.to_thread.run_sync(writer.write, data)
                    except TooLarge:
                        out.append(Received(name, refused=too_large(name, limit)))
                        writer, state = None, "skip"
                elif kind == "end":
                    if state == "file" and writer is not None:
                        out.append(Received(name, saved=await anyio.to_thread.run_sync(writer.commit)))
                    writer, state = None, "skip"
    except ClientDisconnect:
        pass
    finally:
        if writer is not None:
            writer.abort()
    return out
