# -*- coding: utf-8 -*-
# Copyright (c) quorum.etcd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # Connection options of every module that talks to etcd (etcd_argument_spec() in
    # plugins/module_utils/etcd_client.py).
    DOCUMENTATION = r'''
options:
  endpoints:
    description:
      - Client URLs of the etcd members to talk to, as in C(etcdctl --endpoints).
      - Requests go to the etcd v3 HTTP/JSON gateway (C(/v3/...)) that etcd 3.4 and later serve on every client URL.
      - Endpoints are tried in order; one that is unreachable (connection refused, timeout, TLS failure) or answers
        that it cannot serve right now is skipped and the next one is asked.
      - An endpoint without a scheme (C(10.0.0.1:2379)) gets C(https://) when O(ca_cert) or O(client_cert) is set,
        C(http://) otherwise.
    type: list
    elements: str
    default: ['http://127.0.0.1:2379']
  ca_cert:
    description:
      - PEM file with the CA certificate(s) that signed the etcd server certificates, as C(etcdctl --cacert).
      - When not set, the system trust store is used for C(https://) endpoints.
    type: path
  client_cert:
    description:
      - PEM client certificate for etcd's client TLS authentication, as C(etcdctl --cert).
    type: path
  client_key:
    description:
      - PEM private key of O(client_cert), as C(etcdctl --key).
    type: path
  validate_certs:
    description:
      - Whether to verify the server certificates of C(https://) endpoints.
      - Only set to V(false) for throw-away test clusters.
    type: bool
    default: true
  timeout:
    description:
      - Seconds to wait for each HTTP request to one endpoint before it counts as unreachable.
    type: float
    default: 5
  user:
    description:
      - etcd user to authenticate as when etcd authentication is enabled, as C(etcdctl --user).
      - The module gets a token from C(/v3/auth/authenticate) and sends it with every request.
      - When authentication is not enabled on the cluster, the credentials are ignored, like etcdctl does.
    type: str
  password:
    description:
      - Password of O(user).
    type: str
notes:
  - The connection options are shared by all modules of the collection that talk to etcd; set them once with
    C(module_defaults) and the C(group/quorum.etcd.etcd) action group.
  - O(client_cert) and O(client_key) must be given together, and so must O(user) and O(password).
  - Member and cluster IDs are returned as lowercase hexadecimal strings, the way C(etcdctl) prints them.
requirements:
  - python3 on the host that runs the module; no other Python library.
'''
