# -*- coding: utf-8 -*-
# Copyright (c) quorum.etcd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""etcd's downgrade rules, and the check of a planned downgrade against them.

The downgrade playbook asks downgrade_problems() before it touches any host. etcd 3.6 and later
downgrade one minor version back through their downgrade job (etcdctl downgrade enable), member
by member; a run that stopped halfway finds some members on the target already and resumes.

The filter is documented in plugins/filter/downgrade_problems.py."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.quorum.etcd.plugins.plugin_utils.upgrade_problems import _listing, _parse, _text, running_versions

# etcd's downgrade job (maintenance/downgrade) works from 3.6 on: https://etcd.io/docs/v3.6/downgrades/downgrade_3_6/
FIRST_DOWNGRADABLE = (3, 6)


def downgrade_problems(versions, target):
    if not isinstance(versions, dict):
        raise AnsibleFilterError('downgrade_problems expects a mapping of member name to the version it runs, got %r'
                                 % (versions,))
    wanted = _parse(target)
    if wanted is None:
        return ['etcd_version %r is not an exact etcd release X.Y.Z such as 3.6.16: a downgrade needs the one version '
                'every member is to run.' % (str(target),)]
    running, problem = running_versions(versions, 'downgrade')
    if problem:
        return [problem]

    older = [(name, _text(v)) for name, v in running if v[:2] < wanted[:2]]
    if older:
        return ['%s run%s older than etcd_version %s: a downgrade only goes back, and that is an upgrade; use '
                'quorum.etcd.upgrade.' % (_listing(older), 's' if len(older) == 1 else '', _text(wanted))]
    newest = max(version for dummy, version in running)
    if newest[:2] == wanted[:2]:
        other_patch = [(name, _text(v)) for name, v in running if v != wanted]
        if other_patch:
            return ['%s run%s another %d.%d release than %s: etcd\'s downgrade job goes one minor version back, not '
                    'between patch releases; run quorum.etcd.upgrade to a newer patch instead.'
                    % (_listing(other_patch), 's' if len(other_patch) == 1 else '', wanted[0], wanted[1],
                       _text(wanted))]
        return []  # every member runs the target: done
    if newest[0] != wanted[0] or newest[1] - wanted[1] > 1:
        return ['from %d.%d to %s skips %s: etcd downgrades one minor version at a time. Downgrade to the latest '
                '%d.%d release first, then on from there.'
                % (newest[0], newest[1], _text(wanted),
                   ', '.join('%d.%d' % (wanted[0], m) for m in range(wanted[1] + 1, newest[1])) or 'a major version',
                   newest[0], newest[1] - 1)]
    if newest[:2] < FIRST_DOWNGRADABLE:
        return ['etcd %d.%d has no downgrade job (etcd 3.6 is the first release that downgrades a live cluster); '
                'restore a snapshot into a cluster of the older release instead (quorum.etcd.restore).'
                % newest[:2]]
    return []
