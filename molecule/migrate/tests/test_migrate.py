"""A member moves to another host with quorum.etcd.migrate, keeping its ID and data.

Converge deployed migrate-1..3 (group etcd); migrate-4 is a spare host. The cases run in
file order: bad input is refused before any change, check mode changes nothing, migrate-3's
member moves to migrate-4 with a writer running, a re-run finds nothing to do, and deploy
with the inventory as it is after the move (migrate-4 in group etcd with etcd_member_name
migrate-3) changes nothing."""

import json

import lab
from lab import ETCDCTL, PlaybookRun, address, client_tls, etcdctl_json, hosts, inventory_copy
from writer import Writer

HOSTS = {h.backend.name: h for h in hosts("all")}
NAMES = sorted(HOSTS)
MEMBERS = NAMES[:3]  # deployed by converge
FROM, TO = "migrate-3", "migrate-4"
AFTER = ["migrate-1", "migrate-2", TO]  # group etcd after the move
IP = {name: address(host) for name, host in HOSTS.items()}
DATA = "/var/lib/etcd"


def client_url(name):
    return lab.client_url(IP[name])


def peer_url(name):
    return lab.peer_url(IP[name])


def migrate(tmp_path, *args, source=FROM, target=TO):
    """quorum.etcd.migrate on a copy of molecule's inventory (etcd = migrate-1..3, spare = migrate-4)."""
    inventory = inventory_copy(tmp_path, {"etcd": MEMBERS, "spare": [TO]})
    run = PlaybookRun(inventory, "quorum.etcd.migrate", "-e", "etcd_migrate_from=%s" % source,
                      "-e", "etcd_migrate_to=%s" % target, *args)
    print("quorum.etcd.migrate %s -> %s %s: rc=%d in %.1f s, changed per host %s" % (
        source, target, " ".join(args), run.rc, run.seconds,
        {host: stats.get("changed") for host, stats in sorted(run.recap.items())}))
    return run


def members(via="migrate-1"):
    """{name: {id, learner, peer_urls, client_urls}} as etcdctl sees the members from a host."""
    return {m.get("name", ""): {"id": "%x" % m["ID"], "learner": bool(m.get("isLearner")),
                                "peer_urls": m.get("peerURLs", []), "client_urls": m.get("clientURLs", [])}
            for m in etcdctl_json(HOSTS[via], "member", "list")["members"]}


def unit(name, *props):
    out = HOSTS[name].check_output("systemctl show etcd -p %s", ",".join(props))
    return dict(line.split("=", 1) for line in out.splitlines())


def snapshot():
    """What a refused or check-mode run must leave as it was."""
    to = HOSTS[TO]
    return {
        "members": members(),
        "from": unit(FROM, "ActiveState", "UnitFileState", "ActiveEnterTimestampMonotonic"),
        "to_files": to.run("ls -a /etc/etcd /opt/etcd /usr/local/bin/etcd /etc/systemd/system/etcd.service %s",
                           DATA).stdout,
        "to_user": to.run("getent passwd etcd").stdout,
        "to_firewall": to.run("firewall-cmd --permanent --list-ports").stdout,
        "from_data": HOSTS[FROM].check_output("ls -a /var/lib"),
    }


def test_bad_input_is_refused_before_any_change(tmp_path):
    HOSTS[TO].check_output("install -d -m 0755 %s && touch %s/leftover", DATA, DATA)
    before = snapshot()
    try:
        run = migrate(tmp_path / "nonempty")
    finally:
        after = snapshot()
        HOSTS[TO].check_output("rm -rf %s", DATA)
    assert run.rc != 0, run
    assert ("etcd_migrate_to migrate-4: /var/lib/etcd is not empty (it holds leftover); the moved member's data goes"
            " there. Empty it or move it aside, or take another host") in run.messages, run
    assert run.changed == [], run
    assert after == before

    # The two hosts swapped: the host named as the member's is not one.
    before = snapshot()
    run = migrate(tmp_path / "swapped", source=TO, target=FROM)
    assert run.rc != 0, run
    # Both problems at once, in one refusal.
    assert ("etcd_migrate_from migrate-4 is not a member: it is not a host of group etcd (migrate-1, migrate-2,"
            " migrate-3); name the host whose member moves; etcd_migrate_to migrate-3 is in group etcd; the host"
            " that takes over a member joins the group only after the migration: take it out of the group for the"
            " migration") in run.messages, run
    assert run.changed == [], run
    assert snapshot() == before


def test_check_mode_reports_and_changes_nothing(tmp_path):
    before = snapshot()
    run = migrate(tmp_path, "--check")
    assert run.rc == 0, run
    assert [host for task, host in run.changed if task.endswith("Report what the migration would do")] == [TO], run
    assert snapshot() == before


