# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The checks of a certificate and its key before they are installed on a member.

The code, with the reasoning behind it, is in plugins/plugin_utils/tls_problems.py."""

from __future__ import annotations

DOCUMENTATION = r"""
name: tls_problems
short_description: What is wrong with a certificate, its key and its CA for an etcd member or client
description:
  - Reads a certificate, its private key and the CA certificate from files on the controller and returns one sentence
    per problem; an empty list means the files may be used.
  - Checks that each file exists and parses, that the key fits the certificate, that the certificate is signed by the
    CA and valid now, that the CA is a CA that may sign certificates (CA:TRUE, and C(keyCertSign) when it has a key
    usage) and is valid now, that the certificate's subject alternative names hold every address given (DNS names
    in any case), and that its extended key usages allow the use (a server certificate needs C(serverAuth) and
    C(clientAuth), since etcd also dials its own and its peers' listeners with it; a client certificate
    C(clientAuth)), and, when O(common_name) is given, that the certificate's common name is that one.
positional: _input
options:
  _input:
    description: Path of the certificate (PEM) on the controller.
    type: path
    required: true
  key:
    description: Path of its private key (PEM, unencrypted).
    type: path
    required: true
  ca:
    description:
      - Path of the CA certificate that must have signed it, or of a bundle of CA certificates (as during a CA
        rotation) one of which must have; each CA in it is checked.
    type: path
    required: true
  addresses:
    description: IP addresses or DNS names the certificate must carry as subject alternative names.
    type: list
    elements: str
    default: []
  usage:
    description: V(server) (also used for peers) or V(client).
    type: str
    default: server
  common_name:
    description:
      - The common name the certificate must carry, such as the one name a member's peer port accepts
        (etcd's C(--peer-cert-allowed-cn)). Empty, any.
    type: str
    default: ""
  name:
    description: How the messages name the certificate, for example the variable that points at it.
    type: str
    default: the certificate
"""

EXAMPLES = r"""
- name: Check the member's certificate before copying it
  ansible.builtin.assert:
    that: __problems | length == 0
    fail_msg: "{{ __problems | join(' ') }}"
  vars:
    __problems: "{{ etcd_cert_src | quorum.etcd.tls_problems(key=etcd_key_src, ca=etcd_ca_cert_src, addresses=[etcd_address]) }}"
"""

RETURN = r"""
_value:
  description: One sentence per problem; empty when there is none.
  type: list
  elements: str
"""

from ansible_collections.quorum.etcd.plugins.plugin_utils.deferred import deferred

tls_problems = deferred('tls_problems', 'tls_problems')


class FilterModule(object):
    def filters(self):
        return {'tls_problems': tls_problems}
