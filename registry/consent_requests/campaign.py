"""The school year's campaign: how far each school and group has answered, as a table and as CSV, and the
district-wide renewal of the forms that run out on 30 June.

A renewal asks again for the students whose newest form of the kind is a grant ending on the 30 June before the
school year asked for; the family's answer is valid to the end of that school year (signing.py).
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import astuple, dataclass, fields
from datetime import date
from io import StringIO

from sqlmodel import Session, col, select

from registry.consent_requests.service import OPEN, school_year_of, status_of
from registry.models.base import id_of
from registry.models.consent_requests import ConsentRequest
from registry.models.consents import Consent, ConsentRevocation
from registry.models.groups import Group, GroupMember
from registry.models.people import Person
from registry.policy import vocabulary as v
from registry.policy.ledger import District


@dataclass(frozen=True)
class CampaignRow:
    school: str
    group: str  # "" for the whole school
    requested: int
    opened: int
    signed_yes: int
    signed_no: int
    withdrawn: int
    no_answer: int


def _row(school: str, group: str, requests: list[ConsentRequest], district: District) -> CampaignRow:
    now = district.now()
    counts = Counter(status_of(r, at=now) for r in requests)
    return CampaignRow(
        school=school,
        group=group,
        requested=len(requests),
        opened=sum(1 for r in requests if r.opened_at is not None),
        signed_yes=counts["signed"],
        signed_no=counts["declined"],
        withdrawn=counts["withdrawn"],
        no_answer=sum(counts[s] for s in (*OPEN, "expired")),
    )


def campaign(session: Session, *, school_year: int, kind: str | None, district: District) -> list[CampaignRow]:
    """Per school, then per group within it: requested, opened, signed yes, signed no, withdrawn, no answer."""
    statement = select(ConsentRequest).where(ConsentRequest.school_year == school_year)
    if kind is not None:
        statement = statement.where(ConsentRequest.kind == kind)
    requests = list(session.exec(statement))
    ids = {r.person_id for r in requests}
    people = {id_of(p): p for p in session.exec(select(Person).where(col(Person.id).in_(ids)))} if ids else {}
    memberships: dict[int, list[Group]] = {}
    rows = session.exec(
        select(GroupMember.person_id, Group)
        .join(Group, col(Group.id) == col(GroupMember.group_id))
        .where(col(GroupMember.person_id).in_(list(ids)))
    ).all()
    for person_id, group in rows:
        memberships.setdefault(person_id, []).append(group)
    by_school: dict[str, list[ConsentRequest]] = {}
    by_group: dict[tuple[str, str], list[ConsentRequest]] = {}
    for request in requests:
        school = people[request.person_id].school or ""
        by_school.setdefault(school, []).append(request)
        for group in memberships.get(request.person_id, []):
            by_group.setdefault((school, group.name), []).append(request)
    table: list[CampaignRow] = []
    for school in sorted(by_school):
        table.append(_row(school, "", by_school[school], district))
        table += [_row(school, g, rs, district) for (s, g), rs in sorted(by_group.items()) if s == school]
    return table


def campaign_csv(rows: list[CampaignRow]) -> str:
    out = StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([f.name for f in fields(CampaignRow)])
    writer.writerows(astuple(row) for row in rows)
    return out.getvalue()


def renewal_year(district: District) -> int:
    """The school year a renewal asks for by default: from January to June the next one, from July the one begun."""
    today = district.today()
    return school_year_of(today) + (1 if today.month <= 6 else 0)


def running_out(session: Session, *, kind: str, on: date) -> list[Person]:
    """Active students whose newest form of this kind is a grant, not withdrawn, that ends on `on`."""
    ending = select(Consent.person_id).where(
        Consent.kind == kind, Consent.status == v.GRANTED, Consent.valid_until == on
    )
    students = list(
        session.exec(
            select(Person)
            .where(col(Person.id).in_(ending), Person.kind == "student", Person.status == "active")
            .order_by(col(Person.name))
        )
    )
    forms: dict[int, list[Consent]] = {}
    for consent in session.exec(
        select(Consent).where(col(Consent.person_id).in_([id_of(p) for p in students]), Consent.kind == kind)
    ):
        forms.setdefault(consent.person_id, []).append(consent)
    revoked = set(session.exec(select(ConsentRevocation.consent_id)))
    chosen = []
    for person in students:
        corrected = {c.corrects_id for c in forms[id_of(person)] if c.corrects_id is not None}
        read = [c for c in forms[id_of(person)] if c.id not in corrected]
        newest = max(read, key=lambda c: (c.signed_on, c.status == v.REFUSED, id_of(c)))
        if newest.status == v.GRANTED and newest.valid_until == on and newest.id not in revoked:
            chosen.append(person)
    return chosen
