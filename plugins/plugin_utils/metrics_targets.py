# -*- coding: utf-8 -*-
# Copyright (c) quorum.etcd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Prometheus targets for the members of one cluster: which of each member's metrics
listeners a Prometheus server can reach, and every reason one cannot be scraped.

The filter is documented in plugins/filter/metrics_targets.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

try:
    from urllib.parse import urlsplit
except ImportError:  # pragma: no cover - Python 2 controllers are not supported
    from urlparse import urlsplit

LOOPBACK = ('localhost', '::1')
WILDCARD = ('0.0.0.0', '::', '')


def is_loopback(host):
    """Whether a listener on this host name or address is reachable from this host only."""
    return host in LOOPBACK or host.startswith('127.')


def _reachable(url):
    """(host:port, scheme) of a URL another host can scrape, or None."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname or '', parts.port
    except ValueError:
        return None
    if parts.scheme not in ('http', 'https') or port is None:
        return None
    if is_loopback(host) or host in WILDCARD:
        return None
    return ('[%s]:%d' % (host, port) if ':' in host else '%s:%d' % (host, port)), parts.scheme


def metrics_targets(members, cluster):
    file_sd, problems = [], []
    for host, facts in (members or {}).items():
        facts = facts or {}
        urls = facts.get('metrics_urls')
        if not facts:
            problems.append('%s: its address is unknown (the address entry point of quorum.etcd.server did not run '
                            'on it)' % host)
            continue
        if isinstance(urls, str):
            urls = [urls]
        found = [r for r in (_reachable(u) for u in urls or []) if r]
        if not found:
            problems.append('%s: etcd_metrics_urls %s has no listener Prometheus can reach (loopback or wildcard '
                            'only); set etcd_metrics_address: member, or an address of the host, and deploy'
                            % (host, list(urls or [])))
            continue
        target, scheme = found[0]
        labels = {'cluster': cluster, 'member': facts.get('name') or host}
        if scheme == 'https':
            labels['__scheme__'] = 'https'
        file_sd.append({'targets': [target], 'labels': labels})
    return {'file_sd': file_sd, 'problems': problems}
