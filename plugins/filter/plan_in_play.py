# -*- coding: utf-8 -*-
# Copyright (c) quorum.etcd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The membership changes of a plan that the hosts still in the play can make: a host
that failed after the plan was made takes no part, and nothing after it changes."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: plan_in_play
short_description: The membership changes of a cluster plan the hosts still in the play can make
version_added: 0.1.0
description:
  - Takes the result of the quorum.etcd.cluster_plan filter, made before any host changed, and the hosts
    still in the play (ansible_play_hosts), and returns the joiners, leavers and anchor that remain.
  - Each joiner starts with the cluster as it will be once the joiners before it have joined, so the joins
    stop at the first joiner that dropped out of the play.
  - Members leave only when every host of the plan's changes and every steady member is still in the play,
    so a failed host never leaves the cluster with fewer working members than it started with.
  - The anchor is the first member that neither joins nor leaves and is still in the play.
positional: play_hosts
options:
  _input:
    description: The result of quorum.etcd.cluster_plan.
    type: dict
    required: true
  play_hosts:
    description: The hosts still in the play (ansible_play_hosts).
    type: list
    elements: str
    required: true
'''

EXAMPLES = r'''
- name: Join the new members one at a time
  ansible.builtin.include_tasks: join_member.yml
  loop: "{{ (plan | quorum.etcd.plan_in_play(ansible_play_hosts)).joiners }}"
'''

RETURN = r'''
_value:
  description: The changes that remain.
  type: dict
  contains:
    joiners:
      description: Hosts that join, in order, up to the first that dropped out.
      type: list
    leavers:
      description: Hosts that leave, in order; none when any host of the plan dropped out.
      type: list
    anchor:
      description: The host membership changes are sent from ('' when none is left).
      type: str
    anchor_urls:
      description: Client URLs of the steady members still in the play.
      type: list
    dropped:
      description: Hosts of the plan's changes that are no longer in the play.
      type: list
'''

from ansible_collections.quorum.etcd.plugins.plugin_utils.deferred import deferred

plan_in_play = deferred('plan_in_play', 'plan_in_play')


class FilterModule(object):
    def filters(self):
        return {'plan_in_play': plan_in_play}
