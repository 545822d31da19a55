#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) quorum.etcd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: leader
short_description: Move the leadership of an etcd cluster to another member
version_added: 0.1.0
description:
  - Hands the leadership of an etcd cluster to a chosen member (O(to)), or away from a member (O(away_from)), for
    example before that member is restarted or its host is maintained, like C(etcdctl move-leader).
  - Finds the leader by asking the status of O(endpoints) and of the client URLs the members advertise, and sends
    the move-leader request to the leader's own client URL, the only member etcd accepts it from.
  - Waits until the new leader reports that it leads, for up to O(wait_timeout) seconds.
  - Changes nothing when the leader already is O(to), or already is not O(away_from).
  - Fails, changing nothing, when no member matches O(to) or O(away_from), or when no member can take over.
  - Only a started, healthy voting member can take over; a member is healthy when one of the client URLs it
    advertises answers C(/health) with true. The host that runs the module must reach the members' advertised client
    URLs.
author:
  - quorum.etcd contributors (@quorum-etcd)
extends_documentation_fragment:
  - quorum.etcd.etcd
attributes:
  check_mode:
    description: The module finds the leader and the member that would take over, and reports them without moving
      the leadership.
    support: full
  diff_mode:
    description: Returns the name and ID of the leader before and after.
    support: full
options:
  state:
    description:
      - V(transferred) moves the leadership as O(to) or O(away_from) say.
    type: str
    choices: [transferred]
    default: transferred
  to:
    description:
      - The member that must lead, by name or, when no member has that name, by member ID in hex.
      - It must be a started, healthy voting member (not a learner).
    type: str
  away_from:
    description:
      - The member that must not lead, by name or, when no member has that name, by member ID in hex.
      - When it leads, leadership goes to the healthy, started voting member with the highest raft index (the one
        most up to date) among the others.
    type: str
  wait_timeout:
    description:
      - Seconds to wait for a leader to be known before the move, and for the new leader to take over after it.
      - Named so because O(timeout) is the time limit of each HTTP request.
    type: int
    default: 30
seealso:
  - module: quorum.etcd.cluster_info
  - module: quorum.etcd.member
  - name: etcdctl move-leader
    description: The etcdctl command this module does the work of.
    link: https://etcd.io/docs/v3.5/op-guide/maintenance/
