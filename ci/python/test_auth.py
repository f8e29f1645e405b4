"""Client AUTH and peer authentication (issue 10), seen from redis-py: a 3-rack cluster whose nodes
have `requirepass` (clients) and `peer_secret` (links), each in front of a redis-server with its own
password (`redis_requirepass`).

- Without the password every command gets NOAUTH; with a wrong one, WRONGPASS; with the right one
  (RESP2 and RESP3, `AUTH pw` and `HELLO 3 AUTH default pw`) writes replicate to every rack through
  authenticated peer links.
- The datastore's password is a separate key: the node authenticates to its password-protected
  redis-server with `redis_requirepass`, not with the clients' password.
- Named users (`users`): a read-write user writes; a read-only user reads and gets NOPERM on writes,
  from redis-py (RESP2 and RESP3) and from redis-cli `--user`."""
import os
import subprocess
import time

import pytest
import redis

from conftest import dynomite_binary, free_port

RACKS = 3
CLIENT_PASSWORD = "client-pw"
DATASTORE_PASSWORD = "datastore-pw"
PEER_SECRET = "python-test-cluster-secret"
READER, READER_PASSWORD = "reports", "reports:pw"
WRITER, WRITER_PASSWORD = "app", "app-pw"
READY_TIMEOUT_S = 15.0
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
  requirepass: {CLIENT_PASSWORD}
  redis_requirepass: {DATASTORE_PASSWORD}
  peer_secret: {PEER_SECRET}
  users:
  - {READER}:read-only:{READER_PASSWORD}
  - {WRITER}:read-write:{WRITER_PASSWORD}
  read_consistency: dc_quorum
  write_consistency: dc_quorum
  dyn_seeds:{seeds}
"""


def wait_answering(port, process, **auth):
    deadline = time.time() + READY_TIMEOUT_S
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"process on port {port} exited with {process.returncode}")
        try:
            if redis.Redis(port=port, protocol=2, socket_timeout=1, **auth).ping():
                return
        except redis.exceptions.ConnectionError:
            time.sleep(0.05)
    raise RuntimeError(f"port {port} never answered PING")


def stop(processes):
    for process in processes:
        process.kill()
        process.wait()


@pytest.fixture(scope="module")
def cluster(workdir):
    """(client ports, redis ports) of a 3-rack cluster with every link up."""
    servers = []
    for _ in range(RACKS):
        port = free_port()
        process = subprocess.Popen(
            ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--requirepass", DATASTORE_PASSWORD, "--dir", workdir],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_answering(port, process, password=DATASTORE_PASSWORD)
        servers.append((port, process))
    redis_ports = [port for port, _ in servers]
    for _ in range(START_ATTEMPTS):
        nodes = [{"rack": f"rack{n + 1}", "port": free_port(), "peer": free_port(), "stats": free_port()}
                 for n in range(RACKS)]
        processes = []
        for node, redis_port in zip(nodes, redis_ports):
            config = os.path.join(workdir, f"auth-{node['port']}.yml")
            with open(config, "w") as f:
                f.write(node_yaml(node, nodes, redis_port))
            log = open(os.path.join(workdir, f"auth-{node['port']}.log"), "w")
            processes.append(subprocess.Popen([dynomite_binary(), "-c", config], stdout=log, stderr=log))
        try:
            for node, process in zip(nodes, processes):
                wait_answering(node["port"], process, password=CLIENT_PASSWORD)
            break
        except RuntimeError:
            stop(processes)
            processes = None
    if not processes:
        stop([process for _, process in servers])
        raise RuntimeError("the authenticated cluster did not start")
    try:
        yield [node["port"] for node in nodes], redis_ports
    finally:
        stop(processes)
        stop([process for _, process in servers])


def test_without_a_password_every_command_gets_noauth(cluster):
    ports, _ = cluster
    client = redis.Redis(port=ports[0], protocol=2)
    for command in (("GET", "k"), ("SET", "k", "v"), ("INFO",), ("PING",), ("FLUSHALL",)):
        with pytest.raises(redis.exceptions.AuthenticationError, match="Authentication required"):
            client.execute_command(*command)


@pytest.mark.parametrize("protocol", [2, 3])
def test_a_wrong_password_gets_wrongpass(cluster, protocol):
    ports, _ = cluster
    with pytest.raises(redis.exceptions.AuthenticationError, match="invalid username-password pair"):
        redis.Redis(port=ports[0], protocol=protocol, password="nope").ping()


@pytest.mark.parametrize("protocol", [2, 3])
def test_with_the_password_writes_replicate_over_authenticated_links(cluster, protocol):
    ports, redis_ports = cluster
    key = f"auth:resp{protocol}"
    writer = redis.Redis(port=ports[0], protocol=protocol, password=CLIENT_PASSWORD)
    assert writer.set(key, "v") is True
    deadline = time.time() + READY_TIMEOUT_S
    while True:
        held = [redis.Redis(port=port, protocol=2, password=DATASTORE_PASSWORD).get(key) for port in redis_ports]
        if held == [b"v"] * RACKS or time.time() > deadline:
            break
        time.sleep(0.05)
    assert held == [b"v"] * RACKS, "every rack's redis-server holds the write"
    for port in ports:
        reader = redis.Redis(port=port, protocol=protocol, password=CLIENT_PASSWORD, username="default")
        assert reader.get(key) == b"v"


@pytest.mark.parametrize("protocol", [2, 3])
def test_named_users_read_write_and_read_only(cluster, protocol):
    ports, _ = cluster
    key = f"users:resp{protocol}"
    writer = redis.Redis(port=ports[0], protocol=protocol, username=WRITER, password=WRITER_PASSWORD)
    assert writer.set(key, "written") is True
    reader = redis.Redis(port=ports[1], protocol=protocol, username=READER, password=READER_PASSWORD)
    assert reader.get(key) == b"written"
    with pytest.raises(redis.exceptions.NoPermissionError,
                       match="User reports has no permissions to run the 'set' command"):
        reader.set(key, "not allowed")
    with pytest.raises(redis.exceptions.NoPermissionError, match="'del' command"):
        reader.delete(key)
    assert writer.get(key) == b"written", "the refused writes changed nothing"
    with pytest.raises(redis.exceptions.AuthenticationError, match="invalid username-password pair"):
        redis.Redis(port=ports[0], protocol=protocol, username=READER, password=WRITER_PASSWORD).ping()


def test_redis_cli_logs_in_as_a_named_user(cluster):
    ports, _ = cluster
    base = ["redis-cli", "-p", str(ports[2]), "--no-auth-warning", "--user", READER, "--pass", READER_PASSWORD]
    redis.Redis(port=ports[0], protocol=2, username=WRITER, password=WRITER_PASSWORD).set("users:cli", "v")
    read = subprocess.run(base + ["get", "users:cli"], capture_output=True, text=True, timeout=30)
    assert read.stdout.strip() == "v", read
    write = subprocess.run(base + ["set", "users:cli", "x"], capture_output=True, text=True, timeout=30)
    assert "NOPERM User reports has no permissions to run the 'set' command" in write.stdout + write.stderr
