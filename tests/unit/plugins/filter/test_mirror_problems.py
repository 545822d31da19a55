"""The mirror role's settings checks (plugins/plugin_utils/mirror_problems.py): good settings pass,
every problem is listed at once, and no password's value is ever in a message."""
import os
import sys

from conftest import REPO

sys.path.insert(0, os.path.join(REPO, 'plugins', 'plugin_utils'))
from mirror_problems import mirror_problems  # noqa: E402


def settings(**changes):
    good = dict(source_urls=['https://10.0.0.1:2379'], dest_urls=['https://10.0.1.1:2379'], source_group='etcd',
                dest_group='standby', prefix='', dest_prefix='', no_dest_prefix=False,
                heartbeat_key='/quorum.etcd/mirror/heartbeat', heartbeat_interval=10, restart_sec=5,
                service_name='etcd-mirror', source_user='', source_password='', dest_user='', dest_password='',
                tls_paths=['/etc/etcd-mirror/tls/source-ca.crt', ''],
                tls_files=[{'var': 'source_ca_cert', 'src': '', 'path': ''}])
    good.update(changes)
    return good


def test_good_settings_pass():
    assert mirror_problems(settings()) == []
    assert mirror_problems(settings(prefix='/app/', heartbeat_key='/app/hb', no_dest_prefix=True,
                                    source_user='mirror', source_password='s3cret')) == []


def test_every_problem_is_listed_at_once_without_a_secret(tmp_path):
    present = tmp_path / 'ca.crt'
    present.write_text('x')
    problems = mirror_problems(settings(
        source_urls=['https://10.0.0.1:2379', 'ftp://x'], dest_urls=['https://10.0.0.1:2379'],
        dest_prefix='/b/', no_dest_prefix=True, prefix='/a b/', heartbeat_key='/elsewhere', heartbeat_interval=0,
        service_name='etcd mirror', dest_password="it's-secret", tls_files=[
            {'var': 'source_ca_cert', 'src': str(tmp_path / 'missing.crt'), 'path': ''},
            {'var': 'dest_ca_cert', 'src': str(present), 'path': '/etc/ca.crt'}]))
    assert [p.split(' ')[0] for p in problems] == [
        'endpoints', 'the', 'set', 'keys', 'etcd_mirror_heartbeat_key', 'etcd_mirror_heartbeat_interval',
        'etcd_mirror_service_name', 'a', 'these', 'no', 'give']
    assert 'ftp://x' in problems[0] and 'both list https://10.0.0.1:2379' in problems[1]
    assert problems[8].endswith('environment files): etcd_mirror_dest_password')
    assert problems[9] == 'no such file on the controller: %s' % (tmp_path / 'missing.crt')
    assert problems[10].endswith('not both: etcd_mirror_dest_ca_cert')
    assert not [p for p in problems if 'secret' in p]


def test_missing_endpoints_name_the_groups():
    assert mirror_problems(settings(source_urls=[], dest_urls=[])) == [
        'no client URLs for the primary (set etcd_mirror_source_endpoints, or put its members in group etcd and run '
        'the quorum.etcd.mirror playbook)',
        'no client URLs for the standby (set etcd_mirror_dest_endpoints, or put its members in group standby and run '
        'the quorum.etcd.mirror playbook)']
