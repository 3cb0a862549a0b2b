"""A consent scan is checked in a process of its own, bounded in objects, time and memory, and read as a PDF
reader reads it: an escaped or distant /Filter is still followed, and a link out of the form is refused."""

from __future__ import annotations

import zlib

import pytest

from registry.core.settings import Settings
from tests.api.clearance_helpers import add_person, record
from tests.api.hostile_helpers import SQLITE_ONLY, memory_peak, peak_growth_mb
from tests.scan_helpers import pdf_with, signed_form_pdf


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"scan_check_cpu_seconds": 1})


def attach(client, office, data: bytes):
    consent = record(client, office, add_person(client, office, "S-1", "student", "Maya Lopez"))
    return client.post(
        f"/api/v1/consents/{consent['id']}/evidence",
        headers=office,
        files={"file": ("form.pdf", data, "application/pdf")},
    )


def packed(content: bytes, dictionary: bytes) -> bytes:
    data = zlib.compress(content)
    return b"<< /Length %d %s >>\nstream\n" % (len(data), dictionary) + data + b"\nendstream"


HIDDEN_FILTERS = {
    "an escaped /Filter": (packed(b"<< /S /Launch /F (cmd.exe) >>", b"/Fi#6Cter /FlateDecode"), "/Launch"),
    "an escaped filter's name": (packed(b"/JavaScript", b"/Filter /Fl#61teDecode"), "/JavaScript"),
    "a /Filter far before the stream": (
        packed(b"<< /S /JavaScript /JS (app.alert(1)) >>", b"/Filter /FlateDecode /Pad (" + b"x" * 8000 + b")"),
        "/JavaScript",
    ),
    "a /Filter given elsewhere": (packed(b"/Launch", b"/Filter 5 0 R"), "encoding"),
    "a link out of the form": (
        b"<< /Type /Annot /Subtype /Link /Rect [0 0 612 792] /A << /S /URI /URI (https://example.com/) >> >>",
        "/URI",
    ),
    "an escaped link out of the form": (b"<< /Type /Annot /Subtype /Link /A << /S /U#52I /URI (x) >> >>", "/URI"),
    "a link to play a film": (b"<< /Type /Annot /Subtype /Link /A << /S /Rendition /OP 0 >> >>", "/Rendition"),
}


@SQLITE_ONLY
@pytest.mark.parametrize("case", sorted(HIDDEN_FILTERS))
def test_a_scan_is_read_as_a_pdf_reader_reads_it(client, office, settings, case):
    extra, words = HIDDEN_FILTERS[case]
    response = attach(client, office, pdf_with(extra, b"<< /Type /Filter >>"))
    assert response.status_code == 422, response.text
    assert words in response.json()["detail"]
    assert not settings.evidence_dir.exists() or not any(settings.evidence_dir.iterdir())


@SQLITE_ONLY
def test_a_real_scan_is_still_kept(client, office):
    assert attach(client, office, signed_form_pdf()).status_code == 201


@SQLITE_ONLY
def test_a_scan_of_far_more_objects_than_a_form_has_is_refused(client, office):
    response = attach(client, office, pdf_with(*[b"<< >>"] * 25_000))
    assert response.status_code == 422, response.text
    assert "more than 20,000 pieces" in response.json()["detail"]


@SQLITE_ONLY
def test_a_scan_too_costly_to_check_is_refused_and_costs_the_service_nothing(client, office):
    """A PDF of fat dictionaries takes seconds to read: its own process stops at its processor time, and the
    service's memory does not grow with it."""
    fat = pdf_with(*[b"<< " + b" ".join(b"/K%d %d" % (i, i) for i in range(60)) + b" >>"] * 4_000)
    consent = record(client, office, add_person(client, office, "S-1", "student", "Maya Lopez"))
    with memory_peak() as measured:
        response = client.post(
            f"/api/v1/consents/{consent['id']}/evidence",
            headers=office,
            files={"file": ("form.pdf", fat, "application/pdf")},
        )
    assert response.status_code == 422, response.text
    assert "more time or memory to check" in response.json()["detail"]
    assert peak_growth_mb(measured) < 40
