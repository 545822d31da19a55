"""Helpers for the molecule verifiers: reach lab hosts through podman, ask
etcd through its own etcdctl, and re-run a scenario's playbook."""

import datetime
import json
import os
import re
import shutil
import socket
import subprocess
import time

import testinfra
import testinfra.utils.ansible_runner
import yaml
from testinfra.backend.podman import PodmanBackend
from testinfra.host import Host

INVENTORY = os.environ.get("MOLECULE_INVENTORY_FILE")
SCENARIO_DIR = os.environ.get("MOLECULE_SCENARIO_DIRECTORY")


def wait_until(what, check, timeout=30, step=0.2):
    """Poll check() until it returns something true; returns (that value, the seconds it took).
    The timeout is a failure condition, not a speed target."""
    started = time.monotonic()
    while True:
        found = check()
        if found:
            return found, time.monotonic() - started
        assert time.monotonic() - started < timeout, "gave up after %d s waiting until %s" % (timeout, what)
        time.sleep(step)


def _runner():
    """testinfra's reader of molecule's inventory, one per run: each new one runs ansible-inventory,
    and client_url() and client_tls() ask for variables many times per test."""
    return testinfra.utils.ansible_runner.AnsibleRunner.get_runner(INVENTORY)


# Each lab host's command agent (tests/lab/agent.py, started by tests/lab/create.yml), as the
# lab_podman connection reaches it.
AGENT_DIR = os.environ.get("ANSIBLE_LAB_AGENT_DIR") or os.path.join(
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), ".cache", "run", "agents")


def agent_run(container, argv):
    """(rc, stdout, stderr) of argv run by the container's agent, or None when no agent answers
    (a host restarted, removed, or made without one); as the lab_podman connection's client."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(os.path.join(AGENT_DIR, container, "sock"))
    except (OSError, ValueError):
        sock.close()
        return None
    with sock, sock.makefile("rwb") as stream:
        stream.write(json.dumps({"argv": argv, "stdin": None}).encode() + b"\n")
        stream.flush()
        line = stream.readline()
        if not line:
            # The command may have run: running it again through podman exec could do it twice.
            raise ConnectionError("the lab agent of %s closed the connection without an answer" % container)
        answer = json.loads(line)
        return answer["rc"], stream.read(answer["stdout"]), stream.read(answer["stderr"])


class LabBackend(PodmanBackend):
    """testinfra's podman backend, through the host's agent when it answers: podman exec costs
    about 0.2 s of CPU (podman, conmon, runc) a command, and the tests run thousands."""

    NAME = "lab"

    def run(self, command, *args, **kwargs):
        cmd = self.get_command(command, *args)
        done = agent_run(self.name, ["/bin/sh", "-c", cmd]) if self.user is None else None
        if done is None:
            return super().run(command, *args, **kwargs)
        return self.result(done[0], self.encode(cmd), done[1], done[2])


_lab_hosts = {}


def lab_host(name):
    """The testinfra host of a lab container, one per name."""
    if name not in _lab_hosts:
        backend = LabBackend(name)
        _lab_hosts[name] = Host(backend)
        backend.set_host(_lab_hosts[name])
    return _lab_hosts[name]


def hosts(group):
    """testinfra hosts of an inventory group, reached through their agents (faster than ansible)."""
    names = _runner().get_hosts(group)
    return [lab_host(name) for name in sorted(names)]


def group_var(group, name, default=None):
    """A variable of an inventory group, as the scenario's molecule.yml sets it."""
    runner = _runner()
    first = sorted(runner.get_hosts(group))[0]
    return runner.get_variables(first).get(name, default)


def address(host):
    return re.search(r"inet (\d+\.\d+\.\d+\.\d+)/", host.check_output("ip -4 -o addr show eth0")).group(1)


# etcdctl as root on a member, with the TLS files the server role lists in /etc/etcd/etcdctl.env
# (none on a plain-HTTP cluster). Without --endpoints it talks to the member's loopback listener.
ETCDCTL = "set -a; [ -r /etc/etcd/etcdctl.env ] && . /etc/etcd/etcdctl.env; set +a; ETCDCTL_API=3 etcdctl"


def etcdctl_json(host, *args):
    """etcdctl on the host (by default against its local endpoint), JSON output decoded."""
    out = host.check_output(ETCDCTL + " -w json " + " ".join(["%s"] * len(args)), *args)
    return json.loads(out)


def pki_dir(group="etcd"):
    """The controller directory where quorum.etcd.pki keeps a cluster's CA and certificates."""
    return group_var(group, "etcd_pki_dir")


def client_tls(group="etcd"):
    """requests options ({verify, cert}) for the admin client of the group's cluster,
    or None while the cluster has no certificates (plain HTTP)."""
    directory = pki_dir(group)
    if not directory or not os.path.exists(os.path.join(directory, "ca.crt")):
        return None
    return {"verify": os.path.join(directory, "ca.crt"),
            "cert": (os.path.join(directory, "admin.crt"), os.path.join(directory, "admin.key"))}


