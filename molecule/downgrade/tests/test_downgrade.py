"""quorum.etcd.downgrade one minor version at a time on a live three-member cluster with TLS and
authentication on: 3.7.3 -> 3.6.16 -> 3.5.35, as etcd's downgrade guides describe it.

The cases run in file order, each on the cluster the one before left: bad targets are refused before
any host changes and check mode changes nothing; each step runs with a writer, enables etcd's downgrade
job, moves every member's storage version back, restarts the members one at a time, the leader last,
and writes the feature gate as the older release spells it; a second run and a deploy of the older
release change nothing."""

import re

import pytest

from restarts import HOSTS, NAMES, URL, cluster_version, playbook, post, roll_to, start_times

DOWNGRADE = "quorum.etcd.downgrade"


def installed(name):
    return sorted(HOSTS[name].check_output("ls /opt/etcd").split())


def config(name):
    return HOSTS[name].file("/etc/etcd/etcd.conf").content_string


def status(name):
    return post(URL[name], "/v3/maintenance/status")


def refused(target, *args):
    """Run a downgrade that must be refused before any host changes; returns its message."""
    before = start_times()
    dirs = {name: installed(name) for name in NAMES}
    run = playbook(DOWNGRADE, "-e", "etcd_version=" + target, *args)
    assert run.rc != 0, run
    assert run.changed == [], run
    assert start_times() == before, "a member was restarted"
    assert {name: installed(name) for name in NAMES} == dirs, "a release was installed"
    found = [m for m in run.messages if m and m.startswith("downgrade to etcd %s refused, no host was changed: "
                                                           % target)]
    assert found, run
    print(found[0])
    return found[0]


@pytest.mark.parametrize("target, refusal", [
    ("3.5.35", "from 3.7 to 3.5.35 skips 3.6: etcd downgrades one minor version at a time. Downgrade to the latest "
               "3.6 release first, then on from there."),
    ("3.8.0", "run older than etcd_version 3.8.0: a downgrade only goes back, and that is an upgrade; use "
              "quorum.etcd.upgrade."),
    ("3.6", "etcd_version '3.6' is not an exact etcd release X.Y.Z"),
])
def test_a_bad_target_is_refused_before_any_host_changes(target, refusal):
    assert refusal in refused(target)


def test_check_mode_reports_the_plan_and_changes_nothing():
    before = start_times()
    run = playbook(DOWNGRADE, "-e", "etcd_version=3.6.16", "--check")
    assert run.rc == 0, run
    assert [task for task, _ in run.changed] == [
        "quorum.etcd.server : Report the plan",
        "quorum.etcd.server : Enable etcd's downgrade job and wait for every member's storage: etcd 3.6.16"], run
    assert start_times() == before
    assert all(not status(name).get("downgradeInfo", {}).get("enabled") for name in NAMES)


def downgrade_step(source, target):
    """One rolling downgrade with the writer running (restarts.roll_to); then the links and etcd's job."""
    roll_to(DOWNGRADE, source, target)
    minor = ".".join(target.split(".")[:2])
    for name in NAMES:
        assert HOSTS[name].file("/usr/local/bin/etcd").linked_to == "/opt/etcd/v%s/etcd" % target
        assert "v" + source in installed(name), "the newer release stays installed, for a way back"
        # etcd ended its downgrade job once every member ran the older release.
        assert not status(name).get("downgradeInfo", {}).get("enabled"), status(name)
    # Every member moved its schema back before its restart (etcd's schema/migration.go logs it).
    for name in NAMES:
        logs = HOSTS[name].check_output("journalctl -u etcd -o cat --no-pager")
        assert re.search(r'"msg":"updated storage version".*"new-storage-version":"%s\.0"' % re.escape(minor),
                         logs), "%s logged no storage migration to %s" % (name, minor)


def test_downgrade_3_7_3_to_3_6_16_with_a_writer():
    assert cluster_version() == "3.7.0"
    downgrade_step("3.7.3", "3.6.16")
    for name in NAMES:
        assert status(name)["storageVersion"] == "3.6.0"
        assert 'ETCD_FEATURE_GATES="InitialCorruptCheck=true"' in config(name)


def test_a_second_run_changes_nothing():
    before = start_times()
    run = playbook(DOWNGRADE, "-e", "etcd_version=3.6.16")
    assert run.rc == 0, run
    assert run.changed == [] and start_times() == before, run


def test_a_setting_the_older_release_does_not_accept_is_refused_naming_its_old_name():
    message = refused("3.5.35", "-e", '{"etcd_extra_config": {"ETCD_CORRUPT_CHECK_TIME": "5m"}}')
    assert ("ETCD_CORRUPT_CHECK_TIME is not accepted by etcd 3.5 (added in 3.6): use "
            "ETCD_EXPERIMENTAL_CORRUPT_CHECK_TIME instead, in etcd_extra_config.") in message


def test_downgrade_3_6_16_to_3_5_35_with_a_writer():
    downgrade_step("3.6.16", "3.5.35")
    for name in NAMES:
        text = config(name)
        assert 'ETCD_EXPERIMENTAL_INITIAL_CORRUPT_CHECK="true"' in text and "ETCD_FEATURE_GATES" not in text


def test_a_deploy_of_the_older_release_changes_nothing():
    before = start_times()
    run = playbook("quorum.etcd.deploy", "-e", "etcd_version=3.5.35")
    assert run.rc == 0, run
    assert run.changed == [] and start_times() == before, run
