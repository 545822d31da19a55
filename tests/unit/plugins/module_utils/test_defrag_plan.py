"""The defragmentation plan: followers first, the leader last, each member by the rule or NOSPACE."""
from ansible_collections.quorum.etcd.plugins.module_utils.defrag_plan import MIB, defrag_plan


def report(name, size_mib, in_use_mib, member_id=None):
    return dict(endpoint='https://%s:2379' % name, member_id=member_id or name + '-id', name=name,
                db_size=int(size_mib * MIB), db_size_in_use=int(in_use_mib * MIB))


REPORTS = [report('etcd1', 400, 100), report('etcd2', 400, 300), report('etcd3', 400, 100)]


def plan(reports=REPORTS, leader='etcd1-id', alarms=(), **rule):
    rule = dict(dict(min_free_bytes=100 * MIB, min_free_ratio=0.5), **rule)
    return defrag_plan(reports, leader, list(alarms), **rule)


def test_the_followers_come_first_in_their_order_and_the_leader_last():
    steps = plan()
    assert [s['name'] for s in steps] == ['etcd2', 'etcd3', 'etcd1']
    assert [s['is_leader'] for s in steps] == [False, False, True]


def test_a_member_is_defragmented_only_when_both_parts_of_the_rule_hold():
    steps = {s['name']: s for s in plan()}
    assert steps['etcd1']['defragment'] and steps['etcd3']['defragment']
    assert steps['etcd1']['reason'] == ('300.0 MiB (75% of the 400.0 MiB file) free; the rule wants at least 100 MiB '
                                        'and 50% of the file free')
    # 100 MiB free is enough MiB but only a quarter of the file.
    assert not steps['etcd2']['defragment']
    assert steps['etcd2']['reason'].startswith('skipped: 100.0 MiB (25% of the 400.0 MiB file) free')
    assert steps['etcd2']['free_bytes'] == 100 * MIB and steps['etcd2']['free_ratio'] == 0.25
    # Half the file free but under the MiB.
    small = plan([report('etcd1', 100, 10)])[0]
    assert not small['defragment'] and small['free_ratio'] == 0.9
    tiny = plan([report('etcd1', 0.25, 0.05)])[0]
    assert tiny['reason'] == ('skipped: 204 KiB (80% of the 256 KiB file) free; the rule wants at least 100 MiB '
                              'and 50% of the file free')


def test_under_nospace_every_member_is_defragmented_whatever_its_figures():
    steps = {s['name']: s for s in plan(alarms=[{'member_id': 'etcd2-id', 'alarm': 'NOSPACE'}])}
    assert steps['etcd2']['defragment'] and steps['etcd2']['alarms'] == ['NOSPACE']
    assert steps['etcd2']['reason'].startswith('raised NOSPACE; ')
    assert steps['etcd1']['alarms'] == [] and steps['etcd1']['defragment']
    # The cluster refuses writes as a whole: a member under the rule is defragmented too.
    assert steps['etcd2']['defragment'] and steps['etcd3']['defragment'] is True
    assert steps['etcd3']['reason'].startswith('the cluster is under NOSPACE (raised by etcd2-id); ')


def test_the_quota_ratio_the_members_to_consider_and_members_that_did_not_answer():
    reports = REPORTS + [dict(endpoint='https://etcd4:2379', member_id=None, name=None, db_size=None,
                              db_size_in_use=None)]
    steps = plan(reports, quota_bytes=800 * MIB, only=['etcd3', 'etcd1-id'])
    assert [(s['name'], s['quota_ratio']) for s in steps] == [('etcd3', 0.5), ('etcd1', 0.5)]
    assert plan()[0]['quota_ratio'] is None


def test_a_release_that_reports_no_size_in_use_frees_nothing():
    step = plan([dict(report('etcd1', 400, 0), db_size_in_use=None)])[0]
    assert step['free_bytes'] == 0 and not step['defragment']
