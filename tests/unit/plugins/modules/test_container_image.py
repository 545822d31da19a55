"""quorum.etcd.container_image run (as on a managed host, conftest.run_module) with this machine's podman, on a
release the release module installed from the local mirror."""
import os
import shutil
import subprocess

import pytest

IMAGE = 'localhost/quorum-etcd:v3.5.1'


@pytest.fixture
def podman(monkeypatch):
    """This machine's podman, with the lab's settings (tests/lab/containers.conf); the image is removed after."""
    here = os.path.dirname(os.path.abspath(__file__))
    monkeypatch.setenv('CONTAINERS_CONF', os.path.join(here, '..', '..', '..', 'lab', 'containers.conf'))
    subprocess.run(['podman', 'rmi', '--force', IMAGE], capture_output=True)
    yield
    subprocess.run(['podman', 'rmi', '--force', IMAGE], capture_output=True)


@pytest.fixture
def release(run_module, mirror_server, tmp_path):
    install_dir = str(tmp_path / 'opt' / 'etcd')
    installed = run_module('release', dict(version='3.5.1', base_url=mirror_server.url, install_dir=install_dir,
                                           bin_dir=str(tmp_path / 'bin'), download_dir=str(tmp_path / 'cache')))
    assert installed['changed'] is True, installed
    yield install_dir
    shutil.rmtree(install_dir, ignore_errors=True)


def test_the_image_is_built_from_the_installed_release_once(run_module, podman, release, tmp_path):
    env_file = str(tmp_path / 'container.env')
    args = dict(version='3.5.1', install_dir=release, env_file=env_file)

    check = run_module('container_image', args, check=True)
    assert check['changed'] is True and check['made'] == 'built', check
    assert not os.path.exists(env_file)
    assert subprocess.run(['podman', 'image', 'exists', IMAGE]).returncode == 1

    result = run_module('container_image', args)
    assert result['changed'] is True and result['made'] == 'built' and result['image'] == IMAGE, result
    with open(env_file) as f:
        assert 'QUORUM_ETCD_IMAGE=%s\n' % IMAGE in f.read()
    # The image runs the release's own etcd, from where etcd's images keep it.
    version = subprocess.run(['podman', 'run', '--rm', IMAGE, '/usr/local/bin/etcd', '--version'],
                             capture_output=True, text=True)
    assert 'etcd Version: 3.5.1' in version.stdout, version

    again = run_module('container_image', args)
    assert again['changed'] is False and again['made'] == '', again


def test_a_release_that_is_not_installed_is_named_in_the_error(run_module, podman, tmp_path):
    result = run_module('container_image', dict(version='3.5.1', install_dir=str(tmp_path / 'none'),
                                                env_file=str(tmp_path / 'container.env')))
    assert result.get('failed') is True
    assert result['msg'] == '%s holds no etcd binary: install the release first (quorum.etcd.release)' % (
        tmp_path / 'none' / 'v3.5.1'), result
    assert not os.path.exists(str(tmp_path / 'container.env'))
