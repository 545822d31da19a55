#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) quorum.etcd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: discovery
short_description: Prepare a token of etcd's v3 discovery service for a new cluster's bootstrap
version_added: 0.2.0
description:
  - etcd 3.6 and later can bootstrap a new cluster through another etcd cluster, the discovery service
    (C(--discovery-endpoints), C(--discovery-token)). Each new member registers under
    C(/_etcd/registry/<token>/members/) there and waits until as many members as the token's size have registered.
  - With O(state=present), writes the token's size (C(/_etcd/registry/<token>/_config/size)) when it is missing and
    checks what is registered, before any member starts; with O(state=absent), deletes the token's keys.
  - Fails, changing nothing, when the token's size differs from O(size), or when a member that is not one of
    O(members) has registered under the token (the token was used for another cluster).
  - The connection options (O(endpoints), O(ca_cert) and the others) reach the discovery service, not the new
    cluster; the module is not in the collection's action group, so a C(module_defaults) for the cluster does not
    reach it.
author:
  - quorum.etcd contributors (@quorum-etcd)
extends_documentation_fragment:
  - quorum.etcd.etcd
attributes:
  check_mode:
    description: Reads the token and reports whether its size would be written or its keys deleted.
    support: full
  diff_mode:
    description: Nothing to show; the size and the registrations are in the result.
    support: none
options:
  token:
    description: The discovery token, one per cluster (etcd's C(--discovery-token)).
    type: str
    required: true
  size:
    description: The number of members that bootstrap the cluster, with O(state=present).
    type: int
  members:
    description:
      - The members that bootstrap, each as C(name=peer URL), as they register.
      - When set, a registered member that is not one of them fails the module.
    type: list
    elements: str
    default: []
  state:
    description: V(present) prepares the token, V(absent) deletes its size and registrations.
    type: str
    choices: [present, absent]
    default: present
seealso:
  - name: etcd's clustering guide, discovery
    description: How members bootstrap through a discovery service.
    link: https://etcd.io/docs/v3.6/op-guide/clustering/
'''

EXAMPLES = r'''
- name: Prepare the token for three members
  quorum.etcd.discovery:
    endpoints: [https://10.0.0.5:2379]
    ca_cert: /etc/etcd/discovery-ca.crt
    token: etcd-cluster
    size: 3
    members:
      - etcd-1=https://10.0.0.11:2380
      - etcd-2=https://10.0.0.12:2380
      - etcd-3=https://10.0.0.13:2380

- name: Forget the token once the cluster runs
  quorum.etcd.discovery:
    endpoints: [https://10.0.0.5:2379]
    ca_cert: /etc/etcd/discovery-ca.crt
    token: etcd-cluster
    state: absent
'''

RETURN = r'''
size:
  description: The token's size in the discovery service after the run (0 when it has none).
  returned: always
  type: int
registered:
  description: The members registered under the token, each C(name=peer URL), in the order they registered.
  returned: always
  type: list
  elements: str
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

REGISTRY = '/_etcd/registry/'


def _validate(module):
    p = module.params
    problems = []
    if not p['token'] or '/' in p['token']:
        problems.append('token %r must be a non-empty name without /' % p['token'])
    if p['state'] == 'present' and (p['size'] is None or p['size'] < 1):
        problems.append('state=present needs size, the number of members that bootstrap (at least 1), not %s'
                        % p['size'])
    if p['members'] and p['size'] is not None and len(p['members']) != p['size']:
        problems.append('members lists %d members and size is %d' % (len(p['members']), p['size']))
    bad = [m for m in p['members'] if '=' not in m]
    if bad:
        problems.append('each of members is name=peer URL; not: %s' % ', '.join(bad))
    if problems:
        module.fail_json(msg='discovery token %s: %s; nothing was changed.' % (p['token'], '; '.join(problems)))


def _registered(client, token):
    """Each registered member's name=peer URL entries, in the order they registered."""
    found = sorted(client.range(REGISTRY + token + '/members/'), key=lambda kv: kv['create_revision'])
    return [entry for kv in found for entry in kv['value'].split(',') if entry]


def main():
    argument_spec = etcd_argument_spec()
    argument_spec.update(
        token=dict(type='str', required=True, no_log=False),
        size=dict(type='int'),
        members=dict(type='list', elements='str', default=[]),
        state=dict(type='str', choices=['present', 'absent'], default='present'),
    )
    module = AnsibleModule(argument_spec=argument_spec, required_together=ETCD_REQUIRED_TOGETHER,
                           supports_check_mode=True)
    _validate(module)
    p = module.params
    token = p['token']
    size_key = REGISTRY + token + '/_config/size'
    client = EtcdClient(p)
    try:
        if p['state'] == 'absent':
            keys = client.range(REGISTRY + token + '/')
            if keys and not module.check_mode:
                client.delete(REGISTRY + token + '/', prefix=True)
            module.exit_json(changed=bool(keys), deleted=len(keys), size=0, registered=[])
        current = client.get(size_key)
        registered = _registered(client, token)
        problems = []
        if current is not None and current != str(p['size']):
            problems.append('the discovery service holds size %s for it, this cluster bootstraps %d member%s'
                            % (current, p['size'], '' if p['size'] == 1 else 's'))
        strangers = [m for m in registered if p['members'] and m not in p['members']]
        if strangers:
            problems.append('members that are not this cluster\'s registered under it: %s' % ', '.join(strangers))
        if problems:
            module.fail_json(msg='discovery token %s: %s. A token bootstraps one cluster once: choose another '
                                 'etcd_discovery_token, or delete %s%s/ in the discovery service if that cluster '
                                 'is gone; nothing was changed.' % (token, '; '.join(problems), REGISTRY, token),
                             size=_size(current), registered=registered)
        changed = current is None
        if changed and not module.check_mode:
            # Only where no other run wrote it first.
            written, revision = client.put_if(size_key, str(p['size']), {'create_revision': 0})
            if not written and client.get(size_key) != str(p['size']):
                module.fail_json(msg='discovery token %s: another run wrote a different size meanwhile (%s); '
                                     'nothing was changed.' % (token, client.get(size_key)))
            changed = written
        module.exit_json(changed=changed, size=p['size'], registered=registered)
    except EtcdError as error:
        module.fail_json(msg='discovery token %s: the discovery service at %s did not answer: %s'
                             % (token, ', '.join(p['endpoints']), error))


def _size(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


if __name__ == '__main__':
    main()
