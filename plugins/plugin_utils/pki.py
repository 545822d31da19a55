# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cluster's certificate authority on the controller, in one pass.

``converge(settings, check_mode)`` lays out, under ``settings['dir']``, the CA (or
the CA and a peer CA), a server and a peer certificate for every member, the
admin client certificate and any further client certificates. A file already
right is not touched: a key is kept while it has the wanted type, a certificate
while its names, key, usages and issuer are the wanted ones and it is valid
for more than ``renew_days``. Nothing is written in check mode; the result says
what would be.

``settings['rotation']`` moves the cluster to a new CA in steps that each leave a
cluster that works (quorum.etcd.rotate_ca runs them in turn, rolling the members between):
``trust`` makes ``<ca>-next`` and a bundle of both CAs in ``<ca>.crt``, ``reissue`` signs
every certificate with the new CA, ``retire`` keeps them so while the members drop the old
one, and ``complete`` makes the new CA the CA, keeping the old one as ``<ca>-previous``.
"""
import base64
import datetime
import ipaddress
import os
import tempfile

from ansible_collections.quorum.etcd.plugins.plugin_utils.addresses import advertised_by_name

try:
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
    CRYPTOGRAPHY_MISSING = None
except ImportError as missing:  # said by converge(), where the CA is needed
    CRYPTOGRAPHY_MISSING = missing

SERVER_AND_CLIENT = ("serverAuth", "clientAuth")
CLIENT = ("clientAuth",)
# The steps of a CA rotation, in order ('' is no rotation).
ROTATION_STEPS = ("", "trust", "reissue", "retire", "complete")
# What the clients that keep their own copies of the files need after a step ({dir}: the pki directory).
# Clients that read the files at each connection follow on their own.
ROTATION_NOTES = {
    "trust": "CA rotation, step trust: {dir}/ca.crt now holds the current and the next CA. Give it to every client "
             "that keeps its own copy before the next step, from which the members present certificates of the next "
             "CA.",
    "reissue": "CA rotation, step reissue: the admin ({dir}/admin.crt), etcdctl and client certificates "
               "({dir}/clients/) are signed by the next CA, their keys unchanged. Give them to the clients that keep "
               "their own copies before the next step, from which the members trust the next CA alone.",
    "complete": "CA rotation complete: {dir}/ca.crt holds the new CA alone (the old one is kept as ca-previous.crt "
                "and ca-previous.key); clients may trust it alone.",
}
_EKU_NAMES = {"serverAuth": "SERVER_AUTH", "clientAuth": "CLIENT_AUTH"}


def _eku(usage):
    """cryptography's OID of an extended key usage ("serverAuth", "clientAuth")."""
    return getattr(ExtendedKeyUsageOID, _EKU_NAMES[usage])


class PkiError(Exception):
    """A setting or a file the CA cannot work with; the message names it."""


# -- what is wanted -----------------------------------------------------------

def subject_alt_names(names):
    """'IP:' or 'DNS:' entries for names, in order, without repeats or empties."""
    sans = []
    for name in names:
        name = str(name).strip()
        if not name:
            continue
        try:
            entry = "IP:%s" % ipaddress.ip_address(name)
        except ValueError:
            entry = "DNS:%s" % name
        if entry not in sans:
            sans.append(entry)
    return sans


def _found_address(member):
    """The host's own address, for a member advertised by DNS name (clients may reach it by address):
    a member advertised by address keeps the names it had."""
    return [member.get("found_address") or ""] if advertised_by_name(member["address"]) else []


