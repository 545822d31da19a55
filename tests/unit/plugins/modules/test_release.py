"""quorum.etcd.release run (as on a managed host, conftest.run_module) against the local release mirror."""
import io
import json
import os
import shutil
import subprocess
import tarfile

import pytest

from conftest import dead_url, mirror_checksum


@pytest.fixture
def host(tmp_path):
    """Install locations of a fresh host, none of which exist yet."""
    root = tmp_path / 'host'
    yield dict(download_dir=str(root / 'cache'), install_dir=str(root / 'opt' / 'etcd'),
               bin_dir=str(root / 'bin'))
    shutil.rmtree(str(root), ignore_errors=True)  # ~60 MB per installed version


def files_under(path):
    found = []
    for root, dirs, files in os.walk(path):
        found.extend(os.path.relpath(os.path.join(root, name), path) for name in dirs + files)
    return sorted(found)


def version_of(binary):
    return subprocess.run([binary, '--version'], capture_output=True, text=True, check=True).stdout


def assert_nothing_installed(host):
    assert not os.path.exists(host['install_dir']) or files_under(host['install_dir']) == []
    assert not os.path.exists(host['bin_dir']) or os.listdir(host['bin_dir']) == []
    assert not os.path.exists(host['download_dir']) or os.listdir(host['download_dir']) == []


@pytest.mark.parametrize('version', ['3.5.1', '3.6.16'])
def test_install_then_rerun_offline(run_module, mirror_server, mirror_dir, host, version):
    result = run_module('release', dict(host, version='v' + version, base_url=mirror_server.url))

    assert result.get('failed') is not True, result
    assert result['changed'] is True and result['downloaded'] is True
    assert result['version'] == version
    assert result['checksum'] == mirror_checksum(mirror_dir, version)
    install_path = os.path.join(host['install_dir'], 'v' + version)
    assert result['install_path'] == install_path
    names = ['etcd', 'etcdctl', 'etcdutl']
    assert result['binaries'] == dict((n, os.path.join(host['bin_dir'], n)) for n in names)
    assert sorted(os.listdir(host['bin_dir'])) == names
    for name in names:
        link = os.path.join(host['bin_dir'], name)
        assert os.readlink(link) == os.path.join(install_path, name)
        st = os.stat(link)
        assert st.st_mode & 0o777 == 0o755 and st.st_uid == 0
    assert 'etcd Version: %s' % version in version_of(os.path.join(host['bin_dir'], 'etcd'))
    with open(os.path.join(install_path, '.quorum-etcd-release.json')) as marker:
        assert json.load(marker)['sha256'] == result['checksum']
    # No temporary files left: the downloaded tarball went away after installing.
    assert os.listdir(host['download_dir']) == []
    assert os.listdir(host['install_dir']) == ['v' + version]
    assert result['tarball'] is None

    # Second run with the mirror unreachable: nothing to download, nothing changes.
    again = run_module('release', dict(host, version=version, base_url=dead_url()))
    assert again.get('failed') is not True, again
    assert again['changed'] is False and again['downloaded'] is False and again['actions'] == []
    assert again['checksum'] == result['checksum'] and again['binaries'] == result['binaries']


def test_check_mode_on_fresh_host_changes_nothing(run_module, mirror_server, host):
    before = len(mirror_server.requests)
    result = run_module('release', dict(host, version='3.5.1', base_url=mirror_server.url), check=True)

    assert result.get('failed') is not True, result
    assert result['changed'] is True and result['downloaded'] is False
    assert result['actions'][0].startswith('download %s/v3.5.1/' % mirror_server.url)
    assert 'install %s/v3.5.1' % host['install_dir'] in result['actions']
    assert not any(os.path.exists(path) for path in host.values())
    assert mirror_server.requests[before:] == []


