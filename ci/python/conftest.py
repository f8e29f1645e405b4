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


def wait_ready(port, process):
    deadline = time.time() + STARTUP_TIMEOUT_S
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"process on port {port} exited with {process.returncode}")
        try:
            if redis.Redis(port=port, protocol=2, socket_timeout=1).ping():
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
