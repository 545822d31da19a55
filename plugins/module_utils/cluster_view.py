# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The view of a cluster from a list of its endpoints: status, health, members, leader and
alarms, and every problem found. quorum.etcd.cluster_info returns it; quorum.etcd.host_info
takes it from the host's own member."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.quorum.etcd.plugins.module_utils.etcd_client import EtcdError, EtcdUnreachable

# A restarted member serves within a fraction of a second: a fine poll ends each gate sooner.
POLL_SECONDS = 0.25


def _endpoint_report(client, endpoint, accept_alarms=()):
    """What one endpoint says about itself; 'answered' is False when it could not be reached."""
    report = dict(endpoint=endpoint, healthy=False, error=None, member_id=None, name=None, version=None,
                  db_size=None, db_size_in_use=None, leader=None, is_leader=False, is_learner=None,
                  raft_term=None, raft_index=None, raft_applied_index=None, raft_lag=None,
                  storage_version=None, downgrade_enabled=None)
    extra = dict(answered=False, cluster_id=None, cluster_version=None, errors=[])
    # The status first: a member answers it from its own state, even without a leader.
    try:
        status = client.status(endpoint)
        extra['cluster_version'] = client.version(endpoint)['etcdcluster']
    except EtcdUnreachable as e:
        report['error'] = 'did not answer: %s' % e.reason
        return report, extra  # refused, timed out, DNS or TLS failure: health would fail the same way
    except EtcdError as e:
        extra['answered'] = True
        report['error'] = 'failed to report its status: %s' % e
        return report, extra
    extra['answered'] = True
    leader = status['leader'] if status['leader'] != '0' else None
    if leader is None:
        # Its readiness check would wait on a read through raft until the client's timeout.
        health = dict(health=False, reason='it knows no leader')
    else:
        try:
            health = client.health(endpoint, accept_alarms)
        except EtcdUnreachable as e:
            # A member that has just lost quorum can hang on /health yet still report its status.
            health = dict(health=False, reason='no answer to its health check: %s' % e.reason)
        except EtcdError as e:
            health = dict(health=False, reason=str(e))
    report['healthy'] = health['health']
    if not health['health']:
        report['error'] = 'is unhealthy: %s' % health['reason']
    report.update(member_id=status['member_id'], version=status['version'], db_size=status['db_size'],
                  db_size_in_use=status['db_size_in_use'], leader=leader,
                  is_leader=leader is not None and leader == status['member_id'],
                  is_learner=status['is_learner'], raft_term=status['raft_term'],
                  raft_index=status['raft_index'], raft_applied_index=status['raft_applied_index'],
                  storage_version=status['storage_version'], downgrade_enabled=status['downgrade_enabled'])
    extra.update(cluster_id=status['cluster_id'], errors=status['errors'])
    return report, extra


def _leader(reports, extras, names, problems):
    """The one leader all answering endpoints follow, or None (with the reason in problems)."""
    for report, extra in zip(reports, extras):
        # Only when etcd's own status errors did not already say so.
        if report['member_id'] and report['leader'] is None and not any('leader' in e for e in extra['errors']):
            problems.append('endpoint %s (member %s) has no leader' % (report['endpoint'], report['member_id']))
    followed = [r for r in reports if r['leader']]
    leaders = sorted(set(r['leader'] for r in followed))
    if len(leaders) == 1:
        return dict(id=leaders[0], name=names.get(leaders[0]))
    if leaders:
        problems.append('the endpoints disagree on the leader: %s' % ', '.join(
            '%s follows %s' % (r['endpoint'], r['leader']) for r in followed))
    elif any(r['member_id'] for r in reports):
        problems.append('no endpoint knows a leader: the cluster has lost quorum or is still electing one')
    return None


def _member_problems(members, alarms, names, expected_members, accept_alarms=()):
    problems = []
    for member in members:
        if not member['started']:
            problems.append('member %s (peer URLs %s) is not started: it was added but has not joined yet'
                            % (member['id'], ', '.join(member['peer_urls'])))
    for alarm in alarms:
        if alarm['alarm'] in accept_alarms:
            continue
        problems.append('member %s (%s) raised alarm %s%s'
                        % (alarm['member_id'], names.get(alarm['member_id'], '?'), alarm['alarm'],
                           ': its database reached the quota (etcd_quota_backend_bytes) and the cluster refuses '
                           'writes; run the playbook quorum.etcd.maintain, which compacts, defragments and disarms it'
                           if alarm['alarm'] == 'NOSPACE' else ''))
    if expected_members is not None and members:
        voting = [m for m in members if m['started'] and not m['is_learner']]
        if len(voting) != expected_members:
            problems.append('expected %d started voting members, found %d: %s' % (
                expected_members, len(voting), ', '.join(m['name'] for m in voting) or 'none'))
    return problems


