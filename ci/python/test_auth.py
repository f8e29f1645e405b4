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
import subprocess
import time

import pytest
import redis

from conftest import start_racks, start_redis, stop, wait_links_up

RACKS = 3
CLIENT_PASSWORD = "client-pw"
DATASTORE_PASSWORD = "datastore-pw"
PEER_SECRET = "python-test-cluster-secret"
READER, READER_PASSWORD = "reports", "reports:pw"
WRITER, WRITER_PASSWORD = "app", "app-pw"
READY_TIMEOUT_S = 15.0


@pytest.fixture(scope="module")
def cluster(workdir):
    """(client ports, redis ports) of a 3-rack cluster with every link up."""
    extra = (f"  requirepass: {CLIENT_PASSWORD}\n  redis_requirepass: {DATASTORE_PASSWORD}\n"
             f"  peer_secret: {PEER_SECRET}\n"
             f"  users:\n  - {READER}:read-only:{READER_PASSWORD}\n  - {WRITER}:read-write:{WRITER_PASSWORD}\n"
             "  read_consistency: dc_quorum\n  write_consistency: dc_quorum\n")
    servers = [start_redis(workdir, password=DATASTORE_PASSWORD) for _ in range(RACKS)]
    redis_ports = [port for port, _ in servers]
    try:
        nodes, processes = start_racks(workdir, "auth", redis_ports, extra, password=CLIENT_PASSWORD)
    except RuntimeError:
        stop([process for _, process in servers])
        raise
    try:
        wait_links_up(nodes, redis_ports, {"password": CLIENT_PASSWORD}, DATASTORE_PASSWORD)
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
