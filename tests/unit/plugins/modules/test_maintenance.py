"""quorum.etcd.maintenance against a real three-member etcd cluster whose quota is small enough to
fill: NOSPACE raised, then compacted, defragmented (the leader last) and disarmed."""
import os

import pytest

from ansible_collections.quorum.etcd.plugins.module_utils.etcd_client import EtcdClient, EtcdError, b64encode
from conftest import DEFAULT_VERSION, dead_url, start_cluster, stop_cluster

QUOTA = 16 * 1024 * 1024
VALUE = 'x' * (1024 * 1024)


@pytest.fixture
def small_cluster(etcd_bin, tmp_path):
    members = start_cluster(etcd_bin(DEFAULT_VERSION), str(tmp_path / 'cluster'), 3,
                            extra=['--quota-backend-bytes', str(QUOTA)])
    yield members
    stop_cluster(members)


def fill_until_nospace(client):
    """Overwrite one key with 1 MiB values until etcd refuses the write: every old value stays in the history."""
    for _ in range(64):
        try:
            client.put('/fill', VALUE)
        except EtcdError as e:
            assert 'database space exceeded' in str(e), e
            return
    raise AssertionError('64 MiB written under a 16 MiB quota without NOSPACE')


def not_compacted(client, key, revision):
    """Whether the key can still be read as it was at that revision."""
    try:
        return bool(client.call('kv/range', {'key': b64encode(key), 'revision': str(revision)})['kvs'])
    except EtcdError as e:
        assert 'required revision has been compacted' in str(e), e
        return False


def alarms(client):
    return sorted(a['alarm'] for a in client.alarms())


def test_nospace_is_cleared_followers_first_and_the_leader_last(small_cluster, run_module):
    urls = [m.client_url for m in small_cluster]
    client = EtcdClient(dict(endpoints=urls))
    kept_at = client.put('/kept', 'value')
    fill_until_nospace(client)
    assert 'NOSPACE' in alarms(client)
    sizes = dict((client.status(u)['member_id'], client.status(u)['db_size']) for u in urls)
    args = dict(endpoints=urls, keep_revisions=1, quota_bytes=QUOTA)

    # The other playbooks' gates refuse at once, naming the playbook that clears it.
    gate = run_module('cluster_info', dict(endpoints=urls, wait=True, wait_timeout=60))
    assert gate['failed'] and gate['msg'].startswith('The etcd cluster did not become healthy (an alarm is raised): ')
    assert 'raised alarm NOSPACE: its database reached the quota' in gate['msg']
    assert 'run the playbook quorum.etcd.maintain' in gate['msg']

    plan = run_module('maintenance', args, check=True)
    assert plan.get('failed') is not True, plan.get('msg')
    assert plan['compacted_to'] == plan['revision'] - 1 and not plan['alarms_disarmed']
    assert all(s['defragment'] for s in plan['members']) and len(plan['members']) == 3
    assert any(s['alarms'] == ['NOSPACE'] for s in plan['members'])
    assert 'NOSPACE' in alarms(client), 'check mode disarmed the alarm'
    assert not_compacted(client, '/kept', kept_at), 'check mode compacted the history'

    done = run_module('maintenance', args)
    assert done.get('failed') is not True, done.get('msg')
    assert done['changed'] and done['writes_checked']
    assert {a['alarm'] for a in done['alarms_disarmed']} == {'NOSPACE'}
    steps = done['members']
    assert [s['is_leader'] for s in steps] == [False, False, True]
    for step in steps:
        assert step['defragment'] and step['seconds'] >= 0
        assert step['db_size_after'] < sizes[step['member_id']] / 2, step
    assert alarms(client) == []
    assert done['report'][0] == 'history compacted to revision %d of %d' % (done['revision'] - 1, done['revision'])
    # The leader handed its leadership over first, so its defragmentation stalled no write.
    assert steps[2]['handed_leadership_to'] in (steps[0]['name'], steps[1]['name'])
    assert 'handed_leadership_to' not in steps[0] and 'handed_leadership_to' not in steps[1]
    assert done['report'][3].startswith('%s (leader): leadership handed to %s, defragmented in '
                                        % (steps[2]['name'], steps[2]['handed_leadership_to']))
    assert done['report'][-1].startswith('NOSPACE disarmed on ') and done['report'][-1].endswith('a write succeeded')
    assert not not_compacted(client, '/kept', kept_at)
    client.put('/after', 'written')
    assert client.get('/kept') == 'value' and client.get('/fill') == VALUE

    # Run again: every member is under the rule, so nothing is compacted or defragmented.
    revision = client.revision()
    again = run_module('maintenance', dict(args, keep_revisions=0))
    assert again['changed'] is False, again
    assert [s['defragment'] for s in again['members']] == [False] * 3
    assert all(s['reason'].startswith('skipped: ') for s in again['members'])
    assert again['compacted_to'] is None and again['report'][0] == 'no compaction'
    assert client.revision() == revision


def test_an_unhealthy_cluster_and_bad_arguments_are_refused_with_nothing_changed(small_cluster, run_module):
    urls = [m.client_url for m in small_cluster]
    client = EtcdClient(dict(endpoints=urls))
    revision = client.put('/before', 'v')
    down = run_module('maintenance', dict(endpoints=urls + [dead_url()], keep_revisions=0))
    assert down['failed'] and 'not healthy enough to maintain' in down['msg'], down
    assert 'nothing was changed' in down['msg'] and down['changed'] is False
    bad = run_module('maintenance', dict(endpoints=urls, min_free_ratio=2, keep_revisions=-1))
    assert bad['failed'] and bad['msg'] == ('keep_revisions must be 0 or more, not -1; min_free_ratio must be between '
                                            '0 and 1, not 2.0; nothing was changed.'), bad
    unknown = run_module('maintenance', dict(endpoints=urls, members=['member1', 'nobody']))
    assert unknown['failed'] and 'members lists nobody' in unknown['msg'], unknown
    assert client.revision() == revision
    assert not_compacted(client, '/before', revision)
    assert os.path.isdir(small_cluster[0].data_dir)
