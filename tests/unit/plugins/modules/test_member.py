"""quorum.etcd.member run (as on a managed host, conftest.run_module) against real etcd clusters."""
import os
import re
import shutil

import pytest

from ansible_collections.quorum.etcd.plugins.module_utils.etcd_client import EtcdClient, EtcdError, b64decode, b64encode
from conftest import DEFAULT_VERSION, OLDEST_VERSION, VERSIONS, Etcd, free_port, start_cluster, stop_cluster, wait_healthy

HEX = re.compile(r'^[0-9a-f]+$')


@pytest.fixture
def cluster(etcd_cluster):
    """The session's three-member cluster. Tests that use it leave it as they found it: the same three
    members, all running. The test that removes a member for good builds its own cluster."""
    yield etcd_cluster
    client = client_of(etcd_cluster)
    assert sorted(m['name'] for m in client.member_list()) == ['member1', 'member2', 'member3']
    wait_healthy(etcd_cluster)


def client_of(members, **params):
    return EtcdClient(dict(params, endpoints=[m.client_url for m in members]))


def ids_and_names(client):
    return sorted((m['id'], m['name'], m['is_learner']) for m in client.member_list())


def leader_of(client):
    """(id, name) of the leader the members agree on."""
    leader = client.find_leader()
    return leader['id'], leader['name']


def new_member(cluster, name):
    """An etcd process that is not started yet, on fresh loopback ports next to the cluster's."""
    return Etcd(cluster[0].bindir, os.path.dirname(cluster[0].data_dir), name)


def test_join_as_learner_promote_and_remove(run_tasks, cluster):
    urls = [m.client_url for m in cluster]
    client = client_of(cluster)
    before = ids_and_names(client)
    joiner = new_member(cluster, 'member4')
    args = dict(endpoints=urls, name='member4', peer_urls=[joiner.peer_url])
    try:
        plan, added, again, refused = run_tasks([
            ('member', args, True),
            ('member', args),
            ('member', args),
            # One membership change at a time: no second member while member4 is pending.
            ('member', dict(endpoints=urls, name='member5', peer_urls=['http://127.0.0.1:%d' % free_port()])),
        ])
        # Check mode decides and reports; it added nothing, or the real run would have found member4 there.
        assert plan.get('failed') is not True, plan
        assert plan['changed'] is True
        assert plan['actions'] == ['Would add member member4 with peer URLs %s as a learner.' % joiner.peer_url]
        assert plan['member']['id'] is None and plan['member']['is_learner'] is True
        assert sorted((m['id'], m['name'], m['is_learner']) for m in plan['members']) == before

        assert added.get('failed') is not True, added
        assert added['changed'] is True
        member = added['member']
        assert HEX.match(member['id'])
        assert member['is_learner'] is True and member['started'] is False and member['name'] == ''
        assert member['peer_urls'] == [joiner.peer_url]
        assert added['actions'] == ['Added member member4 with peer URLs %s as a learner (ID %s).'
                                    % (joiner.peer_url, member['id'])]
        assert sorted(added['initial_cluster'].split(',')) == sorted(
            '%s=%s' % (m.name, m.peer_url) for m in cluster + [joiner])
        assert added['initial_cluster_state'] == 'existing'
        assert added['cluster_id'] == client.cluster_id()
        assert len(added['members']) == 4

        # Re-run: the pending member has no name yet and is found by its peer URLs.
        assert again.get('failed') is not True, again
        assert again['changed'] is False and again['actions'] == []
        assert again['member']['id'] == member['id']
        assert again['initial_cluster'] == added['initial_cluster']

        assert refused['failed'] is True
        assert refused['msg'].startswith('Refusing to add member member5: etcd members are changed one at a time')
        assert member['id'] in refused['msg'] and 'has not started yet' in refused['msg']
        assert refused['changed'] is False and len(refused['members']) == 4
        assert len(client.member_list()) == 4

        # Start member4 the way the module said, then complete it: promoted, without a second add.
        joiner.start(added['initial_cluster'], 'unused', state=added['initial_cluster_state'])
        promoted, promoted_again, removed, gone = run_tasks([
            ('member', dict(args, state='promoted')),
            ('member', dict(args, state='promoted')),
            ('member', dict(endpoints=urls, name='member4', state='absent')),
            ('member', dict(endpoints=urls, name='member4', state='absent')),
        ])
        assert promoted.get('failed') is not True, promoted
        assert promoted['changed'] is True
        assert promoted['actions'] == ['Promoted learner member4 (ID %s) to a voting member.' % member['id']]
        assert promoted['member']['id'] == member['id']
        assert promoted['member']['is_learner'] is False and promoted['member']['started'] is True
        assert promoted['member']['name'] == 'member4'
        assert promoted['member']['client_urls'] == [joiner.client_url]
        assert [m['is_learner'] for m in promoted['members'] if m['id'] == member['id']] == [False]

        assert promoted_again.get('failed') is not True, promoted_again
        assert promoted_again['changed'] is False and promoted_again['actions'] == []

        assert removed.get('failed') is not True, removed
        assert removed['changed'] is True
        assert removed['member']['id'] == member['id']
        assert removed['actions'][-1] == 'Removed member member4 (ID %s).' % member['id']
        assert 'initial_cluster' not in removed
        assert sorted(m['name'] for m in removed['members']) == ['member1', 'member2', 'member3']

        assert gone.get('failed') is not True, gone
        assert gone['changed'] is False and gone['actions'] == [] and gone['member'] is None
        assert ids_and_names(client) == before
    finally:
        for left in [m for m in client.member_list() if m['peer_urls'] == [joiner.peer_url]]:
            client.member_remove(left['id'])
        stop_cluster([joiner])


