"""A standby cluster fed by quorum.etcd.mirror, then quorum.etcd.failover to it.

Converge deployed a one-member primary (group etcd), a one-member standby (group standby)
and the mirror on the standby's host (group etcd_mirror). The cases run in file order, each
on what the one before left: writes reach the standby; bad input is refused with the mirror
untouched; the status playbook prints a lag figure; a killed mirror is restarted by systemd;
the fail-over is refused without its confirmation, then stops the mirror with every write
acknowledged before it on the standby, which takes writes; the mirror then refuses to start
again into the standby it no longer owns.

Delays are printed, never asserted against a speed: each wait has a deadline only so that a
mirror that does not work fails the test instead of hanging it."""

import base64
import json
import re
import subprocess
import time

import requests

import lab
from lab import INVENTORY, PlaybookRun, address, hosts, wait_until
from writer import Writer

PRIMARY = hosts("etcd")[0]
STANDBY = hosts("standby")[0]
MIRROR = hosts("etcd_mirror")[0]
PRIMARY_URLS = [lab.client_url(address(PRIMARY), "etcd")]
STANDBY_URLS = [lab.client_url(address(STANDBY), "standby")]
SERVICE = "etcd-mirror"
HEARTBEAT = "/quorum.etcd/mirror/heartbeat"
DEADLINE = 60  # seconds; a failure condition, not a speed target


def session(group):
    """requests session for the admin client of a cluster (TLS when it has certificates)."""
    s = requests.Session()
    tls = lab.client_tls(group)
    if tls:
        s.verify, s.cert = tls["verify"], tls["cert"]
    return s


def _b64(text):
    return base64.b64encode(text.encode()).decode()


def get(group, url, key):
    answer = session(group).post(url + "/v3/kv/range", timeout=5,
                                 json={"key": _b64(key)})
    answer.raise_for_status()
    kvs = answer.json().get("kvs", [])
    return base64.b64decode(kvs[0]["value"]).decode() if kvs else None


def put(group, url, key, value):
    answer = session(group).post(url + "/v3/kv/put", timeout=5, json={"key": _b64(key), "value": _b64(value)})
    answer.raise_for_status()


STAGE_TLS = "quorum.etcd.mirror : Create the mirror's directories and copy the TLS files from the controller for checking"


def heartbeat_moves():
    """The heartbeat written to the primary changes within a few intervals."""
    first = get("etcd", PRIMARY_URLS[0], HEARTBEAT)
    wait_until("new heartbeat on the primary", lambda: get("etcd", PRIMARY_URLS[0], HEARTBEAT) != first, 30)
    return True


def main_pid():
    return int(MIRROR.check_output("systemctl show %s -p MainPID --value" % SERVICE))


def messages(playbook, *args):
    """rc and the msg of every task result of one ansible-playbook run (debug output included)."""
    done = subprocess.run(["ansible-playbook", "-i", INVENTORY, playbook, *args],
                          env=lab._json_env(), capture_output=True, text=True)
    report = json.loads(done.stdout)
    found = []
    for play in report["plays"]:
        for task in play["tasks"]:
            for result in task["hosts"].values():
                if result.get("msg"):
                    found.append(str(result["msg"]))
    return done.returncode, found


def test_writes_on_the_primary_reach_the_standby():
    with Writer(PRIMARY_URLS, prefix="/mirror/live/", tls=lab.client_tls("etcd")) as writer:
        time.sleep(5)
    writer.verify(PRIMARY_URLS)
    last = max(writer.acknowledged)
    _, took = wait_until("last acknowledged write on the standby",
                         lambda: get("standby", STANDBY_URLS[0], last) == writer.acknowledged[last], DEADLINE)
    print("mirror: %d writes in 5 s; the last reached the standby %.2f s after the writer stopped"
          % (len(writer.acknowledged), took))
    # Every acknowledged write, read through the standby, with the same value.
    print("on the standby:")
    standby = Writer(STANDBY_URLS, prefix="/mirror/live/", tls=lab.client_tls("standby"))
    standby.acknowledged, standby.attempts = dict(writer.acknowledged), writer.attempts
    standby.verify(STANDBY_URLS)

    # One key on its own: the delay of a single change.
    stamp = "%.6f" % time.time()
    put("etcd", PRIMARY_URLS[0], "/mirror/single", stamp)
    _, took = wait_until("single key on the standby", lambda: get("standby", STANDBY_URLS[0], "/mirror/single") == stamp,
                         DEADLINE)
    print("mirror: one key reached the standby in %.2f s" % took)


