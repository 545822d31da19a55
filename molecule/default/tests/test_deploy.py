"""A cluster deployed by quorum.etcd.deploy on three fresh lab hosts."""

import base64
import os

import pytest
import yaml

from lab import ETCDCTL, address, client_url, etcdctl_json, group_var, hosts, peer_url, playbook_recap

MEMBERS = hosts("etcd")
ROLE_DEFAULTS = os.path.join(os.path.dirname(__file__), "..", "..", "..", "roles", "server", "defaults", "main.yml")
with open(ROLE_DEFAULTS) as defaults:
    # The scenario deploys the role's default release unless its inventory names another.
    VERSION = group_var("etcd", "etcd_version", yaml.safe_load(defaults)["etcd_version"])


@pytest.fixture(scope="module", params=MEMBERS, ids=lambda h: h.backend.name)
def member(request):
    return request.param


def test_service_active_enabled_and_running_as_etcd(member):
    assert member.service("etcd").is_running
    assert member.service("etcd").is_enabled
    users = member.check_output("ps -o user= -C etcd").split()
    assert users == ["etcd"]


def test_the_wanted_release_is_installed_and_linked(member):
    assert member.check_output("etcd --version").splitlines()[0] == "etcd Version: %s" % VERSION
    assert member.file("/usr/local/bin/etcd").linked_to == "/opt/etcd/v%s/etcd" % VERSION
    assert member.file("/usr/local/bin/etcdctl").linked_to == "/opt/etcd/v%s/etcdctl" % VERSION


def test_data_dir_is_private_to_etcd(member):
    data = member.file("/var/lib/etcd")
    assert (data.is_directory, data.user, data.group, data.mode) == (True, "etcd", "etcd", 0o700)
    assert member.file("/var/lib/etcd/member").is_directory


def test_env_file(member):
    conf = member.file("/etc/etcd/etcd.conf")
    assert (conf.user, conf.group, conf.mode) == ("root", "etcd", 0o640)
    me = address(member)
    text = conf.content_string
    assert 'ETCD_NAME="%s"' % member.backend.name in text
    assert 'ETCD_ADVERTISE_CLIENT_URLS="%s"' % client_url(me) in text
    assert 'ETCD_LISTEN_CLIENT_URLS="%s,%s"' % (client_url(me), client_url("127.0.0.1")) in text
    assert 'ETCD_INITIAL_CLUSTER_STATE="new"' in text
    cluster = [line for line in text.splitlines() if line.startswith("ETCD_INITIAL_CLUSTER=")][0]
    assert cluster == 'ETCD_INITIAL_CLUSTER="%s"' % ",".join(
        "%s=%s" % (m.backend.name, peer_url(address(m))) for m in MEMBERS)


def test_ports_listening(member):
    me = address(member)
    assert member.socket("tcp://%s:2379" % me).is_listening
    assert member.socket("tcp://127.0.0.1:2379").is_listening
    assert member.socket("tcp://%s:2380" % me).is_listening


def test_firewalld_opens_exactly_the_etcd_ports(member):
    assert sorted(member.check_output("firewall-cmd --list-ports").split()) == ["2379/tcp", "2380/tcp"]
    assert sorted(member.check_output("firewall-cmd --permanent --list-ports").split()) == ["2379/tcp", "2380/tcp"]


CONNECT = ("import socket, sys\n"
           "s = socket.socket()\n"
           "s.settimeout(3)\n"
           "try:\n    s.connect((sys.argv[1], int(sys.argv[2])))\n    print('connected')\n"
           "except OSError as error:\n    print(error.__class__.__name__, error.errno)\n")
LISTEN = "import socket, time\ns = socket.socket()\ns.bind(('0.0.0.0', 2390))\ns.listen()\ntime.sleep(60)\n"


