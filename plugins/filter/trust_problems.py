# -*- coding: utf-8 -*-
# Copyright (c) quorum.etcd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The trust guard: a member that holds data keeps the CA it trusts. A run that would give it
another (a new CA minted in an empty pki directory, another checkout's) is refused first."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: trust_problems
short_description: Refuse to give a member a CA it does not trust now
version_added: 0.1.0
description:
  - For each pair in O(_input), compares the certificates of the CA file on the controller with those of the file
    the member trusts now, as quorum.etcd.host_info read them (its C(certificates)).
  - A member that holds data (C(data_dir.initialized)) and trusts a CA must keep trusting it; when the controller's
    file is missing (the pki role would mint a new CA) or shares no certificate with the member's, the pair is a
    problem, naming both fingerprints and what to do. A bundle of the old and a new CA shares the old one and passes.
  - New hosts, and members without a CA file, have nothing to keep.
positional: host_info
options:
  _input:
    description:
      - The CA files to compare, each with C(var) (the controller variable), C(controller) and C(member).
      - With C(content) (the CA's PEM from a variable, such as C(etcd_pki_ca_cert_content)), that CA is compared instead
        of the controller file.
    type: list
    elements: dict
    required: true
  host_info:
    description: The result of quorum.etcd.host_info on the member, with the member files in its C(certificates).
    type: dict
    required: true
  host:
    description: The member's inventory name, for messages.
    type: str
  pki_dir:
    description: The controller's pki directory, for messages.
    type: str
  managed:
    description: Whether the pki role issues the certificates (and would mint a CA where none is).
    type: bool
    default: true
'''

EXAMPLES = r'''
- name: Refuse another CA for a running member
  ansible.builtin.assert:
    that: problems | length == 0
    fail_msg: "{{ problems | join('; ') }}"
  vars:
    problems: >-
      {{ [{'var': 'etcd_ca_cert_src', 'controller': etcd_ca_cert_src, 'member': etcd_trusted_ca_file}]
         | quorum.etcd.trust_problems(host_info, host=inventory_hostname, pki_dir=etcd_pki_dir) }}
'''

RETURN = r'''
_value:
  description: One message per CA file the run would change on a member that holds data.
  type: list
  elements: str
'''

from ansible_collections.quorum.etcd.plugins.plugin_utils.deferred import deferred

trust_problems = deferred('trust_problems', 'trust_problems')


class FilterModule(object):
    def filters(self):
        return {'trust_problems': trust_problems}
