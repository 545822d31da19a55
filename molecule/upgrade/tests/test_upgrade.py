"""quorum.etcd.upgrade from etcd 3.4.23 to 3.5.1 on a live three-member cluster.

The cases run in file order, each on the cluster the one before left: bad targets are refused
before any host changes and check mode changes nothing; the upgrade runs with a writer, member
by member, the leader last; a second run changes nothing; a downgrade is refused; then, on a new
3.4.23 cluster, an upgrade stops at a member whose configuration is broken and a second run
resumes it."""

import json
import os
import re

import pytest

from lab import SCENARIO_DIR
from restarts import (HOSTS, NAMES, URLS, break_config, cluster_version, leader, order, playbook, start_times,
                      starts_logged_all, stopped_at, versions, wait_until)
from lab import client_tls
from writer import Writer

UPGRADE = "quorum.etcd.upgrade"


def installed(name):
    return sorted(HOSTS[name].check_output("ls /opt/etcd").split())


def snapshots(name):
    return sorted(HOSTS[name].run("ls /var/lib/etcd-backup").stdout.split())


def assert_nothing_changed(run, before, dirs):
    assert run.changed == [], run
    assert start_times() == before, "a member was restarted"
    assert {name: installed(name) for name in NAMES} == dirs, "a release was installed"


@pytest.mark.parametrize("target, refusal", [
    ("3.6.0", "from 3.4.23 to 3.6.0 skips 3.5: etcd upgrades one minor version at a time. Upgrade to the latest 3.5"
              " release first (etcd 3.6 needs every member on 3.5.26 or later before it)"),
    ("3.5", "etcd_version '3.5' is not an exact etcd release X.Y.Z such as 3.5.1"),
    ("latest", "etcd_version 'latest' is not an exact etcd release X.Y.Z such as 3.5.1"),
])
def test_a_bad_target_is_refused_before_any_host_changes(target, refusal):
    before = start_times()
    dirs = {name: installed(name) for name in NAMES}
    run = playbook(UPGRADE, "-e", "etcd_version=" + target)
    assert run.rc != 0, run
    assert any(m and m.startswith("upgrade to etcd %s refused, no host was changed: " % target) and refusal in m
               for m in run.messages), run
    assert_nothing_changed(run, before, dirs)


def test_check_mode_reports_the_plan_and_changes_nothing():
    before = start_times()
    dirs = {name: installed(name) for name in NAMES}
    run = playbook(UPGRADE, "-e", "etcd_version=3.5.1", "--check")
    assert run.rc == 0, run
    assert [task for task, _ in run.changed] == ["quorum.etcd.server : Report the plan"], run
    assert start_times() == before
    assert {name: installed(name) for name in NAMES} == dirs


def test_upgrade_to_3_5_1_with_a_writer():
    assert set(versions().values()) == {"3.4.23"} and cluster_version() == "3.4.0"
    first_leader = leader()
    before, logged = start_times(), starts_logged_all()

    with Writer(URLS, prefix="/upgrade/", tls=client_tls()) as writer:
        run = playbook(UPGRADE, "-e", "etcd_version=3.5.1")
    assert run.rc == 0, run
    report = writer.verify(URLS)
    print("upgrade 3.4.23 -> 3.5.1 with the writer: longest write gap %.3f s, %d errors, playbook %.1f s"
          % (report["longest_gap_seconds"], report["errors"], run.seconds))

    assert versions() == {name: "3.5.1" for name in NAMES}
    assert cluster_version() == "3.5.0"
    after = start_times()
    assert {name: count - logged[name] for name, count in starts_logged_all().items()} == {n: 1 for n in NAMES}
    assert sorted(after, key=after.get) == order(first_leader), (after, first_leader)
    for name in NAMES:
        assert installed(name) == ["v3.4.23", "v3.5.1"]
        assert HOSTS[name].file("/usr/local/bin/etcd").linked_to == "/opt/etcd/v3.5.1/etcd"
        assert HOSTS[name].file("/usr/local/bin/etcdutl").linked_to == "/opt/etcd/v3.5.1/etcdutl"

    # The snapshot was saved on the leader before the first member changed, and etcdutl reads it.
    saved = snapshots(first_leader)
    assert len(saved) == 1 and re.match(r"^etcd-[0-9a-f]+-v3\.4\.23-before-v3\.5\.1-\d{8}T\d{6}Z\.db$", saved[0]), saved
    status = json.loads(HOSTS[first_leader].check_output(
        "etcdutl snapshot status -w json /var/lib/etcd-backup/%s", saved[0]))
    assert status["revision"] > 0 and status["totalKey"] > 0, status
    assert [n for n in NAMES if n != first_leader and snapshots(n)] == []
    print("snapshot before the upgrade: %s:/var/lib/etcd-backup/%s, %s" % (first_leader, saved[0], status))


