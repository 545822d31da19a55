# -*- coding: utf-8 -*-
# Copyright (c) quorum.etcd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The trust guard: a member that holds data keeps the CA it trusts. A run that would give it
another (a new CA minted in an empty pki directory, another checkout's) is refused first.

The filter is documented in plugins/filter/trust_problems.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.quorum.etcd.plugins.module_utils.pem import certificate_fingerprints, file_fingerprints, short


def trust_problems(pairs, host_info, host='', pki_dir='', managed=True):
    host_info = host_info or {}
    if not (host_info.get('data_dir') or {}).get('initialized'):
        return []
    seen = host_info.get('certificates') or {}
    problems = []
    for pair in pairs or []:
        trusted = seen.get(pair['member']) or []
        if not trusted:
            continue
        # The CA given in a variable (a controller without a lasting pki directory) is the one the run installs.
        given = certificate_fingerprints(pair['content']) if pair.get('content') else file_fingerprints(pair['controller'])
        now = '%s: the member trusts the CA %s (%s)' % (host, ', '.join(short(f) for f in trusted), pair['member'])
        advice = ('a member given another CA cannot talk to the others once it restarts. Run with the pki directory '
                  'that holds the cluster\'s CA (etcd_pki_dir, now %s), or point %s at the cluster\'s CA file; to '
                  'move the cluster to a new CA, run quorum.etcd.rotate_ca with the directory that holds the one it '
                  'trusts now; nothing was changed' % (pki_dir, pair['var']))
        if given is None:
            problems.append('%s, and %s (%s) does not exist%s: %s'
                            % (now, pair['controller'], pair['var'], ', so a new CA would be issued' if managed else '',
                               advice))
        elif not set(given) & set(trusted):
            problems.append('%s, not the CA %s in %s (%s): %s'
                            % (now, ', '.join(short(f) for f in given) or 'none', pair['controller'], pair['var'],
                               advice))
    return problems
