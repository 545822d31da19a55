# -*- coding: utf-8 -*-
# Copyright (c) quorum.etcd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The recover_quorum playbook's decision: whether the quorum is lost for good, which
member has the most data and survives, and why the run refuses when it must.

The filter is documented in plugins/filter/recover_plan.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json


def _progress(host, variables):
    """How far the host's member got: its revision and raft index, -1 where unknown."""
    try:
        read = json.loads((variables.get('__etcd_recover_read') or {}).get('stdout') or '{}')
    except ValueError:
        read = {'state': 'unknown', 'error': 'unreadable answer'}
    status = read.get('status')
    if isinstance(status, list):
        status = (status[0] or {}).get('Status') if status else {}
    status = status or {}
    state = read.get('state', 'unknown')
    revision = (status.get('header') or {}).get('revision') if state == 'running' else status.get('revision')
    # A stopped member's raft index is the commit index its write-ahead log reached (etcd-wal-commit).
    raft_index = status.get('raftIndex') if state == 'running' else (read.get('wal') or {}).get('commit')
    return {'host': host, 'state': state, 'error': read.get('error', ''),
            'revision': int(revision) if revision is not None else -1,
            'raft_index': int(raft_index) if raft_index is not None else -1}


def _members_healthy(probe):
    """Healthy as far as the cluster's own members go: a leader, every member it lists started and answering
    healthy. Hosts of the group that are not members (those a run that failed halfway did not add) answer
    nothing: they are what this run adds, not a sickness of the cluster."""
    if probe.get('healthy'):
        return True
    members = probe.get('members') or []
    if not probe.get('leader') or not members or any(m.get('is_learner') or not m.get('name') for m in members):
        return False
    own = {u.rstrip('/') for m in members for u in m.get('client_urls') or []}
    endpoints = probe.get('endpoints') or []
    others = ['endpoint %s ' % e.get('endpoint') for e in endpoints if str(e.get('endpoint')).rstrip('/') not in own]
    if any(not any(p.startswith(o) for o in others) for p in probe.get('problems') or []):
        return False
    answered = {str(e.get('endpoint')).rstrip('/') for e in endpoints if e.get('healthy')}
    return all({u.rstrip('/') for u in m.get('client_urls') or []} & answered for m in members)


def recover_plan(group, hostvars, probe, cluster_group='etcd', data_dir='/var/lib/etcd', left_out=None,
                 lost_hosts=None):
    probe = probe or {}
    progress = [_progress(h, hostvars[h]) for h in group]
    # The most of the raft log first (it holds every write the others have), then the most writes applied;
    # by the writes first where a member's raft index could not be read.
    candidates = [p for p in progress if p['revision'] >= 0]
    by_log = all(p['raft_index'] >= 0 for p in candidates)
    candidates.sort(key=lambda p: (p['raft_index'], p['revision']) if by_log else (p['revision'], p['raft_index']),
                    reverse=True)
    running = [p['host'] for p in progress if p['state'] == 'running']
    started = [m['name'] for m in probe.get('members') or [] if m.get('name') and not m.get('is_learner')]
    # A host that did not answer this run has no __etcd_self: its inventory name stands in.
    missing = [h for h in group if (hostvars[h].get('__etcd_self') or {}).get('name', h) not in started]
    healthy = _members_healthy(probe)
    left_out = list(left_out or [])
    # A running member lists the members it knows without a quorum (a local read); only where none
    # runs does the group stand for the membership. Hosts destroyed for good may be gone from the group.
    listed = [m for m in probe.get('members') or [] if not m.get('is_learner')]
    voters = len(started) if healthy else len(listed) or len(group) + len(left_out)
    leader = probe.get('leader')
    said = '; '.join(probe.get('problems') or [])
    if healthy:
        action = 'rejoin' if missing else 'none'
    elif leader is None and len(running) < voters // 2 + 1:
        action = 'force'
    else:
        action = 'refuse'
    problems = []
    lost_hosts = [str(h) for h in lost_hosts or []]
    if sorted(left_out) != sorted(lost_hosts):
        # A host the controller cannot reach may still run its member (a network partition, a bastion
        # down): forcing a new cluster beside a majority that still serves would split it in two.
        answered = [h for h in lost_hosts if h not in left_out]
        mismatch = (['%s did not answer' % ', '.join(left_out)] if left_out else []) + (
            ['%s answered but %s listed as lost' % (', '.join(answered), 'is' if len(lost_hosts) == 1 else 'are')]
            if answered else [])
        problems.append('%s: nothing was changed. A host that does not answer may still run its member; recover_quorum '
                        'goes on without hosts only when etcd_recover_quorum_lost_hosts names exactly the hosts '
                        'destroyed for good (now %s)' % ('; '.join(mismatch), lost_hosts or 'empty'))
    if action == 'refuse' and leader is not None:
        problems.append('the cluster has a leader (%s), so its quorum is not lost, but it is not healthy: %s. Nothing '
                        'was changed: replace dead members with quorum.etcd.replace or quorum.etcd.scale; '
                        'recover_quorum forces a new cluster only when the majority is gone for good'
                        % (leader.get('name') or '?', said))
    elif action == 'refuse':
        problems.append('the cluster has no leader, but etcd runs on %s: %d of %d members, a majority. Nothing was '
                        'changed: forcing a new cluster now could split it in two. Look at why they do not elect a '
                        'leader (network between them, peer URLs, certificates) and fix that instead. The members '
                        'said: %s' % (', '.join(running), len(running), voters, said))
    elif action == 'force' and not candidates:
        problems.append('no host of group %s runs etcd or holds member data in %s: there is nothing to recover from. '
                        'Restore a snapshot with quorum.etcd.restore' % (cluster_group, data_dir))
    survivor = candidates[0]['host'] if candidates else ''
    others = [h for h in group if h != survivor]
    gone = ''
    if left_out:
        gone = ' %s did not answer and %s left out: ' % (', '.join(left_out), 'is' if len(left_out) == 1 else 'are')
        gone += ('the new cluster does not have their members; take them out of group %s, or rebuild them and run '
                 'quorum.etcd.scale' % cluster_group if action == 'force' else
                 'where a host is gone for good, take it out of group %s and remove its member with quorum.etcd.scale '
                 '(etcd_remove_members)' % cluster_group)
    report = {
        'none': 'the cluster is healthy (leader %s) with every host of group %s: nothing to recover, nothing was '
                'changed' % ((leader or {}).get('name'), cluster_group),
        'rejoin': 'the cluster is healthy but %s are not members: they join one at a time' % ', '.join(missing),
        'force': 'the quorum is lost: %d of %d members run and there is no leader. %s has the most data and becomes '
                 'a one-member cluster; then %s one at a time with empty data. WARNING: writes that only the '
                 'lost members had are gone.' % (len(running), voters, survivor,
                                                 ('%s join it' % ', '.join(others)) if others else 'no other host joins'),
    }.get(action, '') + gone
    return {'action': action, 'survivor': survivor, 'progress': progress, 'running': running, 'missing': missing,
            'voters': voters, 'left_out': left_out, 'problems': problems, 'report': report}
