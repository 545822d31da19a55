"""roles/server/files/etcd-wal-commit on the write-ahead log of a real etcd member stopped after writes:
it reads the commit index the member had reached, as its own status reported it while it ran."""
import json
import os
import subprocess
import sys

import pytest

from ansible_collections.quorum.etcd.plugins.module_utils.etcd_client import EtcdClient
from conftest import REPO, VERSIONS, start_cluster, stop_cluster

SCRIPT = os.path.join(REPO, 'roles', 'server', 'files', 'etcd-wal-commit')


@pytest.mark.parametrize('version', VERSIONS)
def test_the_commit_index_of_a_stopped_member_is_read_from_its_wal(etcd_bin, tmp_path, version):
    members = start_cluster(etcd_bin(version), str(tmp_path / 'cluster'), 1)
    member = members[0]
    try:
        client = EtcdClient(dict(endpoints=[member.client_url]))
        for index in range(40):
            client.put('/wal/%d' % index, 'v')
        status = client.status(member.client_url)
    finally:
        member.stop()
    wal = os.path.join(member.data_dir, 'member', 'wal')
    read = json.loads(subprocess.run([sys.executable, SCRIPT, wal], capture_output=True, text=True,
                                     check=True).stdout)
    stop_cluster(members)
    print('etcd %s: status raft index %d while running; WAL %s' % (version, status['raft_index'], read))
    # Nothing was written after the status was read: the log ends where the member said it was.
    assert read['commit'] == read['last_index'] == status['raft_index'], (read, status)
    assert read['term'] == status['raft_term']


def test_a_directory_without_a_wal_gives_nothing(tmp_path):
    assert json.loads(subprocess.check_output([sys.executable, SCRIPT, str(tmp_path)])) == {}
