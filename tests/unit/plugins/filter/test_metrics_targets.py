"""Prometheus targets of a cluster's members (plugins/plugin_utils/metrics_targets.py): the first listener
another host can reach, labelled with the cluster and member; every member that has none is named."""
import os
import sys

from conftest import REPO

sys.path.insert(0, os.path.join(REPO, 'plugins', 'plugin_utils'))
from metrics_targets import metrics_targets  # noqa: E402


def facts(name, *urls):
    return {'name': name, 'address': '10.0.0.1', 'metrics_urls': list(urls)}


def test_each_member_is_scraped_on_its_first_reachable_listener():
    result = metrics_targets({
        'etcd-1': facts('etcd-1', 'http://127.0.0.1:2381', 'http://10.0.0.1:2381'),
        'etcd-2': facts('two', 'http://localhost:2381', 'http://10.0.0.2:9000', 'http://10.0.0.22:2381'),
        'etcd-3': facts('etcd-3', 'https://[fd00::3]:2381'),
    }, 'main')
    assert result['problems'] == []
    assert result['file_sd'] == [
        {'targets': ['10.0.0.1:2381'], 'labels': {'cluster': 'main', 'member': 'etcd-1'}},
        {'targets': ['10.0.0.2:9000'], 'labels': {'cluster': 'main', 'member': 'two'}},
        {'targets': ['[fd00::3]:2381'], 'labels': {'cluster': 'main', 'member': 'etcd-3', '__scheme__': 'https'}},
    ]


def test_every_member_prometheus_cannot_reach_is_named_with_its_value():
    result = metrics_targets({
        'etcd-1': facts('etcd-1', 'http://127.0.0.1:2381'),
        'etcd-2': facts('etcd-2', 'http://0.0.0.0:2381', 'http://[::1]:2381'),
        'etcd-3': None,
        'etcd-4': facts('etcd-4', 'http://10.0.0.4:2381'),
        'etcd-5': facts('etcd-5'),
    }, 'main')
    assert [t['labels']['member'] for t in result['file_sd']] == ['etcd-4']
    problems = result['problems']
    assert len(problems) == 4
    assert problems[0].startswith("etcd-1: etcd_metrics_urls ['http://127.0.0.1:2381'] has no listener")
    assert 'etcd_metrics_address: member' in problems[0]
    assert problems[1].startswith("etcd-2: etcd_metrics_urls ['http://0.0.0.0:2381', 'http://[::1]:2381']")
    assert problems[2].startswith('etcd-3: its address is unknown')
    assert problems[3].startswith('etcd-5: etcd_metrics_urls [] has no listener')
