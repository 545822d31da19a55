"""The controller's CA (plugins/plugin_utils/pki.py, module quorum.etcd.certificates): what a
first run lays out, that a second run writes nothing, what makes a certificate be issued
again, check mode, bad settings, and a real etcd that accepts the certificates."""
import datetime
import os
import subprocess
import sys

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from conftest import DEFAULT_VERSION, REPO, free_port

sys.path.insert(0, os.path.join(REPO, 'plugins', 'plugin_utils'))
import pki  # noqa: E402


def settings(root, **changes):
    wanted = dict(dir=str(root), ca_common_name='etcd CA for test', separate_peer_ca=False,
                  admin_organization='quorum.etcd admin', extra_sans=[], key_type='ECC', rsa_bits=3072,
                  ca_days=3650, cert_days=365, renew_days=30, force_renew=False,
                  members=[dict(host='etcd%d' % i, name='etcd%d' % i, address='10.0.0.1%d' % i) for i in (1, 2, 3)],
                  clients=[dict(name='app', common_name='app', organization='')])
    wanted.update(changes)
    return wanted


def cert(path):
    with open(path, 'rb') as handle:
        return x509.load_pem_x509_certificate(handle.read())


def snapshot(root):
    """Every file under root with its content and mtime: a no-op run must leave all of them as they are."""
    found = {}
    for folder, _, files in os.walk(str(root)):
        for name in files:
            path = os.path.join(folder, name)
            with open(path, 'rb') as handle:
                found[path] = (handle.read(), os.stat(path).st_mtime_ns, os.stat(path).st_mode & 0o777)
    return found


def test_a_first_run_lays_out_the_ca_and_every_certificate(tmp_path):
    root = tmp_path / 'pki'
    result = pki.converge(settings(root))
    assert result['changed'] and result['certificates'] == 3 * 2 + 2
    expected = ['ca.key', 'ca.crt', 'peer-ca.crt', 'admin.key', 'admin.crt', 'clients/app.key', 'clients/app.crt'] + [
        'etcd%d/%s.%s' % (i, kind, ext) for i in (1, 2, 3) for kind in ('server', 'peer') for ext in ('key', 'crt')]
    for name in expected:
        mode = os.stat(str(root / name)).st_mode & 0o777
        assert mode == (0o600 if name.endswith('.key') else 0o644), (name, oct(mode))
    for folder in ('', 'clients', 'etcd1'):
        assert os.stat(str(root / folder)).st_mode & 0o777 == 0o700
    assert (root / 'peer-ca.crt').read_bytes() == (root / 'ca.crt').read_bytes()

    ca = cert(str(root / 'ca.crt'))
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    server = cert(str(root / 'etcd2' / 'server.crt'))
    server.verify_directly_issued_by(ca)
    assert server.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == 'etcd2'
    sans = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sorted(str(a) for a in sans.get_values_for_type(x509.IPAddress)) == ['10.0.0.12', '127.0.0.1', '::1']
    assert sorted(sans.get_values_for_type(x509.DNSName)) == ['etcd2', 'localhost']
    assert set(server.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value) == {
        ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH}
    admin = cert(str(root / 'admin.crt'))
    # With authentication on, etcd's JSON gateway refuses a client certificate with a common name.
    assert admin.subject.get_attributes_for_oid(NameOID.COMMON_NAME) == []
    assert admin.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == 'quorum.etcd admin'
    assert list(admin.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value) == [
        ExtendedKeyUsageOID.CLIENT_AUTH]
    assert (server.not_valid_after_utc - server.not_valid_before_utc).days == 365


def test_a_second_run_writes_nothing(tmp_path):
    root = tmp_path / 'pki'
    pki.converge(settings(root))
    before = snapshot(root)
    result = pki.converge(settings(root))
    assert result == {'changed': False, 'files': [], 'issued': [], 'certificates': 8, 'restored': [],
                      'separate_peer_ca': False, 'rotation_note': ''}
    assert snapshot(root) == before


