"""Hits handed over in one turn of the event loop run through the pipeline together, each answered on its own."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

import pytest

from leadline.collect.batches import HitBatches
from leadline.collect.payload import parse_payload
from leadline.collect.pending_hit import PendingHit
from leadline.collect.pipeline import DropReason, Outcome, Pipeline, StepResult


def hit(path: str) -> PendingHit:
    payload = parse_payload(f'{{"site": "S", "url": "https://shop.example{path}"}}'.encode())
    return PendingHit(payload, 1_767_225_600.0, "203.0.113.5", "Mozilla/5.0 (X11; Linux x86_64) Firefox/132.0")


def recording(
    name: str, ran: list[str], drops: dict[str, DropReason] | None = None
) -> Callable[[PendingHit], StepResult]:
    def step(pending: PendingHit) -> StepResult:
        ran.append(f"{name}{pending.pathname}")
        return (drops or {}).get(pending.pathname)

    return step


def test_a_batch_runs_each_step_over_all_its_hits_before_the_next_step() -> None:
    ran: list[str] = []
    pipeline = Pipeline(
        [("a", recording("a", ran)), ("b", recording("b", ran, {"/2": DropReason.BOT})), ("c", recording("c", ran))]
    )

    async def three_requests() -> list[DropReason | None]:
        batches = HitBatches(pipeline)
        return list(await asyncio.gather(*(batches.submit(hit(f"/{n}")) for n in (1, 2, 3))))

    assert asyncio.run(three_requests()) == [None, DropReason.BOT, None]
    assert ran == ["a/1", "a/2", "a/3", "b/1", "b/2", "b/3", "c/1", "c/3"]
    assert pipeline.stats.accepted == 2
    assert pipeline.stats.dropped == {"bot": 1}
    assert set(pipeline.stats.seconds_per_step) == {"a", "b", "c"}


def test_a_hit_that_waits_goes_on_alone_and_the_others_are_answered_meanwhile() -> None:
    ran: list[str] = []

    async def main() -> None:
        released = asyncio.Event()

        async def wait_then_go_on() -> StepResult:
            await released.wait()
            return None

        def sometimes_waits(pending: PendingHit) -> StepResult | Awaitable[StepResult]:
            return wait_then_go_on() if pending.pathname == "/slow" else None

        pipeline = Pipeline([("lookup", sometimes_waits), ("write", recording("write", ran))])
        batches = HitBatches(pipeline)
        slow, fast = batches.submit(hit("/slow")), batches.submit(hit("/fast"))
        assert await fast is None
        assert not slow.done() and ran == ["write/fast"]
        released.set()
        assert await slow is None
        assert ran == ["write/fast", "write/slow"]
        assert pipeline.stats.accepted == 2

    asyncio.run(main())


def test_a_step_that_fails_for_one_hit_fails_only_that_hit() -> None:
    written: list[str] = []

    def write(pending: PendingHit) -> StepResult:
        if pending.pathname == "/broken":
            raise OSError("no space left on device")
        written.append(pending.pathname)
        return None

    async def main() -> None:
        batches = HitBatches(Pipeline([("write", write)]))
        answers = [batches.submit(hit(path)) for path in ("/1", "/broken", "/3")]
        assert await answers[0] is None
        with pytest.raises(OSError, match="no space left"):
            await answers[1]
        assert await answers[2] is None

    asyncio.run(main())
    assert written == ["/1", "/3"]


def test_a_request_cancelled_before_its_batch_runs_leaves_the_others_answered() -> None:
    async def main() -> None:
        batches = HitBatches(Pipeline([("pass", lambda _hit: None)]))
        gone, kept = batches.submit(hit("/gone")), batches.submit(hit("/kept"))
        gone.cancel()
        assert await kept is None

    asyncio.run(main())


def test_hits_handed_over_in_later_turns_make_batches_of_their_own() -> None:
    sizes: list[int] = []

    class CountingPipeline(Pipeline):
        def start_batch(self, hits: Sequence[PendingHit]) -> list[Outcome]:
            sizes.append(len(hits))
            return super().start_batch(hits)

    async def main() -> None:
        batches = HitBatches(CountingPipeline([("pass", lambda _hit: None)]))
        await asyncio.gather(batches.submit(hit("/1")), batches.submit(hit("/2")))
        await batches.submit(hit("/3"))

    asyncio.run(main())
    assert sizes == [2, 1]
