"""The recover_quorum decision (plugins/plugin_utils/recover_plan.py): force a new cluster only
without a leader and without a majority running, from the member with the most data."""
import json
import os
import sys

from conftest import REPO

sys.path.insert(0, os.path.join(REPO, 'plugins', 'plugin_utils'))
from recover_plan import recover_plan  # noqa: E402

GROUP = ['etcd1', 'etcd2', 'etcd3']


def running(revision, raft_index):
    # etcdctl endpoint status -w json
    return {'state': 'running', 'status': [{'Endpoint': 'x', 'Status': {'header': {'revision': revision},
                                                                       'raftIndex': raft_index}}]}


def stopped(revision, commit=None):
    # etcdutl snapshot status -w json, and etcd-wal-commit's reading of the write-ahead log
    return dict({'state': 'stopped', 'status': {'hash': 1, 'revision': revision, 'totalKey': 3}},
                **({'wal': {'commit': commit, 'term': 2, 'last_index': commit}} if commit is not None else {}))


def hostvars(*reads):
    return {h: {'__etcd_self': {'name': h}, '__etcd_recover_read': {'stdout': json.dumps(read)}}
            for h, read in zip(GROUP, reads)}


def probe(members=(), healthy=False, leader=None, problems=('endpoint etcd1 has no leader',)):
    return {'members': [{'name': m, 'is_learner': False} for m in members], 'healthy': healthy,
            'leader': {'name': leader} if leader else None, 'problems': list(problems)}


def test_a_healthy_cluster_with_every_host_needs_nothing():
    result = recover_plan(GROUP, hostvars(running(9, 20), running(9, 20), running(9, 20)),
                          probe(GROUP, healthy=True, leader='etcd2', problems=()))
    assert result['action'] == 'none' and result['problems'] == []
    assert result['report'].startswith('the cluster is healthy (leader etcd2) with every host of group etcd')


def test_hosts_missing_from_a_healthy_cluster_rejoin():
    result = recover_plan(GROUP, hostvars(running(9, 20), {'state': 'no data'}, running(9, 20)),
                          probe(['etcd1', 'etcd3'], healthy=True, leader='etcd1', problems=()))
    assert result['action'] == 'rejoin' and result['missing'] == ['etcd2'] and result['voters'] == 2



def answering(members, healthy_urls, leader):
    """cluster_info's answer for the group's URLs (https://<host>:2379) where the hosts of healthy_urls answer."""
    urls = ['https://%s:2379' % h for h in GROUP]
    endpoints = [{'endpoint': u, 'healthy': u in healthy_urls, 'error': None if u in healthy_urls else 'did not answer'}
                 for u in urls]
    return {'members': [{'name': m, 'is_learner': False, 'client_urls': ['https://%s:2379' % m]} for m in members],
            'endpoints': endpoints, 'healthy': False, 'leader': {'name': leader},
            'problems': ['endpoint %s did not answer' % e['endpoint'] for e in endpoints if not e['healthy']]}


def test_a_host_a_failed_run_did_not_add_rejoins_although_its_endpoint_does_not_answer():
    # The first run made etcd1 a one-member cluster and added etcd3; etcd2's join failed, so its endpoint
    # answers nothing. The cluster's own members are healthy with a leader: the re-run adds etcd2.
    found = answering(['etcd1', 'etcd3'], ['https://etcd1:2379', 'https://etcd3:2379'], 'etcd1')
    result = recover_plan(GROUP, hostvars(running(9, 20), {'state': 'no data'}, running(9, 20)), found)
    assert result['action'] == 'rejoin' and result['missing'] == ['etcd2'] and result['problems'] == []
    # One of the cluster's own members does not answer: that is no rejoin, and no lost quorum either.
    sick = answering(['etcd1', 'etcd3'], ['https://etcd1:2379'], 'etcd1')
    refused = recover_plan(GROUP, hostvars(running(9, 20), {'state': 'no data'}, running(9, 20)), sick)
    assert refused['action'] == 'refuse' and 'so its quorum is not lost' in refused['problems'][0]
    # An alarm (any problem beyond the hosts to add) is no health either.
    alarmed = dict(found, problems=found['problems'] + ['alarm NOSPACE on etcd1'])
    assert recover_plan(GROUP, hostvars(running(9, 20), {'state': 'no data'}, running(9, 20)), alarmed)['action'] == \
        'refuse'


def test_the_member_with_the_most_data_survives_a_lost_majority():
    # etcd2 runs alone; etcd3 is stopped at the same revision, its raft index unknown (etcdutl reads none from
    # the data): the equal revision goes to the member whose raft index is known; a higher revision wins.
    result = recover_plan(GROUP, hostvars({'state': 'no data'}, running(40, 100), stopped(40)), probe())
    assert result['action'] == 'force' and result['survivor'] == 'etcd2' and result['running'] == ['etcd2']
    assert [p['revision'] for p in result['progress']] == [-1, 40, 40]
    assert result['report'].startswith('the quorum is lost: 1 of 3 members run and there is no leader. etcd2 has the '
                                       'most data')
    newer = recover_plan(GROUP, hostvars({'state': 'no data'}, running(40, 100), stopped(41)), probe())
    assert newer['survivor'] == 'etcd3'


def test_the_member_with_the_most_of_the_raft_log_survives_its_write_ahead_log_read_where_etcd_is_down():
    longer = recover_plan(GROUP, hostvars(stopped(40, commit=90), running(40, 100), stopped(40, commit=120)), probe())
    assert longer['survivor'] == 'etcd3'
    assert [p['raft_index'] for p in longer['progress']] == [90, 100, 120]
    # More of the log wins over more revisions (a revision counts only key writes, the log every change).
    log = recover_plan(GROUP, hostvars(stopped(41, commit=90), running(40, 100), {'state': 'no data'}), probe())
    assert log['survivor'] == 'etcd2'


