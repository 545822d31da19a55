"""Fixtures for the unit tests: real etcd processes, a served release mirror, and a way to run
the collection's modules through Ansible.

Nothing of etcd is mocked. The etcd binaries come from the local release mirror that
``make mirror`` builds (tests/lab/release_mirror.py); set QUORUM_ETCD_MIRROR to use another.
"""
import functools
import http.server
import itertools
import json
import os
import shutil
import socket
import subprocess
import sys
import tarfile
import threading
import time
import urllib.request

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COLLECTIONS = os.path.join(REPO, '.cache', 'collections')
MIRROR = os.environ.get('QUORUM_ETCD_MIRROR') or os.path.join(REPO, '.cache', 'mirror')
sys.path.insert(0, os.path.join(REPO, 'tests', 'lab'))
from release_mirror import RELEASES  # noqa: E402  (the mirror's own list of releases)

# The newest patch of each minor users run: fixtures made once per version use these.
VERSIONS = ('3.5.35', '3.6.16', '3.7.3')
# The role's default release, for tests that need one cluster of any version.
DEFAULT_VERSION = '3.6.16'
# The oldest release the collection is tested with (the official build).
OLDEST_VERSION = '3.5.1'


def _link_collection():
    """Make the checkout importable as ansible_collections.quorum.etcd (.cache is gitignored)."""
    parent = os.path.join(COLLECTIONS, 'ansible_collections', 'quorum')
    link = os.path.join(parent, 'etcd')
    if not os.path.lexists(link):
        os.makedirs(parent, exist_ok=True)
        os.symlink(os.path.relpath(REPO, parent), link)
    if COLLECTIONS not in sys.path:
        sys.path.insert(0, COLLECTIONS)


_link_collection()


def _shard():
    """(K, N) of QUORUM_TEST_SHARD=K/N, (0, 1) when the tests run in one process."""
    shard = os.environ.get('QUORUM_TEST_SHARD')
    return tuple(int(part) for part in shard.split('/')) if shard else (0, 1)


def _own_ports():
    """Loopback ports for this process's etcd members and servers, endlessly, each free when handed out.

    Below the kernel's ephemeral range, which outgoing connections take from (a port the kernel picked
    and freed may be another connection's by the time etcd binds it), and a share of its own for each
    shard, which run side by side."""
    with open('/proc/sys/net/ipv4/ip_local_port_range') as ephemeral:
        top = int(ephemeral.read().split()[0])
    index, count = _shard()
    width = max(top - 10000, 1000) // count
    low = 10000 + index * width
    # Another start than the last run's, whose ports may linger in TIME_WAIT.
    offset = os.getpid() % width
    for step in itertools.count():
        port = low + (offset + step) % width
        with socket.socket() as sock:
            try:
                sock.bind(('127.0.0.1', port))
            except OSError:
                continue
        yield port


_PORTS = _own_ports()


def free_port():
    return next(_PORTS)


def dead_url():
    """A URL on a loopback port where nothing listens: connections are refused."""
    return 'http://127.0.0.1:%d' % free_port()


# -- shards ------------------------------------------------------------------

def pytest_collection_modifyitems(config, items):
    """QUORUM_TEST_SHARD=K/N keeps every Nth test from the Kth (K counts from 0).

    scripts/unit_tests.sh runs the N shards side by side: one pytest process keeps one core busy
    starting Ansible and etcd, and the test machine has more."""
    index, count = _shard()
    if count == 1:
        return
    config.hook.pytest_deselected(items=[item for position, item in enumerate(items) if position % count != index])
    items[:] = [item for position, item in enumerate(items) if position % count == index]


# -- the release mirror ------------------------------------------------------

@pytest.fixture(scope='session')
def mirror_dir():
    if not all(os.path.isfile(os.path.join(MIRROR, 'v' + v, 'SHA256SUMS')) for v in RELEASES):
        pytest.fail('The etcd release mirror is missing at %s (looked for %s). Run `make mirror` '
                    '(tests/lab/release_mirror.py build %s) or point QUORUM_ETCD_MIRROR at a built mirror.'
                    % (MIRROR, ' and '.join('v%s/SHA256SUMS' % v for v in RELEASES), MIRROR), pytrace=False)
    return MIRROR


