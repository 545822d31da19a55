"""The monitoring role on a controller-local Prometheus host: it writes the members as file_sd
targets and rules that promtool accepts, changes nothing on a second run, refuses a member that
serves metrics on loopback only without touching a file; and each alerting rule fires on the
series that should fire it and stays quiet on a healthy cluster (``promtool test rules``)."""
import json
import os
import subprocess
import sys

import yaml

from conftest import REPO, _ansible_bin, _ansible_env

PROMTOOL = os.path.join(REPO, '.cache', 'prometheus', 'usr', 'bin', 'promtool')
MEMBERS = {'etcd-1': '10.0.0.1', 'etcd-2': '10.0.0.2', 'etcd-3': '10.0.0.3'}


def run_role(tmp_path, members, **extra):
    """ansible-playbook of the role on localhost for group etcd of ``members`` (host: metrics URLs)."""
    inventory = {'all': {'children': {
        'etcd': {'hosts': {host: {'ansible_connection': 'local', 'etcd_member_facts': {
            'name': host, 'address': '', 'metrics_urls': urls}} for host, urls in members.items()}},
        'prometheus': {'hosts': {'localhost': {'ansible_connection': 'local',
                                                 'ansible_python_interpreter': sys.executable}}}}}}
    (tmp_path / 'inventory.yml').write_text(json.dumps(inventory))
    play = [{'hosts': 'prometheus', 'gather_facts': False, 'roles': [{'role': 'quorum.etcd.monitoring'}]}]
    (tmp_path / 'play.yml').write_text(json.dumps(play))
    variables = dict(etcd_prometheus_file_sd_dir=str(tmp_path / 'file_sd'), etcd_prometheus_rules_dir=str(tmp_path / 'rules'),
                     etcd_prometheus_owner=os.getuid(), etcd_prometheus_group=os.getgid(),
                     etcd_prometheus_promtool=PROMTOOL, etcd_prometheus_reload_command='', etcd_cluster_token='main-token')
    variables.update(extra)
    proc = subprocess.run([_ansible_bin('ansible-playbook'), '-i', 'inventory.yml', 'play.yml', '-e', json.dumps(variables)],
                          cwd=str(tmp_path), env=_ansible_env(tmp_path), capture_output=True, text=True, timeout=300)
    result = json.loads(proc.stdout)
    return proc.returncode, result


def changed(result):
    return result['stats']['localhost']['changed']


def failure(result):
    return [t['hosts']['localhost'].get('msg') for t in result['plays'][-1]['tasks']
            if t['hosts'].get('localhost', {}).get('failed')]


