"""The deploy's cluster plan (plugins/plugin_utils/cluster_plan.py) for the clusters the role meets:
fresh, converged, growing, shrinking, half-joined, with a dead member, and the problems
that stop a run, all listed at once. The probe dicts have the shape quorum.etcd.cluster_info
returns (tests/unit/plugins/modules/test_cluster_info.py runs it against real etcd)."""
import os
import sys

from conftest import REPO

sys.path.insert(0, os.path.join(REPO, 'plugins', 'plugin_utils'))
from cluster_plan import cluster_plan  # noqa: E402
from restart_order import restart_order  # noqa: E402
from plan_in_play import plan_in_play  # noqa: E402
from started_with import started_with  # noqa: E402

TOKEN = 'etcd-cluster'


def host(n, state='present', initialized=False, entries=None, config=None):
    return {'__etcd_self': {'name': 'etcd%d' % n, 'peer_url': 'https://10.0.0.%d:2380' % n,
                            'client_url': 'https://10.0.0.%d:2379' % n, 'state': state},
            '__etcd_host': {'data_dir': {'path': '/var/lib/etcd', 'initialized': initialized,
                                         'entries': entries if entries is not None else (['member'] if initialized else [])},
                            'config': config or {}}}


def deployed(n, cluster='etcd1=https://10.0.0.1:2380,etcd2=https://10.0.0.2:2380,etcd3=https://10.0.0.3:2380'):
    return host(n, initialized=True, config={'ETCD_INITIAL_CLUSTER': cluster, 'ETCD_INITIAL_CLUSTER_STATE': 'new',
                                             'ETCD_INITIAL_CLUSTER_TOKEN': 'old-token'})


def member(n, learner=False, started=True):
    return {'name': 'etcd%d' % n if started else '', 'id': '%x' % (n * 1000), 'is_learner': learner,
            'peer_urls': ['https://10.0.0.%d:2380' % n]}


def probe(members, leader=None, version='3.6.16'):
    return {'members': members, 'leader': {'name': 'etcd%d' % leader} if leader else None,
            'endpoints': [{'endpoint': 'https://10.0.0.%d:2379' % i, 'version': version, 'error': ''}
                          for i in range(1, len(members) + 1)]}


def plan(hostvars, found, play=None, **settings):
    group = sorted(hostvars)
    settings.setdefault('version', '3.6.16')
    return cluster_plan(group, hostvars, found, play if play is not None else group, token=TOKEN, **settings)


def test_a_fresh_cluster_bootstraps_every_member_together():
    result = plan({'etcd%d' % n: host(n) for n in (1, 2, 3)}, {'members': [], 'endpoints': []})
    assert result['problems'] == [] and result['live'] is False
    assert result['joiners'] == [] and result['leavers'] == [] and result['anchor'] == ''
    cluster = 'etcd1=https://10.0.0.1:2380,etcd2=https://10.0.0.2:2380,etcd3=https://10.0.0.3:2380'
    for name in ('etcd1', 'etcd2', 'etcd3'):
        assert result['hosts'][name]['initial_cluster'] == cluster
        assert result['hosts'][name]['initial_cluster_state'] == 'new'
        assert result['hosts'][name]['initial_cluster_token'] == TOKEN
    # Until the cluster runs, every member that will be in it gates.
    assert result['gate_urls'] == ['https://10.0.0.%d:2379' % n for n in (1, 2, 3)] and result['gate_members'] == 3


def test_a_converged_cluster_keeps_what_each_member_started_with():
    result = plan({'etcd%d' % n: deployed(n) for n in (1, 2, 3)}, probe([member(1), member(2), member(3)], leader=2))
    assert result['problems'] == [] and result['live'] is True
    assert all(part['member'] and not part['joining'] for part in result['hosts'].values())
    assert {part['initial_cluster_token'] for part in result['hosts'].values()} == {'old-token'}
    assert result['anchor'] == 'etcd1' and result['leader_host'] == 'etcd2'
    assert result['gate_members'] == 3
    assert restart_order(['etcd1', 'etcd2', 'etcd3'], result) == ['etcd1', 'etcd3', 'etcd2']


def test_new_hosts_join_one_at_a_time_each_with_the_cluster_as_it_will_be():
    hostvars = {'etcd%d' % n: deployed(n) for n in (1, 2, 3)}
    hostvars.update({'etcd4': host(4), 'etcd5': host(5)})
    result = plan(hostvars, probe([member(1), member(2), member(3)], leader=1), membership_changes=True)
    assert result['problems'] == []
    assert result['joiners'] == ['etcd4', 'etcd5'] and result['staying'] == ['etcd%d' % n for n in range(1, 6)]
    base = 'etcd1=https://10.0.0.1:2380,etcd2=https://10.0.0.2:2380,etcd3=https://10.0.0.3:2380'
    assert result['hosts']['etcd4']['initial_cluster'] == base + ',etcd4=https://10.0.0.4:2380'
    assert result['hosts']['etcd5']['initial_cluster'] == base + ',etcd4=https://10.0.0.4:2380,etcd5=https://10.0.0.5:2380'
    assert result['hosts']['etcd5']['initial_cluster_state'] == 'existing'
    # Changes go through members that neither join nor leave; gates ask those.
    assert result['anchor'] == 'etcd1' and result['gate_urls'] == ['https://10.0.0.%d:2379' % n for n in (1, 2, 3)]


def test_growing_without_the_scale_playbook_is_refused_naming_the_host():
    hostvars = {'etcd%d' % n: deployed(n) for n in (1, 2, 3)}
    hostvars.update({'etcd4': host(4), 'etcd5': host(5)})
    result = plan(hostvars, probe([member(1), member(2), member(3)]))
    assert ('etcd4: etcd member etcd4 is not in the running cluster (etcd1, etcd2, etcd3); add it with the '
            'quorum.etcd.scale playbook') in result['problems']
    assert len([p for p in result['problems'] if 'not in the running cluster' in p]) == 2


