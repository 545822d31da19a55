"""The upgrade rules of etcd as the upgrade playbook applies them: one case per rule, pure Python."""
import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.quorum.etcd.plugins.filter import upgrade_rule as upgrade_rule_plugin
from ansible_collections.quorum.etcd.plugins.filter.upgrade_problems import FilterModule
from ansible_collections.quorum.etcd.plugins.plugin_utils.upgrade_problems import (
    UPGRADE_RULES,
    upgrade_problems,
    upgrade_rule,
)


def cluster(*versions):
    return dict(('etcd%d' % (i + 1), v) for i, v in enumerate(versions))


def only(problems):
    assert len(problems) == 1, problems
    return problems[0]


def test_the_filters_are_registered_and_call_their_code():
    registered = FilterModule().filters()
    assert sorted(registered) == ['upgrade_problems']
    # The filter files hold the documentation; the code is imported at the first call (plugin_utils/deferred.py).
    versions = cluster('3.4.23', '3.4.23', '3.4.23')
    assert registered['upgrade_problems'](versions, '3.6.16') == upgrade_problems(versions, '3.6.16') != []
    rule = upgrade_rule_plugin.FilterModule().filters()
    assert sorted(rule) == ['upgrade_rule']
    assert rule['upgrade_rule']('3.6.16') == upgrade_rule('3.6.16') != {}


@pytest.mark.parametrize('target', ['3.5', 'latest', '', 'v3.5.1', '3.5.1-rc.0', '3.5.1 ', '3.5.1\n', None])
def test_a_target_that_is_not_x_y_z_is_refused(target):
    problem = only(upgrade_problems(cluster('3.4.23', '3.4.23', '3.4.23'), target))
    assert 'is not an exact etcd release X.Y.Z' in problem
    assert repr(str(target)) in problem


def test_the_next_minor_version_is_allowed():
    assert upgrade_problems(cluster('3.4.23', '3.4.23', '3.4.23'), '3.5.1') == []


def test_a_patch_upgrade_is_allowed():
    assert upgrade_problems(cluster('3.5.1', '3.5.1', '3.5.1'), '3.5.17') == []


def test_nothing_to_do_is_no_problem():
    assert upgrade_problems(cluster('3.5.1', '3.5.1', '3.5.1'), '3.5.1') == []


def test_a_half_done_upgrade_may_resume():
    # etcd2 stopped at its gate: it does not answer, and counts with what it is linked to (or not at all).
    assert upgrade_problems(cluster('3.5.1', None, '3.4.23'), '3.5.1') == []
    assert upgrade_problems(cluster('3.5.1', '3.5.1', '3.4.23'), '3.5.1') == []


def test_a_downgrade_is_refused_naming_the_newer_members():
    problem = only(upgrade_problems(cluster('3.5.1', '3.5.1', '3.5.1'), '3.4.23'))
    assert problem.startswith('etcd_version 3.4.23 is older than the version '
                              'etcd1 (3.5.1), etcd2 (3.5.1), etcd3 (3.5.1)')
    assert 'downgrade' in problem


def test_a_lower_patch_is_a_downgrade_too():
    problem = only(upgrade_problems(cluster('3.5.2', '3.5.1', '3.5.1'), '3.5.1'))
    assert 'etcd1 (3.5.2) runs' in problem and 'downgrade' in problem


def test_a_mixed_cluster_cannot_go_back():
    assert 'downgrade' in only(upgrade_problems(cluster('3.5.1', None, '3.4.23'), '3.4.23'))


def test_a_skipped_minor_version_is_refused_with_the_way_round():
    problem = only(upgrade_problems(cluster('3.4.23', '3.4.23', '3.4.23'), '3.6.0'))
    assert problem.startswith('from 3.4.23 to 3.6.0 skips 3.5: etcd upgrades one minor version at a time.')
    assert ('Upgrade to the latest 3.5 release first (etcd 3.6 needs every member on 3.5.26 or later before it)'
            in problem)


def test_the_lowest_member_decides_the_step():
    # One member still on 3.4: 3.6 would skip 3.5 for it.
    assert 'skips 3.5' in only(upgrade_problems(cluster('3.5.26', '3.4.23', '3.5.26'), '3.6.0'))


def test_a_major_version_change_is_refused():
    assert 'changes the major version' in only(upgrade_problems(cluster('3.5.1', '3.5.1', '3.5.1'), '4.0.0'))


def test_3_6_needs_every_member_on_3_5_26_first():
    problem = only(upgrade_problems(cluster('3.5.1', '3.5.26', '3.5.25'), '3.6.0'))
    assert problem == ('etcd 3.6 needs every member on 3.5.26 or later before the upgrade; etcd1 (3.5.1), '
                       'etcd3 (3.5.25) run older: upgrade to 3.5.26 or a later 3.5 release first.')
    assert upgrade_problems(cluster('3.5.26', '3.5.26', '3.5.30'), '3.6.0') == []


def test_3_4_to_3_5_cannot_roll_with_auth_enabled():
    problem = only(upgrade_problems(cluster('3.4.23', '3.4.23', '3.4.23'), '3.5.1', auth_enabled=True))
    assert problem.startswith('authentication is enabled on the cluster, and etcd does not support a rolling upgrade '
                              'from 3.4 to 3.5 on a cluster with authentication enabled')
    # Within 3.5, and from 3.5 to 3.6, auth does not matter.
    assert upgrade_problems(cluster('3.5.1', '3.5.1', '3.5.1'), '3.5.17', auth_enabled=True) == []
    assert upgrade_problems(cluster('3.5.26', '3.5.26', '3.5.26'), '3.6.0', auth_enabled=True) == []


