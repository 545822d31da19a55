"""What each etcd minor version accepts (plugins/plugin_utils/etcd_config.py): pure Python, one case per kind of rule.
The table itself was read off `etcd --help` of the lab's builds; test_the_table_matches_the_binaries checks it
against those binaries' own flag lists."""
import os
import re
import subprocess

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.quorum.etcd.plugins.filter.etcd_config import FilterModule
from ansible_collections.quorum.etcd.plugins.plugin_utils.etcd_config import (
    FEATURE_GATES,
    SETTINGS,
    accepts,
    config_problems,
    feature_gate_config,
)

from conftest import VERSIONS


def test_the_filters_are_registered_and_call_their_code():
    registered = FilterModule().filters()
    assert sorted(registered) == ['config_problems', 'feature_gate_config']
    # The filter file holds the documentation; the code is imported at the first call (plugin_utils/deferred.py).
    settings = {'ETCD_ENABLE_V2': 'true'}
    assert registered['config_problems'](settings, '3.6.16') == config_problems(settings, '3.6.16') != []
    gates = {'InitialCorruptCheck': True}
    assert registered['feature_gate_config'](gates, '3.5.35') == feature_gate_config(gates, '3.5.35') != {}


def test_settings_every_version_accepts_pass():
    settings = {'ETCD_SNAPSHOT_COUNT': '10000', 'ETCD_AUTO_COMPACTION_MODE': 'periodic'}
    for version in ('3.5.1', '3.5.35', '3.6.16', '3.7.3'):
        assert config_problems(settings, version) == []


def test_3_6_refuses_the_v2_settings_it_removed():
    assert config_problems({'ETCD_ENABLE_V2': 'true'}, '3.5.35') == []
    assert config_problems({'ETCD_ENABLE_V2': 'true'}, '3.6.16') == [
        'ETCD_ENABLE_V2 is not accepted by etcd 3.6 (removed in 3.6), in etcd_extra_config.']


def test_3_7_refuses_an_experimental_setting_naming_its_new_name():
    settings = {'ETCD_EXPERIMENTAL_WATCH_PROGRESS_NOTIFY_INTERVAL': '10m'}
    assert config_problems(settings, '3.6.16') == []
    assert config_problems(settings, '3.7.3') == [
        'ETCD_EXPERIMENTAL_WATCH_PROGRESS_NOTIFY_INTERVAL is not accepted by etcd 3.7 (removed in 3.7): use '
        'ETCD_WATCH_PROGRESS_NOTIFY_INTERVAL instead, in etcd_extra_config.']


def test_3_7_refuses_an_experimental_switch_naming_its_feature_gate():
    assert config_problems({'ETCD_EXPERIMENTAL_INITIAL_CORRUPT_CHECK': 'true'}, '3.7.3') == [
        'ETCD_EXPERIMENTAL_INITIAL_CORRUPT_CHECK is not accepted by etcd 3.7 (removed in 3.7): use '
        'etcd_feature_gates: {InitialCorruptCheck: true} instead, in etcd_extra_config.']


def test_3_5_refuses_the_names_3_6_introduced():
    """What a downgrade to 3.5 must not write."""
    assert config_problems({'ETCD_CORRUPT_CHECK_TIME': '5m'}, '3.5.35') == [
        'ETCD_CORRUPT_CHECK_TIME is not accepted by etcd 3.5 (added in 3.6): use ETCD_EXPERIMENTAL_CORRUPT_CHECK_TIME '
        'instead, in etcd_extra_config.']
    assert config_problems({'ETCD_LOG_FORMAT': 'json'}, '3.5.35') == [
        'ETCD_LOG_FORMAT is not accepted by etcd 3.5 (added in 3.6), in etcd_extra_config.']


