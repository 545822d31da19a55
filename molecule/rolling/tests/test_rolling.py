"""quorum.etcd.rolling_restart on a live three-member cluster with a writer running.

The cases run in file order, each on the cluster the one before left: check mode restarts
nothing; every member restarts exactly once, the leader last; a member whose configuration is
broken stops the run at its restart, the member after it is untouched and writes go on; the
server role then repairs it through the same gates; a member down outside the play (--limit) still
holds the gates, so nothing restarts; a deploy started while a rolling restart
runs is refused by the run lock with nothing changed (the rolling restart renews its lock at each
member), and a lock left behind is broken only when asked."""

import json
import shlex
import threading
import time

from restarts import (BAD_SETTING, HOSTS, NAMES, URL, URLS, break_config, leader, order, playbook, start_times,
                      started_at, starts_logged_all, stopped_at, versions)
from lab import PlaybookRun, admin_auth, assert_anonymous_writes_refused, client_tls, inventory_copy, wait_until
from writer import Writer

LOCK = "/run/quorum-etcd/etcd-cluster.lock"  # etcd_run_lock_dir / etcd_cluster_token, on the group's first host


def test_check_mode_restarts_nothing():
    before = start_times()
    run = playbook("quorum.etcd.rolling_restart", "--check")
    assert run.rc == 0, run
    assert [task for task, _ in run.changed] == [
        "quorum.etcd.server : Report the order check mode would restart the members in"], run
    assert start_times() == before


def test_every_member_restarts_once_the_leader_last_and_a_second_run_meanwhile_is_refused():
    first_leader = leader()
    before, logged = start_times(), starts_logged_all()
    lock_host = HOSTS[NAMES[0]]
    assert not lock_host.file(LOCK).exists

    runs, expiries, watch_errors = [], [], []

    def watch_the_lock():
        # What the lock says while the rolling restart runs: its expiry moves on at each member's restart.
        try:
            while rolling.is_alive():
                shown = lock_host.run("cat %s" % LOCK)
                if shown.rc == 0 and shown.stdout.strip():
                    expires = json.loads(shown.stdout)["expires"]
                    if not expiries or expiries[-1] != expires:
                        expiries.append(expires)
                time.sleep(0.5)
        except Exception as e:  # noqa: BLE001 - shown by the assertion below
            watch_errors.append(repr(e))

    with Writer(URLS, prefix="/rolling/restart/", tls=client_tls(), auth=admin_auth()) as writer:
        rolling = threading.Thread(target=lambda: runs.append(playbook("quorum.etcd.rolling_restart")))
        watcher = threading.Thread(target=watch_the_lock)
        rolling.start()
        watcher.start()
        try:
            wait_until("the rolling restart holds the lock", lambda: lock_host.file(LOCK).exists)
            second = playbook("quorum.etcd.deploy")
        finally:
            rolling.join()
            watcher.join()
    assert runs and runs[0].rc == 0, runs
    run = runs[0]
    report = writer.verify(URLS)
    print("rolling restart with the writer: longest write gap %.3f s, %d errors, playbook %.1f s"
          % (report["longest_gap_seconds"], report["errors"], run.seconds))

    # The deploy started meanwhile was refused by the run lock with nothing changed (each member
    # restarted exactly once, below), and the rolling restart gave the lock back.
    assert second.rc != 0 and all(stats["changed"] == 0 for stats in second.recap.values()), second
    refusal = [m for m in second.messages if "another run holds the lock of this cluster" in (m or "")]
    assert refusal and 'play "Restart the etcd members one at a time, the leader last" run by ' in refusal[0], \
        second.messages
    assert LOCK in refusal[0]
    print("refused: %s" % refusal[0])
    # The run renewed its lock before restarting members: a long run keeps it past its first timeout.
    assert not watch_errors, watch_errors
    assert len(expiries) >= 2 and expiries == sorted(expiries), expiries
    print("the lock's expiry moved on %d times during the run" % (len(expiries) - 1))
    assert not lock_host.file(LOCK).exists

    after = start_times()
    assert all(after[name] > before[name] for name in NAMES), (before, after)
    assert_anonymous_writes_refused(URLS)
    assert {name: count - logged[name] for name, count in starts_logged_all().items()} == {n: 1 for n in NAMES}
    assert sorted(after, key=after.get) == order(first_leader), (after, first_leader)
    # The leader handed over before its restart, and only then.
    moves = [task for task, _ in run.changed if "Move the leadership away from" in task]
    assert moves == ["quorum.etcd.server : Move the leadership away from %s" % first_leader], run.changed


