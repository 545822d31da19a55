"""quorum.etcd.cluster_downgrade run (as on a managed host, conftest.run_module) against real etcd 3.6 and 3.7: check mode, enable (every
member's storage version moves to the older minor), a re-run, a refused target, cancel."""
import time

import pytest

from ansible_collections.quorum.etcd.plugins.module_utils.etcd_client import EtcdClient

from conftest import start_cluster, stop_cluster


@pytest.mark.parametrize('version, older', [('3.6.16', '3.5'), ('3.7.3', '3.6')])
def test_enable_waits_for_the_storage_version_then_cancel(run_tasks, etcd_bin, tmp_path, version, older):
    members = start_cluster(etcd_bin(version), str(tmp_path / 'cluster'), 3)
    urls = [m.client_url for m in members]
    newer = version.rsplit('.', 1)[0]
    try:
        # A new cluster writes its storage version a moment after it starts.
        client = EtcdClient(dict(endpoints=urls))
        deadline = time.time() + 30
        while {client.status(url)['storage_version'] for url in urls} != {newer + '.0'}:
            assert time.time() < deadline, 'the new cluster never reported storage version %s.0' % newer
            time.sleep(0.2)
        args = dict(endpoints=urls, version=older + '.99')
        plan, skipped_minor, enabled, info, again, other, cancelled, gone = run_tasks([
            ('cluster_downgrade', args, True),
            ('cluster_downgrade', dict(args, version='3.%d' % (int(older.split('.')[1]) - 1))),
            ('cluster_downgrade', args),
            ('cluster_info', dict(endpoints=urls)),
            ('cluster_downgrade', args),
            ('cluster_downgrade', dict(args, version=newer)),
            ('cluster_downgrade', dict(args, state='absent')),
            ('cluster_downgrade', dict(args, state='absent')),
        ])
        statuses = [EtcdClient(dict(endpoints=urls)).status(url) for url in urls]
    finally:
        stop_cluster(members)

    assert plan.get('failed') is not True, plan
    assert plan['changed'] is True and plan['actions'] == ['Would validate and enable the downgrade to %s.' % older]
    assert plan['downgrade'] == dict(enabled=False, target_version=None)
    assert set(plan['storage_versions'].values()) == {newer + '.0'}

    assert skipped_minor['failed'] is True and skipped_minor['changed'] is False
    assert 'invalid downgrade target version' in skipped_minor['msg'], skipped_minor['msg']

    assert enabled.get('failed') is not True, enabled
    assert enabled['changed'] is True
    assert enabled['actions'] == ['Validated the downgrade to %s.' % older, 'Enabled the downgrade to %s.' % older]
    assert enabled['downgrade'] == dict(enabled=True, target_version=older + '.0')
    assert enabled['storage_versions'] == dict((url, older + '.0') for url in urls)
    assert enabled['cluster_version'] == older + '.0'
    # cluster_info shows the running job on every member: the downgrade playbook waits until etcd ends it.
    assert [(e['downgrade_enabled'], e['storage_version']) for e in info['endpoints']] == [(True, older + '.0')] * 3

    assert again.get('failed') is not True and again['changed'] is False and again['actions'] == []
    assert other['failed'] is True and other['changed'] is False
    assert other['msg'] == ('A downgrade to %s.0 runs on the cluster, not to %s: cancel it first (state: absent).'
                            % (older, newer))

    assert cancelled['changed'] is True and cancelled['actions'] == ['Cancelled the downgrade to %s.0.' % older]
    assert gone['changed'] is False and gone['actions'] == []
    assert [s['downgrade_enabled'] for s in statuses] == [False] * 3


def test_a_target_that_is_not_a_version_is_refused(run_tasks, etcd_single):
    result, = run_tasks([('cluster_downgrade', dict(endpoints=[etcd_single.client_url], version='old'))])
    assert result['failed'] is True and result['changed'] is False
    assert result['msg'] == "version must be a minor version like 3.5 or a release like 3.5.35, got 'old'."
