"""Oversized bodies are refused while they arrive: the app is driven over ASGI, chunk by chunk,
counting how much of the body it pulled before answering."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from tests.api.hostile_helpers import SQLITE_ONLY, memory_peak, peak_growth_mb, stored_files

MB = 1024 * 1024
BOUNDARY = "hostile-boundary-7d1c"
PART_HEAD = (
    f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="photo"; filename="big.jpg"\r\n'
    "Content-Type: image/jpeg\r\n\r\n\xff\xd8\xff"
).encode("latin-1")


def fifty_megabytes() -> Iterator[bytes]:
    """A multipart upload of a 50 MB "photo", one megabyte at a time (the same block every time)."""
    yield PART_HEAD
    block = bytes(MB)
    for _ in range(50):
        yield block
    yield f"\r\n--{BOUNDARY}--\r\n".encode()


def drive(app, path: str, chunks: Iterator[bytes], headers: dict[str, str]) -> tuple[int, bytes, int]:
    """POST `chunks` to `app`; return the status, the response body and how many chunks it pulled."""
    pulled = 0
    pending: bytes | None = next(chunks)
    answer: dict[str, Any] = {"body": b""}

    async def receive() -> dict[str, object]:
        nonlocal pulled, pending
        if pending is None:
            await asyncio.sleep(3600)  # a client that has sent everything waits for the answer
        chunk, pending = pending, next(chunks, None)
        pulled += 1
        return {"type": "http.request", "body": chunk, "more_body": pending is not None}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]
        elif message["type"] == "http.response.body":
            answer["body"] = bytes(answer["body"]) + bytes(message.get("body", b""))

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "client": ("203.0.113.9", 40000),
        "server": ("testserver", 80),
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
    }
    asyncio.run(app(scope, receive, send))
    return int(answer["status"]), bytes(answer["body"]), pulled


@SQLITE_ONLY
def test_a_chunked_50_mb_upload_is_cut_off_at_the_limit_with_memory_to_spare(app, employee, settings):
    headers = {**employee, "content-type": f"multipart/form-data; boundary={BOUNDARY}", "transfer-encoding": "chunked"}
    with memory_peak() as peak:
        status, body, pulled = drive(app, "/api/v1/clearances", fifty_megabytes(), headers)
    assert status == 413, body
    assert b"larger than 31 MB" in body
    limit_chunks = (settings.max_upload_bytes + MB) // MB
    assert pulled <= limit_chunks + 2, f"pulled {pulled} MB of a 50 MB body"
    assert peak_growth_mb(peak) < 24, "the upload was held in memory instead of spooled to disk"
    assert stored_files(settings) == []


@SQLITE_ONLY
@pytest.mark.parametrize("declared", [str(50 * MB), "99999999999999999999", "-1", "12abc"])
def test_a_declared_length_over_the_limit_or_garbled_is_refused_before_any_of_the_body(app, employee, declared):
    headers = {**employee, "content-type": f"multipart/form-data; boundary={BOUNDARY}", "content-length": declared}
    status, body, pulled = drive(app, "/api/v1/clearances", fifty_megabytes(), headers)
    assert status == 413 and pulled == 0, body


@SQLITE_ONLY
def test_a_body_longer_than_it_declared_is_cut_off_too(app, employee):
    headers = {**employee, "content-type": f"multipart/form-data; boundary={BOUNDARY}", "content-length": "1000"}
    status, _, pulled = drive(app, "/api/v1/clearances", fifty_megabytes(), headers)
    assert 400 <= status < 500 and pulled <= 33


@SQLITE_ONLY
def test_an_oversized_sign_in_form_is_refused_too(app):
    def form() -> Iterator[bytes]:
        yield b"username=a%40b.org&password="
        for _ in range(40):
            yield b"x" * MB

    status, _, pulled = drive(app, "/api/v1/auth/token", form(), {"content-type": "application/x-www-form-urlencoded"})
    assert status in (400, 413, 422) and pulled <= 33
