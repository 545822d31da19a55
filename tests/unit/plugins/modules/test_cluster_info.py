"""quorum.etcd.cluster_info run (as on a managed host, conftest.run_module) against real etcd clusters."""
import os
import re
import subprocess
import time

from ansible_collections.quorum.etcd.plugins.module_utils.etcd_client import EtcdClient
from conftest import DEFAULT_VERSION, dead_url, free_port, start_cluster, stop_cluster

HEX = re.compile(r'^[0-9a-f]+$')


def _etcdctl_members(member):
    """Member IDs and names as etcdctl prints them (hex), to compare with the module."""
    out = subprocess.run([os.path.join(member.bindir, 'etcdctl'), '--endpoints', member.client_url,
                          'member', 'list'], capture_output=True, text=True, check=True,
                         env=dict(os.environ, ETCDCTL_API='3')).stdout
    return dict((line.split(', ')[0], line.split(', ')[2]) for line in out.strip().splitlines())


def test_three_member_cluster(run_module, etcd_cluster):
    urls = [m.client_url for m in etcd_cluster]
    result = run_module('cluster_info', dict(endpoints=urls, expected_members=3), check=True)

    assert result.get('failed') is not True, result
    assert result['changed'] is False
    assert result['healthy'] is True, result['problems']
    assert result['problems'] == []
    assert result['alarms'] == []
    assert HEX.match(result['cluster_id'])
    assert result['cluster_version'] == DEFAULT_VERSION.rsplit('.', 1)[0] + '.0'

    members = result['members']
    assert sorted(m['name'] for m in members) == ['member1', 'member2', 'member3']
    assert all(HEX.match(m['id']) and m['started'] and not m['is_learner'] for m in members)
    assert dict((m['id'], m['name']) for m in members) == _etcdctl_members(etcd_cluster[0])
    by_name = dict((m['name'], m) for m in members)
    for etcd in etcd_cluster:
        assert by_name[etcd.name]['client_urls'] == [etcd.client_url]
        assert by_name[etcd.name]['peer_urls'] == [etcd.peer_url]

    endpoints = result['endpoints']
    assert [e['endpoint'] for e in endpoints] == urls
    assert [e['name'] for e in endpoints] == ['member1', 'member2', 'member3']
    assert sorted(e['member_id'] for e in endpoints) == sorted(m['id'] for m in members)
    leaders = [e for e in endpoints if e['is_leader']]
    assert len(leaders) == 1
    assert result['leader'] == dict(id=leaders[0]['member_id'], name=leaders[0]['name'])
    for endpoint in endpoints:
        assert endpoint['healthy'] is True and endpoint['error'] is None
        assert endpoint['leader'] == result['leader']['id']
        assert endpoint['version'] == DEFAULT_VERSION
        assert endpoint['db_size'] > 0 and endpoint['db_size_in_use'] > 0
        assert endpoint['raft_term'] >= 2 and endpoint['raft_index'] >= endpoint['raft_applied_index'] > 0
        assert endpoint['is_learner'] is False
        assert endpoint['downgrade_enabled'] is False


def test_dead_endpoint_among_live_ones(run_module, etcd_cluster):
    dead = dead_url()
    result = run_module('cluster_info', dict(endpoints=[m.client_url for m in etcd_cluster] + [dead], timeout=2))

    assert result.get('failed') is not True, result
    assert result['healthy'] is False
    assert len(result['problems']) == 1
    assert dead in result['problems'][0] and 'did not answer' in result['problems'][0]
    dead_report = result['endpoints'][3]
    assert dead_report['endpoint'] == dead
    assert dead_report['healthy'] is False and 'refused' in dead_report['error']
    assert dead_report['member_id'] is None
    # The live members are still fully reported.
    assert len(result['members']) == 3 and result['leader'] is not None
    assert all(e['healthy'] for e in result['endpoints'][:3])


def test_all_endpoints_dead_fails(run_module):
    first, second = dead_url(), dead_url()
    result = run_module('cluster_info', dict(endpoints=[first, second], timeout=2))

    assert result['failed'] is True
    assert result['msg'].startswith('No etcd endpoint answered')
    assert first in result['msg'] and second in result['msg']
    assert result['healthy'] is False and result['members'] == []


