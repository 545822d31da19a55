"""Membership changes on a live cluster with quorum.etcd.scale, a writer running through each.

Converge deployed scale-1..3 with authentication on. The cases run in file order, each on the cluster the one
before left: scale out to 5, a member removed behind the playbook's back re-joins, scale
in to 3, a half-finished join is completed, a join that cannot succeed is undone, a
destroyed host is replaced, a removal that would lose quorum is refused, a host rebuilt with the
same name and address is replaced with quorum.etcd.replace.

Each case that changes the cluster writes to it all along (tests/integration/writer.py)
and then proves that every acknowledged write is present on every member."""

import subprocess
import tempfile
import threading
import time

import requests

import lab
from lab import ETCDCTL, PlaybookRun, adhoc_module, address, client_tls, etcdctl_json, hosts, inventory_copy, wait_until
from writer import Writer

HOSTS = {h.backend.name: h for h in hosts("all")}
NAMES = sorted(HOSTS)
FIRST = NAMES[:3]  # deployed by converge
SPARE = NAMES[3:]
IP = {name: address(host) for name, host in HOSTS.items()}
AUTH = lab.admin_auth("all")  # converge turned authentication on


def client_url(name):
    return lab.client_url(IP[name])


def peer_url(name):
    return lab.peer_url(IP[name])


def urls(names):
    return [client_url(name) for name in names]


def run_playbook(tmp_path, etcd, host_vars=None, group_vars=None, playbook="quorum.etcd.scale"):
    """The playbook on a copy of molecule's inventory with these hosts in group etcd."""
    directory = tempfile.mkdtemp(dir=str(tmp_path))
    inventory = inventory_copy(directory, {"etcd": etcd, "spare": [n for n in NAMES if n not in etcd]},
                               host_vars=host_vars, group_vars={"etcd": group_vars} if group_vars else None)
    run = PlaybookRun(inventory, playbook)
    print("%s with etcd=%s: rc=%d in %.1f s, changed per host %s" % (
        playbook, ",".join(etcd), run.rc, run.seconds,
        {host: stats.get("changed") for host, stats in sorted(run.recap.items())}))
    print("  slowest tasks: " + "; ".join("%s %.1f s" % (task.split(" : ")[-1], seconds)
                                          for task, seconds in run.slowest()))
    for host, task, msg in run.failed:
        print("  failed on %s: %s: %s" % (host, task, msg))
    return run


def assert_unchanged(run):
    assert run.rc == 0, run
    assert all(stats["changed"] == 0 and stats["failures"] == 0 for stats in run.recap.values()), run


def members(via="scale-1"):
    """The member list as etcdctl sees it from a member: name ('' until started), hex ID, learner, URLs."""
    return sorted(({"name": m.get("name", ""), "id": "%x" % m["ID"], "learner": bool(m.get("isLearner")),
                    "peer_urls": m.get("peerURLs", []), "client_urls": m.get("clientURLs", [])}
                   for m in etcdctl_json(HOSTS[via], "member", "list")["members"]), key=lambda m: (m["name"], m["id"]))


def assert_started_voters(names, via="scale-1"):
    """Exactly these members, each started (client URLs advertised), none a learner."""
    found = members(via)
    started_voters = [(m["name"], m["learner"], bool(m["client_urls"])) for m in found]
    assert started_voters == [(n, False, True) for n in names], found
    assert [m["peer_urls"] for m in found] == [[peer_url(n)] for n in names], found


def member_id(name, via="scale-1"):
    return next(m["id"] for m in members(via) if m["name"] == name)


def unit(name, *props):
    """Properties of etcd's unit on a host, {property: value}."""
    out = HOSTS[name].check_output("systemctl show etcd -p %s", ",".join(props))
    return dict(line.split("=", 1) for line in out.splitlines())


def started_at(name):
    return int(unit(name, "ActiveEnterTimestampMonotonic")["ActiveEnterTimestampMonotonic"])


