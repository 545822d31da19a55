# -*- coding: utf-8 -*-
# Copyright (c) quorum.etcd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The order members restart in: followers first, the leader last, so that the
cluster changes leader at most once."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: restart_order
short_description: Order the hosts to restart, the leader last
version_added: 0.1.0
description:
  - Returns O(_input) with the host of the current leader (C(leader_host) of the quorum.etcd.cluster_plan
    result) moved to the end; the others keep their order.
positional: plan
options:
  _input:
    description: The hosts to restart.
    type: list
    elements: str
    required: true
  plan:
    description: The result of the quorum.etcd.cluster_plan filter.
    type: dict
    required: true
'''

EXAMPLES = r'''
- name: Restart the changed members, the leader last
  ansible.builtin.include_tasks: maintenance/restart_member.yml
  loop: "{{ changed_hosts | quorum.etcd.restart_order(plan) }}"
'''

RETURN = r'''
_value:
  description: The hosts, followers first, the leader last.
  type: list
  elements: str
'''

from ansible_collections.quorum.etcd.plugins.plugin_utils.deferred import deferred

restart_order = deferred('restart_order', 'restart_order')


class FilterModule(object):
    def filters(self):
        return {'restart_order': restart_order}
