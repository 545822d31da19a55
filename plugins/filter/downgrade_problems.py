# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""etcd's downgrade rules, and the check of a planned downgrade against them.

The code, with the reasoning behind it, is in plugins/plugin_utils/downgrade_problems.py."""

from __future__ import annotations

DOCUMENTATION = r"""
name: downgrade_problems
short_description: What etcd's downgrade rules say against downgrading a cluster to a version
description:
  - Checks a planned rolling downgrade of an etcd cluster and returns one sentence per problem; an empty list means
    the downgrade may go ahead (or is done).
  - Refuses a target that is not an exact release C(X.Y.Z); a target that is not exactly one minor version below the
    newest member (C(3.7) to C(3.5) skips C(3.6)); a cluster of 3.5 or older, which has no downgrade job; a member
    older than the target; and a patch downgrade within one minor version, which etcd's downgrade job does not do.
  - Members that already run the target are allowed, so that a downgrade that stopped halfway resumes.
positional: _input, target
options:
  _input:
    description: The etcd version each member runs, as a mapping of member (or host) name to C(X.Y.Z); null is left out.
    type: dict
    required: true
  target:
    description: The version to downgrade to, C(etcd_version).
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Refuse a downgrade that etcd's rules forbid
  ansible.builtin.assert:
    that: __problems | length == 0
    fail_msg: "{{ __problems | join(' ') }}"
  vars:
    __problems: "{{ {'etcd1': '3.7.3', 'etcd2': '3.7.3'} | quorum.etcd.downgrade_problems('3.5.35') }}"
    # ['from 3.7 to 3.5.35 skips 3.6: etcd downgrades one minor version at a time; ...']
"""

RETURN = r"""
_value:
  description: One sentence per problem, saying what is wrong and what to do; empty when the downgrade may go ahead.
  type: list
  elements: str
"""

from ansible_collections.quorum.etcd.plugins.plugin_utils.deferred import deferred

downgrade_problems = deferred('downgrade_problems', 'downgrade_problems')


class FilterModule(object):
    def filters(self):
        return {'downgrade_problems': downgrade_problems}
