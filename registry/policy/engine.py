"""The decision: may this photo be posted here, face by face and tag by tag, under this pack?

A pure function of the request and the pack. It fails closed: no face is treated as
consented unless a consent in force says so, a possible match always goes to a human, and
the whole photo is as restrictive as its most restrictive face, tag or review reason.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from registry.policy import vocabulary as v
from registry.policy.facts import (
    ClearanceRequest,
    Context,
    FaceInput,
    PersonFacts,
    check_request,
)
from registry.policy.ledger import Reading, district_today, explain, read_record
from registry.policy.pack import PolicyPack
from registry.policy.rules import Rule


@dataclass(frozen=True)
class FaceVerdict:
    index: int
    verdict: str
    rule: str
    clause: str
    message: str
    consent_id: int | None  # the form that decided: the grant relied on, a refusal, or the form that falls short
    redactable: bool


@dataclass(frozen=True)
class Reason:
    rule: str
    clause: str
    message: str
    verdict: str
    person_id: int | None = None  # the person the reason names, if it names one (see disclosure.py)


@dataclass(frozen=True)
class Decision:
    decision: str
    faces: tuple[FaceVerdict, ...]
    reasons: tuple[Reason, ...]
    pack_id: str
    pack_version: str
    consents_relied_on: tuple[int, ...]  # grants behind allowed faces and tags: revoking one
    redaction_offered: bool  # of them turns this clearance into a takedown


CANNOT_CHECK = "refusal-cannot-be-checked"
TO_BE_NAMED = "face-to-be-named"  # a face the district does not recognise, waiting for a person to name it

# Decisions the engine makes whatever the pack says; shown beside the pack's own rules.
ENGINE_RULES: dict[str, tuple[str, str]] = {
    "recorded-refusal": (
        "Consent Registry — a recorded refusal is always honoured",
        "A refusal or a withdrawn consent on record blocks this face even where the policy would not need consent.",
    ),
    "unverified-public-arena": (
        "Consent Registry — the public arena is checked, not taken on trust",
        "The photo is said to come from a public event, and that is what would allow it, but nothing "
        "shows it was taken there (it names no district event, or carries no camera time to check against "
        "the event it names): a reviewer must confirm where it was taken.",
    ),
    "context-note": (
        "Consent Registry — where the photo was taken",
        "",
    ),
    "same-person-twice": (
        "Consent Registry — one person, one face",
        "Two faces were matched to the same person, so at least one match is wrong: "
        "a reviewer must check who they are.",
    ),
    "unrecognisable-face": (
        "Consent Registry — a face that cannot be compared is never taken as consented",
        "A reviewer will decide, or upload a closer or clearer photo.",
    ),
    "reviewer-rejected": (
        "Consent Registry — a reviewer's decision",
        "A reviewer looked at this face and decided it may not be posted.",
    ),
    "blurred-face": (
        "Consent Registry — blurred beyond recognition",
        "This face was blurred by the service and no longer matches anyone.",
    ),
    "unchecked-person": (
        "Consent Registry — a person whose face could not be checked",
        "A reviewer must say who it is, reject it (it may then be blurred), or find that nobody is there; "
        "or upload a closer or clearer photo.",
    ),
    TO_BE_NAMED: (
        "Consent Registry — faces are named by people",
        "This district does not recognise this face: the photo waits until the uploader, or a reviewer, "
        "says who it is (or that it is nobody on any roster).",
    ),
    "reviewer-no-one-there": (
        "Consent Registry — a reviewer's decision",
        "A reviewer looked and found nobody here: what the search saw is not a person.",
    ),
    "reviewer-approved": (
        "Consent Registry — a reviewer's decision",
        "A reviewer looked and decided this may be posted.",
    ),
    "review-requested": (
        "Consent Registry — review requested",
        "Something about this upload needs a person to look at it.",
    ),
    CANNOT_CHECK: (
        "Consent Registry — a refusal the service cannot check",
        "Someone who may be in this photo refused, and the service cannot recognise them (no enrolled "
        "face), so a face nobody could identify may be theirs: a reviewer must check it is not them.",
    ),
}


# settled by naming or rejecting faces only
NOT_APPROVABLE = frozenset({"same-person-twice", "unchecked-person", "unrecognisable-face", TO_BE_NAMED})


def decide(request: ClearanceRequest, pack: PolicyPack) -> Decision:
    check_request(request, pack.tag_names)
    seen = [f.person.id for f in request.faces if f.band == "identified" and f.person]
    twice = {person_id for person_id in seen if seen.count(person_id) > 1}
    at_risk = _cannot_be_checked(request, pack)
    faces = tuple(
        _approved(_unchecked(_face_verdict(face, request, pack, twice), face, at_risk), face) for face in request.faces
    )
    tag_outcomes = [_tag_outcome(tag, request, pack) for tag in sorted(request.tags)]
    tag_outcomes = [
        (_approved_tag(reason, tag, request), consent_id)
        for (reason, consent_id), tag in zip(tag_outcomes, sorted(request.tags), strict=True)
    ]
    reviews = [
        _engine_reason("review-requested", f"Review requested: {reason}", v.NEEDS_REVIEW)
        for reason in request.extra_review_reasons
    ]
    tag_reasons = [reason for reason, _ in tag_outcomes]
    decision = v.worst([f.verdict for f in faces] + [r.verdict for r in tag_reasons + reviews])
    if decision != v.NEEDS_REVIEW and _rests_on_declared_arena(request, pack, decision):
        clause, message = ENGINE_RULES["unverified-public-arena"]
        reviews.append(Reason("unverified-public-arena", clause, message, v.NEEDS_REVIEW))
        decision = v.worst([decision, v.NEEDS_REVIEW])
    blocked = [f for f in faces if f.verdict == v.BLOCKED]
    redaction_offered = (
        pack.redaction_allowed
        and bool(blocked)
        and all(f.redactable for f in blocked)
        and all(f.verdict != v.NEEDS_REVIEW for f in faces)
        and all(r.verdict == v.ALLOWED for r in tag_reasons)
        and not reviews
    )
    relied = {f.consent_id for f in faces if f.verdict == v.ALLOWED and f.consent_id is not None}
    relied |= {consent_id for _, consent_id in tag_outcomes if consent_id is not None}
    face_reasons = [
        Reason(f.rule, f.clause, f"Face {f.index}: {f.message}", f.verdict) for f in faces if f.verdict != v.ALLOWED
    ]
    summary = _summary(decision, faces, tag_reasons, request.destination, redaction_offered, pack)
    notes = [_engine_reason("context-note", note, v.ALLOWED) for note in request.context_notes]
    notes += _cannot_check_notes(faces, request, at_risk)
    return Decision(
        decision=decision,
        faces=faces,
        reasons=(*face_reasons, *tag_reasons, *reviews, *notes, summary),
        pack_id=pack.id,
        pack_version=pack.version,
        consents_relied_on=tuple(sorted(relied)),
        redaction_offered=redaction_offered,
    )


def _approved(verdict: FaceVerdict, face: FaceInput) -> FaceVerdict:
    """A reviewer may settle what the pack sent to review; never a doubtful identity, never a block, never
    two faces matched to one person (one of them is someone else, or the same person shown twice: fail closed).

    A face nobody could identify, held because it may be someone who refused and cannot be
    recognised, is settled by a reviewer who looked and says it is none of them."""
    settles = face.band == "identified" or (face.band == "unknown" and verdict.rule == CANNOT_CHECK)
    if not face.approved_by_reviewer or verdict.verdict != v.NEEDS_REVIEW or not settles:
        return verdict
    if verdict.rule in NOT_APPROVABLE:
        return verdict
    clause, message = ENGINE_RULES["reviewer-approved"]
    return FaceVerdict(
        verdict.index, v.ALLOWED, "reviewer-approved", clause, f"{verdict.message} {message}", verdict.consent_id, False
    )


def _cannot_be_checked(request: ClearanceRequest, pack: PolicyPack) -> tuple[FaceVerdict, ...]:
    """What each person who may be here but cannot be recognised would be told, were they recognised:
    those who would not be allowed here (a refusal or a withdrawal on record)."""
    verdicts = []
    for person in request.refused_not_enrolled:
        if person.id == request.uploader_person_id:
            continue
        seen = FaceInput(index=-1, band="identified", person=person)
        verdict = _face_verdict(seen, request, pack, set())
        if verdict.verdict != v.ALLOWED:
            verdicts.append(replace(verdict, index=person.id))  # the index carries whose verdict it is
    return tuple(verdicts)


def _open_unknown(face: FaceInput) -> bool:
    """A face nobody could identify that is still in the photo: not blurred away, not rejected."""
    return face.band == "unknown" and not face.blurred and not face.rejected_by_reviewer and not face.to_be_named


def _unchecked(verdict: FaceVerdict, face: FaceInput, at_risk: tuple[FaceVerdict, ...]) -> FaceVerdict:
    """A face nobody could identify is not allowed when it may be someone who refused and cannot be
    recognised: the pack's "allowed" for an unknown face assumes a refusal would have been seen."""
    if not at_risk or not _open_unknown(face) or verdict.verdict != v.ALLOWED:
        return verdict
    clause, message = ENGINE_RULES[CANNOT_CHECK]
    return FaceVerdict(
        face.index, v.NEEDS_REVIEW, CANNOT_CHECK, clause, f"{_describe_face(face)}. {message}", None, False
    )


