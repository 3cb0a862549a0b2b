"""Scanned forms for tests: a real PDF (as a scanner's software writes one), and crafted ones."""

from __future__ import annotations

import io
import zlib

from PIL import Image


def signed_form_pdf() -> bytes:
    """A one-page PDF holding a greyscale image of a form: header, objects, xref, trailer, %%EOF."""
    out = io.BytesIO()
    Image.new("L", (170, 220), 255).save(out, "PDF", resolution=20)
    return out.getvalue()


def pdf_with(*objects: bytes) -> bytes:
    """A structurally whole PDF (catalog, page tree, xref, trailer) with extra objects from 4 on."""
    bodies = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>",
        *objects,
    ]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(bodies, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(bodies) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(bodies) + 1, xref)
    return bytes(out)


def flate_stream(content: bytes, extra: bytes = b"") -> bytes:
    packed = zlib.compress(content)
    return b"<< /Length %d /Filter /FlateDecode %s>>\nstream\n" % (len(packed), extra) + packed + b"\nendstream"


def pdf_with_packed_catalog(catalog: bytes, *, columns: int = 8) -> bytes:
    """A PDF 1.5 whose catalog (object 1) sits in a Flate object stream with a PNG predictor (each row
    stored as differences, so its names appear in no form in the file), listed by an xref stream."""
    header = b"1 0 "
    content = header + catalog
    content += bytes(-len(content) % columns)
    rows = b""
    for start in range(0, len(content), columns):
        row = content[start : start + columns]
        rows += b"\x01" + bytes([row[0]]) + bytes((row[i] - row[i - 1]) % 256 for i in range(1, len(row)))
    packed = zlib.compress(rows)
    out = bytearray(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for number, body in (
        (2, b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"),
        (3, b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>"),
        (
            4,
            b"<< /Type /ObjStm /N 1 /First %d /Length %d /Filter /FlateDecode "
            b"/DecodeParms << /Predictor 12 /Columns %d >> >>\nstream\n"
            % (len(header), len(packed), columns)
            + packed
            + b"\nendstream",
        ),
    ):
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref_at = len(out)
    entries = [b"\x00" + bytes(4) + b"\xff\xff", b"\x02" + (4).to_bytes(4, "big") + (0).to_bytes(2, "big")]
    entries += [b"\x01" + offsets[n].to_bytes(4, "big") + bytes(2) for n in (2, 3, 4)]
    entries.append(b"\x01" + xref_at.to_bytes(4, "big") + bytes(2))
    table = b"".join(entries)
    out += (
        b"5 0 obj\n<< /Type /XRef /Size 6 /W [1 4 2] /Root 1 0 R /Length %d >>\nstream\n" % len(table)
        + table
        + b"\nendstream\nendobj\n"
    )
    out += b"startxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(out)
