# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The checks of a certificate and its key before they are installed on a member.

Runs on the controller, where the files are, with the cryptography library that
ansible-core itself needs; the members need nothing but python3.
"""

from __future__ import annotations

DOCUMENTATION = r"""
name: tls_problems
short_description: What is wrong with a certificate, its key and its CA for an etcd member or client
description:
  - Reads a certificate, its private key and the CA certificate from files on the controller and returns one sentence
    per problem; an empty list means the files may be used.
  - Checks that each file exists and parses, that the key fits the certificate, that the certificate is signed by the
    CA and valid now, that the CA is a CA that may sign certificates (CA:TRUE, and C(keyCertSign) when it has a key
    usage) and is valid now, that the certificate's subject alternative names hold every address given (DNS names
    in any case), and that its extended key usages allow the use (a server certificate needs C(serverAuth) and
    C(clientAuth), since etcd also dials its own and its peers' listeners with it; a client certificate
    C(clientAuth)), and, when O(common_name) is given, that the certificate's common name is that one.
positional: _input
options:
  _input:
    description: Path of the certificate (PEM) on the controller.
    type: path
    required: true
  key:
    description: Path of its private key (PEM, unencrypted).
    type: path
    required: true
  ca:
    description:
      - Path of the CA certificate that must have signed it, or of a bundle of CA certificates (as during a CA
        rotation) one of which must have; each CA in it is checked.
    type: path
    required: true
  addresses:
    description: IP addresses or DNS names the certificate must carry as subject alternative names.
    type: list
    elements: str
    default: []
  usage:
    description: V(server) (also used for peers) or V(client).
    type: str
    default: server
  common_name:
    description:
      - The common name the certificate must carry, such as the one name a member's peer port accepts
        (etcd's C(--peer-cert-allowed-cn)). Empty, any.
    type: str
    default: ""
  name:
    description: How the messages name the certificate, for example the variable that points at it.
    type: str
    default: the certificate
"""

EXAMPLES = r"""
- name: Check the member's certificate before copying it
  ansible.builtin.assert:
    that: __problems | length == 0
    fail_msg: "{{ __problems | join(' ') }}"
  vars:
    __problems: "{{ etcd_cert_src | quorum.etcd.tls_problems(key=etcd_key_src, ca=etcd_ca_cert_src, addresses=[etcd_address]) }}"
"""

RETURN = r"""
_value:
  description: One sentence per problem; empty when there is none.
  type: list
  elements: str
"""

import datetime
import ipaddress
import os

from ansible.errors import AnsibleFilterError

# cryptography is imported at the first check, not when the module loads: Ansible loads every filter
# file of the collection in each task's worker that uses one of them, and the import costs ~50 ms there.
x509 = serialization = ExtendedKeyUsageOID = is_ca = public_key_bytes = valid_times = None


def _import_cryptography():
    """Bind the cryptography names this module uses; False when the library is missing."""
    global x509, serialization, ExtendedKeyUsageOID, is_ca, public_key_bytes, valid_times
    if x509 is None:
        try:
            from cryptography import x509 as _x509
            from cryptography.hazmat.primitives import serialization as _serialization
            from cryptography.x509.oid import ExtendedKeyUsageOID as _eku

            from ansible_collections.quorum.etcd.plugins.plugin_utils import pki
        except ImportError:  # pragma: no cover - ansible-core requires cryptography
            return False
        serialization, ExtendedKeyUsageOID = _serialization, _eku
        is_ca, public_key_bytes, valid_times = pki.is_ca, pki.public_key_bytes, pki.valid_times
        x509 = _x509
    return True


USAGES = {
    'server': [('serverAuth', 'SERVER_AUTH'), ('clientAuth', 'CLIENT_AUTH')],
    'client': [('clientAuth', 'CLIENT_AUTH')],
}


def _read(path, what, problems):
    if not path or not os.path.isfile(path):
        problems.append('%s file %s does not exist.' % (what, path or '(not set)'))
        return None
    with open(path, 'rb') as f:
        return f.read()


def _load_cert(data, what, path, problems):
    try:
        return x509.load_pem_x509_certificate(data)
    except ValueError:
        problems.append('%s %s is not a PEM certificate.' % (what, path))
        return None


def _load_cas(data, path, problems):
    try:
        return x509.load_pem_x509_certificates(data)
    except ValueError:
        problems.append('The CA certificate %s is not a PEM certificate.' % path)
        return []


def _signed_by(cert, ca_cert):
    try:
        cert.verify_directly_issued_by(ca_cert)
        return True
    except Exception:  # InvalidSignature, or a CA key type that cannot sign this way
        return False


def _san_entries(cert):
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return set()
    # DNS names compare without regard to case (RFC 4343), as TLS clients match them.
    return set(str(ip) for ip in san.get_values_for_type(x509.IPAddress)) | set(
        name.lower() for name in san.get_values_for_type(x509.DNSName))


def _has_address(entries, address):
    try:
        return str(ipaddress.ip_address(address)) in entries
    except ValueError:
        return address.lower() in entries


def _extended_usages(cert):
    try:
        return set(cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)
    except x509.ExtensionNotFound:
        return None  # no extension: any use is allowed


def _may_sign_certificates(cert):
    try:
        return cert.extensions.get_extension_for_class(x509.KeyUsage).value.key_cert_sign
    except x509.ExtensionNotFound:
        return True  # no key usage extension: any use is allowed


def _dates_problem(cert, label, now):
    not_before, not_after = valid_times(cert)
    if not_after <= now:
        return '%s expired on %s.' % (label, not_after.strftime('%Y-%m-%d %H:%M UTC'))
    if not_before > now:
        return '%s is not valid before %s.' % (label, not_before.strftime('%Y-%m-%d %H:%M UTC'))
    return None


def tls_problems(cert_path, key=None, ca=None, addresses=None, usage='server', name='the certificate',
                 common_name=''):
    if not _import_cryptography():
        raise AnsibleFilterError('tls_problems needs the Python cryptography library on the controller')
    if usage not in USAGES:
        raise AnsibleFilterError('tls_problems: usage must be server or client, not %r' % (usage,))
    problems = []
    cert_data = _read(cert_path, name, problems)
    key_data = _read(key, 'The key', problems)
    ca_data = _read(ca, 'The CA certificate', problems)
    cert = cert_data and _load_cert(cert_data, name, cert_path, problems)
    ca_certs = _load_cas(ca_data, ca, problems) if ca_data else []
    private_key = None
    if key_data:
        try:
            private_key = serialization.load_pem_private_key(key_data, password=None)
        except (ValueError, TypeError):
            problems.append('The key %s is not an unencrypted PEM private key.' % key)
    if cert is None:
        return problems

    if private_key is not None and public_key_bytes(private_key.public_key()) != public_key_bytes(cert.public_key()):
        problems.append('The key %s does not fit %s %s.' % (key, name, cert_path))

    now = datetime.datetime.now(datetime.timezone.utc)
    for index, ca_cert in enumerate(ca_certs):
        what = 'The CA certificate %s' % ca + (
            ' (certificate %d of %d)' % (index + 1, len(ca_certs)) if len(ca_certs) > 1 else '')
        if not is_ca(ca_cert):
            problems.append('%s is not a CA (no basic constraint CA:TRUE).' % what)
        elif not _may_sign_certificates(ca_cert):
            problems.append('%s may not sign certificates (its key usage lacks keyCertSign).' % what)
        # etcd and its clients refuse a chain whose CA is out of date as they refuse an expired leaf.
        ca_dates = _dates_problem(ca_cert, what, now)
        if ca_dates:
            problems.append(ca_dates)
    if ca_certs and not any(_signed_by(cert, ca_cert) for ca_cert in ca_certs):
        problems.append('%s %s is not signed by the CA %s (issuer: %s).'
                        % (name, cert_path, ca, cert.issuer.rfc4514_string()))

    dates = _dates_problem(cert, '%s %s' % (name, cert_path), now)
    if dates:
        problems.append(dates)

    entries = _san_entries(cert)
    missing = [a for a in (addresses or []) if a and not _has_address(entries, a)]
    if missing:
        problems.append('%s %s lacks %s in its subject alternative names (it has: %s).'
                        % (name, cert_path, ', '.join(missing), ', '.join(sorted(entries)) or 'none'))

    if common_name:
        found = [a.value for a in cert.subject.get_attributes_for_oid(x509.oid.NameOID.COMMON_NAME)]
        if found != [common_name]:
            problems.append('%s %s has the common name %s where %r is wanted (etcd_peer_cert_allowed_cn: the one '
                            'name the peer port accepts; set it to the common name of your peer certificates, or '
                            'empty for no check).' % (name, cert_path, ', '.join(repr(f) for f in found) or 'none',
                                                      common_name))

    usages = _extended_usages(cert)
    if usages is not None:
        lacking = [label for label, oid in USAGES[usage] if getattr(ExtendedKeyUsageOID, oid) not in usages]
        if lacking:
            problems.append('%s %s lacks the extended key usage %s that a %s certificate of etcd needs.'
                            % (name, cert_path, ' and '.join(lacking), usage))
    return problems


class FilterModule(object):
    def filters(self):
        return {'tls_problems': tls_problems}
