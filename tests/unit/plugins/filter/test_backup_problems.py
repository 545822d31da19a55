"""The backup role's settings checks (plugins/plugin_utils/backup_problems.py): good settings pass, every
problem is listed at once naming its variable and value, what the host lacks is forgiven in check mode
only, and neither S3 key's value is ever in a message."""
import os
import sys

from conftest import REPO

sys.path.insert(0, os.path.join(REPO, 'plugins', 'plugin_utils'))
from backup_problems import backup_problems  # noqa: E402


def settings(**changes):
    # The role's defaults, on a member whose etcdctl and configuration are there.
    good = dict(cluster_name='etcd-cluster', dir='/var/lib/etcd-backup', textfile_dir='', keep=7, timeout=120,
                min_free_mb=0, unit_timeout=900, on_calendar='daily', calendar_error=None, service_name='etcd-backup',
                endpoints=[], etcdctl='/usr/local/bin/etcdctl', etcdctl_found=True, etcd_config='/etc/etcd/etcd.conf',
                advertised=True, check_mode=False, s3_enabled=False, s3_url='', s3_bucket='', s3_region='us-east-1',
                s3_attempts=3, s3_keep=0, s3_prefix='', s3_access_key='', s3_secret_key='')
    good.update(changes)
    return good


S3 = dict(s3_enabled=True, s3_url='https://s3.eu-west-1.amazonaws.com', s3_bucket='etcd-backups',
          s3_region='eu-west-1', s3_prefix='prod/etcd/', s3_access_key='AKIAEXAMPLE', s3_secret_key='s3cret/Key+1')


def test_good_settings_pass():
    assert backup_problems(settings()) == []
    assert backup_problems(settings(textfile_dir='/var/lib/prometheus/node-exporter', keep='3', min_free_mb='0',
                                    endpoints=['https://10.0.0.11:2379', 'http://etcd-2:2379/'],
                                    advertised=False, service_name='etcd-backup-infra0', **S3)) == []


def test_every_problem_is_listed_at_once_naming_variable_and_value():
    problems = backup_problems(settings(
        cluster_name='my cluster', dir='//', textfile_dir='relative', keep=0, timeout='soon', min_free_mb=-1,
        unit_timeout=0, on_calendar='every-now-and-then',
        calendar_error='Failed to parse calendar specification \'every-now-and-then\': Invalid argument\n',
        service_name='etcd backup', endpoints=['https://10.0.0.11:2379', '10.0.0.12:2379'],
        etcdctl_found=False, advertised=False))
    assert problems == [
        'etcd_backup_cluster_name "my cluster" must be letters, digits, dots, dashes and underscores (it names the '
        'snapshot files).',
        'etcd_backup_dir "//" must be an absolute path other than /.',
        'etcd_backup_textfile_dir "relative" must be an absolute path or empty.',
        'etcd_backup_keep 0 must be 1 or more.',
        'etcd_backup_timeout soon must be 1 second or more.',
        'etcd_backup_min_free_mb -1 must be 0 or more.',
        'etcd_backup_unit_timeout 0 must be 1 second or more.',
        'etcd_backup_on_calendar "every-now-and-then" is not a systemd calendar event (systemd-analyze calendar: '
        'Failed to parse calendar specification \'every-now-and-then\': Invalid argument).',
        'etcd_backup_service_name "etcd backup" is not a unit name.',
        'etcd_backup_endpoints holds "10.0.0.12:2379": give client URLs such as https://10.0.0.11:2379.',
        'etcdctl is not at /usr/local/bin/etcdctl; deploy etcd here first (quorum.etcd.deploy) or set '
        'etcd_backup_etcdctl.',
    ]


def test_a_relative_or_root_backup_dir_is_refused():
    for bad in ('', '/', '///', 'var/lib/etcd-backup'):
        assert [p.split(' ')[0] for p in backup_problems(settings(dir=bad))] == ['etcd_backup_dir'], bad


def test_a_member_without_an_advertised_url_needs_endpoints():
    problems = backup_problems(settings(advertised=False))
    assert problems == ['etcd_backup_endpoints is empty and /etc/etcd/etcd.conf has no ETCD_ADVERTISE_CLIENT_URLS: '
                        'run the backup on a member, or list the client URLs in etcd_backup_endpoints.']
    assert backup_problems(settings(advertised=False, endpoints=['https://10.0.0.11:2379'])) == []


def test_check_mode_forgives_only_what_the_host_lacks():
    lacking = dict(etcdctl_found=False, advertised=False)
    assert backup_problems(settings(check_mode=True, **lacking)) == []
    assert len(backup_problems(settings(check_mode=False, **lacking))) == 2
    assert backup_problems(settings(check_mode=True, keep=0, **lacking)) == ['etcd_backup_keep 0 must be 1 or more.']


def test_the_s3_settings_are_checked_only_when_the_upload_is_on():
    bad = dict(s3_url='s3.example.com', s3_bucket='Bad_Bucket', s3_region='EU West', s3_attempts=0, s3_keep=-1,
               s3_prefix='../up', s3_access_key='', s3_secret_key='has "quotes"')
    assert backup_problems(settings(**bad)) == []
    problems = backup_problems(settings(**dict(S3, **bad)))
    assert [p.split(' ')[0] for p in problems] == [
        'etcd_backup_s3_url', 'etcd_backup_s3_bucket', 'etcd_backup_s3_region', 'etcd_backup_s3_attempts',
        'etcd_backup_s3_prefix', 'etcd_backup_s3_access_key']
    assert 'etcd_backup_s3_bucket "Bad_Bucket" is not a bucket name' in problems[1]
    assert 'has "quotes"' not in ' '.join(problems)


def test_neither_s3_key_is_ever_printed():
    for key in ('s3_access_key', 's3_secret_key'):
        for value in ('with space', 'back\\slash', 'a"quote'):
            problems = backup_problems(settings(**dict(S3, **{key: value})))
            assert len(problems) == 1 and value not in problems[0], problems
