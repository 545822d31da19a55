# -*- coding: utf-8 -*-
# Copyright (c) quorum.etcd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: kv
short_description: Read keys of an etcd cluster in templates and variables
version_added: 0.1.0
description:
  - Returns the value of each key given (V(none) where a key does not exist), or with O(prefix=true) a dict of every
    key under each prefix and its value, through etcd's v3 API with the same client as the modules.
  - Runs on the controller, which must reach the endpoints; the TLS files are the controller's.
options:
  _terms:
    description: The keys, or with O(prefix=true) the prefixes.
    type: list
    elements: str
    required: true
  prefix:
    description: Read every key under each term.
    type: bool
    default: false
  endpoints:
    description: Client URLs of the etcd members.
    type: list
    elements: str
    default: ['http://127.0.0.1:2379']
  ca_cert:
    description: CA certificate file that signed the members' server certificates.
    type: path
  client_cert:
    description: Client certificate file.
    type: path
  client_key:
    description: Its key.
    type: path
  user:
    description: User to log in as, when authentication is on.
    type: str
  password:
    description: Its password.
    type: str
  timeout:
    description: Seconds each request may take.
    type: float
    default: 5.0
'''

EXAMPLES = r'''
- name: Use a value kept in etcd
  ansible.builtin.debug:
    msg: "feature x is {{ lookup('quorum.etcd.kv', '/config/feature-x', endpoints=['https://10.0.0.11:2379'],
          ca_cert='pki/ca.crt', client_cert='pki/admin.crt', client_key='pki/admin.key') }}"
'''

RETURN = r'''
_raw:
  description: One value per key (V(none) for a missing key), or with O(prefix=true) one dict of key to value per
    prefix.
  type: list
'''

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase
from ansible_collections.quorum.etcd.plugins.module_utils.etcd_client import EtcdClient, EtcdError

CONNECTION = ('endpoints', 'ca_cert', 'client_cert', 'client_key', 'user', 'password', 'timeout')


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        client = EtcdClient(dict((name, self.get_option(name)) for name in CONNECTION))
        values = []
        try:
            for term in terms:
                if self.get_option('prefix'):
                    values.append(dict((kv['key'], kv['value']) for kv in client.range(term)))
                else:
                    values.append(client.get(term))
        except EtcdError as e:
            raise AnsibleLookupError('quorum.etcd.kv: etcd refused or did not answer: %s' % e)
        return values