def test_removal_that_would_lose_quorum_is_refused(run_tasks, cluster):
    urls = [m.client_url for m in cluster]
    client = client_of(cluster, timeout=2)
    before = ids_and_names(client)
    leader_id, leader_name = leader_of(client)
    down = [m for m in cluster if m.name != leader_name][0]
    down.stop()
    try:
        refused, plan, refused_add = run_tasks([
            # Removing the healthy leader would leave the member that is down and one healthy member: no quorum.
            ('member', dict(endpoints=urls, name=leader_name, state='absent', timeout=2)),
            # Removing the member that is down keeps the quorum of the two others: allowed (planned only).
            ('member', dict(endpoints=urls, name=down.name, state='absent', timeout=2), True),
            # No member is added while a voting member is down.
            ('member', dict(endpoints=urls, name='member9', timeout=2,
                            peer_urls=['http://127.0.0.1:%d' % free_port()])),
        ])
        # The refusal comes before anything changes, leadership included.
        assert refused['failed'] is True
        assert refused['msg'].startswith('Refusing to remove %s (ID %s): the 2 voting members left would need 2 '
                                         'healthy members for quorum, and only 1 would be healthy: '
                                         % (leader_name, leader_id)), refused['msg']
        assert down.name in refused['msg'] and 'Bring %s back first' % down.name in refused['msg']
        assert refused['changed'] is False and refused['actions'] == []

        assert plan.get('failed') is not True, plan
        assert plan['changed'] is True
        assert plan['actions'] == ['Would remove member %s (ID %s).' % (down.name, plan['member']['id'])]

        assert refused_add['failed'] is True
        assert refused_add['msg'].startswith('Refusing to add member member9: etcd only adds members while every '
                                             'voting member is connected, and %s' % down.name), refused_add['msg']

        assert ids_and_names(client) == before
        assert leader_of(client) == (leader_id, leader_name)
    finally:
        # The data dir holds the membership; etcd ignores the initial cluster on a restart.
        down.start(','.join('%s=%s' % (m.name, m.peer_url) for m in cluster), 'unused')
        wait_healthy([down])

    # Right after a restart etcd refuses membership changes for a few seconds ...
    peer = 'http://127.0.0.1:%d' % free_port()
    with pytest.raises(EtcdError, match='unhealthy cluster'):
        client.member_add([peer], is_learner=True)
    # ... the module retries until etcd accepts; a learner that never started goes by its peer URLs,
    # without any quorum check.
    added, removed = run_tasks([
        ('member', dict(endpoints=urls, name='member9', peer_urls=[peer])),
        ('member', dict(endpoints=urls, peer_urls=[peer], state='absent')),
    ])
    assert added.get('failed') is not True, added
    assert added['changed'] is True and added['member']['is_learner'] is True
    assert removed.get('failed') is not True, removed
    assert removed['changed'] is True and removed['member']['id'] == added['member']['id']
    assert removed['actions'] == ['Removed member the unstarted member %s with peer URLs %s.'
                                  % (added['member']['id'], peer)]
    assert ids_and_names(client) == before


