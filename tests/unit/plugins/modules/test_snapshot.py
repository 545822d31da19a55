"""quorum.etcd.snapshot run (as on a managed host, conftest.run_module) against real etcd: one member of each tested minor,
and the session's three-member cluster (a snapshot changes nothing there, so it is shared)."""
import hashlib
import os
import shutil

from ansible_collections.quorum.etcd.plugins.module_utils.etcd_client import EtcdClient

from conftest import dead_url


def tools(member):
    return dict(etcdutl=os.path.join(member.bindir, 'etcdutl'), etcdctl=os.path.join(member.bindir, 'etcdctl'))


def sha256(path):
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


def test_a_snapshot_holds_the_keys_written_and_their_revision(run_tasks, etcd_single, tmp_path):
    client = EtcdClient(dict(endpoints=[etcd_single.client_url]))
    before, after = str(tmp_path / 'before.db'), str(tmp_path / 'after.db')
    args = dict(endpoints=[etcd_single.client_url], **tools(etcd_single))
    client.put('/snapshot/test/%s/first' % etcd_single.version, 'first')
    first, = run_tasks([('snapshot', dict(args, path=before))])
    assert first.get('failed') is not True, first
    revision = 0
    for index in range(25):
        revision = client.put('/snapshot/test/%s/%02d' % (etcd_single.version, index), 'value %d' % index)

    saved, verified, again = run_tasks([
        ('snapshot', dict(args, path=after)),
        ('snapshot', dict(args, path=after, state='verified')),
        ('snapshot', dict(args, path=after)),
    ])
    assert saved.get('failed') is not True, saved
    assert saved['changed'] is True
    assert saved['revision'] == revision
    # Every put adds one key (its revision) to the database: 25 more than before.
    assert saved['total_keys'] - first['total_keys'] == 25, (first, saved)
    assert saved['size'] == os.path.getsize(after) and saved['sha256'] == sha256(after)
    assert saved['total_size'] == saved['size'] - 32
    assert saved['etcd_version'] == etcd_single.version
    assert saved['member']['name'] == etcd_single.name and saved['member']['is_leader'] is True
    assert saved['tool'].endswith('etcdutl'), saved['tool']
    assert oct(os.stat(after).st_mode & 0o777) == '0o600'
    assert saved['actions'] == ['Saved a snapshot of revision %d from %s (ID %s) at %s to %s.' % (
        revision, etcd_single.name, saved['member']['id'], etcd_single.client_url, after)]
    # Only the snapshot is left in the directory: no temporary file.
    assert sorted(os.listdir(str(tmp_path))) == ['after.db', 'before.db', 'playbook']

    for name in ('hash', 'revision', 'total_keys', 'total_size', 'size', 'sha256'):
        assert verified[name] == saved[name], (name, verified, saved)
    assert verified['changed'] is False and verified['member'] is None
    # A valid snapshot at path is kept, not taken again.
    assert again['changed'] is False and again['sha256'] == saved['sha256'] and again['actions'] == []
    print('etcd %s: snapshot of %d bytes at revision %d, %d keys in the database'
          % (etcd_single.version, saved['size'], saved['revision'], saved['total_keys']))


def test_a_follower_gives_the_snapshot_the_leader_only_when_alone(run_tasks, etcd_cluster, tmp_path):
    urls = [m.client_url for m in etcd_cluster]
    client = EtcdClient(dict(endpoints=urls))
    status = client.status(urls[0])
    leader_url = [u for u in urls if client.status(u)['member_id'] == status['leader']][0]
    # The leader first: it must still not be chosen while a follower answers.
    ordered = [leader_url] + [u for u in urls if u != leader_url]
    args = tools(etcd_cluster[0])

    plan, follower, alone = run_tasks([
        ('snapshot', dict(args, endpoints=ordered, path=str(tmp_path / 'plan.db')), True),
        ('snapshot', dict(args, endpoints=ordered, path=str(tmp_path / 'follower.db'))),
        ('snapshot', dict(args, endpoints=[dead_url(), leader_url], path=str(tmp_path / 'leader.db'))),
    ])
    assert plan.get('failed') is not True, plan
    assert plan['member']['is_leader'] is False and plan['member']['endpoint'] != leader_url
    assert follower.get('failed') is not True, follower
    assert follower['member']['is_leader'] is False, follower
    assert follower['member']['id'] != status['leader'] and follower['member']['endpoint'] in ordered[1:]
    assert alone.get('failed') is not True, alone
    assert alone['member']['is_leader'] is True and alone['member']['id'] == status['leader']
    assert alone['member']['endpoint'] == leader_url


