# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which members quorum.etcd.maintenance defragments, in what order, and why: the followers first,
the leader last (a defragmentation blocks the member; the leader's blocks the cluster's writes
longest), each only when the rule holds over its figures, or every member when NOSPACE is raised."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

MIB = 1024 * 1024


def size_text(size):
    """Bytes for people: KiB under one MiB, MiB with one decimal above."""
    return '%d KiB' % (size // 1024) if size < MIB else '%.1f MiB' % (float(size) / MIB)


def figures(report, quota_bytes=0):
    """A member's sizes as the plan and the report read them, from a cluster_view endpoint report."""
    size = report.get('db_size') or 0
    in_use = report.get('db_size_in_use')
    in_use = size if in_use is None else in_use  # etcd 3.4 does not report it: nothing counts as free
    free = max(0, size - in_use)
    return dict(db_size=size, db_size_in_use=in_use, free_bytes=free,
                free_ratio=round(float(free) / size, 4) if size else 0.0,
                quota_ratio=round(float(size) / quota_bytes, 4) if quota_bytes else None)


def defrag_plan(reports, leader_id, alarms, min_free_bytes, min_free_ratio, quota_bytes=0, only=None):
    """One step per member that answered, the followers in the order given and the leader last.

    ``reports`` are cluster_view endpoint reports, ``alarms`` cluster_view alarms, ``only`` names or
    hex IDs of the members to consider (None: every member). Each step: endpoint, member_id, name,
    is_leader, the figures, alarms (this member's), defragment (bool) and reason.
    """
    steps = []
    # Under NOSPACE the whole cluster refuses writes: every member is defragmented, as etcd's guide says.
    nospace = sorted(set(a['member_id'] for a in alarms if a['alarm'] == 'NOSPACE'))
    for report in reports:
        if not report.get('member_id'):
            continue
        if only is not None and report.get('name') not in only and report['member_id'] not in only:
            continue
        own = sorted(set(a['alarm'] for a in alarms if a['member_id'] == report['member_id']))
        step = dict(endpoint=report['endpoint'], member_id=report['member_id'], name=report.get('name'),
                    is_leader=report['member_id'] == leader_id, alarms=own, **figures(report, quota_bytes))
        wanted = '%d MiB and %d%% of the file free' % (min_free_bytes // MIB, round(min_free_ratio * 100))
        have = '%s (%d%% of the %s file) free' % (
            size_text(step['free_bytes']), round(step['free_ratio'] * 100), size_text(step['db_size']))
        if 'NOSPACE' in own:
            step.update(defragment=True, reason='raised NOSPACE; %s' % have)
        elif nospace:
            step.update(defragment=True, reason='the cluster is under NOSPACE (raised by %s); %s'
                        % (', '.join(nospace), have))
        elif step['free_bytes'] >= min_free_bytes and step['free_ratio'] >= min_free_ratio:
            step.update(defragment=True, reason='%s; the rule wants at least %s' % (have, wanted))
        else:
            step.update(defragment=False, reason='skipped: %s; the rule wants at least %s' % (have, wanted))
        steps.append(step)
    # sorted() keeps the given order among the followers.
    return sorted(steps, key=lambda s: s['is_leader'])
