"""redis-py (default RESP3 mode, and RESP2) against dynomite must see exactly what it sees against
Redis directly. Each scenario runs once against redis-server and once through the proxy, on distinct
key prefixes, and the recorded results must be equal."""
import pytest
import redis

PROTOCOLS = [3, 2]


def record(client, prefix):
    """Runs a fixed sequence of commands and returns every result (exceptions as their text)."""
    k = lambda name: f"{prefix}:{name}"
    results = []

    def step(fn, *args, **kwargs):
        try:
            value = fn(*args, **kwargs)
        except redis.exceptions.ResponseError as error:
            value = ("error", str(error).replace(prefix, "P"))
        results.append(value)

    # strings and counters
    step(client.set, k("s"), "hello")
    step(client.get, k("s"))
    step(client.append, k("s"), " world")
    step(client.getrange, k("s"), 0, 4)
    step(client.setrange, k("s"), 6, "WORLD")
    step(client.strlen, k("s"))
    step(client.set, k("s"), "v2", nx=True)
    step(client.set, k("s"), "v3", xx=True, get=True)
    step(client.incr, k("n"))
    step(client.incrby, k("n"), 41)
    step(client.decr, k("n"))
    step(client.incrbyfloat, k("f"), 1.5)
    step(client.incr, k("s"))
    step(client.get, k("missing"))
    # expiry
    step(client.set, k("e"), "x", ex=100)
    step(lambda: 90 <= client.ttl(k("e")) <= 100)
    step(lambda: 90_000 <= client.pttl(k("e")) <= 100_000)
    step(client.persist, k("e"))
    step(client.ttl, k("e"))
    step(client.expire, k("e"), 50, nx=True)
    step(client.ttl, k("missing"))
    step(client.pexpireat, k("gone"), 1)
    step(client.set, k("gone"), "x", px=1)
    # hashes (variadic HSET)
    step(client.hset, k("h"), mapping={"a": "1", "b": "2", "c": "3"})
    step(client.hset, k("h"), "d", "4")
    step(client.hget, k("h"), "a")
    step(client.hmget, k("h"), ["a", "x", "c"])
    step(client.hgetall, k("h"))
    step(client.hincrby, k("h"), "a", 10)
    step(client.hincrbyfloat, k("h"), "b", 0.5)
    step(client.hdel, k("h"), "c", "zz")
    step(client.hlen, k("h"))
    step(lambda: sorted(client.hkeys(k("h"))))
    step(client.hexists, k("h"), "d")
    step(client.get, k("h"))
    # sets
    step(client.sadd, k("set"), "a", "b", "c")
    step(client.sadd, k("set2"), "b", "c", "d")
    step(client.sismember, k("set"), "a")
    step(client.smismember, k("set"), ["a", "z"])
    step(client.scard, k("set"))
    step(client.smembers, k("set"))
    step(client.srem, k("set"), "a")
    # sorted sets
    step(client.zadd, k("z"), {"a": 1, "b": 2.5, "c": 3})
    step(client.zscore, k("z"), "b")
    step(client.zincrby, k("z"), 1.1, "a")
    step(client.zrange, k("z"), 0, -1, withscores=True)
    step(client.zrevrange, k("z"), 0, 1)
    step(client.zrangebyscore, k("z"), 2, "+inf", withscores=True)
    step(client.zrank, k("z"), "c")
    step(client.zcard, k("z"))
    step(client.zcount, k("z"), "-inf", 2.5)
    step(client.zrem, k("z"), "a")
    step(client.zpopmin, k("z"))
    # lists
    step(client.rpush, k("l"), "a", "b", "c")
    step(client.lpush, k("l"), "z")
    step(client.lrange, k("l"), 0, -1)
    step(client.lindex, k("l"), 1)
    step(client.lpop, k("l"))
    step(client.rpop, k("l"), 2)
    step(client.llen, k("l"))
    # multi-key
    step(client.mset, {k("m1"): "1", k("m2"): "2"})
    step(client.mget, [k("m1"), k("m2"), k("missing")])
    step(client.exists, k("m1"), k("m2"), k("missing"))
    step(client.delete, k("m1"), k("missing"))
    step(client.unlink, k("m2"))
    step(client.type, k("h"))
    step(client.echo, "echo")
    step(client.ping)
    return results


