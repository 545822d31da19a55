#!/usr/bin/env python3
"""Wall time of quorum.etcd.deploy on fresh lab hosts: a cold deploy and a
no-op re-run, for 3, 5 and 7 hosts. Prints figures; asserts nothing.

    make bench-deploy            (or: python benchmarks/deploy.py 3 5 7)
"""
import os
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LAB = {"LAB_NAME": "bench", "LAB_PREFIX": "10.213.21", "LAB_HOST_PREFIX": "bench"}
INVENTORY = os.path.join(REPO, ".cache", "bench", "inventory.yml")


def run(args):
    done = subprocess.run(args, cwd=REPO, env=dict(os.environ, **LAB), capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit("%s failed:\n%s%s" % (" ".join(args), done.stdout[-3000:], done.stderr[-2000:]))


def timed_deploy():
    start = time.monotonic()
    run(["ansible-playbook", "-i", INVENTORY, "playbooks/deploy.yml"])
    return time.monotonic() - start


def main(sizes):
    rows = []
    try:
        for size in sizes:
            run(["bash", "scripts/lab.sh", "up", str(size)])
            cold = timed_deploy()
            noop = timed_deploy()
            rows.append((size, cold, noop))
            print("%d hosts: cold deploy %.1f s, no-op re-run %.1f s" % (size, cold, noop), flush=True)
    finally:
        run(["bash", "scripts/lab.sh", "down"])
    base = rows[0]
    print("\nhosts  cold deploy  no-op re-run  cold vs %d hosts" % base[0])
    for size, cold, noop in rows:
        print("%5d  %9.1f s  %10.1f s  %14.2fx" % (size, cold, noop, cold / base[1]))


if __name__ == "__main__":
    main([int(n) for n in sys.argv[1:]] or [3, 5, 7])
