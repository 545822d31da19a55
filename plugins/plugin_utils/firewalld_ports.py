# -*- coding: utf-8 -*-
# Copyright (c) quorum.etcd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ports a member's deploy opens in firewalld.

The filter is documented in plugins/filter/firewalld_ports.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

try:
    from urllib.parse import urlsplit
except ImportError:  # pragma: no cover - Python 2 controllers are not supported
    from urlparse import urlsplit

from ansible.errors import AnsibleFilterError
from ansible_collections.quorum.etcd.plugins.plugin_utils.metrics_targets import is_loopback


def firewalld_ports(metrics_urls, mode, firewalld_active, client_port, peer_port, metrics_port):
    if mode not in ('auto', 'always', 'never'):
        raise AnsibleFilterError('etcd_firewalld %r: expected auto, always or never' % (mode,))
    if mode == 'never' or (mode == 'auto' and not firewalld_active):
        return []
    ports = ['%s/tcp' % client_port, '%s/tcp' % peer_port]
    if isinstance(metrics_urls, str):
        metrics_urls = [metrics_urls]
    if any(not is_loopback(urlsplit(url).hostname or '') for url in metrics_urls or []):
        ports.append('%s/tcp' % metrics_port)
    return ports
