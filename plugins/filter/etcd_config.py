# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What each etcd minor version accepts in its configuration, as data.

The code, with the reasoning behind it, is in plugins/plugin_utils/etcd_config.py."""

from __future__ import annotations

DOCUMENTATION = r"""
name: config_problems
short_description: Settings in etcd_extra_config that an etcd version does not accept
description:
  - Checks the C(ETCD_*) settings of O(_input) (C(etcd_extra_config)) and the feature gates of O(feature_gates)
    against what etcd O(version) accepts, and returns one sentence per problem, naming the setting and what to
    use instead; an empty list means every setting is accepted.
  - Knows the settings that etcd 3.6 removed (the v2 API and proxy), the experimental settings that 3.6 renamed
    or turned into feature gates and 3.7 removed, and the settings that 3.6 added (so a 3.5 member is not
    given them, as in a downgrade).
positional: _input, version
options:
  _input:
    description: The C(ETCD_*) settings, a mapping of variable name to value.
    type: dict
    required: true
  version:
    description: The etcd release the settings are for, C(X.Y.Z).
    type: str
    required: true
  feature_gates:
    description: Feature gates by name (C(etcd_feature_gates)), each true or false.
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: Refuse settings the release does not accept
  ansible.builtin.assert:
    that: __problems | length == 0
    fail_msg: "{{ __problems | join(' ') }}"
  vars:
    __problems: "{{ {'ETCD_EXPERIMENTAL_CORRUPT_CHECK_TIME': '5m'} | quorum.etcd.config_problems('3.7.3') }}"
    # ['ETCD_EXPERIMENTAL_CORRUPT_CHECK_TIME is not accepted by etcd 3.7 (removed in 3.7): use ETCD_CORRUPT_CHECK_TIME ...']
"""

RETURN = r"""
_value:
  description: One sentence per refused setting, saying what to use instead; empty when all are accepted.
  type: list
  elements: str
"""

from ansible_collections.quorum.etcd.plugins.plugin_utils.deferred import deferred

config_problems = deferred('etcd_config', 'config_problems')
feature_gate_config = deferred('etcd_config', 'feature_gate_config')


class FilterModule(object):
    def filters(self):
        return {'config_problems': config_problems, 'feature_gate_config': feature_gate_config}
