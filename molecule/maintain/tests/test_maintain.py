"""quorum.etcd.maintain and the scheduled maintenance on a live three-member cluster with authentication on.

In file order: a quiet cluster is left alone (every member under the rule, nothing changed) and
check mode prints the plan; then, with a writer running, the database (a 48 MiB quota) is filled until etcd raises
NOSPACE; another playbook refuses and names quorum.etcd.maintain; maintain compacts, defragments
every member with the leader last (read from the members' own logs), disarms the alarm and writes
succeed again, with every acknowledged write still there and every member's file smaller. Last,
the timer deploy turns on runs on every member at once: one member at a time is defragmented,
none while it leads, then none under the rule; a deploy without it turns the timers off."""

import base64
import json
import re
import threading
import time

from lab import (INVENTORY, PlaybookRun, address, admin_auth, client_tls, client_url, hosts, log_in, member_clock,
                 session)
from writer import Writer

HOSTS = {h.backend.name: h for h in hosts("etcd")}
NAMES = sorted(HOSTS)
URLS = [client_url(address(HOSTS[name])) for name in NAMES]
SESSION = session()
DB_FILE = "/var/lib/etcd/member/snap/db"
VALUE = base64.b64encode(b"x" * (1024 * 1024)).decode()


def post(path, body=None, url=URLS[0]):
    headers = {"Authorization": log_in(SESSION, url, *admin_auth(), timeout=3)}
    return SESSION.post(url + path, json=body or {}, headers=headers, timeout=10).json()


def alarms():
    return sorted(a.get("alarm", "NONE") for a in post("/v3/maintenance/alarm", {"action": "GET"}).get("alarms", []))


def leader():
    names = {m["ID"]: m["name"] for m in post("/v3/cluster/member/list")["members"]}
    return names[post("/v3/maintenance/status")["leader"]]


def disk_use():
    """{member: bytes its database file takes on disk}: bbolt grows the file sparse, 16 MiB at a time."""
    return {name: int(HOSTS[name].check_output("du --block-size=1 %s | cut -f1", DB_FILE)) for name in NAMES}


def db_sizes():
    """{member: its database size as etcd reports it}."""
    return {name: post("/v3/maintenance/status", url=url).get("dbSize") for name, url in zip(NAMES, URLS)}


def start_times():
    return {name: HOSTS[name].check_output("systemctl show etcd -p ActiveEnterTimestampMonotonic --value")
            for name in NAMES}


def defragmented_at(since):
    """{member: when its etcd logged that it finished defragmenting}, from each member's journal."""
    found = {}
    for name in NAMES:
        lines = HOSTS[name].run("journalctl -u etcd --since %s --no-pager -o cat | grep 'finished defragmenting'",
                                since).stdout.splitlines()
        assert len(lines) == 1, (name, lines)
        found[name] = json.loads(lines[0])["ts"]
    return found


def fill_until_nospace():
    """Overwrite one key with 1 MiB values until etcd refuses: each old value stays in the history."""
    for count in range(128):
        answer = post("/v3/kv/put", {"key": base64.b64encode(b"/maintain/fill").decode(), "value": VALUE})
        if "header" not in answer:
            assert "database space exceeded" in json.dumps(answer), answer
            return count
    raise AssertionError("128 MiB written under a 48 MiB quota without NOSPACE")


def maintain(*args):
    run = PlaybookRun(INVENTORY, "quorum.etcd.maintain", *args)
    print("maintain %s: rc %d in %.1f s\n%s" % (" ".join(args), run.rc, run.seconds, "\n".join(run.reports)))
    return run


def db_size_cell(table, endpoint):
    """The DB SIZE cell of an endpoint's row in an `etcdctl endpoint status -w table` style table."""
    lines = table.splitlines()
    header = [cell.strip() for cell in [line for line in lines if "DB SIZE" in line][0].split("|")]
    row = [cell.strip() for cell in [line for line in lines if line.startswith("| " + endpoint)][0].split("|")]
    return row[header.index("DB SIZE")]


