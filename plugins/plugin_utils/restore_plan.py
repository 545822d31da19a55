# -*- coding: utf-8 -*-
# Copyright (c) quorum.etcd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The restore playbook's decisions: every reason to refuse before any member stops, and
what the restore does (or that it was done already) once the snapshot file is known.

The filters are documented in plugins/filter/restore_plan.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json


def restore_problems(group, hostvars, play_hosts, snapshot, snapshot_host, confirm, inventory_hosts,
                     cluster_group='etcd', data_dir='/var/lib/etcd'):
    problems = []
    if not snapshot:
        problems.append('set etcd_restore_snapshot to the path of a snapshot file (etcdctl snapshot save) on the '
                        'controller, or on the inventory host named by etcd_restore_snapshot_host')
    if snapshot_host and snapshot_host not in inventory_hosts:
        problems.append('etcd_restore_snapshot_host %s is not a host of the inventory; name the host that holds %s, '
                        'or leave it empty for a file on the controller' % (snapshot_host, snapshot or 'the snapshot'))
    if not confirm:
        problems.append('not confirmed, nothing was changed. A restore stops etcd on every member of group %s (%s), '
                        'moves their data directories aside to %s.before-restore-<UTC time>, restores each from %s '
                        '(on %s) and starts them as a new cluster: every write made after that snapshot was taken '
                        'is gone for the clients. Set etcd_restore_confirm: true to go ahead'
                        % (cluster_group, ', '.join(group), data_dir, snapshot or 'the snapshot',
                           snapshot_host or 'the controller'))
    missing = [h for h in group if h not in play_hosts]
    if missing:
        problems.append('the play must include every member of group %s; missing: %s'
                        % (cluster_group, ', '.join(missing)))
    absent = [h for h in group if h in hostvars and
              (hostvars[h].get('__etcd_self') or {}).get('state') == 'absent']
    if absent:
        problems.append('every host of group %s is restored as a member, but %s have etcd_member_state absent; '
                        'take them out of the group first' % (cluster_group, ', '.join(absent)))
    return problems


def _marker(variables):
    content = (variables.get('__etcd_restore_marker_file') or {}).get('content')
    empty = {'sha256': '', 'token': '', 'restored_at': ''}
    if not content:
        return empty
    try:
        return json.loads(base64.b64decode(content).decode('utf-8'))
    except (ValueError, TypeError):
        return empty


def restore_plan(group, hostvars, snapshot, snapshot_host, stat, force, token, stamp, data_dir, wal_dir,
                 restore_dir, initial_cluster):
    stat = stat or {}
    where = snapshot_host or 'the controller'
    problem = ('does not exist' if not stat.get('exists') else 'is not a regular file' if not stat.get('isreg')
               else 'is empty' if not stat.get('size') else '')
    problems = []
    if problem:
        problems.append('etcd_restore_snapshot %s %s on %s; nothing was changed. Name a snapshot file (etcdctl '
                        'snapshot save)%s' % (snapshot, problem, where, '' if snapshot_host else
                                              ', or set etcd_restore_snapshot_host to the inventory host that holds it'))
    sha256 = stat.get('checksum') or ''
    markers = [_marker(hostvars[h]) for h in group]
    infos = [hostvars[h].get('__etcd_host') or {} for h in group]
    # Every member runs what it was restored from this snapshot: a re-run changes nothing.
    done = (not force and bool(sha256) and all(m.get('sha256') == sha256 for m in markers)
            and all(i.get('service_active') for i in infos)
            and [m.get('token') for m in markers] == [(i.get('config') or {}).get('ETCD_INITIAL_CLUSTER_TOKEN', '')
                                                      for i in infos])
    dirs = [data_dir] + ([wal_dir] if wal_dir else [])
    new_token = '%s-restored-%s' % (token, stamp)
    return {
        'problems': problems,
        'snapshot': snapshot,
        'sha256': sha256,
        'staged': '%s/%s.db' % (restore_dir, sha256),
        'stamp': stamp,
        'token': new_token,
        'initial_cluster': initial_cluster,
        'dirs': dirs,
        'markers': markers,
        'done': done,
        'plan': 'would stop etcd on %s, move %s aside to *.before-restore-%s, restore every member from %s (sha256 %s) '
                'as the new cluster %s (%s) and start the members together'
                % (', '.join(group), ' and '.join(dirs), stamp, snapshot, sha256, new_token, initial_cluster),
    }
