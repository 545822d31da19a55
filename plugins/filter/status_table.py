# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Render a cluster_info result as the table `etcdctl endpoint status -w table` prints."""

from __future__ import annotations

DOCUMENTATION = r"""
name: status_table
short_description: Format a cluster_info result as an endpoint status table
description:
  - Turns the result of M(quorum.etcd.cluster_info) into the lines of a table with the columns of
    C(etcdctl endpoint status -w table), then the verdict and one line per problem the module reported.
  - With O(disks), one line per host on its disk's latency for a small durable write, between the table and the
    verdict.
positional: _input
options:
  _input:
    description: The registered result of M(quorum.etcd.cluster_info).
    type: dict
    required: true
  disks:
    description: "Per host, the RV(quorum.etcd.host_info#module:fsync) figures of M(quorum.etcd.host_info)."
    type: dict
    default: {}
    version_added: 0.2.0
"""

EXAMPLES = r"""
- name: Show the endpoint status table
  ansible.builtin.debug:
    msg: "{{ status | quorum.etcd.status_table }}"
"""

RETURN = r"""
_value:
  description: The table's lines, then C(healthy) or the problems found.
  type: list
  elements: str
"""

from ansible_collections.quorum.etcd.plugins.plugin_utils.deferred import deferred

status_table = deferred('status_table', 'status_table')


class FilterModule(object):
    def filters(self):
        return {"status_table": status_table}
