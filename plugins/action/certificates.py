# -*- coding: utf-8 -*-
# Copyright (c) quorum.etcd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""quorum.etcd.certificates: the cluster's CA and certificates, issued on the controller.

The work is in plugins/plugin_utils/pki.py; this plugin checks the options against the
documented spec and runs it in the controller's own process, whatever the target host.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.quorum.etcd.plugins.plugin_utils import pki

ARGUMENT_SPEC = {
    "dir": {"type": "path", "required": True},
    "members": {"type": "list", "elements": "dict", "required": True, "options": {
        "host": {"type": "str", "required": True},
        "name": {"type": "str", "required": True},
        "address": {"type": "str", "required": True},
        "found_address": {"type": "str", "default": ""},
    }},
    "clients": {"type": "list", "elements": "dict", "default": [], "options": {
        "name": {"type": "str", "required": True},
        "common_name": {"type": "str"},
        "organization": {"type": "str"},
    }},
    "ca_common_name": {"type": "str", "required": True},
    "separate_peer_ca": {"type": "bool", "default": False},
    "peer_common_name": {"type": "str", "default": ""},
    "admin_organization": {"type": "str", "default": "quorum.etcd admin"},
    "etcdctl_common_name": {"type": "str", "default": ""},
    "extra_sans": {"type": "list", "elements": "str", "default": []},
    "key_type": {"type": "str", "choices": ["ECC", "RSA"], "default": "ECC"},
    "rsa_bits": {"type": "int", "default": 3072},
    "ca_days": {"type": "int", "default": 3650},
    "cert_days": {"type": "int", "default": 365},
    "renew_days": {"type": "int", "default": 30},
    "force_renew": {"type": "bool", "default": False},
    "rotation": {"type": "str", "choices": list(pki.ROTATION_STEPS), "default": ""},
    "ca_cert_content": {"type": "str", "default": ""},
    "ca_key_content": {"type": "str", "default": "", "no_log": True},
    "peer_ca_cert_content": {"type": "str", "default": ""},
    "peer_ca_key_content": {"type": "str", "default": "", "no_log": True},
    "from_members": {"type": "list", "elements": "dict", "default": [], "no_log": True, "options": {
        "path": {"type": "path", "required": True},
        "content": {"type": "str", "required": True},
        "host": {"type": "str"},
    }},
}

# (option prefix, CA file name in dir)
GIVEN_CAS = (("ca", "ca"), ("peer_ca", "peer-ca"))


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        dummy, settings = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        # A client without common_name is named after its file.
        for client in settings["clients"]:
            if client.get("common_name") is None:
                client["common_name"] = client["name"]
        settings["given_cas"] = {}
        for option, name in GIVEN_CAS:
            cert, key = settings.pop(option + "_cert_content"), settings.pop(option + "_key_content")
            if bool(cert) != bool(key):
                raise AnsibleActionFail("quorum.etcd.certificates: %s_cert_content and %s_key_content go together: "
                                        "give both or neither" % (option, option))
            if cert:
                settings["given_cas"][name] = {"cert": cert, "key": key}
        try:
            result.update(pki.converge(settings, check_mode=bool(self._task.check_mode)))
        except pki.PkiError as error:
            raise AnsibleActionFail("quorum.etcd.certificates: %s" % error)
        return result
