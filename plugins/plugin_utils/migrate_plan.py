# -*- coding: utf-8 -*-
# Copyright (c) quorum.etcd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The migrate playbook's decision: which member moves from which host to which, what the
new host starts with, and every reason to refuse, before any change.

The filter is documented in plugins/filter/migrate_plan.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


def _host_problems(group, source, target, play_hosts, cluster_group):
    if not source or not target:
        return ['set both etcd_migrate_from (the host whose member moves) and etcd_migrate_to (the host that takes '
                'it over), e.g. -e etcd_migrate_from=etcd3 -e etcd_migrate_to=etcd4']
    if source == target:
        return ['etcd_migrate_from and etcd_migrate_to are both %s; the member moves to another host' % source]
    problems = []
    if source not in group:
        problems.append('etcd_migrate_from %s is not a member: it is not a host of group %s (%s); name the host '
                        'whose member moves' % (source, cluster_group, ', '.join(group)))
    if target not in play_hosts:
        problems.append('etcd_migrate_to %s is not a host of the inventory; add it (outside group %s) with the '
                        'connection settings of a new member' % (target, cluster_group))
    elif target in group:
        problems.append('etcd_migrate_to %s is in group %s; the host that takes over a member joins the group only '
                        'after the migration: take it out of the group for the migration' % (target, cluster_group))
    return problems


def _initial_cluster(members, name, to_peer_url):
    """The cluster as it is after the move: the moved member at the new host's peer URL."""
    items = []
    for member in sorted(members, key=lambda m: m.get('name') or ''):
        for url in ([to_peer_url] if member.get('name') == name else member.get('peer_urls') or []):
            items.append('%s=%s' % (member.get('name'), url))
    return ','.join(items)


def _move_problems(move, member, members, probe, source, target, hostvars, version, wal_dir, service_name,
                   cluster_group):
    src, dst = hostvars[source], hostvars[target]
    to_host, from_host = dst.get('__etcd_host') or {}, src.get('__etcd_host') or {}
    wal_entries = [f['path'] for f in (dst.get('__etcd_migrate_wal_files') or {}).get('files') or []]
    problems = []
    if not members:
        problems.append('no member of group %s answers (%s): %s A member moves only while its cluster runs.'
                        % (cluster_group, ', '.join(move['from_client_urls']), probe.get('msg', '')))
        return problems
    if not member:
        problems.append('etcd_migrate_from %s is not a member: its member %s is not in the running cluster (%s)'
                        % (source, move['name'], ', '.join(m.get('name') or '(not started)' for m in members)))
    elif not member.get('started') or member.get('is_learner'):
        problems.append('etcd_migrate_from %s: member %s is %s; only a started voting member is migrated'
                        % (source, move['name'], 'a learner' if member.get('started') else 'not started'))
    elif member.get('peer_urls') != [move['from_peer_url']]:
        problems.append('etcd_migrate_from %s: member %s has peer URLs %s, not %s as the inventory says; check '
                        'etcd_member_name and the address of %s'
                        % (source, move['name'], ', '.join(member.get('peer_urls') or []), move['from_peer_url'],
                           source))
    if not dst.get('__etcd_address'):
        problems.append('etcd_migrate_to %s has no member address: it has %s and no default route; set '
                        'etcd_address or etcd_interface for it'
                        % (target, ', '.join(to_host.get('ipv4_addresses') or []) or 'no IPv4 address'))
    taken = ['member %s has peer URLs %s and client URLs %s'
             % (m.get('name') or m.get('id'), ', '.join(m.get('peer_urls') or []),
                ', '.join(m.get('client_urls') or []) or 'none')
             for m in members if move['to_peer_url'] in (m.get('peer_urls') or [])
             or move['to_client_url'] in (m.get('client_urls') or [])]
    if taken:
        problems.append('etcd_migrate_to %s is already a member: %s' % (target, '; '.join(taken)))
    if to_host.get('service_active'):
        problems.append('etcd_migrate_to %s runs etcd (service %s); the host that takes over a member must not run '
                        'etcd: stop it there first' % (target, service_name))
    to_data = to_host.get('data_dir') or {}
    if to_data.get('entries'):
        problems.append("etcd_migrate_to %s: %s is not empty (it holds %s); the moved member's data goes there. "
                        "Empty it or move it aside, or take another host"
                        % (target, to_data.get('path'), ', '.join(to_data['entries'][:5])))
    if wal_entries:
        problems.append('etcd_migrate_to %s: the WAL directory %s is not empty (it holds %s); empty it or move it '
                        'aside, or take another host' % (target, wal_dir, ', '.join(wal_entries[:5])))
    from_path = (from_host.get('data_dir') or {}).get('path')
    if to_data.get('path') != from_path:
        problems.append('etcd_data_dir is %s on %s and %s on %s; the new host takes the data dir over as it is: set '
                        'the same etcd_data_dir for both' % (from_path, source, to_data.get('path'), target))
    if not probe.get('healthy'):
        problems.append('the cluster is not healthy: %s. A member moves only while every member runs and is healthy'
                        % '; '.join(probe.get('problems') or []))
    if move['voters'] < 3:
        problems.append('the cluster has %d voting members: while %s moves it is down, and %d of %d are not a '
                        'quorum. Add members first (quorum.etcd.scale), or replace the member instead'
                        % (move['voters'], move['name'], move['voters'] - 1, move['voters']))
    versions = sorted({e['version'] for e in probe.get('endpoints') or [] if e.get('version')})
    if [v for v in versions if v != version]:
        problems.append("the cluster runs etcd %s, not etcd_version %s; the new host must run the version the "
                        "member's data was written with" % (', '.join(versions), version))
    return problems


