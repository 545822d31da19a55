# -*- coding: utf-8 -*-
# Copyright (c) quorum.etcd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The checks of a certificate and its key before they are installed on a member.

Runs on the controller, where the files are, with the cryptography library that
ansible-core itself needs; the members need nothing but python3.

The filter is documented in plugins/filter/tls_problems.py."""

from __future__ import annotations

import datetime
import ipaddress
import os

from ansible.errors import AnsibleFilterError

try:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.x509.oid import ExtendedKeyUsageOID

    from ansible_collections.quorum.etcd.plugins.plugin_utils.pki import is_ca, public_key_bytes, valid_times
except ImportError:  # pragma: no cover - ansible-core requires cryptography
    x509 = None

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
    if x509 is None:
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
