# -*- coding: utf-8 -*-
# Copyright (c) quorum.etcd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Prometheus targets for the members of one cluster: which of each member's metrics
listeners a Prometheus server can reach, and every reason one cannot be scraped."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: metrics_targets
short_description: Prometheus file_sd targets of a cluster's members, and what keeps a member from being scraped
version_added: 0.2.0
description:
  - For each member, picks the first of its metrics URLs (C(metrics_urls) of the fact C(etcd_member_facts)) that
    another host can reach, that is neither loopback nor a wildcard address.
  - Returns the target groups of a Prometheus C(file_sd_configs) file, one per member, labelled with the cluster
    and the member's name, and every problem at once, each naming the host and its value.
positional: cluster
options:
  _input:
    description: Each host of the cluster group and its C(etcd_member_facts) (none where the fact is not set).
    type: dict
    required: true
  cluster:
    description: The value of the C(cluster) label every target gets.
    type: str
    required: true
'''

EXAMPLES = r'''
- name: Work out the targets of the members of group etcd
  ansible.builtin.set_fact:
    targets: "{{ dict(members | zip(facts)) | quorum.etcd.metrics_targets('etcd') }}"
  vars:
    members: "{{ groups['etcd'] }}"
    facts: "{{ members | map('extract', hostvars) | map(attribute='etcd_member_facts', default=none) }}"
'''

RETURN = r'''
_value:
  description: The targets and the problems.
  type: dict
  contains:
    file_sd:
      description: Target groups, each C(targets) (one C(host:port)) and C(labels) (C(cluster), C(member), and
        C(__scheme__) for an https listener).
      type: list
      elements: dict
    problems:
      description: Why a member cannot be scraped, one line per host; empty when every member can be.
      type: list
      elements: str
'''

from ansible_collections.quorum.etcd.plugins.plugin_utils.deferred import deferred

metrics_targets = deferred('metrics_targets', 'metrics_targets')


class FilterModule(object):
    def filters(self):
        return {'metrics_targets': metrics_targets}
