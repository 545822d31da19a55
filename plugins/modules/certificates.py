#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) quorum.etcd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# The work is done by the action plugin of the same name (plugins/action/certificates.py)
# on the controller: the CA key never leaves it. This file documents the options.
DOCUMENTATION = r'''
module: certificates
short_description: Issue and check an etcd cluster's CA and certificates on the controller, in one call
version_added: 0.1.0
description:
  - Lays out in O(dir) on the controller the CA key and certificate (C(ca.key), C(ca.crt); with O(separate_peer_ca)
    also C(peer-ca.key), C(peer-ca.crt), otherwise C(peer-ca.crt) is a copy of C(ca.crt)), for every member of
    O(members) a server and a peer certificate (C(<host>/server.crt), C(<host>/peer.crt) and their keys), the admin
    client certificate (C(admin.crt)), with O(etcdctl_common_name) the client certificate of C(etcdctl) on the
    members (C(etcdctl.crt)), and one client certificate per entry of O(clients) (C(clients/<name>.crt)).
  - A member's certificates carry its name as common name, and as subject alternative names its address, C(127.0.0.1),
    C(::1), C(localhost), the host name, the member name and O(extra_sans) (and the host's own address when the
    member's address is a DNS name).
  - Idempotent. A key is kept while it has the wanted type and size. A certificate is issued again only when it is
    missing, does not match its key, was not signed by the current CA, carries other names, addresses or usages,
    expires within O(renew_days), or O(force_renew) is true. A run with nothing to do writes nothing.
  - Keys are written C(0600), certificates C(0644), directories C(0700), each file atomically.
  - Every problem with the options is reported at once, before anything is written.
  - Runs on the controller whatever host the task targets; use it with C(run_once).
author:
  - quorum.etcd contributors (@quorum-etcd)
attributes:
  check_mode:
    description: Reports every file that would be created or issued again, and why; writes nothing.
    support: full
  diff_mode:
    description: No diff is returned; certificates are listed with the reason they change.
    support: none
options:
  dir:
    description: Directory on the controller for the CA and certificates. Created C(0700) when missing.
    type: path
    required: true
  members:
    description: One entry per member (or future member).
    type: list
    elements: dict
    required: true
    suboptions:
      host:
        description: The inventory host name; names the member's directory and is one of its names.
        type: str
        required: true
      name:
        description: The etcd member name, the certificates' common name.
        type: str
        required: true
      address:
        description: The member's address, in the certificates as an IP or DNS name.
        type: str
        required: true
      found_address:
        description:
          - The host's own IP address, also in the certificates when O(members[].address) is a DNS name, so that
            clients reaching the member by address verify it too.
        type: str
        default: ""
        version_added: 0.2.0
  clients:
    description: Further client certificates, C(clients/<name>.crt).
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: File name of the certificate and key.
        type: str
        required: true
      common_name:
        description: Common name, the etcd user of gRPC clients. Default O(clients[].name); V("") for none.
        type: str
      organization:
        description: Organization of the subject.
        type: str
  ca_common_name:
    description: Common name of the CA; the peer CA gets C( (peers)) after it.
    type: str
    required: true
  separate_peer_ca:
    description:
      - Sign the peer certificates with a CA of their own (C(peer-ca)), so that no client certificate is trusted on
        the members' peer port (CIS etcd 2.7).
      - Takes effect with a new CA, or one whose peer CA is in O(dir) or given (O(peer_ca_cert_content)). The peers of
        a cluster deployed with one CA keep it (RV(separate_peer_ca) is then false, with a warning), since the
        members would refuse each other's new peer certificates; a rotation (O(rotation), the playbook
        quorum.etcd.rotate_ca) moves them to a CA of their own without downtime.
    type: bool
    default: false
  peer_common_name:
    description:
      - Common name of every peer certificate, the one name the members' peer port accepts (etcd's
        C(--peer-cert-allowed-cn)), so that no client certificate of the same CA can speak to raft.
      - Empty, each peer certificate carries its member's name.
    type: str
    default: ""
  admin_organization:
    description: Organization of the admin client certificate, which has no common name.
    type: str
    default: quorum.etcd admin
  etcdctl_common_name:
    description:
      - When set, a client certificate C(etcdctl.crt) with this common name, for gRPC clients on the members
        (C(etcdctl), the backup), which etcd lets in as the user of that name when authentication is on.
      - Empty, no such certificate.
    type: str
    default: ""
  extra_sans:
    description: Names and addresses every member certificate carries besides the member's own.
    type: list
    elements: str
    default: []
  key_type:
    description: V(ECC) (P-256) or V(RSA) keys.
    type: str
    choices: [ECC, RSA]
    default: ECC
  rsa_bits:
    description: Size of RSA keys.
    type: int
    default: 3072
  ca_days:
    description: Validity of a new CA certificate, in days.
    type: int
    default: 3650
  cert_days:
    description: Validity of a new member or client certificate, in days.
    type: int
    default: 365
  renew_days:
    description: Certificates that expire within this many days are issued again.
    type: int
    default: 30
  force_renew:
    description: Issue every member and client certificate again now (the CA is kept).
    type: bool
    default: false
  rotation:
    description:
      - One step of a move to a new CA, as the playbook quorum.etcd.rotate_ca runs them; empty for none.
      - V(trust) makes the next CA (C(ca-next.crt), C(ca-next.key)) and puts both CAs in C(ca.crt), what members and
        clients trust; every certificate is kept.
      - V(reissue) and V(retire) sign every member and client certificate with the next CA (keys are kept).
      - V(complete) makes the next CA the CA (C(ca.crt) holds it alone) and keeps the old one as C(ca-previous.crt)
        and C(ca-previous.key).
      - Without a step, a directory that holds a next CA is refused (a rotation is under way).
      - With O(separate_peer_ca) the peer CA is rotated the same way. Not with O(ca_cert_content).
    type: str
    choices: ['', trust, reissue, retire, complete]
    default: ''
  ca_cert_content:
    description:
      - The CA certificate (PEM) for a controller without a lasting O(dir), such as an AWX job whose project
        directory is new each time; from a vault-encrypted variable or a credential.
      - Used as it is and never issued again. Written to O(dir) when missing there; a different CA already in O(dir)
        is an error. Goes with O(ca_key_content).
    type: str
    default: ''
  ca_key_content:
    description: The CA's private key (PEM, unencrypted), with O(ca_cert_content).
    type: str
    default: ''
  peer_ca_cert_content:
    description: The peer CA certificate, as O(ca_cert_content), with O(separate_peer_ca).
    type: str
    default: ''
  peer_ca_key_content:
    description: The peer CA's private key, with O(peer_ca_cert_content).
    type: str
    default: ''
  from_members:
    description:
      - Certificates and keys the members hold, each C(path) (where it belongs in O(dir)), C(content) (base64) and
        C(host). Written where O(dir) lacks the file, then checked as every other; one that still fits (same CA,
        names and usages, not near expiry) is kept, so a run from an empty O(dir) issues nothing.
    type: list
    elements: dict
    default: []
requirements:
  - The C(cryptography) Python package on the controller.
'''

