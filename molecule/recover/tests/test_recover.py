"""quorum.etcd.restore and quorum.etcd.recover_quorum on a live three-member cluster with
authentication on (it must stay on through each of them).

The cases run in file order, each on the cluster the one before left: bad restore inputs are
refused with every member untouched; a snapshot is restored on every member (keys from before
it back, keys from after it gone, a new cluster ID, the old data kept aside) and a re-run
changes nothing; two members are lost for good while a writer runs and recover_quorum brings
the cluster back to three members; on a cluster that has its quorum, recover_quorum changes
nothing, or refuses when a member is down; last, two hosts are destroyed (their containers
removed) and recover_quorum, with them still in group etcd and two new hosts beside them,
brings the cluster back to three members; then two of those three are destroyed and taken out of
the inventory while the survivor runs, and a first recover_quorum that fails halfway (a new host's peer
port closed) is completed by a re-run; last, two more are destroyed and taken out of the inventory, the
survivor's etcd is stopped, and recover_quorum with two more new hosts brings it back to three members
again."""

import base64
import json
import re
import subprocess
import time

import lab
from lab import INVENTORY, PlaybookRun, address, etcdctl_json, hosts, inventory_copy, wait_until
from writer import Writer

HOSTS = {h.backend.name: h for h in hosts("etcd")}
NAMES = sorted(HOSTS)
IP = {name: address(host) for name, host in HOSTS.items()}
URLS = [lab.client_url(IP[name]) for name in NAMES]
URL = dict(zip(NAMES, URLS))
TLS = lab.client_tls()
AUTH = lab.admin_auth()  # the cluster runs with authentication on
BACKUP = "/var/lib/etcd-backup/recover-test.db"
DROPIN = "/etc/systemd/system/etcd.service.d/recover-quorum.conf"


SPARE = {h.backend.name: h for h in hosts("spare")}
SPARE_URL = {name: lab.client_url(address(host)) for name, host in SPARE.items()}
NEXT = {h.backend.name: h for h in hosts("spare_next")}
NEXT_URL = {name: lab.client_url(address(host)) for name, host in NEXT.items()}
LATER = {h.backend.name: h for h in hosts("spare_later")}
LATER_URL = {name: lab.client_url(address(host)) for name, host in LATER.items()}


def playbook(name, *args, inventory=INVENTORY, **extra):
    run = PlaybookRun(inventory, name, *(list(args) + (["-e", json.dumps(extra)] if extra else [])))
    print("%s %s %s: rc=%d in %.1f s, changed per host %s" % (
        name, " ".join(args), json.dumps(extra), run.rc, run.seconds,
        {host: stats.get("changed") for host, stats in sorted(run.recap.items())}))
    print("  slowest tasks: " + "; ".join("%s %.1f s" % (task.split(" : ")[-1], seconds)
                                          for task, seconds in run.slowest(4)))
    for host, task, msg in run.failed:
        print("  failed on %s: %s: %s" % (host, task, msg))
    return run


def status(name):
    return etcdctl_json(HOSTS[name], "endpoint", "status")[0]["Status"]


def main_pid(name):
    return int(HOSTS[name].check_output("systemctl show etcd -p MainPID --value"))


def members_state():
    """{member: (etcd's PID, member ID, cluster ID)}: what a refused run must leave alone."""
    return {name: members_state_of(name) for name in NAMES}


def members_state_of(name):
    header = status(name)["header"]
    return (main_pid(name), header["member_id"], header["cluster_id"])


def put(prefix, count):
    kv = {"%s%03d" % (prefix, i): "value %d" % i for i in range(count)}
    session = lab.session()
    session.headers["Authorization"] = lab.log_in(session, URLS[0], *AUTH)
    for key, value in kv.items():
        answer = session.post(URLS[0] + "/v3/kv/put", timeout=5, json={
            "key": base64.b64encode(key.encode()).decode(), "value": base64.b64encode(value.encode()).decode()})
        answer.raise_for_status()
    return kv


def read(name, prefix):
    """The keys under prefix as member name holds them (a local, serializable read)."""
    got = etcdctl_json(HOSTS[name], "get", "--prefix", "--consistency=s", prefix)
    return {base64.b64decode(kv["key"]).decode(): base64.b64decode(kv["value"]).decode() for kv in got.get("kvs", [])}


