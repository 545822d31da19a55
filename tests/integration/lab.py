"""Helpers for the molecule verifiers: reach lab hosts through podman, ask
etcd through its own etcdctl, and re-run a scenario's playbook."""

import json
import os
import re
import subprocess

import testinfra
import testinfra.utils.ansible_runner

INVENTORY = os.environ.get("MOLECULE_INVENTORY_FILE")
SCENARIO_DIR = os.environ.get("MOLECULE_SCENARIO_DIRECTORY")


def hosts(group):
    """testinfra hosts of an inventory group, reached with podman exec directly (faster than ansible)."""
    names = testinfra.utils.ansible_runner.AnsibleRunner(INVENTORY).get_hosts(group)
    return [testinfra.get_host("podman://" + name) for name in sorted(names)]


def group_var(group, name, default=None):
    """A variable of an inventory group, as the scenario's molecule.yml sets it."""
    runner = testinfra.utils.ansible_runner.AnsibleRunner(INVENTORY)
    first = sorted(runner.get_hosts(group))[0]
    return runner.get_variables(first).get(name, default)


def address(host):
    return re.search(r"inet (\d+\.\d+\.\d+\.\d+)/", host.check_output("ip -4 -o addr show eth0")).group(1)


def etcdctl_json(host, *args):
    """etcdctl on the host against its local endpoint, JSON output decoded."""
    out = host.check_output("ETCDCTL_API=3 etcdctl -w json " + " ".join(["%s"] * len(args)), *args)
    return json.loads(out)


def playbook_recap(playbook, *extra):
    """Run a scenario playbook again (e.g. in check mode) and return {host: {ok, changed, failed...}}."""
    env = dict(os.environ, ANSIBLE_STDOUT_CALLBACK="default", ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1")
    result = subprocess.run(
        ["ansible-playbook", "-i", INVENTORY, os.path.join(SCENARIO_DIR, playbook)] + list(extra),
        env=env, capture_output=True, text=True)
    recap = {}
    for line in re.sub(r"\x1b\[[0-9;]*m", "", result.stdout).splitlines():
        found = re.match(r"^(\S+)\s+:\s+(.*)$", line)
        if found and "ok=" in found.group(2):
            recap[found.group(1)] = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", found.group(2))}
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert recap, "no PLAY RECAP in:\n" + result.stdout[-3000:]
    return recap
