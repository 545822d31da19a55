"""The checks preflight runs on certificates before they are copied: one case per problem."""
import os
import sys

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.quorum.etcd.plugins.filter.tls_problems import FilterModule, tls_problems

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "integration"))
import certs  # noqa: E402  (tests/integration/certs.py)

ADDRESS = "10.0.0.11"


@pytest.fixture
def ca(tmp_path):
    return certs.new_ca(tmp_path, "etcd CA")


def only(problems):
    assert len(problems) == 1, problems
    return problems[0]


def test_the_filter_is_registered():
    assert FilterModule().filters() == {"tls_problems": tls_problems}


def test_a_good_server_certificate_has_no_problem(tmp_path, ca):
    cert, key = certs.issue(tmp_path, "server", ca, sans=[ADDRESS, "127.0.0.1", "etcd1"])
    assert tls_problems(cert, key=key, ca=str(tmp_path / "ca.crt"), addresses=[ADDRESS, "127.0.0.1", "etcd1"]) == []


def test_a_good_client_certificate_has_no_problem(tmp_path, ca):
    cert, key = certs.issue(tmp_path, "admin", ca, usages=certs.CLIENT)
    assert tls_problems(cert, key=key, ca=str(tmp_path / "ca.crt"), usage="client") == []


def test_a_missing_key_file_is_named(tmp_path, ca):
    cert, _ = certs.issue(tmp_path, "server", ca, sans=[ADDRESS])
    assert only(tls_problems(cert, key=str(tmp_path / "nope.key"), ca=str(tmp_path / "ca.crt"), addresses=[ADDRESS])) \
        == "The key file %s does not exist." % (tmp_path / "nope.key")


def test_a_missing_certificate_is_named_by_its_variable(tmp_path, ca):
    assert tls_problems(str(tmp_path / "none.crt"), key=str(tmp_path / "ca.key"), ca=str(tmp_path / "ca.crt"),
                        name="etcd_cert_src") == ["etcd_cert_src file %s does not exist." % (tmp_path / "none.crt")]


def test_a_key_of_another_certificate_is_refused(tmp_path, ca):
    cert, _ = certs.issue(tmp_path, "server", ca, sans=[ADDRESS])
    _, other_key = certs.issue(tmp_path, "other", ca, sans=[ADDRESS])
    assert "does not fit" in only(tls_problems(cert, key=other_key, ca=str(tmp_path / "ca.crt"), addresses=[ADDRESS]))


def test_a_certificate_from_another_ca_is_refused(tmp_path, ca):
    other = tmp_path / "other"
    other.mkdir()
    cert, key = certs.issue(tmp_path, "server", certs.new_ca(other, "another CA"), sans=[ADDRESS])
    assert "is not signed by the CA" in only(tls_problems(cert, key=key, ca=str(tmp_path / "ca.crt"), addresses=[ADDRESS]))


def test_an_expired_certificate_is_refused(tmp_path, ca):
    cert, key = certs.issue(tmp_path, "server", ca, sans=[ADDRESS], expired=True)
    assert "expired on" in only(tls_problems(cert, key=key, ca=str(tmp_path / "ca.crt"), addresses=[ADDRESS]))


def test_a_certificate_without_the_member_address_is_refused(tmp_path, ca):
    cert, key = certs.issue(tmp_path, "server", ca, sans=["10.0.0.99", "etcd1"])
    problem = only(tls_problems(cert, key=key, ca=str(tmp_path / "ca.crt"), addresses=[ADDRESS], name="etcd_cert_src"))
    assert problem == ("etcd_cert_src %s lacks 10.0.0.11 in its subject alternative names (it has: 10.0.0.99, etcd1)."
                       % cert)


def test_a_server_certificate_without_client_auth_is_refused(tmp_path, ca):
    # etcd dials its own listener (the gateway) and its peers with its server and peer certificates.
    cert, key = certs.issue(tmp_path, "server", ca, sans=[ADDRESS], usages=[certs.SERVER[0]])
    assert "lacks the extended key usage clientAuth" in only(
        tls_problems(cert, key=key, ca=str(tmp_path / "ca.crt"), addresses=[ADDRESS]))


def test_a_client_certificate_used_as_a_server_certificate_is_refused(tmp_path, ca):
    cert, key = certs.issue(tmp_path, "admin", ca, sans=[ADDRESS], usages=certs.CLIENT)
    assert "lacks the extended key usage serverAuth" in only(
        tls_problems(cert, key=key, ca=str(tmp_path / "ca.crt"), addresses=[ADDRESS]))


def test_a_ca_that_is_not_a_ca_is_refused(tmp_path, ca):
    leaf, leaf_key = certs.issue(tmp_path, "leaf", ca, sans=[ADDRESS])
    signed_by_leaf = certs.issue(tmp_path, "server", certs.load(leaf, leaf_key), sans=[ADDRESS])
    problems = tls_problems(signed_by_leaf[0], key=signed_by_leaf[1], ca=leaf, addresses=[ADDRESS])
    assert problems == ["The CA certificate %s is not a CA (no basic constraint CA:TRUE)." % leaf]