# The standby's CA and admin certificate in place of the primary's, when it has them.
STANDBY_AS_SOURCE = {
    "etcd_mirror_source_%s_src" % var: ("%s/%s" % (lab.pki_dir("standby"), name) if lab.client_tls("standby") else "")
    for var, name in (("ca_cert", "ca.crt"), ("client_cert", "admin.crt"), ("client_key", "admin.key"))}


def test_bad_input_is_refused_and_the_mirror_left_alone():
    before = main_pid()
    cases = [
        # The same cluster by the same URL: refused from the variables alone.
        (["-e", json.dumps({"etcd_mirror_dest_endpoints": PRIMARY_URLS})],
         "the source and the destination must be different clusters"),
        # The standby twice, by two spellings of its URL (with its own TLS files on both
        # sides): refused by its cluster ID.
        (["-e", json.dumps(dict(STANDBY_AS_SOURCE, etcd_mirror_source_endpoints=STANDBY_URLS,
                                etcd_mirror_dest_endpoints=[STANDBY_URLS[0] + "/"]))],
         "the source and the destination are the same cluster"),
        (["-e", json.dumps({"etcd_mirror_dest_prefix": "/a/", "etcd_mirror_no_dest_prefix": True})],
         "set etcd_mirror_dest_prefix or etcd_mirror_no_dest_prefix, not both"),
        (["-e", json.dumps({"etcd_mirror_source_client_key_src": "/nonexistent/admin.key"})],
         "no such file on the controller: /nonexistent/admin.key"),
    ]
    for args, expected in cases:
        run = PlaybookRun(INVENTORY, "quorum.etcd.mirror", *args)
        print("refused: %s" % [m for m in run.messages if m][:1])
        assert run.rc != 0, run
        assert any(expected in (m or "") for m in run.messages), (expected, run)
        # Only the files under check changed, in a place of their own.
        assert {task for task, _ in run.changed} <= {STAGE_TLS}, run
    assert main_pid() == before, "the mirror was restarted by a refused run"
    heartbeat_moves()  # the mirror host still reaches the primary with its own files

    # The right files are checked again; the mirror's own never changed, so nothing restarts.
    run = PlaybookRun(INVENTORY, "quorum.etcd.mirror")
    assert run.rc == 0, run
    assert {task for task, _ in run.changed} <= {STAGE_TLS}, run
    assert main_pid() == before


def test_check_mode_and_a_second_run_change_nothing():
    before = main_pid()
    for args in (["--check"], []):
        run = PlaybookRun(INVENTORY, "quorum.etcd.mirror", *args)
        assert run.rc == 0, run
        assert not run.changed, run
        print("quorum.etcd.mirror %s: no change in %.0f s" % (" ".join(args) or "(again)", run.seconds))
    assert main_pid() == before


def test_status_prints_the_lag():
    rc, found = messages("quorum.etcd.status")
    assert rc == 0, found
    lag = [m for m in found if m.startswith("etcd mirror on ")]
    assert len(lag) == 1, found
    print(lag[0])
    figure = re.search(r"service active; lag (-?[0-9.]+) s ", lag[0])
    assert figure, lag[0]
    # The standby never holds a heartbeat newer than the primary's.
    assert float(figure.group(1)) >= 0


