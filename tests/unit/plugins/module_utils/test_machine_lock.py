"""The lock members on one machine take before changing what they share (module_utils/machine_lock.py):
a second holder waits until the first gives it back, in another process as Ansible runs them."""
import os
import subprocess
import sys

from ansible_collections.quorum.etcd.plugins.module_utils.machine_lock import machine_lock

HOLDER = """
import sys, time
from ansible_collections.quorum.etcd.plugins.module_utils.machine_lock import machine_lock
with machine_lock(sys.argv[1]):
    print('held', flush=True)
    time.sleep(1.0)
    with open(sys.argv[2], 'w') as f:
        f.write('released')
"""
# The holder imports the collection from where this test does (conftest puts it on sys.path).
ENV = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))


def test_a_second_holder_waits_until_the_first_gives_the_lock_back(tmp_path):
    lock, marker = str(tmp_path / 'machine.lock'), tmp_path / 'marker'
    holder = subprocess.Popen([sys.executable, '-c', HOLDER, lock, str(marker)], stdout=subprocess.PIPE, text=True, env=ENV)
    try:
        assert holder.stdout.readline().strip() == 'held'
        with machine_lock(lock):
            # The holder wrote its marker before it let go; a lock that did not wait finds none.
            assert marker.read_text() == 'released'
    finally:
        assert holder.wait(timeout=10) == 0


def test_the_lock_is_given_back_when_the_block_fails(tmp_path):
    lock = str(tmp_path / 'machine.lock')
    try:
        with machine_lock(lock):
            raise ValueError('the change failed')
    except ValueError:
        pass
    holder = subprocess.run([sys.executable, '-c', HOLDER.replace('time.sleep(1.0)', 'pass'), lock,
                             str(tmp_path / 'marker')], capture_output=True, text=True, timeout=10, env=ENV)
    assert holder.returncode == 0 and holder.stdout.strip() == 'held', holder.stderr


def test_without_a_writable_place_for_the_lock_the_block_runs_unlocked(tmp_path):
    ran = []
    with machine_lock(str(tmp_path / 'missing' / 'machine.lock')):
        ran.append(True)
    assert ran == [True]


def test_check_mode_leaves_the_machine_alone_lock_file_included(tmp_path):
    lock = tmp_path / 'machine.lock'
    with machine_lock(str(lock), take=False):
        assert not lock.exists()
    assert not lock.exists()