EXAMPLES = r'''
- name: Issue the cluster's CA and certificates
  quorum.etcd.certificates:
    dir: "{{ inventory_dir }}/pki/etcd"
    ca_common_name: etcd CA for etcd
    members:
      - {host: etcd1, name: etcd1, address: 10.0.0.11}
      - {host: etcd2, name: etcd2, address: 10.0.0.12}
      - {host: etcd3, name: etcd3, address: 10.0.0.13}
    clients:
      - {name: app}
  run_once: true
'''

RETURN = r'''
files:
  description: Every file or directory created or changed (or that would be, in check mode), and why.
  returned: always
  type: list
  elements: dict
  sample: [{path: /srv/pki/etcd/etcd1/server.crt, reason: its names or addresses changed}]
issued:
  description: The certificates written (or that would be).
  returned: always
  type: list
  elements: str
certificates:
  description: The number of member and client certificates the cluster has.
  returned: always
  type: int
restored:
  description:
    - Files written because O(dir) lacked them, from the variables (the CA) or the members (O(from_members));
      not a change of the cluster, so they do not make the task changed.
  returned: always
  type: list
  elements: dict
  sample: [{path: /srv/pki/etcd/etcd1/server.crt, source: etcd1}]
separate_peer_ca:
  description: Whether the peer certificates are signed by a CA of their own (see O(separate_peer_ca)).
  returned: always
  type: bool
rotation_note:
  description: With O(rotation), what the clients that keep their own copies of the files need after this step;
    empty otherwise.
  returned: always
  type: str
'''