def mirror_checksum(mirror_dir, version):
    with open(os.path.join(mirror_dir, 'v' + version, 'SHA256SUMS')) as sums:
        return sums.read().split()[0]


class MirrorServer(object):
    """The mirror over HTTP on loopback, recording every request path."""

    def __init__(self, directory):
        self.requests = []
        server = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def log_message(self, *args):
                server.requests.append(self.path)

        handler = functools.partial(Handler, directory=directory)
        self.httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
        self.url = 'http://127.0.0.1:%d' % self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope='session')
def mirror_server(mirror_dir):
    server = MirrorServer(mirror_dir)
    yield server
    server.stop()


@pytest.fixture(scope='session')
def etcd_bin(mirror_dir, tmp_path_factory):
    """etcd_bin(version) -> directory holding that release's etcd and etcdctl."""
    root = tmp_path_factory.mktemp('etcd-bin')
    cache = {}

    def extract(version):
        if version not in cache:
            name = 'etcd-v%s-linux-amd64' % version
            with tarfile.open(os.path.join(mirror_dir, 'v' + version, name + '.tar.gz')) as tar:
                tar.extractall(str(root))
            cache[version] = str(root / name)
        return cache[version]

    return extract


# -- real etcd processes ------------------------------------------------------

class Etcd(object):
    """One etcd member on loopback with its own random ports and data dir."""

    def __init__(self, bindir, workdir, name):
        self.bindir, self.name = bindir, name
        self.data_dir = os.path.join(workdir, name + '.etcd')
        self.log_path = os.path.join(workdir, name + '.log')
        self.client_url = 'http://127.0.0.1:%d' % free_port()
        self.peer_url = 'http://127.0.0.1:%d' % free_port()
        # Where /health answers over plain HTTP (a TLS member serves it on a metrics URL).
        self.health_url = self.client_url
        self.process = None

    def start(self, initial_cluster, token, state='new', extra=()):
        """Start etcd; state='existing' joins a running cluster that this member was added to.
        With a data dir from an earlier start, etcd ignores the initial cluster flags. ``extra``: more flags."""
        args = [os.path.join(self.bindir, 'etcd'), '--name', self.name, '--data-dir', self.data_dir,
                '--listen-client-urls', self.client_url, '--advertise-client-urls', self.client_url,
                '--listen-peer-urls', self.peer_url, '--initial-advertise-peer-urls', self.peer_url,
                '--initial-cluster-state', state,
                '--initial-cluster-token', token, '--logger', 'zap', '--log-level', 'warn',
                '--heartbeat-interval', '50', '--election-timeout', '500'] + list(extra)
        if initial_cluster is not None:  # None: the member bootstraps through discovery flags in extra
            args += ['--initial-cluster', initial_cluster]
        with open(self.log_path, 'ab') as log:
            self.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)

    def healthy(self):
        try:
            with urllib.request.urlopen(self.health_url + '/health', timeout=1) as response:
                return json.loads(response.read().decode()).get('health') == 'true'
        except (OSError, ValueError):
            return False

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def log_tail(self):
        with open(self.log_path, errors='replace') as log:
            return ''.join(log.readlines()[-20:])


def start_cluster(bindir, workdir, size, extra=()):
    os.makedirs(workdir, exist_ok=True)
    members = [Etcd(bindir, workdir, 'member%d' % (i + 1)) for i in range(size)]
    initial = ','.join('%s=%s' % (m.name, m.peer_url) for m in members)
    for member in members:
        member.start(initial, 'test-' + os.path.basename(workdir), extra=extra)
    try:
        wait_healthy(members)
    except RuntimeError:
        stop_cluster(members)
        raise
    return members


