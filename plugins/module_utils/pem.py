# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""SHA-256 fingerprints of the certificates in a PEM file, in pure Python: managed hosts
need nothing but python3, and the controller compares the same figures."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import binascii
import hashlib
import re

_BLOCK = re.compile(r'-----BEGIN CERTIFICATE-----\s*(.*?)\s*-----END CERTIFICATE-----', re.S)


def certificate_fingerprints(text):
    """The SHA-256 fingerprint (lower-case hex of the DER) of each certificate in ``text``, in order."""
    found = []
    for body in _BLOCK.findall(text or ''):
        try:
            der = base64.b64decode(''.join(body.split()), validate=True)
        except (binascii.Error, ValueError):
            continue
        found.append(hashlib.sha256(der).hexdigest())
    return found


def file_fingerprints(path):
    """Fingerprints of the certificates in the file, or None when it cannot be read."""
    try:
        with open(path) as handle:
            return certificate_fingerprints(handle.read())
    except (IOError, OSError, UnicodeDecodeError):
        return None


def short(fingerprint):
    """The first 16 hex digits as AB:CD:..., enough to tell two CAs apart in a message."""
    return ':'.join(fingerprint[i:i + 2] for i in range(0, 16, 2)).upper()
