"""Client TLS (issue 10): redis-py with `ssl=True` against a node's `client_tls_listen` port, RESP2 and
RESP3, in front of the session's redis-server. Certificates are made here with the openssl command
line: a test CA, and a server certificate for localhost/127.0.0.1 that it signs.

- Writes and reads over TLS reach the real datastore, and the plain port sees them.
- A client that trusts another CA is refused (certificate verification happens).
- A plain-text client on the TLS port gets an error reply, not a hang, and the node keeps serving."""
import os
import socket
import ssl
import subprocess
import time

import pytest
import redis

from conftest import dynomite_binary, free_port

READY_TIMEOUT_S = 15.0
START_ATTEMPTS = 3


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def make_authority(directory, name):
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", f"{name}.key", "-out", f"{name}.pem", "-days", "2", "-subj", f"/CN={name}", cwd=directory)
    return os.path.join(directory, f"{name}.pem")


@pytest.fixture(scope="module")
def certificates(workdir):
    directory = os.path.join(workdir, "tls")
    os.makedirs(directory, exist_ok=True)
    ca = make_authority(directory, "ca")
    with open(os.path.join(directory, "server.ext"), "w") as f:
        f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n")
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost", cwd=directory)
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", "server.crt", "-days", "2", "-extfile", "server.ext", cwd=directory)
    other = make_authority(directory, "other-ca")
    return {"dir": directory, "ca": ca, "other_ca": other}


def start_tls_node(workdir, certificates, redis_port):
    for _ in range(START_ATTEMPTS):
        port, tls_port = free_port(), free_port()
        config = os.path.join(workdir, f"dynomite-tls-{port}.yml")
        with open(config, "w") as f:
            f.write(f"""dyn_o_mite:
  listen: 127.0.0.1:{port}
  dyn_listen: 127.0.0.1:{free_port()}
  stats_listen: 127.0.0.1:{free_port()}
  servers:
  - 127.0.0.1:{redis_port}:1
  data_store: 0
  tokens: '0'
  client_tls_listen: 127.0.0.1:{tls_port}
  client_tls_cert_file: {os.path.join(certificates['dir'], 'server.crt')}
  client_tls_key_file: {os.path.join(certificates['dir'], 'server.key')}
""")
        log = open(os.path.join(workdir, f"dynomite-tls-{port}.log"), "w")
        process = subprocess.Popen([dynomite_binary(), "-c", config, "-v", "6"], stdout=log, stderr=log)
        deadline = time.time() + READY_TIMEOUT_S
        while time.time() < deadline and process.poll() is None:
            try:
                if redis.Redis(port=port, socket_timeout=1).ping():
                    return port, tls_port, process
            except redis.exceptions.ConnectionError:
                time.sleep(0.05)
        process.kill()
        process.wait()
    raise RuntimeError("the TLS node did not start")


@pytest.fixture(scope="module")
def tls_node(workdir, certificates, redis_port):
    port, tls_port, process = start_tls_node(workdir, certificates, redis_port)
    yield {"port": port, "tls_port": tls_port, "process": process}
    process.terminate()
    assert process.wait(timeout=10) == 0, "dynomite did not exit cleanly on SIGTERM"


@pytest.mark.parametrize("protocol", [2, 3])
def test_redis_py_ssl_reads_and_writes(tls_node, certificates, protocol):
    client = redis.Redis(host="127.0.0.1", port=tls_node["tls_port"], protocol=protocol, ssl=True,
                         ssl_ca_certs=certificates["ca"], socket_timeout=10)
    key = f"tls:resp{protocol}"
    assert client.set(key, "over-tls")
    assert client.get(key) == b"over-tls"
    pipe = client.pipeline(transaction=False)
    for index in range(50):
        pipe.incr(f"{key}:counter")
    assert pipe.execute() == list(range(1, 51))
    assert client.hset(f"{key}:hash", mapping={"a": "1", "b": "2"}) == 2
    assert client.hgetall(f"{key}:hash") == {b"a": b"1", b"b": b"2"}
    plain = redis.Redis(port=tls_node["port"], protocol=2, socket_timeout=10)
    assert plain.get(key) == b"over-tls"
    assert plain.get(f"{key}:counter") == b"50"


def test_untrusted_certificate_is_refused(tls_node, certificates):
    client = redis.Redis(host="127.0.0.1", port=tls_node["tls_port"], ssl=True,
                         ssl_ca_certs=certificates["other_ca"], socket_timeout=10)
    with pytest.raises(redis.exceptions.ConnectionError) as error:
        client.ping()
    assert "certificate verify failed" in str(error.value)


def test_plain_text_client_on_tls_port_gets_an_error(tls_node, certificates):
    with socket.create_connection(("127.0.0.1", tls_node["tls_port"]), timeout=10) as raw:
        raw.sendall(b"PING\r\n")
        reply = b""
        while not reply.endswith(b"\r\n"):
            chunk = raw.recv(1024)
            assert chunk, f"closed after {reply!r}"
            reply += chunk
    assert reply.startswith(b"-ERR this port (client_tls_listen) accepts TLS connections only")
    assert tls_node["process"].poll() is None
    client = redis.Redis(host="127.0.0.1", port=tls_node["tls_port"], ssl=True,
                         ssl_ca_certs=certificates["ca"], socket_timeout=10)
    assert client.ping()
