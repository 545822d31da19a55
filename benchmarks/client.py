#!/usr/bin/env python3
"""CPU and wall time per request of the modules' etcd client against a real one-member etcd on
loopback (plain HTTP), beside one ansible open_url call per request, which builds a TLS context
and loads the system's trust store each time. Prints figures; asserts nothing.

    make bench-client
    source scripts/env.sh && python benchmarks/client.py [--version X.Y.Z] [--requests N]
"""
import argparse
import glob
import json
import os
import shutil
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, ".cache", "collections"))

from ansible.module_utils.urls import open_url  # noqa: E402
from ansible_collections.quorum.etcd.plugins.module_utils.etcd_client import EtcdClient  # noqa: E402


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_etcd(version, workdir):
    tarballs = glob.glob(os.path.join(REPO, ".cache", "mirror", "v" + version, "etcd-v*-linux-amd64.tar.gz"))
    if not tarballs:
        sys.exit("no etcd %s in .cache/mirror: run make mirror" % version)
    with tarfile.open(tarballs[0]) as tar:
        tar.extractall(workdir)
    binary = glob.glob(os.path.join(workdir, "etcd-v*", "etcd"))[0]
    client, peer = "http://127.0.0.1:%d" % free_port(), "http://127.0.0.1:%d" % free_port()
    process = subprocess.Popen(
        [binary, "--name", "bench", "--data-dir", os.path.join(workdir, "data"), "--listen-client-urls", client,
         "--advertise-client-urls", client, "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
         "--initial-cluster", "bench=" + peer, "--log-level", "error"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(client + "/health", timeout=1) as answer:
                if json.loads(answer.read().decode()).get("health") == "true":
                    return process, client
        except OSError:
            time.sleep(0.1)
    process.kill()
    sys.exit("etcd %s did not start" % version)


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
    process, url = start_etcd(args.version, workdir)
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
        process.terminate()
        process.wait(10)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
