"""EtcdClient against real etcd processes (3.5, 3.6 and 3.7)."""
import re
import time

import pytest

from ansible_collections.quorum.etcd.plugins.module_utils.etcd_client import (
    EtcdClient,
    EtcdError,
    EtcdUnreachable,
    etcd_argument_spec,
    id_from_hex,
    id_to_hex,
    prefix_range_end,
)
from conftest import DEFAULT_VERSION, dead_url, free_port, start_cluster, stop_cluster

HEX = re.compile(r'^[0-9a-f]+$')


def test_argument_spec_defaults():
    spec = etcd_argument_spec()
    assert spec['endpoints']['default'] == ['http://127.0.0.1:2379']
    assert spec['timeout'] == dict(type='float', default=5.0)
    assert spec['password']['no_log'] is True
    assert spec['validate_certs']['default'] is True


def test_id_conversions_match_etcdctl():
    # etcdctl prints member 7059799375513725458 as 61f97220ab052a12
    assert id_to_hex('7059799375513725458') == '61f97220ab052a12'
    assert id_from_hex('61f97220ab052a12') == '7059799375513725458'
    assert id_from_hex('0x61F97220AB052A12') == '7059799375513725458'
    with pytest.raises(EtcdError, match='not a member ID'):
        id_from_hex('member1')


def test_prefix_range_end():
    assert prefix_range_end('a/') == b'a0'
    assert prefix_range_end(b'a\xff') == b'b'
    assert prefix_range_end(b'\xff') == b'\0'


def test_endpoints_without_scheme():
    assert EtcdClient(dict(endpoints=['10.0.0.1:2379/'])).endpoints == ['http://10.0.0.1:2379']
    assert EtcdClient(dict(endpoints=['10.0.0.1:2379'], ca_cert='/ca.pem')).endpoints == ['https://10.0.0.1:2379']


def test_put_get_roundtrip(etcd_single):
    client = EtcdClient(dict(endpoints=[etcd_single.client_url]))
    revision = client.put('quorum/test/ключ', 'value with spaces & ü')
    assert revision > 1
    assert client.get('quorum/test/ключ') == 'value with spaces & ü'
    client.put('quorum/test/b', '2')
    client.put('quorum/testing', 'not under the prefix')
    assert [(kv['key'], kv['value']) for kv in client.range('quorum/test/')] == [
        ('quorum/test/b', '2'), ('quorum/test/ключ', 'value with spaces & ü')]
    assert client.range('quorum/test/')[0]['mod_revision'] > 1
    assert client.delete('quorum/test/', prefix=True) == 2
    assert client.get('quorum/test/b') is None
    assert client.get('quorum/testing') == 'not under the prefix'


def test_status_and_members(etcd_single):
    client = EtcdClient(dict(endpoints=[etcd_single.client_url]))
    members = client.member_list()
    assert len(members) == 1
    member = members[0]
    assert HEX.match(member['id'])
    assert member['name'] == 'member1'
    assert member['client_urls'] == [etcd_single.client_url]
    assert member['peer_urls'] == [etcd_single.peer_url]
    assert member['started'] is True and member['is_learner'] is False

    status = client.status(etcd_single.client_url)
    assert status['member_id'] == member['id']
    assert status['leader'] == member['id']
    assert status['version'] == etcd_single.version
    assert status['db_size'] > 0
    assert status['raft_term'] >= 1 and status['raft_applied_index'] >= 1
    assert status['is_learner'] is False and status['errors'] == []
    assert status['cluster_id'] == client.cluster_id()

    assert client.health(etcd_single.client_url) == dict(health=True, reason='')
    assert client.version(etcd_single.client_url)['etcdserver'] == etcd_single.version
    assert client.alarms() == []


def test_learner_add_and_remove(etcd_single):
    client = EtcdClient(dict(endpoints=[etcd_single.client_url]))
    peer = 'http://127.0.0.1:%d' % free_port()
    added = client.member_add([peer], is_learner=True)
    new = added['member']
    try:
        assert HEX.match(new['id'])
        assert new['peer_urls'] == [peer]
        assert new['is_learner'] is True and new['started'] is False
        assert new['id'] in [m['id'] for m in client.member_list()]
        # etcd only promotes a learner that has caught up with the leader; this one never started.
        with pytest.raises(EtcdError, match='can only promote a learner member which is in sync with leader'):
            client.member_promote(new['id'])
    finally:
        remaining = client.member_remove(new['id'])
    assert [m['name'] for m in remaining] == ['member1']


def test_move_leader(etcd_cluster):
    client = EtcdClient(dict(endpoints=[m.client_url for m in etcd_cluster]))
    statuses = [client.status(url) for url in client.endpoints]
    leader = [s for s in statuses if s['member_id'] == s['leader']][0]
    target = [s for s in statuses if s['member_id'] != s['leader']][0]

    client.move_leader(target['member_id'], leader['endpoint'])

    deadline = time.time() + 10
    while time.time() < deadline:
        leaders = set(client.status(url)['leader'] for url in client.endpoints)
        if leaders == {target['member_id']}:
            break
        time.sleep(0.1)
    assert leaders == {target['member_id']}


def test_error_answer_is_not_failover(etcd_single):
    client = EtcdClient(dict(endpoints=[etcd_single.client_url]))
    with pytest.raises(EtcdError) as info:
        client.member_remove('1234abcd')
    assert not isinstance(info.value, EtcdUnreachable)
    assert info.value.status == 404
    assert 'member not found' in info.value.reason
    assert etcd_single.client_url in str(info.value)


def test_failover_to_second_endpoint(etcd_single):
    dead = dead_url()
    client = EtcdClient(dict(endpoints=[dead, etcd_single.client_url], timeout=2))
    client.put('quorum/failover', 'ok')
    assert client.get('quorum/failover') == 'ok'
    assert client.member_list()[0]['name'] == 'member1'
    with pytest.raises(EtcdUnreachable, match=re.escape(dead)):
        client.status(dead)


def test_all_endpoints_dead():
    first, second = dead_url(), dead_url()
    client = EtcdClient(dict(endpoints=[first, second], timeout=2))
    with pytest.raises(EtcdUnreachable) as info:
        client.member_list()
    message = str(info.value)
    assert first in message and second in message and 'refused' in message


def test_authentication(etcd_bin, tmp_path):
    members = start_cluster(etcd_bin(DEFAULT_VERSION), str(tmp_path), 1)
    try:
        url = members[0].client_url
        # Credentials before auth is enabled are ignored, as etcdctl does.
        early = EtcdClient(dict(endpoints=[url], user='root', password='s3cret'))
        early.put('quorum/auth', 'before')
        early.call('auth/user/add', {'name': 'root', 'password': 's3cret'})
        early.call('auth/user/grant', {'user': 'root', 'role': 'root'})
        early.call('auth/enable')

        with pytest.raises(EtcdError, match='user name is empty'):
            EtcdClient(dict(endpoints=[url])).get('quorum/auth')
        with pytest.raises(EtcdError, match='authentication failed'):
            EtcdClient(dict(endpoints=[url], user='root', password='wrong')).get('quorum/auth')
        client = EtcdClient(dict(endpoints=[url], user='root', password='s3cret'))
        assert client.get('quorum/auth') == 'before'
        client.put('quorum/auth', 'after')
        assert client.get('quorum/auth') == 'after'
        assert client._token  # a real token is sent in the Authorization header
    finally:
        stop_cluster(members)
