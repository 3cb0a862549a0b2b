"""A person's data for a subject-access request, in one ZIP file an office can hand over.

`record.json`: the person's record, guardians, groups, consent forms (with withdrawals and the scans'
names and SHA-256), the face templates held (when and how made, never the encoding), the photos that show
them, and the retention schedule in force; `scans/`: the signed forms as scanned; `photos/`: each kept
photo that shows them (metadata stripped, or the small copy kept after the original's retention);
`audit.json`: the audit entries about them and their forms, templates and photos. The export is itself
an entry in the audit log.
"""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, select

from registry.clearances.reviews import photo_jpeg
from registry.consents.service import read_evidence
from registry.core.audit import record_act
from registry.core.errors import NotFound
from registry.core.settings import Settings
from registry.core.storage import storage_for
from registry.faces.lifecycle import retention_schedule
from registry.models.audit import AuditEntry
from registry.models.clearances import Clearance, ClearanceFace, ClearanceReview
from registry.models.consents import Consent, ConsentEvidence, ConsentRevocation
from registry.models.faces import FaceTemplate
from registry.models.groups import Group, GroupMember
from registry.models.people import Guardian, Person

NAMING_ACTS = ("person", "named")
ABOUT_THEM = ("person_id", "student_id")  # the columns that name a person in their rows' audit entries


def _plain(row: Any, *, leave_out: tuple[str, ...] = ()) -> dict[str, Any]:
    return {k: v for k, v in row.model_dump().items() if k not in leave_out}


def _json(value: Any) -> bytes:
    def default(item: Any) -> str:
        if isinstance(item, datetime | date):
            return item.isoformat()
        raise TypeError(type(item).__name__)

    return json.dumps(value, indent=2, default=default, ensure_ascii=False).encode()


def clearances_showing(session: Session, person_id: int) -> list[Clearance]:
    """Photos in which the service recognised them, or a person named them (the naming not taken back)."""
    ids = set(
        session.exec(
            select(ClearanceFace.clearance_id).where(
                ClearanceFace.person_id == person_id, ClearanceFace.band == "identified"
            )
        )
    )
    acts = session.exec(select(ClearanceReview).where(ClearanceReview.person_id == person_id)).all()
    undone = set(session.exec(select(ClearanceReview.undoes_id).where(col(ClearanceReview.undoes_id).is_not(None))))
    ids |= {a.clearance_id for a in acts if a.resolution in NAMING_ACTS and a.id not in undone}
    return list(session.exec(select(Clearance).where(col(Clearance.id).in_(ids)).order_by(col(Clearance.id))))


def audit_entries_about(session: Session, person_id: int, *, consents: set[int]) -> list[dict]:
    """Entries on their own row, and on rows that name them, their forms or their photos."""
    entries = session.exec(
        select(AuditEntry)
        .where(
            col(AuditEntry.table_name).in_(
                [
                    "people",
                    "guardians",
                    "consents",
                    "consent_revocations",
                    "consent_evidence",
                    "face_templates",
                    "group_members",
                    "clearance_faces",
                    "clearance_reviews",
                ]
            )
        )
        .order_by(col(AuditEntry.id))
    ).all()

    def names(value: Any, ids: set[int]) -> bool:
        if isinstance(value, list):
            return any(isinstance(v, int) and v in ids for v in value)
        return isinstance(value, int) and value in ids

    kept = []
    for entry in entries:
        sides = [side for side in ((entry.changes or {}).get(k) for k in ("before", "after")) if isinstance(side, dict)]
        changes = {key: value for side in sides for key, value in side.items()}  # a row's values, as logged
        about = (
            (entry.table_name == "people" and entry.row_id == str(person_id))
            or any(names(changes.get(key), {person_id}) for key in ABOUT_THEM)
            or (entry.table_name == "consents" and entry.row_id in {str(c) for c in consents})
            or names(changes.get("consent_id"), consents)
        )
        if about:
            kept.append(_plain(entry, leave_out=("prev_hash",)))
    return kept


def export_person(session: Session, *, person_id: int, settings: Settings) -> bytes:
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound(f"No person with id {person_id}.")
    consents = list(session.exec(select(Consent).where(Consent.person_id == person_id).order_by(col(Consent.id))))
    consent_ids = {int(c.id or 0) for c in consents}
    revocations = session.exec(
        select(ConsentRevocation).where(col(ConsentRevocation.consent_id).in_(consent_ids))
    ).all()
    evidence = list(session.exec(select(ConsentEvidence).where(col(ConsentEvidence.consent_id).in_(consent_ids))))
    templates = session.exec(select(FaceTemplate).where(FaceTemplate.person_id == person_id)).all()
    groups = session.exec(
        select(Group.name)
        .join(GroupMember, col(GroupMember.group_id) == col(Group.id))
        .where(GroupMember.person_id == person_id)
    ).all()
    photos = clearances_showing(session, person_id)
    buffer = io.BytesIO()
    store = storage_for(settings)
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "record.json",
            _json(
                {
                    "person": _plain(person, leave_out=("search_key",)),
                    "guardians": [
                        _plain(g) for g in session.exec(select(Guardian).where(Guardian.student_id == person_id))
                    ],
                    "groups": sorted(groups),
                    "consents": [_plain(c) for c in consents],
                    "withdrawals": [_plain(r) for r in revocations],
                    "scans": [_plain(e) for e in evidence],
                    "face_templates": [_plain(t, leave_out=("encoding", "thumbnail")) for t in templates],
                    "photos": [
                        _plain(c, leave_out=("thumbnail", "photo_file", "reasons", "review_reasons")) for c in photos
                    ],
                    "retention": retention_schedule(settings),
                }
            ),
        )
        for item in evidence:
            scan = read_evidence(store, item)
            if scan is not None:
                archive.writestr(f"scans/{item.consent_id}-{item.id}-{item.filename}", scan)
        for clearance in photos:
            if clearance.photo_file:
                try:
                    archive.writestr(f"photos/clearance-{clearance.id}.jpg", photo_jpeg(settings, clearance))
                    continue
                except NotFound:
                    pass
            if clearance.thumbnail:
                archive.writestr(f"photos/clearance-{clearance.id}-small.jpg", clearance.thumbnail)
        entries = audit_entries_about(session, person_id, consents=consent_ids)
        archive.writestr("audit.json", _json(entries))
    record_act(
        session,
        table_name="people",
        row_id=str(person_id),
        action="export",
        changes={"photos": len(photos), "scans": len(evidence), "audit_entries": len(entries)},
    )
    return buffer.getvalue()
