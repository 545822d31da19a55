#!/usr/bin/env python3
"""CPU and wall time per request of the modules' etcd client against a real one-member etcd on
loopback (plain HTTP), beside one ansible open_url call per request, which builds a TLS context
and loads the system's trust store each time. Prints figures; asserts nothing.

    make bench-client
    source scripts/env.sh && python benchmarks/client.py [--version X.Y.Z] [--requests N]
"""
import argparse
import json
import os
import shutil
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, ".cache", "collections"))

from ansible.module_utils.urls import open_url  # noqa: E402
from ansible_collections.quorum.etcd.plugins.module_utils.etcd_client import EtcdClient  # noqa: E402
from local_etcd import start_cluster, stop  # noqa: E402


def measure(label, requests, call):
    cpu, wall = time.process_time(), time.perf_counter()
    for index in range(requests):
        call(index)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    print("%-44s %7.2f ms CPU  %7.2f ms wall per request" % (label, 1000 * cpu / requests, 1000 * wall / requests))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--version", default="3.6.16")
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="bench-client-")
    processes, (url,) = start_cluster(args.version, workdir)
    try:
        print("etcd %s, %d requests each" % (args.version, args.requests))
        client = EtcdClient(dict(endpoints=[url]))
        measure("EtcdClient.put (one session per client)", args.requests,
                lambda i: client.put("/bench/%d" % i, "value"))
        measure("EtcdClient.get", args.requests, lambda i: client.get("/bench/%d" % i))
        body = json.dumps({"key": "L2JlbmNoLzA="})
        measure("open_url per request (a new TLS context each)", args.requests,
                lambda i: open_url(url + "/v3/kv/range", data=body, method="POST", use_netrc=False).read())
    finally:
        stop(processes)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
