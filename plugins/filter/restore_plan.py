# -*- coding: utf-8 -*-
# Copyright (c) quorum.etcd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The restore playbook's decisions: every reason to refuse before any member stops, and
what the restore does (or that it was done already) once the snapshot file is known."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: restore_plan
short_description: The plan of a restore from a snapshot, and every reason to refuse it
version_added: 0.1.0
description:
  - C(restore_problems) takes the hosts of the cluster group and the restore's settings and returns every
    problem at once (no snapshot named, a snapshot host that is not in the inventory, no confirmation, a host of
    the group missing from the play or marked absent), each naming its value.
  - C(restore_plan) takes the same hosts, the C(stat) of the snapshot file and the marker each member keeps of the
    snapshot it was restored from, and returns the plan; its C(problems) say why the file cannot be used.
  - The server role's recovery/restore_preflight.yml uses both.
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
- name: Refuse a restore that is not confirmed
  ansible.builtin.assert:
    that: problems | length == 0
    fail_msg: "{{ problems | join('; ') }}"
  vars:
    problems: >-
      {{ groups.etcd | quorum.etcd.restore_problems(hostvars, play_hosts=ansible_play_hosts_all,
           snapshot=etcd_restore_snapshot, snapshot_host='', confirm=false, inventory_hosts=groups.all) }}
'''

RETURN = r'''
_value:
  description: The problems (restore_problems) or the plan (restore_plan, with problems, done and plan).
  type: raw
'''

from ansible_collections.quorum.etcd.plugins.plugin_utils.deferred import deferred

restore_problems = deferred('restore_plan', 'restore_problems')
restore_plan = deferred('restore_plan', 'restore_plan')


class FilterModule(object):
    def filters(self):
        return {'restore_problems': restore_problems, 'restore_plan': restore_plan}