def wait_healthy(members, timeout=30):
    """Wait until every member answers /health with true; RuntimeError with its log when one does not."""
    deadline = time.time() + timeout
    for member in members:
        while not member.healthy():
            if member.process.poll() is not None:
                raise RuntimeError('etcd %s exited with %s:\n%s'
                                   % (member.name, member.process.returncode, member.log_tail()))
            if time.time() > deadline:
                raise RuntimeError('etcd %s did not become healthy in %ss:\n%s'
                                   % (member.name, timeout, member.log_tail()))
            time.sleep(0.1)


def stop_cluster(members):
    for member in members:
        member.stop()
        # etcd preallocates 64 MB of WAL per member: do not leave that in pytest's kept temp dirs.
        shutil.rmtree(member.data_dir, ignore_errors=True)


@pytest.fixture(scope='session', params=VERSIONS, ids=['etcd' + v for v in VERSIONS])
def etcd_single(request, etcd_bin, tmp_path_factory):
    """A one-member cluster, once per etcd version."""
    members = start_cluster(etcd_bin(request.param), str(tmp_path_factory.mktemp('single')), 1)
    members[0].version = request.param
    yield members[0]
    stop_cluster(members)


@pytest.fixture(scope='session')
def etcd_cluster(etcd_bin, tmp_path_factory):
    """Three members of the default release on loopback, started together as a new cluster."""
    members = start_cluster(etcd_bin(DEFAULT_VERSION), str(tmp_path_factory.mktemp('cluster')), 3)
    yield members
    stop_cluster(members)


# -- running modules through Ansible ----------------------------------------

def _ansible_bin(name='ansible'):
    sibling = os.path.join(os.path.dirname(sys.executable), name)
    return sibling if os.path.exists(sibling) else shutil.which(name)


def _ansible_env(workdir):
    """Environment to run Ansible in ``workdir`` with this collection, the JSON callback and no ansible.cfg."""
    env = dict(os.environ,
               ANSIBLE_COLLECTIONS_PATH=COLLECTIONS,
               ANSIBLE_STDOUT_CALLBACK='ansible.posix.json',
               ANSIBLE_LOAD_CALLBACK_PLUGINS='1',
               ANSIBLE_LOCAL_TEMP=str(workdir / 'tmp'),
               ANSIBLE_HOME=str(workdir / 'home'),
               ANSIBLE_DEPRECATION_WARNINGS='0',
               ANSIBLE_INVENTORY_UNPARSED_WARNING='0',
               ANSIBLE_LOCALHOST_WARNING='0',
               ANSIBLE_NOCOLOR='1')
    for name in ('ANSIBLE_CONFIG', 'ANSIBLE_CALLBACKS_ENABLED', 'ANSIBLE_CALLBACK_WHITELIST'):
        env.pop(name, None)
    return env


# Modules with an action plugin run only through Ansible, which runs the plugin on the controller.
ACTION_PLUGINS = frozenset(name[:-3] for name in os.listdir(os.path.join(REPO, 'plugins', 'action'))
                           if name.endswith('.py'))


def _direct_run(workdir, name, args, check=False, diff=False):
    """The module's result, run as Ansible's developer guide runs one: its file with an args file.

    AnsibleModule reads the arguments and the internal options Ansible would send (check mode,
    a temporary directory) and prints the JSON result, as on a managed host: the same module code
    and argument validation, without starting Ansible for each call (about 2 s of a core each)."""
    index = len(list(workdir.glob('args*.json')))
    args_file = workdir / ('args%d.json' % index)
    tmpdir = workdir / ('tmp%d' % index)
    tmpdir.mkdir()
    internal = {'_ansible_check_mode': bool(check), '_ansible_diff': bool(diff), '_ansible_tmpdir': str(tmpdir),
                '_ansible_remote_tmp': str(tmpdir), '_ansible_keep_remote_files': False}
    args_file.write_text(json.dumps({'ANSIBLE_MODULE_ARGS': dict(args, **internal)}))
    env = dict(os.environ, PYTHONPATH=COLLECTIONS)
    proc = subprocess.run([sys.executable, '-m', 'ansible_collections.quorum.etcd.plugins.modules.' + name,
                           str(args_file)], cwd=str(workdir), env=env, capture_output=True, text=True, timeout=120)
    try:
        result = json.loads(proc.stdout)
    except ValueError:
        raise AssertionError('quorum.etcd.%s gave no JSON result (rc %s)\nstdout:\n%s\nstderr:\n%s'
                             % (name, proc.returncode, proc.stdout, proc.stderr))
    # What Ansible's task executor adds to every result, and its warnings as the messages it shows.
    result.setdefault('changed', False)
    if 'warnings' in result:
        result['warnings'] = [w['event']['msg'] if isinstance(w, dict) and 'event' in w else w
                              for w in result['warnings']]
    if proc.returncode != 0:
        result['failed'] = True
    assert 'Traceback' not in json.dumps(result) + proc.stderr, (result, proc.stderr)
    return result


