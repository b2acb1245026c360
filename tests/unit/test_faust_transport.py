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
from faust.types.tuples import ConsumerMessage
from mode import Service

from streams import codecs, faust_transport
from streams.app import create_app, faust_app
from streams.config import load_settings
from streams.faust_transport import send_record


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


# -- records delivered in runs -------------------------------------------------------
RUNS = "runs-test"


def _record(tp: TP, offset: int, generation_id: int | None = None) -> ConsumerMessage:
    return ConsumerMessage(
        tp.topic,
        tp.partition,
        offset,
        0.0,
        0,
        [],
        b"k",
        b"v%d" % offset,
        None,
        generation_id=generation_id,
    )


async def _run_app(tmp_path, max_records: int, iterator: bool = False):
    """A worker app whose ``runs-test`` topic delivers runs; TP0's topic record by record.

    With ``iterator``, what is registered (and returned) is the topic's iterator, as an
    agent's stream registers it, so that a stream can read what is delivered.
    """
    settings = load_settings(env={}, home=tmp_path, app_id="runs-test")
    app = faust_app(settings)
    runs = faust_transport.run_topic(
        app, RUNS, max_records=max_records, partitions=2, replicas=1, queued_runs=8
    )
    if iterator:
        runs = runs.clone(is_iterator=True)
    plain = app.topic(TP0.topic, key_type=bytes, value_type=bytes, value_serializer="raw")
    for topic in (runs, plain):
        app.topics.add(topic)
    parts = {TP(RUNS, 0), TP(RUNS, 1), TP0}
    await app.topics.on_partitions_assigned(parts)
    app.topics._acking_topics.update({RUNS, TP0.topic})
    app.flow_control.resume()
    return app, runs


def test_a_fetch_reaches_a_run_topic_as_runs_of_one_partition_in_order(tmp_path) -> None:
    async def main() -> None:
        app, _ = await _run_app(tmp_path, max_records=3)
        consumer = app.consumer
        a, b = TP(RUNS, 0), TP(RUNS, 1)
        consumer._read_offset[a] = 1  # a seek put partition a back at offset 1
        fetch = [(a, 0), (a, 1), (b, 10), (TP0, 4), (a, 2), (b, 11), (a, 3), (a, 6), (a, 7)]
        fetcher = Service()
        delivered: list[tuple[str, int, list[int] | int]] = []
        gaps: list[tuple[TP, int, int]] = []

        async def getmany(timeout: float):
            fetcher._stopped.set()  # one fetch, then the loop ends
            for tp, offset in fetch:
                yield tp, _record(tp, offset)

        async def deliver(message: Message) -> None:
            if isinstance(message, faust_transport.RecordRun):
                offsets = [r.offset for r in message.value]
                assert message.offset == offsets[-1] and message.tp in (a, b)
                delivered.append((message.topic, message.partition, offsets))
            else:
                delivered.append((message.topic, message.partition, message.offset))

        async def add_gap(tp: TP, start: int, end: int) -> None:
            gaps.append((tp, start, end))

        consumer.callback = deliver
        consumer.getmany = getmany
        consumer._add_gap = add_gap
        await consumer._drain_messages(fetcher)

        assert delivered == [
            (TP0.topic, 0, 4),  # a plain topic's record goes at once, alone
            (RUNS, 0, [1, 2, 3]),  # 0 was fetched before the seek: skipped
            (RUNS, 0, [6, 7]),  # at most max_records per run
            (RUNS, 1, [10, 11]),
        ]
        assert gaps == [(a, 4, 6)]  # 4 and 5 missing between 3 and 6
        assert consumer._read_offset[a] == 7 and consumer._read_offset[b] == 11

    asyncio.run(main())


def test_a_run_is_one_event_whose_value_is_its_records(tmp_path) -> None:
    async def main() -> None:
        app, topic = await _run_app(tmp_path, max_records=3)
        tp = TP(RUNS, 1)
        run = faust_transport.RecordRun(tp, [_record(tp, 5), _record(tp, 6)])
        assert faust_transport.delivers_without_waiting(app.consumer, tp)
        await app.topics.on_message(run)
        event = topic.queue.get_nowait()
        assert event.key is None
        assert [(m.offset, m.value) for m in event.value] == [(5, b"v5"), (6, b"v6")]
        assert event.message is run

    asyncio.run(main())