def test_the_status_of_a_healthy_cluster_passes_and_reads_as_etcdctl_prints_it():
    status = PlaybookRun(INVENTORY, "quorum.etcd.status", "-e", "etcd_status_fail_unhealthy=true")
    assert status.rc == 0, status
    table = [r for r in status.reports if "RAFT APPLIED INDEX" in r]
    assert len(table) == 1 and table[0].splitlines()[-1].endswith(": healthy"), status.reports
    print(table[0])
    etcdctl = HOSTS[NAMES[0]].check_output(
        "set -a; . /etc/etcd/etcdctl.env; set +a; etcdctl --endpoints %s endpoint status -w table", URLS[0])
    assert db_size_cell(table[0], URLS[0]) == db_size_cell(etcdctl, URLS[0]), (table[0], etcdctl)
    # Below the table, each member's disk check (etcd_disk_fsync_samples writes of 2 KiB with fdatasync).
    disks = [line for line in table[0].splitlines() if line.startswith("disk of ")]
    assert [re.match(r"disk of (\S+) \(/var/lib/etcd\): fsync p99 [0-9.]+ ms, median [0-9.]+ ms, max [0-9.]+ ms "
                     r"over 100 writes of 2 KiB", line).group(1) for line in disks] == NAMES, disks


def test_a_quiet_cluster_is_left_alone_and_check_mode_prints_the_plan():
    plan = maintain("--check")
    assert plan.rc == 0, plan
    done = maintain()
    assert done.rc == 0 and done.changed == [], done
    report = [r for r in done.reports if r.startswith("no compaction")]
    assert len(report) == 1, done.reports
    # Every member is named, and skipped under the rule with its figures.
    lines = report[0].splitlines()[1:]
    assert sorted(line.split(":")[0].replace(" (leader)", "") for line in lines) == NAMES
    assert all("skipped: " in line and "MiB" in line for line in lines), lines


def test_nospace_is_cleared_every_member_defragmented_leader_last_and_no_write_lost():
    first_leader = leader()
    with Writer(URLS, prefix="/maintain/writer/", tls=client_tls(), auth=admin_auth()) as writer:
        time.sleep(1)
        written = fill_until_nospace()
        print("NOSPACE after %d values of 1 MiB" % written)
        assert "NOSPACE" in alarms()
        sizes, used = db_sizes(), disk_use()
        starts = start_times()

        # The status prints the table and the alarm, and fails only when asked to.
        status = PlaybookRun(INVENTORY, "quorum.etcd.status", "-e", "etcd_status_fail_unhealthy=true")
        assert status.rc != 0 and any("raised alarm NOSPACE" in (m or "") for m in status.messages), status
        assert any("NOT healthy" in report for report in status.reports), status.reports
        assert PlaybookRun(INVENTORY, "quorum.etcd.status").rc == 0

        refused = PlaybookRun(INVENTORY, "quorum.etcd.rolling_restart")
        assert refused.rc != 0 and any("quorum.etcd.maintain" in (m or "") for m in refused.messages), refused
        assert start_times() == starts, "a member was restarted under NOSPACE"

        plan = maintain("--check")
        assert plan.rc == 0 and "NOSPACE" in alarms(), plan
        assert "would be defragmented" in plan.reports[-1], plan.reports

        time.sleep(1)
        since = member_clock(HOSTS[NAMES[0]])
        done = maintain("-e", "etcd_maintain_keep_revisions=1")
        assert done.rc == 0, done
        time.sleep(2)  # the writer's writes go through again
    report = writer.verify(URLS)
    assert report["lost"] == 0
    print("writes refused or unanswered while NOSPACE was raised (outcome unknown to the writer): %d"
          % report["errors"])

    assert alarms() == []
    after, used_after = db_sizes(), disk_use()
    print("database sizes (bytes) before %s, after %s; on disk before %s, after %s" % (sizes, after, used, used_after))
    assert all(int(after[name]) < int(sizes[name]) / 2 for name in NAMES), (sizes, after)
    assert all(used_after[name] < used[name] / 2 for name in NAMES), (used, used_after)
    finished = defragmented_at(since)
    print("defragmentations finished: %s; the leader was %s" % (finished, first_leader))
    assert max(finished, key=finished.get) == first_leader, finished
    assert start_times() == starts, "maintain restarted a member"
    assert "header" in post("/v3/kv/put", {"key": base64.b64encode(b"/maintain/after").decode(), "value": "eA=="})


