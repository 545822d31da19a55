# -*- coding: utf-8 -*-
# Copyright (c) quorum.etcd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether a member is advertised by DNS name, decided once for the role and the CA."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re


def advertised_by_name(address):
    """True for a DNS name, false for an IPv4 or IPv6 address (an IPv6 address has a colon, which no name
    has; a dotted number that is no address is refused by preflight as one) and for localhost, which etcd
    binds to itself."""
    address = str(address or '')
    return bool(address) and not (re.match(r'^[0-9.]+$', address) or ':' in address or address == 'localhost')


def host_address(address, found_address):
    """The address etcd listens on for a member advertised at address: the host's own (found_address) when
    address is a DNS name, address itself otherwise."""
    return found_address if advertised_by_name(address) else address