def test_runs_the_stream_acknowledges_commit_each_of_their_records(tmp_path) -> None:
    async def main() -> None:
        app, topic = await _run_app(tmp_path, max_records=3, iterator=True)
        consumer = app.consumer
        tp = TP(RUNS, 0)
        consumer._committed_offset[tp] = 10
        consumer._read_offset[tp] = 9
        fetches = [[10, 11, 12, 13, 14], [15]]
        fetcher = Service()

        async def getmany(timeout: float):
            if len(fetches) == 1:
                fetcher._stopped.set()
            for offset in fetches.pop(0):  # fetched in this generation: not stale
                yield tp, _record(tp, offset, app.consumer_generation_id)

        consumer.getmany = getmany
        consumer.callback = app.topics.on_message  # Faust's handler: into the stream buffer
        await consumer._drain_messages(fetcher)
        assert topic.queue.qsize() == 3  # runs 10–12, 13–14 and 15
        assert consumer._new_offset(tp) is None  # nothing processed: nothing to commit

        # Faust's own stream iterator (the compiled one when it is installed) acknowledges
        # each run, as one message, when the agent asks for the next one.
        runs = app.stream(topic).__aiter__()
        assert [m.offset for m in await runs.__anext__()] == [10, 11, 12]
        assert [m.offset for m in await runs.__anext__()] == [13, 14]
        assert consumer._new_offset(tp) == 13  # run 10–12 is done, all of it
        consumer._committed_offset[tp] = 13  # what the commit then records
        assert [m.offset for m in await runs.__anext__()] == [15]
        assert consumer._new_offset(tp) == 15  # and run 13–14: no gap left behind
        assert consumer._runs[tp] == {15: []}  # the run being processed
        await runs.aclose()

    asyncio.run(main())


async def _delivered(tmp_path, fetches: list[list[tuple[int, int]]], max_records: int = 3):
    """An app whose run topic holds the runs of ``fetches`` ((partition, offset) each)."""
    app, topic = await _run_app(tmp_path, max_records=max_records, iterator=True)
    consumer = app.consumer
    for partition in (0, 1):
        consumer._committed_offset[TP(RUNS, partition)] = 10
        consumer._read_offset[TP(RUNS, partition)] = 9
    pending = list(fetches)
    fetcher = Service()

    async def getmany(timeout: float):
        if len(pending) == 1:
            fetcher._stopped.set()
        for partition, offset in pending.pop(0):
            tp = TP(RUNS, partition)
            yield tp, _record(tp, offset, app.consumer_generation_id)

    consumer.getmany = getmany
    consumer.callback = app.topics.on_message
    await consumer._drain_messages(fetcher)
    return app, topic


def test_take_runs_batches_what_waits_and_acknowledges_it_when_the_next_is_asked_for(
    tmp_path,
) -> None:
    async def main() -> None:
        fetch = [(0, 10), (0, 11), (0, 12), (0, 13), (1, 10), (1, 11)]
        app, topic = await _delivered(tmp_path, [fetch, [(0, 14)]])
        consumer = app.consumer
        tp0, tp1 = TP(RUNS, 0), TP(RUNS, 1)
        assert topic.queue.qsize() == 4  # 10–12 and 13 of TP0, 10–11 of TP1, 14 of TP0

        batches = faust_transport.take_runs(app.stream(topic), queued=8)
        seen: list[list[tuple[int, int]]] = []
        first = await batches.__anext__()
        seen.append([(m.partition, m.offset) for m in first.records])
        assert [[m.offset for m in run] for run in first.runs][:1] == [[10, 11, 12]]
        assert first.records == [m for run in first.runs for m in run]
        # Nothing is acknowledged while the caller holds the batch.
        assert consumer._new_offset(tp0) is None and consumer._new_offset(tp1) is None
        while sum(map(len, seen)) < 7:
            batch = await batches.__anext__()  # acknowledges the batch before it
            seen.append([(m.partition, m.offset) for m in batch.records])
        assert sorted(x for b in seen for x in b) == sorted([*fetch, (0, 14)])
        assert [o for p, o in (x for b in seen for x in b) if p == 0] == [10, 11, 12, 13, 14]
        assert consumer._new_offset(tp1) == 12  # every batch before the last one is done
        assert consumer._new_offset(tp0) in (None, 14)  # offset 14 is still in hand
        await batches.aclose()

    asyncio.run(main())


def test_take_runs_acknowledges_nothing_of_a_batch_whose_caller_fails(tmp_path) -> None:
    async def main() -> None:
        app, topic = await _delivered(tmp_path, [[(0, 10), (0, 11)]])
        batches = faust_transport.take_runs(app.stream(topic))
        batch = await batches.__anext__()
        assert [m.offset for m in batch.records] == [10, 11]
        with pytest.raises(RuntimeError):
            await batches.athrow(RuntimeError("the agent failed"))
        assert app.consumer._new_offset(TP(RUNS, 0)) is None  # re-read after a restart

    asyncio.run(main())


