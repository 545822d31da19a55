# -*- coding: utf-8 -*-
# Copyright (c) quorum.etcd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where a member stands between plain HTTP and TLS, and which URLs this run gives it.

A running cluster moves to TLS in three stages (quorum.etcd.enable_tls), each a rolling
restart that keeps the quorum:
  serve_both  clients are served http and https on the same port (etcd tells the two apart
              by the first bytes); the member can dial peers over TLS, its own peer port
              stays plain, so every member still reaches every other;
  peers       each member's peer URL becomes https, changed through the API right before
              the member's own restart (the others can dial it over TLS since serve_both);
  close_http  the plain-HTTP client listener is closed, once the clients have moved.
"""

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

STAGES = ('plain', 'serve_both', 'peers', 'tls')
# The stage each value of etcd_tls_move asks for.
MOVES = {'serve_both': 'serve_both', 'peers': 'peers', 'close_http': 'tls'}
_SCHEMES = {
    'plain': ('http', 'http', ['http'], False, False),
    'serve_both': ('http', 'http', ['http', 'https'], True, True),
    'peers': ('https', 'https', ['https', 'http'], True, True),
    'tls': ('https', 'https', ['https'], True, True),
}


def _schemes(urls):
    return tuple(sorted({u.split('://', 1)[0].strip() for u in (urls or '').split(',') if '://' in u}))


def _served(config):
    """(client schemes, peer schemes) the member's active configuration listens on."""
    config = config or {}
    return (_schemes(config.get('ETCD_LISTEN_CLIENT_URLS')),
            _schemes(config.get('ETCD_LISTEN_PEER_URLS') or config.get('ETCD_INITIAL_ADVERTISE_PEER_URLS')))


def _described(config):
    clients, peers = _served(config)
    return '%s (clients) and %s (peers)' % ('/'.join(clients), '/'.join(peers))


_STAGE_OF = {(('http',), ('http',)): 'plain', (('http', 'https'), ('http',)): 'serve_both',
             (('http', 'https'), ('https',)): 'peers', (('https',), ('https',)): 'tls'}


def deployed_stage(config):
    """The stage of the member's active configuration, 'custom', or '' when there is none."""
    clients, peers = _served(config)
    if not clients or not peers:
        return ''
    return _STAGE_OF.get((clients, peers), 'custom')


def _result(stage, deployed, problems, client_scheme, peer_scheme):
    if stage in _SCHEMES:
        client, peer, clients, client_tls, peer_tls = _SCHEMES[stage]
    else:
        client, peer, clients = client_scheme, peer_scheme, [client_scheme]
        client_tls, peer_tls = client_scheme == 'https', peer_scheme == 'https'
    return {'stage': stage, 'deployed': deployed, 'client_scheme': client, 'peer_scheme': peer,
            'client_schemes': clients, 'client_tls': client_tls, 'peer_tls': peer_tls, 'problems': problems}


def tls_stage(config, tls, client_scheme, peer_scheme, move=''):
    deployed = deployed_stage(config)
    target = {('http', 'http'): 'plain', ('https', 'https'): 'tls'}.get((client_scheme, peer_scheme), 'custom')

    def result(stage, *problems):
        return _result(stage, deployed, list(problems), client_scheme, peer_scheme)

    move = move or ''
    if move:
        if move not in MOVES:
            return result(deployed or target, 'etcd_tls_move must be serve_both, peers or close_http, not %s' % move)
        wanted = MOVES[move]
        problems = []
        if not tls or target != 'tls':
            problems.append('etcd_tls_move %s moves a cluster to TLS: it needs etcd_tls: true with https for clients '
                            'and peers (now %s and %s)' % (move, client_scheme, peer_scheme))
        if deployed == 'custom':
            problems.append('the member serves %s, which is not a stage of the move to TLS' % _described(config))
        if problems:
            return result(deployed or target, *problems)
        if not deployed:
            # A new host starts at the stage the others are moving to.
            return result(wanted)
        before = STAGES[STAGES.index(wanted) - 1]
        if STAGES.index(deployed) < STAGES.index(before):
            # Its peers would dial it over TLS before it can, or its clients lose http before they may have moved.
            return result(deployed, 'etcd_tls_move %s needs every member at stage %s first; this member is at %s: run '
                                    'quorum.etcd.enable_tls from the start (it goes on where it stopped)'
                          % (move, before, deployed))
        return result(STAGES[max(STAGES.index(wanted), STAGES.index(deployed))])
    same = deployed == target and (target != 'custom' or _served(config) == ((client_scheme,), (peer_scheme,)))
    if not deployed or same:
        return result(target)
    if deployed in ('serve_both', 'peers') and target == 'tls':
        # A move under way stays where it is until quorum.etcd.enable_tls goes on with it.
        return result(deployed)
    if deployed == 'plain' and target == 'tls':
        why = 'move a running cluster to TLS with the quorum.etcd.enable_tls playbook, then keep etcd_tls: true'
    elif deployed in ('serve_both', 'peers'):
        why = ('a move to TLS is under way (stage %s): keep etcd_tls: true and finish it with quorum.etcd.enable_tls'
               % deployed)
    else:
        why = 'a running cluster is not moved from TLS back to plain HTTP; keep etcd_tls: true for this cluster'
    now = {'plain': 'http (clients and peers)', 'tls': 'https (clients and peers)'}.get(deployed, _described(config))
    return result(deployed, 'the member serves %s, and this run would switch it to %s (clients) and %s (peers): %s'
                  % (now, client_scheme, peer_scheme, why))


class FilterModule(object):
    def filters(self):
        return {'tls_stage': tls_stage}