def record_scripts(client, prefix):
    k = lambda name: f"{prefix}:{name}"
    results = []
    script = "redis.call('SET', KEYS[1], ARGV[1]); return redis.call('GET', KEYS[1])"
    results.append(client.eval(script, 1, k("lua"), "from-lua"))
    sha = client.script_load("return {KEYS[1], ARGV[1], 42}")
    results.append(sha)
    results.append(client.evalsha(sha, 1, k("x"), "arg"))
    results.append(client.script_exists(sha, "0" * 40))
    results.append(client.eval("return redis.call('INCRBY', KEYS[1], 5)", 1, k("cnt")))
    try:
        client.evalsha("0" * 40, 0)
        results.append("no error")
    except redis.exceptions.NoScriptError as error:
        results.append(("noscript", str(error)))
    return results


def normalise(value, prefix):
    """Key names differ only in their prefix; replace it so the two runs compare equal."""
    if isinstance(value, bytes):
        return value.replace(prefix.encode(), b"P")
    if isinstance(value, str):
        return value.replace(prefix, "P")
    if isinstance(value, (list, tuple)):
        return type(value)(normalise(item, prefix) for item in value)
    if isinstance(value, set):
        return {normalise(item, prefix) for item in value}
    if isinstance(value, dict):
        return {normalise(key, prefix): normalise(item, prefix) for key, item in value.items()}
    return value


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("decode", [False, True])
def test_proxy_matches_redis(redis_port, proxy_port, protocol, decode):
    direct = redis.Redis(port=redis_port, protocol=protocol, decode_responses=decode)
    proxied = redis.Redis(port=proxy_port, protocol=protocol, decode_responses=decode)
    expected = normalise(record(direct, f"direct{protocol}{decode}"), f"direct{protocol}{decode}")
    actual = normalise(record(proxied, f"proxy{protocol}{decode}"), f"proxy{protocol}{decode}")
    assert len(expected) == len(actual)
    for index, (want, got) in enumerate(zip(expected, actual)):
        assert got == want, f"step {index}: proxy {got!r} != redis {want!r}"


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_scripts_match_redis(redis_port, proxy_port, protocol):
    direct = redis.Redis(port=redis_port, protocol=protocol)
    proxied = redis.Redis(port=proxy_port, protocol=protocol)
    expected = normalise(record_scripts(direct, f"sd{protocol}"), f"sd{protocol}")
    actual = normalise(record_scripts(proxied, f"sp{protocol}"), f"sp{protocol}")
    assert actual == expected


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_embedded_matches_redis(redis_port, embedded_port, protocol):
    direct = redis.Redis(port=redis_port, protocol=protocol)
    embedded = redis.Redis(port=embedded_port, protocol=protocol)
    expected = normalise(record(direct, f"de{protocol}"), f"de{protocol}")
    actual = normalise(record(embedded, f"em{protocol}"), f"em{protocol}")
    for index, (want, got) in enumerate(zip(expected, actual)):
        assert got == want, f"step {index}: embedded {got!r} != redis {want!r}"
    assert len(expected) == len(actual)


def test_default_client_negotiates_resp3(proxy_port):
    client = redis.Redis(port=proxy_port)  # redis-py 8 default: HELLO 3 + CLIENT SETINFO on connect
    assert client.ping()
    info = client.client_info()
    assert info["resp"] == "3" and info["lib-name"] == "redis-py"
    assert client.client_setname("py-test") and client.client_getname() == "py-test"  # redis-py decodes GETNAME
    assert isinstance(client.hgetall("nothing-here"), dict)


def test_unknown_command_keeps_connection(proxy_port):
    client = redis.Redis(port=proxy_port, protocol=3, single_connection_client=True)
    with pytest.raises(redis.exceptions.ResponseError, match="unknown command"):
        client.execute_command("NOSUCHCOMMAND", "a")
    with pytest.raises(redis.exceptions.ResponseError, match="(?i)transaction"):
        client.execute_command("MULTI")
    assert client.set("after-error", "ok") and client.get("after-error") == b"ok"


def test_pipeline_replies_in_order(proxy_port):
    client = redis.Redis(port=proxy_port, protocol=3)
    pipe = client.pipeline(transaction=False)
    for i in range(500):
        pipe.set(f"pipe:{i}", i)
        pipe.get(f"pipe:{i}")
    results = pipe.execute()
    assert results == [item for i in range(500) for item in (True, str(i).encode())]
