"""quorum.etcd.rotate_ca on the live cluster, deployed with one CA: stopped (SIGINT, as an AWX job is
cancelled) once its first member has restarted, then run again, it moves every member and client
certificate to a new CA, and the peers to a CA of their own, while a writer opens a new TLS
connection for every write; no acknowledged write is lost and no member logs a failed handshake."""

import os
import signal
import socket
import ssl
import subprocess
import time

from cryptography import x509

from lab import (INVENTORY, SCENARIO_DIR, PlaybookRun, address, admin_auth, client_tls, client_url,
                 handshake_failures, hosts, member_clock, peer_port_status, pki_dir)
from writer import Writer

MEMBERS = hosts("etcd")
IPS = [address(m) for m in MEMBERS]
CONVERGE = os.path.join(SCENARIO_DIR, "converge.yml")
ROTATE = "quorum.etcd.rotate_ca"
# The inventory deployed the peers with the one CA; from the rotation on they have their own.
SEPARATE = ("-e", "etcd_pki_separate_peer_ca=true")


def certificates(path):
    with open(path, "rb") as handle:
        return x509.load_pem_x509_certificates(handle.read())


def key_id(ca):
    return ca.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest


def served_issuer(ip, port, cafile):
    """The authority key identifier of the certificate a member presents, verified with cafile."""
    tls = client_tls()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(cafile)
    context.load_cert_chain(*tls["cert"])
    with socket.create_connection((ip, port), timeout=5) as raw:
        with context.wrap_socket(raw, server_hostname=ip) as conn:
            cert = x509.load_der_x509_certificate(conn.getpeercert(binary_form=True))
    return cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value.key_identifier


def main_pids():
    return {m.backend.name: m.check_output("systemctl show -p MainPID --value etcd") for m in MEMBERS}


def run_until_a_member_restarts(pids, log_path):
    """rotate_ca, interrupted with SIGINT as soon as one member runs a new process."""
    with open(log_path, "w") as log:
        run = subprocess.Popen(["ansible-playbook", "-i", INVENTORY, ROTATE, *SEPARATE], stdout=log,
                               stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and run.poll() is None:
        if main_pids() != pids:
            break
        time.sleep(0.2)
    run.send_signal(signal.SIGINT)
    # A SIGINT that lands while Ansible forks can be swallowed ("Exception ignored in: _releaseLock ...
    # KeyboardInterrupt", seen once, and the run went on to the end): repeat it until the run stops.
    for _ in range(240):
        try:
            return run.wait(0.5)
        except subprocess.TimeoutExpired:
            run.send_signal(signal.SIGINT)
    return run.wait(120)


def test_the_handshake_check_sees_a_refused_handshake():
    """The control for the rotation's 'no failed handshake': the reader's certificate, refused on the
    peer port, leaves the line the check looks for."""
    since = member_clock(MEMBERS[0])
    time.sleep(1)
    directory = pki_dir()
    reader = (os.path.join(directory, "clients", "reader.crt"), os.path.join(directory, "clients", "reader.key"))
    assert peer_port_status(IPS[0], reader) == "refused"
    time.sleep(1)
    assert MEMBERS[0].backend.name in handshake_failures(MEMBERS, since)


def test_a_ca_rotation_stopped_after_its_first_member_goes_on_and_loses_no_write(tmp_path):
    directory = pki_dir()
    old_ca = certificates(os.path.join(directory, "ca.crt"))
    assert len(old_ca) == 1
    time.sleep(1)
    since = member_clock(MEMBERS[0])
    pids = main_pids()
    endpoints = [client_url(ip) for ip in IPS]
    with Writer(endpoints, prefix="/tls/rotate-ca/", tls=client_tls(), auth=admin_auth(),
                new_connections=True) as writer:
        stopped = run_until_a_member_restarts(pids, str(tmp_path / "stopped.log"))
        halfway = main_pids()
        assert stopped != 0, "the first run was not stopped: " + (tmp_path / "stopped.log").read_text()[-2000:]
        restarted = {name for name, pid in halfway.items() if pid != pids[name]}
        print("rotate_ca stopped with %s restarted" % sorted(restarted))
        assert restarted and restarted != set(pids), restarted
        assert os.path.exists(os.path.join(directory, "ca-next.crt"))
        # The run was killed, so it could not give its lock back: the operator breaks it.
        resumed = PlaybookRun(INVENTORY, ROTATE, "-e", "etcd_run_lock_break=true", *SEPARATE)
    print("rotate_ca resumed: %.0f s, rc %d" % (resumed.seconds, resumed.rc))
    assert resumed.rc == 0, resumed.failed
    report = writer.verify(endpoints)
    assert report["lost"] == 0
    # Before this test's own probes below, which the peer ports refuse (a client certificate).
    assert handshake_failures(MEMBERS, since) == {}

    new_ca = certificates(os.path.join(directory, "ca.crt"))
    assert len(new_ca) == 1 and key_id(new_ca[0]) != key_id(old_ca[0])
    assert certificates(os.path.join(directory, "ca-previous.crt")) == old_ca
    assert not os.path.exists(os.path.join(directory, "ca-next.crt"))
    # The peers, which trusted the one CA, have a CA of their own; the one before is kept.
    peer_ca = certificates(os.path.join(directory, "peer-ca.crt"))
    assert len(peer_ca) == 1 and key_id(peer_ca[0]) not in (key_id(new_ca[0]), key_id(old_ca[0]))
    assert os.path.exists(os.path.join(directory, "peer-ca.key"))
    assert certificates(os.path.join(directory, "peer-ca-previous.crt")) == old_ca
    controller = {name: open(os.path.join(directory, name)).read() for name in ("ca.crt", "peer-ca.crt")}
    for member in MEMBERS:
        for name in ("ca.crt", "peer-ca.crt"):
            assert member.file("/etc/etcd/pki/" + name).content_string == controller[name], (member.backend.name, name)
        assert member.run("ls /etc/etcd/pki/*.staged").rc != 0, member.backend.name
    # Verified with the new CAs alone: every member presents certificates they signed.
    cafiles = {2379: os.path.join(directory, "ca.crt"), 2380: os.path.join(directory, "peer-ca.crt")}
    assert {(ip, port): served_issuer(ip, port, cafiles[port]) for ip in IPS for port in cafiles} == {
        (ip, port): key_id((new_ca if port == 2379 else peer_ca)[0]) for ip in IPS for port in cafiles}
    assert all(pid != pids[name] for name, pid in main_pids().items())

    again = PlaybookRun(INVENTORY, CONVERGE, *SEPARATE)
    assert again.rc == 0 and not again.changed, again.changed


def test_a_deploy_with_the_old_ca_after_the_rotation_is_refused(tmp_path):
    """An old copy of the pki directory (another checkout) no longer fits the cluster."""
    directory = pki_dir()
    old = tmp_path / "old-pki"
    subprocess.run(["cp", "-a", directory, str(old)], check=True)
    os.replace(str(old / "ca-previous.crt"), str(old / "ca.crt"))
    os.replace(str(old / "ca-previous.key"), str(old / "ca.key"))
    refused = PlaybookRun(INVENTORY, CONVERGE, "-e", "etcd_pki_dir=%s" % old, *SEPARATE)
    assert refused.rc != 0 and any("quorum.etcd.rotate_ca" in (m or "") for m in refused.messages), refused.failed
    assert not refused.changed, refused.changed