def test_a_changed_address_reissues_only_that_members_certificates(tmp_path):
    root = tmp_path / 'pki'
    pki.converge(settings(root))
    keys = (root / 'etcd3' / 'server.key').read_bytes()
    moved = settings(root)
    moved['members'][2]['address'] = '10.0.0.99'
    result = pki.converge(moved)
    assert sorted(result['issued']) == [str(root / 'etcd3' / 'peer.crt'), str(root / 'etcd3' / 'server.crt')]
    assert {f['reason'] for f in result['files']} == {'its names or addresses changed'}
    assert (root / 'etcd3' / 'server.key').read_bytes() == keys
    sans = cert(str(root / 'etcd3' / 'server.crt')).extensions.get_extension_for_class(x509.SubjectAlternativeName)
    assert '10.0.0.99' in [str(a) for a in sans.value.get_values_for_type(x509.IPAddress)]


def test_a_member_advertised_by_dns_name_also_carries_its_hosts_address(tmp_path):
    root = tmp_path / 'pki'
    wanted = settings(root)
    pki.converge(wanted)
    for member in wanted['members']:
        member['found_address'] = member['address'].replace('10.0.0.', '192.168.0.')
    # Advertised by address: the host's other address is not added, and nothing is issued again.
    assert pki.converge(wanted)['issued'] == []
    wanted['members'][0]['address'] = 'etcd1.lab.example'
    result = pki.converge(wanted)
    assert sorted(result['issued']) == [str(root / 'etcd1' / 'peer.crt'), str(root / 'etcd1' / 'server.crt')]
    for kind in ('server', 'peer'):
        sans = cert(str(root / 'etcd1' / ('%s.crt' % kind))).extensions.get_extension_for_class(
            x509.SubjectAlternativeName).value
        assert 'etcd1.lab.example' in sans.get_values_for_type(x509.DNSName)
        assert '192.168.0.11' in [str(a) for a in sans.get_values_for_type(x509.IPAddress)]
    others = cert(str(root / 'etcd2' / 'server.crt')).extensions.get_extension_for_class(x509.SubjectAlternativeName)
    assert '192.168.0.12' not in [str(a) for a in others.value.get_values_for_type(x509.IPAddress)]


def test_a_certificate_near_its_expiry_is_renewed_and_the_others_kept(tmp_path):
    root = tmp_path / 'pki'
    # Issued 340 days ago with 365 days: 25 days left, within the 30 days of renew_days.
    then = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=340)
    pki.converge(settings(root), now=then)
    pki.converge(settings(root, members=settings(root)['members'] + [
        dict(host='etcd4', name='etcd4', address='10.0.0.14')]))
    result = pki.converge(settings(root, members=settings(root)['members'] + [
        dict(host='etcd4', name='etcd4', address='10.0.0.14')]))
    assert result['changed'] is False
    assert cert(str(root / 'etcd1' / 'server.crt')).not_valid_after_utc > then + datetime.timedelta(days=360)


def test_expiring_certificates_name_their_date(tmp_path):
    root = tmp_path / 'pki'
    then = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=340)
    pki.converge(settings(root), now=then)
    result = pki.converge(settings(root), check_mode=True)
    assert len(result['issued']) == 8
    expiry = (then + datetime.timedelta(days=365)).strftime('%Y-%m-%d')
    assert {f['reason'] for f in result['files']} == {'it expires %s' % expiry}


def test_force_renew_reissues_member_and_client_certificates_and_keeps_the_ca_and_keys(tmp_path):
    root = tmp_path / 'pki'
    pki.converge(settings(root))
    ca, key = (root / 'ca.crt').read_bytes(), (root / 'etcd1' / 'peer.key').read_bytes()
    serial = cert(str(root / 'etcd1' / 'peer.crt')).serial_number
    result = pki.converge(settings(root, force_renew=True))
    assert len(result['issued']) == 8 and str(root / 'ca.crt') not in result['issued']
    assert (root / 'ca.crt').read_bytes() == ca and (root / 'etcd1' / 'peer.key').read_bytes() == key
    assert cert(str(root / 'etcd1' / 'peer.crt')).serial_number != serial


def test_a_new_ca_reissues_everything_it_signed(tmp_path):
    root = tmp_path / 'pki'
    pki.converge(settings(root))
    os.unlink(str(root / 'ca.key'))
    result = pki.converge(settings(root))
    assert {f['reason'] for f in result['files'] if f['path'].endswith('server.crt')} == {'signed by another CA'}
    ca = cert(str(root / 'ca.crt'))
    cert(str(root / 'clients' / 'app.crt')).verify_directly_issued_by(ca)
    assert (root / 'peer-ca.crt').read_bytes() == (root / 'ca.crt').read_bytes()