'''

EXAMPLES = r'''
- name: Move the leadership away from the member about to be restarted
  quorum.etcd.leader:
    endpoints: [https://10.0.0.11:2379, https://10.0.0.12:2379, https://10.0.0.13:2379]
    ca_cert: /etc/etcd/pki/ca.crt
    client_cert: /etc/etcd/pki/client.crt
    client_key: /etc/etcd/pki/client.key
    away_from: "{{ inventory_hostname }}"
  register: moved

- name: Show who leads now
  ansible.builtin.debug:
    msg: "{{ moved.leader_before.name }} led, {{ moved.leader.name }} leads"

- name: Make etcd1 the leader
  quorum.etcd.leader:
    to: etcd1

- name: Make the member with this ID the leader
  quorum.etcd.leader:
    to: 8e9e05c52164694d
'''

RETURN = r'''
leader_before:
  description: The leader found before the move.
  returned: always
  type: dict
  contains:
    id:
      description: Member ID in hex.
      type: str
      sample: 8e9e05c52164694d
    name:
      description: Member name.
      type: str
      sample: etcd2
leader:
  description: The leader after the move; in check mode, the member that would lead.
  returned: always
  type: dict
  contains:
    id:
      description: Member ID in hex.
      type: str
      sample: 91bc3c398fb3c146
    name:
      description: Member name.
      type: str
      sample: etcd1
actions:
  description: What was done, or in check mode what would be done; empty when the leadership was already right.
  returned: always
  type: list
  elements: str
  sample: ["Transferred leadership from etcd2 (ID 8e9e05c52164694d) to etcd1 (ID 91bc3c398fb3c146)."]
'''

import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.quorum.etcd.plugins.module_utils.etcd_client import (
    ETCD_REQUIRED_TOGETHER,
    EtcdClient,
    EtcdError,
    etcd_argument_spec,
    id_from_hex,
    id_to_hex,
)


def _find(members, ref):
    """The member called ``ref``, or else whose hex ID is ``ref``; None when there is none."""
    for member in members:
        if member['name'] == ref:
            return member
    try:
        wanted = id_to_hex(id_from_hex(ref))
    except EtcdError:
        return None
    for member in members:
        if member['id'] == wanted:
            return member
    return None


def _short(member):
    return dict(id=member['id'], name=member['name'])


def _describe(member):
    return '%s (ID %s)' % (member['name'], member['id'])


def main():
    argument_spec = etcd_argument_spec()
    argument_spec.update(
        state=dict(type='str', default='transferred', choices=['transferred']),
        to=dict(type='str'),
        away_from=dict(type='str'),
        wait_timeout=dict(type='int', default=30),
    )
    module = AnsibleModule(argument_spec=argument_spec, required_together=ETCD_REQUIRED_TOGETHER,
                           mutually_exclusive=[['to', 'away_from']], required_one_of=[['to', 'away_from']],
                           supports_check_mode=True)
    params = module.params
    result = dict(changed=False, actions=[], leader_before=None, leader=None)

    def fail(msg):
        module.fail_json(msg=msg, **result)

    client = EtcdClient(params)
    try:
        members = client.member_list()
    except EtcdError as e:
        fail('Could not list the members of the etcd cluster: %s. Check that etcd runs there and that endpoints, '
             'ca_cert, client_cert and client_key are right.' % e)
    ref = params['to'] or params['away_from']
    named = _find(members, ref)
    if named is None:
        fail('No member of the cluster is called %s or has that ID; the members are %s.'
             % (ref, ', '.join('%s (ID %s)' % (m['name'] or '(not started)', m['id']) for m in members)))

    try:
        deadline = time.time() + params['wait_timeout']
        leader = client.find_leader(members)
        while leader is None and time.time() < deadline:
            time.sleep(0.5)
            leader = client.find_leader(members)
        if leader is None:
            fail('No etcd member knows a leader after %d seconds: the cluster has lost quorum or cannot elect one. '
                 'Check the members with quorum.etcd.cluster_info.' % params['wait_timeout'])
        result['leader_before'] = result['leader'] = dict(id=leader['id'], name=leader['name'])

        if params['to']:
            if leader['id'] == named['id']:
                module.exit_json(**result)
            if named['is_learner'] or not named['started']:
                fail('Cannot make %s the leader: only a started voting member can lead, and it %s.'
                     % (_describe(named) if named['started'] else 'member %s' % named['id'],
                        'is a learner' if named['started'] else 'has not started yet'))
            health = client.member_health(named)
            if not health['health']:
                fail('Cannot make %s the leader: it is not healthy (%s).' % (_describe(named), health['reason']))
            successor = named
        else:
            if leader['id'] != named['id']:
                module.exit_json(**result)
            successor = client.best_transferee(members, exclude_id=named['id'])
            if successor is None:
                fail('Cannot move the leadership away from %s: no other started voting member is healthy and '
                     'answers its status.' % _describe(named))

        text = 'leadership from %s to %s' % (_describe(leader), _describe(successor))
        result['changed'] = True
        result['leader'] = _short(successor)
        if module._diff:
            result['diff'] = dict(before=dict(leader=leader['name'], leader_id=leader['id']),
                                  after=dict(leader=successor['name'], leader_id=successor['id']))
        if leader['endpoint'] is None:
            fail('Cannot transfer %s: the leader answers on none of the client URLs it advertises (%s), and etcd '
                 'only accepts move-leader from the leader.' % (text, ', '.join(
                     [u for m in members if m['id'] == leader['id'] for u in m['client_urls']])))
        if module.check_mode:
            result['actions'].append('Would transfer %s.' % text)
            module.exit_json(**result)
        client.transfer_leadership(successor, members, timeout=params['wait_timeout'])
    except EtcdError as e:
        # Report the leader as it is now: the move may have happened although the answer says otherwise.
        try:
            now = client.find_leader(members)
        except EtcdError:
            now = None
        result['leader'] = dict(id=now['id'], name=now['name']) if now else None
        result['changed'] = bool(now and result['leader_before'] and now['id'] != result['leader_before']['id'])
        fail('Could not move the leadership of the etcd cluster: %s' % e)
    result['actions'].append('Transferred %s.' % text)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
