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

The filter is documented in plugins/filter/tls_stage.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

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
