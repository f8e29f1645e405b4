"""Fixtures: a real redis-server and dynomite nodes in front of it, on free loopback ports."""
import os
import shutil
import socket
import subprocess
import tempfile
import time

import pytest
import redis

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
STARTUP_TIMEOUT_S = 10.0


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(port, process, timeout_s=STARTUP_TIMEOUT_S, **auth):
    """Waits until the server on `port` answers PING (`auth`: redis-py's username/password)."""
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"process on port {port} exited with {process.returncode}")
        try:
            if redis.Redis(port=port, protocol=2, socket_timeout=1, **auth).ping():
                return
        except redis.exceptions.ConnectionError:
            time.sleep(0.05)
    raise RuntimeError(f"port {port} never answered PING")


def dynomite_binary():
    binary = os.environ.get("DYNOMITE_BIN") or os.path.join(ROOT, "target", "release", "dynomite")
    if not os.path.exists(binary):
        subprocess.run(["cargo", "build", "--release", "-q", "-p", "dynomite"], cwd=ROOT, check=True)
    return binary


@pytest.fixture(scope="session")
def workdir():
    path = tempfile.mkdtemp(prefix="dynomite-py-")
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def redis_port(workdir):
    port = free_port()
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", workdir],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_ready(port, process)
    yield port
    process.kill()
    process.wait()


START_ATTEMPTS = 5


def start_dynomite(workdir, data_store_line, redis_port):
    """Starts a node; a free port can be taken before the node binds it, so fresh ports are tried."""
    for _ in range(START_ATTEMPTS):
        started = try_start_dynomite(workdir, data_store_line, redis_port)
        if started is not None:
            return started
    raise RuntimeError(f"dynomite did not start after {START_ATTEMPTS} attempts")


def try_start_dynomite(workdir, data_store_line, redis_port):
    port, dnode, stats = free_port(), free_port(), free_port()
    config = os.path.join(workdir, f"dynomite-{port}.yml")
    with open(config, "w") as f:
        f.write(f"""dyn_o_mite:
  listen: 127.0.0.1:{port}
  dyn_listen: 127.0.0.1:{dnode}
  stats_listen: 127.0.0.1:{stats}
  servers:
  - 127.0.0.1:{redis_port}:1
  {data_store_line}
  tokens: '0'
""")
    log = open(os.path.join(workdir, f"dynomite-{port}.log"), "w")
    process = subprocess.Popen([dynomite_binary(), "-c", config, "-v", "6"], stdout=log, stderr=log)
    try:
        wait_ready(port, process)
    except RuntimeError:
        process.kill()
        process.wait()
        return None
    return port, process


@pytest.fixture(scope="session")
def proxy_port(workdir, redis_port):
    port, process = start_dynomite(workdir, "data_store: 0", redis_port)
    yield port
    process.terminate()
    assert process.wait(timeout=10) == 0, "dynomite did not exit cleanly on SIGTERM"


@pytest.fixture(scope="session")
def embedded_port(workdir, redis_port):
    port, process = start_dynomite(workdir, "data_store: embedded", redis_port)
    yield port
    process.terminate()
    assert process.wait(timeout=10) == 0, "dynomite did not exit cleanly on SIGTERM"


# --- a cluster of one datacenter, one node per rack (token 0 each), one redis-server per node ---

RACK_START_ATTEMPTS = 3
LINKS_UP_TIMEOUT_S = 30.0


def start_redis(workdir, password=None):
    """A redis-server on a free port (`password`: its requirepass); (port, process)."""
    port = free_port()
    extra = ["--requirepass", password] if password else []
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", workdir] + extra,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_ready(port, process, password=password)
    return port, process


def stop(processes):
    for process in processes:
        process.kill()
        process.wait()


def rack_node_yaml(me, nodes, redis_port, extra):
    """Node `me`'s YAML: its listeners, rack and Redis, every other node as a seed, then `extra` (lines
    of two-space-indented `key: value`, each ending in a newline)."""
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
{extra}  dyn_seeds:{seeds}
"""


def start_racks(workdir, name, redis_ports, extra, **auth):
    """One node per Redis of `redis_ports`, rack1..rackN, each with `extra` in its YAML; retried on fresh
    ports when a node cannot start (a free port was taken meanwhile). (nodes, processes): each node a
    dict of rack, port (clients), peer and stats ports. `auth`: how to PING the nodes."""
    for _ in range(RACK_START_ATTEMPTS):
        nodes = [{"rack": f"rack{n + 1}", "port": free_port(), "peer": free_port(), "stats": free_port()}
                 for n in range(len(redis_ports))]
        processes = []
        for node, redis_port in zip(nodes, redis_ports):
            config = os.path.join(workdir, f"{name}-{node['port']}.yml")
            with open(config, "w") as f:
                f.write(rack_node_yaml(node, nodes, redis_port, extra))
            log = open(os.path.join(workdir, f"{name}-{node['port']}.log"), "w")
            processes.append(
                subprocess.Popen([dynomite_binary(), "-c", config, "-v", "5"], stdout=log, stderr=log))
        try:
            for node, process in zip(nodes, processes):
                wait_ready(node["port"], process, timeout_s=15.0, **auth)
            return nodes, processes
        except RuntimeError:
            stop(processes)
    raise RuntimeError(f"the {name} cluster did not start after {RACK_START_ATTEMPTS} attempts")


def wait_links_up(nodes, redis_ports, client_auth=None, redis_password=None):
    """Writes a probe through every node at DC_SAFE_QUORUM until every rack's Redis holds it."""
    deadline = time.time() + LINKS_UP_TIMEOUT_S
    for node in nodes:
        key = f"probe:{node['port']}"
        while True:
            try:
                client = redis.Redis(port=node["port"], protocol=2, socket_timeout=5, **(client_auth or {}))
                client.execute_command("DYNO_CONFIG:CONN_CONSISTENCY", "dc_safe_quorum")
                written = client.set(key, "up")
            except redis.exceptions.RedisError:
                written = False
            if written and all(redis.Redis(port=port, protocol=2, password=redis_password).get(key) == b"up"
                               for port in redis_ports):
                break
            if time.time() > deadline:
                raise RuntimeError(f"peer links never carried a write from node {node['port']} to every rack")
            time.sleep(0.05)


def rack_cluster(workdir, name, racks, extra):
    """A fully connected cluster of `racks` racks with every Redis empty, for a module fixture: a
    generator yielding (client ports, redis ports), stopping everything after."""
    servers = [start_redis(workdir) for _ in range(racks)]
    redis_ports = [port for port, _ in servers]
    try:
        nodes, processes = start_racks(workdir, name, redis_ports, extra)
    except RuntimeError:
        stop([process for _, process in servers])
        raise
    try:
        wait_links_up(nodes, redis_ports)
        for port in redis_ports:
            redis.Redis(port=port, protocol=2).flushall()
        yield [node["port"] for node in nodes], redis_ports
    finally:
        stop(processes)
        stop([process for _, process in servers])
