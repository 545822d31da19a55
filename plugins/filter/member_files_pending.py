# -*- coding: utf-8 -*-
# Copyright (c) quorum.etcd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a quorum.etcd.member_files call would change, judged on the controller from what
quorum.etcd.host_info read: a run whose files all match skips the host call."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: member_files_pending
short_description: The paths a quorum.etcd.member_files call would change, from quorum.etcd.host_info's report
version_added: 0.1.0
description:
  - Compares the user, directories, files and secret files of a quorum.etcd.member_files call with the
    user, C(paths) (type, owner, group, mode, SHA-1) and data directory O(_input) reported, and returns
    each path (or C(user NAME)) that differs or that host_info did not report.
  - Empty when the call would change nothing, so the server role skips it. Anything unknown counts as
    different, and the module, which compares for itself, decides.
positional: ''
options:
  _input:
    description: The result of quorum.etcd.host_info on the host, with every path of the call in its C(paths).
    type: dict
    required: true
  user:
    description: The O(quorum.etcd.member_files#module:user) option of the call.
    type: dict
  directories:
    description: The O(quorum.etcd.member_files#module:directories) option of the call.
    type: list
    elements: dict
  files:
    description: The O(quorum.etcd.member_files#module:files) option of the call.
    type: list
    elements: dict
  secret_files:
    description: The O(quorum.etcd.member_files#module:secret_files) option of the call.
    type: list
    elements: dict
  firewalld_ports:
    description: The O(quorum.etcd.member_files#module:firewalld_ports) option; a port host_info's
      C(firewalld_ports) lacks is pending.
    type: list
    elements: str
'''

EXAMPLES = r'''
- name: Lay down the member's files when any differs
  quorum.etcd.member_files:
    files: "{{ files }}"
  when: host | quorum.etcd.member_files_pending(files=files) | length > 0
'''

RETURN = r'''
_value:
  description: The paths that differ, in the call's order; C(user NAME) when the user differs.
  type: list
  elements: str
'''

from ansible_collections.quorum.etcd.plugins.plugin_utils.deferred import deferred

member_files_pending = deferred('member_files_pending', 'member_files_pending')


class FilterModule(object):
    def filters(self):
        return {'member_files_pending': member_files_pending}
