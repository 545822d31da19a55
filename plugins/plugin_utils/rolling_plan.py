# -*- coding: utf-8 -*-
# Copyright (c) quorum.etcd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rolling restart's decision: which hosts restart, in what order (followers in inventory
order, the leader last), and why the run must not start.

The filter is documented in plugins/filter/rolling_plan.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


def rolling_plan(names, group, group_hosts, play_hosts, cluster):
    names = names or {}
    cluster = cluster or {}
    voters = sorted(m.get('name') for m in cluster.get('members') or [] if m.get('name') and not m.get('is_learner'))
    in_play = [h for h in group_hosts if h in (play_hosts or [])]
    play_names = [names.get(h) for h in in_play]
    problems = []
    if len(voters) != len(group_hosts) or [n for n in play_names if n not in voters]:
        problems.append(
            'the voting members of the cluster (%s) are not the hosts of group %s (%s; members of those in the play: '
            '%s); bring them in line with the quorum.etcd.scale playbook first, so that every member is restarted '
            'and the gates expect the right number of members'
            % (', '.join(voters) or 'none', group, ', '.join(group_hosts), ', '.join(str(n) for n in play_names)))
    leader = (cluster.get('leader') or {}).get('name') or ''
    leader_hosts = [h for h in in_play if leader and names.get(h) == leader]
    order = [h for h in in_play if h not in leader_hosts] + leader_hosts
    return {'order': order, 'leader_host': leader_hosts[0] if leader_hosts else '', 'problems': problems}
