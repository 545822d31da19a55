"""Scheduled backups on a live three-member cluster (the quorum.etcd.backup role on backup_restore-1).

The cases run in file order: the timer is in place; a backup started through systemd saves a
snapshot named as specified that verifies and holds the keys written before it; the upload is in
the bucket with the same SHA-256, and the S3 server refuses a wrong secret; retention keeps exactly
etcd_backup_keep files of its own naming while a writer runs; a failed backup fails the unit and
logs one line; the playbook runs one backup now, and refuses bad settings before changing anything.
tests/test_restore.py then restores from the newest of these backups."""

import base64
import hashlib
import json
import os
import re

import boto3
import botocore.config
import botocore.exceptions
import yaml

from lab import INVENTORY, PlaybookRun, adhoc_module, address, client_tls, client_url, group_var, hosts, session
from writer import Writer

HOSTS = {h.backend.name: h for h in hosts("etcd")}
NAMES = sorted(HOSTS)
FIRST = HOSTS[NAMES[0]]  # the playbook's default: the first host of group etcd
URLS = [client_url(address(h)) for _, h in sorted(HOSTS.items())]
KEEP = group_var("etcd", "etcd_backup_keep")
S3_KEEP = group_var("etcd", "etcd_backup_s3_keep")
BACKUP_DIR = "/var/lib/etcd-backup"
SERVICE = "etcd-backup.service"
PATTERN = re.compile(r"^etcd-cluster-\d{8}T\d{6}Z\.db$")
PROJECT = os.environ.get("MOLECULE_PROJECT_DIRECTORY", os.path.join(os.path.dirname(__file__), "..", "..", ".."))
S3_STATE = os.path.join(PROJECT, ".cache", "run", "s3-quorum-mol-backup_restore.json")
PREFIX = group_var("etcd", "etcd_backup_s3_prefix")
KNOWN = {"/backup/known/%02d" % i: "value %d" % i for i in range(20)}


def put(key, value):
    answer = session().post(URLS[0] + "/v3/kv/put", timeout=5,
                            json={"key": base64.b64encode(key.encode()).decode(),
                                  "value": base64.b64encode(value.encode()).decode()})
    answer.raise_for_status()
    return int(answer.json()["header"]["revision"])


def snapshots(host=FIRST):
    return sorted(name for name in host.check_output("ls -1A %s", BACKUP_DIR).split() if PATTERN.match(name))


def run_backup(host=FIRST):
    """systemctl start of the oneshot service: returns when the backup has finished."""
    return host.run("systemctl start %s", SERVICE)


def journal_lines(host, since):
    out = host.check_output("journalctl --unit %s --since @%s --output cat --no-pager", SERVICE, since)
    return [line for line in out.splitlines() if line.startswith("etcd-backup: ")]


def s3(secret=None):
    with open(S3_STATE) as f:
        state = json.load(f)
    return state, boto3.client("s3", endpoint_url=state["url"], region_name=state["region"],
                               aws_access_key_id=state["access_key"],
                               aws_secret_access_key=secret or state["secret_key"],
                               config=botocore.config.Config(s3={"addressing_style": "path"},
                                                             retries={"max_attempts": 1}))


def now(host):
    # Microseconds: a line logged earlier in the same second must not count.
    return host.check_output("date +%s.%6N")


def test_defaults_and_argument_specs_name_the_same_variables():
    role = os.path.join(PROJECT, "roles", "backup")
    with open(os.path.join(role, "defaults", "main.yml")) as f:
        defaults = set(yaml.safe_load(f))
    with open(os.path.join(role, "meta", "argument_specs.yml")) as f:
        specs = set(yaml.safe_load(f)["argument_specs"]["main"]["options"])
    assert defaults == specs, (defaults ^ specs)


def test_the_timer_runs_every_30_minutes_on_the_first_host_only():
    assert FIRST.service("etcd-backup.timer").is_enabled
    assert FIRST.service("etcd-backup.timer").is_running
    calendar = FIRST.check_output("systemctl show etcd-backup.timer -p TimersCalendar --value")
    assert "OnCalendar=*-*-* *:00/30:00" in calendar, calendar
    assert FIRST.check_output("systemctl show etcd-backup.timer -p Persistent --value") == "yes"
    for name in NAMES[1:]:
        assert not HOSTS[name].file("/etc/systemd/system/etcd-backup.timer").exists, name
    credentials = FIRST.file("/etc/quorum-etcd/etcd-backup-s3.env")
    assert credentials.mode == 0o600 and credentials.user == "root"
    # A run that hangs is stopped after etcd_backup_unit_timeout (3600 s), not left to block the next ones.
    assert FIRST.check_output("systemctl show %s -p TimeoutStartUSec --value", SERVICE) == "1h"


TEXTFILE = "/var/lib/prometheus/node-exporter/etcd_backup_etcd_cluster.prom"  # the name with - as _