def test_wrong_pinned_checksum_installs_nothing(run_module, mirror_server, host):
    result = run_module('release', dict(host, version='3.5.1', base_url=mirror_server.url, checksum='ab' * 32))

    assert result['failed'] is True
    assert 'Checksum mismatch' in result['msg'] and 'ab' * 32 in result['msg']
    assert_nothing_installed(host)


def test_tampered_mirror_is_refused(run_module, mirror_dir, host, tmp_path):
    """A tarball that does not match the release's SHA256SUMS, served over file://."""
    fake = tmp_path / 'mirror' / 'v3.5.1'
    fake.mkdir(parents=True)
    shutil.copy(os.path.join(mirror_dir, 'v3.5.1', 'SHA256SUMS'), str(fake))
    shutil.copy(os.path.join(mirror_dir, 'v3.6.16', 'etcd-v3.6.16-linux-amd64.tar.gz'),
                str(fake / 'etcd-v3.5.1-linux-amd64.tar.gz'))
    result = run_module('release', dict(host, version='3.5.1', base_url='file://%s' % (tmp_path / 'mirror')))

    assert result['failed'] is True
    assert 'Checksum mismatch for file://' in result['msg'] and 'SHA256SUMS' in result['msg']
    assert_nothing_installed(host)


def test_tarball_without_etcd_is_refused(run_module, mirror_dir, host, tmp_path):
    release = tmp_path / 'mirror' / 'v3.5.1'
    release.mkdir(parents=True)
    tarball = release / 'etcd-v3.5.1-linux-amd64.tar.gz'
    with tarfile.open(str(tarball), 'w:gz') as tar:
        info = tarfile.TarInfo('etcd-v3.5.1-linux-amd64/etcdctl')
        info.size, info.mode = 3, 0o755
        tar.addfile(info, io.BytesIO(b'#!\n'))
    result = run_module('release', dict(host, version='3.5.1', src=str(tarball),
                                        checksum=subprocess.check_output(['sha256sum', str(tarball)]).split()[0]
                                        .decode()))

    assert result['failed'] is True
    assert 'is not an etcd release: it lacks etcd' in result['msg']
    assert_nothing_installed(host)


def test_unknown_version_is_a_clear_404(run_module, mirror_server, host):
    result = run_module('release', dict(host, version='3.4.99', base_url=mirror_server.url))

    assert result['failed'] is True
    assert 'etcd v3.4.99 for linux-amd64 was not found' in result['msg'] and '404' in result['msg']
    assert '%s/v3.4.99/SHA256SUMS' % mirror_server.url in result['msg']
    assert_nothing_installed(host)


@pytest.mark.parametrize('version', ['latest', '3.5', '3.5.1-rc.0'])
def test_moving_versions_fail_before_any_request(run_module, mirror_server, host, version):
    before = len(mirror_server.requests)
    result = run_module('release', dict(host, version=version, base_url=mirror_server.url))

    assert result['failed'] is True
    assert 'version must be an exact etcd release' in result['msg'] and repr(version) in result['msg']
    assert mirror_server.requests[before:] == []
    assert not any(os.path.exists(path) for path in host.values())


def test_src_requires_checksum(run_module, host):
    result = run_module('release', dict(host, version='3.5.1', src='/nonexistent.tar.gz'))
    assert result['failed'] is True and 'checksum' in result['msg']