def certificate_specs(settings):
    """Every certificate the cluster needs: path (without suffix), CA, subject, SANs, usages."""
    root = settings["dir"]
    specs = []
    for member in settings["members"]:
        sans = subject_alt_names([member["address"], "127.0.0.1", "::1", "localhost", member["host"],
                                  member["name"]] + _found_address(member) + list(settings.get("extra_sans") or []))
        for kind in ("server", "peer"):
            # Every peer certificate carries the one name the peer port accepts (etcd's
            # --peer-cert-allowed-cn): a client certificate of the same CA cannot speak raft.
            common_name = (settings.get("peer_common_name") or member["name"]) if kind == "peer" else member["name"]
            specs.append({
                "path": os.path.join(root, member["host"], kind),
                "ca": "peer-ca" if kind == "peer" and settings.get("separate_peer_ca") else "ca",
                "common_name": common_name, "organization": "", "sans": sans,
                "usages": SERVER_AND_CLIENT})
    specs.append({"path": os.path.join(root, "admin"), "ca": "ca", "common_name": "",
                  "organization": settings.get("admin_organization") or "", "sans": [], "usages": CLIENT})
    # etcdctl and the backup on the members speak gRPC, where etcd takes the common name for the
    # user when authentication is on: they need no password.
    if settings.get("etcdctl_common_name"):
        specs.append({"path": os.path.join(root, "etcdctl"), "ca": "ca", "common_name": settings["etcdctl_common_name"],
                      "organization": "", "sans": [], "usages": CLIENT})
    for client in settings.get("clients") or []:
        specs.append({"path": os.path.join(root, "clients", client["name"]), "ca": "ca",
                      "common_name": client.get("common_name", client["name"]),
                      "organization": client.get("organization") or "", "sans": [], "usages": CLIENT})
    return specs


def validate(settings):
    """Every problem with the settings at once, before anything is written."""
    problems = []
    if settings.get("key_type") not in ("ECC", "RSA"):
        problems.append("etcd_pki_key_type must be ECC or RSA, not %r" % settings.get("key_type"))
    if settings.get("key_type") == "RSA" and int(settings.get("rsa_bits") or 0) < 2048:
        problems.append("etcd_pki_rsa_bits must be at least 2048, not %r" % settings.get("rsa_bits"))
    for name in ("ca_days", "cert_days"):
        if int(settings.get(name) or 0) < 1:
            problems.append("etcd_pki_%s must be a positive number of days, not %r" % (name, settings.get(name)))
    if int(settings.get("renew_days") or 0) >= int(settings.get("cert_days") or 0):
        problems.append("etcd_pki_renew_days (%s) must be less than etcd_pki_cert_days (%s), or every run "
                        "renews every certificate" % (settings.get("renew_days"), settings.get("cert_days")))
    if (settings.get("rotation") or "") not in ROTATION_STEPS:
        problems.append("etcd_pki_rotation must be one of %s, not %r"
                        % (", ".join(repr(r) for r in ROTATION_STEPS), settings.get("rotation")))
    elif settings.get("rotation") and settings.get("given_cas"):
        problems.append("quorum.etcd.rotate_ca rotates a CA kept in etcd_pki_dir, not one given in variables "
                        "(etcd_pki_ca_cert_content)")
    seen = {}
    for member in settings.get("members") or []:
        if not member.get("address"):
            problems.append("%s: no member address for its certificates" % member.get("host"))
        if member["host"] in seen:
            problems.append("%s: listed twice" % member["host"])
        seen[member["host"]] = True
    names = [c.get("name") for c in settings.get("clients") or []]
    peer_name = settings.get("peer_common_name") or ""
    if peer_name and peer_name == settings.get("etcdctl_common_name"):
        problems.append("etcd_pki_etcdctl_common_name %r is the peer certificates' common name "
                        "(etcd_peer_cert_allowed_cn): etcdctl's certificate would be let onto the peer port"
                        % peer_name)
    for client in settings.get("clients") or []:
        if peer_name and client.get("common_name", client.get("name")) == peer_name:
            problems.append("etcd_pki_clients: %r has the peer certificates' common name %r "
                            "(etcd_peer_cert_allowed_cn): it would be let onto the peer port"
                            % (client.get("name"), peer_name))
    for name in names:
        if not name or "/" in name or name.startswith("."):
            problems.append("etcd_pki_clients: %r is not a file name" % name)
        elif names.count(name) > 1:
            problems.append("etcd_pki_clients: %r is listed more than once" % name)
    return sorted(set(problems), key=problems.index)


