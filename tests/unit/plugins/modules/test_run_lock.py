"""quorum.etcd.run_lock and host_info's lock option, run as on a managed host: one run holds the lock, a
second is refused with the holder named until the first gives it back, a lock left behind expires or is
broken, two runs that start together cannot both take it, check mode writes nothing, and a long run
renews its lock and stops once another run took it."""
import concurrent.futures
import json
import os
import subprocess
import time

import pytest

from ansible_collections.quorum.etcd.plugins.module_utils import run_lock


def test_a_second_run_is_refused_until_the_first_gives_the_lock_back(run_module, tmp_path):
    path = str(tmp_path / 'locks' / 'main.lock')
    first = run_module('run_lock', dict(path=path, owner='run-a', holder='deploy from controller-a'))
    assert first.get('failed') is not True and first['changed'] is False and first['note'] is None, first
    with open(path) as f:
        held = json.load(f)
    assert held['owner'] == 'run-a' and held['holder'] == 'deploy from controller-a'
    assert held['expires'] - held['since'] == 7200
    assert oct(os.stat(path).st_mode & 0o777) == '0o600'

    second = run_module('run_lock', dict(path=path, owner='run-b', holder='upgrade from controller-b'))
    assert second['failed'] is True and second['changed'] is False
    assert second['msg'].startswith('another run holds the lock of this cluster (deploy from controller-a, since ')
    assert 'set etcd_run_lock_break: true' in second['msg'] and path in second['msg'], second['msg']

    # The other run's release leaves the holder's lock; the holder's own release removes it.
    assert run_module('run_lock', dict(path=path, owner='run-b', state='absent'))['released'] is False
    assert os.path.exists(path)
    again = run_module('run_lock', dict(path=path, owner='run-a'))  # the holder renews its own lock
    assert again.get('failed') is not True, again
    assert run_module('run_lock', dict(path=path, owner='run-a', state='absent'))['released'] is True
    assert not os.path.exists(path)
    taken = run_module('run_lock', dict(path=path, owner='run-b'))
    assert taken.get('failed') is not True and taken['note'] is None, taken


def test_a_lock_left_behind_expires_or_is_broken_and_check_mode_writes_nothing(run_module, tmp_path):
    path = str(tmp_path / 'main.lock')
    run_lock.acquire(path, 'killed-run', 'rolling restart', 60, now=1000.0)  # expired long ago
    took = run_module('run_lock', dict(path=path, owner='run-c'))
    assert took.get('failed') is not True, took
    assert took['note'].startswith('took over the expired lock of %s (rolling restart, since ' % path), took

    looked = run_module('run_lock', dict(path=path, owner='run-d'), check=True)
    assert looked['failed'] is True and 'another run holds' in looked['msg'], looked
    broke = run_module('run_lock', dict(path=path, owner='run-d', force=True))
    assert broke.get('failed') is not True and broke['note'].startswith('broke the lock of '), broke
    with open(path) as f:
        assert json.load(f)['owner'] == 'run-d'

    nothing = str(tmp_path / 'none' / 'main.lock')
    checked = run_module('run_lock', dict(path=nothing, owner='run-e'), check=True)
    assert checked.get('failed') is not True, checked
    assert not os.path.exists(os.path.dirname(nothing))


def test_two_runs_that_start_together_cannot_both_take_it(tmp_path):
    path = str(tmp_path / 'main.lock')

    def take(owner):
        try:
            run_lock.acquire(path, owner, owner, 600)
            return owner
        except run_lock.LockHeld:
            return None

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        winners = [w for w in pool.map(take, ['run-%d' % n for n in range(8)]) if w]
    assert len(winners) == 1, winners
    assert run_lock.read(path)['owner'] == winners[0]


@pytest.mark.parametrize('check', [False, True])
def test_host_info_takes_the_lock_in_the_same_call(run_module, tmp_path, check):
    path = str(tmp_path / 'main.lock')
    lock = dict(path=path, owner='run-f', holder='deploy', timeout=600)
    read = run_module('host_info', dict(data_dir=str(tmp_path / 'data'), lock=lock), check=check)
    assert read.get('failed') is not True and read['changed'] is False, read
    assert os.path.exists(path) is not check
    if check:
        return
    refused = run_module('host_info', dict(data_dir=str(tmp_path / 'data'), lock=dict(lock, owner='run-g')))
    assert refused['failed'] is True and refused['msg'].startswith('another run holds the lock of this cluster '
                                                                   '(deploy, since '), refused


def _as_the_role_runs_it(*args):
    """run_lock.py given to python3 -c with its arguments, as the role's raw tasks run it on the lock's host."""
    with open(run_lock.__file__) as f:
        code = f.read()
    return subprocess.run(['python3', '-c', code] + [str(a) for a in args], capture_output=True, text=True,
                          timeout=30)


def test_a_long_run_renews_its_lock_and_stops_when_another_run_took_it(tmp_path):
    path = str(tmp_path / 'locks' / 'main.lock')
    run_lock.acquire(path, 'run-a', 'rolling restart from controller-a', 60, now=1000.0)
    # Renewed before a restart: from now on, the same run since its start.
    renewed = _as_the_role_runs_it('renew', path, 'run-a', 600)
    assert renewed.returncode == 0 and renewed.stdout + renewed.stderr == '', renewed
    held = run_lock.read(path)
    assert held['owner'] == 'run-a' and held['since'] == 1000.0 and held['expires'] > time.time() + 590

    # Another run took it (this one's expired, or it was broken): the next renewal stops this run.
    run_lock.acquire(path, 'run-b', 'deploy from controller-b', 600, force=True)
    lost = _as_the_role_runs_it('renew', path, 'run-a', 600)
    assert lost.returncode == 3, lost
    assert lost.stdout.startswith('another run (deploy from controller-b) took the lock %s while this run went on'
                                  % path), lost.stdout
    assert run_lock.read(path)['owner'] == 'run-b'
    # The give-back leaves the other run's lock; its own removes it.
    assert _as_the_role_runs_it('release', path, 'run-a').returncode == 0 and run_lock.read(path)['owner'] == 'run-b'
    assert _as_the_role_runs_it('release', path, 'run-b').returncode == 0 and not os.path.exists(path)
    # Gone (taken and given back meanwhile): this run no longer holds it either, and nothing is written.
    gone = _as_the_role_runs_it('renew', path, 'run-a', 600)
    assert gone.returncode == 3 and gone.stdout.startswith('another run took and gave back the lock %s' % path), gone
    assert not os.path.exists(path)
