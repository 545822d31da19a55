"""quorum.etcd.leader run (as on a managed host, conftest.run_module) against a real etcd cluster.

Moving the leadership leaves the session's three-member cluster as healthy as it was, so the
tests share it with the others.
"""
import time

from ansible_collections.quorum.etcd.plugins.module_utils.etcd_client import EtcdClient


def statuses(client):
    return [client.status(url) for url in client.endpoints]


def agreed_leader(client, names):
    """{'id', 'name'} of the leader every member follows (followers learn of a new leader within a heartbeat)."""
    deadline = time.time() + 5
    leaders = set(s['leader'] for s in statuses(client))
    while len(leaders) != 1 and time.time() < deadline:
        time.sleep(0.1)
        leaders = set(s['leader'] for s in statuses(client))
    assert len(leaders) == 1, leaders
    leader = leaders.pop()
    return dict(id=leader, name=names[leader])


def test_transfer_to_a_named_member(run_tasks, etcd_cluster):
    urls = [m.client_url for m in etcd_cluster]
    client = EtcdClient(dict(endpoints=urls))
    names = dict((m['id'], m['name']) for m in client.member_list())
    before = agreed_leader(client, names)
    target = sorted(name for name in names.values() if name != before['name'])[0]
    target_id = [i for i, n in names.items() if n == target][0]

    plan, moved, again = run_tasks([
        ('leader', dict(endpoints=urls, to=target), True),
        ('leader', dict(endpoints=urls, to=target)),
        ('leader', dict(endpoints=urls, to=target)),
    ])
    assert plan.get('failed') is not True, plan
    assert plan['changed'] is True
    assert plan['leader_before'] == before and plan['leader'] == dict(id=target_id, name=target)
    assert plan['actions'] == ['Would transfer leadership from %s (ID %s) to %s (ID %s).'
                               % (before['name'], before['id'], target, target_id)]

    # Check mode moved nothing: the real run still found the old leader.
    assert moved.get('failed') is not True, moved
    assert moved['changed'] is True
    assert moved['leader_before'] == before
    assert moved['leader'] == dict(id=target_id, name=target)
    assert moved['actions'] == ['Transferred leadership from %s (ID %s) to %s (ID %s).'
                                % (before['name'], before['id'], target, target_id)]

    assert again.get('failed') is not True, again
    assert again['changed'] is False and again['actions'] == []
    assert again['leader_before'] == again['leader'] == dict(id=target_id, name=target)
    assert agreed_leader(client, names) == dict(id=target_id, name=target)


def test_away_from_the_leader_and_by_id(run_tasks, etcd_cluster):
    urls = [m.client_url for m in etcd_cluster]
    client = EtcdClient(dict(endpoints=urls))
    names = dict((m['id'], m['name']) for m in client.member_list())
    before = agreed_leader(client, names)

    away, away_again = run_tasks([
        ('leader', dict(endpoints=urls, away_from=before['name'])),
        # Now another member leads: nothing to do.
        ('leader', dict(endpoints=urls, away_from=before['name'])),
    ])
    assert away.get('failed') is not True, away
    assert away['changed'] is True
    assert away['leader_before'] == before
    assert away['leader']['id'] != before['id'] and away['leader']['id'] in names
    assert agreed_leader(client, names) == away['leader']
    assert away_again['changed'] is False and away_again['actions'] == [], away_again
    assert away_again['leader'] == away['leader']

    # Back to the first leader, named by its hex ID; an unknown member is an error that names the members.
    back, unknown = run_tasks([
        ('leader', dict(endpoints=urls, to=before['id'])),
        ('leader', dict(endpoints=urls, to='nosuchmember')),
    ])
    assert back.get('failed') is not True, back
    assert back['changed'] is True and back['leader'] == before
    assert agreed_leader(client, names) == before
    assert unknown['failed'] is True
    assert unknown['msg'].startswith('No member of the cluster is called nosuchmember or has that ID')
    assert all(name in unknown['msg'] for name in names.values())
