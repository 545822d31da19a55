# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""etcd's upgrade rules as data, and the check of a planned upgrade against them.

The code, with the reasoning behind it, is in plugins/plugin_utils/upgrade_problems.py."""

from __future__ import annotations

DOCUMENTATION = r"""
name: upgrade_problems
short_description: What etcd's upgrade rules say against upgrading a cluster to a version
description:
  - Checks a planned rolling upgrade of an etcd cluster against etcd's upgrade rules and returns one sentence per
    problem; an empty list means the upgrade may go ahead.
  - Refuses a target that is not an exact release C(X.Y.Z), a downgrade (a member runs a newer version than the
    target), a change of major version, and a skipped minor version (C(3.4) to C(3.6)).
  - For an upgrade to a new minor version, applies that version's rules from the table C(UPGRADE_RULES) in this
    file, each with the etcd documentation it comes from. C(3.5) cannot be rolled to from C(3.4) on a cluster
    with authentication enabled. C(3.6) needs every member on C(3.5.26) or later first, settings that C(3.6)
    removed (C(ETCD_ENABLE_V2), C(ETCD_EXPERIMENTAL_ENABLE_V2V3), C(ETCD_PROXY*)) out of every member's
    configuration, and a v2 store without custom data (C(etcdutl check v2store)). C(3.7) needs every member on
    C(3.6.11) or later and none of the C(--experimental-*) settings that 3.6 renamed or made feature gates.
  - A patch upgrade within a minor version has no further rules.
positional: _input, target
options:
  _input:
    description:
      - The etcd version each member runs, as a mapping of member (or host) name to C(X.Y.Z).
      - A member whose version is not known (null) is left out of the checks.
    type: dict
    required: true
  target:
    description: The version to upgrade to, C(etcd_version).
    type: str
    required: true
  auth_enabled:
    description: Whether authentication is enabled on the cluster (RV(quorum.etcd.cluster_info#module:auth_enabled)).
    type: bool
    default: false
  config:
    description:
      - The C(ETCD_*) settings of each member, as a mapping of host name to a mapping of variable to value
        (what C(etcd.conf) holds and what C(etcd_extra_config) would write).
    type: dict
    default: {}
  v2store:
    description:
      - Result of C(etcdutl check v2store) on each member, as a mapping of host name to V(clean) or the output that
        says what custom content was found. Not given, the v2 store is not judged.
    type: dict
"""

EXAMPLES = r"""
- name: Refuse an upgrade that etcd's rules forbid
  ansible.builtin.assert:
    that: __problems | length == 0
    fail_msg: "{{ __problems | join(' ') }}"
  vars:
    __problems: "{{ {'etcd1': '3.4.23', 'etcd2': '3.4.23'} | quorum.etcd.upgrade_problems('3.6.0') }}"
    # ['from 3.4.23 to 3.6.0 skips 3.5: etcd upgrades one minor version at a time; ...']
"""

RETURN = r"""
_value:
  description: One sentence per problem, saying what is wrong and what to do; empty when the upgrade may go ahead.
  type: list
  elements: str
"""

from ansible_collections.quorum.etcd.plugins.plugin_utils.deferred import deferred

upgrade_problems = deferred('upgrade_problems', 'upgrade_problems')


class FilterModule(object):
    def filters(self):
        return {'upgrade_problems': upgrade_problems}