# -- files --------------------------------------------------------------------

def _write(path, data, mode):
    """Replace path atomically with data, created with mode (never briefly wider)."""
    handle, temp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".%s." % os.path.basename(path))
    try:
        os.fchmod(handle, mode)
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temp, path)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise


def _read(path):
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


class _Run(object):
    """One converge: records what changed, writes only outside check mode."""

    def __init__(self, check_mode):
        self.check_mode = check_mode
        self.changed = []
        self.restored = []
        # What this run wrote, also in check mode: later steps read it as if it were on disk.
        self.written = {}

    def read(self, path):
        return self.written[path] if path in self.written else _read(path)

    def exists(self, path):
        return self.read(path) is not None

    def restore(self, path, data, mode, source):
        """A file the controller lacks, as the variables or a member hold it: not a change of the cluster."""
        self.restored.append({"path": path, "source": source})
        self.written[path] = data
        if not self.check_mode:
            _write(path, data, mode)

    def directory(self, path):
        if not os.path.isdir(path):
            # Not a change by itself: what is written into it is.
            if not self.check_mode:
                os.makedirs(path, mode=0o700, exist_ok=True)
                os.chmod(path, 0o700)
        elif os.stat(path).st_mode & 0o777 != 0o700:
            self.changed.append({"path": path, "reason": "mode set to 0700"})
            if not self.check_mode:
                os.chmod(path, 0o700)

    def file(self, path, data, mode, reason):
        self.changed.append({"path": path, "reason": reason})
        self.written[path] = data
        if not self.check_mode:
            _write(path, data, mode)

    def remove(self, path, reason):
        if self.read(path) is not None:
            self.changed.append({"path": path, "reason": reason})
            self.written[path] = None
            if not self.check_mode and os.path.exists(path):
                os.unlink(path)

    def mode(self, path, mode):
        if os.path.exists(path) and os.stat(path).st_mode & 0o777 != mode:
            self.changed.append({"path": path, "reason": "mode set to %04o" % mode})
            if not self.check_mode:
                os.chmod(path, mode)


# -- keys and certificates ----------------------------------------------------

def _new_key(settings):
    if settings["key_type"] == "RSA":
        return rsa.generate_private_key(public_exponent=65537, key_size=int(settings["rsa_bits"]))
    return ec.generate_private_key(ec.SECP256R1())


def _key_fits(key, settings):
    if settings["key_type"] == "RSA":
        return isinstance(key, rsa.RSAPrivateKey) and key.key_size == int(settings["rsa_bits"])
    return isinstance(key, ec.EllipticCurvePrivateKey) and isinstance(key.curve, ec.SECP256R1)


def _key(run, path, settings):
    """The private key at path, made anew when missing or not of the wanted type."""
    data = run.read(path)
    reason = "created"
    if data is not None:
        try:
            key = serialization.load_pem_private_key(data, password=None)
        except (ValueError, TypeError):
            key, reason = None, "replaced an unreadable key"
        if key is not None and _key_fits(key, settings):
            run.mode(path, 0o600)
            return key, False
        if key is not None:
            reason = "replaced a key of another type or size"
    key = _new_key(settings)
    run.file(path, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption()), 0o600, reason)
    return key, True


def _load_cert(run, path):
    data = run.read(path)
    if data is None:
        return None
    try:
        return x509.load_pem_x509_certificate(data)
    except ValueError:
        return None


def _name(common_name, organization):
    attributes = []
    if organization:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    if common_name:
        attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    return x509.Name(attributes)


def _san_objects(sans):
    objects = []
    for entry in sans:
        kind, value = entry.split(":", 1)
        objects.append(x509.IPAddress(ipaddress.ip_address(value)) if kind == "IP" else x509.DNSName(value))
    return objects


