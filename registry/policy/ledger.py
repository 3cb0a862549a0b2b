"""A person's consent record, read one way: their standing for a consent kind and a destination.

Every interface asks `read_record`: decisions and their explanations, the person's page, the
consent list, enrolment, the takedown scan. The rules, in plain words with their clauses, are in
the README ("How a consent record is read"); this module is their only implementation.

1. Only the person's acts of the kind asked about, signed on or before the district's today.
2. A correction replaces the form it corrects: the corrected form is no longer read at all.
3. The newest form decides, as a whole (latest signing date; on the same day a refusal wins,
   then the form entered last). Older forms are superseded, whatever destinations they named.
4. A revoked newest form is a withdrawal: no consent, honoured like a refusal. It never
   revives an older form. Revoking a refusal does not lift it: only a later signed grant does.
5. A refusal refuses the destinations it names, or every destination when it names none. It
   has no end date: the calendar never lifts it. A student's own refusal (signed at 18 or more)
   is lifted only by a newer form they sign themself: a parent's grant does not overrule it.
6. A grant counts only if signed by someone who may sign for the person both on its signing
   day and today (a parent or guardian for a student; the person themself for an adult; a
   student aged 18 or more themself where the pack says so; where the pack says so, a parent
   or guardian named on the roster), if the person has not left the district and it was signed
   after their last departure, on the days from its start to its end, and for the destinations
   it names.
7. Anything else (no form, a form that does not cover the destination) is no consent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from registry.policy import vocabulary as v
from registry.policy.facts import ConsentFacts, PersonFacts
from registry.policy.pack import PolicyPack

ADULT_AGE = 18


class Standing(StrEnum):
    GRANTED = "granted"  # a grant in force covers the destination
    REFUSED = "refused"  # the newest form refuses this destination
    WITHDRAWN = "withdrawn"  # the newest form was revoked
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    NOT_COVERED = "not_covered"  # the newest form says nothing for this destination
    WRONG_SIGNER = "wrong_signer"
    UNLISTED_SIGNER = "unlisted_signer"  # signed "parent" by someone not among the guardians on the roster
    DEPARTED = "departed"
    NONE = "none"  # no form of this kind on record

    @property
    def refuses(self) -> bool:
        """Honoured as a refusal: blocks even where the policy needs no consent."""
        return self in (Standing.REFUSED, Standing.WITHDRAWN)


@dataclass(frozen=True)
class Reading:
    standing: Standing
    act: ConsentFacts | None  # the form that decided (the newest one read), if any
    on: date | None = None  # the day that decided: signed, withdrawn, ended or starts

    @property
    def allows(self) -> bool:
        return self.standing is Standing.GRANTED


def district_today(at: datetime, zone: str) -> date:
    """The district's calendar day at this moment (a naive time is taken as UTC)."""
    moment = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
    return moment.astimezone(ZoneInfo(zone)).date()


def end_of_school_year(day: date) -> date:
    """The 30 June that closes the school year `day` falls in."""
    return date(day.year if (day.month, day.day) <= (6, 30) else day.year + 1, 6, 30)


def age_on(birth_date: date | None, day: date) -> int | None:
    if birth_date is None:
        return None
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def signers_for(person: PersonFacts, *, kind: str, on: date, adult_students_sign: bool) -> frozenset[str]:
    """Who may sign a form of this kind for this person on this day."""
    if kind == "logo_use" or person.kind != "student":
        return frozenset({"self"})
    age = age_on(person.birth_date, on)
    if adult_students_sign and age is not None and age >= ADULT_AGE:
        return frozenset({"self"})
    return v.SIGNERS_FOR["student"]


def own_refusal(person: PersonFacts, act: ConsentFacts) -> bool:
    """A student's refusal signed by the student themself (accepted at 18 or more, whoever may grant)."""
    return person.kind == "student" and act.status == v.REFUSED and act.signer_relationship == "self"


def _order(act: ConsentFacts) -> tuple[date, bool, int]:
    """Newest last: the latest signing date; on the same day a refusal after a grant; then the last entered."""
    return (act.signed_on, act.status == v.REFUSED, act.id)


def _refuses(act: ConsentFacts, destination: str | None) -> bool:
    return not act.scopes or destination is None or destination in act.scopes


def read_record(
    acts: Iterable[ConsentFacts],
    *,
    person: PersonFacts,
    kind: str,
    destination: str | None,
    at: datetime,
    today: date,
    adult_students_sign: bool,
    require_listed_guardian: bool = False,
    time_zone: str = "UTC",
) -> Reading:
    """The person's standing for `kind` (and `destination`, None for biometric consent) now.

    `at` is the moment asked about (revocations are times); `today` is the district's date then,
    in `time_zone` (the day a withdrawal is dated by).
    """
    mine = [a for a in acts if a.person_id == person.id and a.kind == kind and a.signed_on <= today]
    corrected = {a.corrects_id for a in mine if a.corrects_id is not None}
    live = [a for a in mine if a.id not in corrected]
    if not live:
        return Reading(Standing.NONE, None)
    newest = max(live, key=_order)
    own = max((a for a in live if a.signer_relationship == "self"), key=_order, default=None)
    if own is not None and own is not newest and own_refusal(person, own) and _refuses(own, destination):
        return Reading(Standing.REFUSED, own, own.signed_on)  # only their own newer form lifts it
    revoked = newest.revoked_at is not None and _not_after(newest.revoked_at, at)
    if newest.status == v.REFUSED:
        if _refuses(newest, destination):
            return Reading(Standing.REFUSED, newest, newest.signed_on)
        return Reading(Standing.NOT_COVERED, newest, newest.signed_on)
    if revoked:
        assert newest.revoked_at is not None
        return Reading(Standing.WITHDRAWN, newest, district_today(newest.revoked_at, time_zone))
    if not person.active:
        return Reading(Standing.DEPARTED, newest, person.departed_on)
    if person.left_on is not None and newest.signed_on <= person.left_on:
        return Reading(Standing.DEPARTED, newest, person.left_on)
    allowed = signers_for(person, kind=kind, on=newest.signed_on, adult_students_sign=adult_students_sign)
    allowed &= signers_for(person, kind=kind, on=today, adult_students_sign=adult_students_sign)
    if newest.signer_relationship not in allowed:
        return Reading(Standing.WRONG_SIGNER, newest, newest.signed_on)
    if require_listed_guardian and newest.signer_listed is False:
        return Reading(Standing.UNLISTED_SIGNER, newest, newest.signed_on)
    if today < newest.valid_from:
        return Reading(Standing.NOT_YET_VALID, newest, newest.valid_from)
    if newest.valid_until is not None and today > newest.valid_until:
        return Reading(Standing.EXPIRED, newest, newest.valid_until)
    if destination is not None and destination not in newest.scopes:
        return Reading(Standing.NOT_COVERED, newest, newest.signed_on)
    return Reading(Standing.GRANTED, newest, newest.signed_on)


