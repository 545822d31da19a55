# -*- coding: utf-8 -*-
# Copyright (c) quorum.etcd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cluster plan of a deploy: who bootstraps, joins and leaves, through which member
changes are sent, what each new member starts with, which endpoints gate, and every
problem that stops the run, all at once."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: cluster_plan
short_description: The plan of a deploy from the inventory's members and the running cluster
version_added: 0.1.0
description:
  - Takes the hosts of the cluster group in inventory order, what O(_input) each host reported (its member
    name, URLs and state, and quorum.etcd.host_info's view of its data directory and configuration) and what
    quorum.etcd.cluster_info read of the running cluster, and returns the whole plan of the run.
  - The plan holds each host's part (C(member), C(joining), C(leaving)), the hosts that join and leave in the
    order they do, the anchor member that sends membership changes, the initial cluster, state and token
    each member starts with (a member keeps what it started with), the endpoints and member count that gate
    each step, and every problem found, each naming its hosts and values.
  - The server role's preflight (roles/server/tasks/deploy/preflight.yml) computes it once on the controller; the
    role's tasks read it.
positional: hostvars, probe
options:
  _input:
    description: The inventory hosts of the cluster group, in order.
    type: list
    elements: str
    required: true
  hostvars:
    description: Ansible's hostvars; each host of the group has C(__etcd_self) and C(__etcd_host).
    type: dict
    required: true
  probe:
    description:
      - The result of quorum.etcd.cluster_info on the cluster (members, endpoints, leader).
      - When null, the plan takes the cluster from what each host's own member told quorum.etcd.host_info
        (C(__etcd_host.cluster)), the view of the first host that knows a leader, else of the first that got
        an answer, with the endpoints every host's member reported.
    type: dict
  play_hosts:
    description: The hosts of the play (ansible_play_hosts_all), in order.
    type: list
    elements: str
    required: true
  version:
    description: The etcd release the run deploys; a running cluster on another release is refused.
    type: str
    required: true
  token:
    description: The initial cluster token of new members.
    type: str
    required: true
  cluster_group:
    description: Name of the inventory group, for messages.
    type: str
    default: etcd
  membership_changes:
    description: Whether this run may add and remove members (the scale playbook).
    type: bool
    default: false
  remove_members:
    description:
      - Members whose hosts are gone, to remove, each by name, hex ID or peer URL.
      - A member that was added but never started has no name; its ID or peer URL names it.
      - A host of the group rebuilt under a listed member's name (no member data, the member does not answer) is
        replaced; the old member is removed by ID and the host joins as a new one (C(rebuilt) in the result).
    type: list
    elements: str
    default: []
  allow_even_members:
    description: Accept an even member count.
    type: bool
    default: false
  allow_nonempty_data_dir:
    description: Let a new member start in a data directory that holds other files.
    type: bool
    default: false
  bootstrap:
    description:
      - How the hosts of a new cluster find each other, V(static) (the initial cluster), V(discovery) (etcd's v3
        discovery, etcd 3.6 and later) or V(dns_srv) (DNS SRV records, C(--discovery-srv)); a joiner and any host
        of a running cluster is given the initial cluster.
    type: str
    default: static
    version_added: 0.2.0
  discovery:
    description:
      - With O(bootstrap=discovery), the discovery service, C(endpoints) (its client URLs) and C(token), and the
        paths on the hosts of its CA (C(ca_file)) and of a client certificate and key (C(cert_file), C(key_file)),
        and those files on the controller (C(ca_src), C(cert_src), C(key_src)), which must exist.
      - With O(bootstrap=dns_srv), the domain (C(srv)) and service name suffix (C(srv_name)) of the SRV records; the
        records themselves are each host's C(srv) of quorum.etcd.host_info, and every host of a new cluster must find
        itself in them, and every record must be a host of the new cluster.
    type: dict
    version_added: 0.2.0
'''

EXAMPLES = r'''
- name: Plan the run
  ansible.builtin.set_fact:
    plan: >-
      {{ groups.etcd | quorum.etcd.cluster_plan(hostvars, probe, play_hosts=ansible_play_hosts_all,
                                                version=etcd_version, token=etcd_cluster_token) }}
  run_once: true
'''

RETURN = r'''
_value:
  description: The plan.
  type: dict
  contains:
    problems:
      description: Every reason the run must stop, each naming hosts and values; empty when it may go on.
      type: list
      elements: str
    live:
      description: Whether a cluster answered.
      type: bool
    hosts:
      description: Per play host, its part (member, joining, leaving, initialized, data_dir_used), the
        initial_cluster, initial_cluster_state and initial_cluster_token it starts with, and whether it starts
        through the discovery service (discovery, also true for a member that did) with its ETCD_DISCOVERY_*
        settings (discovery_settings, a member's own for one that started so).
      type: dict
    staying:
      description: Hosts of the group that stay members, in inventory order.
      type: list
    joiners:
      description: Hosts that join, one at a time in this order.
      type: list
    leavers:
      description: Hosts that leave, one at a time in this order, after every join.
      type: list
    anchor:
      description: The host membership changes are sent from, a member that stays ('' when none).
      type: str
    steady:
      description: Members that neither join nor leave, in play order.
      type: list
    anchor_urls:
      description: Client URLs of the members that stay and neither join nor leave.
      type: list
    client_urls:
      description: Each host's client URL, by host.
      type: dict
    gate_urls:
      description: Endpoints every health gate asks.
      type: list
    gate_members:
      description: Voting members a health gate expects.
      type: int
    healthy:
      description: Whether the cluster answered healthy at every member when the run began.
      type: bool
    leader_host:
      description: The host of the current leader ('' when none or unknown).
      type: str
    discovery_hosts:
      description: Hosts that bootstrap a new cluster through the discovery service or DNS SRV records in this run,
        in play order.
      type: list
      version_added: 0.2.0
    discovery_members:
      description: Those hosts' members as they register in the discovery service, each C(name=peer URL); empty with
        DNS SRV records.
      type: list
      version_added: 0.2.0
    peer_url_changes:
      description:
        - By host, the members whose peer URL this run changes (C(name), C(id), C(from), C(to)); the change is sent
          right before the member's own restart.
      type: dict
'''

from ansible_collections.quorum.etcd.plugins.plugin_utils.deferred import deferred

cluster_plan = deferred('cluster_plan', 'cluster_plan')


class FilterModule(object):
    def filters(self):
        return {'cluster_plan': cluster_plan}