def session(group="etcd"):
    """A requests session for the cluster's admin client: its certificate when the cluster has
    one, no proxy and no CA bundle from the environment (lab traffic only)."""
    import requests

    made = requests.Session()
    made.trust_env = False
    tls = client_tls(group)
    if tls:
        made.verify, made.cert = tls["verify"], tls["cert"]
    return made


def module_tls(group="etcd"):
    """The connection options of a quorum.etcd module run on a member: the admin client's files
    the server role installed there, or none on a plain-HTTP cluster."""
    if not client_tls(group):
        return {}
    return {"ca_cert": "/etc/etcd/pki/ca.crt", "client_cert": "/etc/etcd/pki/admin.crt",
            "client_key": "/etc/etcd/pki/admin.key"}


def admin_auth(group="etcd"):
    """(user, password) the playbooks authenticate with on a cluster with authentication on, or None."""
    user = group_var(group, "etcd_admin_user")
    return (user, group_var(group, "etcd_admin_password")) if user else None


def log_in(session, url, user, password, timeout=5):
    """The token the member at url gives user (etcd's simple tokens hold on that member only)."""
    answer = session.post(url + "/v3/auth/authenticate", json={"name": user, "password": password}, timeout=timeout)
    answer.raise_for_status()
    return answer.json()["token"]


def assert_anonymous_writes_refused(urls):
    """Authentication is on: each member refuses a write that carries no token."""
    made = session()
    for url in urls:
        answer = made.post(url + "/v3/kv/put", timeout=5, json={"key": "L2Fub255bW91cw==", "value": ""})
        assert "user name is empty" in answer.text, (url, answer.status_code, answer.text)


def client_url(ip, group="etcd", port=2379):
    """A member's client URL seen from the controller: https when the cluster has certificates."""
    return "%s://%s:%d" % ("https" if client_tls(group) else "http", ip, port)


def peer_url(ip, group="etcd", port=2380):
    return "%s://%s:%d" % ("https" if client_tls(group) else "http", ip, port)


# A member's own peer certificate on another member's peer port, from the member's address: etcd
# also checks that a peer's certificate names the address it connects from.
_PEER_GET = ("python3 -c 'import ssl, sys, urllib.request as u; d = \"/etc/etcd/pki/\"; "
             "c = ssl.create_default_context(cafile=d + \"peer-ca.crt\"); "
             "c.load_cert_chain(d + \"peer.crt\", d + \"peer.key\"); "
             "print(u.urlopen(sys.argv[1], context=c, timeout=5).status)' %s")


def peer_ca_file(group="etcd"):
    """The controller's CA file of the peers' certificates: the peers' own CA, or a copy of ca.crt."""
    return os.path.join(pki_dir(group), "peer-ca.crt")


def peer_port_status(ip, cert, group="etcd", port=2380):
    """What /members on a member's peer port answers the controller's client certificate (cert, key):
    the HTTP status, or 'refused' when the member refuses the TLS handshake (the member's own
    certificate is verified with the peers' CA, so a refusal is the member's)."""
    import requests

    try:
        return session(group).get(peer_url(ip, group, port) + "/members", cert=cert, verify=peer_ca_file(group),
                                  timeout=5).status_code
    except requests.exceptions.SSLError:
        return "refused"


def peer_get_status(member, url):
    """The HTTP status another member's peer port answers this member with its own peer certificate."""
    return int(member.check_output(_PEER_GET, url))


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


def inventory_copy(directory, groups, host_vars=None, group_vars=None):
    """A copy of molecule's inventory in ``directory`` with other group members.

    ``groups`` maps a group name to its hosts, e.g. {"etcd": [...], "spare": [...]};
    every host keeps its connection settings, and molecule's group_vars come along.
    ``host_vars`` ({host: {var: value}}) and ``group_vars`` ({group: {var: value}})
    are merged into the host_vars/ and group_vars/ files Ansible reads, over
    molecule's own. Returns the inventory file's path."""
    with open(INVENTORY) as f:
        molecule = yaml.safe_load(f)
    inventory = {"all": {"hosts": {name: dict(values or {}) for name, values in molecule["all"]["hosts"].items()},
                         "vars": dict(molecule["all"].get("vars") or {})}}
    for group, members in groups.items():
        inventory[group] = {"hosts": {name: None for name in members}}
    directory = str(directory)
    shutil.copytree(os.path.join(os.path.dirname(INVENTORY), "group_vars"), os.path.join(directory, "group_vars"),
                    dirs_exist_ok=True)
    for kind, values in (("group_vars", group_vars or {}), ("host_vars", host_vars or {})):
        os.makedirs(os.path.join(directory, kind), exist_ok=True)
        for name, variables in values.items():
            # Ansible reads only the first of group_vars/etcd, etcd.yml, etcd.yaml, etcd.json: molecule
            # writes the first, so the variables go into the file that is read.
            path = _vars_file(os.path.join(directory, kind), name)
            merged = {}
            if os.path.isfile(path):
                with open(path) as f:
                    merged = yaml.safe_load(f) or {}
            merged.update(variables)
            with open(path, "w") as f:
                yaml.safe_dump(merged, f)
    path = os.path.join(directory, "hosts.yml")
    with open(path, "w") as f:
        yaml.safe_dump(inventory, f)
    return path


