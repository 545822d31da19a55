# -*- coding: utf-8 -*-
# Copyright (c) quorum.etcd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cluster plan of a deploy: who bootstraps, joins and leaves, through which member
changes are sent, what each new member starts with, which endpoints gate, and every
problem that stops the run, all at once.

The filter is documented in plugins/filter/cluster_plan.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re
from urllib.parse import urlsplit

from ansible.errors import AnsibleFilterError
from ansible_collections.quorum.etcd.plugins.plugin_utils.started_with import discovery_kept, started_with


def _get(mapping, *path):
    for key in path:
        if not hasattr(mapping, 'get'):
            return None
        mapping = mapping.get(key)
    return mapping


def _host_view(hostvars, host):
    """The two facts each host records for the others, or None when the host did not run."""
    try:
        variables = hostvars[host]
        own, info = variables.get('__etcd_self'), variables.get('__etcd_host')
    except KeyError:
        return None
    if not own:
        return None
    return {'host': host, 'name': own['name'], 'peer_url': own['peer_url'], 'client_url': own['client_url'],
            'state': own.get('state', 'present'), 'own': _own(own), 'info': info or {}}


def _port(url):
    try:
        return str(urlsplit(url).port or '')
    except ValueError:  # a port etcd would refuse; member_problems names the setting
        return ''


def _own(member):
    """{what: values} no other member on the member's machine may have: its unit, directories and ports, from
    its URLs and the paths it recorded (tasks/address.yml)."""
    paths = member.get('paths') or {}
    own = {'unit': [paths.get('service')], 'configuration directory': [paths.get('config_dir')],
           'data directory': [paths.get('data_dir')], 'WAL directory': [paths.get('wal_dir')],
           'client port': [_port(member.get('client_url') or '')], 'peer port': [_port(member.get('peer_url') or '')],
           'metrics port': [_port(url) for url in member.get('metrics_urls') or []]}
    return {what: set(str(v) for v in values if v) for what, values in own.items()}


def _repeated(hosts, key):
    values = [h[key] for h in hosts]
    return ['%s (%s)' % (value, ', '.join(h['host'] for h in hosts if h[key] == value))
            for value in sorted(set(values), key=values.index) if values.count(value) > 1]


def _group_problems(views, group, group_name, play_hosts, staying, allow_even):
    problems = []
    missing = [h for h in group if h not in play_hosts]
    if missing:
        problems.append('the play must include every member of group %s; missing: %s'
                        % (group_name, ', '.join(missing)))
    if group and not staying:
        problems.append('no member of group %s would stay (every host has etcd_member_state absent): a cluster '
                        'needs at least one member' % group_name)
    elif len(staying) % 2 == 0 and not allow_even:
        problems.append('the cluster would have %d members (%s): an even count tolerates no more failures than one '
                        'member fewer; use an odd count or set etcd_allow_even_members'
                        % (len(staying), ', '.join(staying)))
    present = [v for v in views if v]
    if _repeated(present, 'name'):
        problems.append('member names must be unique (etcd merges duplicates); repeated: %s'
                        % '; '.join(_repeated(present, 'name')))
    if _repeated(present, 'peer_url'):
        problems.append('peer URLs must be unique; repeated: %s' % '; '.join(_repeated(present, 'peer_url')))
    return problems


def _machine(view):
    """What tells a machine: its machine-id and its addresses (clones of one image may share the id, never the
    addresses); None when the host did not say."""
    info = view['info']
    machine = info.get('machine_id')
    if not machine or machine == 'uninitialized':
        return None
    return (machine, tuple(sorted(info.get('ipv4_addresses') or [])), tuple(sorted(info.get('ipv6_addresses') or [])))


