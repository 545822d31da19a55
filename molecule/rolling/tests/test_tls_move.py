"""quorum.etcd.enable_tls on the scenario's plain-HTTP cluster, authentication on, writers running.

Runs after test_rolling.py (file order): the cluster serves TLS afterwards. The move runs while a writer
opens a NEW plain-HTTP connection for every write; then the members serve both schemes on the client
port and TLS alone on the peer port; the close runs while a writer opens a new TLS connection for every
write; then plain HTTP is refused everywhere, and a run with etcd_tls: false is refused with nothing changed."""

import os

import requests

from restarts import HOSTS, IP, NAMES, playbook, start_times
from lab import (admin_auth, client_tls, handshake_failures, log_in, member_clock, peer_ca_file, peer_get_status,
                 peer_port_status, pki_dir, session)
from writer import Writer

HTTP = ["http://%s:2379" % IP[name] for name in NAMES]
HTTPS = ["https://%s:2379" % IP[name] for name in NAMES]


def members(url):
    made = session()
    token = log_in(made, url, *admin_auth())
    return made.post(url + "/v3/cluster/member/list", json={}, headers={"Authorization": token}, timeout=5).json()[
        "members"]


def answer(url):
    """The HTTP status of a GET, or the name of what refused it."""
    try:
        return session().get(url, timeout=5).status_code
    except requests.RequestException as e:
        return type(e).__name__


def health(url):
    return answer(url + "/health")


def test_enable_tls_moves_the_running_cluster_and_no_write_is_lost():
    assert client_tls() is None and all(health(url) == 200 for url in HTTP)
    since = member_clock(HOSTS[NAMES[0]])
    before = start_times()
    with Writer(HTTP, prefix="/tls-move/http/", auth=admin_auth(), new_connections=True) as writer:
        run = playbook("quorum.etcd.enable_tls")
    assert run.rc == 0, run
    report = writer.verify(HTTP)
    print("enable_tls (serve both, move the peers) with a writer on plain HTTP, a new connection per write: "
          "%d acknowledged, %d lost, %d errors, longest gap %.3f s, playbook %.1f s"
          % (report["acknowledged"], report["lost"], report["errors"], report["longest_gap_seconds"], run.seconds))
    assert any("move each client to https://" in m.lower() for m in run.reports), run.reports
    # No member refused another's certificate during the move (the control below shows the search finds one).
    failures = handshake_failures(HOSTS.values(), since)
    assert not failures, failures
    # Every member restarted (once per stage, between the gates).
    after = start_times()
    assert all(after[name] > before[name] for name in NAMES)

    # Clients: both schemes on the client port; the admin certificate is required on https.
    assert client_tls() is not None and os.path.exists(os.path.join(pki_dir(), "ca.crt"))
    assert [health(url) for url in HTTP] == [200, 200, 200]
    assert [health(url) for url in HTTPS] == [200, 200, 200]
    # Peers: TLS alone, registered as https, only members' certificates let in.
    listed = members(HTTPS[0])
    assert sorted(u for m in listed for u in m["peerURLs"]) == ["https://%s:2380" % IP[n] for n in NAMES]
    assert sorted(u for m in listed for u in m["clientURLs"]) == sorted(HTTP + HTTPS)
    admin = (os.path.join(pki_dir(), "admin.crt"), os.path.join(pki_dir(), "admin.key"))
    assert [peer_port_status(IP[n], admin) for n in NAMES] == ["refused"] * 3
    assert peer_get_status(HOSTS[NAMES[0]], "https://%s:2380/members" % IP[NAMES[1]]) == 200
    assert 200 not in [answer("http://%s:2380/members" % IP[n]) for n in NAMES]
    assert os.path.exists(peer_ca_file())
    # The control: the admin certificate refused on the peer ports above is in the members' logs.
    assert handshake_failures(HOSTS.values(), since), "the journal search finds no refused certificate"

    # A run again goes on from where the cluster stands: nothing left to do.
    again = playbook("quorum.etcd.enable_tls")
    assert again.rc == 0 and all(stats["changed"] == 0 for stats in again.recap.values()), again


def test_closing_plain_http_keeps_the_tls_clients_and_refuses_the_others():
    before = start_times()
    with Writer(HTTPS, prefix="/tls-move/https/", tls=client_tls(), auth=admin_auth(), new_connections=True) as writer:
        run = playbook("quorum.etcd.enable_tls", "-e", "etcd_tls_close_http=true")
    assert run.rc == 0, run
    report = writer.verify(HTTPS)
    print("enable_tls closing plain HTTP with a writer on TLS, a new connection per write: %d acknowledged, %d lost, "
          "%d errors, longest gap %.3f s, playbook %.1f s"
          % (report["acknowledged"], report["lost"], report["errors"], report["longest_gap_seconds"], run.seconds))
    after = start_times()
    assert all(after[name] > before[name] for name in NAMES)
    assert [health(url) for url in HTTPS] == [200, 200, 200]
    assert all(health(url) != 200 for url in HTTP), [health(url) for url in HTTP]
    assert sorted(u for m in members(HTTPS[0]) for u in m["clientURLs"]) == sorted(HTTPS)

    # The inventory still says etcd_tls: false: a deploy is refused before anything changes.
    refused = playbook("quorum.etcd.deploy")
    assert refused.rc != 0 and all(stats["changed"] == 0 for stats in refused.recap.values()), refused
    assert any("not moved from TLS back to plain HTTP" in (m or "") for m in refused.messages), refused.messages
    assert start_times() == after