class MemberWatch:
    """Reads the member list every 0.2 s while a change runs; most_pending is the largest number
    of members seen at once that were learners or had not started."""

    def __init__(self, endpoints):
        self.endpoints = endpoints
        self.most_pending = 0
        self.reads = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def _run(self):
        session = lab.session()
        tokens = {}  # etcd's tokens hold on the member that gave them
        while not self._stop.is_set():
            for endpoint in self.endpoints:
                try:
                    if endpoint not in tokens:
                        tokens[endpoint] = lab.log_in(session, endpoint, *AUTH, timeout=1)
                    found = session.post(endpoint + "/v3/cluster/member/list", json={}, timeout=1,
                                         headers={"Authorization": tokens[endpoint]}).json()["members"]
                except (requests.RequestException, ValueError, KeyError):
                    tokens.pop(endpoint, None)
                    continue
                self.reads += 1
                pending = [m for m in found if m.get("isLearner") or not m.get("name")]
                self.most_pending = max(self.most_pending, len(pending))
                break
            self._stop.wait(0.2)


def test_scale_out_from_3_to_5(tmp_path):
    conf_before = {n: HOSTS[n].file("/etc/etcd/etcd.conf").sha256sum for n in FIRST}
    started_before = {n: started_at(n) for n in FIRST}

    with Writer(urls(FIRST), prefix="/scale/out/", tls=client_tls(), auth=AUTH) as writer:
        run = run_playbook(tmp_path, NAMES)
    assert run.rc == 0, run
    writer.verify(urls(NAMES))

    assert_started_voters(NAMES)
    # The new members enforce authentication as the others do.
    lab.assert_anonymous_writes_refused(urls(NAMES))
    for name in SPARE:
        conf = HOSTS[name].file("/etc/etcd/etcd.conf").content_string
        assert 'ETCD_INITIAL_CLUSTER_STATE="existing"' in conf, (name, conf)
    # The members that were there keep their configuration and were not restarted.
    assert {n: HOSTS[n].file("/etc/etcd/etcd.conf").sha256sum for n in FIRST} == conf_before
    assert {n: started_at(n) for n in FIRST} == started_before

    assert_unchanged(run_playbook(tmp_path, NAMES))


def test_a_member_removed_behind_the_playbooks_back_rejoins_with_fresh_data(tmp_path):
    target = "scale-5"
    HOSTS["scale-1"].check_output(ETCDCTL + " member remove %s", member_id(target))
    # etcd on the removed member learns it was removed and stops; systemd may start it again.
    wait_until("etcd on %s has stopped or restarted" % target,
               lambda: unit(target, "ActiveState", "NRestarts") != {"ActiveState": "active", "NRestarts": "0"},
               timeout=60)
    print("%s after the removal: ActiveState, SubState, NRestarts = %s"
          % (target, unit(target, "ActiveState", "SubState", "NRestarts")))
    assert HOSTS[target].file("/var/lib/etcd/member").is_directory

    with Writer(urls(NAMES[:4]), prefix="/scale/rejoin/", tls=client_tls(), auth=AUTH) as writer:
        run = run_playbook(tmp_path, NAMES)
    assert run.rc == 0, run
    writer.verify(urls(NAMES))

    assert_started_voters(NAMES)
    assert HOSTS[target].run("ls -d /var/lib/etcd.removed-*").stdout.split(), "the old data was not kept"
    # It runs for good: no restart loop on the old data.
    time.sleep(10)
    assert unit(target, "ActiveState", "NRestarts") == {"ActiveState": "active", "NRestarts": "0"}


def test_scale_in_from_5_to_3(tmp_path):
    absent = {name: {"etcd_member_state": "absent"} for name in SPARE}

    with Writer(urls(NAMES), prefix="/scale/in/", tls=client_tls(), auth=AUTH) as writer:
        run = run_playbook(tmp_path, NAMES, host_vars=absent)
    assert run.rc == 0, run
    writer.verify(urls(FIRST))

    assert_started_voters(FIRST)
    for name in SPARE:
        host = HOSTS[name]
        assert not host.service("etcd").is_running and not host.service("etcd").is_enabled, name
        assert not host.file("/var/lib/etcd").exists, name
        assert host.run("ls -d /var/lib/etcd.removed-*").stdout.split(), "%s: the data was not kept" % name

    assert_unchanged(run_playbook(tmp_path, NAMES, host_vars=absent))


