#!/usr/bin/env python3
"""Longest time without an acknowledged write while every member of a 3-member lab cluster
restarts once, a writer running throughout (tests/integration/writer.py). Prints figures;
asserts nothing but that no acknowledged write is lost.

    source scripts/env.sh && python benchmarks/rolling.py [rounds]     (default 3 rounds)

Ways of restarting compared, each `rounds` times on the same lab:
  leader last, transfer  quorum.etcd.rolling_restart: followers first, each between two health
                         gates; the leader last, after its leadership has moved (move-leader).
  leader first, killed   the leader first and without any transfer (SIGKILL, then start):
                         the followers elect a new leader after an election timeout.
  leader first, stopped  the leader first with a plain `systemctl restart`: etcd's own graceful
                         stop hands the leadership over before it exits (for reference).
The "leader first" ways restart the followers afterwards with `systemctl restart`, each once
every member answers /health again.
"""
import os
import statistics
import subprocess
import sys
import time

import requests

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))
from writer import Writer  # noqa: E402

LAB = {"LAB_NAME": "benchroll", "LAB_PREFIX": "10.213.22", "LAB_HOST_PREFIX": "benchroll"}
INVENTORY = os.path.join(REPO, ".cache", LAB["LAB_NAME"], "inventory.yml")
HOSTS = ["%s%d" % (LAB["LAB_HOST_PREFIX"], i) for i in (1, 2, 3)]
# The deploy's own CA (quorum.etcd.pki), next to the lab's inventory.
PKI = os.path.join(REPO, ".cache", LAB["LAB_NAME"], "pki", "etcd")
TLS = {"verify": os.path.join(PKI, "ca.crt"), "cert": (os.path.join(PKI, "admin.crt"), os.path.join(PKI, "admin.key"))}
URLS = {host: "https://%s.%d:2379" % (LAB["LAB_PREFIX"], 10 + i) for i, host in enumerate(HOSTS, 1)}
SESSION = requests.Session()
SESSION.trust_env = False  # lab traffic only, with the cluster's CA
SESSION.verify, SESSION.cert = TLS["verify"], TLS["cert"]


def run(args, **kwargs):
    done = subprocess.run(args, cwd=REPO, env=dict(os.environ, **LAB), capture_output=True, text=True, **kwargs)
    if done.returncode != 0:
        sys.exit("%s failed:\n%s%s" % (" ".join(args), done.stdout[-3000:], done.stderr[-2000:]))
    return done.stdout


def the_lab_is_local():
    """Send nothing to the lab's addresses unless its bridge is on this machine."""
    return ("inet %s.1/" % LAB["LAB_PREFIX"]) in run(["ip", "-4", "-o", "addr"])


def leader():
    names, leaders = {}, set()
    for host, url in URLS.items():
        status = SESSION.post(url + "/v3/maintenance/status", json={}, timeout=3).json()
        names[status["header"]["member_id"]] = host
        leaders.add(status["leader"])
    assert len(leaders) == 1, leaders
    return names[leaders.pop()]


def wait_healthy(timeout=120):
    deadline = time.monotonic() + timeout
    while True:
        healthy = 0
        for url in URLS.values():
            try:
                healthy += SESSION.get(url + "/health", timeout=1).json().get("health") == "true"
            except (requests.RequestException, ValueError):
                pass
        if healthy == len(URLS):
            return
        if time.monotonic() > deadline:
            sys.exit("the cluster did not become healthy within %d s" % timeout)
        time.sleep(0.2)


def systemctl(host, *args):
    run(["podman", "exec", host, "systemctl", *args])


def leader_last_with_transfer():
    run(["ansible-playbook", "-i", INVENTORY, "playbooks/rolling_restart.yml"])


def leader_first(kill):
    first = leader()
    for host in [first] + [h for h in HOSTS if h != first]:
        if kill and host == first:
            systemctl(host, "kill", "--signal", "SIGKILL", "etcd")
        systemctl(host, "restart", "etcd")
        wait_healthy()


WAYS = [
    ("leader last, transfer", leader_last_with_transfer),
    ("leader first, killed", lambda: leader_first(kill=True)),
    ("leader first, stopped", lambda: leader_first(kill=False)),
]


def measure(name, restart, rounds):
    gaps, seconds = [], []
    for number in range(rounds):
        wait_healthy()
        with Writer(list(URLS.values()), prefix="/bench/rolling/%s/%d/" % (name.replace(" ", "-").replace(",", ""),
                                                                          number), tls=TLS) as writer:
            time.sleep(1)
            started = time.monotonic()
            restart()
            seconds.append(time.monotonic() - started)
            time.sleep(1)
        report = writer.verify(list(URLS.values()))
        gaps.append(report["longest_gap_seconds"])
        print("%-22s round %d: longest write gap %.3f s, %d writes, %d failed attempts, restarts took %.1f s"
              % (name, number + 1, gaps[-1], report["acknowledged"], report["errors"], seconds[-1]), flush=True)
    return gaps, seconds


def main(rounds):
    results = []
    try:
        run(["bash", "scripts/lab.sh", "up", "3"])
        if not the_lab_is_local():
            sys.exit("the lab network %s.0/24 is not on this machine" % LAB["LAB_PREFIX"])
        run(["ansible-playbook", "-i", INVENTORY, "playbooks/deploy.yml"])
        for name, restart in WAYS:
            results.append((name,) + measure(name, restart, rounds))
    finally:
        run(["bash", "scripts/lab.sh", "down"])
    print("\nlongest time without an acknowledged write while each of 3 members restarts once (%d rounds)" % rounds)
    print("%-22s  %9s  %9s  %12s" % ("way", "worst", "median", "restarts"))
    for name, gaps, seconds in results:
        print("%-22s  %7.3f s  %7.3f s  %10.1f s" % (name, max(gaps), statistics.median(gaps),
                                                    statistics.median(seconds)))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
