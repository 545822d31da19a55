"""Disaster recovery from a scheduled backup: the data of every member is destroyed, and the
quorum.etcd.restore playbook restores the cluster from the newest snapshot the backup service
saved on backup_restore-1. Every key written before that snapshot is back on every member (the
writer's acknowledged writes included), a key written after it is not, and the cluster has a new ID."""

import base64

from lab import INVENTORY, PlaybookRun, client_tls, etcdctl_json, session
from test_backup import BACKUP_DIR, FIRST, HOSTS, NAMES, URLS, run_backup, snapshots
from writer import Writer

KNOWN = {"/restore/known/%03d" % i: "value %d" % i for i in range(100)}


def _b64(text):
    return base64.b64encode(text.encode()).decode()


def post(path, body, url=URLS[0]):
    answer = session().post(url + path, json=body, timeout=5)
    answer.raise_for_status()
    return answer.json()


def read_prefix(prefix, url=URLS[0]):
    end = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    kvs = post("/v3/kv/range", {"key": _b64(prefix), "range_end": _b64(end)}, url).get("kvs", [])
    return {base64.b64decode(kv["key"]).decode(): base64.b64decode(kv["value"]).decode() for kv in kvs}


def cluster_ids():
    return {name: "%x" % etcdctl_json(host, "endpoint", "status")[0]["Status"]["header"]["cluster_id"]
            for name, host in HOSTS.items()}


def test_restore_from_the_newest_timer_backup_after_every_member_lost_its_data():
    with Writer(URLS, prefix="/restore/writer/", tls=client_tls()) as writer:
        for key, value in KNOWN.items():
            post("/v3/kv/put", {"key": _b64(key), "value": _b64(value)})
    done = run_backup()
    assert done.rc == 0, done.stderr
    newest = snapshots()[-1]
    snapshot = "%s/%s" % (BACKUP_DIR, newest)
    post("/v3/kv/put", {"key": _b64("/restore/after/snapshot"), "value": _b64("gone after the restore")})
    before = cluster_ids()
    assert len(set(before.values())) == 1, before

    # Every member loses its data.
    for host in HOSTS.values():
        host.check_output("systemctl stop etcd && rm -rf /var/lib/etcd/member && ls -A /var/lib/etcd | wc -l")

    run = PlaybookRun(INVENTORY, "quorum.etcd.restore", "-e", "etcd_restore_snapshot=" + snapshot,
                      "-e", "etcd_restore_snapshot_host=" + NAMES[0], "-e", "etcd_restore_confirm=true")
    if run.rc != 0:
        print(run)
    assert run.rc == 0, run.failed
    print("quorum.etcd.restore from %s: %.1f s, slowest tasks %s" % (newest, run.seconds, run.slowest()))

    after = cluster_ids()
    assert len(set(after.values())) == 1, after
    assert set(after.values()) != set(before.values()), (before, after)
    for url in URLS:
        assert read_prefix("/restore/known/", url) == KNOWN, url
        assert read_prefix("/restore/after/", url) == {}, url
    report = writer.verify(URLS)
    print("restored cluster %s (was %s): %d known keys and %d acknowledged writes of the writer back on every member"
          % (set(after.values()).pop(), set(before.values()).pop(), len(KNOWN), report["acknowledged"]))

    # The backups go on against the restored cluster.
    again = run_backup()
    assert again.rc == 0, again.stderr
