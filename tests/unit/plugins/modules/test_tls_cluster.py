"""The modules against a real etcd that requires client certificates, as every cluster of
this collection does by default: the shared client's TLS options reach it, and a client
without the right certificate gets a clear error."""
import os
import subprocess
import sys

import pytest

from conftest import DEFAULT_VERSION, Etcd, free_port, stop_cluster, wait_healthy

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..', '..', 'integration'))
import certs  # noqa: E402  (tests/integration/certs.py)


class TlsEtcd(Etcd):
    """One etcd member of the default release on loopback with https client and peer URLs and client-cert-auth,
    /health on a plain metrics URL, and its certificates made by tests/integration/certs.py."""

    def __init__(self, bindir, workdir):
        super(TlsEtcd, self).__init__(bindir, str(workdir), 'tls1')
        self.ca = certs.new_ca(workdir, 'unit CA')
        self.server = certs.issue(workdir, 'server', self.ca, sans=['127.0.0.1', 'localhost'])
        self.admin = certs.issue(workdir, 'admin', self.ca, usages=certs.CLIENT)
        other = workdir / 'other'
        other.mkdir()
        self.foreign = certs.issue(other, 'client', certs.new_ca(other, 'another CA'), usages=certs.CLIENT)
        self.ca_file = str(workdir / 'ca.crt')
        self.client_url = self.client_url.replace('http:', 'https:')
        self.peer_url = self.peer_url.replace('http:', 'https:')
        self.health_url = 'http://127.0.0.1:%d' % free_port()

    def start(self):
        args = [os.path.join(self.bindir, 'etcd'), '--name', self.name, '--data-dir', self.data_dir,
                '--listen-client-urls', self.client_url, '--advertise-client-urls', self.client_url,
                '--listen-peer-urls', self.peer_url, '--initial-advertise-peer-urls', self.peer_url,
                '--initial-cluster', '%s=%s' % (self.name, self.peer_url), '--listen-metrics-urls', self.health_url,
                '--cert-file', self.server[0], '--key-file', self.server[1], '--trusted-ca-file', self.ca_file,
                '--client-cert-auth', '--peer-cert-file', self.server[0], '--peer-key-file', self.server[1],
                '--peer-trusted-ca-file', self.ca_file, '--peer-client-cert-auth', '--logger', 'zap',
                '--log-level', 'warn']
        with open(self.log_path, 'ab') as log:
            self.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)

    def connection(self, cert=None):
        cert = cert or self.admin
        return dict(endpoints=[self.client_url], ca_cert=self.ca_file, client_cert=cert[0], client_key=cert[1])


@pytest.fixture(scope='module')
def tls_etcd(etcd_bin, tmp_path_factory):
    member = TlsEtcd(etcd_bin(DEFAULT_VERSION), tmp_path_factory.mktemp('tls'))
    member.start()
    try:
        wait_healthy([member])
        yield member
    finally:
        stop_cluster([member])


def test_the_modules_reach_a_cluster_that_requires_client_certificates(run_tasks, tls_etcd):
    info, leader, auth, auth_again = run_tasks([
        ('cluster_info', dict(tls_etcd.connection(), expected_members=1)),
        ('leader', dict(tls_etcd.connection(), to=tls_etcd.name)),
        ('auth', dict(tls_etcd.connection(), roles=[dict(name='app', permissions=[
            dict(key='/app/', prefix=True, type='readwrite')])])),
        ('auth', dict(tls_etcd.connection(), roles=[dict(name='app', permissions=[
            dict(key='/app/', prefix=True, type='readwrite')])])),
    ])
    assert info.get('failed') is not True and info['healthy'] is True, info
    assert [e['endpoint'] for e in info['endpoints']] == [tls_etcd.client_url]
    assert info['members'][0]['name'] == tls_etcd.name
    assert leader.get('failed') is not True and leader['leader']['name'] == tls_etcd.name, leader
    assert auth.get('failed') is not True and auth['changed'] is True, auth
    assert auth_again.get('failed') is not True and auth_again['changed'] is False, auth_again


@pytest.mark.parametrize('client', ['no certificate', 'another CA'])
def test_a_client_without_the_clusters_certificate_gets_a_clear_error(run_module, tls_etcd, client):
    connection = tls_etcd.connection(tls_etcd.foreign)
    if client == 'no certificate':
        del connection['client_cert'], connection['client_key']
    result = run_module('cluster_info', connection)
    assert result.get('failed') is True, result
    assert result['healthy'] is False
    assert tls_etcd.client_url in result['msg'], result['msg']
    print(client + ': ' + result['msg'])
