# -*- coding: utf-8 -*-
# Copyright (c) quorum.etcd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ports a member's deploy opens in firewalld."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: firewalld_ports
short_description: The ports an etcd member opens in firewalld
version_added: 0.2.0
description:
  - The client and peer ports, and the metrics port when one of the metrics listeners is off loopback (a wildcard
    address counts as off loopback, since it listens on every address), as C(port/tcp).
  - None when O(mode) is V(never), or V(auto) on a host where firewalld does not run.
positional: mode, firewalld_active, client_port, peer_port, metrics_port
options:
  _input:
    description: The member's metrics URLs (C(etcd_metrics_urls)).
    type: list
    elements: str
    required: true
  mode:
    description: C(etcd_firewalld), V(auto), V(always) or V(never).
    type: str
    required: true
  firewalld_active:
    description: Whether firewalld runs on the host.
    type: bool
    required: true
  client_port:
    description: The client port.
    type: int
    required: true
  peer_port:
    description: The peer port.
    type: int
    required: true
  metrics_port:
    description: The metrics port.
    type: int
    required: true
'''

EXAMPLES = r'''
- name: Open the member's ports
  quorum.etcd.member_files:
    firewalld_ports: "{{ etcd_metrics_urls | quorum.etcd.firewalld_ports('auto', true, 2379, 2380, 2381) }}"
'''

RETURN = r'''
_value:
  description: Ports such as C(2379/tcp), the client port first.
  type: list
  elements: str
'''

from ansible_collections.quorum.etcd.plugins.plugin_utils.deferred import deferred

firewalld_ports = deferred('firewalld_ports', 'firewalld_ports')


class FilterModule(object):
    def filters(self):
        return {'firewalld_ports': firewalld_ports}
