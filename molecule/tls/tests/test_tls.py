"""The secure default, probed from outside: only clients with a certificate from the
cluster's CA get in, only over TLS 1.2 or later, and with authentication on only with a
user whose role allows the key. Then the files, the process and the CIS checks (2.1-2.7)
on every member."""

import base64
import json
import os
import socket
import ssl

import pytest
import requests

import certs
from lab import (address, admin_auth, client_tls, hosts, log_in, peer_ca_file, peer_get_status, peer_port_status,
                 pki_dir)

MEMBERS = hosts("etcd")
NAMES = [m.backend.name for m in MEMBERS]
IPS = [address(m) for m in MEMBERS]


def _b64(text):
    return base64.b64encode(text.encode()).decode()


def _url(ip, port=2379, scheme="https"):
    return "%s://%s:%d" % (scheme, ip, port)


@pytest.fixture(scope="module")
def admin():
    tls = client_tls()
    assert tls, "the cluster has no CA in etcd_pki_dir"
    session = requests.Session()
    session.trust_env = False  # else REQUESTS_CA_BUNDLE would replace the cluster's CA
    session.verify, session.cert = tls["verify"], tls["cert"]
    return session


@pytest.fixture(scope="module")
def foreign_client(tmp_path_factory):
    """A client certificate and key from a CA the cluster does not know."""
    directory = tmp_path_factory.mktemp("foreign")
    return certs.issue(directory, "client", certs.new_ca(directory, "another CA"), usages=certs.CLIENT)


@pytest.mark.parametrize("port", [2379, 2380])
def test_plain_http_gets_no_answer_from_etcd(port):
    for ip in IPS:
        try:
            answer = requests.get(_url(ip, port, "http") + "/version", timeout=5)
        except requests.ConnectionError:
            continue
        # Go's TLS listener answers a plain request with this 400, never with etcd's data.
        assert answer.status_code == 400 and "HTTPS" in answer.text, (ip, port, answer.status_code, answer.text[:200])


@pytest.mark.parametrize("port", [2379, 2380])
def test_a_client_without_a_certificate_is_refused(port):
    for ip in IPS:
        with pytest.raises(requests.ConnectionError):
            requests.get(_url(ip, port) + "/version", verify=client_tls()["verify"], timeout=5).raise_for_status()


@pytest.mark.parametrize("port", [2379, 2380])
def test_a_certificate_from_another_ca_is_refused(port, foreign_client):
    for ip in IPS:
        with pytest.raises(requests.ConnectionError):
            requests.get(_url(ip, port) + "/version", verify=client_tls()["verify"], cert=foreign_client,
                         timeout=5).raise_for_status()


def test_the_admin_client_gets_in(admin):
    for ip in IPS:
        answer = admin.get(_url(ip) + "/version", timeout=5)
        assert answer.status_code == 200 and answer.json()["etcdserver"].startswith("3."), answer.text


def _handshake(ip, newest, port=2379, cert=None):
    """TLS handshake with the admin certificate (or cert, key), at most protocol ``newest``; returns the
    version agreed."""
    tls = client_tls()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    # The peer port presents a peer certificate: of the peers' own CA where they have one.
    context.load_verify_locations(peer_ca_file() if port == 2380 else tls["verify"])
    context.load_cert_chain(*(cert or tls["cert"]))
    context.minimum_version = ssl.TLSVersion.TLSv1
    context.maximum_version = newest
    context.set_ciphers("ALL:@SECLEVEL=0")  # let this side offer the old protocols at all
    with socket.create_connection((ip, port), timeout=5) as raw:
        with context.wrap_socket(raw, server_hostname=ip) as conn:
            return conn.version()


