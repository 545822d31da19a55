"""quorum.etcd.kv and the kv lookup against real etcd 3.5, 3.6 and 3.7 that require client
certificates and have authentication on, as this collection deploys them."""
import json
import subprocess

import pytest

from ansible_collections.quorum.etcd.plugins.module_utils.etcd_client import EtcdClient
from conftest import VERSIONS, _ansible_bin, _ansible_env, _direct_run, stop_cluster, wait_healthy
from test_tls_cluster import TlsEtcd

ROOT_PW = 'kv-root-Pw-4c7e1a'


@pytest.fixture(scope='module', params=VERSIONS, ids=['etcd' + v for v in VERSIONS])
def secure_etcd(request, etcd_bin, tmp_path_factory):
    member = TlsEtcd(etcd_bin(request.param), tmp_path_factory.mktemp('kv'))
    member.start()
    try:
        wait_healthy([member])
        client = EtcdClient(member.connection())
        client.user_add('root', ROOT_PW)
        client.user_grant_role('root', 'root')
        client.auth_set_enabled(True)
        yield member
    finally:
        stop_cluster([member])


@pytest.fixture
def kv(secure_etcd, tmp_path):
    """kv(args, check=False, diff=False) -> quorum.etcd.kv's result, logged in as root over TLS."""
    def run(args, check=False, diff=False):
        return _direct_run(tmp_path, 'kv', dict(secure_etcd.connection(), user='root', password=ROOT_PW, **args),
                           check, diff)
    return run


def test_a_key_is_written_once_read_and_deleted(kv):
    plan = kv(dict(key='/kv/a', value='one'), check=True, diff=True)
    assert plan['changed'] and plan['kvs'] == [] and plan['diff']['after'] == 'one\n'
    assert kv(dict(key='/kv/a', state='read'))['kvs'] == [], 'check mode wrote the key'
    written = kv(dict(key='/kv/a', value='one'), diff=True)
    assert written['changed'] and written['diff'] == dict(before='', after='one\n', before_header='/kv/a',
                                                           after_header='/kv/a')
    again = kv(dict(key='/kv/a', value='one'))
    assert again['changed'] is False and again['kvs'][0]['value'] == 'one'
    assert again['revision'] == written['revision']
    changed = kv(dict(key='/kv/a', value='two'), diff=True)
    assert changed['changed'] and (changed['diff']['before'], changed['diff']['after']) == ('one\n', 'two\n')

    gone = kv(dict(key='/kv/a', state='absent'))
    assert gone['changed'] and gone['deleted'] == 1 and gone['kvs'][0]['value'] == 'two'
    nothing = kv(dict(key='/kv/a', state='absent'))
    assert (nothing['changed'], nothing['kvs'], nothing['deleted'], nothing['revision']) == (
        False, [], 0, gone['revision'])


def test_a_prefix_is_read_and_deleted_and_keys_beside_it_stay(kv):
    for key, value in (('/kv/p/1', 'a'), ('/kv/p/2', 'b'), ('/kv/q', 'beside')):
        assert kv(dict(key=key, value=value))['changed']
    read = kv(dict(key='/kv/p/', prefix=True, state='read'))
    assert [(k['key'], k['value']) for k in read['kvs']] == [('/kv/p/1', 'a'), ('/kv/p/2', 'b')]
    assert read['changed'] is False
    gone = kv(dict(key='/kv/p/', prefix=True, state='absent'), diff=True)
    assert gone['deleted'] == 2 and gone['diff']['before'] == '/kv/p/1=a\n/kv/p/2=b\n' and gone['diff']['after'] == ''
    assert kv(dict(key='/kv/p/', prefix=True, state='read'))['kvs'] == []
    assert kv(dict(key='/kv/q', state='read'))['kvs'][0]['value'] == 'beside'


def test_a_key_with_a_ttl_has_a_lease_and_is_kept_while_it_has_one(kv, secure_etcd):
    first = kv(dict(key='/kv/leased', value='v', ttl=60))
    assert first['changed']
    read = kv(dict(key='/kv/leased', state='read'))['kvs'][0]
    assert read['lease'] != 0
    assert kv(dict(key='/kv/leased', value='v', ttl=60))['changed'] is False
    # The same value without a lease gets one.
    kv(dict(key='/kv/plain', value='v'))
    assert kv(dict(key='/kv/plain', value='v', ttl=60))['changed']
    client = EtcdClient(dict(secure_etcd.connection(), user='root', password=ROOT_PW))
    lease = client.call('lease/timetolive', {'ID': str(read['lease'])})
    assert 0 < int(lease['TTL']) <= 60


def test_compare_and_swap_writes_only_when_the_key_is_as_expected(kv):
    created = kv(dict(key='/kv/owner', value='host1', compare=dict(create_revision=0)))
    assert created['changed'] and created['swapped'] is True
    taken = kv(dict(key='/kv/owner', value='host2', compare=dict(create_revision=0)))
    assert taken['changed'] is False and taken['swapped'] is False
    assert kv(dict(key='/kv/owner', state='read'))['kvs'][0]['value'] == 'host1'
    current = kv(dict(key='/kv/owner', state='read'))['kvs'][0]
    plan = kv(dict(key='/kv/owner', value='host2', compare=dict(mod_revision=current['mod_revision'])), check=True)
    assert plan['swapped'] is True and kv(dict(key='/kv/owner', state='read'))['kvs'][0]['value'] == 'host1'
    moved = kv(dict(key='/kv/owner', value='host2', compare=dict(value='host1')))
    assert moved['swapped'] is True and kv(dict(key='/kv/owner', state='read'))['kvs'][0]['value'] == 'host2'
    stale = kv(dict(key='/kv/owner', value='host3', compare=dict(mod_revision=current['mod_revision'])))
    assert stale['swapped'] is False and kv(dict(key='/kv/owner', state='read'))['kvs'][0]['value'] == 'host2'


def test_bad_arguments_are_refused_before_anything_is_asked(kv):
    refused = kv(dict(key='/kv/x', state='present', prefix=True, ttl=0, compare=dict(size=1)))
    assert refused['failed'] and refused['msg'] == (
        'state=present needs value; prefix=true goes with state read or absent: a value is written to one key; ttl is '
        "a number of seconds (at least 1) for state=present, not 0 with state=present; compare takes one of value, "
        "version, mod_revision, create_revision, not ['size']; nothing was changed.")


def test_the_lookup_reads_keys_and_prefixes(kv, secure_etcd, tmp_path):
    kv(dict(key='/kv/look/a', value='1'))
    kv(dict(key='/kv/look/b', value='2'))
    connection = dict(secure_etcd.connection(), user='root', password=ROOT_PW)
    args = ', '.join('%s=%s' % (name, json.dumps(value)) for name, value in sorted(connection.items()))
    expression = ("{{ [lookup('quorum.etcd.kv', '/kv/look/a', '/kv/missing', %s, wantlist=true), "
                  "lookup('quorum.etcd.kv', '/kv/look/', prefix=true, %s)] }}" % (args, args))
    workdir = tmp_path / 'lookup'
    workdir.mkdir()
    done = subprocess.run([_ansible_bin(), 'localhost', '-c', 'local', '-m', 'ansible.builtin.debug',
                           '-a', json.dumps({'msg': expression})], cwd=str(workdir), env=_ansible_env(workdir),
                          capture_output=True, text=True, timeout=120)
    shown = json.loads(done.stdout)['plays'][0]['tasks'][0]['hosts']['localhost']['msg']
    assert shown == [['1', None], {'/kv/look/a': '1', '/kv/look/b': '2'}], done.stdout[-2000:]
