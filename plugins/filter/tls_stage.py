# -*- coding: utf-8 -*-
# Copyright (c) quorum.etcd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where a member stands between plain HTTP and TLS, and which URLs this run gives it.

The code, with the reasoning behind it, is in plugins/plugin_utils/tls_stage.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: tls_stage
short_description: The URL schemes of a member, and its move between plain HTTP and TLS
version_added: 0.1.0
description:
  - Reads the stage a member was deployed at from its active configuration (C(ETCD_LISTEN_CLIENT_URLS),
    C(ETCD_LISTEN_PEER_URLS)), one of V(plain), V(serve_both), V(peers) or V(tls), and returns the stage this run
    gives it with the schemes of its URLs and every problem of the change.
  - Without O(move), a member keeps the stage it runs at (a move under way is not undone or finished by other
    runs); a deployed member is never switched between plain HTTP and TLS, which the quorum.etcd.enable_tls
    playbook does stage by stage.
  - With O(move), the member goes to that stage, or stays at a later one it has reached (a run again changes
    nothing). A stage is refused on a member that has not reached the one before it.
positional: tls, client_scheme, peer_scheme, move
options:
  _input:
    description: The member's active configuration (C(config) of quorum.etcd.host_info); empty for a new host.
    type: dict
    required: true
  tls:
    description: The value of C(etcd_tls).
    type: bool
    required: true
  client_scheme:
    description: The wanted scheme of the client URLs (C(etcd_client_scheme)).
    type: str
    required: true
  peer_scheme:
    description: The wanted scheme of the peer URLs (C(etcd_peer_scheme)).
    type: str
    required: true
  move:
    description: The stage of the move to TLS this run takes the member to (C(etcd_tls_move)), or empty.
    type: str
    choices: ['', serve_both, peers, close_http]
    default: ''
'''

EXAMPLES = r'''
- name: Give the member the URLs of its stage
  ansible.builtin.set_fact:
    stage: "{{ host_info.config | quorum.etcd.tls_stage(etcd_tls, etcd_client_scheme, etcd_peer_scheme, etcd_tls_move) }}"
'''

RETURN = r'''
_value:
  description: The member's stage in this run.
  type: dict
  contains:
    stage:
      description: V(plain), V(serve_both), V(peers), V(tls), or V(custom) for other schemes.
      type: str
    deployed:
      description: The stage read from the active configuration, V(custom), or empty for a new host.
      type: str
    client_scheme:
      description: The scheme of the member's own client URL (the one the role's gates use).
      type: str
    peer_scheme:
      description: The scheme of its peer URLs.
      type: str
    client_schemes:
      description: The schemes it listens on and advertises for clients, its own client URL's first.
      type: list
      elements: str
    client_tls:
      description: Whether its configuration names client certificates.
      type: bool
    peer_tls:
      description: Whether it names peer certificates (also to dial peers over TLS while its own peer port is plain).
      type: bool
    problems:
      description: Why the run cannot take the member there; empty when it can.
      type: list
      elements: str
'''

from ansible_collections.quorum.etcd.plugins.plugin_utils.deferred import deferred

tls_stage = deferred('tls_stage', 'tls_stage')


class FilterModule(object):
    def filters(self):
        return {'tls_stage': tls_stage}
