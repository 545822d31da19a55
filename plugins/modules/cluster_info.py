#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) quorum.etcd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: cluster_info
short_description: Report the health, members, leader and versions of an etcd cluster
version_added: 0.1.0
description:
  - Asks every endpoint in O(endpoints) for its health (C(/health)), status (C(etcdctl endpoint status)) and
    version, and asks the cluster for its members and alarms.
  - Decides whether the cluster is healthy and, when it is not, says why in RV(problems).
  - The cluster counts as healthy when every endpoint answers that it is healthy, all answering endpoints agree on
    exactly one leader, every member has started, no alarm is raised, if O(expected_members) is set, exactly
    that many voting members have started and, if O(max_raft_lag) is set, every endpoint has applied the raft log
    to within that many entries of the leader.
  - An unhealthy cluster is reported, not a failure, unless O(wait=true) or no endpoint answers at all.
  - Never changes anything.
author:
  - quorum.etcd contributors (@quorum-etcd)
extends_documentation_fragment:
  - quorum.etcd.etcd
attributes:
  check_mode:
    description: The module only reads; it runs the same in check mode.
    support: full
  diff_mode:
    description: Nothing is changed, so there is no diff.
    support: none
options:
  wait:
    description:
      - Poll the cluster four times a second until it is healthy.
      - Fail after O(wait_timeout) seconds with the problems still seen; the last data is returned too.
      - Fail at once while an alarm is raised, since etcd keeps it until it is disarmed (a NOSPACE alarm by
        C(quorum.etcd.maintain)).
    type: bool
    default: false
  wait_timeout:
    description:
      - Seconds to wait for a healthy cluster when O(wait=true).
    type: int
    default: 60
  expected_members:
    description:
      - Number of started voting members (learners do not count) the cluster must have to count as healthy.
      - Use it with O(wait=true) to wait until a new member has joined, or a removed one is gone.
    type: int
  max_raft_lag:
    description:
      - Largest number of raft entries an endpoint's applied index may be behind the leader's applied index for the
        cluster to count as healthy. Every endpoint of O(endpoints) is compared, learners too.
      - The leader is read first and then each endpoint, so the time between the reads never makes a member look
        further behind than it is. A leader that is not among O(endpoints) is read through the client URLs it
        advertises.
      - Use it with O(wait=true) before and after restarting a member, so that no member is restarted while another
        one is still catching up. Each endpoint's lag is returned in RV(endpoints[].raft_lag).
      - Not set, the lag is neither measured nor checked.
    type: int
  every_member:
    description:
      - Also ask each voting member the cluster lists whose client URLs are not among O(endpoints), by its first
        client URL,
        so that a member down on a host outside the play still makes the cluster unhealthy. The health gates
        around a restart use it.
    type: bool
    default: false
    version_added: 0.2.0
  except_members:
    description:
      - With O(every_member=true), members (by name) not to ask; the member about to restart, for instance.
    type: list
    elements: str
    default: []
    version_added: 0.2.0
seealso:
  - name: etcdctl endpoint health / endpoint status / member list
    description: The etcdctl commands whose answers this module combines.
    link: https://etcd.io/docs/v3.5/op-guide/maintenance/
'''

EXAMPLES = r'''
- name: Report the state of the cluster
  quorum.etcd.cluster_info:
    endpoints:
      - https://10.0.0.11:2379
      - https://10.0.0.12:2379
      - https://10.0.0.13:2379
    ca_cert: /etc/etcd/pki/ca.crt
    client_cert: /etc/etcd/pki/client.crt
    client_key: /etc/etcd/pki/client.key
  register: etcd

- name: Show the leader
  ansible.builtin.debug:
    msg: "{{ etcd.leader.name }} ({{ etcd.leader.id }}) leads; healthy={{ etcd.healthy }}"
  when: etcd.leader is not none

- name: Wait until all three members have joined and the cluster is healthy
  quorum.etcd.cluster_info:
    endpoints: "{{ groups['etcd'] | map('regex_replace', '^(.*)$', 'https://\\1:2379') }}"
    ca_cert: /etc/etcd/pki/ca.crt
    wait: true
    wait_timeout: 120
    expected_members: 3