def test_download_on_controller_then_install_from_src(run_module, mirror_server, mirror_dir, host):
    controller = os.path.join(os.path.dirname(host['bin_dir']), 'controller-cache')
    downloaded = run_module('release', dict(version='3.5.1', state='downloaded', download_dir=controller,
                                            base_url=mirror_server.url))
    assert downloaded.get('failed') is not True, downloaded
    assert downloaded['changed'] is True and downloaded['downloaded'] is True
    assert downloaded['tarball'] == os.path.join(controller, 'etcd-v3.5.1-linux-amd64.tar.gz')
    assert downloaded['checksum'] == mirror_checksum(mirror_dir, '3.5.1')
    assert sorted(os.listdir(controller)) == ['etcd-v3.5.1-linux-amd64.tar.gz',
                                              'etcd-v3.5.1-linux-amd64.tar.gz.sha256']
    assert not any(os.path.exists(path) for path in host.values())

    # Already downloaded and verified: no network needed.
    again = run_module('release', dict(version='3.5.1', state='downloaded', download_dir=controller,
                                       base_url=dead_url()))
    assert again['changed'] is False and again['downloaded'] is False
    assert again['checksum'] == downloaded['checksum']

    copied = os.path.join(os.path.dirname(host['bin_dir']), 'copied.tar.gz')
    shutil.copy(downloaded['tarball'], copied)
    installed = run_module('release', dict(host, version='3.5.1', src=copied, checksum=downloaded['checksum'],
                                           base_url=dead_url()))
    assert installed.get('failed') is not True, installed
    assert installed['changed'] is True and installed['downloaded'] is False
    assert installed['tarball'] == copied
    assert 'etcd Version: 3.5.1' in version_of(installed['binaries']['etcd'])
    etcdctl = subprocess.run([installed['binaries']['etcdctl'], 'version'], capture_output=True, text=True, check=True)
    assert 'etcdctl version: 3.5.1' in etcdctl.stdout

    # A src that no longer matches is not looked at once the version is installed.
    os.unlink(copied)
    rerun = run_module('release', dict(host, version='3.5.1', src=copied, checksum=downloaded['checksum']))
    assert rerun.get('failed') is not True, rerun
    assert rerun['changed'] is False


def test_switching_versions_relinks(run_module, mirror_server, host):
    base = dict(host, base_url=mirror_server.url)
    run_module('release', dict(base, version='3.5.1'))
    new = run_module('release', dict(base, version='3.6.16'))

    assert new['changed'] is True
    assert sorted(os.listdir(host['install_dir'])) == ['v3.5.1', 'v3.6.16']
    assert 'etcd Version: 3.6.16' in version_of(os.path.join(host['bin_dir'], 'etcd'))
    assert os.readlink(os.path.join(host['bin_dir'], 'etcdutl')) == os.path.join(host['install_dir'], 'v3.6.16',
                                                                                  'etcdutl')

    # Side by side without switching: already installed, links untouched.
    side = run_module('release', dict(base, version='3.5.1', link=False, base_url=dead_url()))
    assert side['changed'] is False
    assert side['install_path'] == os.path.join(host['install_dir'], 'v3.5.1')
    assert 'etcd Version: 3.6.16' in version_of(os.path.join(host['bin_dir'], 'etcd'))

    # Switch back: only the links change, nothing is downloaded.
    switched = run_module('release', dict(base, version='3.5.1', base_url=dead_url()))
    assert switched['changed'] is True and switched['downloaded'] is False
    assert all(action.startswith('link ') for action in switched['actions'])
    assert 'etcd Version: 3.5.1' in version_of(os.path.join(host['bin_dir'], 'etcd'))
    assert os.readlink(os.path.join(host['bin_dir'], 'etcdutl')) == os.path.join(host['install_dir'], 'v3.5.1',
                                                                                  'etcdutl')
    assert not [f for f in os.listdir(host['bin_dir']) if f.startswith('.')]


def test_pinned_checksum_reinstalls_a_broken_install(run_module, mirror_server, mirror_dir, host):
    base = dict(host, base_url=mirror_server.url, version='3.5.1', checksum=mirror_checksum(mirror_dir, '3.5.1'))
    run_module('release', base)
    etcd = os.path.join(host['install_dir'], 'v3.5.1', 'etcd')
    os.unlink(etcd)  # someone deleted a binary

    repaired = run_module('release', base)
    assert repaired['changed'] is True and repaired['downloaded'] is True
    assert 'etcd Version: 3.5.1' in version_of(etcd)
    assert os.listdir(host['install_dir']) == ['v3.5.1']
