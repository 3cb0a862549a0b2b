"""Findings of the second outside test (low severity): each answered with a clear 4xx or a correct
result, never a 500, a second record, a formula in a spreadsheet, or a scan that is not what it says."""

from __future__ import annotations

import csv
import io
import struct
import zipfile
import zlib

import pytest

from scripts.album_report import write_report
from tests.api.album_helpers import add_account, album_settings, blank_jpeg
from tests.api.clearance_helpers import add_person, group_photo_to_blur, record
from tests.api.hostile_helpers import SQLITE_ONLY
from tests.api.test_web_pages import _sign_in
from tests.conftest import FACES
from tests.scan_helpers import flate_stream, pdf_with, pdf_with_packed_catalog, signed_form_pdf

FORM = {"destination": "personal_social_media", "context_kind": "sporting_event", "context_public": "true"}


def test_explicit_nulls_in_a_person_update_are_refused_not_a_500(client, office):
    person = add_person(client, office, "S-1", "student", "Maya Lopez")
    for body in ({"name": None}, {"status": None}):
        response = client.patch(f"/api/v1/people/{person}", json=body, headers=office)
        assert response.status_code == 422, (body, response.text)
        assert "cannot be null" in response.text
    cleared = client.patch(f"/api/v1/people/{person}", json={"school": None, "name": "Maya L."}, headers=office)
    assert cleared.status_code == 200 and cleared.json()["school"] is None and cleared.json()["name"] == "Maya L."


def test_a_zip_member_with_an_empty_name_is_an_item_like_any_other(tmp_path):
    from tests.api.album_helpers import album_client, make_engine, upgrade  # a database of its own

    engine = make_engine(f"sqlite:///{tmp_path / 'albums.db'}")
    upgrade(engine)
    settings = album_settings(tmp_path)
    coach = add_account(engine, settings, "employee", "coach@district.example.org")
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr(zipfile.ZipInfo(""), blank_jpeg())
        z.writestr("sky.jpg", blank_jpeg())
    client = album_client(settings, engine)  # not started: the upload is what is tested
    response = client.post(
        "/api/v1/clearances/batch",
        data=FORM,
        headers=coach,
        files={"zip": ("album.zip", archive.getvalue(), "application/zip")},
    )
    assert response.status_code == 202, response.text
    assert [(i["name"], i["status"]) for i in response.json()["items"]] == [
        ("file 1 in the zip", "queued"),
        ("sky.jpg", "queued"),
    ]
    engine.dispose()


def test_a_roster_field_over_128_kib_is_refused_with_its_line(client, office):
    roster = "external_id,name\nS-1,Maya Lopez\nS-2," + "x" * 140_000 + "\n"
    response = client.post(
        "/api/v1/people/import", files={"file": ("roster.csv", roster.encode(), "text/csv")}, headers=office
    )
    assert response.status_code == 422, response.text
    assert "Line 3" in response.json()["detail"] and "longer than" in response.json()["detail"]
    assert client.get("/api/v1/people", headers=office).json()["total"] == 0


def test_downloading_the_blurred_copy_twice_records_one_copy(client, office, employee):
    clearance = group_photo_to_blur(client, office, employee)
    first = client.get(f"/api/v1/clearances/{clearance['id']}/redacted", headers=employee)
    second = client.get(f"/api/v1/clearances/{clearance['id']}/redacted", headers=employee)
    assert first.status_code == second.status_code == 200, second.text
    assert first.headers["X-Clearance-Id"] == second.headers["X-Clearance-Id"]
    assert first.content == second.content
    assert client.get("/api/v1/clearances", headers=employee).json()["total"] == 2  # the photo and one copy


def test_the_report_writes_file_names_that_look_like_formulas_as_text(tmp_path):
    names = ['=HYPERLINK("http://x","y").jpg', "+1.jpg", "-2.jpg", "@SUM(A1).jpg", "\tx.jpg", "plain.jpg"]
    report = tmp_path / "report.csv"
    write_report(report, [{"file": name, "status": "done"} for name in names])
    with report.open(newline="") as handle:
        cells = [row["file"] for row in csv.DictReader(handle)]
    assert cells == ["'" + name for name in names[:-1]] + ["plain.jpg"]


