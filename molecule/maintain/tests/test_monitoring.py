"""Monitoring a live cluster with a real Prometheus (Debian's package, run on the controller).

The members serve their metrics on their own addresses (etcd_metrics_address: member, firewalld
opened by the deploy); quorum.etcd.monitoring writes them as file_sd targets and its alerting
rules (checked by promtool), and changes nothing the second time. Prometheus scrapes every member,
finds every metric the rules use, fires EtcdMemberDown for a member whose etcd is stopped - only
that one, and not the quorum alert - and resolves it once the member is back, while a writer
proves no acknowledged write is lost."""

import json
import os
import socket
import subprocess
import time

import requests
import yaml

from lab import INVENTORY, PlaybookRun, admin_auth, client_tls, wait_until
from test_maintain import HOSTS, NAMES, URLS
from writer import Writer

REPO_PROMETHEUS = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".cache", "prometheus",
                                               "usr", "bin"))
# Every metric the rules read from the members.
RULE_METRICS = ["etcd_server_has_leader", "etcd_server_leader_changes_seen_total", "etcd_server_proposals_failed_total",
                "etcd_disk_wal_fsync_duration_seconds_bucket", "etcd_disk_backend_commit_duration_seconds_bucket",
                "etcd_mvcc_db_total_size_in_bytes", "etcd_mvcc_db_total_size_in_use_in_bytes",
                "etcd_server_quota_backend_bytes"]
DEADLINE = 90  # seconds; a failure condition, not a speed target


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def monitoring(tmp_path):
    extra = dict(etcd_prometheus_hosts="localhost", etcd_prometheus_become=False,
                 etcd_prometheus_file_sd_dir=str(tmp_path / "file_sd"), etcd_prometheus_rules_dir=str(tmp_path / "rules"),
                 etcd_prometheus_owner=str(os.getuid()), etcd_prometheus_group=str(os.getgid()),
                 etcd_prometheus_promtool=os.path.join(REPO_PROMETHEUS, "promtool"),
                 etcd_prometheus_reload_command="", etcd_alert_member_down_for="5s")
    return PlaybookRun(INVENTORY, "quorum.etcd.monitoring", "-e", json.dumps(extra))


def test_prometheus_scrapes_every_member_and_fires_member_down_for_a_stopped_one(tmp_path):
    run = monitoring(tmp_path)
    assert run.rc == 0, run
    again = monitoring(tmp_path)
    assert again.rc == 0 and again.changed == [], again
    print("quorum.etcd.monitoring: %.1f s, again %.1f s with no change" % (run.seconds, again.seconds))
    targets_file = tmp_path / "file_sd" / "etcd-etcd.json"
    rules_file = tmp_path / "rules" / "etcd-etcd.rules.yml"

    port = free_port()
    api = "http://127.0.0.1:%d/api/v1/" % port
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump({
        # Every second, so that the test waits seconds; the rules' own durations are the operators'.
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s", "scrape_timeout": "1s"},
        "rule_files": [str(rules_file)],
        "scrape_configs": [{"job_name": "etcd", "file_sd_configs": [{"files": [str(targets_file)]}]}]}))
    log = open(str(tmp_path / "prometheus.log"), "w")
    prometheus = subprocess.Popen([os.path.join(REPO_PROMETHEUS, "prometheus"),
                                   "--config.file=%s" % (tmp_path / "prometheus.yml"),
                                   "--storage.tsdb.path=%s" % (tmp_path / "data"),
                                   "--web.listen-address=127.0.0.1:%d" % port], stdout=log, stderr=log)
    try:
        def targets_up():
            try:
                active = requests.get(api + "targets", timeout=2).json()["data"]["activeTargets"]
            except (requests.RequestException, ValueError, KeyError):
                return None
            up = {t["labels"]["member"] for t in active if t["health"] == "up" and t["labels"].get("cluster") == "etcd"}
            return active if up == set(NAMES) else None

        active, took = wait_until("scrape of every member", targets_up, DEADLINE)
        print("prometheus scrapes %s after %.1f s" % (sorted(t["scrapeUrl"] for t in active), took))

        def query(expr):
            return requests.get(api + "query", params={"query": expr}, timeout=2).json()["data"]["result"]

        for metric in RULE_METRICS:
            members = {r["metric"]["member"] for r in query('count by (member) (%s{cluster="etcd"})' % metric)}
            assert members == set(NAMES), (metric, members)

        def alerts(name):
            found = requests.get(api + "alerts", timeout=2).json()["data"]["alerts"]
            return [a for a in found if a["labels"]["alertname"] == name]

        rules = requests.get(api + "rules", timeout=2).json()["data"]["groups"]
        assert len(rules[0]["rules"]) == 12, rules
        assert alerts("EtcdMemberDown") == [] and alerts("EtcdNoLeader") == []

        stopped = NAMES[-1]
        with Writer(URLS, prefix="/monitoring/", tls=client_tls(), auth=admin_auth()) as writer:
            HOSTS[stopped].check_output("systemctl stop etcd")
            try:
                def firing():
                    return [a for a in alerts("EtcdMemberDown") if a["state"] == "firing"]

                fired, took = wait_until("EtcdMemberDown firing", firing, DEADLINE)
                print("EtcdMemberDown fired %.1f s after %s stopped: %s" % (took, stopped, fired[0]["annotations"]["summary"]))
                assert [a["labels"]["member"] for a in fired] == [stopped], fired
                # Two of three still answer: the quorum alert stays quiet.
                assert alerts("EtcdInsufficientMembers") == []
            finally:
                HOSTS[stopped].check_output("systemctl start etcd")
            _, took = wait_until("EtcdMemberDown resolved", lambda: not alerts("EtcdMemberDown"), DEADLINE)
            print("EtcdMemberDown resolved %.1f s after %s started again" % (took, stopped))
        report = writer.verify(URLS)
        assert report["lost"] == 0, report
    finally:
        prometheus.terminate()
        prometheus.wait(timeout=30)
        log.close()
