"""The backup role's script (roles/backup/files/etcd-backup) against real etcd 3.5, 3.6 and 3.7 on
loopback and the signature-checking S3 server (tests/lab/s3_server.py): a verified snapshot named
as specified, retention of its own files only, the upload with the file's SHA-256, and failures
that exit 1 with one line."""
import hashlib
import json
import os
import re
import subprocess
import sys

import boto3
import botocore.config
import pytest

from conftest import DEFAULT_VERSION, REPO, dead_url, free_port
from relay import Relay

SCRIPT = os.path.join(REPO, 'roles', 'backup', 'files', 'etcd-backup')
S3_SERVER = os.path.join(REPO, 'tests', 'lab', 's3_server.py')


@pytest.fixture(scope='module')
def s3(tmp_path_factory):
    state = str(tmp_path_factory.mktemp('s3') / 's3.json')
    subprocess.run([sys.executable, S3_SERVER, 'start', '--bind', '127.0.0.1', '--port', str(free_port()),
                    '--state', state], check=True, capture_output=True, timeout=120)
    try:
        with open(state) as f:
            yield json.load(f)
    finally:
        subprocess.run([sys.executable, S3_SERVER, 'stop', '--state', state], check=True, capture_output=True)


def run(member, directory, s3=None, **extra):
    env = dict(PATH=os.environ['PATH'], ETCD_BACKUP_CLUSTER_NAME='unit', ETCD_BACKUP_DIR=directory,
               ETCD_BACKUP_KEEP='2', ETCD_BACKUP_ENDPOINTS=member.client_url, ETCD_BACKUP_TIMEOUT='3',
               ETCD_BACKUP_ETCDCTL=os.path.join(member.bindir, 'etcdctl'),
               ETCD_BACKUP_ETCDUTL=os.path.join(member.bindir, 'etcdutl'))
    if s3:
        env.update(ETCD_BACKUP_S3_URL=s3['url'], ETCD_BACKUP_S3_BUCKET=s3['bucket'], ETCD_BACKUP_S3_PREFIX='unit/',
                   AWS_ACCESS_KEY_ID=s3['access_key'], AWS_SECRET_ACCESS_KEY=s3['secret_key'])
    env.update(extra)
    return subprocess.run([sys.executable, SCRIPT], env=env, capture_output=True, text=True, timeout=120)


def test_backups_are_verified_kept_and_uploaded(etcd_single, s3, tmp_path):
    directory = str(tmp_path)
    foreign = ['unit-manual.db', 'notes.txt', 'other-20200101T000000Z.db']
    for name in foreign:
        open(os.path.join(directory, name), 'w').close()
    made = []
    for _ in range(3):
        done = run(etcd_single, directory, s3)
        assert done.returncode == 0, done.stderr
        found = re.match(r'^etcd-backup: saved (\S+) \(', done.stdout)
        assert found, done.stdout
        made.append(os.path.basename(found.group(1)))
    print(done.stdout.strip())
    assert all(re.match(r'^unit-\d{8}T\d{6}Z\.db$', name) for name in made), made
    # The newest two of its own naming, and everything else untouched (the lock and the members last
    # listed are its own).
    assert sorted(os.listdir(directory)) == sorted(made[1:] + foreign + ['.etcd-backup.lock',
                                                                         '.unit-members.json'])

    newest = os.path.join(directory, made[-1])
    with open(newest, 'rb') as f:
        data = f.read()
    assert hashlib.sha256(data[:-32]).digest() == data[-32:]
    client = boto3.client('s3', endpoint_url=s3['url'], region_name=s3['region'],
                          aws_access_key_id=s3['access_key'], aws_secret_access_key=s3['secret_key'],
                          config=botocore.config.Config(s3={'addressing_style': 'path'}))
    body = client.get_object(Bucket=s3['bucket'], Key='unit/' + made[-1])['Body'].read()
    assert hashlib.sha256(body).hexdigest() == hashlib.sha256(data).hexdigest()
    tool = 'etcdutl' if os.path.exists(os.path.join(etcd_single.bindir, 'etcdutl')) else 'etcdctl'
    print('etcd %s: %d bytes uploaded, status read with %s' % (etcd_single.version, len(body), tool))


def test_failures_exit_1_with_one_line_and_leave_no_file(etcd_single, s3, tmp_path):
    directory = str(tmp_path)
    wrong = run(etcd_single, directory, s3, AWS_SECRET_ACCESS_KEY=s3['secret_key'] + 'x')
    assert wrong.returncode == 1
    assert re.match(r'^etcd-backup: FAILED: upload: PUT \S+ failed: HTTP 403 SignatureDoesNotMatch\n$', wrong.stderr), \
        wrong.stderr
    # No member reachable at all: no seed, and none listed by an earlier run.
    os.unlink(os.path.join(directory, '.unit-members.json'))
    saved = os.listdir(directory)  # the snapshot itself was good and stays

    unreachable = run(etcd_single, directory, ETCD_BACKUP_ENDPOINTS=dead_url())
    assert unreachable.returncode == 1
    assert unreachable.stderr.startswith('etcd-backup: FAILED: no member can give a snapshot: ')
    assert len(unreachable.stderr.strip().splitlines()) == 1, unreachable.stderr
    no_settings = run(etcd_single, directory, ETCD_BACKUP_DIR='')
    assert no_settings.returncode == 1
    assert no_settings.stderr == ('etcd-backup: FAILED: ETCD_BACKUP_DIR is not set: the backup unit must load its '
                                  'settings file.\n')
    assert os.listdir(directory) == saved