def test_a_half_finished_join_is_completed_not_duplicated(tmp_path):
    joiner = "scale-4"
    four = FIRST + [joiner]
    # As if a run was killed after adding the learner and before starting it.
    HOSTS["scale-1"].check_output(ETCDCTL + " member add %s --learner --peer-urls=%s", joiner, peer_url(joiner))

    deploy = run_playbook(tmp_path, FIRST, playbook="quorum.etcd.deploy")
    assert deploy.rc != 0, deploy
    assert ("a member was added but has not started (peer URLs %s); the quorum.etcd.scale playbook completes or"
            " removes it" % peer_url(joiner)) in deploy.messages, deploy
    assert deploy.changed == [], deploy

    with Writer(urls(FIRST), prefix="/scale/half-join/", tls=client_tls(), auth=AUTH) as writer, MemberWatch(urls(FIRST)) as watch:
        run = run_playbook(tmp_path, four, group_vars={"etcd_allow_even_members": True})
    assert run.rc == 0, run
    assert not [msg for msg in run.messages if "already exists" in (msg or "")], run
    writer.verify(urls(four))
    assert_started_voters(four)
    print("member lists read during the join: %d, most members pending at once: %d" % (watch.reads, watch.most_pending))
    assert watch.reads > 0 and watch.most_pending == 1

    with Writer(urls(four), prefix="/scale/half-join-out/", tls=client_tls(), auth=AUTH) as writer:
        run = run_playbook(tmp_path, four, host_vars={joiner: {"etcd_member_state": "absent"}})
    assert run.rc == 0, run
    writer.verify(urls(FIRST))
    assert_started_voters(FIRST)


def test_members_added_for_no_host_are_removed_by_peer_url_and_by_id(tmp_path):
    # Added by hand (or by another tool) and never started: they have no name, only an ID and a peer URL.
    # One is a learner; the other a voter, as `etcdctl member add` makes by default (etcd allows one learner).
    by_url, by_id = "https://10.213.5.99:2380", "https://10.213.5.98:2380"
    before = members()
    HOSTS["scale-1"].check_output(ETCDCTL + " member add stray --learner --peer-urls=%s", by_url)
    added = etcdctl_json(HOSTS["scale-1"], "member", "add", "other", "--peer-urls=" + by_id)
    stray_id = "%x" % added["member"]["ID"]
    assert len(members()) == len(before) + 2
    assert [m for m in members() if m["id"] == stray_id and m["name"] == ""]

    with Writer(urls(FIRST), prefix="/scale/stray/", tls=client_tls(), auth=AUTH) as writer:
        run = run_playbook(tmp_path, FIRST, group_vars={"etcd_remove_members": [by_url, stray_id]})
    assert run.rc == 0, run
    writer.verify(urls(FIRST))
    assert members() == before


def test_a_join_that_cannot_succeed_leaves_the_voters_unchanged(tmp_path):
    joiner, leaver = "scale-5", FIRST[-1]
    host = HOSTS[joiner]
    before = members()
    # firewalld runs on the joiner with its default zone, and the role may not open the peer port.
    host.check_output("firewall-cmd --remove-port=2380/tcp && firewall-cmd --permanent --remove-port=2380/tcp")
    try:
        with Writer(urls(FIRST), prefix="/scale/failed-join/", tls=client_tls(), auth=AUTH) as writer:
            # A member leaving in the same run must stay: its removal comes after the join, and a
            # removal after a failed join would leave the cluster a voter short.
            run = run_playbook(tmp_path, FIRST + [joiner], host_vars={joiner: {"etcd_firewalld": "never"},
                                                                      leaver: {"etcd_member_state": "absent"}},
                               group_vars={"etcd_wait_timeout": 10, "etcd_allow_even_members": True})
        assert run.rc != 0, "%r\nmembers now: %s" % (run, members())
        expected = ("%s did not join the cluster and its learner was removed again; the voting members are unchanged."
                    " Check that the members reach %s (address, peer port, firewall)." % (joiner, peer_url(joiner)))
        assert [msg for msg in run.messages if (msg or "").startswith(expected)], run
        assert members() == before
        # The leaver was not touched: still a voter (above) and still serving.
        assert HOSTS[leaver].service("etcd").is_running
        writer.verify(urls(FIRST))
    finally:
        host.check_output("firewall-cmd --add-port=2380/tcp && firewall-cmd --permanent --add-port=2380/tcp")


