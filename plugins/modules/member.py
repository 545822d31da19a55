#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) quorum.etcd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: member
short_description: Add, promote, move or remove one etcd cluster member, one safe change at a time
version_added: 0.1.0
description:
  - Adds a member to an etcd cluster (as a non-voting learner by default), promotes a learner to a voting member
    once it has caught up with the leader, changes the peer URLs of a member (with O(update_peer_urls=true)), or
    removes a member.
  - Makes at most one membership change per run and checks, before it changes anything, that the change cannot
    break the cluster. A refused change fails with a message that says why and what to do, and nothing is changed.
  - B(One change at a time.) A member is not added while another member is a learner or has not started yet.
    A re-run that finds its own pending member (same name, or same peer URLs while it has not started) completes it
    instead of adding a second one.
  - B(Adding) also requires every voting member to answer C(/health), because etcd itself refuses to add members
    unless the member asked has been connected to every voting member for five seconds.
  - B(Removing) a voting member is refused when the remaining voting members would have fewer healthy members than
    their quorum, when it is the last voting member, and when the cluster has only two voting members (both must
    commit the removal, and the one left would have no member to fail over to; add a third member first). Only the
    quorum check applies to a voting member that never started, and no check to a learner, since neither takes
    part in quorum.
  - B(Removing the leader) first hands leadership to the healthy, started voting member with the highest raft index,
    then removes the former leader, so the cluster does not wait for an election.
  - A member is healthy when one of the client URLs it advertises answers C(/health) with true. The host that runs
    the module must therefore reach the members' advertised client URLs, not only O(endpoints).
  - etcd refuses membership changes for about five seconds after a member (re)starts (C(unhealthy cluster),
    C(re-configuration failed due to not enough started members)). Such refusals are retried with backoff for up to
    O(retry_timeout) seconds.
  - B(Changing the peer URLs) of an existing member, like C(etcdctl member update), is done only with
    O(update_peer_urls=true); without it the module fails and says so. The member keeps its ID, name and data. This
    is how a member moves to another host (stop it, copy its data directory to the new host, change its peer URLs,
    start it there), and how a member's address changes. Until the member runs at the new peer URLs, the other
    members cannot reach it, so the change is refused when the other voting members would not have a healthy quorum
    without it, and when another member has one of the new peer URLs.
  - The module does not start or stop etcd. After adding a member, start etcd on it with
    C(--initial-cluster) set to RV(initial_cluster) and C(--initial-cluster-state existing), then run the module
    again with O(state=promoted).
author:
  - quorum.etcd contributors (@quorum-etcd)
extends_documentation_fragment:
  - quorum.etcd.etcd
attributes:
  check_mode:
    description: The module reads the cluster, runs every safety check and reports RV(actions) and C(changed)
      without changing anything. A change the real run would refuse fails in check mode too.
    support: full
  diff_mode:
    description: Returns the member before and after the change.
    support: full