def test_the_members_listed_last_time_stand_in_for_a_seed_that_is_down(etcd_single, tmp_path):
    directory = str(tmp_path)
    first = run(etcd_single, directory)
    assert first.returncode == 0, first.stderr
    with open(os.path.join(directory, '.unit-members.json')) as f:
        known = json.load(f)
    assert known['client_urls'] == [etcd_single.client_url] and re.match(r'^[0-9a-f]+$', known['cluster_id']), known

    # The seed (this host's own member, say) is down: the member listed last time gives the snapshot.
    seed_down = run(etcd_single, directory, ETCD_BACKUP_ENDPOINTS=dead_url())
    assert seed_down.returncode == 0, seed_down.stderr
    assert re.match(r'^etcd-backup: saved \S+ .* from leader member [0-9a-f]+ at %s; ' % re.escape(etcd_single.client_url),
                    seed_down.stdout), seed_down.stdout

    # An address listed last time that now answers for another cluster is not backed up under this name.
    with open(os.path.join(directory, '.unit-members.json'), 'w') as f:
        json.dump(dict(known, cluster_id='1234abcd'), f)
    other = run(etcd_single, directory, ETCD_BACKUP_ENDPOINTS=dead_url())
    assert other.returncode == 1
    assert ('the members listed last time now answer for cluster %s, not 1234abcd' % known['cluster_id']
            in other.stderr), other.stderr


class FlakyDoor(Relay):
    """A TCP port in front of the S3 server that answers its first ``failures`` connections with HTTP 503
    and passes every later one through: storage that fails for a moment, as it does."""

    def __init__(self, target_url, failures):
        self.failures, self.refused = failures, 0
        super().__init__(target_url)

    def answer(self, client):
        if self.refused >= self.failures:
            return False
        self.refused += 1
        self._read_request(client)
        client.sendall(b'HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n')
        client.close()
        return True

    @staticmethod
    def _read_request(client):
        """The whole request, body too: a 503 sent before it would reach the sender as a broken pipe."""
        data = b''
        while b'\r\n\r\n' not in data:
            data += client.recv(65536)
        head, body = data.split(b'\r\n\r\n', 1)
        length = re.search(rb'(?im)^content-length:\s*(\d+)', head)
        left = int(length.group(1)) - len(body) if length else 0
        while left > 0:
            left -= len(client.recv(min(left, 65536)))


@pytest.mark.parametrize('etcd_single', [DEFAULT_VERSION], indirect=True)
def test_uploads_are_tried_again_and_the_bucket_keeps_its_own_number(etcd_single, s3, tmp_path):
    door = FlakyDoor(s3['url'], failures=2)
    try:
        made = []
        for number in range(3):
            done = run(etcd_single, str(tmp_path), dict(s3, url=door.url), ETCD_BACKUP_S3_PREFIX='retried/',
                       ETCD_BACKUP_S3_KEEP='2')
            assert done.returncode == 0, done.stderr
            made.append(re.match(r'^etcd-backup: saved \S+/(\S+) \(', done.stdout).group(1))
            if number == 0:
                # The first two tries of the first upload met the 503, the third went through.
                tries = done.stderr.splitlines()
                assert len(tries) == 2 and all(re.match(r'^etcd-backup: upload, try [12] of 3: PUT \S+ failed: '
                                                        r'HTTP 503; trying again$', t) for t in tries), tries
                print(tries[0])
        print(done.stdout.strip())
        assert done.stdout.strip().endswith('uploaded to s3://%s/retried/%s (kept 2 there, deleted 1 older); kept 2, '
                                            'deleted 1 older' % (s3['bucket'], made[-1])), done.stdout
    finally:
        door.close()
    client = boto3.client('s3', endpoint_url=s3['url'], region_name=s3['region'],
                          aws_access_key_id=s3['access_key'], aws_secret_access_key=s3['secret_key'],
                          config=botocore.config.Config(s3={'addressing_style': 'path'}))
    keys = sorted(o['Key'] for o in client.list_objects_v2(Bucket=s3['bucket'], Prefix='retried/')['Contents'])
    assert keys == ['retried/' + name for name in made[1:]], keys


