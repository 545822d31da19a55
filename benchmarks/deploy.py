#!/usr/bin/env python3
"""Wall time of quorum.etcd.deploy on fresh lab hosts: a cold deploy (new hosts, no
certificates yet) and a no-op re-run, for 3, 5 and 7 hosts, TLS on (the default). Prints
figures, the tasks run and the slowest tasks; asserts nothing.

    make bench-deploy
    source scripts/env.sh && python benchmarks/deploy.py [--baseline CHECKOUT] [--version X.Y.Z] [SIZES...]

--baseline times another checkout of the collection (a `git worktree add ../base c52112b`)
on the same fresh hosts in the same run, and prints each ratio against it. Both deploy the
same etcd release (--version, default 3.5.1, which every checkout since TLS deploys).
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LAB = {"LAB_NAME": "bench", "LAB_PREFIX": "10.213.21", "LAB_HOST_PREFIX": "bench"}
LABDIR = os.path.join(REPO, ".cache", LAB["LAB_NAME"])
INVENTORY = os.path.join(LABDIR, "inventory.yml")
# profile_tasks prints, before each task, the time the previous one took.
TIMESTAMP = re.compile(r"\((\d+):(\d+):([\d.]+)\)\s+\d+:\d+:[\d.]+ \*+\s*$")
TASK = re.compile(r"^(?:TASK|PLAY) \[(.*)\]")
RECAP = re.compile(r"^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=\d+\s+failed=\d+\s+skipped=(\d+)")


def run(args, env=None, cwd=REPO):
    done = subprocess.run(args, cwd=cwd, env=env or dict(os.environ, **LAB), capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit("%s failed:\n%s%s" % (" ".join(args), done.stdout[-3000:], done.stderr[-2000:]))
    return done.stdout


class Checkout(object):
    """A checkout of the collection, run as quorum.etcd through a collections path of its own."""

    def __init__(self, label, path):
        self.label, self.path = label, os.path.abspath(path)
        self.collections = tempfile.mkdtemp(prefix="bench-collections-")
        os.makedirs(os.path.join(self.collections, "ansible_collections", "quorum"))
        os.symlink(self.path, os.path.join(self.collections, "ansible_collections", "quorum", "etcd"))
        # The other collections (containers.podman, community.crypto...) come from PyPI's ansible package.

    def deploy(self, version):
        env = dict(os.environ, **LAB)
        env.update(ANSIBLE_COLLECTIONS_PATH=self.collections, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"),
                   ANSIBLE_CALLBACKS_ENABLED="ansible.posix.profile_tasks")
        start = time.monotonic()
        out = run(["ansible-playbook", "-i", INVENTORY, os.path.join(self.path, "playbooks", "deploy.yml"),
                   "-e", "etcd_version=%s" % version], env=env)
        return Run(time.monotonic() - start, out)


class Run(object):
    """One playbook run: wall time, task executions and each task's time from profile_tasks."""

    def __init__(self, seconds, output):
        self.seconds = seconds
        self.tasks, last, header = [], None, None
        for line in output.splitlines():
            task = TASK.match(line)
            if task:
                header = task.group(1)
            match = TIMESTAMP.search(line)
            if match:
                # The time printed under a task's header is the previous task's.
                if last:
                    self.tasks.append((int(match.group(1)) * 3600 + int(match.group(2)) * 60
                                       + float(match.group(3)), last))
                last, header = header, None
        self.counts = {"ok": 0, "changed": 0, "skipped": 0}
        for line in output.splitlines():
            recap = RECAP.match(line)
            if recap:
                self.counts["ok"] += int(recap.group(2))
                self.counts["changed"] += int(recap.group(3))
                self.counts["skipped"] += int(recap.group(4))

    def slowest(self, count=10):
        return sorted(self.tasks, reverse=True)[:count]


def fresh_lab(size):
    run(["bash", "scripts/lab.sh", "up", str(size)])
    # Cold means no certificates on the controller either.
    shutil.rmtree(os.path.join(LABDIR, "pki"), ignore_errors=True)


def print_profile(label, size, cold, noop):
    print("\n%s, %d hosts" % (label, size))
    for name, result in (("cold deploy", cold), ("no-op re-run", noop)):
        print("  %s: %.1f s, %d tasks run; host results: ok %d (changed %d), skipped %d"
              % (name, result.seconds, len(result.tasks), result.counts["ok"], result.counts["changed"],
                 result.counts["skipped"]))
        for seconds, task in result.slowest():
            print("    %6.2f s  %s" % (seconds, task))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[3, 5, 7])
    parser.add_argument("--baseline", help="another checkout of the collection, timed on the same hosts")
    parser.add_argument("--version", default="3.5.1", help="etcd release both deploy (default 3.5.1)")
    args = parser.parse_args()
    checkouts = [Checkout("this checkout", REPO)]
    if args.baseline:
        checkouts.append(Checkout("baseline %s" % os.path.basename(os.path.abspath(args.baseline)), args.baseline))
    rows = {}
    try:
        for size in args.sizes:
            for checkout in checkouts:
                fresh_lab(size)
                cold = checkout.deploy(args.version)
                noop = checkout.deploy(args.version)
                rows[checkout.label, size] = (cold, noop)
                print("%s, %d hosts: cold deploy %.1f s, no-op re-run %.1f s"
                      % (checkout.label, size, cold.seconds, noop.seconds), flush=True)
    finally:
        run(["bash", "scripts/lab.sh", "down"])
    for (label, size), (cold, noop) in sorted(rows.items()):
        print_profile(label, size, cold, noop)
    ours = checkouts[0].label
    base = args.sizes[0]
    print("\n%-22s hosts  cold deploy  no-op re-run  cold vs our %d hosts" % ("checkout", base))
    for (label, size), (cold, noop) in sorted(rows.items()):
        print("%-22s %5d  %9.1f s  %10.1f s  %18.2fx"
              % (label, size, cold.seconds, noop.seconds, cold.seconds / rows[ours, base][0].seconds))
    if args.baseline:
        print("\nthis checkout against %s, same hosts, same run" % checkouts[1].label)
        for size in args.sizes:
            (cold, noop), (base_cold, base_noop) = rows[ours, size], rows[checkouts[1].label, size]
            print("  %d hosts: cold %.2fx, no-op %.2fx" % (size, cold.seconds / base_cold.seconds,
                                                         noop.seconds / base_noop.seconds))


if __name__ == "__main__":
    main()