def public_key_bytes(public_key):
    """A public key as DER, to compare keys (also used by the tls_problems filter)."""
    return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _extension(cert, kind):
    try:
        return cert.extensions.get_extension_for_class(kind).value
    except x509.ExtensionNotFound:
        return None


def is_ca(cert):
    """Whether the certificate's basic constraints say CA:TRUE (also used by the tls_problems filter)."""
    constraints = _extension(cert, x509.BasicConstraints)
    return constraints is not None and constraints.ca


def valid_times(cert):
    """(not before, not after) as aware UTC datetimes; cryptography before 42 has only naive ones."""
    if hasattr(cert, "not_valid_before_utc"):
        return cert.not_valid_before_utc, cert.not_valid_after_utc
    return (cert.not_valid_before.replace(tzinfo=datetime.timezone.utc),
            cert.not_valid_after.replace(tzinfo=datetime.timezone.utc))


def _ca_reason(cert, key, common_name, new_key):
    """Why the CA certificate must be made again, or None."""
    if cert is None:
        return "created"
    if new_key or public_key_bytes(cert.public_key()) != public_key_bytes(key.public_key()):
        return "its key changed"
    if cert.subject != _name(common_name, ""):
        return "its name changed"
    if not is_ca(cert):
        return "it was not a CA"
    return None


def _cert_reason(cert, key, spec, ca, renew_before, force):
    """Why a member or client certificate must be issued again, or None."""
    if cert is None:
        return "created"
    if public_key_bytes(cert.public_key()) != public_key_bytes(key.public_key()):
        return "its key changed"
    if not any(_issued_by(cert, accepted) for accepted in ca.get("accepts") or [ca["cert"]]):
        return "signed by another CA"
    if cert.subject != _name(spec["common_name"], spec["organization"]):
        return "its subject changed"
    sans = _extension(cert, x509.SubjectAlternativeName)
    if sorted(str(n) for n in (sans or [])) != sorted(str(n) for n in _san_objects(spec["sans"])):
        return "its names or addresses changed"
    usages = _extension(cert, x509.ExtendedKeyUsage)
    if sorted(u.dotted_string for u in (usages or [])) != sorted(_eku(u).dotted_string for u in spec["usages"]):
        return "its usages changed"
    not_after = valid_times(cert)[1]
    if not_after <= renew_before:
        return "it expires %s" % not_after.strftime("%Y-%m-%d")
    if force:
        return "renewal requested (etcd_pki_force_renew)"
    return None


def _issued_by(cert, ca_cert):
    try:
        cert.verify_directly_issued_by(ca_cert)
        return True
    except (ValueError, TypeError, InvalidSignature):
        return False


def _builder(subject, issuer, public_key, days, now):
    return (x509.CertificateBuilder()
            .subject_name(subject).issuer_name(issuer).public_key(public_key)
            .serial_number(x509.random_serial_number())
            # A minute back: a host whose clock runs a little behind still accepts it.
            .not_valid_before(now - datetime.timedelta(minutes=1))
            .not_valid_after(now + datetime.timedelta(days=int(days)))
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False))


def _key_usage(settings, ca=False):
    # RSA key exchange needs keyEncipherment; ECDSA signs only.
    return x509.KeyUsage(
        digital_signature=not ca, key_encipherment=(settings["key_type"] == "RSA" and not ca),
        content_commitment=False, data_encipherment=False, key_agreement=False,
        key_cert_sign=ca, crl_sign=ca, encipher_only=False, decipher_only=False)