def test_removing_the_leader_hands_over_leadership_first(run_tasks, etcd_bin, tmp_path):
    members = start_cluster(etcd_bin(DEFAULT_VERSION), str(tmp_path / 'cluster'), 3)
    try:
        urls = [m.client_url for m in members]
        client = client_of(members)
        leader_id, leader_name = leader_of(client)
        others = sorted(m.name for m in members if m.name != leader_name)
        args = dict(endpoints=urls, name=leader_name, state='absent')

        plan, removed, again, refused = run_tasks([
            ('member', args, True),
            ('member', args),
            ('member', args),
            # Two voting members are left: removing one of them is refused.
            ('member', dict(endpoints=urls, name=others[0], state='absent')),
        ])
        assert plan.get('failed') is not True, plan
        assert len(plan['actions']) == 2
        assert plan['actions'][0].startswith('Would transfer leadership from %s (ID %s) to '
                                             % (leader_name, leader_id))
        assert plan['actions'][1] == 'Would remove member %s (ID %s).' % (leader_name, leader_id)

        # The same leader was still there after check mode: the real run hands over from it.
        assert removed.get('failed') is not True, removed
        assert removed['changed'] is True
        successor = re.match(r'^Transferred leadership from %s \(ID %s\) to (\S+) \(ID ([0-9a-f]+)\)\.$'
                             % (leader_name, leader_id), removed['actions'][0])
        assert successor, removed['actions']
        assert successor.group(1) in others
        assert removed['actions'][1] == 'Removed member %s (ID %s).' % (leader_name, leader_id)
        assert sorted(m['name'] for m in removed['members']) == others
        assert leader_of(client) == (successor.group(2), successor.group(1))

        assert again.get('failed') is not True, again
        assert again['changed'] is False and again['member'] is None

        assert refused['failed'] is True
        assert 'from a cluster of two voting members' in refused['msg']
        assert 'Add a third member first' in refused['msg']
        assert sorted(m['name'] for m in client.member_list()) == others
    finally:
        stop_cluster(members)


def test_single_member_cluster(run_tasks, etcd_single):
    """On every tested minor: refusals that need no second cluster, and a learner added and removed by ID."""
    url = etcd_single.client_url
    client = EtcdClient(dict(endpoints=[url]))
    before = ids_and_names(client)
    own_id = before[0][0]
    peer = 'http://127.0.0.1:%d' % free_port()
    args = dict(endpoints=[url], name='member2', peer_urls=[peer])

    voter, other_urls, same, added = run_tasks([
        # A voter would need both members for quorum before the new one runs.
        ('member', dict(args, learner=False), True),
        # Peer URLs of an existing member are not changed.
        ('member', dict(endpoints=[url], name='member1', peer_urls=['http://127.0.0.1:%d' % free_port()])),
        ('member', dict(endpoints=[url], name='member1', peer_urls=[etcd_single.peer_url + '/'],
                        state='promoted')),
        ('member', args),
    ])
    try:
        assert voter['failed'] is True
        assert voter['msg'].startswith('Refusing to add member member2 as a voting member: the cluster would have 2 '
                                       'voting members, which need 2 started for quorum')

        assert other_urls['failed'] is True
        assert other_urls['msg'].startswith('Member member1 (ID %s) already exists with peer URLs %s, not '
                                            % (own_id, etcd_single.peer_url))
        assert 'does not change the peer URLs' in other_urls['msg']

        assert same.get('failed') is not True, same
        assert same['changed'] is False and same['member']['name'] == 'member1'
        assert same['initial_cluster'] == 'member1=%s' % etcd_single.peer_url

        assert added.get('failed') is not True, added
        assert added['changed'] is True and added['member']['is_learner'] is True
        assert sorted(added['initial_cluster'].split(',')) == [
            'member1=%s' % etcd_single.peer_url, 'member2=%s' % peer]
    finally:
        removed, = run_tasks([('member', dict(endpoints=[url], id=added['member']['id'], state='absent'))])
    assert removed.get('failed') is not True, removed
    assert removed['changed'] is True and removed['member']['id'] == added['member']['id']
    assert ids_and_names(client) == before