def _vars_file(directory, name):
    """The file Ansible reads for ``name`` in a group_vars or host_vars directory (name.yml if none)."""
    for candidate in (name, name + ".yml", name + ".yaml", name + ".json"):
        if os.path.isfile(os.path.join(directory, candidate)):
            return os.path.join(directory, candidate)
    return os.path.join(directory, name + ".yml")


def _seconds(timestamp):
    # The JSON callback's task start and end: 2026-01-01T10:00:00.123456Z
    return datetime.datetime.strptime(timestamp, "%Y-%m-%dT%H:%M:%S.%fZ").timestamp()


def _json_env():
    # Only the JSON document on stdout: no profile_tasks lines (callbacks_enabled may not be empty).
    return dict(os.environ, ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
                ANSIBLE_CALLBACKS_ENABLED="ansible.posix.json", ANSIBLE_LOAD_CALLBACK_PLUGINS="1")


class PlaybookRun:
    """One ansible-playbook run, read from the ansible.posix.json callback.

    rc, recap ({host: {ok, changed, failures, unreachable, skipped, rescued, ...}}),
    failed ([(host, task, msg)] in the order they happened, rescued ones included),
    changed ([(task, host)]), reports (the msg of every task that did not fail, as debug prints it),
    seconds (wall time)."""

    def __init__(self, inventory, playbook, *args):
        self.args = [playbook, *args]
        started = time.monotonic()
        done = subprocess.run(["ansible-playbook", "-i", inventory, playbook, *args],
                              env=_json_env(), capture_output=True, text=True)
        self.seconds = time.monotonic() - started
        self.rc = done.returncode
        self.stderr = done.stderr
        try:
            report = json.loads(done.stdout)
        except ValueError:
            raise AssertionError("no JSON report from ansible-playbook:\n" + done.stdout[-3000:] + done.stderr[-3000:])
        self.recap = report["stats"]
        self.failed = []
        self.changed = []
        self.reports = []
        self.durations = []  # (task, seconds)
        for play in report["plays"]:
            for task in play["tasks"]:
                took = task["task"].get("duration") or {}
                if took.get("start") and took.get("end"):
                    self.durations.append((task["task"]["name"], _seconds(took["end"]) - _seconds(took["start"])))
                for host, result in task["hosts"].items():
                    if result.get("failed"):
                        self.failed.append((host, task["task"]["name"], result.get("msg")))
                    elif isinstance(result.get("msg"), str):
                        self.reports.append(result["msg"])
                    elif isinstance(result.get("msg"), list):  # a debug of lines
                        self.reports.append("\n".join(str(line) for line in result["msg"]))
                    if result.get("changed"):
                        self.changed.append((task["task"]["name"], host))

    def slowest(self, count=3):
        return sorted(self.durations, key=lambda d: -d[1])[:count]

    @property
    def messages(self):
        return [msg for _, _, msg in self.failed]

    def __repr__(self):
        return "ansible-playbook %s: rc=%s in %.0f s, recap=%s, failed=%s, changed=%s %s" % (
            " ".join(self.args), self.rc, self.seconds, self.recap, self.failed, self.changed, self.stderr[-1500:])


def adhoc_module(inventory, host, module, args):
    """Run one module on one host with ad-hoc ansible; returns (rc, the module's result)."""
    done = subprocess.run(["ansible", "-i", inventory, host, "-m", module, "-a", json.dumps(args)],
                          env=_json_env(), capture_output=True, text=True)
    try:
        report = json.loads(done.stdout)
    except ValueError:
        raise AssertionError("no JSON report from ansible:\n" + done.stdout[-3000:] + done.stderr[-3000:])
    return done.returncode, report["plays"][0]["tasks"][0]["hosts"][host]


def member_clock(host):
    """The host's clock, as journalctl --since reads it (every lab host shares the machine's clock)."""
    return host.check_output("date '+%Y-%m-%d %H:%M:%S'")


# What etcd warns of when a handshake fails on a certificate: "rejected connection on peer endpoint" with
# "CommonName authentication failed" or "tls: bad certificate" on the listener, Go's x509: errors ("certificate
# signed by unknown authority") on the dialer. A connection closed by a restarting member is also "rejected", with
# "use of closed network connection" or "EOF": that is no certificate failure.
_WARNING = r'"level":"(warn|error|fatal)"'
_CERTIFICATE_FAILURE = r"certificate|x509: |CommonName authentication failed|unknown authority"


def handshake_failures(members, since):
    """{member: its first lines} of what each member's etcd logged since then about a failed TLS handshake."""
    found = {}
    for member in members:
        lines = member.run("journalctl -u etcd --since %s --no-pager -o cat | grep -E %s | grep -E %s", since,
                           _WARNING, _CERTIFICATE_FAILURE).stdout.splitlines()
        if lines:
            found[member.backend.name] = lines[:3]
    return found