def shared_machine_problems(views):
    """Members on one machine (hosts whose host_info found the same machine-id and addresses) that would share a
    unit, a directory or a port: the second etcd would not start, or would run in the first one's data. And
    members on several machines whose configuration directories differ: the role's calls for one member run
    from another host with its client certificate's paths, which must exist on every machine."""
    machines = {}
    for view in views:
        machine = _machine(view)
        if machine:
            machines.setdefault(machine, []).append(view)
    problems = []
    config_dirs = sorted(set().union(*[v['own']['configuration directory'] for v in views]))
    if len(machines) > 1 and len(config_dirs) > 1:
        problems.append('the members run on %d machines with different configuration directories (%s): give the '
                        'members on different machines the same etcd_instance (or none), or keep the cluster\'s '
                        'instances on one machine' % (len(machines), ', '.join(config_dirs)))
    for together in machines.values():
        if len(together) < 2:
            continue
        for what in sorted(together[0]['own']):
            for value in sorted(set().union(*[v['own'][what] for v in together])):
                sharing = [v['host'] for v in together if value in v['own'][what]]
                if len(sharing) > 1:
                    problems.append('%s run on one machine with the same %s %s: give each its own etcd_instance '
                                    '(unit and directories) and ports' % (', '.join(sharing), what, value))
    return problems


# Answers that mean the cluster runs but refuses the role: going on as if it were down would be wrong.
_REFUSED = re.compile(r'with HTTP 40[0-9]|authentication|permission|certificate verify failed|CERTIFICATE_VERIFY')


def merged_probe(views):
    """One view of the cluster from what each host's member reported to host_info."""
    seen = [(v['host'], v['info'].get('cluster')) for v in views if v and v['info'].get('cluster')]
    answered = [(host, c) for host, c in seen if c.get('members')]
    best = next((c for host, c in answered if c.get('leader')), answered[0][1] if answered else {})
    endpoints, refusals = [], []
    for host, cluster in seen:
        for report in cluster.get('endpoints') or []:
            if report.get('endpoint') not in [e.get('endpoint') for e in endpoints]:
                endpoints.append(report)
            if report.get('error') and _REFUSED.search(report['error']):
                refusals.append('%s (asked from %s)' % (report['error'], host))
    # Members of different clusters (a stray one-member cluster on a host) are not one cluster.
    clusters = {}
    for host, cluster in answered:
        clusters.setdefault(cluster.get('cluster_id'), []).append(host)
    split = ['%s in cluster %s' % (', '.join(hosts), cid) for cid, hosts in clusters.items()] if len(clusters) > 1 else []
    healthy = (bool(best.get('healthy')) and bool(endpoints) and not split
               and not [e for e in endpoints if e.get('error')])
    return dict(best, endpoints=endpoints, refusals=refusals, healthy=healthy, split=split)


def _refusals(probe):
    if 'refusals' in probe:
        return probe['refusals']
    return [e['error'] for e in probe.get('endpoints') or [] if e.get('error') and _REFUSED.search(e['error'])]


def _member_for(ref, members):
    """The member that ``ref`` of etcd_remove_members means: by name, else hex ID, else peer URL."""
    ref = str(ref).strip()
    for m in members:
        if m.get('name') and m['name'] == ref:
            return m
    for m in members:
        if m.get('id') and ref.lower().lstrip('0') == str(m['id']).lower().lstrip('0'):
            return m
    for m in members:
        if ref.rstrip('/') in [u.rstrip('/') for u in m.get('peer_urls') or []]:
            return m
    return None


def _rebuilt(ran, members, probe, remove_members):
    """{member name: host} for the hosts of the group rebuilt under the name of a member listed in
    etcd_remove_members (quorum.etcd.replace): no member data on the host and no answer from the
    member. The old member is removed by ID, then the host joins as a new one."""
    healthy_ids = [e.get('member_id') for e in probe.get('endpoints') or [] if e.get('healthy')]
    found = {}
    for ref in remove_members:
        member = _member_for(ref, members)
        view = next((v for v in ran if member and member.get('name') and v['name'] == member['name']), None)
        if (view and not _get(view['info'], 'data_dir', 'initialized') and member['id'] not in healthy_ids
                and view['state'] == 'present'):
            found[member['name']] = view['host']
    return found


