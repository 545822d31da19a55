# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""DNS SRV lookups with the standard library only: the hosts need no DNS package.

etcd's --discovery-srv reads _etcd-server-ssl._tcp.<domain> (or _etcd-server._tcp.<domain>)
through the host's resolver; this asks the same name servers, from /etc/resolv.conf."""

from __future__ import annotations

import random
import socket
import struct

SRV, IN = 33, 1
RCODES = {1: 'FORMERR', 2: 'SERVFAIL (it could not ask the zone\'s servers)', 4: 'NOTIMP',
          5: 'REFUSED (it serves no such zone)'}


class DnsError(Exception):
    """The lookup failed; the message says how."""


class NoSuchName(DnsError):
    """The name server says the name does not exist: asking another one would not change that."""


def name_servers(resolv_conf='/etc/resolv.conf'):
    """The name servers of resolv.conf, in order; the local resolver when it lists none, as glibc does."""
    servers = []
    try:
        with open(resolv_conf) as handle:
            for line in handle:
                fields = line.split()
                if len(fields) >= 2 and fields[0] == 'nameserver':
                    servers.append(fields[1])
    except OSError:
        pass
    return servers or ['127.0.0.1']


def _query(name, ident):
    labels = b''
    for part in name.rstrip('.').split('.'):
        try:
            encoded = part.encode('idna')
        except UnicodeError as exc:
            raise DnsError('%s is not a DNS name: %s' % (name, exc))
        if not encoded or len(encoded) > 63:
            raise DnsError('%s is not a DNS name: empty label or one longer than 63 bytes' % name)
        labels += struct.pack('B', len(encoded)) + encoded
    return struct.pack('>HHHHHH', ident, 0x0100, 1, 0, 0, 0) + labels + b'\x00' + struct.pack('>HH', SRV, IN)


def _read_name(message, offset):
    """(name, offset after it) of a name in a message, following compression pointers."""
    labels, end, jumps = [], None, 0
    while True:
        length = message[offset]
        if length & 0xC0 == 0xC0:
            if end is None:
                end = offset + 2
            offset = struct.unpack('>H', message[offset:offset + 2])[0] & 0x3FFF
            jumps += 1
            if jumps > 50:
                raise DnsError('a compression loop in the answer')
            continue
        if length == 0:
            return '.'.join(labels), end if end is not None else offset + 1
        labels.append(message[offset + 1:offset + 1 + length].decode('ascii', 'replace'))
        offset += 1 + length


def is_truncated(message):
    """Whether a UDP answer says it did not fit (the TC bit): the records are then asked over TCP."""
    return len(message) >= 4 and bool(struct.unpack('>H', message[2:4])[0] & 0x0200)


def parse_srv_answer(message, ident):
    """[(priority, weight, port, target)] of an SRV answer; DnsError for an error code or a foreign
    or malformed answer, NoSuchName for NXDOMAIN."""
    if len(message) < 12:
        raise DnsError('a short answer')
    got_id, flags, questions, answers = struct.unpack('>HHHH', message[:8])
    if got_id != ident:
        raise DnsError('an answer to another question')
    rcode = flags & 0x000F
    if rcode == 3:
        raise NoSuchName('no such name (NXDOMAIN)')
    if rcode:
        raise DnsError('the name server answered %s' % RCODES.get(rcode, 'with error code %d' % rcode))
    records = []
    try:
        offset = 12
        for _question in range(questions):
            offset = _read_name(message, offset)[1] + 4
        for _answer in range(answers):
            offset = _read_name(message, offset)[1]
            rtype, _rclass, _ttl, length = struct.unpack('>HHIH', message[offset:offset + 10])
            offset += 10
            if rtype == SRV:
                priority, weight, port = struct.unpack('>HHH', message[offset:offset + 6])
                records.append((priority, weight, port, _read_name(message, offset + 6)[0]))
            offset += length
    except (IndexError, struct.error) as exc:
        raise DnsError('a malformed answer (%s)' % exc)
    return records


def _ask(server, port, packet, timeout, tcp):
    family = socket.AF_INET6 if ':' in server else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM if tcp else socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        sock.connect((server, port))
        if not tcp:
            sock.send(packet)
            return sock.recv(65535)
        sock.sendall(struct.pack('>H', len(packet)) + packet)
        data = b''
        while len(data) < 2 or len(data) < 2 + struct.unpack('>H', data[:2])[0]:
            chunk = sock.recv(65535)
            if not chunk:
                break
            data += chunk
        return data[2:]


def lookup_srv(name, servers=None, timeout=2.0, port=53, attempts=2):
    """[{target, port, priority, weight}] of the SRV records of name, from the first server that answers;
    over TCP when the UDP answer was truncated. Like the C and Go resolvers, each server is asked again
    once and the next one tried on a failure, except that a name that does not exist does not."""
    errors = []
    for server in servers or name_servers():
        for _attempt in range(attempts):
            ident = random.randint(0, 0xFFFF)
            packet = _query(name, ident)
            try:
                answer = _ask(server, port, packet, timeout, tcp=False)
                if is_truncated(answer):
                    answer = _ask(server, port, packet, timeout, tcp=True)
                records = parse_srv_answer(answer, ident)
            except NoSuchName:
                raise
            except (OSError, DnsError) as exc:
                error = '%s: %s' % (server, exc)
                if error not in errors:
                    errors.append(error)
                continue
            return [{'target': target.rstrip('.'), 'port': srv_port, 'priority': priority, 'weight': weight}
                    for priority, weight, srv_port, target in records]
    raise DnsError('no name server answered for %s (%s)' % (name, '; '.join(errors)))


def addresses(host, port):
    """The addresses host resolves to, as etcd resolves the targets of the records (the host's resolver)."""
    try:
        found = socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, ValueError) as exc:
        raise DnsError('%s does not resolve: %s' % (host, exc))
    return sorted(set(entry[4][0] for entry in found))


def srv_services(domain, service_name=''):
    """(scheme, SRV name) pairs etcd's --discovery-srv reads, TLS first; --discovery-srv-name adds a suffix."""
    suffix = '-%s' % service_name if service_name else ''
    return [('https', '_etcd-server-ssl%s._tcp.%s' % (suffix, domain)),
            ('http', '_etcd-server%s._tcp.%s' % (suffix, domain))]


def srv_report(domain, service_name='', own_host=''):
    """What host_info reports of a --discovery-srv domain: the records of both SRV names (etcd combines them),
    each with its scheme and the addresses of its target, the addresses of own_host (the member's advertised
    peer host), and the errors of the names that gave none."""
    report = {'domain': domain, 'records': [], 'errors': [], 'own_addresses': []}
    for scheme, service in srv_services(domain, service_name):
        try:
            found = lookup_srv(service)
        except DnsError as exc:
            report['errors'].append('%s: %s' % (service, exc))
            continue
        for record in found:
            record.update(scheme=scheme, service=service)
            try:
                record['addresses'] = addresses(record['target'], record['port'])
            except DnsError as exc:
                record['addresses'], record['error'] = [], str(exc)
            report['records'].append(record)
    if own_host:
        try:
            report['own_addresses'] = addresses(own_host, 0)
        except DnsError as exc:
            report['errors'].append(str(exc))
    return report
