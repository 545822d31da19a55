# -*- coding: utf-8 -*-
# Copyright (c) quorum.etcd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What is wrong with one member's own settings, every problem at once."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: member_problems
short_description: Every problem with one member's settings, each naming the value
version_added: 0.1.0
description:
  - Takes a member's settings as a dict and returns the list of what is wrong with them (empty when nothing is),
    for the server role's preflight, which refuses the run before any change while the list is not empty.
  - Checks that the host is in the cluster group, has a member address that is a bare address, a member name etcd
    accepts, an exact X.Y.Z release, http or https schemes, a listen address of the host, an election timeout of
    at least 5 heartbeats and at most 50 s, and distinct client and peer ports.
  - A running member whose peer port accepts only one common name keeps it (C(peer_allowed_cn) against
    C(deployed_peer_allowed_cn)), since new peer certificates reach every member at once and the members would
    refuse each other's before their restarts.
  - With C(fsync_max_ms) above 0, a disk slower than that at the 99th percentile of C(fsync) is refused.
  - A CA rotation step (C(rotation)) needs TLS (C(tls)) with the certificates issued by the collection
    (C(pki_managed)).
options:
  _input:
    description:
      - "Keys: C(host), C(group), C(in_group), C(address), C(ipv4_addresses), C(host_ips), C(listen), C(name),
        C(version), C(client_scheme), C(peer_scheme), C(heartbeat_interval), C(election_timeout), C(client_port),
        C(peer_port), C(peer_allowed_cn), C(deployed_peer_allowed_cn) (the member's running setting, none
        when it runs none), C(rotation), C(tls), C(pki_managed), C(fsync) (quorum.etcd.host_info's disk check),
        C(fsync_max_ms) (refuse a 99th percentile above it; 0 never refuses), C(instance) (C(etcd_instance)),
        C(runtime) (C(etcd_runtime)) and C(container_engines) (quorum.etcd.host_info's)."
      - C(name_addresses), the addresses a member address that is a DNS name resolves to on the host
        (C(srv.own_addresses) of quorum.etcd.host_info); etcd must listen on one of them, where its peers reach it.
    type: dict
    required: true
'''

EXAMPLES = r'''
- name: Check this member's settings
  ansible.builtin.assert:
    that: problems | length == 0
    fail_msg: "{{ inventory_hostname }}: {{ problems | join('; ') }}"
  vars:
    problems: "{{ settings | quorum.etcd.member_problems }}"
'''

RETURN = r'''
_value:
  description: The problems, in the order of the checks.
  type: list
  elements: str
'''

from ansible_collections.quorum.etcd.plugins.plugin_utils.deferred import deferred

member_problems = deferred('member_problems', 'member_problems')


class FilterModule(object):
    def filters(self):
        return {'member_problems': member_problems}