def test_a_broken_member_stops_the_run_and_the_rest_is_untouched():
    first_leader = leader()
    first, second, third = order(first_leader)
    break_config(second)
    before = start_times()

    with Writer(URLS, prefix="/rolling/broken/", tls=client_tls(), auth=admin_auth()) as writer:
        run = playbook("quorum.etcd.rolling_restart")
        stopped = start_times()
        acknowledged = len(writer.acknowledged)
        # Two members of three keep the quorum: the cluster goes on taking writes.
        wait_until("the writer gets 50 more writes acknowledged",
                   lambda: len(writer.acknowledged) >= acknowledged + 50)

        message = stopped_at(run, second)
        # A run that failed gave its lock back: the repair below may start at once.
        assert not HOSTS[NAMES[0]].file(LOCK).exists
        assert 'last logged: ' in message and 'invalid value \\"many\\" for ETCD_MAX_TXN_OPS' in message, message
        assert "Restarted before it in this run: %s; not restarted: %s." % (first, third) in message, message
        assert stopped[first] > before[first]
        assert stopped[third] == before[third], "%s was restarted after the run stopped" % third
        assert HOSTS[third].service("etcd").is_running

        # The server role writes the configuration again and restarts that member alone, through
        # the same gates: before, the two others must be healthy; after, all three.
        repair = playbook("quorum.etcd.deploy")
        assert repair.rc == 0, repair
    writer.verify(URLS)

    repaired = start_times()
    assert repaired[second] > stopped[second]
    assert {n: repaired[n] for n in (first, third)} == {n: stopped[n] for n in (first, third)}
    assert BAD_SETTING not in HOSTS[second].file("/etc/etcd/etcd.conf").content_string
    assert all(HOSTS[name].service("etcd").is_running for name in NAMES)


def test_a_running_but_disabled_member_is_restarted_for_its_changes():
    """Enabling the unit is a change of its own: the member must still restart to read its new
    configuration, through the gates, and the others must not."""
    name = NAMES[0]
    HOSTS[name].check_output("systemctl disable etcd && echo '# changed by hand' >> /etc/etcd/etcd.conf")
    before = start_times()

    with Writer(URLS, prefix="/rolling/disabled/", tls=client_tls(), auth=admin_auth()) as writer:
        run = playbook("quorum.etcd.deploy")
    assert run.rc == 0, run
    writer.verify(URLS)

    after = start_times()
    assert after[name] > before[name], "%s was not restarted for its new configuration" % name
    assert {n: after[n] for n in NAMES if n != name} == {n: before[n] for n in NAMES if n != name}
    assert HOSTS[name].service("etcd").is_enabled
    assert "# changed by hand" not in HOSTS[name].file("/etc/etcd/etcd.conf").content_string



def test_a_member_down_outside_the_play_still_counts_in_the_gates():
    """One member stopped and its host left out of the run (--limit, as a host that failed earlier leaves
    the play): restarting either of the two others would leave one of three members running. The gates
    count every member the cluster lists, so the run restarts nothing, with the two others in the play
    or only one of them."""
    first, second, down = order(leader())
    HOSTS[down].check_output("systemctl stop etcd")
    try:
        before = {name: started_at(name) for name in (first, second)}
        for limit in ("%s,%s" % (first, second), first):
            with Writer([URL[first], URL[second]], prefix="/rolling/gate/", tls=client_tls(),
                        auth=admin_auth()) as writer:
                run = playbook("quorum.etcd.rolling_restart", "--limit", limit, "-e", "etcd_wait_timeout=10")
            writer.verify([URL[first], URL[second]])
            assert run.rc != 0, run
            print("--limit %s refused: %s" % (limit, run.messages))
            said = "endpoint %s (member %s, not among the endpoints given) did not answer" % (URL[down], down)
            assert any(said in (m or "") for m in run.messages), run.messages
            assert {name: started_at(name) for name in (first, second)} == before
    finally:
        HOSTS[down].check_output("systemctl start etcd")
    wait_until("every member runs", lambda: len(versions()) == len(NAMES), timeout=60)


