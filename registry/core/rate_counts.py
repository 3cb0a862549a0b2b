"""Rate limits counted in the database, so that every API host and every worker process shares one count.

Each key (a client address, an account) is counted per window of time (a row per key and window, the slot
being the second the window starts). Whether one more request is let in is decided on a sliding estimate: the
requests of the window now, plus those of the previous window weighted by how much of it still lies within
the last `window` seconds. A client cannot so send twice the limit across the turn of a window.

One statement counts the request and checks the limit at once (an upsert whose update applies only below the
limit), so two hosts counting at the same moment never let in more than the limit between them. Refused
requests are not counted: a client that keeps hammering is let in again as soon as the estimate falls.
"""

from __future__ import annotations

import hashlib
import math
import time

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from registry.models.shared import RATE_KEY_LENGTH, RateCount

_TABLE = RateCount.__table__  # type: ignore[attr-defined]


def count_request(session: Session, *, key: str, limit: int, window: int, now: float | None = None) -> float | None:
    """Counts one request for `key`, unless `limit` were already counted over the last `window` seconds: then
    counts nothing and returns the seconds until one more would be let in. The caller commits."""
    now = time.time() if now is None else now
    if len(key) > RATE_KEY_LENGTH:  # a long account name: still one key of its own
        key = key[: RATE_KEY_LENGTH - 65] + "#" + hashlib.sha256(key.encode()).hexdigest()
    slot = int(now // window) * window
    previous = _hits(session, key, slot - window)
    carried = math.floor(previous * (1 - (now - slot) / window))
    room = limit - carried  # requests this window may still count
    if room > 0:
        insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
        statement = (
            insert(_TABLE)
            .values(key=key, slot=slot, hits=1)
            .on_conflict_do_update(
                index_elements=[_TABLE.c.key, _TABLE.c.slot],
                set_={"hits": _TABLE.c.hits + 1},
                where=_TABLE.c.hits < room,
            )
            .returning(_TABLE.c.hits)
        )
        if session.execute(statement).first() is not None:
            return None
    return _wait(_hits(session, key, slot), previous, limit=limit, window=window, elapsed=now - slot)


def _hits(session: Session, key: str, slot: int) -> int:
    return int(session.exec(select(RateCount.hits).where(RateCount.key == key, RateCount.slot == slot)).first() or 0)


def _wait(current: int, previous: int, *, limit: int, window: int, elapsed: float) -> float:
    """Seconds until the estimate lets one more request in, if none is counted meanwhile."""
    if current < limit and previous > 0:  # the previous window's weight must fall below what is left
        return max(0.0, window * (1 - (limit - current) / previous) - elapsed)
    # This window is full: in the next one it is the previous window, and must weigh less than the limit.
    return window - elapsed + max(0.0, window * (1 - limit / max(current, 1)))


def forget_old_counts(session: Session, *, window: int, now: float | None = None) -> int:
    """Drops the counts of windows that no longer weigh on anything. Returns how many went."""
    now = time.time() if now is None else now
    oldest_needed = int(now // window) * window - window
    result = session.execute(delete(RateCount).where(col(RateCount.slot) < oldest_needed))
    return int(getattr(result, "rowcount", 0) or 0)
