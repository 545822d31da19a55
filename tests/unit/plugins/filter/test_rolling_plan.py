"""The rolling restart's plan (plugins/plugin_utils/rolling_plan.py): the play's hosts in inventory order,
the leader's last; refused when the cluster's voters are not the group's hosts."""
import os
import sys

from conftest import REPO

sys.path.insert(0, os.path.join(REPO, 'plugins', 'plugin_utils'))
from rolling_plan import rolling_plan  # noqa: E402

HOSTS = ['etcd-1', 'etcd-2', 'etcd-3']
NAMES = {'etcd-1': 'one', 'etcd-2': 'two', 'etcd-3': 'three'}


def cluster(leader='one', members=('one', 'two', 'three'), learners=()):
    return {'members': [{'name': n, 'is_learner': False} for n in members]
            + [{'name': n, 'is_learner': True} for n in learners], 'leader': {'name': leader} if leader else None}


def test_the_followers_restart_in_inventory_order_and_the_leader_last():
    plan = rolling_plan(NAMES, 'etcd', HOSTS, HOSTS, cluster('one'))
    assert plan == {'order': ['etcd-2', 'etcd-3', 'etcd-1'], 'leader_host': 'etcd-1', 'problems': []}
    assert rolling_plan(NAMES, 'etcd', HOSTS, list(reversed(HOSTS)), cluster('three'))['order'] == \
        ['etcd-1', 'etcd-2', 'etcd-3']


def test_a_limited_play_restarts_only_its_hosts_and_a_leader_outside_it_changes_nothing():
    limited = {'etcd-1': 'one', 'etcd-3': 'three'}
    plan = rolling_plan(limited, 'etcd', HOSTS, ['etcd-3', 'etcd-1'], cluster('one'))
    assert plan == {'order': ['etcd-3', 'etcd-1'], 'leader_host': 'etcd-1', 'problems': []}
    plan = rolling_plan(limited, 'etcd', HOSTS, ['etcd-1', 'etcd-3'], cluster('two'))
    assert plan == {'order': ['etcd-1', 'etcd-3'], 'leader_host': '', 'problems': []}
    # No leader (a cluster without quorum is refused by the gate, not here): inventory order.
    assert rolling_plan(NAMES, 'etcd', HOSTS, HOSTS, cluster(None))['order'] == HOSTS


def test_voters_that_are_not_the_groups_hosts_are_refused_with_both_lists():
    extra_voter = rolling_plan(NAMES, 'etcd', HOSTS, HOSTS, cluster('one', ('one', 'two', 'three', 'gone')))
    assert extra_voter['problems'] == [
        'the voting members of the cluster (gone, one, three, two) are not the hosts of group etcd (etcd-1, etcd-2, '
        'etcd-3; members of those in the play: one, two, three); bring them in line with the quorum.etcd.scale '
        'playbook first, so that every member is restarted and the gates expect the right number of members']
    # A host whose member is only a learner, and a host with a member of another name.
    assert rolling_plan(NAMES, 'etcd', HOSTS, HOSTS, cluster('one', ('one', 'two'), ('three',)))['problems']
    assert rolling_plan(dict(NAMES, **{'etcd-2': 'other'}), 'etcd', HOSTS, HOSTS, cluster('one'))['problems']