def test_a_leader_or_a_running_majority_is_refused():
    with_leader = recover_plan(GROUP, hostvars(running(9, 20), running(9, 20), {'state': 'no data'}),
                               probe(['etcd1', 'etcd2'], leader='etcd1'))
    assert with_leader['action'] == 'refuse'
    assert 'the cluster has a leader (etcd1), so its quorum is not lost' in with_leader['problems'][0]
    majority = recover_plan(GROUP, hostvars(running(9, 20), running(9, 20), {'state': 'no data'}), probe())
    assert majority['problems'][0].startswith('the cluster has no leader, but etcd runs on etcd1, etcd2: 2 of 3 '
                                              'members, a majority')


def test_nothing_to_recover_from_is_refused():
    result = recover_plan(GROUP, hostvars({'state': 'no data'}, {'state': 'no data'}, {'state': 'no data'}), probe())
    assert result['action'] == 'force' and result['survivor'] == ''
    assert result['problems'] == ['no host of group etcd runs etcd or holds member data in /var/lib/etcd: there is '
                                  'nothing to recover from. Restore a snapshot with quorum.etcd.restore']


def test_a_host_that_did_not_answer_counts_as_lost():
    variables = hostvars(running(40, 100), {'state': 'no data'}, {'state': 'no data'})
    variables['etcd3'] = {}
    result = recover_plan(GROUP, variables, probe())
    assert result['action'] == 'force' and result['survivor'] == 'etcd1'
    assert result['progress'][2]['state'] == 'unknown'


def test_a_running_survivor_counts_the_voters_it_lists_when_the_dead_hosts_left_the_group():
    # etcd2 and etcd3 were destroyed and taken out of the group: etcd1 runs alone, without a leader, and
    # still lists the three members. Counting the group (1 of 1 running, a majority) would refuse.
    alone = {'etcd1': hostvars(running(40, 100))['etcd1']}
    result = recover_plan(['etcd1'], alone, probe(GROUP))
    assert result['voters'] == 3 and result['action'] == 'force' and result['survivor'] == 'etcd1', result
    assert result['problems'] == []
    assert result['report'].startswith('the quorum is lost: 1 of 3 members run and there is no leader. etcd1 has the '
                                       'most data and becomes a one-member cluster; then no other host joins')
    # Stopped, it lists nothing: the group stands for the membership, and it is still alone with its data.
    stopped_alone = {'etcd1': hostvars(stopped(40))['etcd1']}
    assert recover_plan(['etcd1'], stopped_alone, probe())['action'] == 'force'


def test_hosts_that_did_not_answer_are_left_out_and_named():
    # etcd2 and etcd3 were destroyed but are still listed; new1 and new2 replace them.
    group = ['etcd1', 'new1', 'new2']
    variables = {'etcd1': hostvars(running(40, 100))['etcd1'],
                 'new1': {'__etcd_self': {'name': 'new1'}, '__etcd_recover_read': {'stdout': '{"state": "no data"}'}},
                 'new2': {'__etcd_self': {'name': 'new2'}, '__etcd_recover_read': {'stdout': '{"state": "no data"}'}}}
    # Not reaching a host does not prove it is gone: without the operator's list, refused.
    unsaid = recover_plan(group, variables, probe(GROUP), left_out=['etcd2', 'etcd3'])
    assert unsaid['problems'] == ['etcd2, etcd3 did not answer: nothing was changed. A host that does not answer may '
                                  'still run its member; recover_quorum goes on without hosts only when '
                                  'etcd_recover_quorum_lost_hosts names exactly the hosts destroyed for good (now '
                                  'empty)'], unsaid['problems']
    wrong = recover_plan(group, variables, probe(GROUP), left_out=['etcd2', 'etcd3'], lost_hosts=['etcd2', 'new1'])
    assert wrong['problems'][0].startswith('etcd2, etcd3 did not answer; new1 answered but are listed as lost'), wrong
    result = recover_plan(group, variables, probe(GROUP), left_out=['etcd2', 'etcd3'], lost_hosts=['etcd3', 'etcd2'])
    assert result['problems'] == [], result['problems']
    assert result['action'] == 'force' and result['survivor'] == 'etcd1' and result['voters'] == 3, result
    assert result['left_out'] == ['etcd2', 'etcd3']
    assert result['report'].endswith('then new1, new2 join it one at a time with empty data. WARNING: writes that '
                                     'only the lost members had are gone. etcd2, etcd3 did not answer and are left '
                                     'out: the new cluster does not have their members; take them out of group etcd, '
                                     'or rebuild them and run quorum.etcd.scale')
    # Two of three members still run: a partition or a slow election, never a forced new cluster.
    two_run = dict(variables, new1=hostvars(running(40, 100), running(40, 100))['etcd2'])
    two_run['new1']['__etcd_self'] = {'name': 'etcd2'}
    assert recover_plan(group, two_run, probe(GROUP), left_out=['etcd3'], lost_hosts=['etcd3'])['action'] == 'refuse'


def test_a_healthy_cluster_names_the_hosts_left_out():
    result = recover_plan(['etcd1', 'etcd2'], hostvars(running(9, 20), running(9, 20)),
                          probe(GROUP, healthy=True, leader='etcd1', problems=()), left_out=['etcd3'],
                          lost_hosts=['etcd3'])
    assert result['action'] == 'none', result
    assert result['report'].endswith('etcd3 did not answer and is left out: where a host is gone for good, take it '
                                     'out of group etcd and remove its member with quorum.etcd.scale '
                                     '(etcd_remove_members)')
