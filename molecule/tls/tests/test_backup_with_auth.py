"""Backups with authentication on: etcdctl on the members logs in by its certificate's common name
(root), with no password on the host, so the backup role's snapshots work; when the backup host's
own member is stopped, the members the last run listed give the snapshot."""

import re
import time

from lab import ETCDCTL, INVENTORY, PlaybookRun, etcdctl_json, hosts

MEMBERS = {m.backend.name: m for m in hosts("etcd")}
FIRST = MEMBERS[sorted(MEMBERS)[0]]
SERVICE = "etcd-backup"
SAVED = re.compile(r"^etcd-backup: saved (\S+) \(\d+ bytes, revision (\d+), (\d+) keys, sha256 [0-9a-f]{64}\) from "
                   r"(leader|follower) member [0-9a-f]+ at (\S+); kept \d+, deleted \d+ older$")


def backup_lines(since):
    out = FIRST.check_output("journalctl --unit %s --since @%s --output cat --no-pager", SERVICE, since)
    return [line for line in out.splitlines() if line.startswith("etcd-backup: ")]


def now():
    return FIRST.check_output("date +%s.%6N")


def test_etcdctl_on_a_member_is_root_without_a_password():
    # user list needs the root role: anonymous or another user is refused with authentication on.
    users = etcdctl_json(FIRST, "user", "list")
    assert "root" in users["users"], users
    env = FIRST.check_output("cat /etc/etcd/etcdctl.env")
    assert "PASSWORD" not in env.upper() and "ETCDCTL_CERT=/etc/etcd/pki/etcdctl.crt" in env, env
    assert FIRST.file("/etc/etcd/pki/etcdctl.key").mode == 0o600


def test_backups_work_with_authentication_on_and_with_the_first_member_stopped():
    FIRST.check_output(ETCDCTL + " put /backup/with-auth written-by-root")
    since = now()
    run = PlaybookRun(INVENTORY, "quorum.etcd.backup", "-e", "etcd_backup_now=true")
    assert run.rc == 0, run
    saved = [SAVED.match(line) for line in backup_lines(since)]
    assert saved and saved[-1], backup_lines(since)
    print(saved[-1].group(0))
    assert FIRST.file(saved[-1].group(1)).exists
    assert int(saved[-1].group(2)) > 0 and int(saved[-1].group(3)) > 0, saved[-1].group(0)

    # The backup host's own member is down: its seed does not answer, the members listed last time do.
    own_url = FIRST.check_output(". /etc/etcd/etcd.conf && echo $ETCD_ADVERTISE_CLIENT_URLS")
    FIRST.check_output("systemctl stop etcd")
    try:
        since = now()
        done = FIRST.run("systemctl start %s", SERVICE)
        lines = backup_lines(since)
        assert done.rc == 0, (done.stderr, lines)
        found = SAVED.match(lines[-1])
        assert found and found.group(5) != own_url, lines
        print("with %s stopped: %s" % (FIRST.backend.name, lines[-1]))
    finally:
        FIRST.check_output("systemctl start etcd")
    deadline = time.monotonic() + 60
    while FIRST.run(ETCDCTL + " endpoint health").rc != 0:
        assert time.monotonic() < deadline, "the first member did not come back healthy"
        time.sleep(0.5)
