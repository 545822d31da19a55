#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) quorum.etcd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: maintenance
short_description: Compact, defragment (followers first, the leader last) and disarm NOSPACE on an etcd cluster
version_added: 0.1.0
description:
  - Keeps an etcd cluster's database in shape in one call, as C(etcdctl compact), C(etcdctl defrag) and
    C(etcdctl alarm disarm) would, member by member.
  - Reads every member of O(endpoints) first. A cluster with another problem than a NOSPACE alarm (a member down, no
    leader, a CORRUPT alarm) is refused before anything changes.
  - Defragments each member whose figures meet the rule (at least O(min_free_mb) MiB and O(min_free_ratio) of
    its file free), or every member while a NOSPACE alarm is raised, one at a time, the followers first and the
    leader last, after it handed its leadership over (O(hand_over_leadership)); after each, every member must be
    healthy again (within O(wait_timeout)) before the next one. A member under the rule is skipped, with its
    figures.
  - Before the first defragmentation, with O(compact=true), compacts the history to the current revision less
    O(keep_revisions) and waits until every member has removed it (a history compacted that far already is left
    alone); the rule is then read again over the space the compaction freed. With nothing to defragment, nothing is
    compacted either, so a second run changes nothing.
  - With O(disarm=true), disarms the NOSPACE alarms once every member's file is under O(quota_bytes), and proves that
    writes succeed again (a key under C(/quorum.etcd/) is written and deleted).
author:
  - quorum.etcd contributors (@quorum-etcd)
extends_documentation_fragment:
  - quorum.etcd.etcd
attributes:
  check_mode:
    description: Reads the cluster and returns the plan (the compaction's target, each member's step and why) without
      changing anything; the figures are those before the compaction.
    support: full
  diff_mode:
    description: Nothing is shown as a diff; RV(members) has each member's figures before and after.
    support: none
options:
  compact:
    description: Compact the history before the first defragmentation, keeping the newest O(keep_revisions)
      revisions.
    type: bool
    default: true
  keep_revisions:
    description:
      - How many of the newest revisions the compaction keeps. Clients that read or watch from an older revision get
        "required revision has been compacted" afterwards.
    type: int
    default: 1000
  min_free_mb:
    description: A member is defragmented when at least this many MiB of its database file are free ...
    type: int
    default: 100
  min_free_ratio:
    description: ... and when at least this share of its file (0 to 1) is free. While a NOSPACE alarm is raised every
      member is defragmented.
    type: float
    default: 0.5
  quota_bytes:
    description:
      - The members' C(quota-backend-bytes), for each member's fill ratio and the check before a NOSPACE alarm is
        disarmed; V(0) when unknown (then the alarm is disarmed after the defragmentation whatever the sizes).
    type: int
    default: 0
  disarm:
    description: Disarm the NOSPACE alarms after the defragmentation, then prove that writes succeed again.
    type: bool
    default: true
  members:
    description: Only these members (names or hex IDs) are defragmented; all by default. The compaction is the
      cluster's.
    type: list
    elements: str
  hand_over_leadership:
    description:
      - Before the member that leads is defragmented, hand its leadership to the most caught-up other member, so
        that what only a leader serves (lease renewals among it) is not blocked for the defragmentation's length.
    type: bool
    default: true
  defrag_timeout:
    description: Seconds one member's defragmentation may take (it grows with the database).
    type: int
    default: 600
  wait_timeout:
    description: Seconds to wait for a healthy cluster after each member's defragmentation.
    type: int
    default: 60
seealso:
  - module: quorum.etcd.cluster_info
  - name: etcd maintenance
    description: etcd's guide to compaction, defragmentation and the space quota.
    link: https://etcd.io/docs/v3.6/op-guide/maintenance/
