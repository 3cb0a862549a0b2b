"""Scanned consent forms are checked by their content before they are kept: an image must decode whole
within the pixel limit, and a PDF must be a whole PDF that can run nothing (registry/consents/scan_pdf.py).

A scan is checked in a process of its own, never in the service's: a crafted file costs that process
alone, its memory goes back when it ends, and it may use at most ``SCAN_CHECK_CPU_SECONDS`` of processor
time and ``SCAN_CHECK_MEMORY_BYTES`` of memory (a scan that needs more is refused, as too costly to
check). At most ``SCANS_AT_ONCE`` are checked at once per service process; a scan that waits longer than
``SCAN_TURN_SECONDS`` for its turn, or whose check is not over within ``SCAN_WAIT_SECONDS`` (a machine so
busy that its processor time has not run out), is answered 503 with Retry-After, and nothing of it is kept.
"""

from __future__ import annotations

import multiprocessing
import resource
import signal
import threading
from multiprocessing.connection import Connection
from pathlib import Path

from media.images import ImageRejected, check_image_decodes
from registry.consents.scan_pdf import ScanRejected, check_pdf
from registry.core.errors import Busy, Invalid, RegistryError, TooLarge, UnsupportedMedia

PDF, JPEG, PNG = "application/pdf", "image/jpeg", "image/png"
MAGIC = {b"%PDF-": PDF, b"\xff\xd8\xff": JPEG, b"\x89PNG\r\n\x1a\n": PNG}
SCAN_CHECK_CPU_SECONDS = 10
SCAN_CHECK_MEMORY_BYTES = 768 * 1024 * 1024
SCAN_TURN_SECONDS = 10
SCAN_WAIT_SECONDS = 60
SCANS_AT_ONCE = 2
_SLOTS = threading.BoundedSemaphore(SCANS_AT_ONCE)
_ERRORS: dict[str, type[RegistryError]] = {e.__name__: e for e in (Invalid, TooLarge, UnsupportedMedia)}


def check_scan(
    data: bytes, *, max_bytes: int, max_pixels: int, max_decode_bytes: int, cpu_seconds: int = SCAN_CHECK_CPU_SECONDS
) -> str:
    """The scan's content type, once its content has been checked in a process of its own; a clear 4xx
    otherwise, or ``Busy`` (503) when scans are arriving faster than they can be checked."""
    scan_kind(data, max_bytes=max_bytes)
    if not _SLOTS.acquire(timeout=SCAN_TURN_SECONDS):
        raise _busy()
    try:
        outcome = _checked_apart(
            data, max_pixels=max_pixels, max_decode_bytes=max_decode_bytes, cpu_seconds=cpu_seconds
        )
    finally:
        _SLOTS.release()
    verdict, words = outcome
    if verdict == "kept":
        return words
    raise _ERRORS.get(verdict, Invalid)(words)


def scan_kind(data: bytes, *, max_bytes: int) -> str:
    """What the scan claims to be by its first bytes, and whether its size is allowed (cheap: no parsing)."""
    if len(data) > max_bytes:
        raise TooLarge(f"The scan is {len(data) // 1024} KB; the limit is {max_bytes // 1024} KB.")
    if not data:
        raise Invalid("The scan is empty.")
    content_type = next((kind for magic, kind in MAGIC.items() if data.startswith(magic)), None)
    if content_type is None:
        raise UnsupportedMedia("The scan must be a PDF, JPEG or PNG file.")
    return content_type


def check_scan_content(data: bytes, *, max_pixels: int, max_decode_bytes: int) -> str:
    """The check itself (run in the scan's own process): its content type, or the refusal."""
    content_type = scan_kind(data, max_bytes=len(data))
    if content_type == PDF:
        try:
            check_pdf(data)
        except ScanRejected as exc:
            raise Invalid(str(exc)) from exc
        return content_type
    try:
        check_image_decodes(data, max_pixels=max_pixels, max_decode_bytes=max_decode_bytes)
    except ImageRejected as exc:
        error = TooLarge if exc.status_code == 413 else Invalid
        raise error(exc.message.replace("This photo", "This scan")) from exc
    return content_type


def _checked_apart(data: bytes, *, max_pixels: int, max_decode_bytes: int, cpu_seconds: int) -> tuple[str, str]:
    context = multiprocessing.get_context("forkserver")
    receiving, sending = context.Pipe(duplex=False)
    process = context.Process(
        target=_check_in_child,
        args=(sending, data, max_pixels, max_decode_bytes, cpu_seconds),
        name="scan-check",
        daemon=True,
    )
    process.start()
    sending.close()
    try:
        answered = receiving.poll(SCAN_WAIT_SECONDS)
        outcome: tuple[str, str] | None = receiving.recv() if answered else None
    except EOFError:  # the check's process ended without answering: over its processor time or memory
        outcome, answered = None, True
    finally:
        if process.is_alive():
            process.kill()
        process.join()
        receiving.close()
    if outcome is not None:
        return outcome
    if not answered:
        raise _busy()
    return (
        "Invalid",
        "This scan takes more time or memory to check than a scanned form can need, so it is not kept. "
        "Scan the form again, or print it to a new PDF, and upload that.",
    )


def _check_in_child(sending: Connection, data: bytes, max_pixels: int, max_decode_bytes: int, cpu_seconds: int) -> None:
    signal.signal(signal.SIGXCPU, signal.SIG_DFL)  # past its processor time the process ends, answering nothing
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    memory = _data_bytes() + SCAN_CHECK_MEMORY_BYTES
    resource.setrlimit(resource.RLIMIT_DATA, (memory, memory))
    try:
        sending.send(("kept", check_scan_content(data, max_pixels=max_pixels, max_decode_bytes=max_decode_bytes)))
    except RegistryError as exc:
        sending.send((type(exc).__name__, exc.message))
    except MemoryError:
        sending.close()  # answered as too costly to check


def _data_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmData:"):
            return int(line.split()[1]) * 1024
    return 0


def _busy() -> Busy:
    return Busy(
        "Other scans are being checked just now; nothing of this one was kept. Upload it again in a minute.",
        retry_after=30,
    )