def test_leaving_hosts_leave_after_the_joins_and_the_cluster_stays_odd():
    hostvars = {'etcd%d' % n: deployed(n) for n in (1, 2, 3, 4, 5)}
    hostvars['etcd4'] = deployed(4)
    hostvars['etcd4']['__etcd_self']['state'] = 'absent'
    hostvars['etcd5']['__etcd_self']['state'] = 'absent'
    result = plan(hostvars, probe([member(n) for n in range(1, 6)], leader=5), membership_changes=True)
    assert result['problems'] == []
    assert result['leavers'] == ['etcd4', 'etcd5'] and result['staying'] == ['etcd1', 'etcd2', 'etcd3']
    assert result['anchor_urls'] == ['https://10.0.0.%d:2379' % n for n in (1, 2, 3)]


def test_a_half_joined_learner_is_joined_again_and_an_unstarted_member_needs_the_scale_playbook():
    hostvars = {'etcd%d' % n: deployed(n) for n in (1, 2, 3)}
    hostvars['etcd4'] = host(4)
    hostvars['etcd5'] = host(5)
    found = probe([member(1), member(2), member(3), member(4, learner=True), member(5, started=False)])
    result = plan(hostvars, found, membership_changes=True)
    assert result['joiners'] == ['etcd4', 'etcd5'] and result['problems'] == []
    assert result['pending_peer_urls'] == ['https://10.0.0.5:2380']
    assert result['voters_now'] == 3
    refused = plan(hostvars, found)
    assert any('a member was added but has not started (peer URLs https://10.0.0.5:2380)' in p
               for p in refused['problems'])


def test_a_dead_member_to_remove_and_an_unknown_member_are_told_apart():
    hostvars = {'etcd%d' % n: deployed(n) for n in (1, 2, 3)}
    found = probe([member(1), member(2), member(3), member(7), member(8)])
    result = plan(hostvars, found, membership_changes=True, remove_members=['etcd7', 'etcd2', 'etcd9'])
    assert ('members etcd8 are in the cluster but not in group etcd: add their hosts, or list them in '
            'etcd_remove_members for the quorum.etcd.scale playbook to remove') in result['problems']
    assert any(p.startswith('etcd_remove_members names etcd2, etcd9, which are not members') for p in result['problems'])
    # The joiner's initial cluster leaves out the member being removed.
    ok = plan(dict(hostvars, etcd4=host(4), etcd5=host(5)), probe([member(1), member(2), member(3), member(7)]),
              membership_changes=True, remove_members=['etcd7'])
    assert ok['problems'] == [] and 'etcd7' not in ok['hosts']['etcd4']['initial_cluster']


def test_members_to_remove_are_found_by_name_id_or_peer_url_and_removed_by_id():
    hostvars = {'etcd%d' % n: deployed(n) for n in (1, 2, 3)}
    never_started = member(8, started=False)
    found = probe([member(1), member(2), member(3), member(7), never_started])
    by_id = plan(hostvars, found, membership_changes=True, remove_members=['etcd7', never_started['id']])
    assert by_id['problems'] == []
    assert by_id['remove'] == [
        {'ref': 'etcd7', 'id': member(7)['id'], 'name': 'etcd7', 'peer_urls': ['https://10.0.0.7:2380'], 'voter': True},
        {'ref': never_started['id'], 'id': never_started['id'], 'name': '', 'peer_urls': ['https://10.0.0.8:2380'],
         'voter': False}]
    # The join gates count the voters left: etcd1-3 and etcd7, less etcd7; the unstarted member never voted.
    assert by_id['voters_now'] == 4 and by_id['voters_after_removals'] == 3
    by_url = plan(hostvars, found, membership_changes=True,
                  remove_members=['https://10.0.0.7:2380', 'https://10.0.0.8:2380/'])
    assert by_url['problems'] == [] and [r['id'] for r in by_url['remove']] == [member(7)['id'], member(8)['id']]
    # The deploy's health wait waits for the membership changes instead of for the pending member.
    assert by_url['pending_peer_urls'] == by_url['handled_pending_peer_urls'] == ['https://10.0.0.8:2380']
    # Without it, the pending member stops the run, and a host of the group is not removed this way.
    assert any(p.startswith('a member was added but has not started') for p in
               plan(hostvars, found, remove_members=['etcd7'])['problems'])
    refused = plan(hostvars, found, membership_changes=True, remove_members=['etcd7', '8', member(2)['id']])
    assert any(p.startswith('etcd_remove_members names 8, %s, which are not members' % member(2)['id'])
               for p in refused['problems']), refused['problems']


def test_every_problem_of_the_inventory_is_listed_at_once():
    hostvars = {'etcd%d' % n: host(n) for n in (1, 2, 3, 4)}
    hostvars['etcd2']['__etcd_self']['name'] = 'etcd1'
    hostvars['etcd4']['__etcd_self']['peer_url'] = hostvars['etcd3']['__etcd_self']['peer_url']
    result = plan(hostvars, {'members': []}, play=['etcd1', 'etcd2', 'etcd3'])
    assert result['problems'][0] == 'the play must include every member of group etcd; missing: etcd4'
    assert any(p.startswith('the cluster would have 4 members (etcd1, etcd2, etcd3, etcd4)') for p in result['problems'])
    assert 'member names must be unique (etcd merges duplicates); repeated: etcd1 (etcd1, etcd2)' in result['problems']
    assert ('peer URLs must be unique; repeated: https://10.0.0.3:2380 (etcd3, etcd4)') in result['problems']
    assert plan(hostvars, {'members': []}, allow_even_members=True)['problems'] == [
        p for p in result['problems'] if 'would have 4' not in p and 'missing' not in p]