def test_the_member_moves_with_its_id_and_data(tmp_path):
    HOSTS["migrate-1"].check_output(ETCDCTL + " put /migrate/before written-on-migrate-1")
    member_id = members()[FROM]["id"]
    # The member that moves leads: the playbook hands the leadership over before it stops it.
    endpoints = ",".join(client_url(n) for n in MEMBERS)
    # TLS as flags: etcdctl 3.5.1's move-leader reads its settings twice and then takes the
    # ETCDCTL_* variables of etcdctl.env for flags that clash with themselves.
    tls = "--cacert=/etc/etcd/pki/ca.crt --cert=/etc/etcd/pki/admin.crt --key=/etc/etcd/pki/admin.key"
    HOSTS["migrate-1"].run("ETCDCTL_API=3 etcdctl %s --endpoints %s move-leader %s" % (
        tls if client_tls() else "", endpoints, member_id))
    status = etcdctl_json(HOSTS["migrate-1"], "--endpoints", endpoints, "endpoint", "status")
    assert {"%x" % s["Status"]["leader"] for s in status} == {member_id}, status

    with Writer([client_url(n) for n in MEMBERS], prefix="/migrate/writes/", tls=client_tls()) as writer:
        run = migrate(tmp_path)
    assert run.rc == 0, run
    assert [host for task, host in run.changed if task.endswith("Move the leadership away from %s" % FROM)] == [TO]
    report = writer.verify([client_url(n) for n in AFTER])
    print("writer figures: %s" % json.dumps(report))

    # The same member, now at migrate-4's URLs; three started voters.
    after = members()
    assert after[FROM] == {"id": member_id, "learner": False, "peer_urls": [peer_url(TO)],
                           "client_urls": [client_url(TO)]}, after
    assert sorted(after) == MEMBERS, after
    assert all(not m["learner"] and m["client_urls"] for m in after.values()), after
    status = etcdctl_json(HOSTS["migrate-1"], "--endpoints", ",".join(client_url(n) for n in AFTER),
                          "endpoint", "status")
    assert {"%x" % s["Status"]["header"]["member_id"] for s in status} == {m["id"] for m in after.values()}
    assert len({s["Status"]["leader"] for s in status}) == 1, status

    # etcd runs on migrate-4 for good, and never again on migrate-3, which keeps the data aside.
    assert unit(TO, "ActiveState", "UnitFileState") == {"ActiveState": "active", "UnitFileState": "enabled"}
    assert unit(FROM, "ActiveState", "UnitFileState") == {"ActiveState": "inactive", "UnitFileState": "disabled"}
    assert not HOSTS[FROM].file(DATA).exists
    kept = HOSTS[FROM].check_output("ls -d %s.migrated-*", DATA).split()
    assert len(kept) == 1 and HOSTS[FROM].file(kept[0] + "/member/wal").is_directory, kept
    for name in (FROM, TO):
        assert HOSTS[name].run("ls /var/lib/*.tar.gz").stdout == "", "%s: packed data left behind" % name

    data = HOSTS[TO].file(DATA)
    assert (data.user, data.group, data.mode) == ("etcd", "etcd", 0o700)
    assert HOSTS[TO].check_output("find %s ! -user etcd", DATA) == ""
    conf = HOSTS[TO].file("/etc/etcd/etcd.conf").content_string
    assert 'ETCD_NAME="migrate-3"' in conf and 'ETCD_INITIAL_ADVERTISE_PEER_URLS="%s"' % peer_url(TO) in conf

    # A key written before the move is in migrate-4's own copy (serializable: no leader asked).
    assert HOSTS[TO].check_output(ETCDCTL + " get /migrate/before --consistency=s --print-value-only") \
        == "written-on-migrate-1"


def test_a_rerun_after_the_move_changes_nothing(tmp_path):
    run = migrate(tmp_path)
    assert run.rc == 0, run
    assert run.changed == [], run
    assert all(stats["changed"] == 0 for stats in run.recap.values()), run


def test_deploy_with_the_inventory_after_the_move_changes_nothing(tmp_path):
    started = {n: unit(n, "ActiveEnterTimestampMonotonic") for n in AFTER}
    inventory = inventory_copy(tmp_path, {"etcd": AFTER, "spare": [FROM]},
                               host_vars={TO: {"etcd_member_name": FROM}})
    run = PlaybookRun(inventory, "quorum.etcd.deploy")
    print("quorum.etcd.deploy with etcd=%s: rc=%d in %.1f s" % (",".join(AFTER), run.rc, run.seconds))
    assert run.rc == 0, run
    assert run.changed == [], run
    assert set(run.recap) == set(AFTER)
    assert all(stats["changed"] == 0 and stats["failures"] == 0 for stats in run.recap.values()), run
    assert {n: unit(n, "ActiveEnterTimestampMonotonic") for n in AFTER} == started
