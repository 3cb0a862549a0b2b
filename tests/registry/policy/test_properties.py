"""Whatever the photo, the shipped packs never let an unconfirmed or unconsented child through."""

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from registry.policy import (
    ClearanceRequest,
    ConsentFacts,
    Context,
    FaceInput,
    PersonFacts,
    PolicyPack,
    decide,
    load_builtin_pack,
)
from registry.policy.vocabulary import (
    BASE_TAGS,
    CONSENT_KINDS,
    CONTEXT_KINDS,
    DESTINATIONS,
    MATCH_BANDS,
    SIGNER_RELATIONSHIPS,
    SIGNERS_FOR,
    worst,
)

AT = datetime(2026, 1, 15, 14, 30, tzinfo=UTC)
PACKS = [load_builtin_pack(pack_id) for pack_id in ("litchfield-4118.51", "danbury-4-303")]
PEOPLE = [
    PersonFacts(1, "student", "Student One"),
    PersonFacts(2, "student", "Student Two", active=False),
    PersonFacts(3, "employee", "Teacher Three"),
    PersonFacts(4, "employee", "Coach Four"),
    PersonFacts(5, "community_member", "Parent Five"),
]
# Consents are drawn to be mostly about the people in the photo and mostly in force, so that
# the near misses (a wrong signer, a narrow scope, a later refusal) come up often.
OFFSET = st.integers(min_value=-400, max_value=30).map(lambda n: AT.date() + timedelta(days=n))
REVOKED = st.none() | st.none() | st.integers(-90 * 24, 90 * 24).map(lambda h: AT + timedelta(hours=h))


@st.composite
def consents(draw: st.DrawFn) -> ConsentFacts:
    signed_on: date = draw(OFFSET)
    valid_from = signed_on + timedelta(days=draw(st.sampled_from([0, 0, 0, 30, 400])))
    all_scopes = sorted(DESTINATIONS)
    return ConsentFacts(
        id=0,  # numbered in the request
        person_id=draw(st.sampled_from(PEOPLE)).id,
        kind=draw(st.sampled_from(["image_release"] * 4 + sorted(CONSENT_KINDS))),
        status=draw(st.sampled_from(["granted", "granted", "refused"])),
        scopes=frozenset(draw(st.just(all_scopes) | st.sets(st.sampled_from(all_scopes)))),
        signer_relationship=draw(st.sampled_from(sorted(SIGNER_RELATIONSHIPS))),
        signed_on=signed_on,
        valid_from=valid_from,
        valid_until=valid_from + timedelta(days=draw(st.integers(-10, 600))),
        revoked_at=draw(REVOKED),
    )


@st.composite
def faces(draw: st.DrawFn) -> FaceInput:
    band = draw(st.sampled_from(sorted(MATCH_BANDS)))
    person = draw(st.sampled_from(PEOPLE)) if band != "unknown" else draw(st.none() | st.sampled_from(PEOPLE))
    others = tuple(draw(st.lists(st.sampled_from(PEOPLE), max_size=2))) if band == "possible" else ()
    return FaceInput(index=0, band=band, person=person, candidates=others)


@st.composite
def requests(draw: st.DrawFn) -> ClearanceRequest:
    drawn = draw(st.lists(faces(), max_size=4))
    return ClearanceRequest(
        faces=tuple(FaceInput(n, f.band, f.person, f.candidates) for n, f in enumerate(drawn)),
        context=Context(draw(st.sampled_from(sorted(CONTEXT_KINDS))), draw(st.booleans())),
        destination=draw(st.sampled_from(sorted(DESTINATIONS))),
        tags=frozenset(draw(st.sets(st.sampled_from(sorted(BASE_TAGS))))),
        uploader_person_id=draw(st.none() | st.sampled_from([p.id for p in PEOPLE])),
        consents=tuple(replace(c, id=n) for n, c in enumerate(draw(st.lists(consents(), max_size=8)), 1)),
        at=AT,
        extra_review_reasons=tuple(draw(st.lists(st.just("outside the event window"), max_size=1))),
    )


def parental_consent_in_force(request: ClearanceRequest, person: PersonFacts) -> bool:
    """Written independently of the engine: a parent's grant not overtaken by a refusal."""

    def counts(c: ConsentFacts) -> bool:
        not_revoked = c.revoked_at is None or c.revoked_at > request.at
        return (
            c.person_id == person.id
            and c.kind == "image_release"
            and not_revoked
            and request.destination in c.scopes
            and c.valid_from <= request.at.date()
            and (c.valid_until is None or request.at.date() <= c.valid_until)
        )

    acts = [c for c in request.consents if counts(c)]
    grants = [c.signed_on for c in acts if c.status == "granted" and c.signer_relationship in ("parent", "guardian")]
    refusals = [c.signed_on for c in acts if c.status == "refused"]
    return bool(grants) and not any(day >= max(grants) for day in refusals)


@settings(max_examples=400, deadline=None)
@given(request=requests(), pack=st.sampled_from(PACKS))
def test_the_engine_fails_closed(request: ClearanceRequest, pack: PolicyPack) -> None:
    decision = decide(request, pack)
    public_arena = request.context.public and request.context.kind in pack.public_arena
    litchfield_exception = (
        pack.id == "litchfield-4118.51" and public_arena and request.destination == "personal_social_media"
    )
    bands = {face.band for face in request.faces}
    if "unknown" in bands:  # not known to be a student: never released by the public arena either (IV.A.1)
        assert decision.decision != "allowed"
    if "possible" in bands:
        assert decision.decision != "allowed"
    for face in request.faces:
        person = face.person
        if (
            face.band == "identified"
            and person is not None
            and person.kind == "student"
            and person.id != request.uploader_person_id
            and not litchfield_exception
            and not parental_consent_in_force(request, person)
        ):
            assert decision.decision != "allowed"
            assert next(f for f in decision.faces if f.index == face.index).verdict != "allowed"

    by_id = {c.id: c for c in request.consents}
    for verdict in decision.faces:
        if verdict.verdict == "allowed" and verdict.consent_id is not None:
            relied = by_id[verdict.consent_id]
            person = request.faces[verdict.index].person
            assert person is not None and relied.person_id == person.id
            assert (relied.kind, relied.status) == ("image_release", "granted")
            assert relied.signer_relationship in SIGNERS_FOR[person.kind]
            assert request.destination in relied.scopes

    parts = [f.verdict for f in decision.faces]
    parts += [r.verdict for r in decision.reasons if r.rule != "summary"]
    assert decision.decision == worst(parts)
    assert decision.reasons[-1].verdict == decision.decision
    if request.extra_review_reasons:
        assert decision.decision != "allowed"
    if decision.redaction_offered:
        assert decision.decision == "blocked"
        assert all(f.redactable for f in decision.faces if f.verdict == "blocked")
        assert all(f.verdict != "needs_review" for f in decision.faces)
