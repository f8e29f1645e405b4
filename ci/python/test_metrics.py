"""`GET /metrics` on the admin port, read by Prometheus's own Python parser (prometheus_client): every
family parses, has the type it claims, and counts the traffic the test sent; histograms are
cumulative with `+Inf` equal to `_count`."""
import os
import subprocess
import time
import urllib.request

import pytest
import redis
from prometheus_client.parser import text_string_to_metric_families

from conftest import dynomite_binary, free_port, wait_ready

START_ATTEMPTS = 5


def start_node(workdir):
    """A node on the embedded datastore with one unreachable seed in another datacenter."""
    for _ in range(START_ATTEMPTS):
        port, dnode, stats, seed = free_port(), free_port(), free_port(), free_port()
        config = os.path.join(workdir, f"metrics-{port}.yml")
        with open(config, "w") as f:
            f.write(f"""dyn_o_mite:
  datacenter: dc1
  rack: rack1
  listen: 127.0.0.1:{port}
  dyn_listen: 127.0.0.1:{dnode}
  stats_listen: 127.0.0.1:{stats}
  data_store: embedded
  tokens: '0'
  dyn_seeds:
  - 127.0.0.1:{seed}:rack1:dc2:0
""")
        log = open(os.path.join(workdir, f"metrics-{port}.log"), "w")
        process = subprocess.Popen([dynomite_binary(), "-c", config, "-v", "4"], stdout=log, stderr=log)
        try:
            wait_ready(port, process)
            return port, stats, seed, process
        except RuntimeError:
            process.kill()
            process.wait()
    raise RuntimeError(f"dynomite did not start after {START_ATTEMPTS} attempts")


@pytest.fixture(scope="module")
def node(workdir):
    port, stats, seed, process = start_node(workdir)
    yield port, stats, seed
    process.terminate()
    assert process.wait(timeout=10) == 0


def scrape(stats_port):
    with urllib.request.urlopen(f"http://127.0.0.1:{stats_port}/metrics", timeout=10) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        text = response.read().decode()
    return {family.name: family for family in text_string_to_metric_families(text)}


def sample(family, suffix="", **labels):
    matches = [s.value for s in family.samples
               if s.name == family.name + suffix and all(s.labels.get(k) == v for k, v in labels.items())]
    assert len(matches) == 1, (family.name, suffix, labels, family.samples)
    return matches[0]


def test_metrics_parse_with_prometheus_client(node):
    port, stats, seed = node
    client = redis.Redis(port=port, protocol=2)
    for index in range(7):
        assert client.set(f"k{index}", "v" * 10)
    for index in range(4):
        assert client.get(f"k{index}") == b"v" * 10
    with pytest.raises(redis.exceptions.ResponseError):
        client.execute_command("NOSUCHCOMMAND")

    families = scrape(stats)
    requests = families["dynomite_client_requests"]
    assert requests.type == "counter"
    assert sample(requests, "_total", **{"class": "write", "outcome": "ok"}) >= 7
    assert sample(requests, "_total", **{"class": "read", "outcome": "ok"}) >= 4
    assert sample(requests, "_total", **{"class": "other", "outcome": "error"}) >= 1
    assert families["dynomite_quorum_failures"].type == "counter"
    assert families["dynomite_client_connections_open"].type == "gauge"
    assert sample(families["dynomite_client_connections_open"]) >= 1

    peer_up = families["dynomite_peer_up"]
    assert peer_up.type == "gauge"
    assert sample(peer_up, peer=f"127.0.0.1:{seed}", dc="dc2", rack="rack1") == 0
    assert families["dynomite_peer_hints_queued"].type == "gauge"
    # Gossip is off on this node: the family says so and no member gauges are made up.
    assert sample(families["dynomite_gossip_enabled"]) == 0
    assert "dynomite_gossip_members" not in families
    # Anti-entropy progress (issue 9): read repair, background repair, tombstone GC, dropped hints.
    for name in ["dynomite_read_repair_reads", "dynomite_repair_changelog_sweeps",
                 "dynomite_repair_range_keys_shipped", "dynomite_tombstone_collections",
                 "dynomite_hints_dropped"]:
        assert families[name].type == "counter", name
        assert sample(families[name], "_total") >= 0, name
    assert families["dynomite_repair_enabled"].type == "gauge"
    assert sample(families["dynomite_repair_enabled"]) == 0, "this node is not in CRDT mode"

    for name in ("dynomite_client_request_latency_us", "dynomite_datastore_latency_us",
                 "dynomite_cross_rack_latency_us", "dynomite_cross_dc_latency_us",
                 "dynomite_client_write_payload_bytes", "dynomite_client_queue_depth"):
        family = families[name]
        assert family.type == "histogram", name
        buckets = [(s.labels["le"], s.value) for s in family.samples if s.name == name + "_bucket"]
        counts = [value for _, value in buckets]
        assert counts == sorted(counts), f"{name} buckets are cumulative"
        assert buckets[-1][0] == "+Inf"
        assert buckets[-1][1] == sample(family, "_count"), name
    payload = families["dynomite_client_write_payload_bytes"]
    # SET kN vvvvvvvvvv: 3 + 2 + 10 bytes of arguments each.
    assert sample(payload, "_count") >= 7
    assert sample(payload, "_sum") >= 7 * 15
    assert sample(families["dynomite_client_request_latency_us"], "_count") >= 12


def test_counters_only_grow_between_scrapes(node):
    port, stats, _ = node
    before = scrape(stats)
    redis.Redis(port=port, protocol=2).set("again", "1")
    after = scrape(stats)
    key = {"class": "write", "outcome": "ok"}
    assert sample(after["dynomite_client_requests"], "_total", **key) == \
        sample(before["dynomite_client_requests"], "_total", **key) + 1
