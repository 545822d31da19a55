"""The trust guard (plugins/plugin_utils/trust_problems.py): a member that holds data is never given
a CA it does not trust; new hosts, the same CA and a bundle that keeps the old CA pass."""
import datetime
import os
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from conftest import REPO

sys.path.insert(0, os.path.join(REPO, 'plugins', 'plugin_utils'))
from trust_problems import trust_problems  # noqa: E402
from ansible_collections.quorum.etcd.plugins.module_utils.pem import file_fingerprints, short  # noqa: E402

MEMBER_CA = '/etc/etcd/pki/ca.crt'


def ca_pem(name):
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True).sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def write(path, text):
    path.write_text(text)
    return str(path)


def check(controller, member_fingerprints, initialized=True):
    info = {'data_dir': {'initialized': initialized}, 'certificates': {MEMBER_CA: member_fingerprints}}
    pairs = [{'var': 'etcd_ca_cert_src', 'controller': controller, 'member': MEMBER_CA}]
    return trust_problems(pairs, info, host='etcd1', pki_dir='/inventory/pki/etcd')


def test_the_same_ca_and_a_bundle_that_keeps_it_pass(tmp_path):
    old, new = ca_pem('old CA'), ca_pem('new CA')
    trusted = file_fingerprints(write(tmp_path / 'member.crt', old))
    assert len(trusted) == 1 and len(trusted[0]) == 64
    assert check(write(tmp_path / 'same.crt', old), trusted) == []
    assert check(write(tmp_path / 'bundle.crt', new + old), trusted) == []
    assert file_fingerprints(str(tmp_path / 'bundle.crt'))[1] == trusted[0]


def test_another_ca_for_a_member_with_data_is_refused_naming_both(tmp_path):
    trusted = file_fingerprints(write(tmp_path / 'member.crt', ca_pem('cluster CA')))
    other = write(tmp_path / 'other.crt', ca_pem('another CA'))
    problems = check(other, trusted)
    assert problems == ['etcd1: the member trusts the CA %s (%s), not the CA %s in %s (etcd_ca_cert_src): a member '
                        'given another CA cannot talk to the others once it restarts. Run with the pki directory that '
                        "holds the cluster's CA (etcd_pki_dir, now /inventory/pki/etcd), or point etcd_ca_cert_src at "
                        "the cluster's CA file; to move the cluster to a new CA, run quorum.etcd.rotate_ca with the "
                        "directory that holds the one it trusts now; nothing was changed"
                        % (short(trusted[0]), MEMBER_CA, short(file_fingerprints(other)[0]), other)]


def test_an_empty_pki_directory_would_mint_a_new_ca_and_is_refused(tmp_path):
    trusted = file_fingerprints(write(tmp_path / 'member.crt', ca_pem('cluster CA')))
    problems = check(str(tmp_path / 'fresh' / 'ca.crt'), trusted)
    assert len(problems) == 1 and 'does not exist, so a new CA would be issued' in problems[0]


def test_new_hosts_and_members_without_a_ca_have_nothing_to_keep(tmp_path):
    other = write(tmp_path / 'other.crt', ca_pem('another CA'))
    trusted = file_fingerprints(write(tmp_path / 'member.crt', ca_pem('cluster CA')))
    assert check(other, trusted, initialized=False) == []
    assert check(other, None) == [] and check(other, []) == []


def test_brought_certificates_without_their_ca_are_refused_without_talk_of_issuing(tmp_path):
    trusted = file_fingerprints(write(tmp_path / 'member.crt', ca_pem('cluster CA')))
    info = {'data_dir': {'initialized': True}, 'certificates': {MEMBER_CA: trusted}}
    pairs = [{'var': 'etcd_ca_cert_src', 'controller': str(tmp_path / 'gone.crt'), 'member': MEMBER_CA}]
    problems = trust_problems(pairs, info, host='etcd1', pki_dir='/p', managed=False)
    assert len(problems) == 1 and ' does not exist: a member given another CA' in problems[0]


def test_a_ca_given_in_a_variable_is_compared_instead_of_the_missing_file(tmp_path):
    # An AWX job: no pki directory, the CA in a credential.
    trusted, other = ca_pem('cluster CA'), ca_pem('other CA')
    fingerprints = file_fingerprints(write(tmp_path / 'trusted.crt', trusted))
    info = {'data_dir': {'initialized': True}, 'certificates': {MEMBER_CA: fingerprints}}
    missing = str(tmp_path / 'none' / 'ca.crt')

    def pairs(content):
        return [{'var': 'etcd_ca_cert_src', 'controller': missing, 'member': MEMBER_CA, 'content': content}]

    assert trust_problems(pairs(trusted), info, host='etcd1', pki_dir='/x') == []
    refused = trust_problems(pairs(other), info, host='etcd1', pki_dir='/x')
    assert len(refused) == 1 and 'not the CA' in refused[0], refused
