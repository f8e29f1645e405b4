"""CRDT mode and read repair (issue 9), seen from redis-py: a 3-rack cluster (dc1, rack1..rack3, token 0
each, one redis-server per node) with `crdt_enabled` and `read_repairs_enabled`, at DC_QUORUM.

- Covered commands answer exactly what one Redis answers (RESP2 and RESP3), although the proxy runs them
  as Lua scripts and reads through read repair.
- The Netflix demonstration: one replica made stale by hand (an older value with an older metadata
  timestamp) is outvoted by the merge and repaired (read back from that Redis directly).
- KEYS and SCAN hide the reserved `_dyn:` metadata keys."""
import time

import pytest
import redis

from conftest import rack_cluster

RACKS = 3
CONVERGE_TIMEOUT_S = 10.0
OLD_TIMESTAMP = "000000000001" + "0000" + "00000007"  # 24 hex: physical ms, logical, node


@pytest.fixture(scope="module")
def crdt_cluster(workdir):
    """(client ports, redis ports) of a fully connected 3-rack CRDT cluster with every Redis empty."""
    extra = ("  timeout: 5000\n  read_consistency: dc_quorum\n  write_consistency: dc_quorum\n"
             "  crdt_enabled: true\n  read_repairs_enabled: true\n")
    yield from rack_cluster(workdir, "crdt", RACKS, extra)


def session(client, prefix):
    """Covered writes and reads of every CRDT type; the list of replies."""
    k, h, s, z, c = (f"{prefix}:{name}" for name in ("k", "h", "s", "z", "c"))
    return [
        client.set(k, "v1"), client.get(k), client.set(k, "v2", nx=True), client.set(k, "v3", xx=True),
        client.get(k), client.getset(k, "v4"), client.strlen(k), client.setnx(k, "v5"), client.get(k),
        client.hset(h, mapping={"a": "1", "b": "2"}), client.hget(h, "a"), client.hgetall(h),
        client.hdel(h, "a"), client.hincrby(h, "n", 5), client.hincrby(h, "n", -2), client.hgetall(h),
        client.hlen(h), client.sadd(s, "x", "y", "z"), client.srem(s, "y"), client.smembers(s),
        client.sismember(s, "x"), client.scard(s), client.zadd(z, {"a": 1, "b": 2}), client.zadd(z, {"a": 3}),
        client.zrange(z, 0, -1, withscores=True), client.zscore(z, "a"), client.zrem(z, "b"), client.zcard(z),
        client.incr(c), client.incrby(c, 10), client.decr(c), client.decrby(c, 3), client.get(c),
        client.expire(k, 100), client.persist(k), client.ttl(k), client.delete(k, h), client.exists(k),
        client.get(k), client.hgetall(h), client.type(s),
    ]


@pytest.mark.parametrize("protocol", [2, 3])
def test_covered_commands_answer_like_redis(redis_port, crdt_cluster, protocol):
    clients, _ = crdt_cluster
    direct = redis.Redis(port=redis_port, protocol=protocol)
    for coordinator, port in enumerate(clients):
        proxied = redis.Redis(port=port, protocol=protocol)
        prefix = f"crdt-{protocol}-{coordinator}"
        expected = session(direct, "direct-" + prefix)
        actual = session(proxied, prefix)
        assert actual == expected, f"node {coordinator}, RESP{protocol}"


def test_quorum_read_repairs_a_stale_replica(crdt_cluster):
    clients, redis_ports = crdt_cluster
    client = redis.Redis(port=clients[0], protocol=2)
    key = "netflix:py"
    assert client.set(key, "newest")
    replicas = [redis.Redis(port=port, protocol=2) for port in redis_ports]
    deadline = time.time() + CONVERGE_TIMEOUT_S
    while not all(replica.get(key) == b"newest" for replica in replicas):
        assert time.time() < deadline, "the write never reached every replica"
        time.sleep(0.05)
    stale = replicas[2]
    stale.set(key, "older")
    stale.hset(f"_dyn:m:{key}", mapping={"t": "string", "a": OLD_TIMESTAMP})
    assert client.get(key) == b"newest"
    deadline = time.time() + CONVERGE_TIMEOUT_S
    while stale.get(key) != b"newest":
        assert time.time() < deadline, "read repair did not write the merge back to the stale replica"
        time.sleep(0.05)


def test_metadata_keys_are_hidden(crdt_cluster):
    clients, redis_ports = crdt_cluster
    client = redis.Redis(port=clients[1], protocol=3)
    client.set("hidden:a", "1")
    client.sadd("hidden:s", "m")
    assert redis.Redis(port=redis_ports[0], protocol=2).exists("_dyn:m:hidden:a") == 1
    assert sorted(client.keys("hidden:*")) == [b"hidden:a", b"hidden:s"]
    assert not [key for key in client.keys("*") if key.startswith(b"_dyn:")]
    assert not [key for key in client.scan_iter(count=100) if key.startswith(b"_dyn:")]


@pytest.mark.parametrize("protocol", [2, 3])
def test_pipelined_writes_and_repairing_reads_keep_their_order(redis_port, crdt_cluster, protocol):
    """SET/GET/HSET/HGETALL/INCR/GET pipelined 400 deep: every read sees the writes before it (the read
    script travels on the connections the writes took), exactly as one Redis answers."""
    clients, _ = crdt_cluster

    def run(client, prefix):
        pipe = client.pipeline(transaction=False)
        for n in range(100):
            key, hkey, counter = f"{prefix}:k{n % 3}", f"{prefix}:h{n % 2}", f"{prefix}:c{n % 4}"
            pipe.set(key, str(n))
            pipe.get(key)
            pipe.hset(hkey, f"f{n % 5}", str(n))
            pipe.hgetall(hkey)
            pipe.incr(counter)
            pipe.get(counter)
        return pipe.execute(raise_on_error=False)

    expected = run(redis.Redis(port=redis_port, protocol=protocol), f"pipe-direct-{protocol}")
    for coordinator, port in enumerate(clients):
        actual = run(redis.Redis(port=port, protocol=protocol), f"pipe-{protocol}-{coordinator}")
        assert actual == expected, f"node {coordinator}, RESP{protocol}"
