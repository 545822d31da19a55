"""Certificates change under a live cluster: a renewal with the writer running loses no
acknowledged write and restarts nothing; bad files are refused by preflight before any
host changes."""

import os
import socket
import ssl

import pytest
from cryptography import x509

import certs
from lab import (INVENTORY, SCENARIO_DIR, PlaybookRun, address, admin_auth, client_tls, client_url, hosts,
                 inventory_copy, peer_get_status, peer_port_status, pki_dir)
from writer import Writer

MEMBERS = hosts("etcd")
NAMES = [m.backend.name for m in MEMBERS]
IPS = [address(m) for m in MEMBERS]
CONVERGE = os.path.join(SCENARIO_DIR, "converge.yml")


def served_serial(ip, port):
    """Serial number of the certificate the member presents on a port."""
    tls = client_tls()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(tls["verify"])
    context.load_cert_chain(*tls["cert"])
    with socket.create_connection((ip, port), timeout=5) as raw:
        with context.wrap_socket(raw, server_hostname=ip) as conn:
            return x509.load_der_x509_certificate(conn.getpeercert(binary_form=True)).serial_number


def main_pids():
    return {m.backend.name: m.check_output("systemctl show -p MainPID --value etcd") for m in MEMBERS}


def host_state():
    """What must not change when preflight refuses: the TLS files, the config, the process."""
    return {m.backend.name: (m.check_output("sha1sum /etc/etcd/pki/* /etc/etcd/etcd.conf"),
                             m.check_output("systemctl show -p MainPID --value etcd")) for m in MEMBERS}


def test_renewal_under_load_loses_no_write_and_restarts_nothing():
    before = {(ip, port): served_serial(ip, port) for ip in IPS for port in (2379, 2380)}
    pids = main_pids()
    with Writer([client_url(ip) for ip in IPS], prefix="/tls/renewal/", tls=client_tls(), auth=admin_auth()) as writer:
        run = PlaybookRun(INVENTORY, CONVERGE, "-e", "etcd_pki_force_renew=true")
    print("renewal run: %.0f s, changed: %s" % (run.seconds, sorted(set(task for task, _ in run.changed))))
    assert run.rc == 0, run
    after = {(ip, port): served_serial(ip, port) for ip in IPS for port in (2379, 2380)}
    assert all(after[k] != before[k] for k in before), "a member still serves its old certificate: %s" % {
        k: (before[k], after[k]) for k in before if before[k] == after[k]}
    assert main_pids() == pids, "a member was restarted to pick up renewed certificates"
    writer.verify([client_url(ip) for ip in IPS])

    again = PlaybookRun(INVENTORY, CONVERGE)
    assert again.rc == 0 and not again.changed, again


def peer_port_lets_in(ip, name):
    """Whether a member's peer port lets in the controller's client certificate <name>.crt."""
    directory = pki_dir()
    return peer_port_status(ip, (os.path.join(directory, name + ".crt"), os.path.join(directory, name + ".key"))) \
        != "refused"


def test_a_cluster_deployed_before_the_peer_name_check_moves_to_it_under_load():
    """etcd_peer_cert_allowed_cn on a cluster deployed without it: turning it off is refused before any
    change; turned on, the new peer certificates reach every member, then the members restart one at a
    time with the check, and the writer loses nothing."""
    before = host_state()
    off = PlaybookRun(INVENTORY, CONVERGE, "-e", "etcd_peer_cert_allowed_cn=")
    assert off.rc != 0 and any("would turn that check off" in (m or "") for m in off.messages), off
    assert not off.changed and host_state() == before, off

    # The cluster as a deploy without the check left it: no check in etcd.conf, then peer
    # certificates named for their members.
    for member in MEMBERS:
        member.check_output("sed -i '/^ETCD_PEER_CERT_ALLOWED_CN=/d' /etc/etcd/etcd.conf && systemctl restart etcd")
    legacy = PlaybookRun(INVENTORY, CONVERGE, "-e", "etcd_peer_cert_allowed_cn=")
    assert legacy.rc == 0, legacy
    assert all(peer_port_lets_in(ip, "admin") for ip in IPS), "the admin certificate was refused without the check"

    pids = main_pids()
    with Writer([client_url(ip) for ip in IPS], prefix="/tls/peer-name/", tls=client_tls(), auth=admin_auth()) as writer:
        run = PlaybookRun(INVENTORY, CONVERGE)
    print("move to the peer name check: %.0f s, changed: %s" % (run.seconds, sorted(set(t for t, _ in run.changed))))
    assert run.rc == 0, run
    writer.verify([client_url(ip) for ip in IPS])
    restarted = {name for name, pid in main_pids().items() if pid != pids[name]}
    assert restarted == set(NAMES), "members not restarted with the check: %s" % (set(NAMES) - restarted)
    assert [ip for ip in IPS if peer_port_lets_in(ip, "admin")] == []
    assert [ip for ip in IPS[1:] if peer_get_status(MEMBERS[0], "https://%s:2380/members" % ip) != 200] == []
    again = PlaybookRun(INVENTORY, CONVERGE)
    assert again.rc == 0 and not again.changed, again


