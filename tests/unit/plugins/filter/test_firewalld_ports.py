"""The ports a member opens in firewalld (plugins/plugin_utils/firewalld_ports.py): client and peer,
the metrics port only for a listener off loopback, nothing where the firewall is left alone."""
import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.quorum.etcd.plugins.filter.firewalld_ports import firewalld_ports

LOOPBACK_ONLY = ['http://127.0.0.1:2381', 'http://localhost:2381', 'http://[::1]:2381', 'http://127.0.0.2:2381']


@pytest.mark.parametrize('urls, opened', [
    (LOOPBACK_ONLY, ['2379/tcp', '2380/tcp']),
    ([], ['2379/tcp', '2380/tcp']),
    (['http://127.0.0.1:2381', 'http://10.0.0.1:2381'], ['2379/tcp', '2380/tcp', '2381/tcp']),
    (['http://0.0.0.0:2381'], ['2379/tcp', '2380/tcp', '2381/tcp']),
    (['https://[fd00::1]:2381'], ['2379/tcp', '2380/tcp', '2381/tcp']),
    ('http://10.0.0.1:2381', ['2379/tcp', '2380/tcp', '2381/tcp']),
])
def test_the_metrics_port_opens_only_for_a_listener_off_loopback(urls, opened):
    assert firewalld_ports(urls, 'auto', True, 2379, 2380, 2381) == opened


def test_the_firewall_is_left_alone_where_it_does_not_run_or_when_told():
    urls = ['http://10.0.0.1:2381']
    assert firewalld_ports(urls, 'auto', False, 2379, 2380, 2381) == []
    assert firewalld_ports(urls, 'never', True, 2379, 2380, 2381) == []
    # always: the ports are asked for, so a host without firewalld fails at member_files, naming them.
    assert firewalld_ports(urls, 'always', False, 12379, 12380, 12381) == ['12379/tcp', '12380/tcp', '12381/tcp']


def test_an_unknown_mode_is_refused_naming_it():
    with pytest.raises(AnsibleFilterError, match="etcd_firewalld 'sometimes'"):
        firewalld_ports([], 'sometimes', True, 2379, 2380, 2381)