def test_the_bootstrap_settings_the_role_writes_are_refused_in_extra_config():
    problems = config_problems({'ETCD_INITIAL_CLUSTER': 'a=http://10.0.0.1:2380', 'ETCD_DISCOVERY_TOKEN': 't',
                                'ETCD_DISCOVERY_DIAL_TIMEOUT': '5s'}, '3.6.16')
    assert problems == ['%s is written by the role for a member\'s first start (etcd_bootstrap, the cluster\'s plan): '
                        'remove it from etcd_extra_config; etcd refuses an initial cluster beside discovery settings.'
                        % name for name in ('ETCD_DISCOVERY_TOKEN', 'ETCD_INITIAL_CLUSTER')]


def test_feature_gates_go_through_their_own_variable():
    problems = config_problems({'ETCD_FEATURE_GATES': 'InitialCorruptCheck=true', 'NAME': 'x'}, '3.6.16',
                               feature_gates={'NoSuchGate': True, 'CompactHashCheck': 'yes'})
    assert problems == [
        'ETCD_FEATURE_GATES is written by the role from etcd_feature_gates, for the version it deploys: set '
        'etcd_feature_gates instead of etcd_extra_config.',
        'NAME is not an etcd setting: etcd_extra_config takes ETCD_* variables such as ETCD_CORRUPT_CHECK_TIME.',
        "etcd_feature_gates: CompactHashCheck must be true or false, got 'yes'.",
        'etcd_feature_gates: NoSuchGate is not a feature gate quorum.etcd knows (%s).' % ', '.join(sorted(FEATURE_GATES)),
    ]
    assert config_problems({}, '3.5.35', feature_gates={'SetMemberLocalAddr': True}) == [
        'etcd_feature_gates: SetMemberLocalAddr needs etcd 3.6 or later; etcd 3.5 has no such setting.']


def test_feature_gates_are_written_for_the_version_deployed():
    gates = {'InitialCorruptCheck': True, 'CompactHashCheck': False}
    assert feature_gate_config(gates, '3.6.16') == {
        'ETCD_FEATURE_GATES': 'CompactHashCheck=false,InitialCorruptCheck=true'}
    assert feature_gate_config(gates, '3.7.3') == feature_gate_config(gates, '3.6.16')
    assert feature_gate_config(gates, '3.5.35') == {'ETCD_EXPERIMENTAL_INITIAL_CORRUPT_CHECK': 'true',
                                                    'ETCD_EXPERIMENTAL_COMPACT_HASH_CHECK_ENABLED': 'false'}
    assert feature_gate_config({}, '3.6.16') == {}


def test_a_version_that_is_not_a_release_is_a_problem_or_a_filter_error():
    assert config_problems({}, 'latest') == ["etcd_version 'latest' is not an exact etcd release X.Y.Z such as 3.6.16."]
    with pytest.raises(AnsibleFilterError, match='expected an etcd release X.Y.Z'):
        feature_gate_config({'InitialCorruptCheck': True}, 'latest')
    with pytest.raises(AnsibleFilterError, match='expects a mapping'):
        config_problems(['ETCD_ENABLE_V2'], '3.6.16')


def _flags(etcd_bin, version):
    result = subprocess.run([os.path.join(etcd_bin(version), 'etcd'), '--help'], capture_output=True, text=True)
    help_text = result.stdout + result.stderr
    return set('ETCD_' + flag.upper().replace('-', '_') for flag in re.findall(r'^\s+--([a-z0-9-]+)', help_text, re.M))


def test_the_table_matches_the_binaries(etcd_bin):
    """Every setting the table lists is accepted exactly by the versions `etcd --help` lists it for."""
    flags = dict((version, _flags(etcd_bin, version)) for version in VERSIONS)
    for version, accepted in flags.items():
        assert 'ETCD_NAME' in accepted and len(accepted) > 80, (version, sorted(accepted)[:5])
        wrong = sorted(name for name in SETTINGS if accepts(name, version) != (name in accepted))
        assert wrong == [], (version, wrong)
    for gate in FEATURE_GATES:
        assert FEATURE_GATES[gate] is None or FEATURE_GATES[gate] in flags['3.5.35'], gate
