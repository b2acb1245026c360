"""Keys go to the partitions Kafka's default partitioner gives them, hashed once per key."""

from __future__ import annotations

import random

from aiokafka.partitioner import DefaultPartitioner

from streams.app import faust_config
from streams.config import Settings
from streams.partitioning import KeyPartitioner, key_hash, partition_for


def _keys(n: int) -> list[bytes]:
    rng = random.Random(7)
    keys = [b"", b"a", b"Poutine|1h|1700000000000", "é".encode()]
    keys += [rng.randbytes(rng.randint(1, 64)) for _ in range(n)]
    return keys


def test_keyed_records_go_where_aiokafka_and_java_send_them() -> None:
    ours, theirs = KeyPartitioner(), DefaultPartitioner()
    for count in (1, 2, 3, 12, 50):
        partitions = list(range(count))
        for key in _keys(300):
            assert ours(key, partitions, partitions) == theirs(key, partitions, partitions)
    assert partition_for("vladimir-putin", 2) == theirs(b"vladimir-putin", [0, 1], [0, 1])


def test_the_hash_is_javas_murmur2() -> None:
    """Values of Kafka's ``Utils.murmur2`` (its unit tests), made positive as the
    partitioner does."""
    java = {
        b"21": -973932308,
        b"foobar": -790332482,
        b"a-little-bit-long-string": -985981536,
        b"a-little-bit-longer-string": -1486304829,
        b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971,
        b"abc": 479470107,
    }
    for key, signed in java.items():
        assert key_hash(key) == signed & 0x7FFFFFFF
        assert KeyPartitioner()(key, list(range(7)), []) == (signed & 0x7FFFFFFF) % 7


def test_a_key_is_hashed_once() -> None:
    key_hash.cache_clear()
    partitioner = KeyPartitioner()
    for _ in range(5):
        partitioner(b"donald-trump|24h|1700000000000", [0, 1], [0, 1])
    info = key_hash.cache_info()
    assert (info.misses, info.hits) == (1, 4)


def test_unkeyed_records_go_to_an_available_partition() -> None:
    partitioner = KeyPartitioner()
    assert {partitioner(None, [0, 1, 2], [2]) for _ in range(20)} == {2}
    assert {partitioner(None, [0, 1, 2], []) for _ in range(200)} == {0, 1, 2}


def test_the_worker_producer_uses_it() -> None:
    assert isinstance(faust_config(Settings())["producer_partitioner"], KeyPartitioner)