def _given_ca(run, settings, name, now):
    """The CA the variables hold (a controller without a lasting pki directory): used as it is, never
    made again; the directory may hold it already, but no other CA."""
    given = settings["given_cas"][name]
    root = settings["dir"]
    try:
        cert = x509.load_pem_x509_certificate(given["cert"].encode())
        key = serialization.load_pem_private_key(given["key"].encode(), password=None)
    except (ValueError, TypeError):
        raise PkiError("the %s certificate and key given in the variables are not an unencrypted PEM certificate "
                       "and key" % name)
    problems = []
    if public_key_bytes(cert.public_key()) != public_key_bytes(key.public_key()):
        problems.append("its key does not fit it")
    if not is_ca(cert):
        problems.append("it is not a CA (no basic constraint CA:TRUE)")
    if valid_times(cert)[1] <= now:
        problems.append("it expired on %s" % valid_times(cert)[1].strftime("%Y-%m-%d"))
    if problems:
        raise PkiError("the %s given in the variables cannot sign the cluster's certificates: %s"
                       % (name, "; ".join(problems)))
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    for path, data, mode in ((os.path.join(root, name + ".crt"), cert_pem, 0o644),
                             (os.path.join(root, name + ".key"), given["key"].encode(), 0o600)):
        have = run.read(path)
        if have is None:
            run.restore(path, data, mode, "variables")
        elif _load_cert(run, path) != cert if path.endswith(".crt") else not _same_key(have, key):
            raise PkiError("%s holds another CA than the one given in the variables; nothing was written. Empty "
                           "the directory, or give the CA that is in it" % path)
    return {"key": key, "cert": cert}


def _same_key(data, key):
    try:
        held = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        return False
    return public_key_bytes(held.public_key()) == public_key_bytes(key.public_key())


def _restore_from_members(run, settings):
    """Certificates and keys the controller lacks, as the members hold them: checked like the others
    after this, and issued again only when they no longer fit (another CA, names, expiry)."""
    root = os.path.realpath(settings["dir"])
    for item in settings.get("from_members") or []:
        real = os.path.realpath(item["path"])
        if not real.startswith(root + os.sep) or not real.endswith((".crt", ".key")):
            raise PkiError("from_members may only restore certificates and keys inside %s, not %s" % (root, real))
        # Under the directory as the settings name it: the later steps look the file up there.
        path = os.path.join(settings["dir"], os.path.relpath(real, root))
        if run.read(path) is None and item.get("content"):
            run.restore(path, base64.b64decode(item["content"]), 0o600 if path.endswith(".key") else 0o644,
                        item.get("host") or "a member")


def _ca(run, settings, name, now):
    if (settings.get("given_cas") or {}).get(name):
        return _given_ca(run, settings, name, now)
    root = settings["dir"]
    # The next CA of a rotation has the same name: the certificates it signs differ only in their issuer's key.
    common_name = settings["ca_common_name"] + (" (peers)" if name.startswith("peer-ca") else "")
    key, new_key = _key(run, os.path.join(root, name + ".key"), settings)
    path = os.path.join(root, name + ".crt")
    cert = _load_cert(run, path)
    reason = _ca_reason(cert, key, common_name, new_key)
    if reason:
        subject = _name(common_name, "")
        cert = (_builder(subject, subject, key.public_key(), settings["ca_days"], now)
                .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                .add_extension(_key_usage(settings, ca=True), critical=True)
                .sign(key, hashes.SHA256()))
        run.file(path, cert.public_bytes(serialization.Encoding.PEM), 0o644, reason)
    else:
        run.mode(path, 0o644)
    return {"key": key, "cert": cert}


def _pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM)


def _rotate(run, settings, name, ca, now):
    """The CA that signs during a rotation step, with the CAs whose certificates are kept
    (``accepts``); ``<name>.crt``, what members and clients trust, holds both CAs until ``complete``."""
    rotation = settings.get("rotation") or ""
    root = settings["dir"]
    next_cert = os.path.join(root, name + "-next.crt")
    if not rotation:
        if run.exists(next_cert):
            raise PkiError("a rotation of the CA %s is under way (%s exists): run quorum.etcd.rotate_ca to finish it; "
                           "nothing was written" % (name, next_cert))
        return ca
    if rotation != "trust" and not run.exists(next_cert):
        raise PkiError("%s does not exist: a rotation starts with its trust step (quorum.etcd.rotate_ca runs every "
                       "step); nothing was written" % next_cert)
    upcoming = _ca(run, settings, name + "-next", now)
    bundle = _pem(ca["cert"]) + _pem(upcoming["cert"])
    path = os.path.join(root, name + ".crt")
    if run.read(path) != bundle:
        run.file(path, bundle, 0o644, "trusts the CA and the next one (a rotation)")
    if rotation == "trust":
        # Nothing is issued again yet: a certificate of either CA is kept (a resumed rotation).
        return dict(ca, accepts=[ca["cert"], upcoming["cert"]])
    return upcoming


