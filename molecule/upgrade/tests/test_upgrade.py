"""quorum.etcd.upgrade through the releases users run, on a live three-member cluster with TLS and
authentication on: 3.5.1 -> 3.5.35 -> 3.6.16 -> 3.7.3.

The cases run in file order, each on the cluster the one before left: bad targets are refused
before any host changes and check mode changes nothing; a deploy refuses another release for a
stopped cluster whose running versions it cannot read; each step runs with a writer, member by
member, the leader last, and rewrites the feature gate for the new release; a second run changes
nothing; a downgrade is left to quorum.etcd.downgrade; then, on a new 3.5.1 cluster, an upgrade
stops at a member whose configuration is broken and a second run resumes it."""

import json
import os
import re

import pytest

from lab import SCENARIO_DIR, admin_auth, client_tls
from restarts import (BAD_SETTING, HOSTS, NAMES, URLS, cluster_version, leader, order, playbook, roll_to,
                      start_times, stopped_at, versions)
from lab import wait_until
from writer import Writer

UPGRADE = "quorum.etcd.upgrade"
MEMBERS_ON_3_5_1 = ", ".join("%s (3.5.1)" % name for name in NAMES)


def installed(name):
    return sorted(HOSTS[name].check_output("ls /opt/etcd").split())


def snapshots(name):
    return sorted(HOSTS[name].run("ls /var/lib/etcd-backup").stdout.split())


def config(name):
    return HOSTS[name].file("/etc/etcd/etcd.conf").content_string


def feature_enabled(name, gate):
    """What etcd itself reports for a feature gate (etcd_server_feature_enabled, 3.6 and later)."""
    metrics = HOSTS[name].check_output(
        "python3 -c \"import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:2381/metrics')"
        ".read().decode())\"")
    found = re.search(r'^etcd_server_feature_enabled\{name="%s",stage="[A-Z]+"\} (\d)$' % gate, metrics, re.M)
    return found.group(1) if found else None


DROP_IN = "/etc/systemd/system/etcd.service.d/broken.conf"


def break_unit(name):
    """A setting etcd refuses at start, from a drop-in: the upgrade rewrites etcd.conf itself."""
    HOSTS[name].check_output("mkdir -p %s && printf '[Service]\\nEnvironment=%s\\n' > %s && systemctl daemon-reload"
                             % (os.path.dirname(DROP_IN), BAD_SETTING.replace('"', ''), DROP_IN))


def repair_unit(name):
    HOSTS[name].check_output("rm -f %s && systemctl daemon-reload" % DROP_IN)


def assert_nothing_changed(run, before, dirs):
    assert run.changed == [], run
    assert start_times() == before, "a member was restarted"
    assert {name: installed(name) for name in NAMES} == dirs, "a release was installed"


def refused(target, *args):
    """Run an upgrade that must be refused before any host changes; returns its messages."""
    before = start_times()
    dirs = {name: installed(name) for name in NAMES}
    run = playbook(UPGRADE, "-e", "etcd_version=" + target, *args)
    assert run.rc != 0, run
    assert_nothing_changed(run, before, dirs)
    found = [m for m in run.messages if m and m.startswith("upgrade to etcd %s refused, no host was changed: " % target)]
    assert found, run
    print(found[0])
    return found[0]


@pytest.mark.parametrize("target, refusal", [
    ("3.6.16", "etcd 3.6 needs every member on 3.5.26 or later before the upgrade; %s run older: upgrade to 3.5.26 "
               "or a later 3.5 release first." % MEMBERS_ON_3_5_1),
    ("3.7.3", "from 3.5.1 to 3.7.3 skips 3.6: etcd upgrades one minor version at a time. Upgrade to the latest 3.6"
              " release first (etcd 3.7 needs every member on 3.6.11 or later before it)"),
    ("3.5", "etcd_version '3.5' is not an exact etcd release X.Y.Z such as 3.5.1"),
    ("latest", "etcd_version 'latest' is not an exact etcd release X.Y.Z such as 3.5.1"),
])
def test_a_bad_target_is_refused_before_any_host_changes(target, refusal):
    assert refusal in refused(target)


def test_check_mode_reports_the_plan_and_changes_nothing():
    before = start_times()
    dirs = {name: installed(name) for name in NAMES}
    run = playbook(UPGRADE, "-e", "etcd_version=3.5.35", "--check")
    assert run.rc == 0, run
    assert [task for task, _ in run.changed] == ["quorum.etcd.server : Report the plan"], run
    assert start_times() == before
    assert {name: installed(name) for name in NAMES} == dirs