def _cannot_check_notes(
    faces: tuple[FaceVerdict, ...], request: ClearanceRequest, at_risk: tuple[FaceVerdict, ...]
) -> list[Reason]:
    """Who cannot be checked, one reason each, when the photo has a face nobody could identify."""
    if not at_risk or not any(_open_unknown(face) for face in request.faces):
        return []
    held = any(f.rule == CANNOT_CHECK for f in faces)
    clause = ENGINE_RULES[CANNOT_CHECK][0]
    return [
        Reason(
            CANNOT_CHECK,
            clause,
            f"May be in this photo and cannot be recognised by the service (no enrolled face): {verdict.message} "
            "Check that no face nobody could identify is theirs.",
            v.NEEDS_REVIEW if held else v.ALLOWED,
            person_id=verdict.index,
        )
        for verdict in at_risk
    ]


def _approved_tag(reason: Reason, tag: str, request: ClearanceRequest) -> Reason:
    if tag not in request.approved_tags or reason.verdict != v.NEEDS_REVIEW:
        return reason
    clause, message = ENGINE_RULES["reviewer-approved"]
    return Reason("reviewer-approved", clause, f"{reason.message} {message}", v.ALLOWED)


def _subject(face: FaceInput, uploader_person_id: int | None) -> str:
    if face.band != "identified" or face.person is None:
        return face.band
    if face.person.id == uploader_person_id:
        return "uploader"
    return face.person.kind