def test_a_separate_peer_ca_signs_the_peer_certificates(tmp_path):
    root = tmp_path / 'pki'
    pki.converge(settings(root, separate_peer_ca=True))
    peer_ca, ca = cert(str(root / 'peer-ca.crt')), cert(str(root / 'ca.crt'))
    assert peer_ca.subject != ca.subject
    cert(str(root / 'etcd1' / 'peer.crt')).verify_directly_issued_by(peer_ca)
    cert(str(root / 'etcd1' / 'server.crt')).verify_directly_issued_by(ca)
    assert pki.converge(settings(root, separate_peer_ca=True))['changed'] is False


def test_rsa_keys_replace_ecc_keys(tmp_path):
    root = tmp_path / 'pki'
    pki.converge(settings(root))
    result = pki.converge(settings(root, key_type='RSA', rsa_bits=2048))
    assert 'replaced a key of another type or size' in {f['reason'] for f in result['files']}
    assert isinstance(cert(str(root / 'etcd1' / 'server.crt')).public_key(), rsa.RSAPublicKey)
    assert isinstance(cert(str(root / 'ca.crt')).public_key(), rsa.RSAPublicKey)
    assert pki.converge(settings(root, key_type='RSA', rsa_bits=2048))['changed'] is False
    assert not isinstance(cert(str(root / 'admin.crt')).public_key(), ec.EllipticCurvePublicKey)


def _as_the_members_hold_them(root, target):
    """What the server role passes from the members: every certificate and key of root but the CA's,
    each at its place in the directory target."""
    import base64
    held = []
    for folder, _, files in os.walk(str(root)):
        for name in files:
            path = os.path.join(folder, name)
            if name.endswith(('.crt', '.key')) and not name.startswith(('ca.', 'peer-ca.')):
                with open(path, 'rb') as handle:
                    held.append(dict(path=os.path.join(str(target), os.path.relpath(path, str(root))),
                                     content=base64.b64encode(handle.read()).decode(), host='etcd1'))
    return held


def given_ca(root):
    return {'ca': {'cert': (root / 'ca.crt').read_text(), 'key': (root / 'ca.key').read_text()}}


def test_an_empty_directory_with_the_ca_in_variables_issues_nothing(tmp_path):
    # As an AWX job: the first run's directory is gone; the CA is in a credential, the rest on the members.
    first = tmp_path / 'first'
    pki.converge(settings(first))
    before = {name: (first / name).read_bytes() for name in ('etcd1/server.crt', 'etcd1/server.key', 'admin.crt')}
    for check_mode in (True, False):
        empty = tmp_path / ('empty-check' if check_mode else 'empty')
        held = _as_the_members_hold_them(first, empty)
        result = pki.converge(settings(empty, given_cas=given_ca(first), from_members=held), check_mode=check_mode)
        assert result['changed'] is False and result['issued'] == [], result
        assert {r['source'] for r in result['restored']} == {'variables', 'etcd1', 'a copy of ca.crt'}, result
    assert not (tmp_path / 'empty-check').exists()
    for name, data in before.items():
        assert (empty / name).read_bytes() == data
    assert os.stat(str(empty / 'ca.key')).st_mode & 0o777 == 0o600
    # The next run finds everything in place: nothing restored, nothing changed.
    again = pki.converge(settings(empty, given_cas=given_ca(first), from_members=held))
    assert again['changed'] is False and again['restored'] == []


def test_member_files_that_no_longer_fit_are_issued_again_from_the_given_ca(tmp_path):
    first = tmp_path / 'first'
    pki.converge(settings(first))
    held = _as_the_members_hold_them(first, tmp_path / 'empty')
    moved = settings(tmp_path / 'empty', given_cas=given_ca(first), from_members=held)
    moved['members'][0]['address'] = '10.0.0.99'
    result = pki.converge(moved)
    assert result['issued'] == [str(tmp_path / 'empty' / 'etcd1' / kind) + '.crt' for kind in ('server', 'peer')]