def textfile_metrics():
    """{metric: value} of the backup's textfile for node_exporter."""
    return {line.split("{")[0]: float(line.rsplit(" ", 1)[1])
            for line in FIRST.file(TEXTFILE).content_string.splitlines() if line.startswith("etcd_backup_")}


def test_a_backup_started_through_systemd_saves_a_verified_snapshot_with_the_keys():
    revision = max(put(key, value) for key, value in KNOWN.items())
    before, since = snapshots(), now(FIRST)
    done = run_backup()
    assert done.rc == 0, done.stderr
    new = sorted(set(snapshots()) - set(before))
    assert len(new) == 1, (before, new)
    path = "%s/%s" % (BACKUP_DIR, new[0])
    assert FIRST.file(path).mode == 0o600

    rc, verified = adhoc_module(INVENTORY, NAMES[0], "quorum.etcd.snapshot", {"state": "verified", "path": path})
    assert rc == 0 and verified.get("failed") is not True, verified
    assert verified["revision"] >= revision, (verified, revision)
    assert verified["sha256"] == FIRST.check_output("sha256sum %s", path).split()[0]
    lines = journal_lines(FIRST, since)
    assert len(lines) == 1 and lines[0].startswith("etcd-backup: saved %s " % path), lines
    # A follower gave it: the leader only when no follower answers.
    assert " from follower member " in lines[0], lines[0]
    metrics = textfile_metrics()
    assert metrics["etcd_backup_last_run_success"] == 1, metrics
    assert metrics["etcd_backup_last_success_size_bytes"] == verified["size"], (metrics, verified)
    print("node_exporter textfile: %s" % metrics)
    print("backup through systemd: %s, %d bytes, revision %d (last write %d)"
          % (new[0], verified["size"], verified["revision"], revision))
    print(lines[0])


def test_the_upload_is_in_the_bucket_with_the_same_sha256_and_a_wrong_secret_is_refused():
    state, client = s3()
    newest = snapshots()[-1]
    body = client.get_object(Bucket=state["bucket"], Key=PREFIX + newest)["Body"].read()
    local = FIRST.check_output("sha256sum %s/%s", BACKUP_DIR, newest).split()[0]
    assert hashlib.sha256(body).hexdigest() == local
    keys = [o["Key"] for o in client.list_objects_v2(Bucket=state["bucket"], Prefix=PREFIX).get("Contents", [])]
    assert PREFIX + newest in keys, keys

    # The server checks signatures: the same request with a wrong secret is refused.
    _, wrong = s3(secret=state["secret_key"][:-1] + ("A" if state["secret_key"][-1] != "A" else "B"))
    try:
        wrong.head_object(Bucket=state["bucket"], Key=PREFIX + newest)
    except botocore.exceptions.ClientError as e:
        assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 403, e.response
    else:
        raise AssertionError("the S3 server accepted a request signed with a wrong secret")


def with_environment(host, text, action):
    """Run action() while a drop-in adds an environment file to the service (later files win)."""
    host.check_output("mkdir -p /etc/systemd/system/%s.d && printf '%%s\\n' %s > /run/etcd-backup-test.env && "
                      "printf '[Service]\\nEnvironmentFile=/run/etcd-backup-test.env\\n' "
                      "> /etc/systemd/system/%s.d/test.conf && systemctl daemon-reload", SERVICE, text, SERVICE)
    try:
        return action()
    finally:
        host.check_output("rm -f /etc/systemd/system/%s.d/test.conf /run/etcd-backup-test.env && "
                          "systemctl daemon-reload && systemctl reset-failed %s", SERVICE, SERVICE)


def test_our_signature_with_a_wrong_secret_is_refused_and_the_unit_fails():
    since = now(FIRST)
    done = with_environment(FIRST, "AWS_SECRET_ACCESS_KEY=wrong-secret", lambda: (
        run_backup(), FIRST.check_output("systemctl is-failed %s || true", SERVICE)))
    assert done[0].rc != 0
    assert done[1] == "failed"
    metrics = textfile_metrics()
    assert metrics["etcd_backup_last_run_success"] == 0, metrics
    # The last success is still there for the backup-age alert.
    assert metrics["etcd_backup_last_success_timestamp_seconds"] < metrics["etcd_backup_last_run_timestamp_seconds"]
    lines = journal_lines(FIRST, since)
    assert len(lines) == 1 and "FAILED: upload: PUT " in lines[0] and "HTTP 403 SignatureDoesNotMatch" in lines[0], lines
    print(lines[0])