def _complete(run, settings, name):
    """The next CA becomes the CA; the one before it is kept as <name>-previous. Each step is
    one file, and a run stopped between two of them finds where to go on."""
    root = settings["dir"]
    next_cert, next_key = (os.path.join(root, name + "-next" + suffix) for suffix in (".crt", ".key"))
    if not run.exists(next_cert):
        return
    upcoming = _load_cert(run, next_cert)
    upcoming_key = run.read(next_key)
    key_path = os.path.join(root, name + ".key")
    if upcoming is None or upcoming_key is None:
        raise PkiError("%s or %s is missing or unreadable: the rotation cannot complete; nothing was written"
                       % (next_cert, next_key))
    if run.read(key_path) != upcoming_key:
        old = _load_cert(run, os.path.join(root, name + ".crt"))
        run.file(os.path.join(root, name + "-previous.crt"), _pem(old), 0o644, "the CA before the rotation, kept")
        if run.exists(key_path):  # peers that trusted the one CA had no key of their own
            run.file(os.path.join(root, name + "-previous.key"), run.read(key_path), 0o600,
                     "the CA key before the rotation, kept")
        run.file(key_path, upcoming_key, 0o600, "the key of the CA the rotation moved to")
    if run.read(os.path.join(root, name + ".crt")) != _pem(upcoming):
        run.file(os.path.join(root, name + ".crt"), _pem(upcoming), 0o644, "the CA the rotation moved to, alone")
    run.remove(next_key, "the rotation is complete")
    run.remove(next_cert, "the rotation is complete")


def _issue(run, settings, spec, cas, now, renew_before):
    key, dummy = _key(run, spec["path"] + ".key", settings)
    path = spec["path"] + ".crt"
    ca = cas[spec["ca"]]
    reason = _cert_reason(_load_cert(run, path), key, spec, ca, renew_before, settings.get("force_renew"))
    if not reason:
        run.mode(path, 0o644)
        return
    builder = (_builder(_name(spec["common_name"], spec["organization"]), ca["cert"].subject,
                        key.public_key(), settings["cert_days"], now)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca["key"].public_key()),
                              critical=False)
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
               .add_extension(_key_usage(settings), critical=True)
               .add_extension(x509.ExtendedKeyUsage([_eku(u) for u in spec["usages"]]), critical=False))
    if spec["sans"]:
        builder = builder.add_extension(x509.SubjectAlternativeName(_san_objects(spec["sans"])), critical=False)
    cert = builder.sign(ca["key"], hashes.SHA256())
    run.file(path, cert.public_bytes(serialization.Encoding.PEM), 0o644, reason)