def test_a_truncated_altered_or_missing_file_fails_verification(run_tasks, etcd_cluster, tmp_path):
    args = dict(tools(etcd_cluster[0]), endpoints=[m.client_url for m in etcd_cluster])
    good = str(tmp_path / 'good.db')
    saved, = run_tasks([('snapshot', dict(args, path=good))])
    assert saved.get('failed') is not True, saved

    truncated, altered = str(tmp_path / 'truncated.db'), str(tmp_path / 'altered.db')
    with open(good, 'rb') as f:
        data = f.read()
    with open(truncated, 'wb') as f:
        f.write(data[:-100])
    middle = len(data) // 2
    with open(altered, 'wb') as f:
        f.write(data[:middle] + bytes([data[middle] ^ 0xff]) + data[middle + 1:])
    altered_sha = sha256(altered)
    missing = str(tmp_path / 'missing.db')

    short, changed, absent, kept = run_tasks([
        ('snapshot', dict(args, path=truncated, state='verified')),
        ('snapshot', dict(args, path=altered, state='verified')),
        ('snapshot', dict(args, path=missing, state='verified')),
        # saved never overwrites a file that does not verify unless told to.
        ('snapshot', dict(args, path=altered)),
    ])
    assert short['failed'] is True
    assert 'is not a whole etcd snapshot' in short['msg'] and 'truncated' in short['msg'], short['msg']
    assert changed['failed'] is True
    assert 'is corrupt: the SHA-256 of its database is' in changed['msg'], changed['msg']
    assert absent['failed'] is True and absent['msg'] == 'The snapshot is not usable: %s does not exist.' % missing
    assert kept['failed'] is True and 'is not a valid snapshot, so it was left alone' in kept['msg'], kept['msg']
    assert kept['changed'] is False and sha256(altered) == altered_sha
    assert not os.path.exists(missing)


def test_check_mode_and_failures_write_nothing(run_tasks, etcd_cluster, tmp_path):
    args = tools(etcd_cluster[0])
    target = tmp_path / 'out'
    target.mkdir()
    path = str(target / 'snap.db')
    no_tool = dict(etcdutl=str(tmp_path / 'none' / 'etcdutl'), etcdctl=str(tmp_path / 'none' / 'etcdctl'))
    free_mib = os.statvfs(str(target)).f_bavail * os.statvfs(str(target)).f_frsize >> 20
    plan, unreachable, no_dir, no_bin, full = run_tasks([
        ('snapshot', dict(args, endpoints=[m.client_url for m in etcd_cluster], path=path), True),
        ('snapshot', dict(args, endpoints=[dead_url(), dead_url()], path=path)),
        ('snapshot', dict(args, endpoints=[etcd_cluster[0].client_url], path=str(tmp_path / 'nodir' / 'x.db'))),
        ('snapshot', dict(no_tool, endpoints=[etcd_cluster[0].client_url], path=path)),
        ('snapshot', dict(args, endpoints=[etcd_cluster[0].client_url], path=path, min_free_mb=free_mib + 1024)),
    ])
    assert full['failed'] is True and full['changed'] is False
    assert full['msg'].startswith('%s has ' % target) and ('would leave less than min_free_mb %d MiB: nothing was '
                                                           'written' % (free_mib + 1024)) in full['msg'], full['msg']
    assert plan.get('failed') is not True, plan
    assert plan['changed'] is True
    assert plan['actions'] == ['Would save a snapshot from %s (ID %s) at %s to %s.' % (
        plan['member']['name'], plan['member']['id'], plan['member']['endpoint'], path)]
    assert unreachable['failed'] is True and unreachable['changed'] is False
    assert unreachable['msg'].startswith('No etcd member can give a snapshot: none of the endpoints answered'), \
        unreachable['msg']
    assert no_dir['failed'] is True and 'does not exist; create' in no_dir['msg'], no_dir['msg']
    assert no_bin['failed'] is True and no_bin['msg'].startswith('Neither etcdutl'), no_bin['msg']
    assert os.listdir(str(target)) == []
    assert not os.path.exists(str(tmp_path / 'nodir'))
    shutil.rmtree(str(target))
