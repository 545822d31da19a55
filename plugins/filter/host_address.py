# -*- coding: utf-8 -*-
# Copyright (c) quorum.etcd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The address an etcd member listens on, for an address that may be a DNS name."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: host_address
short_description: The address an etcd member listens on when it is advertised by DNS name
version_added: 0.2.0
description:
  - etcd listens on addresses only. A member advertised by DNS name listens on the host's own address; one advertised
    by IPv4 or IPv6 address, or as C(localhost), on that.
  - The same decision puts the host's address into the member's certificates (quorum.etcd.certificates).
positional: found_address
options:
  _input:
    description: The member's address (C(etcd_address) or the one found for the host).
    type: str
    required: true
  found_address:
    description: The host's own address (interface, default route or only address).
    type: str
    required: true
'''

EXAMPLES = r'''
- name: Where etcd listens
  ansible.builtin.set_fact:
    listen: "{{ 'etcd1.example.net' | quorum.etcd.host_address('10.0.0.11') }}"  # 10.0.0.11
'''

RETURN = r'''
_value:
  description: An address etcd can bind to.
  type: str
'''

from ansible_collections.quorum.etcd.plugins.plugin_utils.deferred import deferred

host_address = deferred('addresses', 'host_address')


class FilterModule(object):
    def filters(self):
        return {'host_address': host_address}
