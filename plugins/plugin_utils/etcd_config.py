# -*- coding: utf-8 -*-
# Copyright (c) quorum.etcd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What each etcd minor version accepts in its configuration, as data.

SETTINGS is the one place that says which ETCD_* settings a minor version added or removed, and
what replaces a removed one; FEATURE_GATES maps 3.6's feature gates to the experimental settings
3.5 had for the same thing. The server role renders feature gates for the version it deploys
(feature_gate_config) and refuses, in preflight, an etcd_extra_config that the version would not
accept (config_problems). The upgrade rules read the same table (plugins/plugin_utils/upgrade_problems.py).
The table was read off `etcd --help` of 3.5.35, 3.6.16 and 3.7.3 and etcd's 3.6 and 3.7 guides.

The filters are documented in plugins/filter/etcd_config.py."""

from __future__ import annotations

import re

from ansible.errors import AnsibleFilterError
from ansible_collections.quorum.etcd.plugins.plugin_utils.started_with import DISCOVERY_KEYS, INITIAL_KEYS

# Settings whose acceptance differs between the minor versions the collection deploys (3.5 to 3.7).
#   since:   the first minor version that accepts it (None: every one)
#   removed: the first minor version that no longer accepts it (None: still accepted)
#   use:     what replaces it
# A setting that is not listed is accepted by 3.5, 3.6 and 3.7 alike.
_RENAMED_IN_3_6 = (
    'BOOTSTRAP_DEFRAG_THRESHOLD_MEGABYTES', 'COMPACT_HASH_CHECK_TIME', 'COMPACTION_BATCH_LIMIT',
    'COMPACTION_SLEEP_INTERVAL', 'CORRUPT_CHECK_TIME', 'DISTRIBUTED_TRACING_ADDRESS',
    'DISTRIBUTED_TRACING_INSTANCE_ID', 'DISTRIBUTED_TRACING_SAMPLING_RATE', 'DISTRIBUTED_TRACING_SERVICE_NAME',
    'DOWNGRADE_CHECK_TIME', 'MEMORY_MLOCK', 'PEER_SKIP_CLIENT_SAN_VERIFICATION', 'WARNING_APPLY_DURATION',
    'WATCH_PROGRESS_NOTIFY_INTERVAL',
)
# Feature gates of etcd 3.6 and later, and the experimental 3.5 setting that does the same.
FEATURE_GATES = {
    'CompactHashCheck': 'ETCD_EXPERIMENTAL_COMPACT_HASH_CHECK_ENABLED',
    'InitialCorruptCheck': 'ETCD_EXPERIMENTAL_INITIAL_CORRUPT_CHECK',
    'LeaseCheckpoint': 'ETCD_EXPERIMENTAL_ENABLE_LEASE_CHECKPOINT',
    'LeaseCheckpointPersist': 'ETCD_EXPERIMENTAL_ENABLE_LEASE_CHECKPOINT_PERSIST',
    'StopGRPCServiceOnDefrag': 'ETCD_EXPERIMENTAL_STOP_GRPC_SERVICE_ON_DEFRAG',
    'TxnModeWriteWithSharedBuffer': 'ETCD_EXPERIMENTAL_TXN_MODE_WRITE_WITH_SHARED_BUFFER',
    'SetMemberLocalAddr': None,  # new in 3.6, no 3.5 equivalent
}

SETTINGS = dict(
    [('ETCD_' + name, dict(since=None, removed='3.6', use=None))
     for name in ('ENABLE_V2', 'EXPERIMENTAL_ENABLE_V2V3', 'PROXY', 'PROXY_FAILURE_WAIT', 'PROXY_REFRESH_INTERVAL',
                  'PROXY_DIAL_TIMEOUT', 'PROXY_WRITE_TIMEOUT', 'PROXY_READ_TIMEOUT')]
    + [('ETCD_EXPERIMENTAL_' + name, dict(since=None, removed='3.7', use='ETCD_' + name)) for name in _RENAMED_IN_3_6]
    + [('ETCD_' + name, dict(since='3.6', removed=None, use='ETCD_EXPERIMENTAL_' + name)) for name in _RENAMED_IN_3_6]
    + [(setting, dict(since=None, removed='3.7', use='etcd_feature_gates: {%s: true}' % gate))
       for gate, setting in FEATURE_GATES.items() if setting]
    + [('ETCD_EXPERIMENTAL_SNAPSHOT_CATCHUP_ENTRIES', dict(since='3.6', removed='3.7', use='ETCD_SNAPSHOT_CATCHUP_ENTRIES')),
       ('ETCD_SNAPSHOT_CATCHUP_ENTRIES', dict(since='3.6', removed=None, use=None)),
       ('ETCD_EXPERIMENTAL_WARNING_UNARY_REQUEST_DURATION',
        dict(since='3.6', removed='3.7', use='ETCD_WARNING_UNARY_REQUEST_DURATION')),
       ('ETCD_WARNING_UNARY_REQUEST_DURATION', dict(since='3.6', removed=None, use=None)),
       ('ETCD_FEATURE_GATES', dict(since='3.6', removed=None, use='etcd_feature_gates')),
       ('ETCD_LOG_FORMAT', dict(since='3.6', removed=None, use=None)),
       ('ETCD_MAX_LEARNERS', dict(since='3.6', removed=None, use=None))]
    + [('ETCD_DISCOVERY_' + name, dict(since='3.6', removed=None, use=None))
       for name in ('ENDPOINTS', 'TOKEN', 'DIAL_TIMEOUT', 'REQUEST_TIMEOUT', 'KEEPALIVE_TIME', 'KEEPALIVE_TIMEOUT',
                    'INSECURE_TRANSPORT', 'INSECURE_SKIP_TLS_VERIFY', 'CERT', 'KEY', 'CACERT', 'USER', 'PASSWORD')]
)

_RELEASE = re.compile(r'(\d+)\.(\d+)\.(\d+)')


def _minor(version):
    found = _RELEASE.fullmatch(str(version))
    if not found:
        raise AnsibleFilterError('expected an etcd release X.Y.Z such as 3.6.16, got %r' % (version,))
    return int(found.group(1)), int(found.group(2))


def _parse_minor(text):
    return tuple(int(part) for part in text.split('.')) if text else None


def accepts(setting, version):
    """Whether etcd ``version`` accepts the ETCD_* ``setting``."""
    rule = SETTINGS.get(setting)
    if rule is None:
        return True
    minor = _minor(version)
    since, removed = _parse_minor(rule['since']), _parse_minor(rule['removed'])
    return (since is None or minor >= since) and (removed is None or minor < removed)


def _why(setting, version):
    rule = SETTINGS[setting]
    minor = '%d.%d' % _minor(version)
    when = ('added in %s' % rule['since']) if rule['since'] and _minor(version) < _parse_minor(rule['since']) \
        else ('removed in %s' % rule['removed'])
    instead = (': use %s instead' % rule['use']) if rule['use'] else ''
    return '%s is not accepted by etcd %s (%s)%s' % (setting, minor, when, instead)


# The settings the server role writes to bootstrap a member (etcd.conf.j2, plugins/plugin_utils/started_with.py).
BOOTSTRAP_SETTINGS = INITIAL_KEYS + DISCOVERY_KEYS + ('ETCD_DISCOVERY',)


def config_problems(settings, version, feature_gates=None):
    if not isinstance(settings, dict):
        raise AnsibleFilterError('config_problems expects a mapping of ETCD_* setting to value, got %r' % (settings,))
    if not _RELEASE.fullmatch(str(version)):
        return ['etcd_version %r is not an exact etcd release X.Y.Z such as 3.6.16.' % (str(version),)]
    problems = []
    for setting in sorted(settings):
        if not str(setting).startswith('ETCD_'):
            problems.append('%s is not an etcd setting: etcd_extra_config takes ETCD_* variables such as '
                            'ETCD_CORRUPT_CHECK_TIME.' % setting)
        elif setting in BOOTSTRAP_SETTINGS:
            problems.append('%s is written by the role for a member\'s first start (etcd_bootstrap, the cluster\'s '
                            'plan): remove it from etcd_extra_config; etcd refuses an initial cluster beside '
                            'discovery settings.' % setting)
        elif setting == 'ETCD_FEATURE_GATES':
            problems.append('ETCD_FEATURE_GATES is written by the role from etcd_feature_gates, for the version it '
                            'deploys: set etcd_feature_gates instead of etcd_extra_config.')
        elif not accepts(setting, version):
            problems.append(_why(setting, version) + ', in etcd_extra_config.')
    for gate, enabled in sorted((feature_gates or {}).items()):
        if gate not in FEATURE_GATES:
            problems.append('etcd_feature_gates: %s is not a feature gate quorum.etcd knows (%s).'
                            % (gate, ', '.join(sorted(FEATURE_GATES))))
        elif not isinstance(enabled, bool):
            problems.append('etcd_feature_gates: %s must be true or false, got %r.' % (gate, enabled))
        elif _minor(version) < (3, 6) and FEATURE_GATES[gate] is None:
            problems.append('etcd_feature_gates: %s needs etcd 3.6 or later; etcd %d.%d has no such setting.'
                            % ((gate,) + _minor(version)))
    return problems


def feature_gate_config(feature_gates, version):
    """The ETCD_* settings that turn ``feature_gates`` on or off for etcd ``version``: ETCD_FEATURE_GATES on
    3.6 and later, the experimental settings on 3.5. Gates config_problems refuses are left out."""
    gates = dict((gate, enabled) for gate, enabled in (feature_gates or {}).items()
                 if gate in FEATURE_GATES and isinstance(enabled, bool))
    if not gates:
        return {}
    if _minor(version) >= (3, 6):
        return {'ETCD_FEATURE_GATES': ','.join('%s=%s' % (gate, str(gates[gate]).lower()) for gate in sorted(gates))}
    return dict((FEATURE_GATES[gate], str(enabled).lower()) for gate, enabled in gates.items() if FEATURE_GATES[gate])
