"""The worker's Faust app consumes through Wirewatch's transport (the rebalance repair).

What the repair does is proven on outcomes in tests/integration/test_crash_recovery.py
(a worker joining a backlog loses nothing); this guards the wiring.
"""

from __future__ import annotations

import asyncio
from functools import partial
from typing import Any

import pytest
from faust.types import TP, Message
from mode import Service

from streams import faust_transport
from streams.app import create_app, faust_app
from streams.config import load_settings


def test_the_worker_consumer_is_the_repaired_one(tmp_path):
    app = create_app(load_settings(env={}, home=tmp_path, app_id="transport-test"))
    assert isinstance(app.transport, faust_transport.Transport)
    assert isinstance(app.consumer, faust_transport.Consumer)
    assert app.conf.consumer_auto_offset_reset == "earliest"  # what the rewind relies on


# -- delivery without a race per record ----------------------------------------------
TP0 = TP("deliver-test", 0)


def _message(offset: int) -> Message:
    return Message(
        topic=TP0.topic,
        partition=TP0.partition,
        offset=offset,
        timestamp=0.0,
        timestamp_type=0,
        headers=[],
        key=b"k",
        value=b"v",
        checksum=None,
    )


async def _assigned_app(tmp_path, buffer: int = 4):
    """A worker app with one stream on TP0, assigned and flowing, nothing started."""
    settings = load_settings(env={}, home=tmp_path, app_id="deliver-test")
    app = faust_app(settings, stream_buffer_maxsize=buffer)
    topic = app.topic(TP0.topic, key_type=bytes, value_type=bytes, value_serializer="raw")
    app.topics.add(topic)
    await app.topics.on_partitions_assigned({TP0})
    app.flow_control.resume()
    return app, topic


def test_with_room_everywhere_the_handler_completes_without_yielding(tmp_path) -> None:
    async def main() -> None:
        app, topic = await _assigned_app(tmp_path, buffer=4)
        consumer = app.consumer
        for offset in range(4):
            assert faust_transport.delivers_without_waiting(consumer, TP0)
            handing_over = app.topics.on_message(_message(offset))
            with pytest.raises(StopIteration):  # done on its first step: no await yielded
                handing_over.send(None)
        assert topic.queue.qsize() == 4
        # The stream's buffer is full now: Faust's handler would wait for room.
        assert not faust_transport.delivers_without_waiting(consumer, TP0)
        waiting = app.topics.on_message(_message(4))
        assert waiting.send(None) is not None  # it yielded: it waits
        waiting.close()

    asyncio.run(main())


def test_anything_that_can_make_a_delivery_wait_sends_it_the_faust_way(tmp_path) -> None:
    async def main() -> None:
        app, _ = await _assigned_app(tmp_path)
        consumer = app.consumer
        ready = partial(faust_transport.delivers_without_waiting, consumer)
        assert ready(TP0)
        assert not ready(TP("deliver-test", 1))  # no stream reads this partition here

        consumer.suspend_flow.set()  # a rebalance is stopping the consumer
        assert not ready(TP0)
        consumer.suspend_flow.clear()

        app.flow_control.suspend()  # the streams are suspended
        assert not ready(TP0)
        app.flow_control.resume()

        buffer = app.producer.buffer  # tables' changelog records waiting to be sent
        for _ in range(buffer.max_messages + 1):
            buffer.pending.put_nowait(object())
        assert not ready(TP0)
        while not buffer.pending.empty():
            buffer.pending.get_nowait()

        async with app.topics._tp_to_callback_lock:  # the handlers are being rebuilt
            assert not ready(TP0)
        assert ready(TP0)

    asyncio.run(main())


def test_the_drain_loop_keeps_faust_offsets_and_races_only_when_it_must(tmp_path) -> None:
    async def main() -> None:
        app, _ = await _assigned_app(tmp_path)
        consumer = app.consumer
        app.topics._acking_topics.add(TP0.topic)
        fetcher = Service()
        delivered: list[int] = []
        raced: list[int] = []
        gaps: list[tuple[int, int]] = []
        batches = [[0, 1, 2, 5, 3, 6], [7, 8]]  # 3 was fetched before a seek moved past it

        async def deliver(message: Message) -> None:
            delivered.append(message.offset)

        async def getmany(timeout: float):
            for offset in batches.pop(0):
                if offset == 7:
                    consumer.suspend_flow.set()  # a rebalance begins mid-batch
                yield TP0, _message(offset)
            if not batches:
                fetcher._stopped.set()

        async def wait_first(delivery, *others):
            raced.append(offset_of(delivery))
            for coro in (delivery, *others):
                coro.close()

        async def add_gap(tp: TP, start: int, end: int) -> None:
            gaps.append((start, end))

        created: dict[Any, int] = {}  # delivery coroutine -> its record's offset

        def callback(message: Message):
            coro = deliver(message)
            created[coro] = message.offset
            return coro

        offset_of = created.__getitem__
        consumer.callback = callback
        consumer.getmany = getmany
        consumer.wait_first = wait_first
        consumer._add_gap = add_gap
        await consumer._drain_messages(fetcher)

        assert delivered == [0, 1, 2, 5, 6]  # in order, the stale 3 skipped
        assert raced == [7, 8]  # the flow being suspended: Faust's race decides
        assert gaps == [(3, 5)]  # 3 and 4 missing between 2 and 5: recorded as a gap
        assert consumer._read_offset[TP0] == 8

    asyncio.run(main())