'''

EXAMPLES = r'''
- name: Compact and defragment where a third of the file is free, the leader last
  quorum.etcd.maintenance:
    endpoints: [https://10.0.0.11:2379, https://10.0.0.12:2379, https://10.0.0.13:2379]
    ca_cert: /etc/etcd/pki/ca.crt
    client_cert: /etc/etcd/pki/admin.crt
    client_key: /etc/etcd/pki/admin.key
    min_free_ratio: 0.33
    quota_bytes: 2147483648
  register: maintained
  run_once: true
'''

RETURN = r'''
revision:
  description: The store's revision when the module began.
  returned: always
  type: int
compacted_to:
  description: The revision the history was (or, in check mode, would be) compacted to; V(null) for none.
  returned: always
  type: int
members:
  description: One entry per member, in the order of the defragmentation (the leader last).
  returned: always
  type: list
  elements: dict
  contains:
    name: {description: The member's name., type: str}
    member_id: {description: The member's ID in hex., type: str}
    endpoint: {description: Where it was asked., type: str}
    is_leader: {description: Whether it led when the module began., type: bool}
    db_size: {description: Its database file's size in bytes (after the compaction)., type: int}
    db_size_in_use: {description: The bytes in use of that file., type: int}
    free_bytes: {description: C(db_size) less C(db_size_in_use)., type: int}
    free_ratio: {description: C(free_bytes) over C(db_size)., type: float}
    quota_ratio: {description: C(db_size) over O(quota_bytes); V(null) without it., type: float}
    alarms: {description: The alarms this member raised., type: list, elements: str}
    defragment: {description: Whether the rule (or NOSPACE) picked it., type: bool}
    reason: {description: "Why it was defragmented or skipped, with its figures.", type: str}
    db_size_after: {description: Its file's size after its defragmentation., type: int, returned: when defragmented}
    seconds: {description: How long its defragmentation took., type: float, returned: when defragmented}
    handed_leadership_to:
      description: The member it handed its leadership to first.
      type: str
      returned: when it led and O(hand_over_leadership=true)
alarms_disarmed:
  description: The alarms disarmed, each C(member_id) and C(alarm).
  returned: always
  type: list
  elements: dict
writes_checked:
  description: Whether a write was proven to succeed after the alarms were disarmed.
  returned: always
  type: bool
report:
  description: What was done (or, in check mode, would be), one line for the compaction, one per member and one for
    the alarms, for people to read.
  returned: always
  type: list
  elements: str
'''

import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.quorum.etcd.plugins.module_utils.cluster_view import gather, wait_until_healthy
from ansible_collections.quorum.etcd.plugins.module_utils.defrag_plan import MIB, defrag_plan, size_text
from ansible_collections.quorum.etcd.plugins.module_utils.etcd_client import (
    ETCD_REQUIRED_TOGETHER,
    EtcdClient,
    EtcdError,
    etcd_argument_spec,
)

# What the gates between members accept: the alarm this module is there to clear.
ACCEPTED_ALARMS = ('NOSPACE',)
PROBE_KEY = '/quorum.etcd/maintain-write-check'


def _validate(module):
    p = module.params
    problems = []
    if p['keep_revisions'] < 0:
        problems.append('keep_revisions must be 0 or more, not %d' % p['keep_revisions'])
    if p['min_free_mb'] < 0:
        problems.append('min_free_mb must be 0 or more, not %d' % p['min_free_mb'])
    if not 0 <= p['min_free_ratio'] <= 1:
        problems.append('min_free_ratio must be between 0 and 1, not %s' % p['min_free_ratio'])
    if p['quota_bytes'] < 0:
        problems.append('quota_bytes must be 0 or more, not %d' % p['quota_bytes'])
    for name in ('defrag_timeout', 'wait_timeout'):
        if p[name] < 1:
            problems.append('%s must be at least 1, not %d' % (name, p[name]))
    if problems:
        module.fail_json(msg='; '.join(problems) + '; nothing was changed.')


def _after_compaction(client, timeout):
    """The cluster once every member has applied the compaction from the raft log (etcd waits only for
    the member that took the request). bbolt counts a member's freed pages as free only after a later
    commit, so a member that has written nothing since still shows them in use: the rule may skip it
    this run and pick it the next."""
    deadline = time.time() + timeout
    view = gather(client, accept_alarms=ACCEPTED_ALARMS)
    index = max(e['raft_index'] or 0 for e in view['endpoints'])
    while time.time() < deadline:
        if all((e['raft_applied_index'] or 0) >= index for e in view['endpoints'] if e['member_id']):
            time.sleep(0.2)  # the backend commits every 100 ms
            return gather(client, accept_alarms=ACCEPTED_ALARMS)
        time.sleep(0.25)
        view = gather(client, accept_alarms=ACCEPTED_ALARMS)
    return view


def _voters(view):
    return len([m for m in view['members'] if m['started'] and not m['is_learner']])


def _report(result, check_mode):
    would = 'would be ' if check_mode else ''
    lines = ['history %scompacted to revision %d of %d' % (would, result['compacted_to'], result['revision'])
             if result['compacted_to'] else 'no compaction']
    for step in result['members']:
        name = '%s%s' % (step['name'], ' (leader)' if step['is_leader'] else '')
        if not step['defragment']:
            lines.append('%s: %s' % (name, step['reason']))
        elif 'db_size_after' in step:
            lines.append('%s: %sdefragmented in %.2f s, %s -> %s; %s' % (
                name, 'leadership handed to %s, ' % step['handed_leadership_to'] if step.get('handed_leadership_to')
                else '', step['seconds'], size_text(step['db_size']), size_text(step['db_size_after']),
                step['reason']))
        else:
            lines.append('%s: %sdefragmented; %s' % (name, would, step['reason']))
    if result['alarms_disarmed']:
        lines.append('NOSPACE disarmed on %s; a write succeeded' % ', '.join(
            a['member_id'] for a in result['alarms_disarmed']))
    return lines


def main():
    argument_spec = etcd_argument_spec()
    argument_spec.update(
        compact=dict(type='bool', default=True),
        keep_revisions=dict(type='int', default=1000),
        min_free_mb=dict(type='int', default=100),
        min_free_ratio=dict(type='float', default=0.5),
        quota_bytes=dict(type='int', default=0),
        disarm=dict(type='bool', default=True),
        members=dict(type='list', elements='str'),
        hand_over_leadership=dict(type='bool', default=True),
        defrag_timeout=dict(type='int', default=600),
        wait_timeout=dict(type='int', default=60),
    )
    module = AnsibleModule(argument_spec=argument_spec, required_together=ETCD_REQUIRED_TOGETHER,
                           supports_check_mode=True)
    _validate(module)
    p = module.params
    client = EtcdClient(p)
    result = dict(changed=False, revision=None, compacted_to=None, members=[], alarms_disarmed=[],
                  writes_checked=False)

    def fail(msg):
        module.fail_json(msg=msg, report=_report(result, module.check_mode), **result)

    try:
        before = gather(client, accept_alarms=ACCEPTED_ALARMS)
        if not before['healthy']:
            fail('The etcd cluster is not healthy enough to maintain (a NOSPACE alarm aside): %s; nothing was changed.'
                 % '; '.join(before['problems']))
        voters = _voters(before)
        names = set(m['name'] for m in before['members']) | set(m['id'] for m in before['members'])
        unknown = sorted(set(p['members'] or []) - names)
        if unknown:
            fail('members lists %s, which the cluster does not have (its members: %s); nothing was changed.'
                 % (', '.join(unknown), ', '.join(sorted(m['name'] for m in before['members']))))
        leader_id = before['leader']['id']

        def plan(view):
            return defrag_plan(view['endpoints'], leader_id, view['alarms'], p['min_free_mb'] * MIB,
                               p['min_free_ratio'], p['quota_bytes'], p['members'])

        steps = plan(before)
        result['revision'] = client.revision()
        target = result['revision'] - p['keep_revisions']
        # Compaction serves the defragmentations: a cluster with none to do is left as it is, so a second
        # run changes nothing.
        if p['compact'] and target > 1 and any(s['defragment'] for s in steps):
            if module.check_mode:
                result['compacted_to'] = target
            elif client.compact(target):
                result.update(changed=True, compacted_to=target)
                steps = plan(_after_compaction(client, p['wait_timeout']))
        result['members'] = steps
        if module.check_mode:
            module.exit_json(report=_report(result, True), **result)

        slow = EtcdClient(dict(p, timeout=float(p['defrag_timeout'])))
        for step in steps:
            if not step['defragment']:
                continue
            if p['hand_over_leadership'] and len(before['members']) > 1 and client.leads(
                    dict(id=step['member_id'], client_urls=[step['endpoint']])):
                # A defragmentation blocks its member: what only the leader serves (lease renewals) must not wait.
                successor = client.best_transferee(before['members'], exclude_id=step['member_id'])
                if successor is None:
                    fail('Could not hand the leadership of %s to another member before its defragmentation: none is '
                         'healthy' % step['name'])
                client.transfer_leadership(successor, before['members'], timeout=p['wait_timeout'])
                step['handed_leadership_to'] = successor['name']
                result['changed'] = True
            started = time.time()
            try:
                slow.defragment(step['endpoint'])
            except EtcdError as e:
                fail('Could not defragment member %s (%s): %s' % (step['name'], step['endpoint'], e))
            step['seconds'] = round(time.time() - started, 3)
            result['changed'] = True
            view = wait_until_healthy(client, p['wait_timeout'], voters, accept_alarms=ACCEPTED_ALARMS)
            if not view['healthy']:
                fail('The etcd cluster was not healthy within %d seconds after member %s was defragmented, so no '
                     'other member was: %s' % (p['wait_timeout'], step['name'], '; '.join(view['problems'])))
            step['db_size_after'] = [e['db_size'] for e in view['endpoints']
                                     if e['member_id'] == step['member_id']][0]

        after = gather(client, accept_alarms=ACCEPTED_ALARMS)
        nospace = [a for a in after['alarms'] if a['alarm'] == 'NOSPACE']
        if nospace and p['disarm']:
            full = [e for e in after['endpoints'] if p['quota_bytes'] and (e['db_size'] or 0) >= p['quota_bytes']]
            if full:
                fail('NOSPACE stays armed: %s still fill their quota of %.1f MiB after the defragmentation; keep '
                     'fewer revisions (keep_revisions, etcd_maintain_keep_revisions), delete data, or raise the '
                     'quota (etcd_quota_backend_bytes, a rolling restart), then run again'
                     % (', '.join('%s (%.1f MiB)' % (e['name'], float(e['db_size']) / MIB) for e in full),
                        float(p['quota_bytes']) / MIB))
            for alarm in nospace:
                client.alarm_disarm(alarm['member_id'], alarm['alarm'])
                result['alarms_disarmed'].append(alarm)
            result['changed'] = True
            client.put(PROBE_KEY, time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()))
            client.delete(PROBE_KEY)
            result['writes_checked'] = True
    except EtcdError as e:
        fail('etcd refused or did not answer: %s' % e)
    module.exit_json(report=_report(result, False), **result)


if __name__ == '__main__':
    main()