def test_a_given_ca_is_never_replaced_and_another_ca_in_the_directory_is_refused(tmp_path):
    first, other = tmp_path / 'first', tmp_path / 'other'
    pki.converge(settings(first))
    pki.converge(settings(other))
    # Another common name than etcd_pki_ca_common_name: the given CA is still used as it is.
    kept = pki.converge(settings(first, ca_common_name='another name', given_cas=given_ca(first)))
    assert str(first / 'ca.crt') not in [f['path'] for f in kept['files']]
    with pytest.raises(pki.PkiError, match='holds another CA than the one given in the variables'):
        pki.converge(settings(other, given_cas=given_ca(first)))
    # The directory's certificate is the given one but its key is another: refused as well.
    (other / 'ca.crt').write_bytes((first / 'ca.crt').read_bytes())
    with pytest.raises(pki.PkiError, match='ca.key holds another CA'):
        pki.converge(settings(other, given_cas=given_ca(first)))
    broken = given_ca(first)
    broken['ca']['key'] = (other / 'ca.key').read_text()
    with pytest.raises(pki.PkiError, match='its key does not fit it'):
        pki.converge(settings(tmp_path / 'new', given_cas=broken))
    assert not (tmp_path / 'new' / 'ca.crt').exists()


def test_files_from_members_outside_the_directory_are_refused(tmp_path):
    with pytest.raises(pki.PkiError, match='may only restore certificates and keys inside'):
        pki.converge(settings(tmp_path / 'pki', from_members=[dict(path=str(tmp_path / 'elsewhere.crt'),
                                                                   content='eA==', host='etcd1')]))


def test_check_mode_reports_everything_and_writes_nothing(tmp_path):
    root = tmp_path / 'pki'
    first = pki.converge(settings(root), check_mode=True)
    assert not root.exists()
    assert len(first['issued']) == 8 + 1 + 1  # the certificates, the CA and its peer-ca copy
    pki.converge(settings(root))
    before = snapshot(root)
    moved = settings(root)
    moved['members'][0]['name'] = 'renamed'
    result = pki.converge(moved, check_mode=True)
    assert sorted(result['issued']) == [str(root / 'etcd1' / 'peer.crt'), str(root / 'etcd1' / 'server.crt')]
    assert snapshot(root) == before


def test_a_file_mode_made_wider_is_narrowed(tmp_path):
    root = tmp_path / 'pki'
    pki.converge(settings(root))
    os.chmod(str(root / 'etcd1' / 'server.key'), 0o644)
    result = pki.converge(settings(root))
    assert result['files'] == [{'path': str(root / 'etcd1' / 'server.key'), 'reason': 'mode set to 0600'}]
    assert os.stat(str(root / 'etcd1' / 'server.key')).st_mode & 0o777 == 0o600


def test_bad_settings_are_all_reported_before_anything_is_written(tmp_path):
    root = tmp_path / 'pki'
    bad = settings(root, key_type='DSA', cert_days=20, renew_days=30,
                   clients=[dict(name='../x', common_name='x', organization=''),
                            dict(name='app', common_name='a', organization=''),
                            dict(name='app', common_name='b', organization='')])
    bad['members'][1]['address'] = ''
    with pytest.raises(pki.PkiError) as error:
        pki.converge(bad)
    message = str(error.value)
    for part in ("etcd_pki_key_type must be ECC or RSA, not 'DSA'", 'etcd_pki_renew_days (30) must be less than '
                 'etcd_pki_cert_days (20)', 'etcd2: no member address', "'../x' is not a file name",
                 "'app' is listed more than once"):
        assert part in message
    assert not root.exists()


def test_the_module_runs_on_the_controller_with_check_mode_and_idempotence(run_tasks, tmp_path):
    root = tmp_path / 'pki'
    args = dict(dir=str(root), ca_common_name='etcd CA for test',
                members=[dict(host='etcd1', name='etcd1', address='10.0.0.11')], clients=[dict(name='app')])
    check, first, second, bad = run_tasks([('certificates', args, True), ('certificates', args),
                                           ('certificates', args), ('certificates', dict(args, key_type='DSA'))])
    assert check['changed'] and len(check['issued']) == 2 + 2 + 2  # + the CA and its peer-ca copy
    assert first['changed'] and len(first['issued']) == 2 + 2 + 2
    assert second['changed'] is False and second['files'] == []
    assert bad['failed'] and 'key_type' in bad['msg']
    app = cert(str(root / 'clients' / 'app.crt'))
    assert app.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == 'app'