def _not_after(moment: datetime, at: datetime) -> bool:
    if (moment.tzinfo is None) != (at.tzinfo is None):
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        at = at if at.tzinfo else at.replace(tzinfo=UTC)
    return moment <= at


def day_label(day: date) -> str:
    """3 Oct 2026: the way dates are written to people."""
    return f"{day.day} {day:%b %Y}"


def signer_label(act: ConsentFacts, person: PersonFacts) -> str:
    """Who signed, as a teacher would say it: "Maya Lopez's parent Ana Lopez", or "Jo Smith"."""
    if act.signer_relationship == "self":
        return person.name
    return f"{person.name}'s {act.signer_relationship} {act.signer_name}".rstrip()


def explain(reading: Reading, *, person: PersonFacts, kind: str, destination: str | None) -> str:
    """The reading in words a teacher understands: which act decided, by whom, when."""
    what = {
        "image_release": "image release",
        "biometric": "consent to enrol their face",
        "logo_use": "permission to use the district logo",
    }[kind]
    where = v.DESTINATION_LABELS[destination] if destination else ""
    act, on = reading.act, reading.on
    if act is None:
        return f"no {what} on file"
    signed = f"{signer_label(act, person)} on {day_label(act.signed_on)}"
    unlisted = " (signed by someone not on the roster)" if act.signer_listed is False else ""
    match reading.standing:
        case Standing.GRANTED:
            until = f", until {day_label(act.valid_until)}" if act.valid_until else ""
            covers = f", covers {where}" if where else ""
            return f"{what} signed by {signed}{unlisted}{until}{covers}"
        case Standing.REFUSED:
            named = ", ".join(v.DESTINATION_LABELS[d] for d in sorted(act.scopes))
            refused = f" for {named}" if act.scopes and len(act.scopes) < len(v.DESTINATIONS) else ""
            own = " themself" if own_refusal(person, act) else ""
            return f"{signer_label(act, person)} refused the {what}{refused}{own} on {day_label(act.signed_on)}"
        case Standing.WITHDRAWN:
            return f"the {what} signed by {signed} was withdrawn on {day_label(on or act.signed_on)}"
        case Standing.EXPIRED:
            return f"the {what} signed by {signed} ended on {day_label(on or act.signed_on)}"
        case Standing.NOT_YET_VALID:
            return f"the {what} signed by {signed} starts only on {day_label(on or act.signed_on)}"
        case Standing.DEPARTED:
            left = f" on {day_label(on)}" if on else ""
            if person.active:
                return (
                    f"{person.name} left the district{left}: the {what} signed by {signed} no longer applies "
                    "(a new form is needed since they came back)"
                )
            return f"{person.name} left the district{left}: the {what} no longer applies"
        case Standing.WRONG_SIGNER:
            return f"the {what} was signed by {signed}, who may not sign it for {person.name}" + (
                " (a student aged 18 or more signs their own)"
                if act.signer_relationship != "self"
                else " (a parent or guardian must sign)"
            )
        case Standing.UNLISTED_SIGNER:
            return (
                f"the {what} was signed by {signed}, someone not on the roster as {person.name}'s parent or "
                "guardian: this district counts only a guardian listed on the student's record"
            )
        case Standing.NOT_COVERED:
            if act.status == v.REFUSED:
                return f"the newest form for {person.name} (a refusal, signed by {signed}) gives no release for {where}"
            return f"the {what} signed by {signed}{unlisted} does not cover {where}"
    return f"no {what} on file"


@dataclass(frozen=True)
class District:
    """What reading a consent record needs besides the record: the pack and the district's clock."""

    pack: PolicyPack
    time_zone: str
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC), compare=False, repr=False)

    def now(self) -> datetime:
        return self.clock()

    def today(self, at: datetime | None = None) -> date:
        return district_today(at or self.now(), self.time_zone)

    def read(
        self,
        acts: Iterable[ConsentFacts],
        *,
        person: PersonFacts,
        kind: str,
        destination: str | None,
        at: datetime | None = None,
    ) -> Reading:
        moment = at or self.now()
        return read_record(
            acts,
            person=person,
            kind=kind,
            destination=destination,
            at=moment,
            today=self.today(moment),
            adult_students_sign=self.pack.adult_students_sign,
            require_listed_guardian=self.pack.require_listed_guardian,
            time_zone=self.time_zone,
        )