def test_data_left_behind_and_a_cluster_down_are_refused():
    hostvars = {'etcd1': deployed(1), 'etcd2': host(2, entries=['notes.txt']), 'etcd3': host(3)}
    result = plan(hostvars, {'members': []})
    assert ('etcd2: the cluster is down and /var/lib/etcd holds no member data while other members have '
            'theirs; start the existing members first') in result['problems']
    fresh = plan({'etcd1': host(1), 'etcd2': host(2, entries=['notes.txt']), 'etcd3': host(3)}, {'members': []})
    assert fresh['problems'] == ['etcd2: /var/lib/etcd is not empty and a new member would start in it; empty it, or '
                                 'set etcd_bootstrap_allow_nonempty_data_dir: true if its contents may stay']
    assert plan({'etcd1': host(1), 'etcd2': host(2, entries=['notes.txt']), 'etcd3': host(3)}, {'members': []},
                allow_nonempty_data_dir=True)['problems'] == []


def test_a_cluster_on_another_release_is_sent_to_the_upgrade_playbook():
    result = plan({'etcd%d' % n: deployed(n) for n in (1, 2, 3)},
                  probe([member(1), member(2), member(3)], version='3.5.35'), version='3.6.16')
    assert result['problems'] == ['the cluster runs etcd 3.5.35, not etcd_version 3.6.16; change the version with '
                                  'the quorum.etcd.upgrade playbook (-e etcd_version=3.6.16)']


def test_a_play_that_runs_the_hosts_apart_is_refused():
    # With serial: 1 or strategy: free the plan is made while other hosts have not run host_info.
    hostvars = {'etcd1': deployed(1), 'etcd2': {}, 'etcd3': {'__etcd_self': None}}
    result = plan(hostvars, probe([member(1), member(2), member(3)], leader=1))
    assert ('the plan was made without the state of etcd2, etcd3 of group etcd: the host is unreachable, or the '
            'play runs the hosts apart; run every host together, without serial or strategy: free (the role itself '
            'changes members one at a time)') in result['problems'], result['problems']


def installed(hostvars, version):
    for variables in hostvars.values():
        variables['__etcd_host']['etcd'] = {'path': '/opt/etcd/v%s/etcd' % version, 'version': version}
    return hostvars


def test_a_cluster_that_cannot_say_its_release_keeps_the_installed_one():
    # Down (no member answers), or answering the member list but no status: the binaries stand in.
    for found in ({'members': [], 'endpoints': []},
                  {'members': [member(1), member(2), member(3)], 'endpoints': []}):
        result = plan(installed({'etcd%d' % n: deployed(n) for n in (1, 2, 3)}, '3.5.35'), found, version='3.6.16')
        assert result['problems'] == [
            'no member answered with the version it runs, and members with data have another etcd installed than '
            'etcd_version 3.6.16: etcd1 (3.5.35), etcd2 (3.5.35), etcd3 (3.5.35); a deploy does not change the '
            'release of members it cannot read. Start the cluster with its own release, then change the version '
            'with the quorum.etcd.upgrade playbook (-e etcd_version=3.6.16)'], found
    # The same release installed, or hosts without data (a fresh cluster): nothing to refuse.
    assert plan(installed({'etcd%d' % n: deployed(n) for n in (1, 2, 3)}, '3.6.16'),
                {'members': [], 'endpoints': []})['problems'] == []
    assert plan(installed({'etcd%d' % n: host(n) for n in (1, 2, 3)}, '3.5.35'),
                {'members': [], 'endpoints': []})['problems'] == []


def test_a_migrated_member_keeps_its_name_and_start_settings_on_its_new_host():
    # After the migrate playbook, etcd3 runs on host etcd6 with etcd3's name and a frozen configuration.
    hostvars = {'etcd1': deployed(1), 'etcd2': deployed(2), 'etcd6': deployed(6)}
    hostvars['etcd6']['__etcd_self']['name'] = 'etcd3'
    moved = member(3)
    moved['peer_urls'] = ['https://10.0.0.6:2380']
    result = plan(hostvars, probe([member(1), member(2), moved], leader=3))
    assert result['problems'] == [] and result['joiners'] == []
    assert result['hosts']['etcd6']['member'] and result['leader_host'] == 'etcd6'
    assert result['hosts']['etcd6']['initial_cluster_token'] == 'old-token'


def test_a_cluster_left_without_members_is_refused():
    hostvars = {'etcd%d' % n: deployed(n) for n in (1, 2, 3)}
    for variables in hostvars.values():
        variables['__etcd_self']['state'] = 'absent'
    result = plan(hostvars, probe([member(1), member(2), member(3)]), membership_changes=True)
    expected = ['no member of group etcd would stay (every host has etcd_member_state absent): a cluster needs at '
                'least one member']
    assert result['problems'] == expected
    assert plan(hostvars, probe([member(1), member(2), member(3)]), membership_changes=True,
                allow_even_members=True)['problems'] == expected


def grown_and_shrunk():
    hostvars = {'etcd%d' % n: deployed(n) for n in (1, 2, 3)}
    hostvars.update({'etcd4': host(4), 'etcd5': host(5), 'etcd6': host(6)})
    hostvars['etcd3']['__etcd_self']['state'] = 'absent'
    result = plan(hostvars, probe([member(1), member(2), member(3)], leader=1), membership_changes=True)
    assert result['problems'] == [] and result['joiners'] == ['etcd4', 'etcd5', 'etcd6']
    return result