def test_a_port_not_opened_is_refused_from_a_peer():
    target, peer = MEMBERS[0], MEMBERS[1]
    target.check_output("systemd-run --unit probe-listener python3 -c %s", LISTEN)
    try:
        target_ip = address(target)
        # The listener is there (seen from the host itself) ...
        assert target.check_output("python3 -c %s %s %s", CONNECT, "127.0.0.1", "2390") == "connected"
        # ... an opened port is reachable from the peer ...
        assert peer.check_output("python3 -c %s %s %s", CONNECT, target_ip, "2379") == "connected"
        # ... and firewalld rejects the peer on the port it did not open.
        assert peer.check_output("python3 -c %s %s %s", CONNECT, target_ip, "2390") != "connected"
    finally:
        target.run("systemctl stop probe-listener")


def test_three_started_members_and_one_leader():
    members = etcdctl_json(MEMBERS[0], "member", "list")["members"]
    assert sorted(m["name"] for m in members) == [m.backend.name for m in MEMBERS]
    assert not any(m.get("isLearner") for m in members)
    endpoints = ",".join(client_url(address(m)) for m in MEMBERS)
    status = etcdctl_json(MEMBERS[0], "--endpoints", endpoints, "endpoint", "status")
    leaders = {s["Status"]["leader"] for s in status}
    assert len(status) == 3 and len(leaders) == 1
    assert sum(1 for s in status if s["Status"]["header"]["member_id"] == s["Status"]["leader"]) == 1


def test_a_key_put_on_one_member_is_read_on_the_others():
    writer, *readers = MEMBERS
    writer.check_output(ETCDCTL + " put /molecule/default/proof %s", writer.backend.name)
    for reader in readers:
        kvs = etcdctl_json(reader, "get", "/molecule/default/proof")["kvs"]
        assert len(kvs) == 1
        assert base64.b64decode(kvs[0]["value"]).decode() == writer.backend.name


def _started_at(member):
    return int(member.check_output("systemctl show etcd -p ActiveEnterTimestampMonotonic --value"))


def test_a_rerun_changes_nothing_and_restarts_nothing():
    before = {m.backend.name: _started_at(m) for m in MEMBERS}
    recap = playbook_recap("converge.yml")
    assert all(r["changed"] == 0 and r["failed"] == 0 for r in recap.values()), recap
    assert {m.backend.name: _started_at(m) for m in MEMBERS} == before


def test_check_mode_on_the_converged_cluster_changes_nothing():
    recap = playbook_recap("converge.yml", "--check", "--diff")
    assert set(recap) == {m.backend.name for m in MEMBERS}
    assert all(r["changed"] == 0 and r["failed"] == 0 for r in recap.values()), recap


def test_a_config_change_restarts_members_one_at_a_time_leader_last():
    """Runs last: it changes the cluster's configuration."""
    status = etcdctl_json(MEMBERS[0], "endpoint", "status")[0]["Status"]
    members = etcdctl_json(MEMBERS[0], "member", "list")["members"]
    leader = next(m["name"] for m in members if m["ID"] == status["leader"])
    before = {m.backend.name: _started_at(m) for m in MEMBERS}

    recap = playbook_recap("converge.yml", "-e", "etcd_snapshot_count=5000")

    assert all(r["failed"] == 0 for r in recap.values()), recap
    after = {m.backend.name: _started_at(m) for m in MEMBERS}
    assert all(after[name] > before[name] for name in before), (before, after)
    order = sorted(after, key=after.get)
    assert order[-1] == leader, (order, leader)
    # One at a time: each start at least a second after the one before (the health gate between).
    starts = sorted(after.values())
    assert all(later - earlier > 1_000_000 for earlier, later in zip(starts, starts[1:])), starts
    for member in MEMBERS:
        assert 'ETCD_SNAPSHOT_COUNT="5000"' in member.file("/etc/etcd/etcd.conf").content_string
    health = etcdctl_json(MEMBERS[0], "--endpoints", ",".join(client_url(address(m)) for m in MEMBERS),
                          "endpoint", "health")
    assert all(h["health"] for h in health), health