def start_member(etcd_bin, root, tmp_path, *extra):
    """A one-member etcd on loopback with client and peer certificate authentication on member m1's
    certificates from root: (process, client URL, peer URL, m1's directory)."""
    bindir = etcd_bin(DEFAULT_VERSION)
    client, peer = 'https://127.0.0.1:%d' % free_port(), 'https://127.0.0.1:%d' % free_port()
    member = str(root / 'm1')
    args = [os.path.join(bindir, 'etcd'), '--name', 'm1', '--data-dir', str(tmp_path / 'data'),
            '--listen-client-urls', client, '--advertise-client-urls', client, '--listen-peer-urls', peer,
            '--initial-advertise-peer-urls', peer, '--initial-cluster', 'm1=' + peer,
            '--cert-file', member + '/server.crt', '--key-file', member + '/server.key',
            '--trusted-ca-file', str(root / 'ca.crt'), '--client-cert-auth',
            '--peer-cert-file', member + '/peer.crt', '--peer-key-file', member + '/peer.key',
            '--peer-trusted-ca-file', str(root / 'peer-ca.crt'), '--peer-client-cert-auth', '--log-level', 'warn']
    with open(str(tmp_path / 'etcd.log'), 'wb') as log:
        etcd = subprocess.Popen(args + list(extra), stdout=log, stderr=subprocess.STDOUT)
    return etcd, client, peer, member


def test_etcd_serves_and_trusts_the_certificates(etcd_bin, tmp_path):
    """A real etcd with client and peer certificate authentication, on the member's server and peer
    certificates; etcdctl with the admin certificate is let in, one from another CA is not."""
    root = tmp_path / 'pki'
    pki.converge(settings(root, members=[dict(host='m1', name='m1', address='127.0.0.1')]))
    pki.converge(settings(tmp_path / 'other', members=[dict(host='m1', name='m1', address='127.0.0.1')]))
    etcd, client, peer, member = start_member(etcd_bin, root, tmp_path)
    bindir = etcd_bin(DEFAULT_VERSION)
    try:
        def etcdctl(pki_dir, *command):
            return subprocess.run([os.path.join(bindir, 'etcdctl'), '--endpoints', client,
                                   '--cacert', str(root / 'ca.crt'), '--cert', str(pki_dir / 'admin.crt'),
                                   '--key', str(pki_dir / 'admin.key'), '--command-timeout', '5s'] + list(command),
                                  capture_output=True, text=True, timeout=30)
        for _ in range(100):
            done = etcdctl(root, 'put', 'k', 'v')
            if done.returncode == 0:
                break
            subprocess.run(['sleep', '0.2'])
        assert done.returncode == 0, done.stderr + (tmp_path / 'etcd.log').read_text()
        assert etcdctl(root, 'get', 'k', '--print-value-only').stdout.strip() == 'v'
        refused = etcdctl(tmp_path / 'other', 'get', 'k')
        assert refused.returncode != 0 and 'certificate' in refused.stderr.lower() + (
            tmp_path / 'etcd.log').read_text().lower()
    finally:
        etcd.terminate()
        etcd.wait(10)


def test_etcdctl_gets_a_certificate_named_for_its_etcd_user(tmp_path):
    """gRPC clients on the members (etcdctl, the backup) log in by the certificate's common name when
    authentication is on; the admin certificate of the JSON gateway must have none."""
    root = tmp_path / 'pki'
    result = pki.converge(settings(root, etcdctl_common_name='root'))
    assert result['certificates'] == 3 * 2 + 3
    etcdctl = cert(str(root / 'etcdctl.crt'))
    etcdctl.verify_directly_issued_by(cert(str(root / 'ca.crt')))
    assert etcdctl.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == 'root'
    assert list(etcdctl.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value) == [
        ExtendedKeyUsageOID.CLIENT_AUTH]
    assert os.stat(str(root / 'etcdctl.key')).st_mode & 0o777 == 0o600
    assert cert(str(root / 'admin.crt')).subject.get_attributes_for_oid(NameOID.COMMON_NAME) == []
    # Another user name is another certificate; none at all, no file issued.
    renamed = pki.converge(settings(root, etcdctl_common_name='backup'))
    assert renamed['changed']
    assert cert(str(root / 'etcdctl.crt')).subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == 'backup'
    assert pki.converge(settings(tmp_path / 'plain'))['certificates'] == 3 * 2 + 2
    assert not (tmp_path / 'plain' / 'etcdctl.crt').exists()


def common_name(path):
    return [a.value for a in cert(path).subject.get_attributes_for_oid(NameOID.COMMON_NAME)]