def test_hosts_still_in_the_play_make_every_planned_change_in_order():
    result = grown_and_shrunk()
    # Order matters: each joiner starts with the joiners before it in its initial cluster.
    remaining = plan_in_play(result, ['etcd6', 'etcd5', 'etcd4', 'etcd3', 'etcd2', 'etcd1'])
    assert remaining['joiners'] == ['etcd4', 'etcd5', 'etcd6'] and remaining['leavers'] == ['etcd3']
    assert remaining['anchor'] == 'etcd1' and remaining['dropped'] == []
    assert remaining['anchor_urls'] == ['https://10.0.0.1:2379', 'https://10.0.0.2:2379']


def test_joins_stop_at_a_joiner_that_failed_and_then_no_member_leaves():
    result = grown_and_shrunk()
    remaining = plan_in_play(result, ['etcd1', 'etcd2', 'etcd3', 'etcd4', 'etcd6'])
    # etcd6 was planned with etcd5 in its initial cluster: it cannot join without it.
    assert remaining['joiners'] == ['etcd4'] and remaining['leavers'] == []
    assert remaining['dropped'] == ['etcd5']


def test_the_anchor_moves_to_the_next_member_still_in_the_play():
    result = grown_and_shrunk()
    remaining = plan_in_play(result, ['etcd2', 'etcd3', 'etcd4', 'etcd5', 'etcd6'])
    assert remaining['anchor'] == 'etcd2' and remaining['anchor_urls'] == ['https://10.0.0.2:2379']
    # A steady member that failed may be down: nobody leaves until it is back.
    assert remaining['joiners'] == ['etcd4', 'etcd5', 'etcd6'] and remaining['leavers'] == []
    assert remaining['dropped'] == ['etcd1']
    assert plan_in_play(result, ['etcd3', 'etcd4'])['anchor'] == ''


def own_view(n, members, leader=None, error=''):
    """What host_info's probe of host n's own member returns (cluster_info's shape)."""
    endpoint = {'endpoint': 'https://10.0.0.%d:2379' % n, 'version': '' if error else '3.6.16', 'error': error}
    return {'answered': not error, 'members': [] if error else members, 'endpoints': [endpoint],
            'leader': {'name': 'etcd%d' % leader} if leader and not error else None}


def test_without_a_probe_the_plan_takes_the_cluster_from_each_hosts_own_member():
    members = [member(1), member(2), member(3)]
    hostvars = {'etcd%d' % n: deployed(n) for n in (1, 2, 3)}
    # etcd1's member is stopped, etcd2's lost the leader for a moment, etcd3's knows it.
    hostvars['etcd1']['__etcd_host']['cluster'] = own_view(1, [], error='connection refused')
    hostvars['etcd2']['__etcd_host']['cluster'] = own_view(2, members)
    hostvars['etcd3']['__etcd_host']['cluster'] = own_view(3, members, leader=3)
    result = plan(hostvars, None)
    assert result['problems'] == [] and result['live'] is True and result['leader_host'] == 'etcd3'
    assert all(part['member'] for part in result['hosts'].values())
    # A member did not answer: the run waits for the cluster's health even when it changes nothing.
    assert result['healthy'] is False
    for n in (1, 2, 3):
        hostvars['etcd%d' % n]['__etcd_host']['cluster'] = dict(own_view(n, members, leader=3), healthy=True)
    assert plan(hostvars, None)['healthy'] is True


def test_every_members_release_is_checked_and_a_refusal_stops_the_run():
    members = [member(1), member(2), member(3)]
    hostvars = {'etcd%d' % n: deployed(n) for n in (1, 2, 3)}
    hostvars['etcd1']['__etcd_host']['cluster'] = own_view(1, members, leader=1)
    hostvars['etcd2']['__etcd_host']['cluster'] = own_view(2, members, leader=1)
    hostvars['etcd2']['__etcd_host']['cluster']['endpoints'][0]['version'] = '3.5.35'
    hostvars['etcd3']['__etcd_host']['cluster'] = own_view(3, [], error='answered with HTTP 401: user name is empty')
    result = plan(hostvars, None)
    assert result['problems'] == [
        "the cluster refuses the role's requests: answered with HTTP 401: user name is empty (asked from etcd3). "
        "With authentication enabled set etcd_admin_user and etcd_admin_password; with TLS, check etcd_admin_ca_cert, "
        "etcd_admin_client_cert and etcd_admin_client_key",
        'the cluster runs etcd 3.5.35, 3.6.16, not etcd_version 3.6.16; change the version with the '
        'quorum.etcd.upgrade playbook (-e etcd_version=3.6.16)']


def test_hosts_whose_members_never_started_make_a_fresh_cluster():
    hostvars = {'etcd%d' % n: host(n) for n in (1, 2, 3)}
    result = plan(hostvars, None)
    assert result['problems'] == [] and result['live'] is False and result['gate_members'] == 3


def test_members_of_different_clusters_are_not_merged_into_one():
    hostvars = {'etcd%d' % n: deployed(n) for n in (1, 2, 3)}
    stray = dict(own_view(1, [member(1)], leader=1), cluster_id='aaa', healthy=True)
    hostvars['etcd1']['__etcd_host']['cluster'] = stray
    for n in (2, 3):
        view = dict(own_view(n, [member(2), member(3)], leader=2), cluster_id='bbb', healthy=True)
        hostvars['etcd%d' % n]['__etcd_host']['cluster'] = view
    result = plan(hostvars, None)
    assert result['healthy'] is False
    assert ('the members of group etcd belong to different clusters: etcd1 in cluster aaa; etcd2, etcd3 in cluster '
            'bbb; take the host of the stray cluster out of the group, or empty its data, before deploying'
            ) in result['problems']


