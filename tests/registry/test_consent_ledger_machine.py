"""Random sequences of acts on a few children's records, checked against the README's rules.

A Hypothesis state machine records forms (grants, refusals, corrections of any form: revoked,
refused, already corrected), revokes any form, lets children leave the district and come back,
lets days pass (the daily re-check runs) and clears photos of them, all through the registry's
services on a migrated database. An act the README refuses (correcting a revoked form, turning a
refusal into a grant, revoking a refusal) must be refused, and one it allows must be accepted.
After every step, an oracle written from the README's "How a consent record is read" (not from
registry/policy/ledger.py) says what each child's standing is, and two things must hold:

- no clearance is allowed (and left without a takedown request) for a face whose standing for
  that destination does not allow it: a grant in force where consent is needed, no refusal or
  withdrawal in the public arena;
- a newly cleared photo is allowed exactly when the oracle says every face in it may be posted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from sqlalchemy.engine import Engine
from sqlmodel import select

from registry.accounts import service as accounts
from registry.accounts.schemas import UserCreate
from registry.clearances.service import decide_again
from registry.consents import service as consents
from registry.consents.schemas import ConsentCreate
from registry.core.db import make_engine, new_session
from registry.core.errors import RegistryError
from registry.core.migrate import upgrade
from registry.models.clearances import Clearance, ClearanceFace
from registry.models.events import Event
from registry.models.takedowns import Takedown
from registry.people import service as people
from registry.people.schemas import PersonCreate, PersonUpdate
from registry.policy.ledger import District
from registry.policy.pack import load_builtin_pack
from tests.conftest import PASSWORD

DESTINATIONS = ("personal_social_media", "district_website", "print")
CHILDREN = 3
START = datetime(2026, 10, 1, 15, 0, tzinfo=UTC)


@dataclass
class Form:
    """A form as the README speaks of it."""

    id: int
    person: int
    granted: bool
    places: frozenset[str]
    signed: date
    starts: date
    ends: date | None
    corrects: int | None = None
    withdrawn_on: datetime | None = None


@dataclass
class Child:
    id: int
    left: bool = False
    left_on: date | None = None  # the day they last left, kept when they come back
    forms: list[Form] = field(default_factory=list)

    def in_force_for(self, form: Form) -> Form:
        """README rule 4: a corrected form is revoked through the correction that replaced it."""
        while (later := next((f for f in self.forms if f.corrects == form.id), None)) is not None:
            form = later
        return form


def oracle(child: Child, place: str, now: datetime) -> str:
    """'yes' (a grant in force covers the place), 'refused' (a refusal or withdrawal), or 'no'."""
    today = now.date()
    signed_so_far = [f for f in child.forms if f.signed <= today]
    replaced = {f.corrects for f in signed_so_far if f.corrects}
    standing = [f for f in signed_so_far if f.id not in replaced]
    if not standing:
        return "no"
    # The latest signing day; on that day a refusal before a grant; then the one entered last.
    latest_day = max(f.signed for f in standing)
    that_day = [f for f in standing if f.signed == latest_day]
    refusals = [f for f in that_day if not f.granted]
    newest = max(refusals or that_day, key=lambda f: f.id)
    if not newest.granted:
        return "refused" if (not newest.places or place in newest.places) else "no"
    if newest.withdrawn_on is not None and newest.withdrawn_on <= now:
        return "refused"
    if child.left:
        return "no"
    if child.left_on is not None and newest.signed <= child.left_on:
        return "no"  # rule 7: a departure ends the forms signed on or before the day they left
    ends = newest.ends
    in_dates = newest.starts <= today and (ends is None or today <= ends)
    return "yes" if in_dates and place in newest.places else "no"


def may_post(standing: str, *, public_game: bool, place: str) -> bool:
    # Litchfield IV.A.2: students need consent unless in the public arena on personal social media;
    # a refusal or withdrawal is honoured everywhere.
    if public_game and place == "personal_social_media":
        return standing != "refused"
    return standing == "yes"


@pytest.fixture(scope="module")
def machine_engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('ledger') / 'registry.db'}")
    upgrade(engine)
    return engine


class ConsentLedgerMachine(RuleBasedStateMachine):
    engine: Engine

    def __init__(self) -> None:
        super().__init__()
        self.connection = self.engine.connect()
        self.transaction = self.connection.begin()
        self.session = new_session(self.connection, expire_on_commit=False, join_transaction_mode="create_savepoint")
        self.session.info["actor"] = "test:machine"
        self.now = START
        self.district = District(load_builtin_pack("litchfield-4118.51"), "UTC", clock=lambda: self.now)
        self.children: list[Child] = []
        self.clearances: list[tuple[int, tuple[int, ...], bool, str]] = []  # id, faces, public game, place

    def teardown(self) -> None:
        self.session.close()
        self.transaction.rollback()
        self.connection.close()

    @initialize()
    def enrol_a_class(self) -> None:
        office = accounts.add_user(
            self.session,
            data=UserCreate(
                email="office@district.example.org", full_name="Office", role="office_staff", password=PASSWORD
            ),
        )
        self.coach = accounts.add_user(
            self.session,
            data=UserCreate(email="coach@district.example.org", full_name="Coach", role="employee", password=PASSWORD),
        )
        self.office_id = office.id or 0
        for n in range(CHILDREN):
            person = people.add_person(
                self.session, data=PersonCreate(external_id=f"S-{n}", kind="student", name=f"Child {n}")
            )
            self.children.append(Child(person.id or 0))
        self.game = Event(
            name="Home game",
            kind="sporting_event",
            public=True,
            starts_at=START.replace(tzinfo=None),
            ends_at=START.replace(tzinfo=None) + timedelta(days=3650),
            created_by_id=self.office_id,
        )
        self.session.add(self.game)
        self.session.flush()

    def _record(
        self,
        child: Child,
        *,
        granted: bool,
        places: frozenset[str],
        days_ago: int,
        lasts: int | None,
        corrects: Form | None = None,
    ) -> None:
        signed = self.now.date() - timedelta(days=days_ago)
        ends = None if not granted else (signed + timedelta(days=lasts) if lasts is not None else None)
        consent = consents.record_consent(
            self.session,
            entered_by_id=self.office_id,
            district=self.district,
            data=ConsentCreate.model_validate(
                {
                    "person_id": child.id,
                    "kind": "image_release",
                    "status": "granted" if granted else "refused",
                    "scopes": sorted(places),
                    "signer_name": "Parent",
                    "signer_relationship": "parent",
                    "signed_on": signed.isoformat(),
                    "valid_until": ends.isoformat() if ends else None,
                    "corrects_id": corrects.id if corrects else None,
                }
            ),
        )
        school_year_end = date(signed.year if (signed.month, signed.day) <= (6, 30) else signed.year + 1, 6, 30)
        child.forms.append(
            Form(
                consent.id or 0,
                child.id,
                granted,
                frozenset(places),
                signed,
                signed,
                (ends or school_year_end) if granted else None,
                corrects.id if corrects else None,
            )
        )

    @rule(
        n=st.integers(0, CHILDREN - 1),
        places=st.sets(st.sampled_from(DESTINATIONS), min_size=1),
        days_ago=st.integers(0, 400),
        lasts=st.none() | st.integers(0, 200),
    )
    def grant(self, n: int, places: set[str], days_ago: int, lasts: int | None) -> None:
        self._record(self.children[n], granted=True, places=frozenset(places), days_ago=days_ago, lasts=lasts)

    @rule(n=st.integers(0, CHILDREN - 1), places=st.sets(st.sampled_from(DESTINATIONS)), days_ago=st.integers(0, 400))
    def refuse(self, n: int, places: set[str], days_ago: int) -> None:
        self._record(self.children[n], granted=False, places=frozenset(places), days_ago=days_ago, lasts=None)

    @precondition(lambda self: any(self._correctable(c) for c in self.children))
    @rule(data=st.data(), granted=st.booleans(), places=st.sets(st.sampled_from(DESTINATIONS), min_size=1))
    def correct(self, data: st.DataObject, granted: bool, places: set[str]) -> None:
        child = data.draw(st.sampled_from([c for c in self.children if self._correctable(c)]))
        wrong = data.draw(st.sampled_from(self._correctable(child)))
        days_ago = (self.now.date() - wrong.signed).days
        self._record(child, granted=granted, places=frozenset(places), days_ago=days_ago, lasts=None, corrects=wrong)

    def _correctable(self, child: Child) -> list[Form]:
        """The plain case: a grant never revoked and not corrected yet (the other forms: correct_any_form)."""
        corrected = {f.corrects for f in child.forms}
        return [f for f in child.forms if f.id not in corrected and f.granted and f.withdrawn_on is None]

    @precondition(lambda self: any(self._revocable(c) for c in self.children))
    @rule(data=st.data())
    def revoke(self, data: st.DataObject) -> None:
        form = data.draw(st.sampled_from([f for c in self.children for f in self._revocable(c)]))
        consents.revoke_consent(
            self.session,
            consent=consents.get_consent(self.session, form.id),
            reason="phoned",
            revoked_by_id=self.office_id,
            district=self.district,
        )
        form.withdrawn_on = self.now

    def _revocable(self, child: Child) -> list[Form]:
        """The plain case: a grant in force, not corrected (the other forms: revoke_any_form)."""
        corrected = {f.corrects for f in child.forms}
        return [f for f in child.forms if f.granted and f.withdrawn_on is None and f.id not in corrected]

    @rule(n=st.integers(0, CHILDREN - 1))
    def leave_the_district(self, n: int) -> None:
        child = self.children[n]
        person = people.get_person(self.session, child.id)
        people.update_person(
            self.session, person=person, changes=PersonUpdate(status="departed"), district=self.district
        )
        if not child.left:  # leaving again changes nothing: they are gone since the first day
            child.left_on = self.now.date()
        child.left = True

    # --- corrections and revocations of any form; returns (issue 19) ------------------------------

    @precondition(lambda self: any(c.forms for c in self.children))
    @rule(
        data=st.data(),
        granted=st.booleans(),
        places=st.sets(st.sampled_from(DESTINATIONS)),
        shift=st.integers(-60, 60),
    )
    def correct_any_form(self, data: st.DataObject, granted: bool, places: set[str], shift: int) -> None:
        """A correction of any form, however it stands; refused exactly where README rule 2 refuses it."""
        child = data.draw(st.sampled_from([c for c in self.children if c.forms]))
        wrong = data.draw(st.sampled_from(child.forms))
        if granted and not places:
            places = {DESTINATIONS[0]}  # a grant names where photos may go (checked before any rule)
        signed = min(wrong.signed + timedelta(days=shift), self.now.date())
        refused_by_readme = (
            any(f.corrects == wrong.id for f in child.forms)  # corrected once: correct the correction
            or wrong.withdrawn_on is not None  # a withdrawn consent is not brought back
            or (
                not wrong.granted
                and (
                    granted  # a refusal is lifted only by a newer signed grant
                    or signed < wrong.signed  # an older grant would decide again
                    or (not wrong.places and bool(places))  # it refused everything
                    or (bool(wrong.places) and bool(places) and not wrong.places <= places)
                )
            )
        )
        try:
            self._record(
                child,
                granted=granted,
                places=frozenset(places),
                days_ago=(self.now.date() - signed).days,
                lasts=None,
                corrects=wrong,
            )
        except RegistryError as refused:
            assert refused_by_readme, f"correcting {wrong} was refused: {refused.message}"
            assert refused.status_code in (409, 422)
            return
        assert not refused_by_readme, f"correcting {wrong} was accepted"

    @precondition(lambda self: any(c.forms for c in self.children))
    @rule(data=st.data())
    def revoke_any_form(self, data: st.DataObject) -> None:
        """Revoking any form: a corrected one through the correction in force; a refusal or a form already
        withdrawn is refused (README rule 4)."""
        child = data.draw(st.sampled_from([c for c in self.children if c.forms]))
        asked = data.draw(st.sampled_from(child.forms))
        in_force = child.in_force_for(asked)
        refused_by_readme = not in_force.granted or in_force.withdrawn_on is not None
        try:
            revocation = consents.revoke_consent(
                self.session,
                consent=consents.get_consent(self.session, asked.id),
                reason="phoned",
                revoked_by_id=self.office_id,
                district=self.district,
            )
        except RegistryError as refused:
            assert refused_by_readme, f"revoking {asked} was refused: {refused.message}"
            return
        assert not refused_by_readme, f"revoking {asked} was accepted"
        assert revocation.consent_id == in_force.id
        in_force.withdrawn_on = self.now

    @precondition(lambda self: any(c.left for c in self.children))
    @rule(data=st.data())
    def come_back(self, data: st.DataObject) -> None:
        child = data.draw(st.sampled_from([c for c in self.children if c.left]))
        person = people.get_person(self.session, child.id)
        people.update_person(self.session, person=person, changes=PersonUpdate(status="active"), district=self.district)
        child.left = False

    @rule(days=st.integers(1, 200))
    def days_pass(self, days: int) -> None:
        from registry.takedowns import service as takedowns

        self.now += timedelta(days=days)
        takedowns.daily_recheck(self.session, district=self.district)

    @rule(
        faces=st.sets(st.integers(0, CHILDREN - 1), min_size=1, max_size=CHILDREN),
        public_game=st.booleans(),
        place=st.sampled_from(DESTINATIONS),
    )
    def clear_a_photo(self, faces: set[int], public_game: bool, place: str) -> None:
        clearance = Clearance(
            uploader_id=self.coach.id or 0,
            event_id=self.game.id if public_game else None,
            context_kind="sporting_event" if public_game else "classroom",
            context_public=public_game,
            destination=place,
            decision="needs_review",
            context_check="event_time" if public_game else "declared",  # its camera time is during the game
            pack_id="",
            pack_version="",
            engine="test",
            detector="test",
            detect_max_side=1600,
            match_threshold=0.5,
            review_threshold=0.6,
            min_margin=0.06,
            min_face_px=40,
            photo_sha256="0" * 64,
            photo_width=100,
            photo_height=100,
        )
        self.session.add(clearance)
        self.session.flush()
        people_in_it = tuple(sorted(self.children[n].id for n in faces))
        for index, person_id in enumerate(people_in_it):
            self.session.add(
                ClearanceFace(
                    clearance_id=clearance.id or 0,
                    index=index,
                    box_top=0,
                    box_right=10,
                    box_bottom=10,
                    box_left=0,
                    band="identified",
                    person_id=person_id,
                    distance=0.3,
                    margin=0.2,
                    verdict="needs_review",
                    rule="",
                    clause="",
                    message="",
                )
            )
        self.session.flush()
        decision = decide_again(self.session, clearance=clearance, district=self.district)
        expected = all(
            may_post(oracle(self._child(p), place, self.now), public_game=public_game, place=place)
            for p in people_in_it
        )
        assert (decision.decision == "allowed") == expected, (decision.decision, decision.reasons)
        self.clearances.append((clearance.id or 0, people_in_it, public_game, place))

    def _child(self, person_id: int) -> Child:
        return next(c for c in self.children if c.id == person_id)

    @invariant()
    def nothing_allowed_stays_up_without_a_standing_that_allows_it(self) -> None:
        taken_down = set(self.session.exec(select(Takedown.clearance_id)).all())
        for clearance_id, faces, public_game, place in self.clearances:
            recorded = self.session.get(Clearance, clearance_id)
            assert recorded is not None
            if recorded.decision != "allowed" or clearance_id in taken_down:
                continue
            for person_id in faces:
                standing = oracle(self._child(person_id), place, self.now)
                assert may_post(standing, public_game=public_game, place=place), (
                    f"clearance {clearance_id} is still allowed, but child {person_id} is '{standing}' for {place}"
                )


@pytest.mark.slow
def test_no_act_leaves_a_photo_allowed_that_the_rules_forbid(machine_engine: Engine) -> None:
    ConsentLedgerMachine.engine = machine_engine
    run = ConsentLedgerMachine.TestCase
    run.settings = settings(
        max_examples=60,
        stateful_step_count=30,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    run().runTest()


# --- Reviewers' acts, account links, one person shown twice (issue 19) ---------------------------------
#
# Kept apart from the consent acts above: its own photos and its own invariant. From the README:
# - "Two faces in one photo are never the same person": both go to a reviewer, who never allows them
#   ("Allow" is refused); when that person has refused, both are blocked.
# - A reviewer's act only informs the decision: *it is someone else* names any person; *not taken at this
#   event* decides the photo as taken somewhere not open to the public.
# - Only an employee's own record may be linked to an account; the uploader's own face is always theirs to
#   post (rule 6) while linked; a change of link decides the account's photos again.


@dataclass
class ReviewedPhoto:
    id: int
    faces: list[int | None]  # the person each face is, as the reviewers' acts leave it (None: the coach)
    public_game: bool
    place: str
    elsewhere: bool = False  # a reviewer said it was not taken at its event


class ReviewedLedgerMachine(ConsentLedgerMachine):
    @initialize()
    def staff(self) -> None:
        from registry.models.people import Person

        self.reviewer = accounts.add_user(
            self.session,
            data=UserCreate(email="rita@district.example.org", full_name="Rita", role="reviewer", password=PASSWORD),
        )
        coach_record = people.add_person(
            self.session, data=PersonCreate(external_id="E-COACH", kind="employee", name="Coach")
        )
        self.coach_record: Person = coach_record
        self.linked = False
        self.photos: list[ReviewedPhoto] = []

    def _photo_of(self, faces: list[int | None], *, public_game: bool, place: str) -> ReviewedPhoto:
        clearance = Clearance(
            uploader_id=self.coach.id or 0,
            event_id=self.game.id if public_game else None,
            context_kind="sporting_event" if public_game else "classroom",
            context_public=public_game,
            destination=place,
            decision="needs_review",
            context_check="event_time" if public_game else "declared",
            pack_id="",
            pack_version="",
            engine="test",
            detector="test",
            detect_max_side=1600,
            match_threshold=0.5,
            review_threshold=0.6,
            min_margin=0.06,
            min_face_px=40,
            photo_sha256="0" * 64,
            photo_width=100,
            photo_height=100,
        )
        self.session.add(clearance)
        self.session.flush()
        for index, who in enumerate(faces):
            self.session.add(
                ClearanceFace(
                    clearance_id=clearance.id or 0,
                    index=index,
                    box_top=0,
                    box_right=10,
                    box_bottom=10,
                    box_left=0,
                    band="identified",
                    person_id=self.coach_record.id if who is None else who,
                    distance=0.3,
                    margin=0.2,
                    verdict="needs_review",
                    rule="",
                    clause="",
                    message="",
                )
            )
        self.session.flush()
        decide_again(self.session, clearance=clearance, district=self.district)
        photo = ReviewedPhoto(clearance.id or 0, list(faces), public_game, place)
        self.photos.append(photo)
        return photo

    def _may_post(self, photo: ReviewedPhoto) -> bool:
        """The README's rules for the photo as the reviewers' acts leave it."""
        shown = photo.faces
        if len(set(shown)) != len(shown):
            return False  # one person twice: never allowed
        public_game = photo.public_game and not photo.elsewhere
        for who in shown:
            if who is None:
                if not self.linked:  # a co-worker without consent in a classroom (Litchfield IV.A.1)
                    return False
                continue
            standing = oracle(self._child(who), photo.place, self.now)
            if not may_post(standing, public_game=public_game, place=photo.place):
                return False
        return True

    @rule(n=st.integers(0, CHILDREN - 1), public_game=st.booleans(), place=st.sampled_from(DESTINATIONS))
    def clear_a_photo_showing_one_child_twice(self, n: int, public_game: bool, place: str) -> None:
        child = self.children[n]
        photo = self._photo_of([child.id, child.id], public_game=public_game, place=place)
        recorded = self.session.get(Clearance, photo.id)
        assert recorded is not None and recorded.decision != "allowed", recorded.reasons if recorded else None
        if oracle(child, place, self.now) == "refused":
            assert recorded.decision == "blocked", recorded.reasons

    @rule(n=st.none() | st.integers(0, CHILDREN - 1), with_coach=st.booleans(), place=st.sampled_from(DESTINATIONS))
    def clear_a_photo_the_coach_is_in(self, n: int | None, with_coach: bool, place: str) -> None:
        faces: list[int | None] = [None] if with_coach else []
        if n is not None:
            faces.append(self.children[n].id)
        if not faces:
            return
        photo = self._photo_of(faces, public_game=False, place=place)
        recorded = self.session.get(Clearance, photo.id)
        assert recorded is not None
        assert (recorded.decision == "allowed") == self._may_post(photo), recorded.reasons

    @precondition(lambda self: bool(getattr(self, "photos", None)))
    @rule(data=st.data(), n=st.integers(0, CHILDREN - 1))
    def reviewer_says_it_is_someone_else(self, data: st.DataObject, n: int) -> None:
        photo = data.draw(st.sampled_from(self.photos))
        index = data.draw(st.integers(0, len(photo.faces) - 1))
        self._review(photo, {"faces": [{"index": index, "resolution": "person", "person_id": self.children[n].id}]})
        photo.faces[index] = self.children[n].id

    @precondition(lambda self: bool(getattr(self, "photos", None)))
    @rule(data=st.data())
    def reviewer_approves_every_face_waiting(self, data: st.DataObject) -> None:
        from registry.core.errors import Invalid

        photo = data.draw(st.sampled_from(self.photos))
        waiting = self.session.exec(
            select(ClearanceFace).where(ClearanceFace.clearance_id == photo.id, ClearanceFace.verdict == "needs_review")
        ).all()
        for face in waiting:
            twice = face.rule == "same-person-twice"
            try:
                self._review(photo, {"faces": [{"index": face.index, "resolution": "approve"}]})
            except Invalid:
                assert twice, face.message
            else:
                assert not twice, "a reviewer allowed one of two faces matched to the same person"

    @precondition(lambda self: any(p.public_game and not p.elsewhere for p in getattr(self, "photos", [])))
    @rule(data=st.data())
    def reviewer_says_not_at_this_event(self, data: st.DataObject) -> None:
        photo = data.draw(st.sampled_from([p for p in self.photos if p.public_game and not p.elsewhere]))
        self._review(photo, {"not_at_event": True})
        photo.elsewhere = True

    def _review(self, photo: ReviewedPhoto, act: dict[str, object]) -> None:
        from registry.clearances.reviews import review_clearance
        from registry.clearances.schemas import ClearanceReviewRequest

        clearance = self.session.get(Clearance, photo.id)
        assert clearance is not None
        with self.session.begin_nested():
            review_clearance(
                self.session,
                clearance=clearance,
                reviewer=self.reviewer,
                data=ClearanceReviewRequest.model_validate(act),
                district=self.district,
            )

    @rule(n=st.integers(0, CHILDREN - 1))
    def link_the_coachs_account_to_a_child(self, n: int) -> None:
        from registry.core.errors import Invalid

        try:
            with self.session.begin_nested():
                accounts.link_person(
                    self.session, user=self.coach, person_id=self.children[n].id, district=self.district
                )
        except Invalid:
            return
        raise AssertionError("a child's record was linked to the coach's account")

    @rule(link=st.booleans())
    def link_or_unlink_the_coachs_own_record(self, link: bool) -> None:
        person_id = self.coach_record.id if link else None
        accounts.link_person(self.session, user=self.coach, person_id=person_id, district=self.district)
        self.linked = link

    @invariant()
    def no_reviewed_photo_is_allowed_that_the_rules_forbid(self) -> None:
        taken_down = set(self.session.exec(select(Takedown.clearance_id)).all())
        for photo in getattr(self, "photos", []):
            recorded = self.session.get(Clearance, photo.id)
            assert recorded is not None
            if recorded.decision == "allowed" and photo.id not in taken_down:
                assert self._may_post(photo), (photo, recorded.reasons)


@pytest.mark.slow
def test_no_reviewers_act_or_account_link_leaves_a_photo_allowed_that_the_rules_forbid(
    machine_engine: Engine,
) -> None:
    ReviewedLedgerMachine.engine = machine_engine
    run = ReviewedLedgerMachine.TestCase
    run.settings = settings(
        max_examples=40,
        stateful_step_count=30,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    run().runTest()