def cluster_plan(group, hostvars, probe, play_hosts, version, token, cluster_group='etcd', membership_changes=False,
                 remove_members=None, allow_even_members=False, allow_nonempty_data_dir=False, bootstrap='static',
                 discovery=None):
    if not isinstance(group, (list, tuple)):
        raise AnsibleFilterError('cluster_plan expects the list of the group\'s hosts, got %r' % (group,))
    remove_members = list(remove_members or [])
    views = {h: _host_view(hostvars, h) for h in group}
    probe = merged_probe([views[h] for h in group]) if probe is None else probe
    members = list(probe.get('members') or [])
    live = len(members) > 0
    member_names = [m.get('name') for m in members]
    voter_names = [m.get('name') for m in members if m.get('name') and not m.get('is_learner')]
    ran = [views[h] for h in group if views[h]]
    staying = [v['host'] for v in ran if v['state'] != 'absent']
    problems = ['the cluster refuses the role\'s requests: %s. With authentication enabled set etcd_admin_user and '
                'etcd_admin_password; with TLS, check etcd_admin_ca_cert, etcd_admin_client_cert and '
                'etcd_admin_client_key' % refusal for refusal in _refusals(probe)[:1]]
    if probe.get('split'):
        problems.append('the members of group %s belong to different clusters: %s; take the host of the stray '
                        'cluster out of the group, or empty its data, before deploying' % (cluster_group,
                                                                                           '; '.join(probe['split'])))
    problems += _group_problems([views[h] for h in group], group, cluster_group, play_hosts, staying,
                                allow_even_members)
    problems += shared_machine_problems(ran)
    # Every host reads its state before the plan is made, unless the play runs them apart.
    behind = [h for h in group if h in play_hosts and not views[h]]
    if behind:
        problems.append('the plan was made without the state of %s of group %s: the host is unreachable, or the '
                        'play runs the hosts apart; run every host together, without serial or strategy: free '
                        '(the role itself changes members one at a time)' % (', '.join(behind), cluster_group))

    rebuilt = _rebuilt(ran, members, probe, remove_members) if live else {}
    hosts = {}
    for view in ran:
        data_dir = _get(view['info'], 'data_dir') or {}
        hosts[view['host']] = {
            # A host rebuilt empty under a member's name is not that member: it joins anew.
            'member': view['name'] in member_names and view['name'] not in rebuilt,
            # Joining until it is a started voter: also a learner left by an interrupted run.
            'joining': live and view['state'] == 'present' and (
                view['name'] not in voter_names or view['name'] in rebuilt),
            'leaving': view['state'] == 'absent' and view['name'] in member_names,
            'initialized': bool(data_dir.get('initialized')),
            'data_dir_used': len(data_dir.get('entries') or []) > 0,
        }
    order = [h for h in play_hosts if h in hosts]
    joiners = [h for h in order if hosts[h]['joining']]
    leavers = [h for h in order if hosts[h]['leaving']]
    steady = [h for h in order if hosts[h]['member'] and not hosts[h]['joining'] and not hosts[h]['leaving']]

    any_initialized = any(part['initialized'] for part in hosts.values())
    live_names = [n for n in member_names if n]
    for host in order:
        part, name = hosts[host], views[host]['name']
        data_dir = _get(views[host]['info'], 'data_dir', 'path')
        if part['joining'] and not membership_changes:
            problems.append('%s: etcd member %s is not in the running cluster (%s); add it with the quorum.etcd.scale '
                            'playbook' % (host, name, ', '.join(live_names)))
        if part['leaving'] and not membership_changes:
            problems.append('%s: etcd member %s has etcd_member_state absent; remove it with the quorum.etcd.scale '
                            'playbook' % (host, name))
        if not live and not part['initialized'] and any_initialized:
            problems.append('%s: the cluster is down and %s holds no member data while other members have theirs; '
                            'start the existing members first' % (host, data_dir or 'its data directory'))
        elif (not part['initialized'] and part['data_dir_used'] and not allow_nonempty_data_dir
              and not (live and not part['joining'])):
            problems.append('%s: %s is not empty and a new member would start in it; empty it, or set '
                            'etcd_bootstrap_allow_nonempty_data_dir: true if its contents may stay'
                            % (host, data_dir or 'the data directory'))
    versions = sorted({e['version'] for e in probe.get('endpoints') or [] if e.get('version')})
    if live and [v for v in versions if v != version]:
        problems.append('the cluster runs etcd %s, not etcd_version %s; change the version with the '
                        'quorum.etcd.upgrade playbook (-e etcd_version=%s)' % (', '.join(versions), version, version))
    elif not versions:
        # No member said what it runs (the cluster is down, or too slow to answer): the installed
        # release of each member with data stands in, or a deploy would relink every member at once.
        installed = [(h, _get(views[h]['info'], 'etcd', 'version')) for h in order if hosts[h]['initialized']]
        other = ['%s (%s)' % (h, v) for h, v in installed if v and v != version]
        if other:
            problems.append('no member answered with the version it runs, and members with data have another '
                            'etcd installed than etcd_version %s: %s; a deploy does not change the release of '
                            'members it cannot read. Start the cluster with its own release, then change the '
                            'version with the quorum.etcd.upgrade playbook (-e etcd_version=%s)'
                            % (version, ', '.join(other), version))

    group_names = [views[h]['name'] for h in group if views[h]]
    # Members whose hosts are gone, by name, ID or peer URL (a member added but never started has no name).
    removed, not_members = [], []
    for ref in remove_members:
        found = _member_for(ref, members)
        if found is None or (found.get('name') and found['name'] in group_names and found['name'] not in rebuilt):
            not_members.append(str(ref))
        elif found['id'] not in [r['id'] for r in removed]:
            removed.append({'ref': str(ref), 'id': found['id'], 'name': found.get('name') or '',
                            'peer_urls': list(found.get('peer_urls') or []),
                            'voter': bool(found.get('name')) and not found.get('is_learner')})
    removed_ids = [r['id'] for r in removed]
    unknown = [m['name'] for m in members if m.get('name') and m['name'] not in group_names
               and m.get('id') not in removed_ids]
    if unknown:
        problems.append('members %s are in the cluster but not in group %s: add their hosts, or list them in '
                        'etcd_remove_members for the quorum.etcd.scale playbook to remove'
                        % (', '.join(unknown), cluster_group))
    if not_members:
        problems.append('etcd_remove_members names %s, which are not members of the cluster (%s) or are hosts of '
                        'group %s with member data or a member that answers (mark those etcd_member_state: absent '
                        'instead; a host rebuilt empty under a member\'s name is replaced)'
                        % (', '.join(not_members), ', '.join(
                            '%s (ID %s)' % (m.get('name') or 'not started', m.get('id')) for m in members),
                           cluster_group))
    pending = [url for m in members if not m.get('name') for url in m.get('peer_urls') or []]
    if pending and not membership_changes:
        problems.append('a member was added but has not started (peer URLs %s); the quorum.etcd.scale playbook '
                        'completes or removes it' % ', '.join(pending))

    static_cluster = ','.join('%s=%s' % (views[h]['name'], views[h]['peer_url']) for h in staying)
    # Members now (less those being removed), then each joiner up to and including this one:
    # a joining member starts with the cluster as it will be when it joins.
    current = ['%s=%s' % (m['name'], url) for m in members if m.get('name') and m.get('id') not in removed_ids
               for url in m.get('peer_urls') or []]
    for host in order:
        part, info = hosts[host], views[host]['info']
        config = _get(info, 'config') or {}
        frozen = started_with(config) if part['member'] else {}
        if part['joining']:
            before = joiners[:joiners.index(host) + 1]
            cluster = ','.join(current + ['%s=%s' % (views[j]['name'], views[j]['peer_url']) for j in before
                                          if views[j]['name'] not in member_names or views[j]['name'] in rebuilt])
        else:
            cluster = static_cluster
        part['initial_cluster'] = frozen.get('ETCD_INITIAL_CLUSTER', cluster)
        part['initial_cluster_state'] = frozen.get('ETCD_INITIAL_CLUSTER_STATE',
                                                   'existing' if part['joining'] else 'new')
        part['initial_cluster_token'] = frozen.get('ETCD_INITIAL_CLUSTER_TOKEN', token)
        # A host with member data keeps the discovery settings it started with, even while its cluster is
        # down; a host that starts a new cluster finds the others through the discovery service; a joiner,
        # a host that leaves and any host of a running cluster are given the initial cluster.
        # (Without a live cluster no host is a member or joins, so a host without data is the whole test.)
        kept = discovery_kept(config) if part['member'] or part['initialized'] else {}
        part['bootstraps_by_discovery'] = (bootstrap in ('discovery', 'dns_srv') and not live
                                           and not part['initialized'] and views[host]['state'] != 'absent')
        part['discovery'] = bool(kept) or part['bootstraps_by_discovery']
        part['discovery_settings'] = kept or (
            discovery_settings(discovery or {}, bootstrap) if part['bootstraps_by_discovery'] else {})
    discovery_hosts = [h for h in order if hosts[h]['bootstraps_by_discovery']]
    if discovery_hosts and bootstrap == 'dns_srv':
        problems += dns_srv_problems((discovery or {}).get('srv'), [views[h] for h in discovery_hosts])
    elif discovery_hosts:
        problems += _discovery_problems(version, discovery or {}, discovery_hosts)

    # A member whose peer URL changes (its peers moving to TLS, quorum.etcd.enable_tls) is given the new one
    # through the API right before its own restart (maintenance/restart_member.yml): the others reach it
    # there once it has restarted.
    registered = dict((m['name'], m) for m in members if m.get('name'))
    peer_url_changes = {}
    for host in steady:
        member = registered[views[host]['name']]
        if [u.rstrip('/') for u in member.get('peer_urls') or []] != [views[host]['peer_url'].rstrip('/')]:
            peer_url_changes[host] = {'name': member['name'], 'id': member.get('id'),
                                      'from': list(member.get('peer_urls') or []), 'to': views[host]['peer_url']}
            if not _get(views[host]['info'], 'service_active'):
                problems.append('%s: the peer URL of member %s changes from %s to %s, which is done right before '
                                'the member restarts, and etcd does not run there: start it first'
                                % (host, member['name'], ', '.join(member.get('peer_urls') or []),
                                   views[host]['peer_url']))

    leader_name = _get(probe, 'leader', 'name') or ''
    anchor_urls = [views[h]['client_url'] for h in steady]
    staying_urls = [views[h]['client_url'] for h in staying]
    return {
        'problems': problems,
        'live': live,
        'hosts': hosts,
        'staying': staying,
        'joiners': joiners,
        'leavers': leavers,
        # Each with the ID the member module removes it by.
        'remove': removed,
        # Hosts rebuilt empty under a removed member's name, which join as new members.
        'rebuilt': sorted(rebuilt.values()),
        'anchor': steady[0] if steady else '',
        'anchor_urls': anchor_urls,
        # For quorum.etcd.plan_in_play, which narrows the changes to the hosts still in the play.
        'steady': steady,
        'client_urls': {v['host']: v['client_url'] for v in ran},
        'voters_now': len(voter_names),
        # What the join gates count on: the voters once the members listed to remove are gone.
        'voters_after_removals': len(voter_names) - len([r for r in removed if r['voter']]),
        'pending_peer_urls': pending,
        # Pending members this run completes (joiners) or removes: the cluster is not healthy until it has.
        'handled_pending_peer_urls': [views[h]['peer_url'] for h in joiners]
        + [url for r in removed if not r['name'] for url in r['peer_urls']],
        'gate_urls': anchor_urls if live else staying_urls,
        'gate_members': len(voter_names) if live else len(staying),
        # Every member answered and the cluster had no problem when the run began: a run that
        # starts and restarts nothing need not wait for it again.
        'healthy': live and bool(probe.get('healthy'))
        and len([e for e in probe.get('endpoints') or [] if not e.get('error')]) >= len(voter_names),
        # {host: {name, id, from, to}}: peer URLs changed right before the member's restart.
        'peer_url_changes': peer_url_changes,
        'leader_host': next((h for h in order if views[h]['name'] == leader_name), '') if leader_name else '',
        # Hosts that bootstrap the new cluster through the discovery service in this run.
        'discovery_hosts': discovery_hosts,
        'discovery_members': ['%s=%s' % (views[h]['name'], views[h]['peer_url']) for h in discovery_hosts
                              if bootstrap == 'discovery'],
    }