def started_voters():
    found = etcdctl_json(HOSTS[NAMES[0]], "member", "list")["members"]
    return sorted((m.get("name", ""), bool(m.get("isLearner")), bool(m.get("clientURLs"))) for m in found)


def leader():
    found = etcdctl_json(HOSTS[NAMES[0]], "member", "list")["members"]
    lead = status(NAMES[0])["leader"]
    return next(m["name"] for m in found if m["ID"] == lead)


def moved_aside(name, pattern):
    """What a shell glob (not quoted) matches on the host."""
    return HOSTS[name].run("ls -d " + pattern + " 2>/dev/null").stdout.split()


def held_before_the_loss(writer, survivor, prefix):
    """The writes acknowledged so far, once the survivor holds them all: the recovery must keep every one.
    (Writes acknowledged after this and before the loss may be held by the lost members only: raft
    commits on a majority.)"""
    acknowledged = dict(writer.acknowledged)
    wait_until("%s holds the %d writes acknowledged so far" % (survivor, len(acknowledged)),
               lambda: all(read(survivor, prefix).get(k) == v for k, v in acknowledged.items()), timeout=20)
    return acknowledged


def split_at_the_loss(writer, stopped_at, survivor, prefix, urls, held_at_loss):
    """(gone, before): the writes acknowledged before the loss that the survivor does not hold (only the
    lost members had them), of those acknowledged before it; none of those it held at the loss may be gone.
    Every write acknowledged after the loss must be on every member of urls (the writer's verify)."""
    number = lambda key: int(key.rsplit("/", 1)[1])  # noqa: E731
    before = {k: v for k, v in writer.acknowledged.items() if number(k) < stopped_at}
    held = read(survivor, prefix)
    gone = [k for k, v in before.items() if held.get(k) != v]
    assert [k for k in held_at_loss if held.get(k) != held_at_loss[k]] == [], "the recovery lost writes %s held" % (
        survivor)
    print("%s held %d acknowledged writes just before the loss: all kept" % (survivor, len(held_at_loss)))
    writer.acknowledged = {k: v for k, v in writer.acknowledged.items() if number(k) >= stopped_at}
    assert writer.acknowledged, "no write was acknowledged by the recovered cluster"
    writer.verify(urls)
    return gone, before


def recover_with_the_writer(writer, inventory, **extra):
    """recover_quorum; when it succeeds, 50 more writes acknowledged by the recovered cluster."""
    run = playbook("quorum.etcd.recover_quorum", inventory=inventory, etcd_recover_quorum_confirm=True, **extra)
    acknowledged = len(writer.acknowledged)
    if run.rc == 0:
        wait_until("the writer gets 50 writes acknowledged by the recovered cluster",
                   lambda: len(writer.acknowledged) >= acknowledged + 50, timeout=60)
    return run


def take_snapshot():
    host = HOSTS[NAMES[0]]
    host.check_output("install -d -m 0700 /var/lib/etcd-backup && rm -f %s", BACKUP)
    host.check_output(lab.ETCDCTL + " snapshot save %s", BACKUP)
    return BACKUP


