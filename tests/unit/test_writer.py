"""The writer used by the molecule scenarios: it must notice a lost write and
a member that disagrees, or its "every acknowledged write is present" proves nothing."""

import base64
import os
import socket
import sys
import time
import urllib.request

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from writer import Writer  # noqa: E402
from relay import Relay  # noqa: E402


def _delete(endpoint, key):
    body = ('{"key": "%s"}' % base64.b64encode(key.encode()).decode()).encode()
    request = urllib.request.Request(endpoint + "/v3/kv/deleterange", data=body, method="POST")
    urllib.request.urlopen(request, timeout=5).read()


def _endpoints(cluster):
    return [m.client_url for m in cluster]


def test_acknowledged_writes_are_verified(etcd_cluster):
    with Writer(_endpoints(etcd_cluster), "/writer/ok/") as writer:
        time.sleep(1)
    report = writer.verify(_endpoints(etcd_cluster))
    assert report["acknowledged"] > 10
    assert report["acknowledged"] == len(writer.acknowledged)


def test_a_lost_acknowledged_write_fails_verification(etcd_cluster):
    with Writer(_endpoints(etcd_cluster), "/writer/lost/") as writer:
        time.sleep(0.5)
    lost = sorted(writer.acknowledged)[3]
    _delete(etcd_cluster[0].client_url, lost)
    with pytest.raises(AssertionError, match="acknowledged writes missing"):
        writer.verify(_endpoints(etcd_cluster))


def test_writes_go_on_through_the_other_endpoints_when_one_is_dead(etcd_cluster):
    endpoints = ["http://127.0.0.1:9"] + _endpoints(etcd_cluster)
    with Writer(endpoints, "/writer/failover/") as writer:
        time.sleep(0.5)
    report = writer.verify(_endpoints(etcd_cluster))
    assert report["errors"] >= 1
    assert report["acknowledged"] == report["attempts"]


def test_an_endpoint_that_does_not_answer_waits_at_the_back_instead_of_costing_a_timeout_per_write(etcd_cluster):
    # A destroyed host's address: the connection is taken and never answered, as by a host that is gone.
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(64)
    endpoints = ["http://127.0.0.1:%d" % silent.getsockname()[1]] + _endpoints(etcd_cluster)
    writer = Writer(endpoints, "/writer/silent/", timeout=0.5)
    writer.backoff = 60  # longer than the test: the silent endpoint is tried once
    try:
        with writer:
            time.sleep(3)
    finally:
        silent.close()
    report = writer.verify(_endpoints(etcd_cluster))
    # Without the backoff every other write waits out the timeout: ~6 errors and ~20 writes in 3 s.
    assert report["errors"] == 1 and report["acknowledged"] >= 30, report


@pytest.mark.parametrize("new_connections", [False, True])
def test_new_connections_open_one_connection_per_write(etcd_cluster, new_connections):
    relay = Relay(etcd_cluster[0].client_url)
    try:
        with Writer([relay.url], "/writer/connections/%s/" % new_connections, new_connections=new_connections) as writer:
            time.sleep(1)
    finally:
        relay.close()
    acknowledged = writer.verify(_endpoints(etcd_cluster))["acknowledged"]
    assert acknowledged > 10
    if new_connections:
        assert relay.accepted >= acknowledged, (relay.accepted, acknowledged)
    else:
        assert relay.accepted == 1, relay.accepted