def test_a_host_rebuilt_empty_under_a_members_name_is_replaced_when_listed():
    # etcd3's host was rebuilt with the same name and address: no data, its old member does not answer.
    hostvars = {'etcd1': deployed(1), 'etcd2': deployed(2), 'etcd3': host(3)}
    found = probe([member(1), member(2), member(3)], leader=1)
    for n, e in enumerate(found['endpoints'], 1):
        e.update(healthy=n != 3, member_id=member(n)['id'])
    found['endpoints'][2]['error'] = 'did not answer'
    result = plan(hostvars, found, membership_changes=True, remove_members=['etcd3'])
    assert result['problems'] == [], result['problems']
    assert result['rebuilt'] == ['etcd3'] and result['joiners'] == ['etcd3'] and result['steady'] == ['etcd1', 'etcd2']
    assert [r['id'] for r in result['remove']] == [member(3)['id']] and result['voters_after_removals'] == 2
    # It joins the two members left, as itself.
    assert result['hosts']['etcd3']['initial_cluster'] == ('etcd1=https://10.0.0.1:2380,etcd2=https://10.0.0.2:2380,'
                                                           'etcd3=https://10.0.0.3:2380')
    assert result['hosts']['etcd3']['initial_cluster_state'] == 'existing'

    # Not listed: nothing is removed (the scale playbook says how to replace it).
    assert plan(hostvars, found, membership_changes=True)['rebuilt'] == []
    # A host that still holds member data, or whose member answers, is never replaced this way.
    with_data = plan(dict(hostvars, etcd3=deployed(3)), found, membership_changes=True, remove_members=['etcd3'])
    assert with_data['rebuilt'] == [] and any(p.startswith('etcd_remove_members names etcd3, which are not members')
                                              for p in with_data['problems'])
    found['endpoints'][2].update(healthy=True, error='')
    answering = plan(hostvars, found, membership_changes=True, remove_members=['etcd3'])
    assert answering['rebuilt'] == [] and any(p.startswith('etcd_remove_members names etcd3, which are not members')
                                              for p in answering['problems']), answering['problems']


def test_a_peer_url_that_changes_is_planned_for_the_members_own_restart():
    hostvars = {'etcd%d' % n: deployed(n) for n in (1, 2, 3)}
    for n in (1, 2, 3):
        hostvars['etcd%d' % n]['__etcd_host']['service_active'] = True
    registered = [dict(member(n), peer_urls=['http://10.0.0.%d:2380' % n]) for n in (1, 2)] + [member(3)]
    result = plan(hostvars, probe(registered, leader=1))
    assert result['problems'] == []
    assert result['peer_url_changes'] == {
        'etcd%d' % n: {'name': 'etcd%d' % n, 'id': '%x' % (n * 1000), 'from': ['http://10.0.0.%d:2380' % n],
                       'to': 'https://10.0.0.%d:2380' % n} for n in (1, 2)}
    # etcd must run there: the change is made right before a restart, and a start would skip it.
    hostvars['etcd2']['__etcd_host']['service_active'] = False
    assert plan(hostvars, probe(registered, leader=1))['problems'] == [
        'etcd2: the peer URL of member etcd2 changes from http://10.0.0.2:2380 to https://10.0.0.2:2380, which is '
        'done right before the member restarts, and etcd does not run there: start it first']
    assert plan(hostvars, probe([member(n) for n in (1, 2, 3)], leader=1))['peer_url_changes'] == {}


DISCOVERY = {'endpoints': ['https://10.0.9.1:2379'], 'token': 'tok', 'ca_file': '/etc/etcd/discovery-ca.crt',
             'cert_file': '', 'key_file': ''}


def test_a_fresh_cluster_bootstraps_through_the_discovery_service_and_keeps_those_settings():
    result = plan({'etcd%d' % n: host(n) for n in (1, 2, 3)}, {'members': [], 'endpoints': []},
                  bootstrap='discovery', discovery=DISCOVERY)
    assert result['problems'] == []
    assert result['discovery_hosts'] == ['etcd1', 'etcd2', 'etcd3']
    assert result['discovery_members'] == ['etcd%d=https://10.0.0.%d:2380' % (n, n) for n in (1, 2, 3)]
    settings = {'ETCD_DISCOVERY_ENDPOINTS': 'https://10.0.9.1:2379', 'ETCD_DISCOVERY_TOKEN': 'tok',
                'ETCD_DISCOVERY_INSECURE_TRANSPORT': 'false', 'ETCD_DISCOVERY_CACERT': '/etc/etcd/discovery-ca.crt'}
    assert all(part['discovery'] and part['discovery_settings'] == settings for part in result['hosts'].values())

    # Once running, each member keeps what it started with, whatever the inventory says now.
    started = dict(settings, ETCD_INITIAL_CLUSTER_STATE='new', ETCD_INITIAL_CLUSTER_TOKEN='etcd-cluster')
    members = {'etcd%d' % n: host(n, initialized=True, config=dict(started, ETCD_NAME='etcd%d' % n)) for n in (1, 2, 3)}
    again = plan(members, probe([member(1), member(2), member(3)], leader=1), bootstrap='static')
    assert again['problems'] == [] and again['discovery_hosts'] == []
    for part in again['hosts'].values():
        assert part['discovery'] and part['discovery_settings'] == settings
        assert part['initial_cluster_state'] == 'new' and part['initial_cluster_token'] == 'etcd-cluster'


def test_a_host_that_joins_a_cluster_bootstrapped_through_discovery_gets_the_initial_cluster():
    started = {'ETCD_DISCOVERY_ENDPOINTS': 'http://10.0.9.1:2379', 'ETCD_DISCOVERY_TOKEN': 'tok',
               'ETCD_INITIAL_CLUSTER_STATE': 'new'}
    hostvars = {'etcd%d' % n: host(n, initialized=True, config=started) for n in (1, 2, 3)}
    hostvars['etcd4'] = host(4)
    result = plan(hostvars, probe([member(1), member(2), member(3)], leader=1), membership_changes=True,
                  bootstrap='discovery', discovery=DISCOVERY, allow_even_members=True)
    assert result['problems'] == [] and result['joiners'] == ['etcd4'] and result['discovery_hosts'] == []
    joiner = result['hosts']['etcd4']
    assert joiner['discovery'] is False and joiner['discovery_settings'] == {}
    assert joiner['initial_cluster_state'] == 'existing' and 'etcd4=https://10.0.0.4:2380' in joiner['initial_cluster']