def discovery_settings(discovery, bootstrap='discovery'):
    """etcd.conf's ETCD_DISCOVERY_* settings of a member that bootstraps through the discovery service
    or DNS SRV records."""
    if bootstrap == 'dns_srv':
        settings = {'ETCD_DISCOVERY_SRV': discovery.get('srv') or ''}
        if discovery.get('srv_name'):
            settings['ETCD_DISCOVERY_SRV_NAME'] = discovery['srv_name']
        return settings
    endpoints = list(discovery.get('endpoints') or [])
    settings = {'ETCD_DISCOVERY_ENDPOINTS': ','.join(endpoints), 'ETCD_DISCOVERY_TOKEN': discovery.get('token') or '',
                # etcd talks plain HTTP to the discovery service unless told otherwise.
                'ETCD_DISCOVERY_INSECURE_TRANSPORT': 'false' if any(
                    str(e).startswith('https://') for e in endpoints) else 'true'}
    for key, name in (('ca_file', 'ETCD_DISCOVERY_CACERT'), ('cert_file', 'ETCD_DISCOVERY_CERT'),
                      ('key_file', 'ETCD_DISCOVERY_KEY')):
        if discovery.get(key):
            settings[name] = discovery[key]
    return settings


def _discovery_problems(version, discovery, hosts):
    problems, endpoints = [], discovery.get('endpoints')
    parts = re.match(r'^(\d+)\.(\d+)\.', str(version))
    if parts and (int(parts.group(1)), int(parts.group(2))) < (3, 6):
        problems.append('etcd_bootstrap discovery: etcd %s has no v3 discovery (etcd 3.6 and later do); bootstrap '
                        '%s with etcd_bootstrap static' % (version, ', '.join(hosts)))
    if not endpoints:
        problems.append('etcd_bootstrap discovery needs etcd_discovery_endpoints, the client URLs of the discovery '
                        'service, for %s' % ', '.join(hosts))
    if not discovery.get('token') or '/' in str(discovery.get('token')):
        problems.append('etcd_discovery_token %r of %s must be a non-empty name without /'
                        % (discovery.get('token'), ', '.join(hosts)))
    for key, name in (('ca_src', 'etcd_discovery_ca_src'), ('cert_src', 'etcd_discovery_client_cert_src'),
                      ('key_src', 'etcd_discovery_client_key_src')):
        if discovery.get(key) and not os.path.isfile(discovery[key]):
            problems.append('%s %s: no such file on the controller' % (name, discovery[key]))
    if bool(discovery.get('cert_src')) != bool(discovery.get('key_src')):
        problems.append('etcd_discovery_client_cert_src %r and etcd_discovery_client_key_src %r go together; one is '
                        'empty' % (discovery.get('cert_src') or '', discovery.get('key_src') or ''))
    schemes = sorted(set(str(e).split('://', 1)[0] for e in endpoints or [] if '://' in str(e)))
    if len(schemes) > 1:
        problems.append('etcd_discovery_endpoints mix %s: the members reach the discovery service one way, '
                        'with TLS or without' % ' and '.join(schemes))
    bad = [e for e in endpoints or [] if not re.match(r'^https?://[^/]+/?$', str(e))]
    if bad:
        problems.append('etcd_discovery_endpoints must be http:// or https:// URLs of host and port; not: %s'
                        % ', '.join(str(e) for e in bad))
    return problems


