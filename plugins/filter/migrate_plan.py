# -*- coding: utf-8 -*-
# Copyright (c) quorum.etcd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The migrate playbook's decision: which member moves from which host to which, what the
new host starts with, and every reason to refuse, before any change."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: migrate_plan
short_description: The plan of moving a member to a new host, and every reason to refuse it
version_added: 0.1.0
description:
  - Takes the hosts of the cluster group, hostvars (each host's C(__etcd_self) and C(__etcd_host)), the
    quorum.etcd.cluster_info result (C(probe)) and the two hosts, and returns the move, the new host's initial
    cluster, state and token, the anchor members that stay, and C(problems), all at once.
  - C(done) is true when the member already runs on the new host; a re-run then does nothing.
  - The server role's migrate_preflight.yml uses it.
positional: hostvars
options:
  _input:
    description: The hosts of the cluster group, in order.
    type: list
    elements: str
    required: true
  hostvars:
    description: Ansible's hostvars.
    type: dict
    required: true
'''

EXAMPLES = r'''
- name: Decide what moves where
  ansible.builtin.set_fact:
    move: >-
      {{ groups.etcd | quorum.etcd.migrate_plan(hostvars, probe=probe, source='etcd3', target='etcd4',
           play_hosts=ansible_play_hosts_all, version='3.6.16', token='etcd-cluster', stamp='20260101T000000Z') }}
  run_once: true
'''

RETURN = r'''
_value:
  description: The move (name, id, from, to, URLs, anchor, dirs, initial_cluster, token, voters, done) and problems.
  type: dict
'''

from ansible_collections.quorum.etcd.plugins.plugin_utils.deferred import deferred

migrate_plan = deferred('migrate_plan', 'migrate_plan')


class FilterModule(object):
    def filters(self):
        return {'migrate_plan': migrate_plan}