def test_every_problem_of_a_discovery_bootstrap_is_listed_at_once(tmp_path):
    cert = tmp_path / 'client.crt'
    cert.write_text('certificate')
    bad = {'endpoints': ['10.0.9.1:2379', 'https://10.0.9.2:2379/v3', 'http://10.0.9.3:2379'], 'token': 'a/b',
           'cert_src': str(cert), 'key_src': '', 'ca_src': str(tmp_path / 'missing-ca.crt')}
    result = plan({'etcd%d' % n: host(n) for n in (1, 2, 3)}, {'members': [], 'endpoints': []},
                  version='3.5.35', bootstrap='discovery', discovery=bad)
    text = '; '.join(result['problems'])
    for part in ('etcd 3.5.35 has no v3 discovery', "etcd_discovery_token 'a/b' of etcd1, etcd2, etcd3",
                 'etcd_discovery_ca_src %s: no such file on the controller' % (tmp_path / 'missing-ca.crt'),
                 "etcd_discovery_client_cert_src '%s' and etcd_discovery_client_key_src '' go together" % cert,
                 'etcd_discovery_endpoints mix http and https',
                 'not: 10.0.9.1:2379, https://10.0.9.2:2379/v3'):
        assert part in text
    assert len(result['problems']) == 6
    none = plan({'etcd%d' % n: host(n) for n in (1, 2, 3)}, {'members': [], 'endpoints': []},
                bootstrap='discovery', discovery={'token': 'tok'})
    assert none['problems'] == ['etcd_bootstrap discovery needs etcd_discovery_endpoints, the client URLs of the '
                                'discovery service, for etcd1, etcd2, etcd3']
    # A static bootstrap does not look at the discovery settings.
    assert plan({'etcd%d' % n: host(n) for n in (1, 2, 3)}, {'members': [], 'endpoints': []},
                discovery=bad)['problems'] == []


def test_a_host_marked_absent_does_not_count_in_a_discovery_bootstrap():
    hostvars = {'etcd%d' % n: host(n) for n in (1, 2, 3)}
    hostvars['etcd4'] = host(4, state='absent')
    result = plan(hostvars, {'members': [], 'endpoints': []}, bootstrap='discovery', discovery=DISCOVERY)
    assert result['problems'] == [] and result['discovery_hosts'] == ['etcd1', 'etcd2', 'etcd3']
    assert result['hosts']['etcd4']['discovery'] is False and result['hosts']['etcd4']['discovery_settings'] == {}


def test_a_stopped_cluster_bootstrapped_through_discovery_does_not_go_through_it_again():
    """No member answers, so none counts as a member: those with data keep what they started with."""
    started = {'ETCD_DISCOVERY_ENDPOINTS': 'http://10.0.9.1:2379', 'ETCD_DISCOVERY_TOKEN': 'tok',
               'ETCD_DISCOVERY_INSECURE_TRANSPORT': 'true', 'ETCD_INITIAL_CLUSTER_STATE': 'new'}
    hostvars = {'etcd%d' % n: host(n, initialized=True, config=started) for n in (1, 2, 3)}
    for bootstrap in ('discovery', 'static'):
        result = plan(hostvars, {'members': [], 'endpoints': []}, bootstrap=bootstrap,
                      discovery={'endpoints': ['http://10.0.9.99:2379'], 'token': 'other'})
        assert result['problems'] == [] and result['discovery_hosts'] == []
        assert all(part['discovery_settings'] == {k: v for k, v in started.items() if k.startswith('ETCD_DISCOVERY_')}
                   for part in result['hosts'].values())


def srv_host(n, records, own=None, scheme='https'):
    """A new host whose host_info looked up the SRV records of lab.example; it advertises etcd<n>.lab.example."""
    view = host(n)
    view['__etcd_self'].update(peer_url='%s://etcd%d.lab.example:2380' % (scheme, n),
                               client_url='%s://etcd%d.lab.example:2379' % (scheme, n))
    view['__etcd_host']['srv'] = {'domain': 'lab.example', 'records': records, 'errors': [],
                                  'own_addresses': own if own is not None else ['10.0.0.%d' % n]}
    return view


def srv_record(n, port=2380, scheme='https'):
    service = '_etcd-server%s._tcp.lab.example' % ('-ssl' if scheme == 'https' else '')
    return {'target': 'etcd%d.lab.example' % n, 'port': port, 'priority': 0, 'weight': 0, 'scheme': scheme,
            'service': service, 'addresses': ['10.0.0.%d' % n]}