def linked(name):
    return HOSTS[name].check_output("readlink -f /usr/local/bin/etcd")


def test_a_deploy_refuses_another_release_for_a_cluster_it_cannot_ask():
    """Every member stopped: no member says which version it runs, so the release installed on the
    members with data stands in, and a deploy with another etcd_version is refused before any host
    changes (it would otherwise link the new release on every member at once and start them)."""
    links = {name: linked(name) for name in NAMES}
    dirs = {name: installed(name) for name in NAMES}
    for name in NAMES:
        HOSTS[name].check_output("systemctl stop etcd")
    try:
        run = playbook("quorum.etcd.deploy", "-e", "etcd_version=3.5.35")
        assert run.rc != 0, run
        expected = ("no member answered with the version it runs, and members with data have another etcd installed "
                    "than etcd_version 3.5.35: %s; a deploy does not change the release of members it cannot read"
                    % ", ".join("%s (3.5.1)" % name for name in NAMES))
        assert [m for m in run.messages if expected in (m or "")], run
        print(expected)
        assert run.changed == [], run
        assert {name: linked(name) for name in NAMES} == links
        assert {name: installed(name) for name in NAMES} == dirs
        assert not any(HOSTS[name].service("etcd").is_running for name in NAMES)
    finally:
        for name in NAMES:
            HOSTS[name].run("systemctl start --no-block etcd")
    wait_until("every member runs 3.5.1 again", lambda: versions() == {name: "3.5.1" for name in NAMES}, timeout=60)

def upgrade_step(source, target):
    """One rolling upgrade with the writer running (restarts.roll_to); then the links, the snapshot and
    the feature gate as the new release spells it."""
    snapshots_before = {name: snapshots(name) for name in NAMES}
    first_leader, report = roll_to(UPGRADE, source, target)
    for name in NAMES:
        assert "v" + target in installed(name)
        for binary in ("etcd", "etcdctl", "etcdutl"):
            assert HOSTS[name].file("/usr/local/bin/" + binary).linked_to == "/opt/etcd/v%s/%s" % (target, binary)
        assert not HOSTS[name].file("/etc/etcd/etcd.conf.next").exists

    # One verified snapshot, saved before the first member changed, on the leader of the time.
    new = sorted(set(snapshots(first_leader)) - set(snapshots_before[first_leader]))
    assert len(new) == 1 and re.match(r"^etcd-[0-9a-f]+-v%s-before-v%s-\d{8}T\d{6}Z\.db$"
                                      % (re.escape(source), re.escape(target)), new[0]), new
    status = json.loads(HOSTS[first_leader].check_output(
        "etcdutl snapshot status -w json /var/lib/etcd-backup/%s", new[0]))
    assert status["revision"] > 0 and status["totalKey"] > 0, status
    assert [n for n in NAMES if n != first_leader and snapshots(n) != snapshots_before[n]] == []
    return report


def test_upgrade_3_5_1_to_3_5_35_with_a_writer():
    assert cluster_version() == "3.5.0"
    for name in NAMES:
        assert 'ETCD_EXPERIMENTAL_INITIAL_CORRUPT_CHECK="true"' in config(name)
    upgrade_step("3.5.1", "3.5.35")


def test_upgrade_3_5_35_to_3_6_16_with_a_writer():
    upgrade_step("3.5.35", "3.6.16")
    for name in NAMES:
        text = config(name)
        assert 'ETCD_FEATURE_GATES="InitialCorruptCheck=true"' in text and "ETCD_EXPERIMENTAL_INITIAL" not in text
        assert feature_enabled(name, "InitialCorruptCheck") == "1"


def test_a_setting_the_next_release_removed_is_refused_naming_its_replacement():
    message = refused("3.7.3", "-e", '{"etcd_extra_config": {"ETCD_EXPERIMENTAL_CORRUPT_CHECK_TIME": "5m"}}')
    for name in NAMES:
        assert ("%s: ETCD_EXPERIMENTAL_CORRUPT_CHECK_TIME is set in its etcd configuration, which etcd 3.7 no longer "
                "accepts; take it out of etcd_extra_config (use ETCD_CORRUPT_CHECK_TIME for "
                "ETCD_EXPERIMENTAL_CORRUPT_CHECK_TIME)" % name) in message