def test_3_6_refuses_the_settings_it_removed():
    config = {'etcd1': {'ETCD_NAME': 'etcd1'},
              'etcd2': {'ETCD_ENABLE_V2': 'true'},
              'etcd3': {'ETCD_PROXY': 'off', 'ETCD_EXPERIMENTAL_ENABLE_V2V3': '/v2/'}}
    problems = upgrade_problems(cluster('3.5.26', '3.5.26', '3.5.26'), '3.6.0', config=config)
    assert problems == [
        'etcd2: ETCD_ENABLE_V2 is set in its etcd configuration, which etcd 3.6 no longer accepts; take it out of '
        'etcd_extra_config and run quorum.etcd.deploy before the upgrade.',
        'etcd3: ETCD_EXPERIMENTAL_ENABLE_V2V3, ETCD_PROXY are set in its etcd configuration, which etcd 3.6 no longer '
        'accepts; take them out of etcd_extra_config and run quorum.etcd.deploy before the upgrade.',
    ]
    # 3.5 still has them.
    assert upgrade_problems(cluster('3.4.23', '3.4.23', '3.4.23'), '3.5.1', config=config) == []



def test_3_7_needs_every_member_on_3_6_11_first():
    problem = only(upgrade_problems(cluster('3.6.10', '3.6.16', '3.6.16'), '3.7.3'))
    assert problem == ('etcd 3.7 needs every member on 3.6.11 or later before the upgrade; etcd1 (3.6.10) runs older: '
                       'upgrade to 3.6.11 or a later 3.6 release first.')
    assert upgrade_problems(cluster('3.6.16', '3.6.16', '3.6.16'), '3.7.3', auth_enabled=True) == []


def test_3_7_refuses_the_experimental_settings_naming_their_replacement():
    config = {'etcd1': {'ETCD_EXPERIMENTAL_CORRUPT_CHECK_TIME': '5m', 'ETCD_EXPERIMENTAL_INITIAL_CORRUPT_CHECK': 'true'},
              'etcd2': {'ETCD_CORRUPT_CHECK_TIME': '5m'}}
    problem = only(upgrade_problems(cluster('3.6.16', '3.6.16', '3.6.16'), '3.7.3', config=config))
    assert problem == (
        'etcd1: ETCD_EXPERIMENTAL_CORRUPT_CHECK_TIME, ETCD_EXPERIMENTAL_INITIAL_CORRUPT_CHECK are set in its etcd '
        'configuration, which etcd 3.7 no longer accepts; take them out of etcd_extra_config (use '
        'ETCD_CORRUPT_CHECK_TIME for ETCD_EXPERIMENTAL_CORRUPT_CHECK_TIME, etcd_feature_gates: {InitialCorruptCheck: '
        'true} for ETCD_EXPERIMENTAL_INITIAL_CORRUPT_CHECK) and run quorum.etcd.deploy before the upgrade.')
    # 3.6 accepts both spellings.
    assert upgrade_problems(cluster('3.5.35', '3.5.35', '3.5.35'), '3.6.16',
                            config={'etcd1': config['etcd1']}) == []

def test_3_6_refuses_a_v2_store_with_custom_data():
    versions = cluster('3.5.26', '3.5.26', '3.5.26')
    clean = {'etcd1': 'clean', 'etcd2': 'clean', 'etcd3': 'clean'}
    assert upgrade_problems(versions, '3.6.0', v2store=clean) == []
    dirty = dict(clean, etcd2='Error: detected custom content in v2store\n')
    problem = only(upgrade_problems(versions, '3.6.0', v2store=dirty))
    assert problem.startswith('etcd2: the v2 store holds custom data (etcdutl check v2store: Error: detected custom '
                              'content in v2store), which etcd 3.6 cannot read')


def test_a_minor_version_without_rules_is_refused():
    problem = only(upgrade_problems(cluster('3.7.3', '3.7.3', '3.7.3'), '3.8.0'))
    assert problem.startswith('quorum.etcd knows no upgrade rules for etcd 3.8 (it knows 3.4, 3.5, 3.6, 3.7)')


def test_several_rules_are_reported_together():
    problems = upgrade_problems(cluster('3.5.1', '3.5.26', '3.5.26'), '3.6.0',
                                config={'etcd1': {'ETCD_ENABLE_V2': 'false'}}, v2store={'etcd1': 'boom'})
    assert len(problems) == 3, problems


def test_no_known_version_is_refused():
    assert 'no member reported' in only(upgrade_problems(cluster(None, None, None), '3.5.1'))


def test_a_version_that_is_not_a_release_is_refused():
    assert "member etcd2 reports version '3.5.1-dirty'" in only(
        upgrade_problems(cluster('3.5.1', '3.5.1-dirty', '3.5.1'), '3.5.2'))


def test_wrong_input_is_a_filter_error():
    with pytest.raises(AnsibleFilterError, match='mapping of member name'):
        upgrade_problems(['3.5.1'], '3.5.2')


def test_the_rules_are_data_with_their_sources():
    for minor, rule in UPGRADE_RULES.items():
        assert set(rule) == {'from_minor', 'min_from', 'auth', 'removed_config', 'v2store_check', 'sources'}
        assert rule['sources'] and all('https://etcd.io/' in s for s in rule['sources'])
        assert int(rule['from_minor'].split('.')[1]) == int(minor.split('.')[1]) - 1
    assert upgrade_rule('3.6.0')['v2store_check'] is True
    assert upgrade_rule('3.6.0')['min_from'] == '3.5.26'
    assert 'ETCD_ENABLE_V2' in upgrade_rule('3.6.2')['removed_config']
    assert upgrade_rule('3.5.1')['v2store_check'] is False
    assert upgrade_rule('latest') == {} and upgrade_rule('9.9.9') == {}