def _png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 100)) + chunk(b"IEND", b"")
    )


WHOLE_JPEG = (FACES / "people" / "obama" / "obama-720p.jpg").read_bytes()
BAD_SCANS = {
    "png of 400 megapixels": (_png(20_000, 20_000), 413, "megapixels"),
    "truncated jpeg": (WHOLE_JPEG[: len(WHOLE_JPEG) // 2], 422, "damaged or incomplete"),
    "pdf header then a script": (b"%PDF-1.7\n<script>alert(1)</script>\n", 422, "incomplete"),
    "pdf without its end": (signed_form_pdf()[:-200], 422, "incomplete"),
    "pdf opening with javascript": (
        pdf_with(b"<< /Type /Action /S /JavaScript /JS (app.alert(1)) >>"),
        422,
        "/JavaScript",
    ),
    "pdf with an escaped name": (pdf_with(b"<< /OpenAct#69on 5 0 R >>"), 422, "/OpenAction"),
    "pdf launching a program inside an object stream": (
        pdf_with(flate_stream(b"<< /S /Launch /F (cmd.exe) >>", b"/Type /ObjStm /N 1 /First 0 ")),
        422,
        "/Launch",
    ),
    "pdf with an attached file": (
        pdf_with(b"<< /Type /EmbeddedFile /Length 0 >>\nstream\n\nendstream"),
        422,
        "/EmbeddedFile",
    ),
    "pdf with a script in a packed, predicted object stream": (
        pdf_with_packed_catalog(
            b"<< /Type /Catalog /Pages 2 0 R /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >>"
        ),
        422,
        "/OpenAction",
    ),
    "pdf in an encoding not checked": (
        pdf_with(b"<< /Length 4 /Filter /ASCIIHexDecode >>\nstream\n2F4A\nendstream"),
        422,
        "ASCIIHexDecode",
    ),
}


@SQLITE_ONLY
@pytest.mark.parametrize("case", sorted(BAD_SCANS))
def test_a_scan_is_checked_whole_not_by_its_first_bytes(client, office, settings, case):
    data, status, words = BAD_SCANS[case]
    consent = record(client, office, add_person(client, office, "S-1", "student", "Maya Lopez"))
    response = client.post(
        f"/api/v1/consents/{consent['id']}/evidence",
        headers=office,
        files={"file": ("form.pdf", data, "application/pdf")},
    )
    assert response.status_code == status, response.text
    assert words in response.json()["detail"]
    assert not settings.evidence_dir.exists() or not any(settings.evidence_dir.iterdir())


@SQLITE_ONLY
def test_a_real_scan_is_kept_and_given_back_as_a_download_never_shown_inline(client, office, session):
    consent = record(client, office, add_person(client, office, "S-1", "student", "Maya Lopez"))
    for name, data in (("form.pdf", signed_form_pdf()), ("form.jpg", WHOLE_JPEG)):
        kept = client.post(
            f"/api/v1/consents/{consent['id']}/evidence",
            headers=office,
            files={"file": (name, data, "application/octet-stream")},
        )
        assert kept.status_code == 201, kept.text
        evidence = kept.json()["evidence"][-1]
        download = client.get(f"/api/v1/consents/{consent['id']}/evidence/{evidence['id']}", headers=office)
        assert download.content == data
        assert download.headers["content-disposition"].startswith("attachment")
        assert download.headers["x-content-type-options"] == "nosniff"
        assert download.headers["content-security-policy"].startswith("sandbox")
    _sign_in(client, session, "office_staff")
    page = client.get(f"/consents/{consent['id']}/scans/{evidence['id']}")
    assert page.status_code == 200 and page.content == WHOLE_JPEG
    assert page.headers["content-disposition"].startswith("attachment")
    assert page.headers["x-content-type-options"] == "nosniff"