def test_a_fresh_cluster_bootstraps_from_dns_srv_records_and_keeps_those_settings():
    records = [srv_record(n) for n in (1, 2, 3)]
    result = plan({'etcd%d' % n: srv_host(n, records) for n in (1, 2, 3)}, {'members': [], 'endpoints': []},
                  bootstrap='dns_srv', discovery={'srv': 'lab.example', 'srv_name': ''})
    assert result['problems'] == []
    assert result['discovery_hosts'] == ['etcd1', 'etcd2', 'etcd3']
    # No token to prepare: the records are the discovery.
    assert result['discovery_members'] == []
    assert all(part['discovery'] and part['discovery_settings'] == {'ETCD_DISCOVERY_SRV': 'lab.example'}
               for part in result['hosts'].values())
    named = plan({'etcd%d' % n: srv_host(n, records) for n in (1, 2, 3)}, {'members': [], 'endpoints': []},
                 bootstrap='dns_srv', discovery={'srv': 'lab.example', 'srv_name': 'blue'})
    assert named['hosts']['etcd1']['discovery_settings'] == {'ETCD_DISCOVERY_SRV': 'lab.example',
                                                             'ETCD_DISCOVERY_SRV_NAME': 'blue'}

    started = {'ETCD_DISCOVERY_SRV': 'lab.example', 'ETCD_INITIAL_CLUSTER_STATE': 'new',
               'ETCD_INITIAL_CLUSTER_TOKEN': TOKEN}
    members = {'etcd%d' % n: host(n, initialized=True, config=started) for n in (1, 2, 3)}
    again = plan(members, probe([member(1), member(2), member(3)], leader=1), bootstrap='static')
    assert again['problems'] == [] and again['discovery_hosts'] == []
    assert all(part['discovery_settings'] == {'ETCD_DISCOVERY_SRV': 'lab.example'} for part in again['hosts'].values())
    assert started_with(started) == started


def test_every_problem_of_a_dns_srv_bootstrap_is_listed_at_once():
    records = [srv_record(1), srv_record(2, port=2390), srv_record(3, scheme='http'), srv_record(9)]
    hostvars = {'etcd1': srv_host(1, records), 'etcd2': srv_host(2, records), 'etcd3': srv_host(3, records),
                'etcd4': srv_host(4, [])}
    hostvars['etcd4']['__etcd_host']['srv']['errors'] = ['_etcd-server-ssl._tcp.lab.example: no such name (NXDOMAIN)']
    result = plan(hostvars, {'members': [], 'endpoints': []}, bootstrap='dns_srv', discovery={'srv': 'lab.example'},
                  allow_even_members=True)
    text = '; '.join(result['problems'])
    assert len(result['problems']) == 3, result['problems']
    assert ('etcd2: its peer URL https://etcd2.lab.example:2380 (10.0.0.2) is not among the SRV records of '
            'lab.example: etcd1.lab.example:2380 (10.0.0.1), etcd2.lab.example:2390 (10.0.0.2)') in text
    assert ('etcd3: its peer URL https://etcd3.lab.example:2380 is https, and its SRV record '
            '_etcd-server._tcp.lab.example is http') in text
    assert 'etcd4: no SRV records of lab.example (_etcd-server-ssl._tcp.lab.example: no such name (NXDOMAIN))' in text

    # Every host finds itself, and one record more names a host that is not in the new cluster.
    records = [srv_record(n) for n in (1, 2, 3, 9)]
    extra = plan({'etcd%d' % n: srv_host(n, records) for n in (1, 2, 3)}, {'members': [], 'endpoints': []},
                 bootstrap='dns_srv', discovery={'srv': 'lab.example'})
    assert extra['problems'] == ['the SRV records of lab.example name members that are not hosts of this new '
                                 'cluster, which would wait for them: etcd9.lab.example:2380 (10.0.0.9) (the hosts: '
                                 'etcd1, etcd2, etcd3)']
    # etcd takes each member's peer URL from its record's name: a host advertised by address, one with two
    # records, and a record whose name does not resolve on a host are refused.
    records = [srv_record(1), srv_record(2), dict(srv_record(2), weight=5), srv_record(3)]
    hostvars = {'etcd%d' % n: srv_host(n, records) for n in (1, 2, 3)}
    hostvars['etcd1']['__etcd_self']['peer_url'] = 'https://10.0.0.1:2380'
    hostvars['etcd3']['__etcd_host']['srv']['records'] = records[:3] + [
        dict(srv_record(3), addresses=[], error='etcd3.lab.example does not resolve')]
    named = plan(hostvars, {'members': [], 'endpoints': []}, bootstrap='dns_srv', discovery={'srv': 'lab.example'})
    assert named['problems'] == [
        'etcd1: its SRV record names it etcd1.lab.example, which becomes its peer URL and must be in its '
        'certificates; set etcd_address to etcd1.lab.example (its peer URL now: https://10.0.0.1:2380)',
        'etcd2: 2 SRV records of lab.example point at its peer URL https://etcd2.lab.example:2380 '
        '(etcd2.lab.example:2380 (10.0.0.2), etcd2.lab.example:2380 (10.0.0.2)); etcd needs exactly one',
        'etcd3: its peer URL https://etcd3.lab.example:2380 (10.0.0.3) is not among the SRV records of lab.example: '
        'etcd1.lab.example:2380 (10.0.0.1), etcd2.lab.example:2380 (10.0.0.2), etcd2.lab.example:2380 (10.0.0.2), '
        'etcd3.lab.example:2380 (etcd3.lab.example does not resolve)',
        'names of SRV records of lab.example that do not resolve, which etcd would leave out: etcd3.lab.example:2380 '
        'on etcd3 (etcd3.lab.example does not resolve)']
    assert plan({'etcd%d' % n: srv_host(n, records) for n in (1, 2, 3)}, {'members': [], 'endpoints': []},
                bootstrap='dns_srv', discovery={'srv': ''})['problems'] == [
        'etcd_bootstrap dns_srv needs etcd_discovery_srv, the domain of the SRV records, for etcd1, etcd2, etcd3']