def _face_verdict(face: FaceInput, request: ClearanceRequest, pack: PolicyPack, twice: set[int]) -> FaceVerdict:
    if face.to_be_named and not face.rejected_by_reviewer:  # never decided, never allowed, until named
        clause, message = ENGINE_RULES[TO_BE_NAMED]
        return FaceVerdict(face.index, v.NEEDS_REVIEW, TO_BE_NAMED, clause, message, None, False)
    if face.rejected_by_reviewer:
        clause, message = ENGINE_RULES["reviewer-rejected"]
        return FaceVerdict(face.index, v.BLOCKED, "reviewer-rejected", clause, message, None, pack.redaction_allowed)
    if face.blurred and face.band in ("unknown", "unrecognisable"):
        clause, message = ENGINE_RULES["blurred-face"]
        return FaceVerdict(face.index, v.ALLOWED, "blurred-face", clause, message, None, False)
    if face.no_one_there and face.band in ("unknown", "unrecognisable"):
        clause, message = ENGINE_RULES["reviewer-no-one-there"]
        return FaceVerdict(face.index, v.ALLOWED, "reviewer-no-one-there", clause, message, None, False)
    if face.band == "unrecognisable":  # never consented, never an unknown person: a human decides
        rule_id = "unchecked-person" if face.unchecked else "unrecognisable-face"
        clause, message = ENGINE_RULES[rule_id]
        verdict = v.BLOCKED if pack.block_unchecked_person else v.NEEDS_REVIEW
        detail = f"{_capitalised(face.reason or 'a face too small or unclear to recognise')}. {message}"
        redactable = verdict == v.BLOCKED and pack.redaction_allowed
        return FaceVerdict(face.index, verdict, rule_id, clause, detail, None, redactable)
    subject = _subject(face, request.uploader_person_id)
    rule = pack.rule_for(subject, request.destination, request.context.kind, request.context.public)
    person = face.person if face.band == "identified" else None
    own = _own_verdict(face, request, pack, rule, subject, person)
    if person is not None and person.id in twice and own.verdict != v.BLOCKED:  # even the uploader
        clause, message = ENGINE_RULES["same-person-twice"]
        detail = f"{_person_label(person)}: {message}"
        return FaceVerdict(face.index, v.NEEDS_REVIEW, "same-person-twice", clause, detail, None, False)
    return own  # a person's refusal governs every face that is them, however many there are


def _own_verdict(
    face: FaceInput, request: ClearanceRequest, pack: PolicyPack, rule: Rule, subject: str, person: PersonFacts | None
) -> FaceVerdict:
    if person is None or subject == "uploader":
        return _verdict(face, rule, str(rule.verdict), _describe_face(face), None, pack)
    who = _person_label(person)
    reading = _reading(request, pack, person=person, kind="image_release")
    act_id = reading.act.id if reading.act else None
    words = explain(reading, person=person, kind="image_release", destination=request.destination)
    if reading.standing.refuses:
        refusal = f"{who}: {words}"
        if rule.requires is None and rule.verdict != v.BLOCKED:
            clause, message = ENGINE_RULES["recorded-refusal"]
            return FaceVerdict(
                face.index,
                v.BLOCKED,
                "recorded-refusal",
                clause,
                f"{refusal}. {message}",
                act_id,
                pack.redaction_allowed,
            )
        return _verdict(face, rule, v.BLOCKED, refusal, act_id, pack)
    if rule.requires is None:
        return _verdict(face, rule, str(rule.verdict), who, None, pack)
    if reading.allows:
        return _verdict(face, rule, v.ALLOWED, f"{who}: {words}", act_id, pack)
    return _verdict(face, rule, str(rule.otherwise), f"{who}: {words}", act_id, pack)