def _raft_lag(client, reports, members, leader, max_raft_lag, problems):
    """Compare each endpoint's applied index with the leader's, read first: sets 'raft_lag' in the reports."""
    leader_urls = [r['endpoint'] for r in reports if r['member_id'] == leader['id']]
    leader_urls += [u for m in members if m['id'] == leader['id'] for u in m['client_urls'] if u not in leader_urls]
    leader_applied = None
    for url in leader_urls:
        try:
            status = client.status(url)
        except EtcdError:
            continue
        if status['member_id'] == leader['id']:
            leader_applied = status['raft_applied_index']
            break
    if leader_applied is None:
        problems.append('the raft index of the leader %s (%s) could not be read to compare the members with it'
                        % (leader['name'], leader['id']))
        return
    for report in reports:
        if not report['member_id']:
            continue  # did not answer: already a problem
        if report['member_id'] == leader['id']:
            report['raft_lag'] = 0
            continue
        try:
            applied = client.status(report['endpoint'])['raft_applied_index']
        except EtcdError as e:
            problems.append('endpoint %s did not report its raft index: %s' % (report['endpoint'], e))
            continue
        report['raft_lag'] = max(0, leader_applied - applied)
        if report['raft_lag'] > max_raft_lag:
            problems.append('endpoint %s (member %s) has applied raft index %d, %d entries behind the leader %s (%d); '
                            'at most %d may be (max_raft_lag)'
                            % (report['endpoint'], report['name'] or report['member_id'], applied,
                               report['raft_lag'], leader['name'], leader_applied, max_raft_lag))


def gather(client, expected_members=None, max_raft_lag=None, accept_alarms=(), every_member=False, except_members=()):
    """Everything cluster_info returns, plus 'answered': whether any endpoint answered.
    Alarms named in ``accept_alarms`` are reported but leave the cluster healthy (maintenance's gates).
    With ``every_member``, each member the cluster lists whose client URLs are not among the endpoints is
    asked too (by its first client URL), except those named in ``except_members``."""
    problems, reports, extras = [], [], []

    def ask(endpoint, member=None):
        report, extra = _endpoint_report(client, endpoint, accept_alarms)
        reports.append(report)
        extras.append(extra)
        said = 'endpoint %s (member %s, not among the endpoints given)' % (endpoint, member) if member else (
            'endpoint %s' % endpoint)
        if report['error']:
            problems.append('%s %s' % (said, report['error']))
        for error in extra['errors']:
            # etcd's status lists each active alarm as an error too ("memberID:... alarm:NOSPACE").
            if not any(error.strip().endswith('alarm:' + alarm) for alarm in accept_alarms):
                problems.append('%s reports: %s' % (said, error))

    for endpoint in client.endpoints:
        ask(endpoint)

    answered = [(r, x) for r, x in zip(reports, extras) if x['answered']]
    result = dict(cluster_id=None, cluster_version=None, members=[], endpoints=reports, leader=None,
                  alarms=[], answered=bool(answered), healthy=False, problems=problems)
    if not answered:
        return result

    cluster_ids = sorted(set(x['cluster_id'] for r, x in answered if x['cluster_id']))
    if len(cluster_ids) > 1:
        problems.append('the endpoints belong to different clusters: %s' % ', '.join(
            '%s is in cluster %s' % (r['endpoint'], x['cluster_id']) for r, x in answered if x['cluster_id']))
    result['cluster_id'] = cluster_ids[0] if cluster_ids else None

    # Asked separately: without a leader the member list may still answer, alarms do not.
    try:
        result['members'] = client.member_list()
    except EtcdError as e:
        problems.append('could not list the members: %s' % e)
    if not any(r['leader'] for r in reports):
        # Alarms are read through raft: without a leader the request would only time out.
        problems.append('the alarms could not be listed: no endpoint knows a leader')
    else:
        try:
            result['alarms'] = client.alarms()
        except EtcdError as e:
            problems.append('could not list the alarms: %s' % e)
    if every_member:
        # A voter down whose host is not among the endpoints (out of the play) still counts; learners
        # hold no quorum, and a run may be about to complete or remove one.
        asked = set(url.rstrip('/') for url in client.endpoints)
        for member in result['members']:
            urls = member.get('client_urls') or []
            if (urls and not member.get('is_learner') and member['name'] not in except_members
                    and not any(u.rstrip('/') in asked for u in urls)):
                ask(urls[0], member['name'] or member['id'])
                other = extras[-1]['cluster_id']
                if other and result['cluster_id'] and other != result['cluster_id']:
                    problems.append('endpoint %s (member %s) is in cluster %s, not %s'
                                    % (urls[0], member['name'], other, result['cluster_id']))
    names = dict((m['id'], m['name']) for m in result['members'])
    for report in reports:
        if report['member_id']:
            report['name'] = names.get(report['member_id'])

    result['leader'] = _leader(reports, extras, names, problems)
    # The leader's view of the cluster version wins; the others converge on it.
    versions = [x['cluster_version'] for r, x in sorted(answered, key=lambda a: not a[0]['is_leader'])
                if x['cluster_version']]
    result['cluster_version'] = versions[0] if versions else None
    problems.extend(_member_problems(result['members'], result['alarms'], names, expected_members, accept_alarms))
    if max_raft_lag is not None and result['leader'] is not None:
        _raft_lag(client, reports, result['members'], result['leader'], max_raft_lag, problems)
    result['healthy'] = not problems
    return result


def wait_until_healthy(client, timeout, expected_members=None, max_raft_lag=None, accept_alarms=(), every_member=False,
                       except_members=()):
    """gather() four times a second until the cluster is healthy or ``timeout`` seconds passed; the last
    view. An alarm not in ``accept_alarms`` ends the wait at once: etcd keeps it until it is disarmed
    (a NOSPACE alarm by quorum.etcd.maintain), so waiting cannot help."""
    deadline = time.time() + timeout
    while True:
        started = time.time()
        view = gather(client, expected_members, max_raft_lag, accept_alarms, every_member, except_members)
        if view['healthy'] or time.time() >= deadline:
            return view
        if any(alarm['alarm'] not in accept_alarms for alarm in view['alarms']):
            return view
        time.sleep(max(0.0, min(POLL_SECONDS - (time.time() - started), deadline - time.time())))
