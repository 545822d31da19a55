# -*- coding: utf-8 -*-
# Copyright (c) quorum.etcd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The bootstrap settings a member started with, which it keeps.

The filter is documented in plugins/filter/started_with.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# What the server role writes to bootstrap a member; an ETCD_DISCOVERY_* timeout of etcd_extra_config is not one.
INITIAL_KEYS = ('ETCD_INITIAL_CLUSTER', 'ETCD_INITIAL_CLUSTER_STATE', 'ETCD_INITIAL_CLUSTER_TOKEN')
DISCOVERY_KEYS = ('ETCD_DISCOVERY_ENDPOINTS', 'ETCD_DISCOVERY_TOKEN', 'ETCD_DISCOVERY_INSECURE_TRANSPORT',
                  'ETCD_DISCOVERY_CACERT', 'ETCD_DISCOVERY_CERT', 'ETCD_DISCOVERY_KEY',
                  'ETCD_DISCOVERY_SRV', 'ETCD_DISCOVERY_SRV_NAME')
# Either says the member found its peers without an initial cluster: a discovery service or DNS SRV records.
DISCOVERED_BY = ('ETCD_DISCOVERY_ENDPOINTS', 'ETCD_DISCOVERY_SRV')


def discovery_kept(config):
    """The discovery settings a member started with: none when it started with an initial cluster."""
    config = config or {}
    if 'ETCD_INITIAL_CLUSTER' in config or not any(k in config for k in DISCOVERED_BY):
        return {}
    return dict((k, config[k]) for k in DISCOVERY_KEYS if k in config)


def started_with(config):
    config = config or {}
    if 'ETCD_INITIAL_CLUSTER' not in config and not any(k in config for k in DISCOVERED_BY):
        return {}
    kept = dict((k, config[k]) for k in INITIAL_KEYS if k in config)
    kept.update(discovery_kept(config))
    return kept