@pytest.mark.parametrize('version', [OLDEST_VERSION] + list(VERSIONS))
def test_a_member_moves_to_other_peer_urls_keeping_its_id_and_data(run_tasks, etcd_bin, tmp_path, version):
    """The way a member moves to another host: stop it, copy its data directory, change its peer URLs, start it
    at the new URLs. Here the new host is a new data directory and new loopback ports."""
    members = start_cluster(etcd_bin(version), str(tmp_path / 'cluster'), 3)
    old = members[2]
    os.makedirs(str(tmp_path / 'new-host'))
    moved = Etcd(old.bindir, str(tmp_path / 'new-host'), old.name)
    try:
        urls = [m.client_url for m in members]
        client = client_of(members)
        client.put('/moved/before', 'kept')
        member_id = [m['id'] for m in client.member_list() if m['name'] == old.name][0]
        args = dict(endpoints=urls[:2], name=old.name, peer_urls=[moved.peer_url], update_peer_urls=True)

        not_asked, taken, absent, plan = run_tasks([
            ('member', dict(args, update_peer_urls=False)),
            ('member', dict(args, peer_urls=[members[0].peer_url])),
            ('member', dict(args, state='absent')),
            ('member', args, True),
        ])
        assert not_asked['failed'] is True and not_asked['changed'] is False
        assert not_asked['msg'].startswith('Member %s (ID %s) already exists with peer URLs %s, not %s.'
                                           % (old.name, member_id, old.peer_url, moved.peer_url)), not_asked['msg']
        assert 'update_peer_urls: true' in not_asked['msg']

        assert taken['failed'] is True and taken['changed'] is False
        assert taken['msg'] == ('Cannot change the peer URLs of %s (ID %s) to %s: they already belong to %s (ID %s) '
                                '(peer URLs %s). Peer URLs must be unique.'
                                % (old.name, member_id, members[0].peer_url, members[0].name,
                                   [m['id'] for m in client.member_list() if m['name'] == members[0].name][0],
                                   members[0].peer_url)), taken['msg']

        assert absent['failed'] is True and 'not state=absent' in absent['msg']

        text = 'the peer URLs of member %s (ID %s) from %s to %s' % (old.name, member_id, old.peer_url, moved.peer_url)
        assert plan.get('failed') is not True, plan
        assert plan['changed'] is True and plan['actions'] == ['Would change %s.' % text]
        assert plan['member']['id'] == member_id and plan['member']['peer_urls'] == [moved.peer_url]
        assert '%s=%s' % (old.name, moved.peer_url) in plan['initial_cluster'].split(',')
        assert [m['peer_urls'] for m in client.member_list() if m['id'] == member_id] == [[old.peer_url]]

        # Stop the member and copy its data, as to a new host; the other two keep the quorum.
        old.stop()
        shutil.copytree(old.data_dir, moved.data_dir)
        changed, again = run_tasks([('member', args), ('member', args)])
        assert changed.get('failed') is not True, changed
        assert changed['changed'] is True and changed['actions'] == ['Changed %s.' % text]
        assert changed['member']['id'] == member_id and changed['member']['peer_urls'] == [moved.peer_url]
        assert again.get('failed') is not True, again
        assert again['changed'] is False and again['actions'] == [] and again['member']['id'] == member_id

        # The copy starts at the new URLs as the same member, with the data it had.
        moved.start(changed['initial_cluster'], 'unused', state='existing')
        wait_healthy([moved])
        now = [m for m in client_of([moved]).member_list() if m['id'] == member_id]
        assert [(m['name'], m['peer_urls'], m['client_urls'], m['is_learner']) for m in now] == [
            (old.name, [moved.peer_url], [moved.client_url], False)]
        local = EtcdClient(dict(endpoints=[moved.client_url])).call(
            'kv/range', {'key': b64encode('/moved/before'), 'serializable': True})
        assert [b64decode(kv['value']) for kv in local.get('kvs', [])] == ['kept']
        assert sorted(m['name'] for m in client_of([moved]).member_list()) == sorted(m.name for m in members)

        # With one of the two others down, moving the third would leave no healthy quorum: refused.
        members[0].stop()
        refused, = run_tasks([('member', dict(endpoints=[moved.client_url], name=members[1].name,
                                              peer_urls=['http://127.0.0.1:%d' % free_port()],
                                              update_peer_urls=True, timeout=2))])
        assert refused['failed'] is True and refused['changed'] is False
        assert refused['msg'].startswith('Refusing to change the peer URLs of %s (ID ' % members[1].name)
        assert 'the 3 voting members need 2 healthy members for quorum, but only 1 of the others are healthy; %s' \
            % members[0].name in refused['msg'], refused['msg']
        assert [m['peer_urls'] for m in client_of([moved]).member_list() if m['name'] == members[1].name] == [
            [members[1].peer_url]]
    finally:
        stop_cluster(members + [moved])