def test_a_discovery_setting_of_etcd_extra_config_is_not_taken_for_a_bootstrap_setting():
    static = {'ETCD_INITIAL_CLUSTER': 'etcd1=https://10.0.0.1:2380', 'ETCD_INITIAL_CLUSTER_STATE': 'new',
              'ETCD_INITIAL_CLUSTER_TOKEN': 't', 'ETCD_DISCOVERY_DIAL_TIMEOUT': '5s', 'ETCD_NAME': 'etcd1'}
    assert started_with(static) == {k: static[k] for k in ('ETCD_INITIAL_CLUSTER', 'ETCD_INITIAL_CLUSTER_STATE',
                                                           'ETCD_INITIAL_CLUSTER_TOKEN')}
    discovered = {'ETCD_DISCOVERY_ENDPOINTS': 'http://10.0.9.1:2379', 'ETCD_DISCOVERY_TOKEN': 'tok',
                  'ETCD_DISCOVERY_DIAL_TIMEOUT': '5s', 'ETCD_INITIAL_CLUSTER_STATE': 'new'}
    assert started_with(discovered) == {'ETCD_DISCOVERY_ENDPOINTS': 'http://10.0.9.1:2379',
                                        'ETCD_DISCOVERY_TOKEN': 'tok', 'ETCD_INITIAL_CLUSTER_STATE': 'new'}
    result = plan({'etcd1': host(1, initialized=True, config=static)},
                  probe([member(1)], leader=1), bootstrap='discovery', discovery=DISCOVERY)
    assert result['problems'] == [] and result['hosts']['etcd1']['discovery_settings'] == {}


def instance(n, machine, unit, data_dir, client_port, peer_port, config_dir='/etc/etcd'):
    """A member of a pseudo-cluster: those on machine m<k> all on 10.0.0.<k>, told apart by their ports."""
    address = '10.0.0.%s' % machine[1:]
    view = host(1)
    view['__etcd_self'] = {'name': 'infra%d' % n, 'peer_url': 'https://%s:%d' % (address, peer_port),
                           'client_url': 'https://%s:%d' % (address, client_port), 'state': 'present',
                           'metrics_urls': [], 'paths': {'service': unit, 'config_dir': config_dir,
                                                         'data_dir': data_dir, 'wal_dir': ''}}
    view['__etcd_host'].update(machine_id='id-' + machine, ipv4_addresses=[address, '127.0.0.1'])
    return view


def test_instances_on_one_machine_each_with_its_own_unit_directories_and_ports_bootstrap():
    hostvars = {'infra%d' % n: instance(n, 'm1', 'etcd-infra%d' % n, '/var/lib/etcd-infra%d' % n, port, port + 1,
                                        config_dir='/etc/etcd-infra%d' % n)
                for n, port in ((1, 2379), (2, 12379), (3, 22379))}
    result = plan(hostvars, {'members': [], 'endpoints': []})
    assert result['problems'] == []
    assert result['hosts']['infra2']['initial_cluster'] == (
        'infra1=https://10.0.0.1:2380,infra2=https://10.0.0.1:12380,infra3=https://10.0.0.1:22380')


def test_instances_on_one_machine_that_share_a_unit_a_directory_or_a_port_are_refused_naming_them():
    hostvars = {'infra1': instance(1, 'm1', 'etcd', '/var/lib/etcd', 2379, 2380),
                'infra2': instance(2, 'm1', 'etcd', '/var/lib/etcd', 2379, 12380),
                # The same settings on another machine are no problem.
                'infra3': instance(3, 'm2', 'etcd', '/var/lib/etcd', 2379, 22380)}
    problems = plan(hostvars, {'members': [], 'endpoints': []})['problems']
    assert problems == [
        'infra1, infra2 run on one machine with the same client port 2379: give each its own etcd_instance '
        '(unit and directories) and ports',
        'infra1, infra2 run on one machine with the same configuration directory /etc/etcd: give each its own '
        'etcd_instance (unit and directories) and ports',
        'infra1, infra2 run on one machine with the same data directory /var/lib/etcd: give each its own '
        'etcd_instance (unit and directories) and ports',
        'infra1, infra2 run on one machine with the same unit etcd: give each its own etcd_instance (unit and '
        'directories) and ports']


def test_clones_of_one_image_with_one_machine_id_are_told_apart_by_their_addresses():
    hostvars = {'infra%d' % n: instance(n, 'm%d' % n, 'etcd', '/var/lib/etcd', 2379, 2380) for n in (1, 2, 3)}
    for view in hostvars.values():
        view['__etcd_host']['machine_id'] = 'cloned-without-a-new-id'
    assert plan(hostvars, {'members': [], 'endpoints': []})['problems'] == []


def test_a_cluster_on_several_machines_with_different_configuration_directories_is_refused():
    hostvars = {'infra1': instance(1, 'm1', 'etcd-a', '/var/lib/etcd-a', 2379, 2380, config_dir='/etc/etcd-a'),
                'infra2': instance(2, 'm1', 'etcd-b', '/var/lib/etcd-b', 12379, 12380, config_dir='/etc/etcd-b'),
                'infra3': instance(3, 'm2', 'etcd', '/var/lib/etcd', 2379, 2380)}
    assert plan(hostvars, {'members': [], 'endpoints': []})['problems'] == [
        'the members run on 2 machines with different configuration directories (/etc/etcd, /etc/etcd-a, '
        '/etc/etcd-b): give the members on different machines the same etcd_instance (or none), or keep the '
        "cluster's instances on one machine"]


def test_instances_on_one_machine_with_the_same_metrics_port_are_refused():
    hostvars = {'infra%d' % n: instance(n, 'm1', 'etcd-infra%d' % n, '/var/lib/etcd-infra%d' % n, port, port + 1,
                                        config_dir='/etc/etcd-infra%d' % n)
                for n, port in ((1, 2379), (2, 12379), (3, 22379))}
    for name in ('infra1', 'infra2'):
        hostvars[name]['__etcd_self']['metrics_urls'] = ['http://127.0.0.1:2381']
    hostvars['infra3']['__etcd_self']['metrics_urls'] = ['http://127.0.0.1:22381']
    assert plan(hostvars, {'members': [], 'endpoints': []})['problems'] == [
        'infra1, infra2 run on one machine with the same metrics port 2381: give each its own etcd_instance '
        '(unit and directories) and ports']
