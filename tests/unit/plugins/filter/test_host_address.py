"""Where a member listens for the address it advertises (plugins/plugin_utils/addresses.py, filter
quorum.etcd.host_address): the one decision the role's listen address and the CA's SANs share."""
from ansible_collections.quorum.etcd.plugins.plugin_utils.addresses import advertised_by_name, host_address


def test_a_member_advertised_by_name_listens_on_the_hosts_address():
    assert host_address('etcd1.lab.example', '10.0.0.1') == '10.0.0.1'
    assert host_address('etcd1', '10.0.0.1') == '10.0.0.1'


def test_addresses_and_localhost_are_listened_on_as_they_are():
    for address in ('10.0.0.9', 'fd00::9', '::1', 'localhost', '0.0.0.0'):
        assert not advertised_by_name(address)
        assert host_address(address, '10.0.0.1') == address
    # Nothing to decide without an address (preflight names the problem).
    assert not advertised_by_name('') and host_address('', '10.0.0.1') == ''