def peer_port_answer(ip, cert):
    """What /members on a member's peer port answers a client certificate (cert, key): the status,
    or 'refused' when the handshake fails, over TLS 1.3 and again over TLS 1.2 (where the refusal
    comes in the handshake itself)."""
    try:
        _handshake(ip, ssl.TLSVersion.TLSv1_2, port=2380, cert=cert)
        return "TLS 1.2 handshake done"
    except ssl.SSLError:
        return peer_port_status(ip, cert)


def test_only_peer_certificates_get_onto_the_peer_port():
    """The admin, etcdctl and application certificates are refused on 2380 (after the rotation by the
    peers' own CA, before it by etcd_peer_cert_allowed_cn); each member's own peer certificate is let in."""
    directory = pki_dir()
    clients = {name: (os.path.join(directory, name + ".crt"), os.path.join(directory, name + ".key"))
               for name in ("admin", "etcdctl", "clients/reader")}
    clients_answers = {(ip, name): peer_port_answer(ip, cert) for ip in IPS for name, cert in clients.items()}
    peers_answers = {(ip, m.backend.name): peer_get_status(m, _url(ip, 2380) + "/members")
                     for m in MEMBERS for ip in IPS if ip != address(m)}
    # The control: the same TLS 1.2 handshake with a peer certificate completes (etcd then closes the
    # connection, since the controller's address is not in it).
    peer_cert = (os.path.join(directory, NAMES[0], "peer.crt"), os.path.join(directory, NAMES[0], "peer.key"))
    control = {ip: _handshake(ip, ssl.TLSVersion.TLSv1_2, port=2380, cert=peer_cert) for ip in IPS}
    print("peer port answers: clients %s; members' peer certificates %s; TLS 1.2 control %s"
          % (clients_answers, peers_answers, control))
    assert {k: v for k, v in control.items() if v != "TLSv1.2"} == {}
    assert {k: v for k, v in clients_answers.items() if v != "refused"} == {}
    assert {k: v for k, v in peers_answers.items() if v != 200} == {}


def test_only_tls_1_2_or_later_is_accepted():
    for ip in IPS:
        assert _handshake(ip, ssl.TLSVersion.TLSv1_2) == "TLSv1.2"
        with pytest.raises(ssl.SSLError):
            _handshake(ip, ssl.TLSVersion.TLSv1_1)


def test_metrics_and_health_are_served_on_loopback_only():
    for member, ip in zip(MEMBERS, IPS):
        health = member.check_output(
            "python3 -c 'import urllib.request; print(urllib.request.urlopen(\"http://127.0.0.1:2381/health\").read().decode())'")
        assert json.loads(health)["health"] == "true"
        with pytest.raises(requests.ConnectionError):
            requests.get(_url(ip, 2381, "http") + "/health", timeout=5)


def test_anonymous_requests_are_denied_with_authentication_on(admin):
    answer = admin.post(_url(IPS[0]) + "/v3/kv/range", json={"key": _b64("/reader/")}, timeout=5)
    assert answer.status_code != 200 and "user name is empty" in answer.text, answer.text


def test_the_reader_reads_its_prefix_only(admin):
    user, password = admin_auth()
    root = {"Authorization": log_in(admin, _url(IPS[0]), user, password)}
    assert admin.post(_url(IPS[0]) + "/v3/kv/put", headers=root, timeout=5,
                      json={"key": _b64("/reader/greeting"), "value": _b64("hello")}).status_code == 200
    assert admin.post(_url(IPS[0]) + "/v3/kv/put", headers=root, timeout=5,
                      json={"key": _b64("/secret/key"), "value": _b64("hidden")}).status_code == 200

    reader = {"Authorization": log_in(admin, _url(IPS[1]), "reader", "molecule-reader-password")}
    inside = admin.post(_url(IPS[1]) + "/v3/kv/range", headers=reader, json={"key": _b64("/reader/greeting")}, timeout=5)
    assert inside.status_code == 200 and base64.b64decode(inside.json()["kvs"][0]["value"]) == b"hello", inside.text
    outside = admin.post(_url(IPS[1]) + "/v3/kv/range", headers=reader, json={"key": _b64("/secret/key")}, timeout=5)
    assert outside.status_code != 200 and "permission denied" in outside.text, outside.text
    write = admin.post(_url(IPS[1]) + "/v3/kv/put", headers=reader, timeout=5,
                       json={"key": _b64("/reader/greeting"), "value": _b64("changed")})
    assert write.status_code != 200 and "permission denied" in write.text, write.text


