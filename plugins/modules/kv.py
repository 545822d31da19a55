#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) quorum.etcd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: kv
short_description: Read, write and delete keys of an etcd cluster
version_added: 0.1.0
description:
  - Reads (O(state=read)), writes (O(state=present)) and deletes (O(state=absent)) keys through etcd's v3 API, one
    key or every key under a prefix (O(prefix=true)), as C(etcdctl get), C(put) and C(del) do.
  - O(state=present) reads the key first and writes only a different value, so a second run changes nothing.
  - With O(ttl), the key is written with a lease of that many seconds and is gone once it expires; a key that already
    has the value and a lease is left as it is.
  - With O(compare), the write happens only if the key's current value, version or revision is the one given, in one
    transaction (a compare-and-swap); RV(swapped) says whether it did. The key is then written even when it already
    has the value.
  - Needs no Python package beyond the standard library, on the host that runs it.
author:
  - quorum.etcd contributors (@quorum-etcd)
extends_documentation_fragment:
  - quorum.etcd.etcd
attributes:
  check_mode:
    description: Reads the key and reports whether it would be written or deleted, changing nothing; a compare is
      evaluated against the value read.
    support: full
  diff_mode:
    description: The value (or, with O(prefix=true), the keys and values) before and after.
    support: full
options:
  key:
    description: The key, or with O(prefix=true) the prefix of the keys.
    type: str
    required: true
  value:
    description: The value to write, with O(state=present).
    type: str
  state:
    description: V(present) writes O(value), V(absent) deletes, V(read) only reads (RV(kvs)).
    type: str
    choices: [present, absent, read]
    default: present
  prefix:
    description: With V(read) or V(absent), every key that starts with O(key).
    type: bool
    default: false
  ttl:
    description: Seconds the key lives after it is written (a lease); with O(state=present).
    type: int
  compare:
    description:
      - Write only when the key's current C(value), C(version), C(mod_revision) or C(create_revision) equals the one
        given (one of them). A key that does not exist has version, mod_revision and create_revision 0.
    type: dict
seealso:
  - plugin: quorum.etcd.kv
    plugin_type: lookup
    description: Reads keys in templates and variables.
'''

EXAMPLES = r'''
- name: Set the feature flag, only when it differs
  quorum.etcd.kv:
    endpoints: [https://10.0.0.11:2379]
    ca_cert: /etc/etcd/pki/ca.crt
    client_cert: /etc/etcd/pki/admin.crt
    client_key: /etc/etcd/pki/admin.key
    key: /config/feature-x
    value: "on"

- name: Take the job, unless another host took it (the key must not exist yet)
  quorum.etcd.kv:
    key: /jobs/nightly/owner
    value: "{{ inventory_hostname }}"
    ttl: 3600
    compare: {create_revision: 0}
  register: job

- name: Read everything under /config/
  quorum.etcd.kv:
    key: /config/
    prefix: true
    state: read
  register: config
'''

RETURN = r'''
kvs:
  description: The keys read (before any change), each C(key), C(value), C(create_revision), C(mod_revision),
    C(version) and C(lease) (its ID, 0 for none).
  returned: always
  type: list
  elements: dict
revision:
  description: The store's revision after the module's request.
  returned: always
  type: int
swapped:
  description: With O(compare), whether the compare held and the key was (or, in check mode, would be) written.
  returned: when O(compare) is set
  type: bool
deleted:
  description: How many keys were (or would be) deleted, with O(state=absent).
  returned: when O(state=absent)
  type: int
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.quorum.etcd.plugins.module_utils.etcd_client import (
    ETCD_REQUIRED_TOGETHER,
    EtcdClient,
    EtcdError,
    etcd_argument_spec,
)

COMPARABLE = ('value', 'version', 'mod_revision', 'create_revision')


def _validate(module):
    p = module.params
    problems = []
    if p['state'] == 'present' and p['value'] is None:
        problems.append('state=present needs value')
    if p['prefix'] and p['state'] == 'present':
        problems.append('prefix=true goes with state read or absent: a value is written to one key')
    if p['ttl'] is not None and (p['state'] != 'present' or p['ttl'] < 1):
        problems.append('ttl is a number of seconds (at least 1) for state=present, not %s with state=%s'
                        % (p['ttl'], p['state']))
    if p['compare'] is not None:
        if p['state'] != 'present':
            problems.append('compare goes with state=present')
        elif len(p['compare']) != 1 or list(p['compare'])[0] not in COMPARABLE:
            problems.append('compare takes one of %s, not %s' % (', '.join(COMPARABLE), sorted(p['compare'])))
        elif list(p['compare'])[0] != 'value':
            try:
                int(list(p['compare'].values())[0])
            except (TypeError, ValueError):
                problems.append('compare %s must be a number, not %r' % tuple(p['compare'].items())[0])
    if not p['key']:
        problems.append('key must not be empty')
    if problems:
        module.fail_json(msg='; '.join(problems) + '; nothing was changed.')


def _holds(compare, current):
    (target, expected), = compare.items()
    if current is None:
        return target != 'value' and int(expected) == 0
    return str(current[target]) == str(expected)


def _text(kvs, prefix):
    """What the diff shows: the value of the key, or each key=value under the prefix."""
    return ''.join(('%s=%s\n' % (kv['key'], kv['value'])) if prefix else kv['value'] + '\n' for kv in kvs)


def main():
    argument_spec = etcd_argument_spec()
    argument_spec.update(
        key=dict(type='str', required=True, no_log=False),
        value=dict(type='str'),
        state=dict(type='str', choices=['present', 'absent', 'read'], default='present'),
        prefix=dict(type='bool', default=False),
        ttl=dict(type='int'),
        compare=dict(type='dict'),
    )
    module = AnsibleModule(argument_spec=argument_spec, required_together=ETCD_REQUIRED_TOGETHER,
                           supports_check_mode=True)
    _validate(module)
    p = module.params
    client = EtcdClient(p)
    result = dict(changed=False, kvs=[], revision=None)
    try:
        if p['prefix']:
            result['kvs'] = client.range(p['key'])
        else:
            current = client.get_kv(p['key'])
            result['kvs'] = [current] if current else []
        result['revision'] = client.revision()
        before = result['kvs']
        after = before
        if p['state'] == 'absent' and before:
            result.update(changed=True, deleted=len(before))
            after = []
            if not module.check_mode:
                client.delete(p['key'], prefix=p['prefix'])
                result['revision'] = client.revision()
        elif p['state'] == 'absent':
            result['deleted'] = 0
        elif p['state'] == 'present':
            current = before[0] if before else None
            if p['compare'] is not None:
                write = _holds(p['compare'], current)
            else:
                write = current is None or current['value'] != p['value'] or (p['ttl'] and not current['lease'])
            if p['compare'] is not None and not module.check_mode and write:
                lease = client.lease_grant(p['ttl']) if p['ttl'] else 0
                write, result['revision'] = client.put_if(p['key'], p['value'], p['compare'], lease)
            elif write and not module.check_mode:
                lease = client.lease_grant(p['ttl']) if p['ttl'] else 0
                result['revision'] = client.put(p['key'], p['value'], lease)
            if p['compare'] is not None:
                result['swapped'] = write
            if write:
                result['changed'] = True
                after = [dict(key=p['key'], value=p['value'])]
        if module._diff and result['changed']:
            result['diff'] = dict(before=_text(before, p['prefix']), after=_text(after, p['prefix']),
                                  before_header=p['key'], after_header=p['key'])
    except EtcdError as e:
        module.fail_json(msg='etcd refused or did not answer: %s' % e, **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
