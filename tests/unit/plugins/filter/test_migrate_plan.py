"""The migrate playbook's decision (plugins/plugin_utils/migrate_plan.py): the move, what the new
host starts with, a re-run that does nothing, and every refusal at once."""
import os
import sys

from conftest import REPO

sys.path.insert(0, os.path.join(REPO, 'plugins', 'plugin_utils'))
from migrate_plan import migrate_plan  # noqa: E402

GROUP = ['etcd1', 'etcd2', 'etcd3']


def host(n, active=True, entries=None, address=None, path='/var/lib/etcd'):
    return {'__etcd_self': {'name': 'etcd%d' % n, 'peer_url': 'https://10.0.0.%d:2380' % n,
                            'client_url': 'https://10.0.0.%d:2379' % n},
            '__etcd_address': address if address is not None else '10.0.0.%d' % n,
            '__etcd_host': {'service_active': active, 'ipv4_addresses': ['10.0.0.%d' % n],
                            'data_dir': {'path': path, 'entries': entries if entries is not None else ['member']},
                            'config': {'ETCD_INITIAL_CLUSTER_TOKEN': 'old-token'}}}


def member(n, url=None, learner=False):
    return {'name': 'etcd%d' % n, 'id': '%x' % (n * 4096), 'started': True, 'is_learner': learner,
            'peer_urls': [url or 'https://10.0.0.%d:2380' % n], 'client_urls': ['https://10.0.0.%d:2379' % n]}


def probe(members, healthy=True, version='3.6.16'):
    return {'members': members, 'healthy': healthy, 'problems': [] if healthy else ['endpoint etcd2 is down'],
            'endpoints': [{'endpoint': 'https://10.0.0.%d:2379' % i, 'version': version} for i in (1, 2, 3)]}


def hostvars(**new_host):
    out = {'etcd%d' % n: host(n) for n in (1, 2, 3)}
    out['etcd4'] = host(4, active=False, entries=[], **new_host)
    return out


def move(variables, found, source='etcd3', target='etcd4', play=GROUP + ['etcd4'], **settings):
    return migrate_plan(GROUP, variables, found, source, target, play, version='3.6.16', token='etcd-cluster',
                        stamp='T1', **settings)


def test_a_member_moves_to_the_new_host_with_the_cluster_as_it_will_be():
    result = move(hostvars(), probe([member(1), member(2), member(3)]))
    assert result['problems'] == [] and result['done'] is False
    assert result['name'] == 'etcd3' and result['id'] == '3000' and result['voters'] == 3
    assert result['anchor'] == 'etcd1' and result['anchor_urls'] == ['https://10.0.0.1:2379', 'https://10.0.0.2:2379']
    assert result['initial_cluster'] == ('etcd1=https://10.0.0.1:2380,etcd2=https://10.0.0.2:2380,'
                                         'etcd3=https://10.0.0.4:2380')
    assert result['token'] == 'old-token' and result['dirs'] == ['/var/lib/etcd']


def test_a_rerun_after_the_move_does_nothing():
    variables = hostvars()
    variables['etcd4']['__etcd_host'].update(service_active=True, data_dir={'path': '/var/lib/etcd',
                                                                             'entries': ['member']})
    result = move(variables, probe([member(1), member(2), member(3, url='https://10.0.0.4:2380')]))
    assert result['done'] is True and result['problems'] == []


def test_the_hosts_named_are_checked_first_all_at_once():
    assert move(hostvars(), probe([]), source='', target='')['problems'][0].startswith('set both etcd_migrate_from')
    assert move(hostvars(), probe([]), source='etcd3', target='etcd3')['problems'] == [
        'etcd_migrate_from and etcd_migrate_to are both etcd3; the member moves to another host']
    swapped = move(hostvars(), probe([]), source='etcd4', target='etcd3')['problems']
    assert [p.split(' ')[0:3] for p in swapped] == [['etcd_migrate_from', 'etcd4', 'is'],
                                                    ['etcd_migrate_to', 'etcd3', 'is']]
    assert 'is not a host of the inventory' in move(hostvars(), probe([]), target='etcd9')['problems'][0]


def test_every_problem_of_the_new_host_and_the_cluster_is_listed_at_once():
    variables = hostvars(address='', path='/data/etcd')
    variables['etcd4']['__etcd_host'].update(service_active=True)
    variables['etcd4']['__etcd_host']['data_dir']['entries'] = ['leftover']
    variables['etcd4']['__etcd_migrate_wal_files'] = {'files': [{'path': '/wal/0.wal'}]}
    problems = move(variables, probe([member(1), member(3)], healthy=False, version='3.5.35'),
                    wal_dir='/wal')['problems']
    assert [p.split(':')[0].split(';')[0][:36] for p in problems] == [
        'etcd_migrate_to etcd4 has no member ',
        'etcd_migrate_to etcd4 runs etcd (ser',
        'etcd_migrate_to etcd4',
        'etcd_migrate_to etcd4',
        'etcd_data_dir is /var/lib/etcd on et',
        'the cluster is not healthy',
        'the cluster has 2 voting members',
        'the cluster runs etcd 3.5.35, not et']
    assert '/data/etcd is not empty (it holds leftover)' in problems[2]
    assert 'the WAL directory /wal is not empty (it holds /wal/0.wal)' in problems[3]


def test_a_member_that_cannot_move_is_named():
    learner = move(hostvars(), probe([member(1), member(2), member(3, learner=True)]))['problems']
    assert learner[0] == 'etcd_migrate_from etcd3: member etcd3 is a learner; only a started voting member is migrated'
    assert learner[1].startswith('the cluster has 2 voting members')
    elsewhere = move(hostvars(), probe([member(1), member(2), member(3, url='https://10.9.9.9:2380')]))['problems']
    assert elsewhere[0].startswith('etcd_migrate_from etcd3: member etcd3 has peer URLs https://10.9.9.9:2380, not '
                                   'https://10.0.0.3:2380')
    down = move(hostvars(), {'members': [], 'msg': 'No etcd endpoint answered.'})['problems']
    assert down == ['no member of group etcd answers (https://10.0.0.1:2379, https://10.0.0.2:2379, '
                    'https://10.0.0.3:2379): No etcd endpoint answered. A member moves only while its cluster runs.']