def migrate_plan(group, hostvars, probe, source, target, play_hosts, version, token, stamp, wal_dir='',
                 cluster_group='etcd', service_name='etcd'):
    problems = _host_problems(group, source, target, play_hosts, cluster_group)
    if problems:
        return {'problems': problems, 'done': False}
    probe = probe or {}
    src, dst = hostvars[source], hostvars[target]
    name = src['__etcd_self']['name']
    members = probe.get('members') or []
    member = next((m for m in members if m.get('name') == name), {})
    voters = [m for m in members if m.get('name') and not m.get('is_learner')]
    staying = [h for h in group if h != source]
    to_self, to_host = dst['__etcd_self'], dst.get('__etcd_host') or {}
    move = {
        'name': name,
        'id': member.get('id', ''),
        'from': source,
        'to': target,
        'from_peer_url': src['__etcd_self']['peer_url'],
        'to_peer_url': to_self['peer_url'],
        'to_client_url': to_self['client_url'],
        # The members that stay where they are ask and answer for the cluster.
        'anchor': staying[0] if staying else '',
        'anchor_urls': [hostvars[h]['__etcd_self']['client_url'] for h in staying],
        'from_client_urls': [hostvars[h]['__etcd_self']['client_url'] for h in group if '__etcd_self' in hostvars[h]],
        'voters': len(voters),
        # The same paths on both hosts: the new host takes the member over as it was.
        'dirs': [(to_host.get('data_dir') or {}).get('path')] + ([wal_dir] if wal_dir else []),
        'stamp': stamp,
        # The new host's etcd.conf is that of a member: the cluster as it is after the move, state
        # existing, the moved member's token. etcd reads them only with an empty data dir.
        'initial_cluster': _initial_cluster(members, name, to_self['peer_url']),
        'token': ((src.get('__etcd_host') or {}).get('config') or {}).get('ETCD_INITIAL_CLUSTER_TOKEN') or token,
        # Re-run after a migration that went through: the member already runs on the new host.
        'done': member.get('peer_urls') == [to_self['peer_url']] and bool(to_host.get('service_active')),
    }
    move['problems'] = [] if move['done'] else _move_problems(
        move, member, members, probe, source, target, hostvars, version, wal_dir, service_name, cluster_group)
    return move