def test_targets_and_rules_are_written_once_and_a_second_run_changes_nothing(tmp_path):
    members = {host: ['http://127.0.0.1:2381', 'http://%s:2381' % address] for host, address in MEMBERS.items()}
    rc, result = run_role(tmp_path, members)
    assert rc == 0, failure(result)
    targets = json.loads((tmp_path / 'file_sd' / 'etcd-etcd.json').read_text())
    assert targets == [{'targets': ['%s:2381' % address], 'labels': {'cluster': 'etcd', 'member': host}}
                       for host, address in MEMBERS.items()]
    rules = tmp_path / 'rules' / 'etcd-etcd.rules.yml'
    check = subprocess.run([PROMTOOL, 'check', 'rules', str(rules)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    assert 'SUCCESS: 12 rules found' in check.stdout, check.stdout
    assert changed(result) == 3  # the directories, the targets, the rules
    rc, again = run_role(tmp_path, members)
    assert rc == 0 and changed(again) == 0, again['stats']


def test_a_member_prometheus_cannot_reach_is_refused_before_any_file_changes(tmp_path):
    good = {host: ['http://%s:2381' % address] for host, address in MEMBERS.items()}
    rc, _ = run_role(tmp_path, good)
    assert rc == 0
    before = {p.name: p.read_text() for p in (tmp_path / 'file_sd').iterdir()}
    rc, result = run_role(tmp_path, dict(good, **{'etcd-2': ['http://127.0.0.1:2381']}))
    assert rc != 0
    [message] = failure(result)
    assert "etcd-2: etcd_metrics_urls ['http://127.0.0.1:2381'] has no listener Prometheus can reach" in message
    assert 'Nothing was changed' in message
    assert {p.name: p.read_text() for p in (tmp_path / 'file_sd').iterdir()} == before


# Each case: input series (1-minute steps), then the alerts expected at eval_time; every other alert must be quiet.
HEALTHY = {
    'up{cluster="etcd",member="etcd-%d",instance="10.0.0.%d:2381"}': '1x200',
    'etcd_server_has_leader{cluster="etcd",member="etcd-%d",instance="10.0.0.%d:2381"}': '1x200',
    'etcd_server_leader_changes_seen_total{cluster="etcd",member="etcd-%d",instance="10.0.0.%d:2381"}': '1x200',
    'etcd_server_proposals_failed_total{cluster="etcd",member="etcd-%d",instance="10.0.0.%d:2381"}': '0x200',
    'etcd_mvcc_db_total_size_in_bytes{cluster="etcd",member="etcd-%d",instance="10.0.0.%d:2381"}': '20000000x200',
    'etcd_mvcc_db_total_size_in_use_in_bytes{cluster="etcd",member="etcd-%d",instance="10.0.0.%d:2381"}': '19000000x200',
    'etcd_server_quota_backend_bytes{cluster="etcd",member="etcd-%d",instance="10.0.0.%d:2381"}': '2147483648x200',
}
BACKUP = 'etcd_backup_last_%s{etcd_cluster="main-token",instance="backup:9100"}'
ALERTS = ['EtcdMemberDown', 'EtcdInsufficientMembers', 'EtcdNoLeader', 'EtcdFrequentLeaderChanges',
          'EtcdFailedProposals', 'EtcdSlowWalFsync', 'EtcdSlowBackendCommit', 'EtcdDatabaseQuotaNearlyFull',
          'EtcdDatabaseFragmented', 'EtcdBackupFailed', 'EtcdBackupTooOld', 'EtcdMirrorLagging']


def member(n, severity, **labels):
    return dict({'cluster': 'etcd', 'member': 'etcd-%d' % n, 'instance': '10.0.0.%d:2381' % n,
                 'severity': severity}, **labels)


def fsync(n, seconds):
    """WAL fsync histogram of member n: 10 fsyncs a minute, each taking about ``seconds``."""
    le = {'0.008': 0 if seconds > 0.008 else 10, '1.024': 10, '+Inf': 10}
    return {'etcd_disk_wal_fsync_duration_seconds_bucket{cluster="etcd",member="etcd-%d",instance="10.0.0.%d:2381",'
            'le="%s"}' % (n, n, bound): '0+%dx200' % per_minute for bound, per_minute in le.items()}


CASES = [
    ('healthy', {BACKUP % 'run_success': '1x200', BACKUP % 'success_timestamp_seconds': '0+60x200',
                 'etcd_mirror_lag_seconds{etcd_cluster="etcd",instance="mirror:9100"}': '3x200',
                 'etcd_mirror_up{etcd_cluster="etcd",instance="mirror:9100"}': '1x200'},
     {}, {}, []),
    ('one member down', {}, {'up': {2: '1 1 0x200'}}, {}, [('EtcdMemberDown', [member(2, 'warning')])]),
    ('two members down', {}, {'up': {2: '1 1 0x200', 3: '1 1 0x200'}}, {},
     [('EtcdMemberDown', [member(2, 'warning'), member(3, 'warning')]), ('EtcdInsufficientMembers', [{'severity': 'critical'}])]),
    ('no leader', {}, {'etcd_server_has_leader': {1: '1 1 0x200'}}, {}, [('EtcdNoLeader', [member(1, 'critical')])]),
    ('leader changes', {}, {'etcd_server_leader_changes_seen_total': {3: '1+1x200'}}, {},
     [('EtcdFrequentLeaderChanges', [member(3, 'warning')])]),
    ('failed proposals', {}, {'etcd_server_proposals_failed_total': {1: '0+1x200'}}, {},
     [('EtcdFailedProposals', [member(1, 'warning')])]),
    ('slow disk', fsync(2, 0.7), {}, {}, [('EtcdSlowWalFsync', [{'member': 'etcd-2', 'instance': '10.0.0.2:2381',
                                                               'severity': 'warning'}])]),
    ('database near its quota', {}, {'etcd_mvcc_db_total_size_in_bytes': {1: '1900000000x200'},
                                     'etcd_mvcc_db_total_size_in_use_in_bytes': {1: '1900000000x200'}}, {},
     [('EtcdDatabaseQuotaNearlyFull', [member(1, 'warning')])]),
    ('fragmented database', {}, {'etcd_mvcc_db_total_size_in_bytes': {2: '400000000x200'}}, {},
     [('EtcdDatabaseFragmented', [member(2, 'info')])]),
    ('failed and old backup', {BACKUP % 'run_success': '1 1 0x200', BACKUP % 'success_timestamp_seconds': '60x200'}, {}, {},
     [('EtcdBackupFailed', [{'etcd_cluster': 'main-token', 'instance': 'backup:9100', 'severity': 'warning'}]),
      ('EtcdBackupTooOld', [{'etcd_cluster': 'main-token', 'instance': 'backup:9100', 'severity': 'warning'}])]),
    ('lagging mirror', {'etcd_mirror_lag_seconds{etcd_cluster="etcd",instance="mirror:9100"}': '120x200',
                        'etcd_mirror_up{etcd_cluster="etcd",instance="mirror:9100"}': '1x200'}, {}, {},
     [('EtcdMirrorLagging', [{'etcd_cluster': 'etcd', 'instance': 'mirror:9100', 'severity': 'warning'}])]),
    ('another cluster down', {'up{cluster="other",member="o-1",instance="10.9.0.1:2381"}': '0x200'}, {}, {}, []),
]


def series(extra, overrides):
    out = []
    for template, values in HEALTHY.items():
        metric = template.split('{')[0]
        for n in (1, 2, 3):
            out.append({'series': template % (n, n), 'values': overrides.get(metric, {}).get(n, values)})
    out.extend({'series': name, 'values': values} for name, values in extra.items())
    return out


def test_each_rule_fires_on_its_series_and_no_rule_fires_on_a_healthy_cluster(tmp_path):
    members = {host: ['http://%s:2381' % address] for host, address in MEMBERS.items()}
    rc, result = run_role(tmp_path, members, etcd_alert_member_down_for='3m', etcd_alert_slow_disk_for='10m')
    assert rc == 0, failure(result)
    # Annotations are templates checked by `promtool check rules`; the tests compare labels only.
    rules = yaml.safe_load((tmp_path / 'rules' / 'etcd-etcd.rules.yml').read_text())
    for rule in rules['groups'][0]['rules']:
        rule.pop('annotations')
    assert sorted(r['alert'] for r in rules['groups'][0]['rules']) == sorted(ALERTS)
    (tmp_path / 'bare.rules.yml').write_text(yaml.safe_dump(rules))
    tests = []
    for name, extra, overrides, _, expected in CASES:
        firing = dict(expected)
        tests.append({'name': name, 'interval': '1m', 'input_series': series(extra, overrides),
                      'alert_rule_test': [{'eval_time': '180m', 'alertname': alert,
                                           'exp_alerts': [{'exp_labels': labels} for labels in firing.get(alert, [])]}
                                          for alert in ALERTS]})
    (tmp_path / 'tests.yml').write_text(yaml.safe_dump({'rule_files': ['bare.rules.yml'], 'evaluation_interval': '1m',
                                                        'tests': tests}))
    proc = subprocess.run([PROMTOOL, 'test', 'rules', 'tests.yml'], cwd=str(tmp_path), capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert 'SUCCESS' in proc.stdout