# The timer on, with a rule a few MiB of garbage meets.
TIMER = ("-e", "etcd_maintain_timer=true", "-e", "etcd_maintain_min_free_mb=1",
         "-e", "etcd_maintain_min_free_ratio=0.3")


def run_the_timers_service_on_every_member_at_once():
    """What the timers do when they fire together (each start returns once its run ended); returns each
    member's line from the journal."""
    since = member_clock(HOSTS[NAMES[0]])
    time.sleep(1)
    results = {}
    starts = [threading.Thread(target=lambda name=name: results.update(
        {name: HOSTS[name].run("systemctl start etcd-maintain.service")})) for name in NAMES]
    for start in starts:
        start.start()
    for start in starts:
        start.join(300)
    journal = {name: HOSTS[name].run("journalctl -u etcd-maintain --since %s -o cat --no-pager", since).stdout
               for name in NAMES}
    assert all(results[name].rc == 0 for name in NAMES), journal
    lines = {name: "\n".join(line for line in journal[name].splitlines() if line.startswith("etcd-maintain: "))
             for name in NAMES}
    print("etcd-maintain: %s" % lines)
    return since, lines


def defragmentations(since):
    """[(start, end, member)] from each member's etcd log, in the order they started."""
    spans = []
    for name in NAMES:
        log = HOSTS[name].run("journalctl -u etcd --since %s --no-pager -o cat | grep -E '\"msg\":\"(defragmenting|"
                              "finished defragmenting directory)\"'", since).stdout.splitlines()
        times = [json.loads(line)["ts"] for line in log]
        assert len(times) == 2, (name, log)
        spans.append((times[0], times[1], name))
    return sorted(spans)


def test_the_scheduled_maintenance_defragments_one_member_at_a_time_never_while_it_leads():
    deployed = PlaybookRun(INVENTORY, "quorum.etcd.deploy", *TIMER)
    assert deployed.rc == 0, deployed
    again = PlaybookRun(INVENTORY, "quorum.etcd.deploy", *TIMER)
    assert again.rc == 0 and again.changed == [], again
    for name in NAMES:
        assert HOSTS[name].service("etcd-maintain.timer").is_enabled
        assert HOSTS[name].service("etcd-maintain.timer").is_running

    # 6 MiB written and deleted, then compacted: a third of every member's file is garbage.
    for index in range(6):
        post("/v3/kv/put", {"key": base64.b64encode(b"/maintain/garbage/%d" % index).decode(), "value": VALUE})
    end = base64.b64encode(b"/maintain/garbage0").decode()
    post("/v3/kv/deleterange", {"key": base64.b64encode(b"/maintain/garbage/").decode(), "range_end": end})
    revision = post("/v3/kv/range", {"key": "AA==", "limit": 1})["header"]["revision"]
    post("/v3/kv/compaction", {"revision": revision, "physical": True})
    leader_before = leader()
    with Writer(URLS, prefix="/maintain/timer/", tls=client_tls(), auth=admin_auth()) as writer:
        time.sleep(2)  # the writer's commits let every member count the compacted pages as free
        since, lines = run_the_timers_service_on_every_member_at_once()
    report = writer.verify(URLS)
    assert report["lost"] == 0
    assert all("defragmented in" in line for line in lines.values()), lines
    assert "leadership handed to" in lines[leader_before], (leader_before, lines)
    spans = defragmentations(since)
    print("defragmentations (start, end, member): %s" % spans)
    # One at a time: each started after the one before had finished.
    assert all(later[0] > earlier[1] for earlier, later in zip(spans, spans[1:])), spans

    _, lines = run_the_timers_service_on_every_member_at_once()
    assert all(" skipped: " in line for line in lines.values()), lines

    off = PlaybookRun(INVENTORY, "quorum.etcd.deploy")
    assert off.rc == 0, off
    for name in NAMES:
        assert not HOSTS[name].service("etcd-maintain.timer").is_enabled
        assert not HOSTS[name].service("etcd-maintain.timer").is_running
