# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The entry of etcd's upgrade rules (UPGRADE_RULES in upgrade_problems.py) for a target."""

from __future__ import annotations

DOCUMENTATION = r"""
name: upgrade_rule
short_description: etcd's upgrade rules for the minor version of a target release
description:
  - Returns the entry of the rules table C(UPGRADE_RULES) (in C(plugins/plugin_utils/upgrade_problems.py), the one place the
    rules are kept) for the minor version of a target release, or an empty mapping when the table has none or the
    target is not C(X.Y.Z).
  - The upgrade playbook asks it which checks a target needs before any member changes, for example whether
    C(etcdutl check v2store) must run.
positional: _input
options:
  _input:
    description: The target release, C(X.Y.Z).
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Run etcdutl check v2store only for targets that need it
  ansible.builtin.debug:
    msg: "{{ ('3.6.0' | quorum.etcd.upgrade_rule).v2store_check }}"   # true
"""

RETURN = r"""
_value:
  description:
    - C(from_minor) (the minor version the upgrade starts from), C(min_from) (the lowest release every member must
      run first, or null), C(auth) (why an auth-enabled cluster cannot roll, or null), C(removed_config) (settings
      the version no longer accepts), C(v2store_check) and C(sources).
  type: dict
"""

from ansible_collections.quorum.etcd.plugins.plugin_utils.deferred import deferred

upgrade_rule = deferred('upgrade_problems', 'upgrade_rule')


class FilterModule(object):
    def filters(self):
        return {'upgrade_rule': upgrade_rule}
