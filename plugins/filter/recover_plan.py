# -*- coding: utf-8 -*-
# Copyright (c) quorum.etcd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The recover_quorum playbook's decision: whether the quorum is lost for good, which
member has the most data and survives, and why the run refuses when it must."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: recover_plan
short_description: Decide a quorum recovery from what each member applied and what the cluster answered
version_added: 0.1.0
description:
  - Takes the hosts of the cluster group, hostvars (each host's C(__etcd_self) and what the role read of its
    member in C(__etcd_recover_read), that is C(etcd endpoint status) of a running member, C(snapshot status) of a
    stopped member's data with the commit index of its write-ahead log in C(wal)) and the quorum.etcd.cluster_info
    result O(probe).
  - The number of voters is what a running member lists (etcd answers a member list without a quorum), else
    the hosts of the group and those left out.
  - Returns C(action), C(none) (healthy with every host), C(rejoin) (healthy, but hosts of the group are not
    members; every member the cluster lists answers healthy and there is a leader, as after a run whose joins
    failed), C(force) (no leader and no majority running, so the survivor starts alone) or C(refuse); the
    C(survivor) with the highest raft index (a stopped member's from its write-ahead log), then revision (revision
    first where a raft index could not be read); each host's C(progress); and C(problems), the
    reason to refuse, empty when the run may go on.
  - The server role's recover_quorum.yml uses it.
positional: hostvars, probe
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
  probe:
    description: What quorum.etcd.cluster_info answered for the group's client URLs.
    type: dict
    required: true
  cluster_group:
    description: The group's name, for messages.
    type: str
    default: etcd
  data_dir:
    description: The members' data directory, for messages.
    type: str
    default: /var/lib/etcd
  lost_hosts:
    description:
      - The hosts the operator says are destroyed for good (C(etcd_recover_quorum_lost_hosts)); the run refuses
        unless they are exactly O(left_out).
    type: list
    elements: str
    default: []
  left_out:
    description:
      - Hosts of the group that did not answer (destroyed for good) and that the run leaves out; they are not in O(_input).
      - Their members count as voters only where no running member lists the membership.
    type: list
    elements: str
    default: []
'''

EXAMPLES = r'''
- name: Decide whether the quorum is lost and which member survives
  ansible.builtin.set_fact:
    recovery: "{{ groups.etcd | quorum.etcd.recover_plan(hostvars, probe, cluster_group='etcd') }}"
  run_once: true
'''

RETURN = r'''
_value:
  description: action, survivor, progress, running, missing, voters, left_out, problems and report.
  type: dict
'''

from ansible_collections.quorum.etcd.plugins.plugin_utils.deferred import deferred

recover_plan = deferred('recover_plan', 'recover_plan')


class FilterModule(object):
    def filters(self):
        return {'recover_plan': recover_plan}