def test_restore_refuses_bad_input_and_leaves_every_member_running(tmp_path):
    put("/recover/bad/", 5)
    snapshot = take_snapshot()
    whole = HOSTS[NAMES[0]].file(snapshot).content
    truncated = tmp_path / "truncated.db"
    truncated.write_bytes(whole[:len(whole) // 2])
    before = members_state()
    kept_aside = {name: moved_aside(name, "/var/lib/etcd.before-restore-*") for name in NAMES}

    cases = [
        ("no confirmation", dict(etcd_restore_snapshot=snapshot, etcd_restore_snapshot_host=NAMES[0]),
         "not confirmed, nothing was changed. A restore stops etcd on every member of group etcd"),
        ("a snapshot that does not exist", dict(etcd_restore_snapshot=str(tmp_path / "missing.db"),
                                                etcd_restore_confirm=True),
         "missing.db does not exist on the controller; nothing was changed"),
        ("a truncated snapshot", dict(etcd_restore_snapshot=str(truncated), etcd_restore_confirm=True),
         ("cannot be restored on recover-1; no member was stopped and no data touched: The snapshot is not usable: "
          "/var/lib/etcd-restore/", "is not a whole etcd snapshot")),
    ]
    for what, extra, expected in cases:
        run = playbook("quorum.etcd.restore", **extra)
        assert run.rc != 0, (what, run)
        expected = (expected,) if isinstance(expected, str) else expected
        said = [msg for msg in run.messages if msg and all(part in msg for part in expected)]
        assert said, (what, run.messages)
        print("%s refused: %s" % (what, said[0]))
        assert members_state() == before, what
        for name in NAMES:
            assert moved_aside(name, "/var/lib/etcd.before-restore-*") == kept_aside[name], (what, name)
            # The copy of a snapshot that does not restore is not left behind.
            assert not HOSTS[name].run("ls /var/lib/etcd-restore/*.db 2>/dev/null").stdout.strip(), (what, name)


def test_restore_brings_every_member_back_to_the_snapshot():
    HOSTS[NAMES[0]].check_output(lab.ETCDCTL + " del --prefix /recover/restore/")
    kept = put("/recover/restore/before/", 20)
    snapshot = take_snapshot()
    dropped = put("/recover/restore/after/", 20)
    revision_before = int(status(NAMES[0])["header"]["revision"])
    before = members_state()
    kept_aside = {name: moved_aside(name, "/var/lib/etcd.before-restore-*") for name in NAMES}

    # Check mode says what would happen and changes nothing.
    check = playbook("quorum.etcd.restore", "--check", etcd_restore_snapshot=snapshot,
                     etcd_restore_snapshot_host=NAMES[0], etcd_restore_confirm=True)
    assert check.rc == 0, check
    assert "quorum.etcd.server : Report what the restore would do" in [task for task, _ in check.changed], check
    assert members_state() == before
    assert all(not HOSTS[n].run("ls /var/lib/etcd-restore/*.db 2>/dev/null").stdout.strip() for n in NAMES)

    with Writer(URLS, prefix="/recover/restore/writer/", tls=TLS, auth=AUTH) as writer:
        run = playbook("quorum.etcd.restore", etcd_restore_snapshot=snapshot,
                       etcd_restore_snapshot_host=NAMES[0], etcd_restore_confirm=True)
        # When the last member started (whole seconds), on the clock the lab hosts share with this one.
        restarted = 1 + max(int(HOSTS[n].check_output(
            "date -d \"$(systemctl show etcd -p ActiveEnterTimestamp --value)\" +%s")) for n in NAMES)
        acknowledged = len(writer.acknowledged)
        wait_until("the writer gets 50 writes acknowledged by the restored cluster",
                   lambda: len(writer.acknowledged) >= acknowledged + 50, timeout=60)
    assert run.rc == 0, run

    after = members_state()
    assert len({cluster for _, _, cluster in after.values()}) == 1, after
    assert {cluster for _, _, cluster in after.values()} != {cluster for _, _, cluster in before.values()}, after
    assert started_voters() == [(name, False, True) for name in NAMES]
    lab.assert_anonymous_writes_refused(URLS)
    for name in NAMES:
        assert read(name, "/recover/restore/before/") == kept, name
        assert read(name, "/recover/restore/after/") == {}, name
        old = set(moved_aside(name, "/var/lib/etcd.before-restore-*")) - set(kept_aside[name])
        assert len(old) == 1 and HOSTS[name].file(old.pop() + "/member/snap/db").exists, (name, old)
        conf = HOSTS[name].file("/etc/etcd/etcd.conf").content_string
        assert re.search(r'^ETCD_INITIAL_CLUSTER_TOKEN="etcd-cluster-restored-\d{8}T\d{6}Z"$', conf, re.M), conf
    print("restore: cluster %x -> %x, %d keys from before the snapshot kept, %d written after it gone"
          % (before[NAMES[0]][2], after[NAMES[0]][2], len(kept), len(dropped)))

    # Revisions moved forward by etcd_restore_bump_revision (etcdutl --bump-revision), and the ones
    # before are compacted (--mark-compacted): a watcher that resumes from a revision it saw before
    # the restore is told to start over instead of waiting for revisions handed out again.
    revision_after = int(status(NAMES[0])["header"]["revision"])
    assert revision_after > revision_before + 1000000000 - 100, (revision_before, revision_after)
    old_read = HOSTS[NAMES[0]].run(lab.ETCDCTL + " get --rev=%s /recover/restore/before/000", str(revision_before))
    assert old_read.rc != 0 and "required revision has been compacted" in old_read.stderr, old_read
    watch = HOSTS[NAMES[0]].run("timeout 5 sh -c '%s watch --rev=%d /recover/restore/before/000'"
                                % (lab.ETCDCTL, revision_before))
    assert "compacted" in watch.stdout + watch.stderr, watch
    print("restore: revision %d before, %d after; an old revision reads and watches as compacted"
          % (revision_before, revision_after))

    # The writer: what it wrote before the members stopped came after the snapshot and is gone
    # (as a restore means); what the restored cluster acknowledged must all be there.
    held = read(NAMES[0], "/recover/restore/writer/")
    lost = [k for k, v in writer.acknowledged.items() if float(v.split()[-1]) < restarted and held.get(k) != v]
    print("writer: %d writes acknowledged during the restore run were made after the snapshot and are gone"
          % len(lost))
    writer.acknowledged = {k: v for k, v in writer.acknowledged.items() if float(v.split()[-1]) > restarted}
    assert writer.acknowledged
    writer.verify(URLS)

    # Run again with the same snapshot: nothing restarts, nothing changes; the deploy
    # playbook keeps the restored cluster's token.
    for again in (playbook("quorum.etcd.restore", etcd_restore_snapshot=snapshot,
                           etcd_restore_snapshot_host=NAMES[0], etcd_restore_confirm=True),
                  playbook("quorum.etcd.deploy")):
        assert again.rc == 0, again
        assert all(stats["changed"] == 0 for stats in again.recap.values()), again
    assert members_state() == after
    old_member_is_turned_away(NAMES[0], sorted(set(moved_aside(NAMES[0], "/var/lib/etcd.before-restore-*"))
                                                - set(kept_aside[NAMES[0]]))[0], after)


def old_member_is_turned_away(name, old_data, members):
    """A member started from the data kept aside belongs to the cluster before the restore: the restored
    members refuse its raft messages (cluster ID mismatch) and the cluster stays as it is."""
    host = HOSTS[name]
    since = "@" + host.check_output("date +%s")
    host.check_output("rm -rf /var/tmp/old-member && cp -a %s /var/tmp/old-member", old_data)
    # In the background, for at most 20 s: it is stopped as soon as a restored member has refused it.
    host.check_output(
        "set -a; . /etc/etcd/etcd.conf; set +a; "
        "ETCD_DATA_DIR=/var/tmp/old-member ETCD_LISTEN_PEER_URLS=https://127.0.0.1:12380 "
        "ETCD_LISTEN_CLIENT_URLS=https://127.0.0.1:12379 ETCD_ADVERTISE_CLIENT_URLS=https://127.0.0.1:12379 "
        "ETCD_LISTEN_METRICS_URLS=http://127.0.0.1:12381 nohup timeout 20 /usr/local/bin/etcd "
        "> /var/tmp/old-member.log 2>&1 < /dev/null & echo $! > /var/tmp/old-member.pid")

    def refused():
        return [other for other in NAMES if other != name and "cluster ID mismatch" in HOSTS[other].check_output(
            "journalctl -u etcd -o cat --no-pager --since %s", since)]
    try:
        wait_until("a restored member refuses the old member", refused, timeout=20)
    except AssertionError as e:
        raise AssertionError("%s; its log ends: %s" % (e, host.run("tail -n 5 /var/tmp/old-member.log").stdout))
    finally:
        # timeout(1) passes the signal on to that etcd alone, not to the member etcd's unit runs.
        host.run("kill $(cat /var/tmp/old-member.pid)")
    print("restore: the old data of %s started as etcd; refused by %s" % (name, ", ".join(refused())))
    host.check_output("while kill -0 $(cat /var/tmp/old-member.pid) 2>/dev/null; do sleep 0.2; done; "
                      "rm -rf /var/tmp/old-member /var/tmp/old-member.pid")
    assert members_state() == members
    assert started_voters() == [(n, False, True) for n in NAMES]


def test_recover_quorum_after_two_of_three_members_are_lost_for_good():
    first_leader = leader()
    survivor = next(name for name in NAMES if name != first_leader)
    lost = [name for name in NAMES if name != survivor]
    survivor_id = status(survivor)["header"]["member_id"]
    kept_aside = moved_aside(survivor, "/var/lib/etcd.before-recover-*")
    lost_data = "/var/lib/etcd.lost-by-test-%d" % time.time()

    with Writer(URLS, prefix="/recover/quorum/", tls=TLS, auth=AUTH) as writer:
        wait_until("the writer gets 50 writes acknowledged", lambda: len(writer.acknowledged) >= 50, timeout=60)
        held = held_before_the_loss(writer, survivor, "/recover/quorum/")
        for name in lost:
            HOSTS[name].check_output("systemctl stop etcd && mv /var/lib/etcd %s", lost_data)
        # Every write attempted from here on can only be acknowledged by the recovered cluster.
        stopped_at = writer.attempts
        run = recover_with_the_writer(writer, INVENTORY)
    assert run.rc == 0, run

    assert started_voters() == [(name, False, True) for name in NAMES]
    assert status(survivor)["header"]["member_id"] == survivor_id
    lab.assert_anonymous_writes_refused(URLS)
    gone, before = split_at_the_loss(writer, stopped_at, survivor, "/recover/quorum/", URLS, held)
    print("recover_quorum: survivor %s (the leader was %s); %d of %d writes acknowledged before the loss are gone;"
          " playbook %.1f s" % (survivor, first_leader, len(gone), len(before), run.seconds))

    # force-new-cluster was used once and is gone from the unit; etcd runs without it (its
    # start-up log line says so); the survivor's data from before is kept.
    host = HOSTS[survivor]
    assert not host.file(DROPIN).exists
    assert host.check_output("systemctl show etcd -p DropInPaths -p Environment") == "Environment=\nDropInPaths="
    starts = host.check_output("journalctl -u etcd -o cat --no-pager | grep -o '\"force-new-cluster\":[a-z]*'")
    assert starts.split()[-2:] == ['"force-new-cluster":true', '"force-new-cluster":false'], starts
    assert len(set(moved_aside(survivor, "/var/lib/etcd.before-recover-*")) - set(kept_aside)) == 1
    for name in lost:
        assert HOSTS[name].file(lost_data + "/member").is_directory, name


def healthy_members():
    found = json.loads(HOSTS[NAMES[0]].check_output(lab.ETCDCTL + " endpoint health --cluster -w json"))
    return sorted(e["endpoint"] for e in found if e.get("health"))


def test_recover_quorum_changes_nothing_while_the_cluster_has_its_quorum():
    wait_until("every member answers healthy", lambda: healthy_members() == sorted(URLS), timeout=60)
    before = members_state()
    run = playbook("quorum.etcd.recover_quorum", etcd_recover_quorum_confirm=True)
    assert run.rc == 0, run
    assert all(stats["changed"] == 0 for stats in run.recap.values()), run
    assert members_state() == before

    # One member down: the two others keep the quorum, so this is a job for replace, not force.
    down = NAMES[-1]
    HOSTS[down].check_output("systemctl stop etcd")
    try:
        run = playbook("quorum.etcd.recover_quorum", etcd_recover_quorum_confirm=True)
        assert run.rc != 0, run
        assert any("so its quorum is not lost" in (msg or "") for msg in run.messages), run.messages
        assert {n: members_state_of(n) for n in NAMES[:-1]} == {n: before[n] for n in NAMES[:-1]}
        assert not any(HOSTS[n].file(DROPIN).exists for n in NAMES)
    finally:
        HOSTS[down].check_output("systemctl start etcd")


def voters_seen_by(host):
    found = etcdctl_json(host, "member", "list")["members"]
    return sorted((m.get("name", ""), bool(m.get("isLearner")), bool(m.get("clientURLs"))) for m in found)


def test_recover_quorum_with_two_hosts_destroyed_still_listed_and_two_new_hosts(tmp_path):
    """The disaster as it comes: two hosts gone at once (containers removed, no clean stop of etcd) while
    the writer runs. The inventory still lists them, beside two new hosts: the dead ones are left out and
    named, the survivor becomes a one-member cluster and the new hosts join it."""
    wait_until("every member answers healthy", lambda: healthy_members() == sorted(URLS), timeout=60)
    first_leader = leader()
    survivor = next(name for name in NAMES if name != first_leader)
    lost = [name for name in NAMES if name != survivor]
    new = sorted(SPARE)
    final = sorted([survivor] + new)
    final_urls = [URL[survivor]] + [SPARE_URL[name] for name in new]
    inventory = inventory_copy(tmp_path, {"etcd": NAMES + new})

    with Writer([URL[survivor]] + [URL[n] for n in lost] + final_urls[1:], prefix="/recover/destroyed/",
                tls=TLS, auth=AUTH) as writer:
        wait_until("the writer gets 50 writes acknowledged", lambda: len(writer.acknowledged) >= 50, timeout=60)
        held = held_before_the_loss(writer, survivor, "/recover/destroyed/")
        subprocess.run(["podman", "rm", "--force", "--time", "0"] + lost, check=True, capture_output=True)
        # Hosts the controller cannot reach may still run their members: not without the operator's word.
        unsaid = playbook("quorum.etcd.recover_quorum", inventory=inventory, etcd_recover_quorum_confirm=True)
        assert unsaid.rc != 0 and any("%s did not answer: nothing was changed" % ", ".join(lost) in (m or "")
                                      for m in unsaid.messages), unsaid
        assert all(stats["changed"] == 0 for stats in unsaid.recap.values()), unsaid
        stopped_at = writer.attempts
        run = recover_with_the_writer(writer, inventory, etcd_recover_quorum_lost_hosts=lost)
    assert run.rc == 0, run
    print("recap of the dead hosts: %s" % {name: run.recap.get(name) for name in lost})
    reports = [m for m in run.reports if "did not answer and are left out" in m]
    assert reports and "%s did not answer and are left out: the new cluster does not have their members" % (
        ", ".join(lost)) in reports[0], run.reports
    print(reports[0])

    assert voters_seen_by(HOSTS[survivor]) == [(name, False, True) for name in final]
    lab.assert_anonymous_writes_refused(final_urls)
    gone, before = split_at_the_loss(writer, stopped_at, survivor, "/recover/destroyed/", final_urls, held)
    print("recover_quorum with %s destroyed: survivor %s; %d of %d writes acknowledged before the loss are gone;"
          " playbook %.1f s" % (", ".join(lost), survivor, len(gone), len(before), run.seconds))

    # The same inventory once the dead hosts are taken out of it: nothing left to do.
    again = playbook("quorum.etcd.recover_quorum", inventory=inventory_copy(tmp_path / "after", {"etcd": final}),
                     etcd_recover_quorum_confirm=True)
    assert again.rc == 0, again
    assert all(stats["changed"] == 0 for stats in again.recap.values()), again


def surviving_member():
    """The member of the lab's first hosts whose container still exists (each case destroys the others)."""
    exists = lambda name: subprocess.run(["podman", "container", "exists", name]).returncode == 0  # noqa: E731
    return next(name for name in NAMES if exists(name))


def test_recover_quorum_with_the_dead_hosts_out_of_the_inventory_the_survivor_running_and_a_failed_first_try(
        tmp_path):
    """The dead hosts are taken out of group etcd while the survivor still runs: its member list (3 voters,
    1 running) says the quorum is lost, not the group (1 of 1). The first attempt fails halfway: one new
    host's peer port is closed, so after the survivor became a one-member cluster and the other new host
    joined, its join fails. The cluster is healthy then, with 2 members; the re-run, port open, adds the
    last host, and a third run changes nothing."""
    survivor = surviving_member()
    lost = sorted(SPARE)
    assert [name for name, _, _ in voters_seen_by(HOSTS[survivor])] == sorted([survivor] + lost)
    first, blocked = sorted(NEXT)
    final = sorted([survivor] + [first, blocked])
    final_urls = [URL[survivor]] + [NEXT_URL[name] for name in (first, blocked)]
    inventory = inventory_copy(tmp_path, {"etcd": final})
    # firewalld runs on the new host with its default zone; the role may not open the peer port this once.
    NEXT[blocked].check_output("firewall-cmd --remove-port=2380/tcp && firewall-cmd --permanent --remove-port=2380/tcp")
    failing = inventory_copy(tmp_path / "failing", {"etcd": final}, host_vars={blocked: {"etcd_firewalld": "never"}},
                             group_vars={"etcd": {"etcd_wait_timeout": 15}})

    with Writer([URL[survivor]] + [SPARE_URL[n] for n in lost] + final_urls[1:], prefix="/recover/running/",
                tls=TLS, auth=AUTH) as writer:
        wait_until("the writer gets 50 writes acknowledged", lambda: len(writer.acknowledged) >= 50, timeout=60)
        held = held_before_the_loss(writer, survivor, "/recover/running/")
        subprocess.run(["podman", "rm", "--force", "--time", "0"] + lost, check=True, capture_output=True)
        stopped_at = writer.attempts
        failed = playbook("quorum.etcd.recover_quorum", inventory=failing, etcd_recover_quorum_confirm=True)
        assert failed.rc != 0, failed
        reports = [m for m in failed.reports if m.startswith("the quorum is lost")]
        assert reports and "1 of 3 members run" in reports[0] and "%s has the most data" % survivor in reports[0], \
            failed.reports
        assert any(("%s did not join the cluster" % blocked) in (m or "") for m in failed.messages), failed.messages
        # Halfway: the survivor leads a healthy cluster of itself and the host that joined.
        assert voters_seen_by(HOSTS[survivor]) == [(name, False, True) for name in sorted([survivor, first])]
        NEXT[blocked].check_output("firewall-cmd --add-port=2380/tcp && firewall-cmd --permanent --add-port=2380/tcp")
        run = recover_with_the_writer(writer, inventory)
    assert run.rc == 0, run
    assert any("%s are not members: they join one at a time" % blocked in m for m in run.reports), run.reports

    assert voters_seen_by(HOSTS[survivor]) == [(name, False, True) for name in final]
    lab.assert_anonymous_writes_refused(final_urls)
    gone, before = split_at_the_loss(writer, stopped_at, survivor, "/recover/running/", final_urls, held)
    print("recover_quorum with %s destroyed and out of the inventory, %s running: first try failed at %s's join "
          "(%.1f s), re-run %.1f s; %d of %d writes acknowledged before the loss are gone"
          % (", ".join(lost), survivor, blocked, failed.seconds, run.seconds, len(gone), len(before)))

    again = playbook("quorum.etcd.recover_quorum", inventory=inventory, etcd_recover_quorum_confirm=True)
    assert again.rc == 0, again
    assert all(stats["changed"] == 0 for stats in again.recap.values()), again


def test_recover_quorum_with_the_dead_hosts_out_of_the_inventory_and_the_survivor_stopped(tmp_path):
    """The other shape: the operator took the destroyed hosts out of group etcd and put new ones in, and
    the survivor's etcd is stopped (its host rebooted, say). No member answers, so the group stands for
    the membership; the survivor's data is the only data, it becomes a one-member cluster and the new
    hosts join it."""
    survivor = surviving_member()
    voters = [name for name, _, _ in voters_seen_by(HOSTS[survivor])]
    lost = [name for name in voters if name != survivor]
    assert sorted(lost) == sorted(NEXT), voters
    new = sorted(LATER)
    final = sorted([survivor] + new)
    final_urls = [URL[survivor]] + [LATER_URL[name] for name in new]
    inventory = inventory_copy(tmp_path, {"etcd": final})

    with Writer([URL[survivor]] + [NEXT_URL[n] for n in lost] + final_urls[1:], prefix="/recover/stopped/",
                tls=TLS, auth=AUTH) as writer:
        wait_until("the writer gets 50 writes acknowledged", lambda: len(writer.acknowledged) >= 50, timeout=60)
        held = held_before_the_loss(writer, survivor, "/recover/stopped/")
        subprocess.run(["podman", "rm", "--force", "--time", "0"] + lost, check=True, capture_output=True)
        HOSTS[survivor].check_output("systemctl stop etcd")
        stopped_at = writer.attempts
        run = recover_with_the_writer(writer, inventory)
    assert run.rc == 0, run
    reports = [m for m in run.reports if m.startswith("the quorum is lost")]
    assert reports and "0 of 3 members run" in reports[0] and "%s has the most data" % survivor in reports[0], \
        run.reports
    print(reports[0])
    # The stopped survivor's raft index comes from its write-ahead log (files/etcd-wal-commit).
    progress = [re.search(r"%s: etcd stopped, revision \d+, raft index (\d+)" % survivor, m) for m in run.reports]
    assert [int(p.group(1)) for p in progress if p] and all(int(p.group(1)) > 0 for p in progress if p), run.reports

    assert voters_seen_by(HOSTS[survivor]) == [(name, False, True) for name in final]
    lab.assert_anonymous_writes_refused(final_urls)
    gone, before = split_at_the_loss(writer, stopped_at, survivor, "/recover/stopped/", final_urls, held)
    print("recover_quorum with %s destroyed and out of the inventory, %s stopped: %d of %d writes acknowledged "
          "before are gone; playbook %.1f s" % (", ".join(lost), survivor, len(gone), len(before), run.seconds))

    again = playbook("quorum.etcd.recover_quorum", inventory=inventory, etcd_recover_quorum_confirm=True)
    assert again.rc == 0, again
    assert all(stats["changed"] == 0 for stats in again.recap.values()), again