def _srv_record(record):
    return '%s:%s (%s)' % (record['target'], record['port'],
                           ', '.join(record.get('addresses') or []) or record.get('error') or 'no address')


def dns_srv_problems(domain, views):
    """What stops the hosts of views bootstrapping from the SRV records of domain, as etcd reads them: each
    host finds exactly one record of its scheme at its own address and port, named as its peer URL names it
    (etcd gives each member the record's name as peer URL, and peers check the certificate against it), every
    record's name resolves on every host (etcd skips one that does not, so the hosts would disagree), and
    each record is one of the hosts."""
    names = ', '.join(v['host'] for v in views)
    if not domain:
        return ['etcd_bootstrap dns_srv needs etcd_discovery_srv, the domain of the SRV records, for %s' % names]
    problems, claimed, unresolved = [], set(), []
    for view in views:
        lookup = _get(view['info'], 'srv') or {}
        records = lookup.get('records') or []
        unresolved += ['%s:%s on %s (%s)' % (r['target'], r['port'], view['host'], r['error'])
                       for r in records if r.get('error')]
        if not records:
            errors = '; '.join(lookup.get('errors') or []) or 'no lookup made'
            problems.append('%s: no SRV records of %s (%s): etcd_bootstrap dns_srv reads _etcd-server-ssl._tcp.%s '
                            'or _etcd-server._tcp.%s' % (view['host'], domain, errors, domain, domain))
            continue
        peer = urlsplit(view['peer_url'])
        own = set(lookup.get('own_addresses') or [peer.hostname])
        mine = [r for r in records if r['port'] == peer.port and own & set(r.get('addresses') or [])]
        claimed.update((r['target'], r['port']) for r in mine)
        same = [r for r in mine if r['scheme'] == peer.scheme]
        if not mine:
            problems.append('%s: its peer URL %s (%s) is not among the SRV records of %s: %s' % (
                view['host'], view['peer_url'], ', '.join(sorted(own)), domain,
                ', '.join(_srv_record(r) for r in records)))
        elif not same:
            problems.append('%s: its peer URL %s is %s, and its SRV record %s is %s' % (
                view['host'], view['peer_url'], peer.scheme, mine[0]['service'], mine[0]['scheme']))
        elif len(same) > 1:
            problems.append('%s: %d SRV records of %s point at its peer URL %s (%s); etcd needs exactly one' % (
                view['host'], len(same), domain, view['peer_url'], ', '.join(_srv_record(r) for r in same)))
        elif same[0]['target'].rstrip('.').lower() != (peer.hostname or '').lower():
            problems.append('%s: its SRV record names it %s, which becomes its peer URL and must be in its '
                            'certificates; set etcd_address to %s (its peer URL now: %s)' % (
                                view['host'], same[0]['target'], same[0]['target'], view['peer_url']))
    if unresolved:
        problems.append('names of SRV records of %s that do not resolve, which etcd would leave out: %s'
                        % (domain, ', '.join(unresolved)))
    records = next((_get(v['info'], 'srv', 'records') for v in views if _get(v['info'], 'srv', 'records')), [])
    strangers = [r for r in records if (r['target'], r['port']) not in claimed]
    if strangers and not problems:
        problems.append('the SRV records of %s name members that are not hosts of this new cluster, which would wait '
                        'for them: %s (the hosts: %s)' % (domain, ', '.join(_srv_record(r) for r in strangers), names))
    return problems