def converge(settings, check_mode=False, now=None):
    """Bring settings['dir'] to the wanted CA and certificates; returns what changed.

    Raises PkiError with every problem of the settings before anything is written.
    """
    if CRYPTOGRAPHY_MISSING is not None:
        raise PkiError("the Python package cryptography is needed on the controller for the CA and certificates "
                       "(pip install cryptography, or the execution environment's meta/ee-requirements.txt): %s"
                       % CRYPTOGRAPHY_MISSING)
    problems = validate(settings)
    if problems:
        raise PkiError("; ".join(problems))
    now = now or datetime.datetime.now(datetime.timezone.utc)
    renew_before = now + datetime.timedelta(days=int(settings["renew_days"]))
    run = _Run(check_mode)
    root = settings["dir"]
    rotation = settings.get("rotation") or ""  # the complete step clears it from settings below
    settings, warnings = _peer_ca_choice(run, settings)
    specs = certificate_specs(settings)
    for path in [root, os.path.join(root, "clients")] + sorted({os.path.dirname(s["path"]) for s in specs}):
        run.directory(path)
    # In check mode missing keys and certificates are made in memory only, so the
    # report lists everything a first run would create.
    ca_names = ("ca", "peer-ca") if settings.get("separate_peer_ca") else ("ca",)
    if settings.get("rotation") == "complete":
        for name in ca_names:
            _complete(run, settings, name)
        settings = dict(settings, rotation="")
    ca = _ca(run, settings, "ca", now)
    cas = {"ca": _rotate(run, settings, "ca", ca, now)}
    _restore_from_members(run, settings)
    if settings.get("separate_peer_ca"):
        # Peers that trust the one CA until a rotation gives them their own keep it as their current CA.
        own = settings["own_peer_ca"] or run.exists(os.path.join(root, "peer-ca.key"))  # a completed move
        peer_ca = _ca(run, settings, "peer-ca", now) if own else ca
        cas["peer-ca"] = _rotate(run, settings, "peer-ca", peer_ca, now)
    else:
        # Members always install peer-ca.crt: the CA (during a rotation both CAs) that peers trust.
        ca_pem = run.read(os.path.join(root, "ca.crt"))
        peer_ca = os.path.join(root, "peer-ca.crt")
        have = run.read(peer_ca)
        if have is None and any(r["source"] == "variables" for r in run.restored):
            # The CA came from the variables: its copy is part of restoring the directory.
            run.restore(peer_ca, ca_pem, 0o644, "a copy of ca.crt")
        elif have != ca_pem:
            run.file(peer_ca, ca_pem, 0o644, "a copy of ca.crt")
        else:
            run.mode(peer_ca, 0o644)
    for spec in specs:
        _issue(run, settings, spec, cas, now, renew_before)
    result = _result(run, specs)
    result["separate_peer_ca"] = settings["separate_peer_ca"]
    result["rotation_note"] = ROTATION_NOTES.get(rotation, "").format(dir=root)
    if warnings:
        result["warnings"] = warnings
    return result


def _peer_ca_choice(run, settings):
    """Whether the peers get a CA of their own (etcd_pki_separate_peer_ca, CIS etcd 2.7): always with a new CA
    or one already theirs, and through a rotation (quorum.etcd.rotate_ca) for a cluster whose peers trust its one
    CA. A deploy never moves such a cluster's peers (its members would refuse the new peer certificates): it keeps
    the one CA and says so. A CA given in variables without a peer CA has no place to keep one: shared."""
    root = settings["dir"]
    given = settings.get("given_cas") or {}
    own = run.exists(os.path.join(root, "peer-ca.key")) or bool(given.get("peer-ca"))
    new = not run.exists(os.path.join(root, "ca.crt")) and not given.get("ca")
    moving = bool(settings.get("rotation")) or run.exists(os.path.join(root, "peer-ca-next.crt"))
    wanted = bool(settings.get("separate_peer_ca"))
    separate = wanted and (own or new or (moving and not given))
    warnings = []
    if wanted and not separate:
        warnings.append("etcd_pki_separate_peer_ca is true, but the peers of this cluster trust its one CA (%s): they "
                        "keep it. quorum.etcd.rotate_ca gives them a CA of their own without downtime%s."
                        % (os.path.join(root, "ca.crt"), "" if not given else ", from a controller with a lasting "
                           "etcd_pki_dir (not a CA given in variables)"))
    return dict(settings, separate_peer_ca=separate, own_peer_ca=own or new), warnings


def _result(run, specs):
    return {
        "changed": bool(run.changed),
        "files": run.changed,
        "issued": [c["path"] for c in run.changed if c["path"].endswith(".crt")],
        "certificates": len(specs),
        # Files written because the controller lacked them (from the variables or the members).
        "restored": run.restored,
    }