def test_take_runs_waits_for_the_first_run_with_no_timeout(tmp_path) -> None:
    async def main() -> None:
        app, topic = await _run_app(tmp_path, max_records=3, iterator=True)
        batches = faust_transport.take_runs(app.stream(topic))
        nxt = asyncio.ensure_future(batches.__anext__())
        await asyncio.sleep(0.05)
        assert not nxt.done()  # idle: no batch, however long
        tp = TP(RUNS, 1)
        run = faust_transport.RecordRun(tp, [_record(tp, 7, app.consumer_generation_id)])
        await app.topics.on_message(run)
        batch = await asyncio.wait_for(nxt, 1.0)
        assert [m.offset for m in batch.records] == [7]
        await batches.aclose()

    asyncio.run(main())


def test_take_runs_raises_what_the_stream_raised_after_the_runs_before_it(tmp_path) -> None:
    async def main() -> None:
        app, topic = await _delivered(tmp_path, [[(0, 10)]])
        stream = app.stream(topic)
        batches = faust_transport.take_runs(stream)
        assert [m.offset for m in (await batches.__anext__()).records] == [10]
        await topic.throw(ValueError("broken stream"))
        with pytest.raises(ValueError, match="broken stream"):
            await asyncio.wait_for(batches.__anext__(), 1.0)

    asyncio.run(main())


# -- send_record ---------------------------------------------------------------------
def test_send_record_hands_the_encoded_record_to_faust_producer_and_logs_a_failure(
    tmp_path, caplog
) -> None:
    async def main() -> None:
        app = faust_app(load_settings(env={}, home=tmp_path, app_id="send-test"))
        sent: list[tuple] = []
        deliveries: list[asyncio.Future] = []

        class Producer:  # what send_record needs of Faust's producer: its send
            async def send(self, *args):
                sent.append(args)
                deliveries.append(asyncio.get_running_loop().create_future())
                return deliveries[-1]

        app._producer = Producer()
        value = {"id": "a1", "text": "Poutine a dit « non »", "n": 1}
        await send_record(app, "out", b"a1", value, timestamp=12.5, headers={"h": b"v"})
        await send_record(app, "out", b"gone", None, partition=1)
        assert sent == [
            ("out", b"a1", codecs.dumps(value), None, 12.5, {"h": b"v"}),
            ("out", b"gone", None, 1, None, None),  # None: a tombstone
        ]
        deliveries[0].set_result(None)
        deliveries[1].set_exception(RuntimeError("broker gone"))
        await asyncio.sleep(0)  # the done callbacks run
        failures = [r for r in caplog.records if r.levelname == "ERROR"]
        assert len(failures) == 1 and "b'gone'" in failures[0].getMessage()
        assert "broker gone" in failures[0].getMessage()

    asyncio.run(main())


def test_records_behind_reads_the_backlog_from_the_high_watermark(tmp_path) -> None:
    async def main() -> None:
        app, _ = await _run_app(tmp_path, max_records=3)
        consumer = app.consumer
        tp = TP(RUNS, 0)
        highwater: dict[TP, int | None] = {tp: 20}
        consumer.highwater = highwater.get  # the log end offset as of the last fetch
        assert faust_transport.records_behind(consumer, _record(tp, 14)) == 5  # 15–19
        assert faust_transport.records_behind(consumer, _record(tp, 19)) == 0  # caught up
        highwater[tp] = None  # no fetch yet: nothing known to be waiting
        assert faust_transport.records_behind(consumer, _record(tp, 3)) == 0

    asyncio.run(main())


def test_backlog_counts_the_runs_and_what_is_behind_each_partition_once(tmp_path) -> None:
    async def main() -> None:
        app, _ = await _run_app(tmp_path, max_records=3)
        consumer = app.consumer
        tp0, tp1 = TP(RUNS, 0), TP(RUNS, 1)
        highwater: dict[TP, int | None] = {tp0: 30, tp1: 8}
        consumer.highwater = highwater.get
        first = [_record(tp0, o) for o in (10, 11, 12)]
        second = [_record(tp0, o) for o in (13, 14)]  # 15–29 behind it
        other = [_record(tp1, 7)]  # caught up
        assert faust_transport.backlog(consumer, [first, second, other]) == 6 + 15
        # Order within a batch does not matter: behind counts after the partition's last run.
        assert faust_transport.backlog(consumer, [second, first]) == 5 + 15
        assert faust_transport.behind(consumer, [first, second, other]) == 15
        highwater[tp0] = 15  # the fetcher has seen nothing after offset 14: caught up
        assert faust_transport.behind(consumer, [first, second, other]) == 0
        highwater[tp0] = None
        assert faust_transport.backlog(consumer, [first]) == 3

    asyncio.run(main())