def test_a_destroyed_member_is_replaced(tmp_path):
    final = ["scale-1", "scale-2", "scale-5"]
    # Lost at once, as a host that dies is: no clean shutdown of etcd (--time 0).
    subprocess.run(["podman", "rm", "--force", "--time", "0", "scale-3"], check=True, capture_output=True)

    with Writer(urls(["scale-1", "scale-2"]), prefix="/scale/replace/", tls=client_tls(), auth=AUTH) as writer:
        run = run_playbook(tmp_path, final, group_vars={"etcd_remove_members": ["scale-3"]})
    assert run.rc == 0, run
    writer.verify(urls(final))
    assert_started_voters(final)
    lab.assert_anonymous_writes_refused(urls(final))


def test_a_removal_that_would_lose_quorum_is_refused(tmp_path):
    voters = ["scale-1", "scale-2", "scale-5"]
    inventory = inventory_copy(tmp_path, {"etcd": voters})
    before = members()
    with Writer(urls(voters), prefix="/scale/refused/", tls=client_tls(), auth=AUTH) as writer:
        HOSTS["scale-2"].check_output("systemctl stop etcd")
        try:
            rc, result = adhoc_module(inventory, "scale-1", "quorum.etcd.member",
                                      dict(lab.module_tls(), name="scale-5", state="absent", endpoints=urls(voters),
                                           user=AUTH[0], password=AUTH[1]))
            print("member state=absent name=scale-5 with scale-2 down: rc=%d: %s" % (rc, result.get("msg")))
            assert rc != 0 and result.get("failed"), result
            assert result["msg"].startswith(
                "Refusing to remove scale-5 (ID %s): the 2 voting members left would need 2 healthy members for"
                " quorum, and only 1 would be healthy: scale-2 (ID %s) is not healthy"
                % (member_id("scale-5"), member_id("scale-2"))), result
            assert result.get("changed") is False and result.get("actions") == [], result
            assert members() == before
        finally:
            HOSTS["scale-2"].check_output("systemctl start etcd")
        wait_until("all members are healthy", lambda: HOSTS["scale-1"].run(
            ETCDCTL + " endpoint health --endpoints=%s", ",".join(urls(voters))).rc == 0, timeout=60)
    writer.verify(urls(voters))
    assert_started_voters(voters)


def test_a_host_rebuilt_with_the_same_name_and_address_is_replaced_in_one_run(tmp_path):
    """scale-5's host is rebuilt from scratch (etcd, its data, its configuration and certificates gone; the
    same name and address) while its old member is still a voter: quorum.etcd.replace removes the old
    member and the host joins as a new one, with the writer running."""
    voters = ["scale-1", "scale-2", "scale-5"]
    old_id = member_id("scale-5")
    with Writer(urls(["scale-1", "scale-2"]), prefix="/scale/rebuilt/", tls=client_tls(), auth=AUTH) as writer:
        HOSTS["scale-5"].check_output(
            "systemctl kill --signal=KILL etcd; systemctl disable --now etcd; rm -rf /var/lib/etcd /etc/etcd "
            "/opt/etcd /usr/local/bin/etcd /usr/local/bin/etcdctl /usr/local/bin/etcdutl "
            "/etc/systemd/system/etcd.service && systemctl daemon-reload")
        run = run_playbook(tmp_path, voters, group_vars={"etcd_replace_member": "scale-5"},
                           playbook="quorum.etcd.replace")
    assert run.rc == 0, run
    writer.verify(urls(voters))
    assert_started_voters(voters)
    assert member_id("scale-5") != old_id
    # Run again: the member is whole now; the same variable finds nothing to replace and refuses, changing nothing.
    again = run_playbook(tmp_path, voters, group_vars={"etcd_replace_member": "scale-5"}, playbook="quorum.etcd.replace")
    assert again.rc != 0 and any("etcd_remove_members names scale-5" in (m or "") for m in again.messages), again
    assert all(stats["changed"] == 0 for stats in again.recap.values()), again
    assert member_id("scale-5") != old_id
