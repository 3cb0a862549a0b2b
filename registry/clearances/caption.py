"""A school or the district named in a photo's caption: the `school_name` tag, added by the service.

Danbury's rule 10 counts the names of the Board of Education's schools as its material, so a caption
that names one is decided as if the uploader had ticked the tag. The names looked for are the
district's own (the pack's `district`) and every school the registry knows (on the roster, on
groups, on events), whole words, in any case. A school named otherwise (a nickname, a mascot) is
for the uploader to tag.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlmodel import Session, col, select

from registry.models.events import Event
from registry.models.groups import Group
from registry.models.people import Person
from registry.policy import PolicyPack
from registry.policy.vocabulary import SCHOOL_NAME_TAG


def caption_tags(session: Session, caption: str | None, pack: PolicyPack) -> set[str]:
    """The tags the caption itself calls for under this pack (none when the pack has no such tag)."""
    if not caption or not caption.strip() or SCHOOL_NAME_TAG not in pack.tag_names:
        return set()
    return {SCHOOL_NAME_TAG} if named_in(caption, [pack.district, *known_schools(session)]) else set()


def known_schools(session: Session) -> set[str]:
    names: set[str] = set()
    for column in (Person.school, Group.school, Event.school):
        rows = session.exec(select(column).where(col(column).is_not(None)).distinct()).all()
        names.update(name for name in rows if name and name.strip())
    return names


def named_in(caption: str, names: Iterable[str]) -> bool:
    """Whether the caption names one of these, as whole words, in any case and spacing."""
    for name in names:
        words = name.split()
        if not words:
            continue
        pattern = r"(?<!\w)" + r"\s+".join(re.escape(word) for word in words) + r"(?!\w)"
        if re.search(pattern, caption, re.IGNORECASE):
            return True
    return False