@pytest.fixture(scope="module")
def cluster_ca():
    directory = pki_dir()
    return certs.load(os.path.join(directory, "ca.crt"), os.path.join(directory, "ca.key"))


def _bad_files(tmp_path, case, ca):
    if case == "missing key":
        return {"etcd_key_src": str(tmp_path / "missing" / "server.key")}, "The key file %s does not exist." % (
            tmp_path / "missing" / "server.key")
    if case == "address not in SAN":
        cert, key = certs.issue(tmp_path, "server", ca, sans=["10.213.9.99", "127.0.0.1"])
        return {"etcd_cert_src": cert, "etcd_key_src": key}, "lacks %s in its subject alternative names" % IPS[0]
    cert, key = certs.issue(tmp_path, "server", ca, sans=[IPS[0], "127.0.0.1"], expired=True)
    return {"etcd_cert_src": cert, "etcd_key_src": key}, "etcd_cert_src %s expired on" % cert


@pytest.mark.parametrize("case", ["missing key", "address not in SAN", "expired"])
def test_bad_certificate_files_are_refused_before_anything_changes(tmp_path, case, cluster_ca):
    files, message = _bad_files(tmp_path, case, cluster_ca)
    inventory = inventory_copy(tmp_path, {"etcd": NAMES}, host_vars={NAMES[0]: files},
                               group_vars={"etcd": {"etcd_pki_managed": False, "etcd_pki_dir": pki_dir()}})
    before = host_state()
    run = PlaybookRun(inventory, CONVERGE)
    assert run.rc != 0, run
    assert any(message in (msg or "") for msg in run.messages), run
    assert any(host == NAMES[0] and "Check the certificates" in task for host, task, _ in run.failed), run
    assert not run.changed, run
    assert host_state() == before


@pytest.mark.parametrize("case", ["empty pki directory", "another CA"])
def test_a_run_that_would_give_the_members_another_ca_is_refused(tmp_path, case):
    """As an AWX job whose project directory is new each time, or a run from another checkout:
    the members keep the CA they trust, nothing is issued and nothing changes."""
    fresh = tmp_path / "pki"
    fresh.mkdir()
    if case == "another CA":
        certs.new_ca(fresh)
    inventory = inventory_copy(tmp_path / "inventory", {"etcd": NAMES}, group_vars={"etcd": {"etcd_pki_dir": str(fresh)}})
    before = host_state()
    listing = sorted(os.listdir(str(fresh)))
    run = PlaybookRun(inventory, CONVERGE)
    expected = "does not exist, so a new CA would be issued" if case == "empty pki directory" else "not the CA"
    said = [msg for msg in run.messages if msg and "the member trusts the CA" in msg and expected in msg]
    print("refused: %s" % said[:1])
    assert run.rc != 0, run
    assert said, run
    assert {host for host, task, _ in run.failed if "a CA it does not trust" in task} == set(NAMES), run
    assert not run.changed, run
    assert host_state() == before
    # Nothing was issued on the controller either.
    assert sorted(os.listdir(str(fresh))) == listing


def test_a_run_from_an_empty_directory_with_the_ca_in_variables_changes_nothing(tmp_path):
    """As an AWX job: a new project directory, the CA from a credential. The members' own certificates
    are read back and kept, nothing is issued, copied or restarted: changed=0."""
    cluster = pki_dir()
    with open(os.path.join(cluster, "ca.crt")) as cert, open(os.path.join(cluster, "ca.key")) as key:
        given = {"etcd_pki_ca_cert_content": cert.read(), "etcd_pki_ca_key_content": key.read()}
    fresh = tmp_path / "pki"
    # Application certificates (etcd_pki_clients) live only on the controller: left out here, see the end.
    inventory = inventory_copy(tmp_path / "inventory", {"etcd": NAMES},
                               group_vars={"etcd": dict(given, etcd_pki_dir=str(fresh), etcd_pki_clients=[])})
    before = host_state()
    run = PlaybookRun(inventory, CONVERGE)
    print("run from an empty pki directory with the CA in variables: %.0f s, changed: %s" % (run.seconds, run.changed))
    assert run.rc == 0, run
    assert run.changed == [], run
    assert host_state() == before
    # The directory holds the cluster's CA and each member's own certificate again, and a second run agrees.
    assert (fresh / "ca.crt").read_text() == given["etcd_pki_ca_cert_content"]
    for member, name in zip(MEMBERS, NAMES):
        assert (fresh / name / "server.crt").read_text() == member.file("/etc/etcd/pki/server.crt").content_string
    again = PlaybookRun(inventory, CONVERGE)
    assert again.rc == 0 and again.changed == [], again

    # With etcd_pki_clients listed, their certificates are issued again in the new directory (no member holds
    # them): that is the run's one change, on the controller only.
    with_clients = PlaybookRun(inventory_copy(tmp_path / "with-clients", {"etcd": NAMES}, group_vars={
        "etcd": dict(given, etcd_pki_dir=str(tmp_path / "pki-with-clients"))}), CONVERGE)
    assert with_clients.rc == 0, with_clients
    assert with_clients.changed == [("quorum.etcd.pki : Issue the CA and certificates on the controller", NAMES[0])], \
        with_clients
    assert (tmp_path / "pki-with-clients" / "clients" / "reader.crt").exists()
    assert host_state() == before
