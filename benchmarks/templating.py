#!/usr/bin/env python3
"""Where a deploy's controller time goes in templating: a cold deploy and a no-op re-run on 3 fresh
lab hosts, with each Jinja compilation Ansible makes recorded (which task, how long, which template).
Prints the CPU time of each run, the share spent compiling templates, and the tasks and templates
that cost most; asserts nothing.

    make bench-templating
    source scripts/env.sh && python benchmarks/templating.py [--version X.Y.Z] [--top N] [--task NAME]

ansible-core 2.19 compiles a template each time it renders one, in the worker process forked for
each task and host, so a variable defined by a template costs a compilation in every task that
reads it, directly or through another variable. This benchmark measures that cost; it patches
ansible-core only in the benchmark's own ansible-playbook processes (sitecustomize), to count.
"""
import argparse
import collections
import os
import resource
import shutil
import tempfile
import time

from deploy import INVENTORY, LAB, REPO, fresh_lab, run

# Loaded by every Python the benchmark's ansible-playbook starts (PYTHONPATH): it wraps the two
# compile methods and appends one line per compilation to a file named after the process.
HOOK = r'''
import os, sys, time

def _task_name():
    frame = sys._getframe(2)
    while frame:
        owner = frame.f_locals.get("self")
        if owner is not None and type(owner).__name__ == "TaskExecutor":
            return owner._task.get_name()
        frame = frame.f_back
    return "(outside a task)"

try:
    from ansible._internal._templating import _engine
except ImportError:
    _engine = None
if _engine is not None:
    for _name in ("_compile_template", "_compile_expression"):
        def _wrap(original):
            def compile_and_record(self, template, options):
                started = time.perf_counter()
                try:
                    return original(self, template, options)
                finally:
                    took = time.perf_counter() - started
                    line = " ".join(str(template).split())[:100]
                    with open(os.path.join(os.environ["QUORUM_BENCH_COMPILES"], str(os.getpid())), "a") as out:
                        out.write("%.6f\t%s\t%s\n" % (took, _task_name().replace("\t", " "), line))
            return compile_and_record
        setattr(_engine.TemplateEngine, _name, _wrap(getattr(_engine.TemplateEngine, _name)))
'''


def deploy(version, hook_dir, compiles_dir):
    """One deploy: wall and CPU seconds of its process tree, and its compilations."""
    os.makedirs(compiles_dir)
    env = dict(os.environ, **LAB)
    env.update(PYTHONPATH=hook_dir + os.pathsep + env.get("PYTHONPATH", ""), QUORUM_BENCH_COMPILES=compiles_dir)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    run(["ansible-playbook", "-i", INVENTORY, "quorum.etcd.deploy", "-e", "etcd_version=%s" % version], env=env)
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    rows = []
    for name in os.listdir(compiles_dir):
        with open(os.path.join(compiles_dir, name)) as f:
            for line in f:
                took, task, template = line.rstrip("\n").split("\t", 2)
                rows.append((float(took), task, template))
    return wall, cpu, rows


def print_run(label, wall, cpu, rows, top, task=None):
    spent = sum(r[0] for r in rows)
    print("\n%s: %.1f s wall, %.1f s CPU on the controller; %d compilations took %.1f s (%.0f %% of the CPU)"
          % (label, wall, cpu, len(rows), spent, 100 * spent / cpu if cpu else 0))
    for title, key in (("tasks", 1), ("templates", 2)):
        seconds, count = collections.Counter(), collections.Counter()
        for row in rows:
            seconds[row[key]] += row[0]
            count[row[key]] += 1
        print("  the %d %s whose compilations cost most:" % (top, title))
        for what, took in seconds.most_common(top):
            print("    %5.2f s %5d x  %s" % (took, count[what], what[:110]))
    if task:
        count = collections.Counter(row[2] for row in rows if task in row[1])
        print("  the templates compiled by tasks named like %r:" % task)
        for what, times in count.most_common():
            print("    %5d x  %s" % (times, what[:110]))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--version", default="3.5.1", help="etcd release to deploy (default 3.5.1)")
    parser.add_argument("--top", type=int, default=10, help="how many tasks and templates to list")
    parser.add_argument("--task", help="also list every template compiled by the tasks whose name contains this")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="bench-templating-")
    with open(os.path.join(work, "sitecustomize.py"), "w") as f:
        f.write(HOOK)
    results = []
    try:
        fresh_lab(3)
        for label in ("cold deploy", "no-op re-run"):
            results.append((label,) + deploy(args.version, work, os.path.join(work, label.replace(" ", "-"))))
    finally:
        run(["bash", "scripts/lab.sh", "down"])
        shutil.rmtree(work, ignore_errors=True)
    for label, wall, cpu, rows in results:
        print_run(label + ", 3 hosts", wall, cpu, rows, args.top, args.task)


if __name__ == "__main__":
    main()
