"""A rate limit's window for a test that counts to a limit."""

from __future__ import annotations

import time

TEST_WINDOW = 3600


def within_one_window() -> int:
    """The limits' window for a test: an hour, and the test starts a minute or more before it turns. The estimate
    lets in up to one request more across the turn of a window (the previous window's count is rounded down),
    which a test counting to the limit must not meet."""
    if TEST_WINDOW - time.time() % TEST_WINDOW < 60:
        time.sleep(TEST_WINDOW - time.time() % TEST_WINDOW + 0.1)
    return TEST_WINDOW
