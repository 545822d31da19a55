#!/usr/bin/env python3
"""How long defragmenting a member of a big database takes, and the longest pause it causes in a
writer's writes: a three-member etcd on loopback holds --mb MiB of 1 MiB values, half of which
were written twice (garbage once compacted), then quorum.etcd.maintenance compacts and defragments
the members (followers first, the leader last) while tests/integration/writer.py writes through
every endpoint. Prints figures; asserts nothing.

    make bench-defrag
    source scripts/env.sh && python benchmarks/defrag.py [--version X.Y.Z] [--mb 500]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, ".cache", "collections"))
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))

from ansible_collections.quorum.etcd.plugins.module_utils.defrag_plan import size_text  # noqa: E402
from ansible_collections.quorum.etcd.plugins.module_utils.etcd_client import EtcdClient  # noqa: E402
from local_etcd import start_cluster, stop  # noqa: E402
from writer import Writer  # noqa: E402

MIB = 1024 * 1024
MODULE = os.path.join(REPO, "plugins", "modules", "maintenance.py")


def run_module(args, workdir):
    """The module as Ansible runs it on a host: its file with an arguments file."""
    path = os.path.join(workdir, "args.json")
    with open(path, "w") as handle:
        json.dump({"ANSIBLE_MODULE_ARGS": args}, handle)
    env = dict(os.environ, PYTHONPATH=os.path.join(REPO, ".cache", "collections"))
    done = subprocess.run([sys.executable, MODULE, path], capture_output=True, text=True, env=env)
    return json.loads(done.stdout)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--version", default="3.6.16")
    parser.add_argument("--mb", type=int, default=500)
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="bench-defrag-")
    processes, urls = start_cluster(args.version, workdir, 3, ["--quota-backend-bytes", str(8 * 1024 * MIB)])
    try:
        client = EtcdClient(dict(endpoints=urls, timeout=30))
        value = os.urandom(MIB // 2).hex()  # 1 MiB of text that does not compress
        started = time.perf_counter()
        for index in range(args.mb):
            client.put("/bench/defrag/%05d" % index, value)
        # Every other value written again: the old ones are garbage once compacted, the database stays --mb MiB.
        for index in range(0, args.mb, 2):
            client.put("/bench/defrag/%05d" % index, value)
        print("etcd %s: %d MiB live, %d MiB written in %.1f s" % (
            args.version, args.mb, args.mb + (args.mb + 1) // 2, time.perf_counter() - started))
        with Writer(urls, prefix="/bench/writer/", max_seconds=900) as writer:
            time.sleep(1)
            result = run_module(dict(endpoints=urls, keep_revisions=0, min_free_mb=1, min_free_ratio=0.1,
                                     timeout=30), workdir)
            time.sleep(1)
        if result.get("failed"):
            sys.exit("maintenance failed: %s" % result.get("msg"))
        print("\n".join(result["report"]))
        for step in result["members"]:
            print("%-8s %-8s %9s -> %9s in %6.2f s" % (
                step["name"], "leader" if step["is_leader"] else "follower", size_text(step["db_size"]),
                size_text(step["db_size_after"]), step["seconds"]))
        report = writer.verify(urls)
        print("longest write gap during the defragmentations: %.3f s" % report["longest_gap_seconds"])
    finally:
        stop(processes)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