def _ansible_run(workdir, env, name, args, check=False):
    cmd = [_ansible_bin(), 'localhost', '-c', 'local', '-m', 'quorum.etcd.' + name, '-a', json.dumps(args)]
    if check:
        cmd.append('--check')
    proc = subprocess.run(cmd, cwd=str(workdir), env=env, capture_output=True, text=True, timeout=120)
    try:
        result = json.loads(proc.stdout)['plays'][0]['tasks'][0]['hosts']['localhost']
    except (ValueError, KeyError, IndexError):
        raise AssertionError('ansible gave no JSON result (rc %s)\nstdout:\n%s\nstderr:\n%s'
                             % (proc.returncode, proc.stdout, proc.stderr))
    assert 'Traceback' not in json.dumps(result), result
    return result


@pytest.fixture
def run_module(tmp_path):
    """run_module(name, args, check=False) -> the result dict of quorum.etcd.<name>.

    A module with an action plugin runs through `ansible localhost -c local -m quorum.etcd.<name>` with
    the ansible.posix.json callback, in a temp dir so that no ansible.cfg from the checkout applies; any
    other runs directly (_direct_run).
    """
    workdir = tmp_path / 'ansible'
    workdir.mkdir()
    env = _ansible_env(workdir)

    def run(name, args, check=False):
        if name in ACTION_PLUGINS:
            return _ansible_run(workdir, env, name, args, check)
        return _direct_run(workdir, name, args, check)

    return run


@pytest.fixture
def run_tasks(tmp_path):
    """run_tasks([(name, args), (name, args, check), ...]) -> the result dict of each task, in order.

    A task that fails (a refusal under test) does not stop the next ones, as with ignore_errors. Tasks of
    modules with an action plugin run as one play of ``ansible-playbook`` on localhost.
    """
    workdir = tmp_path / 'playbook'
    workdir.mkdir()
    env = _ansible_env(workdir)
    runs = []

    def run(tasks):
        if not [task for task in tasks if task[0] in ACTION_PLUGINS]:
            return [_direct_run(workdir, task[0], task[1], bool(task[2]) if len(task) > 2 else False)
                    for task in tasks]
        play = dict(hosts='localhost', gather_facts=False, tasks=[
            {'name': 'task %d' % index, 'quorum.etcd.' + task[0]: task[1],
             'check_mode': bool(task[2]) if len(task) > 2 else False, 'ignore_errors': True}
            for index, task in enumerate(tasks)])
        runs.append(play)
        playbook = workdir / ('play%d.yml' % len(runs))
        playbook.write_text(json.dumps([play], indent=2))  # JSON is YAML
        proc = subprocess.run([_ansible_bin('ansible-playbook'), str(playbook)], cwd=str(workdir), env=env,
                              capture_output=True, text=True, timeout=300)
        try:
            ran = json.loads(proc.stdout)['plays'][0]['tasks']
            results = [t['hosts']['localhost'] for t in ran]
        except (ValueError, KeyError, IndexError):
            raise AssertionError('ansible-playbook gave no JSON result (rc %s)\nstdout:\n%s\nstderr:\n%s'
                                 % (proc.returncode, proc.stdout, proc.stderr))
        assert len(results) == len(tasks), proc.stdout
        for result in results:
            assert 'Traceback' not in json.dumps(result), result
        return results

    return run
