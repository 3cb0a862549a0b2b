"""The photo lane's rules, on the event loop alone: a share per account, no wait past the limit, first come first
served."""

from __future__ import annotations

import asyncio

from api.lanes import PhotoLane


def test_an_account_past_its_share_gets_no_turn_and_others_still_do():
    async def scenario() -> list[bool]:
        lane = PhotoLane(width=4, per_account=2, wait_seconds=5)
        return [
            await lane.enter("user:1"),
            await lane.enter("user:1"),
            await lane.enter("user:1"),
            await lane.enter("user:2"),
        ]

    assert asyncio.run(scenario()) == [True, True, False, True]


def test_a_photo_that_would_wait_past_the_limit_is_answered_at_once():
    async def scenario() -> tuple[bool, float]:
        lane = PhotoLane(width=1, per_account=4, wait_seconds=5)
        lane.typical_seconds = 30.0  # the photos lately took half a minute each
        assert await lane.enter("user:1")
        loop = asyncio.get_running_loop()
        started = loop.time()
        got = await lane.enter("user:2")
        return got, loop.time() - started

    got, waited = asyncio.run(scenario())
    assert not got and waited < 1


def test_a_waiting_photo_gets_the_turn_given_back_and_waits_no_longer_than_the_limit():
    async def scenario() -> tuple[bool, bool]:
        lane = PhotoLane(width=1, per_account=4, wait_seconds=0.2)
        lane.typical_seconds = 0.1
        assert await lane.enter("user:1")
        second = asyncio.create_task(lane.enter("user:2"))
        await asyncio.sleep(0.05)
        lane.leave("user:1", 0.1)
        got = await second
        timed_out = await lane.enter("user:3")  # user:2 holds the turn and never gives it back
        return got, timed_out

    assert asyncio.run(scenario()) == (True, False)