def test_wait_for_members_that_never_come_times_out(run_module, etcd_cluster):
    started = time.time()
    result = run_module('cluster_info', dict(endpoints=[etcd_cluster[0].client_url], wait=True, wait_timeout=2,
                                             expected_members=4))
    elapsed = time.time() - started

    assert result['failed'] is True
    assert 'did not become healthy within 2 seconds' in result['msg']
    assert 'expected 4 started voting members, found 3' in result['msg']
    assert elapsed >= 2
    assert len(result['members']) == 3  # the last data comes with the failure


def test_wait_returns_once_healthy(run_module, etcd_cluster):
    result = run_module('cluster_info', dict(endpoints=[m.client_url for m in etcd_cluster], wait=True,
                                             wait_timeout=20, expected_members=3))
    assert result.get('failed') is not True, result
    assert result['healthy'] is True and result['changed'] is False


def test_single_member(run_module, etcd_single):
    result = run_module('cluster_info', dict(endpoints=[etcd_single.client_url]))

    assert result['healthy'] is True, result['problems']
    endpoint = result['endpoints'][0]
    assert endpoint['version'] == etcd_single.version
    assert endpoint['is_leader'] is True
    assert endpoint['db_size'] > 0 and endpoint['db_size_in_use'] > 0
    assert result['cluster_version'] == etcd_single.version.rsplit('.', 1)[0] + '.0'


def test_added_member_that_never_started(run_module, etcd_single):
    client = EtcdClient(dict(endpoints=[etcd_single.client_url]))
    peer = 'http://127.0.0.1:%d' % free_port()
    new = client.member_add([peer], is_learner=True)['member']
    try:
        result = run_module('cluster_info', dict(endpoints=[etcd_single.client_url], expected_members=1))
    finally:
        client.member_remove(new['id'])

    assert result['healthy'] is False
    assert result['problems'] == ['member %s (peer URLs %s) is not started: it was added but has not joined yet'
                                  % (new['id'], peer)]
    learner = [m for m in result['members'] if m['id'] == new['id']][0]
    assert learner['started'] is False and learner['is_learner'] is True and learner['name'] == ''


def test_cluster_without_quorum(run_module, etcd_bin, tmp_path):
    members = start_cluster(etcd_bin(DEFAULT_VERSION), str(tmp_path / 'cluster'), 3)
    try:
        members[1].stop()
        members[2].stop()
        survivor = EtcdClient(dict(endpoints=[members[0].client_url], timeout=2))
        deadline = time.time() + 10
        while survivor.status(members[0].client_url)['leader'] != '0' and time.time() < deadline:
            time.sleep(0.1)  # the survivor notices the lost quorum after an election timeout
        result = run_module('cluster_info', dict(endpoints=[m.client_url for m in members], timeout=2))
    finally:
        stop_cluster(members)

    assert result.get('failed') is not True, result  # one endpoint answered: reported, not failed
    assert result['healthy'] is False and result['leader'] is None
    problems = '\n'.join(result['problems'])
    # Its status says why; the health check and the reads through raft (alarms, auth) are not waited on.
    assert 'endpoint %s is unhealthy: it knows no leader' % members[0].client_url in problems
    assert 'the alarms could not be listed: no endpoint knows a leader' in problems
    assert result['auth_enabled'] is None
    for member in members[1:]:
        assert 'endpoint %s did not answer' % member.client_url in problems
    assert 'no endpoint knows a leader' in problems
    survivor = result['endpoints'][0]
    assert survivor['member_id'] and survivor['leader'] is None and survivor['is_leader'] is False
    # Without a quorum the survivor still lists every member (a local read): recover_plan counts the voters so.
    assert sorted(m['name'] for m in result['members']) == sorted(m.name for m in members), result['members']