def test_retention_keeps_the_newest_files_of_its_own_naming_while_writes_go_on():
    foreign = ["notes.txt", "etcd-cluster-manual.db", "other-20200101T000000Z.db"]
    FIRST.check_output("cd %s && touch %s", BACKUP_DIR, " ".join(foreign))
    made = []
    with Writer(URLS, prefix="/backup/retention/", tls=client_tls()) as writer:
        for _ in range(KEEP + 2):
            before = snapshots()
            done = run_backup()
            assert done.rc == 0, done.stderr
            made.extend(sorted(set(snapshots()) - set(before)))
    report = writer.verify(URLS)
    print("%d backups with the writer running: %d writes acknowledged, longest gap %.3f s"
          % (KEEP + 2, report["acknowledged"], report["longest_gap_seconds"]))
    assert len(made) == KEEP + 2
    assert snapshots() == made[-KEEP:]
    listing = FIRST.check_output("ls -1A %s", BACKUP_DIR).split()
    assert all(name in listing for name in foreign), listing
    # The bucket keeps its own number of uploads, of this naming only.
    state, client = s3()
    client.put_object(Bucket=state["bucket"], Key=PREFIX + foreign[2], Body=b"not ours")
    before = snapshots()
    done = run_backup()
    assert done.rc == 0, done.stderr
    made.extend(sorted(set(snapshots()) - set(before)))
    uploads = sorted(o["Key"][len(PREFIX):] for o in
                     client.list_objects_v2(Bucket=state["bucket"], Prefix=PREFIX).get("Contents", []))
    assert len(made) > S3_KEEP and uploads == sorted(made[-S3_KEEP:] + [foreign[2]]), uploads
    print("the bucket keeps %d uploads: %s" % (S3_KEEP, ", ".join(uploads)))
    FIRST.check_output("cd %s && rm -f %s", BACKUP_DIR, " ".join(foreign))


def test_a_backup_that_reaches_no_member_fails_the_unit_and_logs_one_line():
    # Only a seed that refuses connections, and no members listed by an earlier run (set aside here;
    # with them, the backup would take its snapshot from those): no member list, no status, no snapshot.
    known = BACKUP_DIR + "/.etcd-cluster-members.json"
    FIRST.check_output("mv %s %s.aside", known, known)
    before, since = snapshots(), now(FIRST)
    try:
        done = with_environment(FIRST, "ETCD_BACKUP_ENDPOINTS=http://127.0.0.1:1", lambda: (
            run_backup(), FIRST.check_output("systemctl is-failed %s || true", SERVICE)))
    finally:
        FIRST.check_output("mv %s.aside %s", known, known)
    assert done[0].rc != 0
    assert done[1] == "failed"
    lines = journal_lines(FIRST, since)
    assert len(lines) == 1 and lines[0].startswith("etcd-backup: FAILED: no member can give a snapshot: "), lines
    assert snapshots() == before
    assert FIRST.check_output("ls -1A %s | grep -c '\\.tmp\\|\\.part' || true", BACKUP_DIR) == "0"
    print(lines[0])


def test_the_playbook_runs_one_backup_now_and_refuses_bad_settings_first():
    before = snapshots()
    check = PlaybookRun(INVENTORY, "quorum.etcd.backup", "--check", "-e", "etcd_backup_now=true")
    assert check.rc == 0, check
    assert check.changed == [("quorum.etcd.backup : Report the backup check mode would run now", NAMES[0])], check
    assert snapshots() == before

    # A host the role never ran on: check mode reports the changes, and makes none.
    second = HOSTS[NAMES[1]]
    fresh = PlaybookRun(INVENTORY, "quorum.etcd.backup", "--check", "-e", "etcd_backup_now=true",
                        "-e", "etcd_backup_hosts=" + NAMES[1])
    assert fresh.rc == 0, fresh
    assert ("quorum.etcd.backup : Install the backup service and its timer", NAMES[1]) in fresh.changed, fresh
    assert not second.file("/etc/systemd/system/etcd-backup.timer").exists
    assert not second.file("/usr/local/libexec/quorum-etcd/etcd-backup").exists

    run = PlaybookRun(INVENTORY, "quorum.etcd.backup", "-e", "etcd_backup_now=true")
    assert run.rc == 0, run
    # Everything else was in place already: only the backup ran.
    assert run.changed == [("quorum.etcd.backup : Start the backup service and wait for it to finish", NAMES[0])], run
    assert len(set(snapshots()) - set(before)) == 1
    print("quorum.etcd.backup with etcd_backup_now: %.1f s" % run.seconds)

    settings = FIRST.check_output("sha256sum /etc/quorum-etcd/etcd-backup.env /etc/systemd/system/etcd-backup.timer")
    bad = PlaybookRun(INVENTORY, "quorum.etcd.backup", "-e", "etcd_backup_keep=0", "-e",
                      "etcd_backup_on_calendar=every-now-and-then", "-e", "etcd_backup_s3_bucket=Bad_Bucket")
    assert bad.rc != 0, bad
    message = [m for m in bad.messages if m and "backup not installed, nothing changed" in m]
    assert len(message) == 1, bad
    for part in ("etcd_backup_keep 0 must be 1 or more",
                 'etcd_backup_on_calendar "every-now-and-then" is not a systemd calendar event',
                 'etcd_backup_s3_bucket "Bad_Bucket" is not a bucket name'):
        assert part in message[0], message[0]
    assert bad.changed == [], bad
    assert FIRST.check_output(
        "sha256sum /etc/quorum-etcd/etcd-backup.env /etc/systemd/system/etcd-backup.timer") == settings
    print(message[0])
