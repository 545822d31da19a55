# -*- coding: utf-8 -*-
# Copyright (c) quorum.etcd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every problem of the mirror role's settings at once, before anything is laid down."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: mirror_problems
short_description: Every problem of the mirror role's settings, each naming its variable
version_added: 0.1.0
description:
  - Takes the mirror's settings (the keys below) and returns one message per problem; empty when the settings
    may be used. Messages name variables, never the values of passwords.
  - The mirror role's preflight uses it.
positional: ''
options:
  _input:
    description:
      - C(source_urls), C(dest_urls), C(source_group), C(dest_group), C(prefix), C(dest_prefix),
        C(no_dest_prefix), C(heartbeat_key), C(heartbeat_interval), C(restart_sec), C(service_name),
        C(source_user), C(source_password), C(dest_user), C(dest_password), C(tls_paths) (the paths on the host)
        and C(tls_files) (each with C(var), C(src) on the controller and C(path) on the host).
    type: dict
    required: true
'''

EXAMPLES = r'''
- name: Check the mirror's settings
  ansible.builtin.assert:
    that: problems | length == 0
    fail_msg: "{{ problems | join('; ') }}"
  vars:
    problems: "{{ {'source_urls': ['https://10.0.0.1:2379'], 'dest_urls': []} | quorum.etcd.mirror_problems }}"
'''

RETURN = r'''
_value:
  description: The problems, in the order the settings are documented.
  type: list
  elements: str
'''

from ansible_collections.quorum.etcd.plugins.plugin_utils.deferred import deferred

mirror_problems = deferred('mirror_problems', 'mirror_problems')


class FilterModule(object):
    def filters(self):
        return {'mirror_problems': mirror_problems}
