"""Order is the contract (issue 7), seen from redis-py: a `pipeline(transaction=False)` of SET k v, GET k,
INCR c, GET c ... against a 3-rack cluster at the default DC_ONE must give exactly what one Redis gives
for the same pipeline. Before the fix, a GET whose owner was local overtook the replicated SET before
it and returned None.

The cluster fixture lives here (conftest's fixtures start single nodes): three redis-servers, three
dynomite nodes (dc1, rack1..rack3, token 0 each), each listing the others as seeds."""
import os
import random
import subprocess
import time

import pytest
import redis

from conftest import dynomite_binary, free_port, wait_ready

RACKS = 3
PIPELINE_DEPTH = 400
KEYS = 6
LINKS_UP_TIMEOUT_S = 30.0
START_ATTEMPTS = 3


def node_yaml(me, nodes, redis_port):
    seeds = "".join(
        f"\n  - 127.0.0.1:{peer['peer']}:{peer['rack']}:dc1:0" for peer in nodes if peer is not me)
    return f"""dyn_o_mite:
  listen: 127.0.0.1:{me['port']}
  dyn_listen: 127.0.0.1:{me['peer']}
  stats_listen: 127.0.0.1:{me['stats']}
  datacenter: dc1
  rack: {me['rack']}
  tokens: '0'
  servers:
  - 127.0.0.1:{redis_port}:1
  data_store: 0
  timeout: 5000
  read_consistency: dc_one
  write_consistency: dc_one
  dyn_seeds:{seeds}
"""


def start_redis(workdir):
    port = free_port()
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", workdir],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_ready(port, process)
    return port, process


def try_start_nodes(workdir, redis_ports):
    """Starts one node per rack; None when a node could not start (a free port was taken meanwhile)."""
    nodes = [{"rack": f"rack{n + 1}", "port": free_port(), "peer": free_port(), "stats": free_port()}
             for n in range(RACKS)]
    processes = []
    for node, redis_port in zip(nodes, redis_ports):
        config = os.path.join(workdir, f"order-{node['port']}.yml")
        with open(config, "w") as f:
            f.write(node_yaml(node, nodes, redis_port))
        log = open(os.path.join(workdir, f"order-{node['port']}.log"), "w")
        processes.append(subprocess.Popen([dynomite_binary(), "-c", config, "-v", "5"], stdout=log, stderr=log))
    try:
        for node, process in zip(nodes, processes):
            wait_ready(node["port"], process)
    except RuntimeError:
        stop(processes)
        return None
    return nodes, processes


def stop(processes):
    for process in processes:
        process.kill()
        process.wait()


def wait_links_up(nodes, redis_ports):
    """Writes a probe through every node at DC_SAFE_QUORUM until every rack's Redis holds it."""
    deadline = time.time() + LINKS_UP_TIMEOUT_S
    for node in nodes:
        key, value = f"probe:{node['port']}", "up"
        while True:
            try:
                client = redis.Redis(port=node["port"], protocol=2, socket_timeout=5)
                client.execute_command("DYNO_CONFIG:CONN_CONSISTENCY", "dc_safe_quorum")
                written = client.set(key, value)
            except redis.exceptions.RedisError:
                written = False
            if written and all(redis.Redis(port=port, protocol=2).get(key) == b"up" for port in redis_ports):
                break
            if time.time() > deadline:
                raise RuntimeError(f"peer links never carried a write from node {node['port']} to every rack")
            time.sleep(0.05)


@pytest.fixture(scope="module")
def three_racks(workdir):
    """Client ports of a 3-rack cluster at DC_ONE, fully connected, every Redis empty."""
    servers = [start_redis(workdir) for _ in range(RACKS)]
    redis_ports = [port for port, _ in servers]
    started = None
    for _ in range(START_ATTEMPTS):
        started = try_start_nodes(workdir, redis_ports)
        if started is not None:
            break
    if started is None:
        stop([process for _, process in servers])
        raise RuntimeError(f"the 3-rack cluster did not start after {START_ATTEMPTS} attempts")
    nodes, processes = started
    try:
        wait_links_up(nodes, redis_ports)
        for port in redis_ports:
            redis.Redis(port=port, protocol=2).flushall()
        yield [node["port"] for node in nodes]
    finally:
        stop(processes)
        stop([process for _, process in servers])


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