def test_each_heartbeat_leaves_the_lag_for_node_exporter():
    textfile = "/var/lib/prometheus/node-exporter/etcd_mirror_etcd.prom"
    before = MIRROR.file(textfile).mtime
    wait_until("a heartbeat's metrics", lambda: MIRROR.file(textfile).mtime > before, 30)
    metrics = {line.split("{")[0]: float(line.rsplit(" ", 1)[1])
               for line in MIRROR.file(textfile).content_string.splitlines() if line.startswith("etcd_mirror_")}
    print("mirror textfile: %s" % metrics)
    assert metrics["etcd_mirror_up"] == 1, metrics
    # Known to within the heartbeat interval (5 s), and never negative.
    assert 0 <= metrics["etcd_mirror_lag_seconds"] <= 10, metrics
    assert 'etcd_cluster="etcd"' in MIRROR.file(textfile).content_string


def test_a_killed_mirror_is_restarted_by_systemd():
    before = main_pid()
    assert before > 0
    MIRROR.run("kill -KILL %d" % before)
    _, took = wait_until("new mirror process", lambda: main_pid() not in (0, before)
                         and MIRROR.service(SERVICE).is_running, DEADLINE)
    print("mirror: killed process %d, systemd started %d %.1f s later" % (before, main_pid(), took))
    restarts = int(MIRROR.check_output("systemctl show %s -p NRestarts --value" % SERVICE))
    assert restarts >= 1
    # The new process mirrors: a key written now reaches the standby.
    stamp = "%.6f" % time.time()
    put("etcd", PRIMARY_URLS[0], "/mirror/after-kill", stamp)
    _, took = wait_until("key written after the restart on the standby",
                         lambda: get("standby", STANDBY_URLS[0], "/mirror/after-kill") == stamp, DEADLINE)
    print("mirror: after the restart a key reached the standby in %.2f s" % took)


def test_failover_is_refused_without_confirmation():
    run = PlaybookRun(INVENTORY, "quorum.etcd.failover")
    assert run.rc != 0, run
    assert any("Set etcd_failover_confirm: true" in (m or "") for m in run.messages), run
    assert not run.changed, run
    assert MIRROR.service(SERVICE).is_running and MIRROR.service(SERVICE).is_enabled


def test_failover_keeps_every_write_acknowledged_before_it():
    with Writer(PRIMARY_URLS, prefix="/mirror/failover/", tls=lab.client_tls("etcd")) as writer:
        time.sleep(3)
        before = dict(writer.acknowledged)  # acknowledged before the fail-over began
        rc, found = messages("quorum.etcd.failover", "-e", "etcd_failover_confirm=true")
    assert rc == 0, found
    # The primary kept every write, those made during the fail-over too.
    writer.verify(PRIMARY_URLS)
    done = [m for m in found if m.startswith("Fail-over done")]
    assert len(done) == 1, found
    print(done[0])
    assert STANDBY_URLS[0] in done[0]
    assert "It holds the primary's last heartbeat" in done[0]

    assert not MIRROR.service(SERVICE).is_running
    assert not MIRROR.service(SERVICE).is_enabled
    assert not MIRROR.service(SERVICE + "-heartbeat.timer").is_running

    # Every write acknowledged before the fail-over is on the standby, with its value.
    print("on the standby:")
    standby = Writer(STANDBY_URLS, prefix="/mirror/failover/", tls=lab.client_tls("standby"))
    standby.acknowledged, standby.attempts = before, len(before)
    standby.verify(STANDBY_URLS)
    print("fail-over: %d writes acknowledged before it, all on the standby; %d acknowledged in all"
          % (len(before), len(writer.acknowledged)))

    # Nothing copies the primary's writes any more.
    put("etcd", PRIMARY_URLS[0], "/mirror/after-failover", "primary only")
    time.sleep(3)
    assert get("standby", STANDBY_URLS[0], "/mirror/after-failover") is None

    # The standby takes writes.
    with Writer(STANDBY_URLS, prefix="/mirror/standby-writes/", tls=lab.client_tls("standby")) as writer:
        time.sleep(2)
    writer.verify(STANDBY_URLS)


def test_the_mirror_refuses_to_start_again_into_the_standby():
    run = PlaybookRun(INVENTORY, "quorum.etcd.mirror")
    assert run.rc != 0, run
    assert any("etcd_mirror_allow_nonempty_dest: true" in (m or "") for m in run.messages), run
    assert not MIRROR.service(SERVICE).is_running
