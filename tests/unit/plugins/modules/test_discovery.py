"""quorum.etcd.discovery against a real discovery service: the token it prepares bootstraps
three real etcd 3.6 and 3.7 members (v3 discovery), a second run changes nothing, a token
used by another cluster or sized differently is refused with nothing changed."""

import pytest

from ansible_collections.quorum.etcd.plugins.module_utils.etcd_client import EtcdClient
from conftest import DEFAULT_VERSION, Etcd, _direct_run, dead_url, start_cluster, stop_cluster, wait_healthy

DISCOVERY_VERSIONS = ('3.6.16', '3.7.3')  # v3 discovery came with etcd 3.6


@pytest.fixture(scope='module')
def service(etcd_bin, tmp_path_factory):
    """The discovery service: a one-member cluster."""
    members = start_cluster(etcd_bin(DEFAULT_VERSION), str(tmp_path_factory.mktemp('discovery-service')), 1)
    yield members[0]
    stop_cluster(members)


@pytest.fixture
def discovery(service, tmp_path):
    def run(args, check=False):
        return _direct_run(tmp_path, 'discovery', dict(endpoints=[service.client_url], **args), check)
    return run


def _read(service, prefix):
    return {kv['key']: kv['value'] for kv in EtcdClient(dict(endpoints=[service.client_url])).range(prefix)}


@pytest.mark.parametrize('version', DISCOVERY_VERSIONS)
def test_a_prepared_token_bootstraps_three_members_and_a_second_run_changes_nothing(
        version, discovery, service, etcd_bin, tmp_path):
    token = 'bootstrap-' + version.replace('.', '-')
    members = [Etcd(etcd_bin(version), str(tmp_path), 'member%d' % i) for i in (1, 2, 3)]
    wanted = ['%s=%s' % (m.name, m.peer_url) for m in members]

    planned = discovery(dict(token=token, size=3, members=wanted), check=True)
    assert planned['changed'] and planned['registered'] == []
    assert _read(service, '/_etcd/registry/' + token) == {}, 'check mode wrote the size'
    prepared = discovery(dict(token=token, size=3, members=wanted))
    assert prepared['changed'] and prepared['size'] == 3
    assert _read(service, '/_etcd/registry/' + token) == {'/_etcd/registry/%s/_config/size' % token: '3'}

    try:
        for member in members:
            member.start(None, token, extra=['--discovery-endpoints', service.client_url,
                                             '--discovery-token', token])
        wait_healthy(members, timeout=60)
        listed = EtcdClient(dict(endpoints=[members[0].client_url])).member_list()
        assert sorted(m['name'] for m in listed) == ['member1', 'member2', 'member3']

        again = discovery(dict(token=token, size=3, members=wanted))
        assert again['changed'] is False and sorted(again['registered']) == sorted(wanted)
    finally:
        stop_cluster(members)

    gone = discovery(dict(token=token, state='absent'))
    assert gone['changed'] and gone['deleted'] == 4  # the size and three registrations
    assert _read(service, '/_etcd/registry/' + token) == {}
    assert discovery(dict(token=token, state='absent'))['changed'] is False


def test_a_token_of_another_cluster_or_another_size_is_refused_and_nothing_changes(discovery, service):
    token = 'used-token'
    client = EtcdClient(dict(endpoints=[service.client_url]))
    client.put('/_etcd/registry/%s/_config/size' % token, '3')
    client.put('/_etcd/registry/%s/members/8e9e05c52164694d' % token, 'old-1=http://10.9.9.1:2380')
    before = _read(service, '/_etcd/registry/')
    ours = ['etcd-1=https://10.0.0.11:2380', 'etcd-2=https://10.0.0.12:2380', 'etcd-3=https://10.0.0.13:2380']

    stranger = discovery(dict(token=token, size=3, members=ours))
    assert stranger['failed'] and 'old-1=http://10.9.9.1:2380' in stranger['msg']
    assert stranger['registered'] == ['old-1=http://10.9.9.1:2380']
    resized = discovery(dict(token=token, size=5, members=ours + ['etcd-4=a', 'etcd-5=b']))
    assert resized['failed'] and 'holds size 3' in resized['msg'] and 'bootstraps 5 members' in resized['msg']
    assert _read(service, '/_etcd/registry/') == before

    bad = discovery(dict(token='a/b', size=0, members=['no-equals-sign']))
    assert bad['failed'] and 'nothing was changed' in bad['msg']
    for part in ("token 'a/b'", 'at least 1', 'members lists 1 members and size is 0', 'no-equals-sign'):
        assert part in bad['msg']


def test_an_unreachable_service_fails_naming_it(tmp_path):
    url = dead_url()
    result = _direct_run(tmp_path, 'discovery', dict(endpoints=[url], token='t', size=1, timeout=1))
    assert result['failed'] and url in result['msg'] and 'did not answer' in result['msg']
