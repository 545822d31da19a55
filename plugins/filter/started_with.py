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
  - Returns those settings of the member's configuration, the ones the server role writes (not, for instance, an
    C(ETCD_DISCOVERY_DIAL_TIMEOUT) of C(etcd_extra_config)), or an empty dict when it has neither an initial
    cluster nor discovery endpoints or a DNS SRV domain (a host that has not started yet). A member that started with an initial
    cluster has no discovery settings.
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

from ansible_collections.quorum.etcd.plugins.plugin_utils.deferred import deferred

started_with = deferred('started_with', 'started_with')


class FilterModule(object):
    def filters(self):
        return {'started_with': started_with}
