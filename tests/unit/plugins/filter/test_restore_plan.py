"""The restore playbook's decisions (plugins/plugin_utils/restore_plan.py): every refusal at once
before any member stops, and a re-run with the same snapshot that does nothing."""
import base64
import json
import os
import sys

from conftest import REPO

sys.path.insert(0, os.path.join(REPO, 'plugins', 'plugin_utils'))
from restore_plan import restore_plan, restore_problems  # noqa: E402

GROUP = ['etcd1', 'etcd2', 'etcd3']
SHA = 'ab' * 32


def hostvars(state='present', marker_sha=None, token='etcd-cluster-restored-T0', active=True):
    out = {}
    for host in GROUP:
        variables = {'__etcd_self': {'state': state},
                     '__etcd_host': {'service_active': active, 'config': {'ETCD_INITIAL_CLUSTER_TOKEN': token}}}
        if marker_sha:
            content = json.dumps({'sha256': marker_sha, 'token': token, 'restored_at': 'T0'})
            variables['__etcd_restore_marker_file'] = {'content': base64.b64encode(content.encode()).decode()}
        else:
            variables['__etcd_restore_marker_file'] = {'failed': True, 'msg': 'file not found'}
        out[host] = variables
    return out


def problems(variables=None, play=GROUP, **settings):
    values = dict(snapshot='/backups/etcd.db', snapshot_host='', confirm=True, inventory_hosts=GROUP + ['backup1'])
    values.update(settings)
    return restore_problems(GROUP, variables or hostvars(), play, **values)


def plan(variables, stat, force=False):
    return restore_plan(GROUP, variables, snapshot='/backups/etcd.db', snapshot_host='', stat=stat, force=force,
                        token='etcd-cluster', stamp='T1', data_dir='/var/lib/etcd', wal_dir='',
                        restore_dir='/var/lib/etcd-restore', initial_cluster='etcd1=https://10.0.0.1:2380')


def test_good_settings_have_no_problem():
    assert problems() == []
    assert problems(snapshot_host='backup1') == []


def test_every_problem_of_the_settings_and_the_group_is_listed_at_once():
    found = problems(hostvars(state='absent'), play=GROUP[:2], snapshot='', snapshot_host='nowhere', confirm=False)
    assert [p.split(' ')[0] for p in found] == ['set', 'etcd_restore_snapshot_host', 'not', 'the', 'every']
    assert 'etcd_restore_snapshot_host nowhere is not a host of the inventory' in found[1]
    assert found[2].startswith('not confirmed, nothing was changed. A restore stops etcd on every member of group '
                               'etcd (etcd1, etcd2, etcd3), moves their data directories aside to '
                               '/var/lib/etcd.before-restore-<UTC time>')
    assert found[3] == 'the play must include every member of group etcd; missing: etcd3'
    assert 'but etcd1, etcd2, etcd3 have etcd_member_state absent' in found[4]


def test_a_missing_or_empty_snapshot_file_is_refused():
    assert plan(hostvars(), {'exists': False})['problems'] == [
        'etcd_restore_snapshot /backups/etcd.db does not exist on the controller; nothing was changed. Name a '
        'snapshot file (etcdctl snapshot save), or set etcd_restore_snapshot_host to the inventory host that holds it']
    assert 'is empty' in plan(hostvars(), {'exists': True, 'isreg': True, 'size': 0})['problems'][0]
    assert 'is not a regular file' in plan(hostvars(), {'exists': True, 'isreg': False})['problems'][0]


def test_a_new_snapshot_is_restored_as_a_new_cluster():
    result = plan(hostvars(), {'exists': True, 'isreg': True, 'size': 4096, 'checksum': SHA})
    assert result['problems'] == [] and result['done'] is False
    assert result['token'] == 'etcd-cluster-restored-T1' and result['staged'] == '/var/lib/etcd-restore/%s.db' % SHA
    assert result['plan'] == ('would stop etcd on etcd1, etcd2, etcd3, move /var/lib/etcd aside to '
                              '*.before-restore-T1, restore every member from /backups/etcd.db (sha256 %s) as the new '
                              'cluster etcd-cluster-restored-T1 (etcd1=https://10.0.0.1:2380) and start the members '
                              'together' % SHA)


def test_a_rerun_with_the_same_snapshot_does_nothing_unless_forced_or_a_member_differs():
    stat = {'exists': True, 'isreg': True, 'size': 4096, 'checksum': SHA}
    assert plan(hostvars(marker_sha=SHA), stat)['done'] is True
    assert plan(hostvars(marker_sha=SHA), stat, force=True)['done'] is False
    assert plan(hostvars(marker_sha=SHA, active=False), stat)['done'] is False
    assert plan(hostvars(marker_sha='cd' * 32), stat)['done'] is False
    changed_token = hostvars(marker_sha=SHA)
    changed_token['etcd2']['__etcd_host']['config']['ETCD_INITIAL_CLUSTER_TOKEN'] = 'another'
    assert plan(changed_token, stat)['done'] is False