- name: Wait until every member has caught up with the leader (at most 100 entries behind)
  quorum.etcd.cluster_info:
    endpoints: [http://10.0.0.11:2379, http://10.0.0.12:2379, http://10.0.0.13:2379]
    wait: true
    expected_members: 3
    max_raft_lag: 100

- name: Fail unless the cluster is healthy
  quorum.etcd.cluster_info:
  register: etcd
  failed_when: not etcd.healthy
'''

RETURN = r'''
healthy:
  description: Whether the cluster is healthy (see the description); RV(problems) says why not.
  returned: always
  type: bool
  sample: true
problems:
  description: One sentence per problem found, naming the endpoint or member and what it answered.
  returned: always
  type: list
  elements: str
  sample: ["endpoint http://10.0.0.13:2379 did not answer: [Errno 111] Connection refused"]
cluster_id:
  description: The cluster ID in hex, as reported by the answering endpoints; null when none answered.
  returned: always
  type: str
  sample: 1cf5e9c1c12248ea
cluster_version:
  description: The cluster version (C(etcdcluster) of C(/version)), the version every member must at least speak.
  returned: always
  type: str
  sample: 3.5.0
auth_enabled:
  description:
    - Whether authentication is enabled on the cluster (C(etcdctl auth enable)); null when no endpoint could tell.
  returned: always
  type: bool
  sample: false
leader:
  description: The leader all answering endpoints agree on; null when there is none or they disagree.
  returned: always
  type: dict
  contains:
    id:
      description: Member ID of the leader, in hex.
      type: str
      sample: 61f97220ab052a12
    name:
      description: Name of the leader.
      type: str
      sample: etcd1
members:
  description: The members of the cluster (C(etcdctl member list)); empty when no endpoint could list them.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Member ID in hex.
      type: str
      sample: 61f97220ab052a12
    name:
      description: Member name; empty until an added member has started.
      type: str
      sample: etcd1
    peer_urls:
      description: Peer URLs of the member.
      type: list
      elements: str
      sample: ["https://10.0.0.11:2380"]
    client_urls:
      description: Client URLs the member advertises; empty until it has started.
      type: list
      elements: str
      sample: ["https://10.0.0.11:2379"]
    is_learner:
      description: Whether the member is a non-voting learner.
      type: bool
      sample: false
    started:
      description: Whether the member has started and joined (it has a name).
      type: bool
      sample: true
endpoints:
  description: What each endpoint of O(endpoints) answered, in the same order.
  returned: always
  type: list
  elements: dict
  contains:
    endpoint:
      description: The endpoint URL.
      type: str
      sample: https://10.0.0.11:2379
    healthy:
      description: Whether the endpoint answered C(/health) with true.
      type: bool
      sample: true
    error:
      description: Why the endpoint is not healthy (unreachable, or what it answered); null when healthy.
      type: str
      sample: null
    member_id:
      description: ID in hex of the member behind the endpoint; null when it did not answer.
      type: str
      sample: 61f97220ab052a12
    name:
      description: Name of the member behind the endpoint, from the member list.
      type: str
      sample: etcd1
    version:
      description: etcd server version of the member.
      type: str
      sample: 3.5.1
    db_size:
      description: Size of the member's database file in bytes.
      type: int
      sample: 20480
    db_size_in_use:
      description: Bytes of the database in use (the rest is free after compaction); null if the member does not say.
      type: int
      sample: 16384
    leader:
      description: ID in hex of the leader this member follows; null when it knows no leader.
      type: str
      sample: 61f97220ab052a12
    is_leader:
      description: Whether this member is the leader.
      type: bool
      sample: true
    is_learner:
      description: Whether this member is a learner.
      type: bool
      sample: false
    raft_term:
      description: Raft term of the member.
      type: int
      sample: 2
    raft_index:
      description: Raft index of the member.
      type: int
      sample: 8
    raft_applied_index:
      description: Raft index the member has applied.
      type: int
      sample: 8
    raft_lag:
      description:
        - Entries the member's applied index is behind the leader's, read right after the leader's; 0 for the leader.
        - Null unless O(max_raft_lag) is set, or when the leader or this member did not report its index.
      type: int
      sample: 0
    storage_version:
      description: Schema version of the member's data (etcd 3.6 and later); null when the member does not say.
      type: str
      sample: 3.6.0
    downgrade_enabled:
      description:
        - Whether this member reports a running downgrade job (etcd 3.6 and later; false on older releases).
        - etcd ends the job a few seconds after every member runs the older release.
      type: bool
      sample: false
alarms:
  description: Active alarms (C(etcdctl alarm list)).
  returned: always
  type: list
  elements: dict
  contains:
    member_id:
      description: ID in hex of the member that raised the alarm.
      type: str
      sample: 61f97220ab052a12
    alarm:
      description: The alarm, V(NOSPACE) or V(CORRUPT).
      type: str
      sample: NOSPACE
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.quorum.etcd.plugins.module_utils.cluster_view import gather, wait_until_healthy
from ansible_collections.quorum.etcd.plugins.module_utils.etcd_client import (
    ETCD_REQUIRED_TOGETHER,
    EtcdClient,
    EtcdError,
    etcd_argument_spec,
)


def main():
    argument_spec = etcd_argument_spec()
    argument_spec.update(
        wait=dict(type='bool', default=False),
        wait_timeout=dict(type='int', default=60),
        expected_members=dict(type='int'),
        max_raft_lag=dict(type='int'),
        every_member=dict(type='bool', default=False),
        except_members=dict(type='list', elements='str', default=[]),
    )
    module = AnsibleModule(argument_spec=argument_spec, required_together=ETCD_REQUIRED_TOGETHER,
                           supports_check_mode=True)
    expected = module.params['expected_members']
    if expected is not None and expected < 1:
        module.fail_json(msg='expected_members must be at least 1, got %d.' % expected)
    max_raft_lag = module.params['max_raft_lag']
    if max_raft_lag is not None and max_raft_lag < 0:
        module.fail_json(msg='max_raft_lag must be 0 or more, got %d.' % max_raft_lag)

    client = EtcdClient(module.params)
    members = dict(every_member=module.params['every_member'], except_members=module.params['except_members'])
    if module.params['wait']:
        result = wait_until_healthy(client, module.params['wait_timeout'], expected, max_raft_lag, **members)
    else:
        result = gather(client, expected, max_raft_lag, **members)
    answered = result.pop('answered')

    result['auth_enabled'] = None
    # Read through raft, like the alarms: without a leader anywhere it would only time out.
    if answered and any(endpoint['leader'] for endpoint in result['endpoints']):
        try:
            result['auth_enabled'] = client.auth_enabled()
        except EtcdError:
            pass
    if module.params['wait'] and not result['healthy']:
        module.fail_json(msg='The etcd cluster did not become healthy%s: %s'
                         % (' (an alarm is raised)' if result['alarms'] else
                            ' within %d seconds' % module.params['wait_timeout'], '; '.join(result['problems'])),
                         **result)
    if not answered:
        module.fail_json(msg='No etcd endpoint answered: %s. Check that etcd runs there and that endpoints, '
                             'ca_cert, client_cert and client_key are right.' % '; '.join(result['problems']),
                         **result)
    module.exit_json(changed=False, **result)


if __name__ == '__main__':
    main()