def test_peer_certificates_carry_the_one_name_the_peer_port_accepts(tmp_path):
    root = tmp_path / 'pki'
    pki.converge(settings(root))
    key_before = (root / 'etcd1' / 'peer.key').read_bytes()
    assert common_name(str(root / 'etcd1' / 'peer.crt')) == ['etcd1']
    # A cluster deployed before the check: only the peer certificates are issued again, on their own keys.
    result = pki.converge(settings(root, peer_common_name='etcd-peer'))
    assert sorted(f['path'] for f in result['files']) == sorted(
        str(root / ('etcd%d' % i) / 'peer.crt') for i in (1, 2, 3))
    assert {f['reason'] for f in result['files']} == {'its subject changed'}
    for i in (1, 2, 3):
        assert common_name(str(root / ('etcd%d' % i) / 'peer.crt')) == ['etcd-peer']
        assert common_name(str(root / ('etcd%d' % i) / 'server.crt')) == ['etcd%d' % i]
    assert (root / 'etcd1' / 'peer.key').read_bytes() == key_before
    assert pki.converge(settings(root, peer_common_name='etcd-peer'))['changed'] is False


def test_a_client_named_as_the_peers_is_refused(tmp_path):
    root = tmp_path / 'pki'
    bad = settings(root, peer_common_name='etcd-peer', etcdctl_common_name='etcd-peer',
                   clients=[dict(name='app', common_name='etcd-peer', organization=''),
                            dict(name='etcd-peer', organization='')])
    with pytest.raises(pki.PkiError) as error:
        pki.converge(bad)
    message = str(error.value)
    assert "etcd_pki_etcdctl_common_name 'etcd-peer' is the peer certificates' common name" in message
    assert "etcd_pki_clients: 'app' has the peer certificates' common name 'etcd-peer'" in message
    assert "etcd_pki_clients: 'etcd-peer' has the peer certificates' common name 'etcd-peer'" in message
    assert not root.exists()


def test_etcd_lets_only_peer_certificates_onto_its_peer_port(etcd_bin, tmp_path):
    """A real etcd with --peer-cert-allowed-cn: the member's peer certificate is let in on the peer
    port, the admin and the client certificates of the same CA are refused in the handshake."""
    import requests
    root = tmp_path / 'pki'
    pki.converge(settings(root, peer_common_name='etcd-peer', etcdctl_common_name='root',
                          members=[dict(host='m1', name='m1', address='127.0.0.1')]))
    etcd, client, peer, member = start_member(etcd_bin, root, tmp_path, '--peer-cert-allowed-cn', 'etcd-peer')

    def members(cert_file, key_file):
        return requests.get(peer + '/members', cert=(cert_file, key_file), verify=str(root / 'ca.crt'), timeout=5)
    try:
        for _ in range(100):
            try:
                answer = members(member + '/peer.crt', member + '/peer.key')
                break
            except requests.ConnectionError:
                subprocess.run(['sleep', '0.2'])
        assert answer.status_code == 200 and answer.json()[0]['name'] == 'm1', answer.text
        for name in ('admin', 'etcdctl', 'clients/app'):
            with pytest.raises(requests.exceptions.SSLError):
                members(str(root / (name + '.crt')), str(root / (name + '.key')))
        # The same certificates still work on the client port.
        assert requests.get(client + '/version', cert=(str(root / 'admin.crt'), str(root / 'admin.key')),
                            verify=str(root / 'ca.crt'), timeout=5).status_code == 200
    finally:
        etcd.terminate()
        etcd.wait(10)


def certificates_in(path):
    with open(path, 'rb') as handle:
        return x509.load_pem_x509_certificates(handle.read())


def issuer_key(path):
    """Which CA signed a certificate, by its authority key identifier."""
    return cert(path).extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value.key_identifier


def key_id(ca):
    return ca.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest


def test_a_rotation_trusts_both_cas_then_signs_with_the_new_one_then_drops_the_old(tmp_path):
    root = tmp_path / 'pki'
    pki.converge(settings(root))
    old = cert(str(root / 'ca.crt'))
    old_key = (root / 'ca.key').read_bytes()
    keys = {p: (root / p).read_bytes() for p in ('etcd1/server.key', 'etcd1/peer.key', 'admin.key')}

    trust = pki.converge(settings(root, rotation='trust'))
    assert trust['rotation_note'].startswith('CA rotation, step trust: %s/ca.crt now holds the current and the next CA'
                                             % root)
    new = cert(str(root / 'ca-next.crt'))
    assert new.subject == old.subject and key_id(new) != key_id(old)
    assert certificates_in(str(root / 'ca.crt')) == [old, new]
    assert (root / 'peer-ca.crt').read_bytes() == (root / 'ca.crt').read_bytes()
    assert trust['issued'] == [str(root / 'ca-next.crt'), str(root / 'ca.crt'), str(root / 'peer-ca.crt')]
    assert issuer_key(str(root / 'etcd1' / 'server.crt')) == key_id(old)
    assert pki.converge(settings(root, rotation='trust'))['changed'] is False

    reissue = pki.converge(settings(root, rotation='reissue'))
    leaves = [p for p in reissue['issued'] if not os.path.basename(p).startswith(('ca', 'peer-ca'))]
    assert len(leaves) == 3 * 2 + 2 and {f['reason'] for f in reissue['files']} == {'signed by another CA'}
    assert all(issuer_key(p) == key_id(new) for p in leaves)
    assert {p: (root / p).read_bytes() for p in keys} == keys, 'a key changed: etcd would pair it with the old cert'
    # A trust step again (a resumed run) keeps what the new CA signed.
    assert pki.converge(settings(root, rotation='trust'))['changed'] is False
    assert pki.converge(settings(root, rotation='retire'))['changed'] is False

    complete = pki.converge(settings(root, rotation='complete'))
    assert complete['changed'] and complete['rotation_note'].startswith('CA rotation complete: %s/ca.crt' % root)
    assert certificates_in(str(root / 'ca.crt')) == [new] and (root / 'peer-ca.crt').read_bytes() == (
        root / 'ca.crt').read_bytes()
    assert cert(str(root / 'ca-previous.crt')) == old and (root / 'ca-previous.key').read_bytes() == old_key
    assert not (root / 'ca-next.crt').exists() and not (root / 'ca-next.key').exists()
    assert pki.converge(settings(root))['changed'] is False
    assert pki.converge(settings(root, rotation='complete'))['changed'] is False


def test_a_rotation_stopped_inside_its_last_step_goes_on(tmp_path):
    root = tmp_path / 'pki'
    pki.converge(settings(root))
    old_key = (root / 'ca.key').read_bytes()
    pki.converge(settings(root, rotation='trust'))
    pki.converge(settings(root, rotation='reissue'))
    new_key, new = (root / 'ca-next.key').read_bytes(), cert(str(root / 'ca-next.crt'))
    # Stopped after the key moved, before the certificate did.
    (root / 'ca-previous.key').write_bytes(old_key)
    (root / 'ca-previous.crt').write_bytes(pki._pem(certificates_in(str(root / 'ca.crt'))[0]))
    (root / 'ca.key').write_bytes(new_key)
    pki.converge(settings(root, rotation='complete'))
    assert (root / 'ca-previous.key').read_bytes() == old_key
    assert certificates_in(str(root / 'ca.crt')) == [new] and not (root / 'ca-next.key').exists()
    assert issuer_key(str(root / 'admin.crt')) == key_id(new)
    assert pki.converge(settings(root))['changed'] is False


def test_a_separate_peer_ca_is_rotated_with_the_ca(tmp_path):
    root = tmp_path / 'pki'
    pki.converge(settings(root, separate_peer_ca=True))
    old_peer = cert(str(root / 'peer-ca.crt'))
    for step in ('trust', 'reissue', 'retire', 'complete'):
        pki.converge(settings(root, separate_peer_ca=True, rotation=step))
    new_peer = cert(str(root / 'peer-ca.crt'))
    assert key_id(new_peer) != key_id(old_peer) and cert(str(root / 'peer-ca-previous.crt')) == old_peer
    assert issuer_key(str(root / 'etcd1' / 'peer.crt')) == key_id(new_peer)
    assert issuer_key(str(root / 'etcd1' / 'server.crt')) == key_id(cert(str(root / 'ca.crt')))


