"""A 200 MiB database backs up (after tests/test_restore.py, so that the cases before it stay quick):
the snapshot's time limit grows with the database, the file verifies and its upload is whole."""

import base64
import concurrent.futures
import os
import re
import time

from lab import session
from test_backup import BACKUP_DIR, FIRST, PREFIX, SERVICE, URLS, journal_lines, now, s3, snapshots

MIB = 1 << 20
VALUES = 200  # of 1 MiB each: below etcd's default request limit (1.5 MiB), 200 MiB in all


def put_value(number):
    # Random bytes: bbolt keeps them as they are, so the database grows by the full size.
    value = base64.b64encode(os.urandom(MIB)).decode()
    key = base64.b64encode(b"/size/%03d" % number).decode()
    answer = session().post(URLS[number % len(URLS)] + "/v3/kv/put", json={"key": key, "value": value}, timeout=30)
    answer.raise_for_status()


def test_a_200_mib_database_backs_up_and_uploads_whole():
    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        list(pool.map(put_value, range(VALUES)))
    written = time.monotonic() - started

    before, since, started = snapshots(), now(FIRST), time.monotonic()
    done = FIRST.run("systemctl start %s", SERVICE)
    took = time.monotonic() - started
    lines = journal_lines(FIRST, since)
    assert done.rc == 0, lines
    saved = re.match(r"^etcd-backup: saved (\S+) \((\d+) bytes, revision \d+, (\d+) keys", lines[-1])
    assert saved and saved.group(1) == "%s/%s" % (BACKUP_DIR, (set(snapshots()) - set(before)).pop()), lines
    size = int(saved.group(2))
    assert size >= VALUES * MIB and int(saved.group(3)) >= VALUES, lines[-1]

    state, client = s3()
    uploaded = client.head_object(Bucket=state["bucket"], Key=PREFIX + os.path.basename(saved.group(1)))
    assert uploaded["ContentLength"] == size
    print("200 MiB of values written in %.1f s; the backup of the %d MiB snapshot (saved, verified, uploaded) took "
          "%.1f s" % (written, size // MIB, took))
