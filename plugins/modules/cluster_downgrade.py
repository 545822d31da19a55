#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) quorum.etcd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: cluster_downgrade
short_description: Enable or cancel the downgrade of an etcd cluster to the previous minor version
version_added: 0.1.0
description:
  - Drives etcd's downgrade job (etcd 3.6 and later), like C(etcdctl downgrade validate), C(enable) and C(cancel).
  - With O(state=enabled), asks etcd to validate the downgrade to O(version) and then enables it; etcd then runs the
    cluster with the older minor version's protocol and migrates every member's storage to it. The module waits
    until every endpoint in O(endpoints) reports that storage version, for up to O(wait_timeout) seconds; only then
    may the members be restarted, one at a time, with the older release.
  - Changes nothing when the downgrade to O(version) is already enabled, or already done (the cluster version is
    O(version) and no downgrade job runs, as etcd ends the job once every member runs the older release).
  - With O(state=absent), cancels a running downgrade job; members already on the older release must then be
    restarted with the newer one.
  - Fails, changing nothing, when a downgrade to another version runs, or when etcd refuses the validation (it
    accepts only the minor version right below the cluster version).
author:
  - quorum.etcd contributors (@quorum-etcd)
extends_documentation_fragment:
  - quorum.etcd.etcd
attributes:
  check_mode:
    description: Reads the cluster version and the downgrade job of every endpoint, and reports what it would do.
    support: full
  diff_mode:
    description: Returns the downgrade job before and after.
    support: full
options:
  version:
    description:
      - The minor version to downgrade to, V(3.5) or a release of it such as V(3.5.35) (only the minor counts).
    type: str
    required: true
  state:
    description:
      - V(enabled) validates and enables the downgrade, then waits for the storage versions.
      - V(absent) cancels a running downgrade job.
    type: str
    choices: [enabled, absent]
    default: enabled
  wait_timeout:
    description: Seconds to wait until every endpoint reports the target storage version.
    type: int
    default: 60
seealso:
  - module: quorum.etcd.cluster_info
  - name: Downgrade etcd from v3.6 to v3.5
    description: The procedure this module does the first steps of.
    link: https://etcd.io/docs/v3.6/downgrades/downgrade_3_6/
'''

EXAMPLES = r'''
- name: Enable the downgrade to 3.5 and wait until every member's storage is 3.5
  quorum.etcd.cluster_downgrade:
    endpoints: [https://10.0.0.11:2379, https://10.0.0.12:2379, https://10.0.0.13:2379]
    ca_cert: /etc/etcd/pki/ca.crt
    client_cert: /etc/etcd/pki/admin.crt
    client_key: /etc/etcd/pki/admin.key
    version: "3.5"
  register: downgrade

- name: Cancel it
  quorum.etcd.cluster_downgrade:
    endpoints: [https://10.0.0.11:2379]
    version: "3.5"
    state: absent
'''

RETURN = r'''
actions:
  description: What the module did, or would do in check mode.
  returned: always
  type: list
  elements: str
  sample: ["Validated the downgrade to 3.5.", "Enabled the downgrade to 3.5."]
cluster_version:
  description: The cluster version etcd reports after the module ran.
  returned: always
  type: str
  sample: 3.5.0
downgrade:
  description: The downgrade job as the first endpoint reports it after the module ran.
  returned: always
  type: dict
  sample: {enabled: true, target_version: 3.5.0}
storage_versions:
  description: The storage version each endpoint reports, by endpoint.
  returned: always
  type: dict
  sample: {"https://10.0.0.11:2379": 3.5.0}
'''

import re
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.quorum.etcd.plugins.module_utils.etcd_client import (
    ETCD_REQUIRED_TOGETHER,
    EtcdClient,
    EtcdError,
    etcd_argument_spec,
)


def _minor(version):
    found = re.match(r'^(\d+)\.(\d+)(\.\d+)?$', str(version or ''))
    return '%s.%s' % found.groups()[:2] if found else None


def _read(client, endpoints):
    statuses = [client.status(endpoint) for endpoint in endpoints]
    cluster = client.version(endpoints[0]).get('etcdcluster')
    return statuses, cluster


def main():
    argument_spec = etcd_argument_spec()
    argument_spec.update(
        version=dict(type='str', required=True),
        state=dict(type='str', default='enabled', choices=['enabled', 'absent']),
        wait_timeout=dict(type='int', default=60),
    )
    module = AnsibleModule(argument_spec=argument_spec, required_together=ETCD_REQUIRED_TOGETHER,
                           supports_check_mode=True)
    params = module.params
    result = dict(changed=False, actions=[], cluster_version=None, downgrade=None, storage_versions={})

    def fail(msg):
        module.fail_json(msg=msg, **result)

    target = _minor(params['version'])
    if target is None:
        fail('version must be a minor version like 3.5 or a release like 3.5.35, got %r.' % params['version'])
    client = EtcdClient(params)
    endpoints = client.endpoints

    def note(statuses, cluster):
        result['cluster_version'] = cluster
        result['downgrade'] = dict(enabled=statuses[0]['downgrade_enabled'], target_version=statuses[0]['downgrade_target'])
        result['storage_versions'] = dict((s['endpoint'], s['storage_version']) for s in statuses)

    try:
        statuses, cluster = _read(client, endpoints)
        note(statuses, cluster)
        before = dict(result['downgrade'])
        running = [s for s in statuses if s['downgrade_enabled']]
        other = [s for s in running if _minor(s['downgrade_target']) != target]
        if params['state'] == 'absent':
            if running:
                result['changed'] = True
                result['actions'].append('%s the downgrade to %s.' % ('Would cancel' if module.check_mode else 'Cancelled',
                                                                      running[0]['downgrade_target']))
                if not module.check_mode:
                    client.downgrade('CANCEL')
                    note(*_read(client, endpoints))
        else:
            if other:
                fail('A downgrade to %s runs on the cluster, not to %s: cancel it first (state: absent).'
                     % (other[0]['downgrade_target'], target))
            done = not running and _minor(cluster) == target
            if not running and not done:
                if module.check_mode:
                    result['actions'].append('Would validate and enable the downgrade to %s.' % target)
                else:
                    client.downgrade('VALIDATE', target)
                    result['actions'].append('Validated the downgrade to %s.' % target)
                    client.downgrade('ENABLE', target)
                    result['actions'].append('Enabled the downgrade to %s.' % target)
                result['changed'] = True
            if not module.check_mode and not done:
                deadline = time.time() + params['wait_timeout']
                while True:
                    statuses, cluster = _read(client, endpoints)
                    behind = [s for s in statuses if _minor(s['storage_version']) != target]
                    if not behind or time.time() > deadline:
                        break
                    time.sleep(0.5)
                note(statuses, cluster)
                if behind:
                    fail('The downgrade to %s is enabled, but after %d seconds %s still report%s storage version %s: '
                         'check their logs before any member is restarted with the older release.'
                         % (target, params['wait_timeout'], ', '.join(s['endpoint'] for s in behind),
                            's' if len(behind) == 1 else '',
                            ', '.join(sorted(set(str(s['storage_version']) for s in behind)))))
    except EtcdError as e:
        fail('The downgrade of the etcd cluster to %s failed: %s' % (target, e))
    if module._diff:
        result['diff'] = dict(before=before, after=result['downgrade'])
    module.exit_json(**result)


if __name__ == '__main__':
    main()