def test_files_and_process_belong_to_etcd():
    for member in MEMBERS:
        data = member.file("/var/lib/etcd")
        assert (data.user, data.group, data.mode) == ("etcd", "etcd", 0o700)
        for name in ("server.key", "peer.key", "admin.key", "server.pem", "peer.pem"):
            key = member.file("/etc/etcd/pki/" + name)
            assert (key.user, key.group, key.mode) == ("etcd", "etcd", 0o600), name
        assert member.check_output("ps -o user= -C etcd").split() == ["etcd"]


def _etcd_settings(member):
    """The ETCD_* settings the running etcd was started with: its unit's environment file
    (etcd takes no flags here: the command line is checked to be bare)."""
    pid = member.check_output("systemctl show -p MainPID --value etcd")
    assert member.check_output("ps -o args= -p %s", pid).split() == ["/usr/local/bin/etcd"]
    files = member.check_output("systemctl show -p EnvironmentFiles --value etcd").split()
    settings = {}
    for line in member.file(files[0]).content_string.splitlines():
        if line.startswith("ETCD_"):
            name, value = line.split("=", 1)
            settings[name] = value.strip('"')
    return settings


def test_each_certificate_etcd_serves_is_one_file_with_its_key():
    """etcd reads its certificate and key files at each new connection: both settings name one file holding
    the pair, so a new pair replaces the old in one rename, never a certificate beside another key on disk.
    After the rotation (test_rotate_ca.py) the pair holds the reissued certificate."""
    for member in MEMBERS:
        settings = _etcd_settings(member)
        for prefix, name in (("ETCD_", "server"), ("ETCD_PEER_", "peer")):
            assert settings[prefix + "CERT_FILE"] == settings[prefix + "KEY_FILE"] == "/etc/etcd/pki/%s.pem" % name
            pair = member.file(settings[prefix + "CERT_FILE"]).content_string
            assert pair == (member.file("/etc/etcd/pki/%s.crt" % name).content_string
                            + member.file("/etc/etcd/pki/%s.key" % name).content_string), member.backend.name


def test_cis_etcd_checks_hold_on_every_member():
    ca = open(client_tls()["verify"]).read()
    peer_ca = open(peer_ca_file()).read()
    for member in MEMBERS:
        settings = _etcd_settings(member)
        # 2.1 and 2.4: certificate and key for clients and for peers.
        for name in ("ETCD_CERT_FILE", "ETCD_KEY_FILE", "ETCD_PEER_CERT_FILE", "ETCD_PEER_KEY_FILE"):
            assert settings.get(name) and member.file(settings[name]).exists, name
        # 2.2 and 2.5: client certificates required from clients and from peers.
        assert settings.get("ETCD_CLIENT_CERT_AUTH") == "true"
        assert settings.get("ETCD_PEER_CLIENT_CERT_AUTH") == "true"
        # 2.3 and 2.6: no self-signed certificates made up at start.
        assert settings.get("ETCD_AUTO_TLS", "false") != "true"
        assert settings.get("ETCD_PEER_AUTO_TLS", "false") != "true"
        # 2.7: CAs of etcd's own, the ones this collection made for this cluster; since the rotation
        # (test_rotate_ca.py) the peers trust a CA apart from the clients'.
        assert member.file(settings["ETCD_TRUSTED_CA_FILE"]).content_string == ca
        assert member.file(settings["ETCD_PEER_TRUSTED_CA_FILE"]).content_string == peer_ca != ca
