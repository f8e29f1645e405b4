"""Order is the contract (issue 7), seen from redis-py: a `pipeline(transaction=False)` of SET k v, GET k,
INCR c, GET c ... against a 3-rack cluster at the default DC_ONE must give exactly what one Redis gives
for the same pipeline. Before the fix, a GET whose owner was local overtook the replicated SET before
it and returned None.

The cluster fixture lives here (conftest's fixtures start single nodes): three redis-servers, three
dynomite nodes (dc1, rack1..rack3, token 0 each), each listing the others as seeds."""
import random

import pytest
import redis

from conftest import rack_cluster

RACKS = 3
PIPELINE_DEPTH = 400
KEYS = 6


@pytest.fixture(scope="module")
def three_racks(workdir):
    """Client ports of a 3-rack cluster at DC_ONE, fully connected, every Redis empty."""
    extra = "  timeout: 5000\n  read_consistency: dc_one\n  write_consistency: dc_one\n"
    for ports, _ in rack_cluster(workdir, "order", RACKS, extra):
        yield ports


def run_pipeline(client, prefix, seed):
    """SET k v / GET k / INCR c / GET c over a few keys, PIPELINE_DEPTH commands, drawn from `seed`."""
    rng = random.Random(seed)
    pipe = client.pipeline(transaction=False)
    for _ in range(PIPELINE_DEPTH // 4):
        key = f"{prefix}:k{rng.randrange(KEYS)}"
        counter = f"{prefix}:c{rng.randrange(KEYS)}"
        pipe.set(key, str(rng.randrange(1000)))
        pipe.get(key)
        pipe.incr(counter)
        pipe.get(counter)
    return pipe.execute(raise_on_error=False)


def comparable(results):
    return [("error", str(result)) if isinstance(result, Exception) else result for result in results]


@pytest.mark.parametrize("protocol", [3, 2])
@pytest.mark.parametrize("coordinator", range(RACKS))
def test_pipeline_at_dc_one_reads_its_own_writes(redis_port, three_racks, protocol, coordinator):
    direct = redis.Redis(port=redis_port, protocol=protocol)
    proxied = redis.Redis(port=three_racks[coordinator], protocol=protocol)
    seed = protocol * 10 + coordinator
    expected = comparable(run_pipeline(direct, f"order-direct-{protocol}-{coordinator}", seed))
    actual = comparable(run_pipeline(proxied, f"order-proxy-{protocol}-{coordinator}", seed))
    assert len(actual) == len(expected) == PIPELINE_DEPTH
    mismatches = [n for n in range(PIPELINE_DEPTH) if actual[n] != expected[n]]
    assert not mismatches, (
        f"{len(mismatches)} of {PIPELINE_DEPTH} replies differ from one Redis; first at #{mismatches[0]}: "
        f"got {actual[mismatches[0]]!r}, Redis answers {expected[mismatches[0]]!r}")
