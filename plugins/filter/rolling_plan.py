# -*- coding: utf-8 -*-
# Copyright (c) quorum.etcd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rolling restart's decision: which hosts restart, in what order (followers in inventory
order, the leader last), and why the run must not start."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: rolling_plan
short_description: The order of a rolling restart, the leader last, and why it must not start
version_added: 0.2.0
description:
  - Restarts the hosts of the play that are in the group, the followers in inventory order and the host of the
    leader last, so that the cluster changes leader at most once.
  - Refuses when the cluster's voting members are not the group's hosts (a member without a host, a host without
    a member), because the gates would expect the wrong number of members and a member would be left out.
positional: group, group_hosts, play_hosts, cluster
options:
  _input:
    description: The member name of each host of the play that read its own (C(etcd_member_facts.name)).
    type: dict
    required: true
  group:
    description: The inventory group's name, for the message.
    type: str
    required: true
  group_hosts:
    description: The hosts of the group, in inventory order.
    type: list
    elements: str
    required: true
  play_hosts:
    description: The hosts of the play (C(ansible_play_hosts)); with C(--limit), a part of the group.
    type: list
    elements: str
    required: true
  cluster:
    description: The result of quorum.etcd.cluster_info (C(members), C(leader)).
    type: dict
    required: true
'''

EXAMPLES = r'''
- name: Plan the restarts
  ansible.builtin.set_fact:
    plan: "{{ names | quorum.etcd.rolling_plan('etcd', groups['etcd'], ansible_play_hosts, cluster) }}"
'''

RETURN = r'''
_value:
  description: The plan.
  type: dict
  contains:
    order:
      description: The hosts to restart, one at a time, the leader's last.
      type: list
      elements: str
    leader_host:
      description: The host of the leader among them, or an empty string.
      type: str
    problems:
      description: Why the restarts must not start; empty when they may.
      type: list
      elements: str
'''

from ansible_collections.quorum.etcd.plugins.plugin_utils.deferred import deferred

rolling_plan = deferred('rolling_plan', 'rolling_plan')


class FilterModule(object):
    def filters(self):
        return {'rolling_plan': rolling_plan}
