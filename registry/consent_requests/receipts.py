"""The receipt of what a family did online: the evidence kept with the consent, as a paper form's scan is.

It holds the exact text shown (and its version), every answer, the signer and the statement they affirmed, the
moment, the address and browser it came from, and the SHA-256 of all of that as canonical JSON: anyone holding
the receipt can recompute the digest from what it prints.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from fpdf import FPDF

from registry.consent_requests.forms import FormText
from registry.groups.class_list_pdf import font_text, unicode_font


@dataclass(frozen=True)
class Receipt:
    act: str  # "signed" or "withdrawn"
    request_id: int
    student: str
    form: FormText
    answers: tuple[tuple[str, str], ...]  # (question, "Yes"/"No") as shown
    signer: str
    relationship: str
    statement: str
    at: datetime  # in the district's time zone
    address: str
    browser: str
    on_record: tuple[str, ...] = field(default=())  # a withdrawal: what it withdrew

    def record(self) -> dict[str, object]:
        return {
            "act": self.act,
            "request": self.request_id,
            "student": self.student,
            "form_version": self.form.reference,
            "form_text": self.form.text,
            "answers": [list(a) for a in self.answers],
            "signer": self.signer,
            "relationship": self.relationship,
            "statement": self.statement,
            "at": self.at.isoformat(),
            "address": self.address,
            "browser": self.browser,
            "withdrawn": list(self.on_record),
        }

    @property
    def sha256(self) -> str:
        canonical = json.dumps(self.record(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()


def receipt_pdf(receipt: Receipt, _: Callable[[str], str]) -> bytes:
    pdf = FPDF(format="letter")
    title = _("Receipt: consent signed online") if receipt.act == "signed" else _("Receipt: consent withdrawn online")
    pdf.set_title(title)
    pdf.set_auto_page_break(auto=True, margin=15)
    family = unicode_font(pdf)

    def line(text: str, *, size: float = 10, bold: bool = False, height: float = 5) -> None:
        pdf.set_font(family, "B" if bold else "", size)
        pdf.multi_cell(0, height, font_text(family, text), new_x="LMARGIN", new_y="NEXT")

    pdf.add_page()
    line(title, size=15, bold=True, height=8)
    line(f"{_('Student')}: {receipt.student}")
    line(f"{_('Time')}: {receipt.at:%Y-%m-%d %H:%M:%S %Z}")
    line(f"{_('Internet address')}: {receipt.address}")
    line(f"{_('Browser')}: {receipt.browser}")
    pdf.ln(2)
    if receipt.act == "signed":
        line(_("Answers"), size=12, bold=True, height=7)
        for question, answer in receipt.answers:
            line(f"{question}: {answer}")
    else:
        line(_("Withdrawn"), size=12, bold=True, height=7)
        for words in receipt.on_record:
            line(words)
    pdf.ln(2)
    line(f"{_('Signed by')}: {receipt.signer} ({receipt.relationship})")
    line(receipt.statement)
    pdf.ln(2)
    line(_("The form as shown"), size=12, bold=True, height=7)
    line(receipt.form.reference, size=8)
    line(receipt.form.title, bold=True)
    for paragraph in receipt.form.paragraphs:
        line(paragraph, size=9, height=4.5)
        pdf.ln(1)
    pdf.ln(2)
    line(_("SHA-256 of this record"), size=10, bold=True)
    line(receipt.sha256, size=8)
    return bytes(pdf.output())
