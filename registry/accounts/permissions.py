"""Who may see or do what: the roles and the one table that answers for every interface.

A role is one edit to `Role`; a permission is one row of `PERMISSIONS`. The API's dependencies,
the pages' dependencies and navigation, and the services' own checks (whose clearances, albums,
groups and takedowns a person sees; who may learn who a face is) all ask `may`.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    EMPLOYEE = "employee"  # clears their own photos
    OFFICE_STAFF = "office_staff"  # people, consents, enrolment, events, the roster
    REVIEWER = "reviewer"  # the review queue
    ADMIN = "admin"  # everything, including accounts


ROLE_LABELS: dict[str, str] = {
    Role.EMPLOYEE: "Employee",
    Role.OFFICE_STAFF: "Office staff",
    Role.REVIEWER: "Reviewer",
    Role.ADMIN: "Administrator",
}


class Permission(StrEnum):
    CLEAR_PHOTOS = "clear_photos"  # clear, list and take down one's own photos; albums; class lists
    MANAGE_PEOPLE = "manage_people"  # people, guardians, consents, scans, enrolment, events, roster, groups
    READ_RECORDS = "read_records"  # read people, consents and events (reviewers need them to judge)
    REVIEW = "review"  # settle clearances that need review
    MANAGE_ACCOUNTS = "manage_accounts"  # accounts, the audit log, retention
    SEE_EVERY_CLEARANCE = "see_every_clearance"  # everyone's clearances and albums, not only one's own
    SEE_EVERY_TAKEDOWN = "see_every_takedown"  # the district's takedown requests
    SEE_EVERY_GROUP = "see_every_group"  # every group and its class list
    IDENTIFY_EVERYONE = "identify_everyone"  # learn who any face in a photo is
    SEE_CANDIDATES = "see_candidates"  # the other people a doubtful face could be, with distances


EVERYONE = frozenset(Role)
PERMISSIONS: dict[Permission, frozenset[Role]] = {
    Permission.CLEAR_PHOTOS: EVERYONE,
    Permission.MANAGE_PEOPLE: frozenset({Role.OFFICE_STAFF, Role.ADMIN}),
    Permission.READ_RECORDS: frozenset({Role.OFFICE_STAFF, Role.REVIEWER, Role.ADMIN}),
    Permission.REVIEW: frozenset({Role.REVIEWER, Role.ADMIN}),
    Permission.MANAGE_ACCOUNTS: frozenset({Role.ADMIN}),
    Permission.SEE_EVERY_CLEARANCE: frozenset({Role.REVIEWER, Role.ADMIN}),
    Permission.SEE_EVERY_TAKEDOWN: frozenset({Role.ADMIN}),
    Permission.SEE_EVERY_GROUP: frozenset({Role.OFFICE_STAFF, Role.REVIEWER, Role.ADMIN}),
    Permission.IDENTIFY_EVERYONE: frozenset({Role.OFFICE_STAFF, Role.REVIEWER, Role.ADMIN}),
    Permission.SEE_CANDIDATES: frozenset({Role.REVIEWER, Role.ADMIN}),
}


def may(role: str, permission: Permission) -> bool:
    """Whether an account of this role has this permission. An unknown role has none."""
    return role in PERMISSIONS[permission]