options:
  name:
    description:
      - Name of the member, as given to C(etcd --name).
      - Required with O(state=present) and O(state=promoted).
      - With O(state=absent), the member of that name is removed, whatever its peer URLs.
    type: str
  peer_urls:
    description:
      - Peer URLs of the member, as given to C(etcd --initial-advertise-peer-urls).
      - Required with O(state=present) and O(state=promoted).
      - A member that was added but has not started yet has no name in the member list; it is recognised by these
        peer URLs (all of them, in any order).
      - With O(state=absent), a member that has not started and has exactly these peer URLs is removed when no
        member is called O(name).
    type: list
    elements: str
  id:
    description:
      - Member ID in hex, as C(etcdctl member list) prints it and RV(member.id) returns it.
      - Only with O(state=absent), instead of O(name) and O(peer_urls).
    type: str
  state:
    description:
      - V(present) adds the member if no member has this name (or these peer URLs while it has not started). A member
        that is already there counts as present whether it is a learner or a voting member; it is not promoted.
      - V(promoted) makes sure the member is a voting member. If it is missing it is added as a learner first; a
        learner is promoted as soon as etcd accepts it, that is once it has started and caught up with the leader.
        etcd's refusal C(can only promote a learner member which is in sync with leader) is retried for up to
        O(promote_timeout) seconds.
      - V(absent) removes the member found by O(id), O(name) or O(peer_urls).
    type: str
    choices: [present, promoted, absent]
    default: present
  learner:
    description:
      - With O(state=present), add the member as a non-voting learner. A learner does not count toward quorum while it
        copies the data, so adding it cannot make the cluster lose quorum.
      - V(false) adds a voting member directly. It counts toward quorum at once, before it has started; the module
        refuses it when the healthy voting members would not be a quorum of the larger cluster (for example when
        adding a second member to a one-member cluster).
      - Ignored with O(state=promoted), which always adds a learner first.
    type: bool
    default: true
  promote_timeout:
    description:
      - Seconds to keep asking etcd to promote the learner with O(state=promoted) while etcd answers that it is not in
        sync with the leader yet, or refuses for one of the transient reasons O(retry_timeout) is about.
      - A large database takes longer to copy to a new member.
    type: int
    default: 60
  update_peer_urls:
    description:
      - With O(state=present) or O(state=promoted), when the member called O(name) exists with other peer URLs than
        O(peer_urls), change its peer URLs to O(peer_urls) (etcd's C(/v3/cluster/member/update)). It keeps its ID.
      - V(false) fails in that case, changing nothing.
      - Changes nothing when the member already has these peer URLs, so the task can be re-run.
      - Start (or restart) the member with C(--initial-advertise-peer-urls) and C(--listen-peer-urls) at the new
        URLs afterwards; it is unreachable for the other members until then.
    type: bool
    default: false
  retry_timeout:
    description:
      - Seconds to retry, with backoff, a membership change or leader transfer that etcd refuses for a transient
        reason (a member restarted in the last seconds, no leader during an election, an endpoint that does not
        answer). The module then fails with etcd's last answer.
    type: int
    default: 30
notes:
  - Run the module once for the cluster, not once per host; with C(run_once), make sure the first host is not the
    member being removed, or set O(endpoints) to the members that stay.
seealso:
  - module: quorum.etcd.cluster_info
  - module: quorum.etcd.leader
  - name: etcd runtime reconfiguration
    description: How etcd adds, promotes and removes members, and why one change at a time.
    link: https://etcd.io/docs/v3.5/op-guide/runtime-configuration/
  - name: etcd learner design
    description: Why new members join as learners.
    link: https://etcd.io/docs/v3.5/learning/design-learner/
'''

EXAMPLES = r'''
- name: Add etcd4 as a learner
  quorum.etcd.member:
    endpoints: [https://10.0.0.11:2379, https://10.0.0.12:2379, https://10.0.0.13:2379]
    ca_cert: /etc/etcd/pki/ca.crt
    client_cert: /etc/etcd/pki/client.crt
    client_key: /etc/etcd/pki/client.key
    name: etcd4
    peer_urls: [https://10.0.0.14:2380]
  register: etcd4

- name: Start etcd on the new member with the cluster it joins
  ansible.builtin.debug:
    msg: >-
      etcd --name etcd4 --initial-cluster {{ etcd4.initial_cluster }}
      --initial-cluster-state {{ etcd4.initial_cluster_state }} ...

- name: Promote etcd4 to a voting member once it has caught up
  quorum.etcd.member:
    endpoints: [https://10.0.0.11:2379]
    ca_cert: /etc/etcd/pki/ca.crt
    name: etcd4
    peer_urls: [https://10.0.0.14:2380]
    state: promoted
    promote_timeout: 300

- name: Remove etcd1 (leadership moves to another member first if etcd1 leads)
  quorum.etcd.member:
    endpoints: [https://10.0.0.12:2379, https://10.0.0.13:2379]
    ca_cert: /etc/etcd/pki/ca.crt
    name: etcd1
    state: absent

- name: Member etcd3 moves to 10.0.0.14 (etcd stopped there, data directory copied to the new host)
  quorum.etcd.member:
    endpoints: [https://10.0.0.11:2379, https://10.0.0.12:2379]
    ca_cert: /etc/etcd/pki/ca.crt
    name: etcd3
    peer_urls: [https://10.0.0.14:2380]
    update_peer_urls: true

- name: Remove a member that was added but never started, by its ID
  quorum.etcd.member:
    id: 8e9e05c52164694d
    state: absent

- name: See what replacing etcd3 would do, without doing it
  quorum.etcd.member:
    name: etcd3
    state: absent
  check_mode: true
  register: plan

- name: Show the plan
  ansible.builtin.debug:
    var: plan.actions
'''

RETURN = r'''
member:
  description:
    - The member the module worked on, after the change. With O(state=absent), the member as it was before it was
      removed; null when no such member exists.
    - In check mode, the member as it would be after the change; a member that would be added has a null
      RV(member.id).
  returned: always
  type: dict
  contains:
    id:
      description: Member ID in hex.
      type: str
      sample: 8e9e05c52164694d
    name:
      description: Member name; empty until an added member has started.
      type: str
      sample: etcd4
    peer_urls:
      description: Peer URLs of the member.
      type: list
      elements: str
      sample: ["https://10.0.0.14:2380"]
    client_urls:
      description: Client URLs the member advertises; empty until it has started.
      type: list
      elements: str
      sample: ["https://10.0.0.14:2379"]
    is_learner:
      description: Whether the member is a non-voting learner.
      type: bool
      sample: true
    started:
      description: Whether the member has started and joined (it has a name in the member list).
      type: bool
      sample: false
cluster_id:
  description: The cluster ID in hex.
  returned: always
  type: str
  sample: 1cf5e9c1c12248ea
members:
  description:
    - All members after the change, each with the keys of RV(member). In check mode, the members as they are, since
      nothing was changed.
  returned: always
  type: list
  elements: dict
  sample: [{"id": "8e9e05c52164694d", "name": "etcd1", "peer_urls": ["https://10.0.0.11:2380"],
            "client_urls": ["https://10.0.0.11:2379"], "is_learner": false, "started": true}]
actions:
  description: One sentence per change made, or in check mode that would be made; empty when nothing was to do.
  returned: always
  type: list
  elements: str
  sample: ["Added member etcd4 with peer URLs https://10.0.0.14:2380 as a learner (ID 8e9e05c52164694d)."]
initial_cluster:
  description:
    - The value of C(--initial-cluster) (C(ETCD_INITIAL_CLUSTER)) the member must start with to join the cluster,
      C(name=peer URL) for every peer URL of every member, the new member under O(name).
  returned: when O(state) is V(present) or V(promoted)
  type: str
  sample: >-
    etcd1=https://10.0.0.11:2380,etcd2=https://10.0.0.12:2380,etcd3=https://10.0.0.13:2380,etcd4=https://10.0.0.14:2380
initial_cluster_state:
  description: The value of C(--initial-cluster-state) the member must start with, always V(existing).
  returned: when O(state) is V(present) or V(promoted)
  type: str
  sample: existing
'''

import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.quorum.etcd.plugins.module_utils.etcd_client import (
    ETCD_REQUIRED_TOGETHER,
    EtcdClient,
    EtcdError,
    EtcdUnavailable,
    EtcdUnreachable,
    etcd_argument_spec,
    id_from_hex,
    id_to_hex,
    normalize_endpoint,
)

# What etcd answers when it refuses a membership change for a while: right after a member
# (re)started, without a leader, or while the leader changes.
_TRANSIENT = (
    'unhealthy cluster',
    'not enough started members',
    'leader changed',
    'no leader',
    'not leader',
    'timed out',
    'took too long',
    'server stopped',
    'too many requests',
)
_NOT_IN_SYNC = 'in sync with leader'


def _reason(error):
    return error.reason or str(error)


def _transient(error):
    return isinstance(error, (EtcdUnavailable, EtcdUnreachable)) or any(t in _reason(error) for t in _TRANSIENT)


def _url_key(url):
    return url.strip().rstrip('/').lower()


def _same_urls(first, second):
    return set(_url_key(u) for u in first) == set(_url_key(u) for u in second)


def _quorum(voters):
    return voters // 2 + 1


def _describe(member):
    if member['started']:
        return '%s (ID %s)' % (member['name'], member['id'])
    return 'the unstarted member %s with peer URLs %s' % (member['id'], ', '.join(member['peer_urls']))


def _pending_state(member):
    if not member['started']:
        return '%s has not started yet' % _describe(member)
    return '%s is still a learner' % _describe(member)


class Membership(object):
    """One run of the module: read, check, change at most one membership, report."""

    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.client = EtcdClient(module.params)
        self.actions = []
        self.changed = False
        self.members = []
        self.cluster_id = None
        self.member = None
        self.before = None

    # -- reporting ------------------------------------------------------------

    def result(self, **extra):
        result = dict(changed=self.changed, actions=self.actions, member=self.member, members=self.members,
                      cluster_id=self.cluster_id)
        if self.params['state'] != 'absent':
            result.update(initial_cluster=self.initial_cluster(), initial_cluster_state='existing')
        if self.module._diff:
            result['diff'] = dict(before=self.before or {},
                                  after={} if self.params['state'] == 'absent' else (self.member or {}))
        result.update(extra)
        return result

    def fail(self, msg):
        self.module.fail_json(msg=msg, **self.result())

    def act(self, sentence):
        self.actions.append(sentence)
        self.changed = True

    def initial_cluster(self):
        """name=peer URL for every member, the member of this run under its wanted name (like etcdctl member add)."""
        own = self.member or {}
        members = list(self.members)
        if own and not any(m['id'] == own.get('id') for m in members):
            members.append(own)  # check mode: the member that would be added
        entries = []
        for member in members:
            if member is own or member['id'] == own.get('id'):
                member = dict(own, name=self.params['name'])  # check mode: the peer URLs it would have
            entries.extend('%s=%s' % (member['name'], url) for url in member['peer_urls'])
        return ','.join(entries)

    # -- reading ----------------------------------------------------------------

    def read(self):
        self.members = self.client.member_list()
        self.cluster_id = self.client.cluster_id()

    def refresh(self):
        """Read the members again after a change; the member of this run is updated from the list."""
        self.members = self.client.member_list()
        if self.member and self.member.get('id'):
            found = [m for m in self.members if m['id'] == self.member['id']]
            if found:
                self.member = found[0]

    def health(self, members):
        return dict((m['id'], self.client.member_health(m)) for m in members)

    def split_by_health(self, members):
        """(health by member ID, the healthy members, the others), in the order given."""
        health = self.health(members)
        healthy = [m for m in members if health[m['id']]['health']]
        return health, healthy, [m for m in members if not health[m['id']]['health']]

    def wait_for_leader(self):
        deadline = time.time() + self.params['retry_timeout']
        while True:
            leader = self.client.find_leader(self.members)
            if leader is not None or time.time() >= deadline:
                return leader
            time.sleep(0.5)

    # -- changing, with retries -------------------------------------------------

    def retry(self, what, request, applied, timeout, retry_if=_transient, on_timeout=None):
        """Send a change; retry transient refusals with backoff until ``timeout`` seconds have passed.

        After a failed attempt ``applied()`` is asked whether the change took effect anyway
        (an answer lost on the way back, a concurrent run); its true value is then returned.
        When time is up, ``on_timeout(error)`` fails (default: fail_retries).
        """
        deadline = time.time() + timeout
        delay = 0.5
        while True:
            try:
                return request()
            except EtcdError as error:
                try:
                    done = applied()
                except EtcdError:
                    done = None
                if done:
                    return done
                if not retry_if(error):
                    self.fail('etcd refused to %s: %s' % (what, _reason(error)))
                if time.time() + delay > deadline:
                    return (on_timeout or (lambda e: self.fail_retries(what, e, timeout)))(error)
            time.sleep(delay)
            delay = min(delay * 2, 2.0)

    def fail_retries(self, what, error, timeout):
        reason = _reason(error)
        hint = ''
        if 'unhealthy cluster' in reason or 'not enough started members' in reason:
            hint = (' etcd refuses membership changes unless the member asked has been connected to every voting '
                    'member for five seconds, and for about five seconds after a member restarts. Check that every '
                    'member runs and is healthy (quorum.etcd.cluster_info), then re-run, or raise retry_timeout.')
        self.fail('etcd still refused to %s after retrying for %d seconds: %s.%s' % (what, timeout, reason, hint))

    def prefer_other_endpoints(self, target):
        """Send requests to other members than ``target``: a member that removes itself may stop before it answers."""
        own = set(_url_key(u) for u in target['client_urls'])
        endpoints = [e for e in self.client.endpoints if _url_key(e) not in own]
        for member in self.members:
            if member['id'] != target['id'] and member['started']:
                endpoints.extend(normalize_endpoint(u) for u in member['client_urls']
                                 if normalize_endpoint(u) not in endpoints)
        self.client.endpoints = endpoints + [e for e in self.client.endpoints if _url_key(e) in own]

    # -- state: present / promoted ----------------------------------------------

    def find_own(self):
        """The member this run is about, found by name or (while it has not started) by peer URLs."""
        name, peer_urls = self.params['name'], self.params['peer_urls']
        for member in self.members:
            if member['name'] == name:
                if not _same_urls(member['peer_urls'], peer_urls) and not self.params['update_peer_urls']:
                    self.fail('Member %s already exists with peer URLs %s, not %s. This module does not change the '
                              'peer URLs of a member unless update_peer_urls is true: fix peer_urls, or set '
                              'update_peer_urls: true to move the member to them (it keeps its ID), or remove the '
                              'member (state=absent) and add it again.'
                              % (_describe(member), ', '.join(member['peer_urls']), ', '.join(peer_urls)))
                return member
        wanted = set(_url_key(u) for u in peer_urls)
        overlapping = [m for m in self.members if wanted & set(_url_key(u) for u in m['peer_urls'])]
        for member in overlapping:
            if not member['started'] and _same_urls(member['peer_urls'], peer_urls):
                return member
        if overlapping:
            self.fail('Cannot add member %s: peer URLs %s already belong to %s. Peer URLs must be unique: check '
                      'name and peer_urls.' % (name, ', '.join(peer_urls), ' and '.join(
                          '%s (peer URLs %s)' % (_describe(m), ', '.join(m['peer_urls'])) for m in overlapping)))
        return None

    def check_can_add(self, as_learner):
        name = self.params['name']
        pending = [m for m in self.members if m['is_learner'] or not m['started']]
        if pending:
            first = pending[0]
            self.fail('Refusing to add member %s: etcd members are changed one at a time, and %s. Finish that '
                      'change first: start etcd on it with --initial-cluster-state existing and run this module for '
                      'it with state=promoted, or remove it with state=absent and id=%s. Then re-run.'
                      % (name, '; '.join(_pending_state(m) for m in pending), first['id']))
        voters = [m for m in self.members if not m['is_learner']]
        health, dummy, sick = self.split_by_health(voters)
        if sick:
            self.fail('Refusing to add member %s: etcd only adds members while every voting member is connected, '
                      'and %s. Bring %s back, or remove %s with state=absent, then re-run.'
                      % (name, '; '.join('%s is not healthy (%s)' % (_describe(m), health[m['id']]['reason'])
                                         for m in sick),
                         ' and '.join(m['name'] or m['id'] for m in sick), 'it' if len(sick) == 1 else 'them'))
        if not as_learner and len(voters) < _quorum(len(voters) + 1):
            self.fail('Refusing to add member %s as a voting member: the cluster would have %d voting members, which '
                      'need %d started for quorum, but only %d are started until %s has joined. Add it as a learner '
                      '(learner: true, the default) and promote it with state=promoted once it has started.'
                      % (name, len(voters) + 1, _quorum(len(voters) + 1), len(voters), name))

    def add(self, as_learner):
        name, peer_urls = self.params['name'], self.params['peer_urls']
        kind = 'a learner' if as_learner else 'a voting member'
        self.check_can_add(as_learner)
        if self.module.check_mode:
            self.member = dict(id=None, name='', peer_urls=list(peer_urls), client_urls=[], is_learner=as_learner,
                               started=False)
            self.act('Would add member %s with peer URLs %s as %s.' % (name, ', '.join(peer_urls), kind))
            return

        def applied():
            found = [m for m in self.client.member_list()
                     if not m['started'] and _same_urls(m['peer_urls'], peer_urls)]
            return found[0] if found else None

        self.member = self.retry('add member %s with peer URLs %s' % (name, ', '.join(peer_urls)),
                                 lambda: self.client.member_add(peer_urls, is_learner=as_learner)['member'],
                                 applied, self.params['retry_timeout'])
        self.act('Added member %s with peer URLs %s as %s (ID %s).'
                 % (name, ', '.join(peer_urls), kind, self.member['id']))
        self.refresh()

    def check_can_promote(self, member):
        voters = [m for m in self.members if not m['is_learner']]
        health, healthy, sick = self.split_by_health(voters)
        need = _quorum(len(voters) + 1)
        if len(healthy) + 1 < need:
            self.fail('Refusing to promote %s: the cluster would have %d voting members, which need %d healthy for '
                      'quorum, but only %d of the %d voting members are healthy (%s). Bring them back first.'
                      % (_describe(member), len(voters) + 1, need, len(healthy), len(voters), '; '.join(
                          '%s: %s' % (m['name'] or m['id'], health[m['id']]['reason']) for m in sick)))

    def promote(self):
        member = self.member
        name = self.params['name']
        if self.module.check_mode:
            if member['id'] is not None:
                self.check_can_promote(member)
            self.member = dict(member, is_learner=False)
            self.act('Would promote learner %s to a voting member once it has started and caught up with the '
                     'leader.' % name)
            return
        self.check_can_promote(member)
        timeout = self.params['promote_timeout']
        what = 'promote learner %s' % _describe(member)

        def applied():
            found = [m for m in self.client.member_list() if m['id'] == member['id']]
            return found[0] if found and not found[0]['is_learner'] else None

        def on_timeout(error):
            if _NOT_IN_SYNC in _reason(error):
                self.fail_not_in_sync(member, timeout, error)
            self.fail_retries(what, error, timeout)

        self.retry(what, lambda: self.client.member_promote(member['id']), applied, timeout,
                   retry_if=lambda e: _NOT_IN_SYNC in _reason(e) or _transient(e), on_timeout=on_timeout)
        self.act('Promoted learner %s (ID %s) to a voting member.' % (name, member['id']))
        self.refresh()

    def fail_not_in_sync(self, member, timeout, error):
        try:
            self.refresh()
        except EtcdError:
            pass
        if not self.member['started']:
            self.fail('Learner %s (ID %s) has not started within %d seconds, so etcd cannot promote it. Start etcd '
                      'on it with --name %s --initial-cluster %s --initial-cluster-state existing, then re-run with '
                      'state=promoted.' % (self.params['name'], member['id'], timeout, self.params['name'],
                                           self.initial_cluster()))
        self.fail('Learner %s has not caught up with the leader within %d seconds (etcd: %s). Copying a large '
                  'database takes longer: re-run with state=promoted, or raise promote_timeout.'
                  % (_describe(member), timeout, _reason(error)))

    def check_can_update(self, member, peer_urls):
        """Refuse peer URLs another member has, and a change that could cost the quorum: until the member runs at
        its new peer URLs the others cannot reach it, so they must be a quorum of the voting members without it."""
        wanted = set(_url_key(u) for u in peer_urls)
        taken = [m for m in self.members if m['id'] != member['id'] and wanted & set(_url_key(u) for u in m['peer_urls'])]
        if taken:
            self.fail('Cannot change the peer URLs of %s to %s: they already belong to %s. Peer URLs must be unique.'
                      % (_describe(member), ', '.join(peer_urls), ' and '.join(
                          '%s (peer URLs %s)' % (_describe(m), ', '.join(m['peer_urls'])) for m in taken)))
        if member['is_learner']:
            return
        voters = [m for m in self.members if not m['is_learner']]
        others = [m for m in voters if m['id'] != member['id']]
        health, healthy, sick = self.split_by_health(others)
        need = _quorum(len(voters))
        if len(healthy) < need:
            self.fail('Refusing to change the peer URLs of %s: the other members cannot reach it until it runs at the '
                      'new peer URLs, and the %d voting members need %d healthy members for quorum, but only %d of '
                      'the others are healthy%s. Bring %s back first.'
                      % (_describe(member), len(voters), need, len(healthy), ''.join(
                          '; %s is not healthy (%s)' % (_describe(m), health[m['id']]['reason']) for m in sick),
                         ' and '.join(m['name'] or m['id'] for m in sick) or 'more members'))

    def update_peer_urls(self):
        member, peer_urls = self.member, self.params['peer_urls']
        self.check_can_update(member, peer_urls)
        text = 'the peer URLs of member %s from %s to %s' % (
            _describe(member), ', '.join(member['peer_urls']), ', '.join(peer_urls))
        if self.module.check_mode:
            self.member = dict(member, peer_urls=list(peer_urls))
            self.act('Would change %s.' % text)
            return

        def applied():
            found = [m for m in self.client.member_list() if m['id'] == member['id']]
            return found[0] if found and _same_urls(found[0]['peer_urls'], peer_urls) else None

        self.retry('change %s' % text, lambda: self.client.member_update(member['id'], peer_urls), applied,
                   self.params['retry_timeout'])
        self.act('Changed %s.' % text)
        self.refresh()

    def ensure_present(self):
        state = self.params['state']
        self.member = self.find_own()
        self.before = dict(self.member) if self.member else None
        if self.member is None:
            self.add(as_learner=self.params['learner'] or state == 'promoted')
        elif not _same_urls(self.member['peer_urls'], self.params['peer_urls']):
            self.update_peer_urls()  # find_own() fails unless update_peer_urls is true
        if state == 'promoted' and self.member['is_learner']:
            self.promote()

    # -- state: absent ------------------------------------------------------------

    def find_target(self):
        params = self.params
        if params['id']:
            try:
                wanted = id_to_hex(id_from_hex(params['id']))
            except EtcdError as e:
                self.fail(str(e))
            found = [m for m in self.members if m['id'] == wanted]
            return found[0] if found else None
        if params['name']:
            found = [m for m in self.members if m['name'] == params['name']]
            if found:
                return found[0]
        if params['peer_urls']:
            found = [m for m in self.members if _same_urls(m['peer_urls'], params['peer_urls'])
                     and (not m['started'] or not params['name'])]
            if found:
                return found[0]
        return None

    def check_can_remove(self, target):
        """Refuse a removal that could cost the cluster its quorum. Learners do not count toward quorum, and a
        voting member that never started does not help it: removing either is always safe."""
        voters = [m for m in self.members if not m['is_learner']]
        if target['is_learner']:
            return
        if len(voters) == 1:
            self.fail('Refusing to remove %s: it is the last voting member of the cluster. To get rid of the '
                      'cluster, stop etcd and delete its data directory instead.' % _describe(target))
        if len(voters) == 2 and target['started']:
            other = [m for m in voters if m['id'] != target['id']][0]
            self.fail('Refusing to remove %s from a cluster of two voting members: both must commit the removal, so '
                      'it hangs if either fails meanwhile, and %s would be left alone with no member to fail over '
                      'to. Add a third member first (state=promoted), then remove %s.'
                      % (_describe(target), _describe(other), target['name'] or target['id']))
        remaining = [m for m in voters if m['id'] != target['id']]
        health, healthy, sick = self.split_by_health(remaining)
        need = _quorum(len(remaining))
        if len(healthy) < need:
            self.fail('Refusing to remove %s: the %d voting members left would need %d healthy members for quorum, '
                      'and only %d would be healthy: %s. Bring %s back first, or remove a member that is down '
                      'instead of a healthy one.'
                      % (_describe(target), len(remaining), need, len(healthy), '; '.join(
                          '%s is not healthy (%s)' % (_describe(m), health[m['id']]['reason']) for m in sick),
                         ' and '.join(m['name'] or m['id'] for m in sick)))
        return health

    def hand_over_leadership(self, target):
        leader = self.wait_for_leader()
        if leader is None:
            self.fail('No etcd member knows a leader after %d seconds: the cluster has lost quorum or cannot elect a '
                      'leader, and cannot remove %s. Check the members with quorum.etcd.cluster_info.'
                      % (self.params['retry_timeout'], _describe(target)))
        if leader['id'] != target['id']:
            return
        successor = self.client.best_transferee(self.members, exclude_id=target['id'])
        if successor is None:
            self.fail('Refusing to remove the leader %s: no other healthy, started voting member answers, so '
                      'leadership cannot be handed over first.' % _describe(target))
        text = 'leadership from %s to %s (ID %s)' % (_describe(target), successor['name'], successor['id'])
        if self.module.check_mode:
            self.act('Would transfer %s.' % text)
            return

        def applied():
            return self.client.leads(successor)

        self.retry('transfer %s' % text,
                   lambda: self.client.transfer_leadership(successor, self.members,
                                                           timeout=self.params['retry_timeout']),
                   applied, self.params['retry_timeout'])
        self.act('Transferred %s.' % text)

    def ensure_absent(self):
        target = self.find_target()
        if target is None:
            return
        self.member = target
        self.before = dict(target)
        self.check_can_remove(target)
        if not target['is_learner'] and target['started']:
            self.hand_over_leadership(target)
        text = 'member %s' % _describe(target)
        if self.module.check_mode:
            self.act('Would remove %s.' % text)
            return
        self.prefer_other_endpoints(target)

        def applied():
            return target['id'] not in [m['id'] for m in self.client.member_list()]

        self.retry('remove %s' % text, lambda: self.client.member_remove(target['id']), applied,
                   self.params['retry_timeout'])
        self.act('Removed %s.' % text)
        self.members = self.client.member_list()

    def run(self):
        try:
            self.read()
        except EtcdError as e:
            self.fail('Could not list the members of the etcd cluster: %s. Check that etcd runs there and that '
                      'endpoints, ca_cert, client_cert and client_key are right.' % e)
        try:
            if self.params['state'] == 'absent':
                self.ensure_absent()
            else:
                self.ensure_present()
        except EtcdError as e:
            self.fail('etcd failed while %s: %s' % (
                'changing the membership' if self.changed else 'checking whether the change is safe', e))
        self.module.exit_json(**self.result())


def main():
    argument_spec = etcd_argument_spec()
    argument_spec.update(
        name=dict(type='str'),
        peer_urls=dict(type='list', elements='str'),
        id=dict(type='str'),
        state=dict(type='str', default='present', choices=['present', 'promoted', 'absent']),
        learner=dict(type='bool', default=True),
        update_peer_urls=dict(type='bool', default=False),
        promote_timeout=dict(type='int', default=60),
        retry_timeout=dict(type='int', default=30),
    )
    module = AnsibleModule(
        argument_spec=argument_spec,
        required_together=ETCD_REQUIRED_TOGETHER,
        required_if=[
            ('state', 'present', ['name', 'peer_urls']),
            ('state', 'promoted', ['name', 'peer_urls']),
            ('state', 'absent', ['name', 'peer_urls', 'id'], True),
        ],
        mutually_exclusive=[['id', 'name'], ['id', 'peer_urls']],
        supports_check_mode=True,
    )
    params = module.params
    if params['peer_urls'] is not None:
        urls = [u.strip().rstrip('/') for u in params['peer_urls'] if u and u.strip()]
        bad = [u for u in urls if not (u.startswith('http://') or u.startswith('https://'))]
        if not urls or bad:
            module.fail_json(msg='peer_urls must be a non-empty list of http:// or https:// URLs, like '
                                 'https://10.0.0.14:2380; got %s.' % (', '.join(bad or params['peer_urls']) or 'none'))
        params['peer_urls'] = urls
    if params['name'] is not None and not params['name'].strip():
        module.fail_json(msg='name must not be empty: give the member name, as etcd --name.')
    for option in ('promote_timeout', 'retry_timeout'):
        if params[option] < 0:
            module.fail_json(msg='%s must be zero or more seconds, got %d.' % (option, params[option]))
    if params['id'] is not None and params['state'] != 'absent':
        module.fail_json(msg='id only selects a member to remove (state=absent); give name and peer_urls instead.')
    if params['update_peer_urls'] and params['state'] == 'absent':
        module.fail_json(msg='update_peer_urls changes the peer URLs of a member that stays: use it with state=present '
                             'or state=promoted, not state=absent.')
    Membership(module).run()


if __name__ == '__main__':
    main()