def test_a_second_run_changes_nothing():
    before = start_times()
    dirs = {name: installed(name) for name in NAMES}
    run = playbook(UPGRADE, "-e", "etcd_version=3.5.1")
    assert run.rc == 0, run
    assert_nothing_changed(run, before, dirs)


def test_a_downgrade_is_refused():
    before = start_times()
    dirs = {name: installed(name) for name in NAMES}
    run = playbook(UPGRADE, "-e", "etcd_version=3.4.23")
    assert run.rc != 0, run
    newer = ", ".join("%s (3.5.1)" % name for name in NAMES)
    assert any(m and m.startswith("upgrade to etcd 3.4.23 refused, no host was changed: etcd_version 3.4.23 is older"
                                  " than the version %s run: that is a downgrade" % newer) for m in run.messages), run
    assert_nothing_changed(run, before, dirs)


def _new_3_4_cluster():
    """Start over: stop etcd on every member, drop its data, deploy 3.4.23 again."""
    for name in NAMES:
        HOSTS[name].check_output("systemctl stop etcd && rm -rf /var/lib/etcd/member")
    deploy = playbook(os.path.join(SCENARIO_DIR, "converge.yml"))
    assert deploy.rc == 0, deploy
    assert set(versions().values()) == {"3.4.23"}


def test_an_upgrade_stopped_at_a_broken_member_resumes_when_run_again():
    _new_3_4_cluster()
    first, second, third = order(leader())
    break_config(second)
    before = start_times()

    with Writer(URLS, prefix="/upgrade/resume/", tls=client_tls()) as writer:
        stopped_run = playbook(UPGRADE, "-e", "etcd_version=3.5.1")
        stopped = start_times()
        acknowledged = len(writer.acknowledged)
        wait_until("the writer gets 50 more writes acknowledged",
                   lambda: len(writer.acknowledged) >= acknowledged + 50)

        message = stopped_at(stopped_run, second)
        assert "Restarted before it in this run: %s; not restarted: %s." % (first, third) in message
        assert stopped[first] > before[first] and stopped[third] == before[third]
        assert versions() == {first: "3.5.1", third: "3.4.23"}

        HOSTS[second].check_output("sed -i '/^ETCD_MAX_TXN_OPS=/d' /etc/etcd/etcd.conf")
        resumed_run = playbook(UPGRADE, "-e", "etcd_version=3.5.1")
        assert resumed_run.rc == 0, resumed_run
    report = writer.verify(URLS)
    print("upgrade stopped at %s and resumed, with the writer: longest write gap %.3f s, %d errors"
          % (second, report["longest_gap_seconds"], report["errors"]))

    resumed = start_times()
    assert resumed[first] == stopped[first], "%s already ran 3.5.1 and was restarted again" % first
    assert resumed[second] > stopped[second] and resumed[third] > stopped[third]
    assert resumed[third] > resumed[second]
    assert versions() == {name: "3.5.1" for name in NAMES}
    assert cluster_version() == "3.5.0"