def _reading(request: ClearanceRequest, pack: PolicyPack, *, person: PersonFacts, kind: str) -> Reading:
    return read_record(
        request.consents,
        person=person,
        kind=kind,
        destination=request.destination,
        at=request.at,
        today=district_today(request.at, request.time_zone),
        adult_students_sign=pack.adult_students_sign,
        require_listed_guardian=pack.require_listed_guardian,
        time_zone=request.time_zone,
    )


def _rests_on_declared_arena(request: ClearanceRequest, pack: PolicyPack, decision: str) -> bool:
    """A public arena the uploader declared, naming no district event, is what allows more here."""
    context = request.context
    if context.event_named or pack.unverified_public_arena != "review":
        return False
    if not pack.is_public_arena(context.kind, context.public):
        return False
    private = replace(request, context=Context(context.kind, False, True), extra_review_reasons=())
    return v.worst([decide(private, pack).decision, decision]) != decision


def _verdict(
    face: FaceInput, rule: Rule, verdict: str, detail: str, consent_id: int | None, pack: PolicyPack
) -> FaceVerdict:
    redactable = verdict != v.ALLOWED and rule.redactable and pack.redaction_allowed
    return FaceVerdict(
        face.index,
        verdict,
        rule.id,
        rule.clause,
        f"{detail}. {rule.message}",
        consent_id,
        redactable,
    )


def _tag_outcome(tag: str, request: ClearanceRequest, pack: PolicyPack) -> tuple[Reason, int | None]:
    rule = pack.rule_for(v.TAG_SUBJECT, request.destination, request.context.kind, request.context.public, tag)
    verdict, detail, consent_id = str(rule.verdict), f"Tag '{tag}'", None
    if rule.unless == v.LOGO_USE_CONSENT and request.uploader_person_id is not None:
        uploader = request.uploader or PersonFacts(request.uploader_person_id, "employee", "the uploader")
        reading = _reading(request, pack, person=uploader, kind="logo_use")
        if reading.allows and reading.act is not None:
            verdict, consent_id = v.ALLOWED, reading.act.id
            words = explain(reading, person=uploader, kind="logo_use", destination=request.destination)
            detail += f": the uploader holds written {words}"
    message = f"{detail} ({v.VERDICT_LABELS[verdict]}). {rule.message}"
    return Reason(rule.id, rule.clause, message, verdict), consent_id


def _engine_reason(rule_id: str, message: str, verdict: str) -> Reason:
    return Reason(rule_id, ENGINE_RULES[rule_id][0], message, verdict)


def _summary(
    decision: str,
    faces: tuple[FaceVerdict, ...],
    tag_reasons: list[Reason],
    destination: str,
    redaction_offered: bool,
    pack: PolicyPack,
) -> Reason:
    where = v.DESTINATION_LABELS[destination]
    if decision == v.ALLOWED:
        cleared = {0: "no faces found", 1: "the face is cleared"}.get(len(faces), f"all {len(faces)} faces cleared")
        message = f"Allowed on {where}: {cleared}, and nothing else stops it."
    elif decision == v.NEEDS_REVIEW:
        message = f"Needs review: a reviewer must decide before this photo goes on {where}."
    else:
        n_faces = sum(f.verdict == v.BLOCKED for f in faces)
        n_tags = sum(r.verdict == v.BLOCKED for r in tag_reasons)
        parts = [_count(n, word) for n, word in ((n_faces, "face"), (n_tags, "tag")) if n]
        message = f"Blocked on {where} because of {' and '.join(parts)}."
        if redaction_offered:
            message += " A copy with those faces blurred may be posted."
    return Reason("summary", pack.policy_reference, message, decision)


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _person_label(person: PersonFacts) -> str:
    kind = person.kind.replace("_", " ")
    return f"{person.name} ({kind}{'' if person.active else ', departed'})"


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _plain(reason: str) -> str:
    """The matcher's reason in a teacher's words: thresholds and distances stay in the record."""
    if "small" in reason:
        return "too small to tell who it is"
    if reason.startswith("a face"):  # found only by a closer look, or not searched for
        return reason
    return "it matches nobody enrolled"


def _describe_face(face: FaceInput) -> str:
    if face.band == "possible":
        people = [p for p in (face.person, *face.candidates) if p is not None]
        names = " or ".join(dict.fromkeys(_person_label(p) for p in people))
        return f"Possibly {names}"
    if face.band == "unknown":
        return f"Unidentified face ({_plain(face.reason)})"
    return f"{_person_label(face.person) if face.person else 'You'}: your own face"