def test_3_7_is_refused_on_data_it_cannot_replay():
    """This cluster enabled authentication on 3.5.1: etcd 3.7.3 panics on its data ("unmarshal should never
    fail"). The trial start on a copy of each member's data finds it before any member restarts."""
    before = start_times()
    run = playbook(UPGRADE, "-e", "etcd_version=3.7.3")
    assert run.rc != 0, run
    assert start_times() == before, "a member was restarted"
    assert versions() == {name: "3.6.16" for name in NAMES}
    message = [m for m in run.messages if m and m.startswith("upgrade to etcd 3.7.3 refused, no member was restarted")]
    assert message, run
    print(message[0])
    for name in NAMES:
        assert "%s: /opt/etcd/v3.7.3/etcd exited on a copy of /var/lib/etcd" % name in message[0]
        assert "unmarshal should never fail" in message[0]
        assert not HOSTS[name].run("ls /var/tmp/etcd-trial*").stdout.strip(), "a trial copy was left behind"


def test_upgrade_3_6_16_to_3_7_3_with_a_writer():
    """On a cluster that enabled authentication on 3.6.16 (see the case before for one that did on 3.5)."""
    _new_cluster("3.6.16")
    upgrade_step("3.6.16", "3.7.3")
    for name in NAMES:
        assert 'ETCD_FEATURE_GATES="InitialCorruptCheck=true"' in config(name)
        assert feature_enabled(name, "InitialCorruptCheck") == "1"


def test_a_second_run_changes_nothing():
    before = start_times()
    dirs = {name: installed(name) for name in NAMES}
    run = playbook(UPGRADE, "-e", "etcd_version=3.7.3")
    assert run.rc == 0, run
    assert_nothing_changed(run, before, dirs)


def test_a_downgrade_is_left_to_the_downgrade_playbook():
    message = refused("3.6.16")
    newer = ", ".join("%s (3.7.3)" % name for name in NAMES)
    assert ("etcd_version 3.6.16 is older than the version %s run: that is a downgrade, which quorum.etcd.upgrade "
            "does not do. Keep etcd_version at the running version, or run quorum.etcd.downgrade" % newer) in message


def _new_cluster(version="3.5.1"):
    """Start over: stop etcd on every member, drop its data, deploy ``version`` with authentication."""
    for name in NAMES:
        HOSTS[name].check_output("systemctl stop etcd && rm -rf /var/lib/etcd/member")
    deploy = playbook(os.path.join(SCENARIO_DIR, "converge.yml"), "-e", "etcd_version=" + version)
    assert deploy.rc == 0, deploy
    assert set(versions().values()) == {version}


def test_an_upgrade_stopped_at_a_broken_member_resumes_when_run_again():
    _new_cluster()
    first, second, third = order(leader())
    break_unit(second)
    before = start_times()

    with Writer(URLS, prefix="/upgrade/resume/", tls=client_tls(), auth=admin_auth()) as writer:
        stopped_run = playbook(UPGRADE, "-e", "etcd_version=3.5.35")
        stopped = start_times()
        acknowledged = len(writer.acknowledged)
        wait_until("the writer gets 50 more writes acknowledged",
                   lambda: len(writer.acknowledged) >= acknowledged + 50)

        message = stopped_at(stopped_run, second)
        assert "Restarted before it in this run: %s; not restarted: %s." % (first, third) in message
        assert stopped[first] > before[first] and stopped[third] == before[third]
        assert versions() == {first: "3.5.35", third: "3.5.1"}
        # The release links switch on each member right before its own restart: the member the run never
        # reached still links the old release, although the new one is installed beside it.
        linked = {name: HOSTS[name].file("/usr/local/bin/etcd").linked_to for name in (first, third)}
        assert linked == {first: "/opt/etcd/v3.5.35/etcd", third: "/opt/etcd/v3.5.1/etcd"}, linked
        assert "v3.5.35" in installed(third)

        repair_unit(second)
        resumed_run = playbook(UPGRADE, "-e", "etcd_version=3.5.35")
        assert resumed_run.rc == 0, resumed_run
    report = writer.verify(URLS)
    print("upgrade stopped at %s and resumed, with the writer: %d acknowledged, %d lost, longest write gap %.3f s"
          % (second, report["acknowledged"], report["lost"], report["longest_gap_seconds"]))

    resumed = start_times()
    assert resumed[first] == stopped[first], "%s already ran 3.5.35 and was restarted again" % first
    assert resumed[second] > stopped[second] and resumed[third] > stopped[third]
    assert resumed[third] > resumed[second]
    assert versions() == {name: "3.5.35" for name in NAMES}