def test_a_deploy_during_a_rotation_and_a_step_out_of_order_are_refused_before_anything_is_written(tmp_path):
    root = tmp_path / 'pki'
    pki.converge(settings(root))
    before = snapshot(root)
    with pytest.raises(pki.PkiError, match='a rotation starts with its trust step'):
        pki.converge(settings(root, rotation='reissue'))
    assert snapshot(root) == before
    pki.converge(settings(root, rotation='trust'))
    before = snapshot(root)
    with pytest.raises(pki.PkiError, match='run quorum.etcd.rotate_ca to finish it'):
        pki.converge(settings(root))
    assert snapshot(root) == before
    with pytest.raises(pki.PkiError, match="etcd_pki_rotation must be one of"):
        pki.converge(settings(root, rotation='later'))


def test_check_mode_reports_a_rotation_step_and_writes_nothing(tmp_path):
    root = tmp_path / 'pki'
    pki.converge(settings(root))
    before = snapshot(root)
    result = pki.converge(settings(root, rotation='trust'), check_mode=True)
    assert str(root / 'ca-next.crt') in result['issued'] and snapshot(root) == before


def test_a_new_cluster_gets_a_peer_ca_of_its_own_and_a_cluster_with_one_ca_keeps_it_with_a_warning(tmp_path):
    new = tmp_path / 'new'
    first = pki.converge(settings(new, separate_peer_ca=True))
    assert first['separate_peer_ca'] is True and 'warnings' not in first
    assert (new / 'peer-ca.key').exists() and issuer_key(str(new / 'etcd1' / 'peer.crt')) == key_id(
        cert(str(new / 'peer-ca.crt'))) != key_id(cert(str(new / 'ca.crt')))
    assert pki.converge(settings(new, separate_peer_ca=True))['changed'] is False

    # Deployed when the peers shared the CA: a deploy with the new default changes nothing and says so.
    shared = tmp_path / 'shared'
    pki.converge(settings(shared))
    before = snapshot(shared)
    kept = pki.converge(settings(shared, separate_peer_ca=True))
    assert kept['changed'] is False and kept['separate_peer_ca'] is False and snapshot(shared) == before
    assert kept['warnings'] == [
        'etcd_pki_separate_peer_ca is true, but the peers of this cluster trust its one CA (%s): they keep it. '
        'quorum.etcd.rotate_ca gives them a CA of their own without downtime.' % (shared / 'ca.crt')]


def test_a_rotation_moves_peers_that_trust_the_one_ca_to_a_ca_of_their_own(tmp_path):
    root = tmp_path / 'pki'
    pki.converge(settings(root))
    old = cert(str(root / 'ca.crt'))
    wanted = dict(separate_peer_ca=True)
    pki.converge(settings(root, rotation='trust', **wanted))
    # The peers trust their one CA and the next peer CA; the clients that CA and the next CA.
    peers = certificates_in(str(root / 'peer-ca.crt'))
    assert peers[0] == old and key_id(peers[1]) not in (key_id(old), key_id(cert(str(root / 'ca-next.crt'))))
    assert issuer_key(str(root / 'etcd1' / 'peer.crt')) == key_id(old)
    pki.converge(settings(root, rotation='reissue', **wanted))
    assert issuer_key(str(root / 'etcd1' / 'peer.crt')) == key_id(peers[1])
    assert issuer_key(str(root / 'etcd1' / 'server.crt')) == key_id(cert(str(root / 'ca-next.crt')))
    pki.converge(settings(root, rotation='retire', **wanted))
    done = pki.converge(settings(root, rotation='complete', **wanted))
    assert done['separate_peer_ca'] is True
    assert certificates_in(str(root / 'peer-ca.crt')) == [peers[1]] and (root / 'peer-ca.key').exists()
    assert cert(str(root / 'peer-ca-previous.crt')) == old and not (root / 'peer-ca-previous.key').exists()
    assert not list(root.glob('*-next.*'))
    again = pki.converge(settings(root, **wanted))
    assert again['changed'] is False and 'warnings' not in again


def test_a_ca_given_in_variables_without_a_peer_ca_is_shared_by_the_peers(tmp_path):
    source = tmp_path / 'source'
    pki.converge(settings(source))
    given = {'ca': {'cert': (source / 'ca.crt').read_text(), 'key': (source / 'ca.key').read_text()}}
    result = pki.converge(settings(tmp_path / 'job', separate_peer_ca=True, given_cas=given))
    assert result['separate_peer_ca'] is False and len(result['warnings']) == 1
    assert 'from a controller with a lasting etcd_pki_dir' in result['warnings'][0]
    assert (tmp_path / 'job' / 'peer-ca.crt').read_text() == given['ca']['cert']
