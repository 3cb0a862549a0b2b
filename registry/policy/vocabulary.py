"""The fixed words of the decision engine.

Scripts outside the project use these words (DESIGN.md, "Interfaces"): they never change
meaning. Each Literal type has a frozenset of its words for checks at run time.
"""

from __future__ import annotations

from typing import Literal, get_args

Verdict = Literal["allowed", "blocked", "needs_review"]
ContextKind = Literal["sporting_event", "fine_arts_performance", "classroom", "field_trip", "assembly", "other"]
Destination = Literal["personal_social_media", "district_social_media", "district_website", "print"]
BaseTag = Literal["district_logo", "premises_interior", "floor_plan", "building_exterior", "school_name"]
PersonKind = Literal["student", "employee", "community_member"]
PersonStatus = Literal["active", "departed"]
ConsentKind = Literal["image_release", "biometric", "logo_use"]
ConsentStatus = Literal["granted", "refused"]
SignerRelationship = Literal["parent", "guardian", "self"]
# identified: who it is, with margin; possible: a human decides who; unknown: clearly a face, matching nobody
# enrolled; unrecognisable: a face too small, cut off or unclear to compare with anyone (never "unknown").
MatchBand = Literal["identified", "possible", "unknown", "unrecognisable"]

VERDICTS: frozenset[str] = frozenset(get_args(Verdict))
CONTEXT_KINDS: frozenset[str] = frozenset(get_args(ContextKind))
DESTINATIONS: frozenset[str] = frozenset(get_args(Destination))
BASE_TAGS: frozenset[str] = frozenset(get_args(BaseTag))
PERSON_KINDS: frozenset[str] = frozenset(get_args(PersonKind))
PERSON_STATUSES: frozenset[str] = frozenset(get_args(PersonStatus))
CONSENT_KINDS: frozenset[str] = frozenset(get_args(ConsentKind))
CONSENT_STATUSES: frozenset[str] = frozenset(get_args(ConsentStatus))
SIGNER_RELATIONSHIPS: frozenset[str] = frozenset(get_args(SignerRelationship))
MATCH_BANDS: frozenset[str] = frozenset(get_args(MatchBand))

ALLOWED: Verdict = "allowed"
BLOCKED: Verdict = "blocked"
NEEDS_REVIEW: Verdict = "needs_review"
GRANTED: ConsentStatus = "granted"
REFUSED: ConsentStatus = "refused"

# Who may sign an image release for a person of each kind.
SIGNERS_FOR: dict[str, frozenset[str]] = {
    "student": frozenset({"parent", "guardian"}),
    "employee": frozenset({"self"}),
    "community_member": frozenset({"self"}),
}

# Destinations the district itself publishes to (everything but an employee's own accounts).
DISTRICT_DESTINATIONS: frozenset[str] = DESTINATIONS - {"personal_social_media"}

# Pack words: what a rule is about, where it applies, and what it requires.
FaceSubject = Literal["student", "employee", "community_member", "unknown", "possible", "uploader"]
FACE_SUBJECTS: frozenset[str] = frozenset(get_args(FaceSubject))
TAG_SUBJECT = "tag"
SUBJECTS: frozenset[str] = FACE_SUBJECTS | {TAG_SUBJECT}
PUBLIC_ARENA = "public_arena"
NOT_PUBLIC_ARENA = "not_public_arena"
ANY = "any"
CONTEXT_SELECTORS: frozenset[str] = CONTEXT_KINDS | {PUBLIC_ARENA, NOT_PUBLIC_ARENA, ANY}
IMAGE_RELEASE_CONSENT = "image_release_consent"
LOGO_USE_CONSENT = "logo_use_consent"

# Added to a photo by the service when its caption names a school or the district (as well as by hand).
SCHOOL_NAME_TAG = "school_name"

_SEVERITY: dict[str, int] = {ALLOWED: 0, NEEDS_REVIEW: 1, BLOCKED: 2}


def worst(verdicts: list[str] | tuple[str, ...]) -> str:
    """The most restrictive of the verdicts; `allowed` when there are none."""
    return max(verdicts, key=_SEVERITY.__getitem__, default=ALLOWED)


DESTINATION_LABELS: dict[str, str] = {
    "personal_social_media": "personal social media",
    "district_social_media": "the district's social media",
    "district_website": "the district website",
    "print": "print",
}
SUBJECT_LABELS: dict[str, str] = {
    "student": "students",
    "employee": "employees (co-workers)",
    "community_member": "community members (parents, volunteers)",
    "unknown": "faces nobody could identify",
    "possible": "faces that only possibly match someone",
    "uploader": "the uploader's own face",
    "tag": "photos tagged",
}
VERDICT_LABELS: dict[str, str] = {
    "allowed": "allowed",
    "blocked": "blocked",
    "needs_review": "sent to a reviewer",
}
