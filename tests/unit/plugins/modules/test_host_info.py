"""quorum.etcd.host_info's probe of the host's own member, against a real etcd cluster, and its
certificate fingerprints."""
import base64
import os
import hashlib

from conftest import dead_url


def _config(tmp_path, urls):
    path = tmp_path / 'etcd.conf'
    path.write_text('ETCD_NAME=member1\nETCD_ADVERTISE_CLIENT_URLS="%s"\n' % ','.join(urls))
    return str(path)


def test_the_member_at_the_configured_client_url_tells_the_cluster(run_module, etcd_cluster, tmp_path):
    config = _config(tmp_path, [etcd_cluster[0].client_url])
    result = run_module('host_info', dict(config_file=config, data_dir=str(tmp_path / 'data'), probe={}))
    cluster = result['cluster']
    assert result.get('failed') is not True, result
    assert cluster['answered'] is True and cluster['healthy'] is True, cluster['problems']
    assert sorted(m['name'] for m in cluster['members']) == ['member1', 'member2', 'member3']
    assert cluster['leader']['name'] in ('member1', 'member2', 'member3')
    assert [e['endpoint'] for e in cluster['endpoints']] == [etcd_cluster[0].client_url]


def test_nothing_is_asked_without_probe_client_urls_or_client_certificate(run_module, etcd_cluster, tmp_path):
    config = _config(tmp_path, [etcd_cluster[0].client_url])
    data = str(tmp_path / 'data')
    assert run_module('host_info', dict(config_file=config, data_dir=data))['cluster'] is None
    assert run_module('host_info', dict(config_file=str(tmp_path / 'missing.conf'), data_dir=data,
                                        probe={}))['cluster'] is None
    missing_cert = dict(client_cert=str(tmp_path / 'admin.crt'), client_key=str(tmp_path / 'admin.key'))
    (tmp_path / 'tls').mkdir()
    tls_config = _config(tmp_path / 'tls', ['https://127.0.0.1:1'])
    assert run_module('host_info', dict(config_file=tls_config, data_dir=data, probe=missing_cert))['cluster'] is None


def test_a_plain_http_member_is_asked_before_its_certificates_exist(run_module, etcd_cluster, tmp_path):
    """A cluster moving to TLS (quorum.etcd.enable_tls): the probe's certificate is not there yet."""
    config = _config(tmp_path, [etcd_cluster[0].client_url])
    missing_cert = dict(ca_cert=str(tmp_path / 'ca.crt'), client_cert=str(tmp_path / 'admin.crt'),
                        client_key=str(tmp_path / 'admin.key'))
    cluster = run_module('host_info', dict(config_file=config, data_dir=str(tmp_path / 'data'),
                                           probe=missing_cert))['cluster']
    assert cluster['answered'] is True and len(cluster['members']) == len(etcd_cluster)


def test_a_stopped_member_is_reported_as_not_answering(run_module, tmp_path):
    config = _config(tmp_path, [dead_url()])
    cluster = run_module('host_info', dict(config_file=config, data_dir=str(tmp_path / 'data'), probe={}))['cluster']
    assert cluster['answered'] is False and cluster['members'] == [] and cluster['problems']


def test_the_certificates_of_a_pem_file_are_fingerprinted(run_module, tmp_path):
    der = b'not a real certificate, but DER bytes all the same'
    pem = tmp_path / 'ca.crt'
    pem.write_text('-----BEGIN CERTIFICATE-----\n%s\n-----END CERTIFICATE-----\n' % base64.b64encode(der).decode())
    result = run_module('host_info', dict(data_dir=str(tmp_path / 'data'),
                                          certificates=[str(pem), str(tmp_path / 'missing.crt')]))
    assert result['certificates'] == {str(pem): [hashlib.sha256(der).hexdigest()], str(tmp_path / 'missing.crt'): None}


def test_fsync_latency_of_the_data_dirs_disk_is_measured_and_leaves_nothing(run_module, tmp_path):
    # Before the first deploy the data dir does not exist: the nearest directory above it is measured.
    disk = tmp_path / 'disk'
    disk.mkdir()
    data = disk / 'var' / 'lib' / 'etcd'
    result = run_module('host_info', dict(data_dir=str(data), config_file=str(tmp_path / 'none.conf'),
                                          fsync_samples=20), check=True)
    figures = result['fsync']
    assert figures['path'] == str(disk) and figures['samples'] == 20, figures
    assert 0 < figures['p50_ms'] <= figures['p99_ms'] <= figures['max_ms'], figures
    assert os.listdir(str(disk)) == [], 'the probe left a file behind'
    assert 'fsync' not in run_module('host_info', dict(data_dir=str(data), config_file=str(tmp_path / 'none.conf')))
