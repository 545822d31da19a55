"""etcd members on loopback from the release mirror (.cache/mirror), for the benchmarks that
need a real etcd but no lab: each with its own ports and data dir under workdir."""
import glob
import json
import os
import socket
import subprocess
import sys
import tarfile
import time
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _binary(version, workdir):
    tarballs = glob.glob(os.path.join(REPO, ".cache", "mirror", "v" + version, "etcd-v*-linux-amd64.tar.gz"))
    if not tarballs:
        sys.exit("no etcd %s in .cache/mirror: run make mirror" % version)
    with tarfile.open(tarballs[0]) as tar:
        tar.extractall(workdir)
    return glob.glob(os.path.join(workdir, "etcd-v*", "etcd"))[0]


def _healthy(url):
    try:
        with urllib.request.urlopen(url + "/health", timeout=1) as answer:
            return json.loads(answer.read().decode()).get("health") == "true"
    except OSError:
        return False


def start_cluster(version, workdir, size=1, extra=()):
    """Start ``size`` members as one new cluster; returns (processes, client URLs) once all are healthy."""
    binary = _binary(version, workdir)
    names = ["bench%d" % (i + 1) for i in range(size)]
    clients = ["http://127.0.0.1:%d" % free_port() for _ in names]
    peers = ["http://127.0.0.1:%d" % free_port() for _ in names]
    initial = ",".join("%s=%s" % pair for pair in zip(names, peers))
    processes = [subprocess.Popen(
        [binary, "--name", name, "--data-dir", os.path.join(workdir, name), "--listen-client-urls", client,
         "--advertise-client-urls", client, "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
         "--initial-cluster", initial, "--log-level", "error"] + list(extra),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for name, client, peer in zip(names, clients, peers)]
    deadline = time.time() + 30
    while not all(_healthy(url) for url in clients):
        if time.time() > deadline:
            stop(processes)
            sys.exit("etcd %s did not start" % version)
        time.sleep(0.1)
    return processes, clients


def stop(processes):
    for process in processes:
        process.terminate()
    for process in processes:
        process.wait(10)
