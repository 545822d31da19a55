# -*- coding: utf-8 -*-
# Copyright (c) quorum.etcd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The bootstrap settings a member started with, which it keeps."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: started_with
short_description: The bootstrap settings an etcd member started with
version_added: 0.2.0
description:
  - etcd reads C(ETCD_INITIAL_CLUSTER*) and C(ETCD_DISCOVERY_*) only at a member's first start, so a member keeps
    them and later runs never rewrite them.
  - Returns those settings of the member's configuration, or an empty dict when it has neither an initial cluster
    nor discovery endpoints (a host that has not started yet).
options:
  _input:
    description: The member's C(etcd.conf) settings, as quorum.etcd.host_info reads them (C(config)).
    type: dict
    required: true
'''

EXAMPLES = r'''
- name: Keep what the member started with
  ansible.builtin.set_fact:
    frozen: "{{ host_info.config | quorum.etcd.started_with }}"
'''

RETURN = r'''
_value:
  description: The C(ETCD_INITIAL_CLUSTER*) and C(ETCD_DISCOVERY_*) settings, by name.
  type: dict
'''

BOOTSTRAP_PREFIXES = ('ETCD_INITIAL_CLUSTER', 'ETCD_DISCOVERY_')


def started_with(config):
    config = config or {}
    if 'ETCD_INITIAL_CLUSTER' not in config and 'ETCD_DISCOVERY_ENDPOINTS' not in config:
        return {}
    return dict((k, v) for k, v in config.items() if k.startswith(BOOTSTRAP_PREFIXES))


class FilterModule(object):
    def filters(self):
        return {'started_with': started_with}