def test_several_problems_are_all_reported(tmp_path, ca):
    cert, key = certs.issue(tmp_path, "server", ca, sans=["10.0.0.99"], expired=True, usages=certs.CLIENT)
    assert len(tls_problems(cert, key=key, ca=str(tmp_path / "ca.crt"), addresses=[ADDRESS])) == 3


def test_an_unknown_usage_is_an_error(tmp_path, ca):
    with pytest.raises(AnsibleFilterError):
        tls_problems(str(tmp_path / "ca.crt"), key=str(tmp_path / "ca.key"), ca=str(tmp_path / "ca.crt"), usage="peer")


def test_an_expired_ca_is_refused(tmp_path):
    ca = certs.new_ca(tmp_path, "old CA", expired=True)
    cert, key = certs.issue(tmp_path, "server", ca, sans=[ADDRESS])
    problem = only(tls_problems(cert, key=key, ca=str(tmp_path / "ca.crt"), addresses=[ADDRESS]))
    assert problem.startswith("The CA certificate %s expired on " % (tmp_path / "ca.crt")), problem


def test_a_ca_whose_key_usage_forbids_signing_certificates_is_refused(tmp_path):
    ca = certs.new_ca(tmp_path, "CA", cert_sign=False)
    cert, key = certs.issue(tmp_path, "server", ca, sans=[ADDRESS])
    assert only(tls_problems(cert, key=key, ca=str(tmp_path / "ca.crt"), addresses=[ADDRESS])) == (
        "The CA certificate %s may not sign certificates (its key usage lacks keyCertSign)." % (tmp_path / "ca.crt"))


def test_a_ca_whose_key_usage_allows_signing_certificates_passes(tmp_path):
    ca = certs.new_ca(tmp_path, "CA", cert_sign=True)
    cert, key = certs.issue(tmp_path, "server", ca, sans=[ADDRESS])
    assert tls_problems(cert, key=key, ca=str(tmp_path / "ca.crt"), addresses=[ADDRESS]) == []


def test_dns_names_compare_without_regard_to_case(tmp_path, ca):
    cert, key = certs.issue(tmp_path, "server", ca, sans=[ADDRESS, "Etcd1.Example.COM"])
    assert tls_problems(cert, key=key, ca=str(tmp_path / "ca.crt"), addresses=[ADDRESS, "etcd1.example.com"]) == []
    assert "lacks etcd2.example.com" in only(
        tls_problems(cert, key=key, ca=str(tmp_path / "ca.crt"), addresses=["ETCD1.example.com", "etcd2.example.com"]))


def test_a_peer_certificate_of_another_common_name_is_refused(tmp_path, ca):
    cert, key = certs.issue(tmp_path, "peer", ca, sans=[ADDRESS], common_name="etcd1")
    problem = only(tls_problems(cert, key=key, ca=str(tmp_path / "ca.crt"), addresses=[ADDRESS],
                                name="etcd_peer_cert_src", common_name="etcd-peer"))
    assert "etcd_peer_cert_src %s has the common name 'etcd1' where 'etcd-peer' is wanted" % cert in problem


def test_a_peer_certificate_of_the_allowed_common_name_passes(tmp_path, ca):
    cert, key = certs.issue(tmp_path, "peer", ca, sans=[ADDRESS], common_name="etcd-peer")
    assert tls_problems(cert, key=key, ca=str(tmp_path / "ca.crt"), addresses=[ADDRESS], common_name="etcd-peer") == []


def bundle(tmp_path, *directories):
    """The CA certificates of directories, in one file (as ca.crt during a CA rotation)."""
    path = tmp_path / "bundle.crt"
    path.write_bytes(b"".join((d / "ca.crt").read_bytes() for d in directories))
    return str(path)


def test_a_certificate_of_either_ca_in_a_bundle_passes(tmp_path, ca):
    new = tmp_path / "new"
    new.mkdir()
    new_ca = certs.new_ca(new, "etcd CA")
    both = bundle(tmp_path, tmp_path, new)
    for directory, signer in ((tmp_path, ca), (new, new_ca)):
        cert, key = certs.issue(directory, "server", signer, sans=[ADDRESS])
        assert tls_problems(cert, key=key, ca=both, addresses=[ADDRESS]) == []
    other = tmp_path / "other"
    other.mkdir()
    cert, key = certs.issue(other, "server", certs.new_ca(other, "another CA"), sans=[ADDRESS])
    assert "is not signed by the CA %s" % both in only(tls_problems(cert, key=key, ca=both, addresses=[ADDRESS]))


def test_an_expired_ca_in_a_bundle_is_named_by_its_place(tmp_path, ca):
    old = tmp_path / "old"
    old.mkdir()
    certs.new_ca(old, "old CA", expired=True)
    both = bundle(tmp_path, tmp_path, old)
    cert, key = certs.issue(tmp_path, "server", ca, sans=[ADDRESS])
    assert only(tls_problems(cert, key=key, ca=both, addresses=[ADDRESS])).startswith(
        "The CA certificate %s (certificate 2 of 2) expired on " % both)