def test_a_group_that_lacks_a_member_of_the_cluster_is_refused_before_any_restart(tmp_path):
    """The inventory lost a host whose member still votes: the gates would expect two members, and
    that member would never be restarted. The run names both lists and restarts nothing."""
    kept = NAMES[:-1]
    inventory = inventory_copy(tmp_path, {"etcd": kept})
    before = start_times()
    run = PlaybookRun(inventory, "quorum.etcd.rolling_restart")
    assert run.rc != 0, run
    said = ("the voting members of the cluster (%s) are not the hosts of group etcd (%s; members of those in the "
            "play: %s)" % (", ".join(sorted(NAMES)), ", ".join(kept), ", ".join(kept)))
    print("a group without %s: %s" % (NAMES[-1], run.messages))
    assert any(said in (m or "") for m in run.messages), run.messages
    assert start_times() == before


CONF = "/etc/etcd/etcd.conf"


def test_new_settings_wait_on_each_member_until_its_own_restart():
    """A value etcd refuses at start: the roll stops at the first member it restarts; the others run on
    with their active settings, the new ones staged beside them (etcd.conf.staged); the run with the value
    fixed restarts only that member and removes what was staged on the others."""
    first_leader = leader()
    first, second, third = order(first_leader)
    before = start_times()
    active = {name: HOSTS[name].file(CONF).content_string for name in NAMES}

    with Writer(URLS, prefix="/rolling/staged/", tls=client_tls(), auth=admin_auth()) as writer:
        bad = playbook("quorum.etcd.deploy", "-e", json.dumps({"etcd_extra_config": {"ETCD_MAX_TXN_OPS": "many"}}))
        stopped_at(bad, first)
        stopped = start_times()
        for name in (second, third):
            assert HOSTS[name].file(CONF).content_string == active[name], name
            assert BAD_SETTING in HOSTS[name].file(CONF + ".staged").content_string, name
            assert HOSTS[name].service("etcd").is_running and stopped[name] == before[name], name
        assert BAD_SETTING in HOSTS[first].file(CONF).content_string
        fixed = playbook("quorum.etcd.deploy")
        assert fixed.rc == 0, fixed
    report = writer.verify(URLS)
    print("a roll stopped at its first member and its repair: %d writes acknowledged, longest gap %.3f s"
          % (report["acknowledged"], report["longest_gap_seconds"]))

    after = start_times()
    assert {n: after[n] for n in (second, third)} == {n: before[n] for n in (second, third)}
    assert {name: HOSTS[name].file(CONF).content_string for name in NAMES} == active
    assert not any(HOSTS[name].file(CONF + ".staged").exists for name in NAMES)



def test_a_lock_left_behind_by_a_run_that_died_is_broken_only_when_asked():
    lock_host = HOSTS[NAMES[0]]
    left = json.dumps({"owner": "gone", "holder": "deploy by ci on a dead controller", "since": time.time() - 60,
                       "expires": time.time() + 3600})
    lock_host.check_output("mkdir -p /run/quorum-etcd && printf '%%s' %s > %s" % (shlex.quote(left), LOCK))
    refused = playbook("quorum.etcd.deploy")
    assert refused.rc != 0 and any("(deploy by ci on a dead controller, since " in (m or "")
                                   for m in refused.messages), refused.messages
    # A run limited to other hosts meets the same lock, on the group's first host out of its play.
    limited = playbook("quorum.etcd.rolling_restart", "--limit", NAMES[1])
    assert limited.rc != 0 and any("(deploy by ci on a dead controller, since " in (m or "")
                                   for m in limited.messages), limited.messages
    assert all(stats["changed"] == 0 for stats in limited.recap.values()), limited
    broke = playbook("quorum.etcd.deploy", "-e", "etcd_run_lock_break=true")
    assert broke.rc == 0, broke
    assert any(m.startswith("broke the lock of %s (deploy by ci on a dead controller" % LOCK) for m in broke.reports), \
        broke.reports
    assert all(stats["changed"] == 0 for stats in broke.recap.values()), broke
    assert not lock_host.file(LOCK).exists