@pytest.mark.parametrize('etcd_single', [DEFAULT_VERSION], indirect=True)
def test_a_snapshot_that_would_fill_the_disk_is_refused_and_a_killed_runs_files_are_removed(etcd_single, tmp_path):
    directory = str(tmp_path)
    killed = ['.unit-20260101T000000Z.db.tmp', '.unit-20260101T000000Z.db.tmp.part']
    for name in killed + ['.other-20260101T000000Z.db.tmp']:
        open(os.path.join(directory, name), 'w').close()
    free_mib = os.statvfs(directory).f_bavail * os.statvfs(directory).f_frsize // (1 << 20)
    full = run(etcd_single, directory, ETCD_BACKUP_MIN_FREE_MB=str(free_mib + 1024))
    assert full.returncode == 1
    assert re.match(r'^etcd-backup: FAILED: %s has \d+ MiB free; a snapshot of the \d+ MiB database would leave less '
                    r'than the %d MiB ETCD_BACKUP_MIN_FREE_MB keeps free: nothing was saved\. '
                    % (re.escape(directory), free_mib + 1024), full.stderr), full.stderr
    print(full.stderr.strip())
    # The killed run's temporary files of this naming are gone, another naming's stay, nothing was saved.
    assert sorted(os.listdir(directory)) == ['.etcd-backup.lock', '.other-20260101T000000Z.db.tmp',
                                             '.unit-members.json']


@pytest.mark.parametrize('etcd_single', [DEFAULT_VERSION], indirect=True)
def test_the_snapshots_time_limit_grows_with_the_database(etcd_single, tmp_path):
    """etcdctl's command timeout bounds the whole transfer: ETCD_BACKUP_TIMEOUT plus a second per 4 MiB of
    the database, read from etcdctl's own arguments (a wrapper that logs them, then runs etcdctl)."""
    from ansible_collections.quorum.etcd.plugins.module_utils.etcd_client import EtcdClient

    client = EtcdClient(dict(endpoints=[etcd_single.client_url]))
    for index in range(12):
        client.put('/backup/timeout/%d' % index, 'x' * (1 << 20))
    size = client.status(etcd_single.client_url)['db_size']
    calls = tmp_path / 'calls'
    wrapper = tmp_path / 'etcdctl'
    wrapper.write_text('#!/bin/sh\necho "$*" >> %s\nexec %s "$@"\n' % (calls, os.path.join(etcd_single.bindir,
                                                                                      'etcdctl')))
    wrapper.chmod(0o755)
    directory = tmp_path / 'backups'
    directory.mkdir()
    done = run(etcd_single, str(directory), ETCD_BACKUP_ETCDCTL=str(wrapper), ETCD_BACKUP_TIMEOUT='3')
    assert done.returncode == 0, done.stderr
    saves = [line for line in calls.read_text().splitlines() if 'snapshot save' in line]
    assert len(saves) == 1, calls.read_text()
    # The file only grows meanwhile (bbolt may grow it by itself): the script read a size between the two.
    after = client.status(etcd_single.client_url)['db_size']
    used = int(re.search(r'--command-timeout (\d+)s snapshot save', saves[0]).group(1))
    assert 3 + size // (4 << 20) <= used <= 3 + after // (4 << 20), (size, after, saves[0])
    assert size >= 12 << 20 and used > 3
    client.delete('/backup/timeout/', prefix=True)


def metrics(path):
    """{metric: value} of a textfile, after promtool has checked its format."""
    check = subprocess.run([os.path.join(REPO, '.cache', 'prometheus', 'usr', 'bin', 'promtool'), 'check', 'metrics'],
                           stdin=open(path), capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    with open(path) as f:
        return {line.split('{')[0]: float(line.rsplit(' ', 1)[1]) for line in f if line.startswith('etcd_')}


def test_each_run_leaves_its_outcome_for_node_exporter_and_a_failure_keeps_the_last_success(etcd_single, tmp_path):
    directory, textfiles = tmp_path / 'backups', tmp_path / 'textfile'
    directory.mkdir()
    textfiles.mkdir()
    done = run(etcd_single, str(directory), ETCD_BACKUP_TEXTFILE_DIR=str(textfiles))
    assert done.returncode == 0, done.stderr
    path = str(textfiles / 'etcd_backup_unit.prom')
    good = metrics(path)
    assert good['etcd_backup_last_run_success'] == 1
    snapshot = [name for name in os.listdir(str(directory)) if name.endswith('.db')]
    assert good['etcd_backup_last_success_size_bytes'] == os.path.getsize(str(directory / snapshot[0]))
    assert good['etcd_backup_last_success_timestamp_seconds'] == good['etcd_backup_last_run_timestamp_seconds']
    assert 'etcd_cluster="unit"' in open(path).read()

    # No member answers (and none listed by the first run: it would stand in for the seed).
    os.unlink(str(directory / '.unit-members.json'))
    failed = run(etcd_single, str(directory), ETCD_BACKUP_TEXTFILE_DIR=str(textfiles), ETCD_BACKUP_ENDPOINTS=dead_url())
    assert failed.returncode == 1
    bad = metrics(path)
    assert bad['etcd_backup_last_run_success'] == 0
    assert bad['etcd_backup_last_run_timestamp_seconds'] > good['etcd_backup_last_run_timestamp_seconds']
    assert bad['etcd_backup_last_success_timestamp_seconds'] == good['etcd_backup_last_success_timestamp_seconds']
    assert bad['etcd_backup_last_success_size_bytes'] == good['etcd_backup_last_success_size_bytes']
    assert sorted(os.listdir(str(textfiles))) == ['etcd_backup_unit.prom']