def test_every_member_asks_a_member_down_outside_the_endpoints(run_module, etcd_bin, tmp_path):
    """A member stopped whose URL is not given (its host out of the play): without every_member the two
    given endpoints look healthy; with it the member the cluster lists is asked and the cluster is not."""
    members = start_cluster(etcd_bin(DEFAULT_VERSION), str(tmp_path / 'cluster'), 3)
    try:
        members[2].stop()
        given = [m.client_url for m in members[:2]]
        blind = run_module('cluster_info', dict(endpoints=given, timeout=2, expected_members=3))
        seeing = run_module('cluster_info', dict(endpoints=given, timeout=2, expected_members=3, every_member=True))
        spared = run_module('cluster_info', dict(endpoints=given, timeout=2, expected_members=3, every_member=True,
                                                 except_members=[members[2].name]))
    finally:
        stop_cluster(members)

    assert blind['healthy'] is True, blind['problems']
    assert seeing['healthy'] is False
    assert seeing['problems'] == ['endpoint %s (member %s, not among the endpoints given) did not answer: %s'
                                  % (members[2].client_url, members[2].name,
                                     seeing['endpoints'][2]['error'].split('did not answer: ', 1)[1])]
    assert [e['endpoint'] for e in seeing['endpoints']] == given + [members[2].client_url]
    assert spared['healthy'] is True, spared['problems']
    assert [e['endpoint'] for e in spared['endpoints']] == given

def _leader_and_followers(urls):
    client = EtcdClient(dict(endpoints=urls))
    statuses = [client.status(url) for url in urls]
    leader = [s['endpoint'] for s in statuses if s['member_id'] == s['leader']]
    assert len(leader) == 1, statuses
    return leader[0], [url for url in urls if url != leader[0]]


def test_max_raft_lag_on_a_caught_up_cluster(run_tasks, etcd_cluster):
    urls = [m.client_url for m in etcd_cluster]
    gated, strict, plain = run_tasks([
        ('cluster_info', dict(endpoints=urls, expected_members=3, max_raft_lag=100, wait=True, wait_timeout=20)),
        # An idle cluster: every member has applied what the leader has.
        ('cluster_info', dict(endpoints=urls, max_raft_lag=0, wait=True, wait_timeout=20)),
        ('cluster_info', dict(endpoints=urls)),
    ])
    for result in (gated, strict):
        assert result.get('failed') is not True, result
        assert result['healthy'] is True, result['problems']
        lags = dict((e['endpoint'], e['raft_lag']) for e in result['endpoints'])
        assert all(isinstance(lag, int) and lag >= 0 for lag in lags.values()), lags
        leader = [e for e in result['endpoints'] if e['is_leader']][0]
        assert leader['raft_lag'] == 0
    assert all(lag == 0 for lag in (e['raft_lag'] for e in strict['endpoints']))
    # Not asked for, not measured.
    assert [e['raft_lag'] for e in plain['endpoints']] == [None, None, None]


def test_max_raft_lag_reads_a_leader_outside_the_endpoints(run_module, etcd_cluster):
    """The gate before restarting the leader asks only the other members: the leader is found
    through the client URLs it advertises."""
    leader, followers = _leader_and_followers([m.client_url for m in etcd_cluster])
    result = run_module('cluster_info', dict(endpoints=followers, expected_members=3, max_raft_lag=100,
                                             wait=True, wait_timeout=20))

    assert result.get('failed') is not True, result
    assert result['healthy'] is True, result['problems']
    assert [e['endpoint'] for e in result['endpoints']] == followers
    assert all(e['raft_lag'] is not None and e['raft_lag'] >= 0 and not e['is_leader'] for e in result['endpoints'])


def test_max_raft_lag_must_not_be_negative(run_module, etcd_cluster):
    result = run_module('cluster_info', dict(endpoints=[etcd_cluster[0].client_url], max_raft_lag=-1))
    assert result['failed'] is True
    assert result['msg'] == 'max_raft_lag must be 0 or more, got -1.'


def test_auth_disabled_is_reported(run_module, etcd_single):
    result = run_module('cluster_info', dict(endpoints=[etcd_single.client_url]))
    assert result.get('failed') is not True, result
    assert result['auth_enabled'] is False
