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
    bodies = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
              b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>", *objects]
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
