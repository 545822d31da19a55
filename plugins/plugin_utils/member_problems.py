# -*- coding: utf-8 -*-
# Copyright (c) quorum.etcd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What is wrong with one member's own settings, every problem at once.

The filter is documented in plugins/filter/member_problems.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re


def member_problems(settings):
    s = settings
    problems = []
    if not s.get('in_group'):
        problems.append('it is not in the inventory group %s (etcd_cluster_group)' % s.get('group'))
    address = str(s.get('address') or '')
    if not address:
        problems.append('no member address: the host has %s and no default route; set etcd_address or etcd_interface'
                        % (', '.join(s.get('ipv4_addresses') or []) or 'no IPv4 address'))
    elif re.search(r'[/ ]', address):
        problems.append('etcd_address %s must be a bare address, without prefix length or path' % address)
    if not re.match(r'^[A-Za-z0-9._-]+$', str(s.get('name') or '')):
        problems.append('etcd_member_name %s may only use letters, digits, ".", "_" and "-"' % s.get('name'))
    # The instance names the unit and directories (etcd-<instance>, /etc/etcd-<instance>): no path, no option.
    if s.get('instance') and not re.match(r'^[A-Za-z0-9][A-Za-z0-9._-]*$', str(s['instance'])):
        problems.append('etcd_instance %s must start with a letter or digit and use only letters, digits, ".", "_" '
                        'and "-"' % s['instance'])
    runtime = s.get('runtime', 'host')
    if runtime not in ('host', 'podman', 'docker'):
        problems.append('etcd_runtime %s must be host, podman or docker' % runtime)
    elif runtime != 'host' and not (s.get('container_engines') or {}).get(runtime):
        problems.append('etcd_runtime %s runs etcd in a container, and the host has no %s command' % (runtime, runtime))
    if not re.match(r'^[0-9]+[.][0-9]+[.][0-9]+$', str(s.get('version'))):
        problems.append('etcd_version %s must be an exact release X.Y.Z such as 3.5.1, so that every member runs '
                        'the same binaries' % s.get('version'))
    if s.get('client_scheme') not in ('http', 'https') or s.get('peer_scheme') not in ('http', 'https'):
        problems.append('URL schemes must be http or https, not %s / %s' % (s.get('client_scheme'), s.get('peer_scheme')))
    listen = str(s.get('listen') or '')
    host_ips = list(s.get('host_ips') or [])
    # A member address already refused above is not reported again as the listen address.
    refused_address = listen == address and re.search(r'[/ ]', address)
    if listen and not refused_address and listen not in host_ips + ['0.0.0.0', '::']:
        problems.append('listen address %s is not an address of this host (%s)' % (listen, ', '.join(host_ips)))
    name_addresses = list(s.get('name_addresses') or [])
    if name_addresses and listen not in name_addresses + ['0.0.0.0', '::']:
        problems.append('etcd_address %s resolves to %s, where the other members reach it, and etcd would listen on '
                        '%s; set etcd_listen_address to one of those' % (address, ', '.join(name_addresses), listen))
    heartbeat, election = int(s.get('heartbeat_interval')), int(s.get('election_timeout'))
    if election < 5 * heartbeat or election > 50000:
        problems.append('etcd_election_timeout %s ms must be at least 5 x etcd_heartbeat_interval (%s ms) and at most '
                        '50000 ms' % (election, heartbeat))
    if int(s.get('client_port')) == int(s.get('peer_port')):
        problems.append('etcd_client_port and etcd_peer_port are both %s' % s.get('client_port'))
    deployed, wanted = s.get('deployed_peer_allowed_cn') or '', s.get('peer_allowed_cn') or ''
    # Turning the check on is safe (the new certificates pass no check yet); away from it is not.
    if deployed and deployed != wanted:
        problems.append('the member lets only the common name %r onto its peer port, and this run would %s; the '
                        'members would refuse the new peer certificates of each other before their restarts. Keep '
                        'etcd_peer_cert_allowed_cn: %s for this cluster'
                        % (deployed, 'change it to %r' % wanted if wanted else 'turn that check off', deployed))
    fsync, fsync_max = s.get('fsync') or {}, float(s.get('fsync_max_ms') or 0)
    if fsync_max > 0 and fsync and fsync['p99_ms'] > fsync_max:
        problems.append('the disk of %s made a 2 KiB write durable in %.1f ms at the 99th percentile (%d writes), more '
                        'than etcd_disk_fsync_max_ms %s; etcd\'s hardware guide asks for less than 10 ms: put the data '
                        'dir (or etcd_wal_dir) on a faster disk, an SSD of its own'
                        % (fsync['path'], fsync['p99_ms'], fsync['samples'], s.get('fsync_max_ms')))
    if s.get('rotation') and not (s.get('tls') and s.get('pki_managed')):
        problems.append('quorum.etcd.rotate_ca (etcd_pki_rotation: %s) rotates the CA the collection issues: it needs '
                        'etcd_tls: true and etcd_pki_managed: true, not %s and %s'
                        % (s.get('rotation'), str(bool(s.get('tls'))).lower(), str(bool(s.get('pki_managed'))).lower()))
    return problems
