# -*- coding: utf-8 -*-
# Copyright (c) quorum.etcd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""etcd's upgrade rules as data, and the check of a planned upgrade against them.

UPGRADE_RULES is the one place that says what etcd allows when a cluster moves to a new minor
version. The upgrade playbook asks upgrade_problems() before it touches any host, and
upgrade_rule() for the checks a target needs (the v2 store check of 3.6).

The filter is documented in plugins/filter/upgrade_problems.py."""

from __future__ import annotations

import re

from ansible.errors import AnsibleFilterError

from ansible_collections.quorum.etcd.plugins.plugin_utils.etcd_config import SETTINGS


def _removed_in(minor):
    """The ETCD_* settings that etcd ``minor`` no longer accepts (plugins/plugin_utils/etcd_config.py)."""
    return tuple(sorted(name for name, rule in SETTINGS.items() if rule['removed'] == minor))


# The upgrade rules of etcd, one entry per minor version a cluster can be upgraded to.
#   from:            the only minor version a rolling upgrade to this one starts from
#   min_from:        the lowest patch release of that version every member must run first, or None
#   auth:            why an auth-enabled cluster cannot roll to this version, or None when it can
#   removed_config:  settings (as ETCD_* variables) this version no longer accepts
#   v2store_check:   whether `etcdutl check v2store` (3.5.18 and later) must find no custom data first
#   sources:         where the rules come from
UPGRADE_RULES = {
    '3.4': dict(
        from_minor='3.3',
        min_from=None,
        auth=None,
        removed_config=(),
        v2store_check=False,
        sources=('https://etcd.io/docs/v3.4/upgrades/upgrade_3_4/',),
    ),
    '3.5': dict(
        from_minor='3.4',
        min_from=None,
        auth=('etcd does not support a rolling upgrade from 3.4 to 3.5 on a cluster with authentication enabled, '
              'because 3.5 changes the format of the WAL entries related to auth'),
        removed_config=(),
        v2store_check=False,
        sources=('https://etcd.io/docs/v3.5/upgrades/upgrade_3_5/ (upgrade checklists: "If your cluster enables '
                 'auth, rolling upgrade from 3.4 or older version isn\'t supported")',),
    ),
    '3.6': dict(
        from_minor='3.5',
        # 3.5.20 fixed "too many learner member" (etcd-io/etcd#19557), 3.5.24-3.5.26 further upgrade
        # blockers, 3.5.26 the "zombie members" left in the v3 store (etcd-io/etcd#20967).
        min_from='3.5.26',
        auth=None,
        removed_config=_removed_in('3.6'),
        v2store_check=True,
        sources=('https://etcd.io/docs/v3.6/upgrades/upgrade_3_6/ ("Update 3.5", "V2 Store", "Flags removed")',
                 'https://etcd.io/blog/2025/zombie_members_upgrade/ ("upgrade your cluster to v3.5.26 or later")'),
    ),
    '3.7': dict(
        from_minor='3.6',
        min_from='3.6.11',
        auth=None,
        # The --experimental-* settings that 3.6 renamed or turned into feature gates.
        removed_config=_removed_in('3.7'),
        v2store_check=False,  # 3.6 already refused custom v2 data
        sources=('https://etcd.io/docs/v3.7/upgrades/upgrade_3_7/ ("Update 3.6": 3.6.11 or later)',),
    ),
}

_RELEASE = re.compile(r'(\d+)\.(\d+)\.(\d+)')


def _parse(version):
    found = _RELEASE.fullmatch(str(version)) if version is not None else None
    return tuple(int(part) for part in found.groups()) if found else None


def _minor(parsed):
    return '%d.%d' % parsed[:2]


def _text(parsed):
    return '%d.%d.%d' % parsed


def _listing(pairs):
    return ', '.join('%s (%s)' % (name, version) for name, version in pairs)


def running_versions(versions, change):
    """([(member, (X, Y, Z))...] of the members that report a version, None), or ([], the problem) when one
    reports something that is not a release or none reports any. Shared with downgrade_problems."""
    running = []
    for name, version in sorted(versions.items()):
        if version is None or version == '':
            continue
        parsed = _parse(version)
        if parsed is None:
            return [], ('member %s reports version %r, which is not a release X.Y.Z; check that it runs an official '
                        'etcd release.' % (name, version))
        running.append((name, parsed))
    if not running:
        return [], ('no member reported the etcd version it runs, so the %s cannot be checked against etcd\'s rules; '
                    'start the members and run again.' % change)
    return running, None


def upgrade_rule(target):
    """The UPGRADE_RULES entry for the minor version of ``target``, or {} when there is none
    (the quorum.etcd.upgrade_rule filter, plugins/filter/upgrade_rule.py)."""
    parsed = _parse(target)
    return dict(UPGRADE_RULES.get(_minor(parsed), {})) if parsed else {}


def upgrade_problems(versions, target, auth_enabled=False, config=None, v2store=None):
    if not isinstance(versions, dict):
        raise AnsibleFilterError('upgrade_problems expects a mapping of member name to the version it runs, got %r'
                                 % (versions,))
    wanted = _parse(target)
    if wanted is None:
        return ['etcd_version %r is not an exact etcd release X.Y.Z such as 3.5.1: an upgrade needs the one version '
                'every member is to run, not a moving target like "latest" or "3.5".' % (str(target),)]

    running, problem = running_versions(versions, 'upgrade')
    if problem:
        return [problem]

    newer = [(name, _text(v)) for name, v in running if v > wanted]
    if newer:
        return ['etcd_version %s is older than the version %s run%s: that is a downgrade, which quorum.etcd.upgrade '
                'does not do. Keep etcd_version at the running version, or run quorum.etcd.downgrade (one minor '
                'version back, from 3.6 or later).'
                % (_text(wanted), _listing(newer), 's' if len(newer) == 1 else '')]

    lowest = min(version for dummy, version in running)
    if lowest[0] != wanted[0]:
        return ['from %s to %s changes the major version, for which etcd has no rolling upgrade.'
                % (_text(lowest), _text(wanted))]
    if wanted[1] - lowest[1] > 1:
        skipped = ', '.join('%d.%d' % (wanted[0], minor) for minor in range(lowest[1] + 1, wanted[1]))
        following = UPGRADE_RULES.get('%d.%d' % (wanted[0], lowest[1] + 2), {})
        hint = (' (etcd %d.%d needs every member on %s or later before it)'
                % (wanted[0], lowest[1] + 2, following['min_from'])) if following.get('min_from') else ''
        return ['from %s to %s skips %s: etcd upgrades one minor version at a time. Upgrade to the latest %d.%d '
                'release first%s, then on from there.'
                % (_text(lowest), _text(wanted), skipped, wanted[0], lowest[1] + 1, hint)]
    if wanted[:2] == lowest[:2]:
        return []  # a patch upgrade: no further rules

    rule = UPGRADE_RULES.get(_minor(wanted))
    if rule is None:
        return ['quorum.etcd knows no upgrade rules for etcd %s (it knows %s); add the rules from etcd\'s upgrade '
                'guide to UPGRADE_RULES in plugins/plugin_utils/upgrade_problems.py first.'
                % (_minor(wanted), ', '.join(sorted(UPGRADE_RULES)))]
    problems = []
    if rule['min_from']:
        minimum = _parse(rule['min_from'])
        behind = [(name, _text(v)) for name, v in running if v < minimum]
        if behind:
            problems.append('etcd %s needs every member on %s or later before the upgrade; %s run%s older: upgrade to '
                            '%s or a later %s release first.'
                            % (_minor(wanted), rule['min_from'], _listing(behind), 's' if len(behind) == 1 else '',
                               rule['min_from'], rule['from_minor']))
    if rule['auth'] and auth_enabled:
        problems.append('authentication is enabled on the cluster, and %s. Disable authentication for the upgrade '
                        '(etcdctl auth disable) and enable it again afterwards, or upgrade with all members stopped.'
                        % rule['auth'])
    for host, settings in sorted((config or {}).items()):
        removed = sorted(set(settings or {}) & set(rule['removed_config']))
        if removed:
            instead = ['%s for %s' % (SETTINGS[name]['use'], name) for name in removed if SETTINGS[name]['use']]
            problems.append('%s: %s set in its etcd configuration, which etcd %s no longer accepts; take %s out of '
                            'etcd_extra_config%s and run quorum.etcd.deploy before the upgrade.'
                            % (host, ', '.join(removed) + (' is' if len(removed) == 1 else ' are'), _minor(wanted),
                               'it' if len(removed) == 1 else 'them',
                               (' (use %s)' % ', '.join(instead)) if instead else ''))
    if rule['v2store_check'] and v2store is not None:
        for host, result in sorted(v2store.items()):
            if result != 'clean':
                problems.append('%s: the v2 store holds custom data (etcdutl check v2store: %s), which etcd %s cannot '
                                'read; clean it as etcd\'s %s upgrade guide says before the upgrade.'
                                % (host, str(result).strip() or 'failed', _minor(wanted), _minor(wanted)))
    return problems
