# -*- coding: utf-8 -*-
# Copyright (c) quorum.etcd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one client for etcd's v3 HTTP/JSON gateway, shared by every quorum.etcd module.

etcd 3.4 and 3.5 both serve the gRPC API as JSON under ``/v3/`` on the client URLs.
Only the Python standard library and ``ansible.module_utils.urls`` are used, so the
managed hosts need nothing but python3.

Conventions of the gateway this client hides from the modules:

* keys and values are base64 strings;
* uint64 numbers (member and cluster IDs, sizes, revisions) are decimal strings;
  IDs are returned here as lowercase hex strings, as ``etcdctl`` prints them;
* fields whose value is zero or false are left out of the answer.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json
import time

from http.client import HTTPException
from urllib.error import HTTPError, URLError

from ansible.module_utils.urls import Request, make_context

DEFAULT_ENDPOINTS = ['http://127.0.0.1:2379']

ETCD_REQUIRED_TOGETHER = [
    ['client_cert', 'client_key'],
    ['user', 'password'],
]

# gRPC status code 14: the member cannot serve now (no leader, stopping, ...);
# another member may, so such answers are treated like an unreachable endpoint.
_GRPC_UNAVAILABLE = 14


def etcd_argument_spec():
    """Connection options shared by every module (documented in doc_fragments/etcd.py)."""
    return dict(
        endpoints=dict(type='list', elements='str', default=list(DEFAULT_ENDPOINTS)),
        ca_cert=dict(type='path'),
        client_cert=dict(type='path'),
        client_key=dict(type='path', no_log=False),
        validate_certs=dict(type='bool', default=True),
        timeout=dict(type='float', default=5.0),
        user=dict(type='str'),
        password=dict(type='str', no_log=True),
    )


class EtcdError(Exception):
    """etcd refused a request or could not be asked.

    ``endpoint`` is the endpoint that answered (None when several were tried),
    ``status`` the HTTP status, ``code`` the gRPC code and ``reason`` etcd's own message.
    """

    def __init__(self, message, endpoint=None, status=None, code=None, reason=None):
        super(EtcdError, self).__init__(message)
        self.endpoint = endpoint
        self.status = status
        self.code = code
        self.reason = reason


class EtcdUnreachable(EtcdError):
    """No answer at all: connection refused, timeout, TLS handshake or DNS failure."""


class EtcdUnavailable(EtcdError):
    """The member answered but cannot serve right now (gRPC UNAVAILABLE: no leader,
    stopping, ...). Another member may: ``call()`` then tries the next endpoint."""


# ---------------------------------------------------------------------------
# Conversions between the gateway's JSON and what modules return.

def b64encode(value):
    """Text or bytes -> base64 text, as the gateway wants keys and values."""
    if not isinstance(value, bytes):
        value = value.encode('utf-8')
    return base64.b64encode(value).decode('ascii')


def b64decode(value):
    """Base64 text from the gateway -> text (bytes that are not UTF-8 are escaped)."""
    return base64.b64decode(value or '').decode('utf-8', 'backslashreplace')


def id_to_hex(value):
    """A uint64 ID as the gateway sends it (decimal string) -> hex like etcdctl prints."""
    if value in (None, ''):
        return None
    return '%x' % int(value)


def id_from_hex(value):
    """A member ID as users give it (hex, as etcdctl prints it) -> the gateway's decimal string."""
    if isinstance(value, int):
        return str(value)
    text = str(value).strip().lower()
    if text.startswith('0x'):
        text = text[2:]
    try:
        return str(int(text, 16))
    except ValueError:
        raise EtcdError('%r is not a member ID: expected a hex number as etcdctl prints it, '
                        'for example 8e9e05c52164694d.' % (value,))


def prefix_range_end(prefix):
    """The range_end that makes a range request match every key starting with prefix."""
    end = bytearray(prefix.encode('utf-8') if not isinstance(prefix, bytes) else prefix)
    while end:
        if end[-1] < 0xff:
            end[-1] += 1
            return bytes(end)
        end.pop()
    return b'\0'  # every key


# What a txn compares, by the field that holds the expected value.
_COMPARE_TARGETS = {'value': 'VALUE', 'version': 'VERSION', 'mod_revision': 'MOD', 'create_revision': 'CREATE'}


def _int(value, default=0):
    return default if value in (None, '') else int(value)


def _member(raw):
    return dict(
        id=id_to_hex(raw.get('ID')),
        name=raw.get('name', ''),
        peer_urls=list(raw.get('peerURLs') or []),
        client_urls=list(raw.get('clientURLs') or []),
        is_learner=bool(raw.get('isLearner', False)),
        # A member that was added but never joined has no name yet.
        started=bool(raw.get('name')),
    )


def _kv(raw):
    return dict(
        key=b64decode(raw.get('key')),
        value=b64decode(raw.get('value')),
        create_revision=_int(raw.get('create_revision')),
        mod_revision=_int(raw.get('mod_revision')),
        version=_int(raw.get('version')),
        lease=_int(raw.get('lease')),  # 0: none
    )


def normalize_endpoint(endpoint, tls=False):
    """Strip trailing slashes; 'host:port' gets https when TLS options are set, else http."""
    endpoint = endpoint.strip().rstrip('/')
    if '://' not in endpoint:
        endpoint = ('https://' if tls else 'http://') + endpoint
    return endpoint


class EtcdClient(object):
    """Talks to etcd through the v3 JSON gateway.

    ``params`` is a module's ``params`` or any dict with the keys of
    ``etcd_argument_spec()``; missing keys take the same defaults.
    """

    def __init__(self, params):
        self.ca_cert = params.get('ca_cert')
        self.client_cert = params.get('client_cert')
        self.client_key = params.get('client_key')
        self.validate_certs = params.get('validate_certs', True)
        timeout = params.get('timeout')
        self.timeout = 5.0 if timeout is None else float(timeout)
        self.user = params.get('user')
        self.password = params.get('password')
        self._tls = bool(self.ca_cert or self.client_cert)
        self.endpoints = [self._endpoint(e) for e in (params.get('endpoints') or DEFAULT_ENDPOINTS)]
        # None: not authenticated yet; '': authentication is not enabled on the cluster.
        self._token = None
        # Endpoints that answered 404 on /readyz (old releases such as 3.5.1): they are asked /health.
        self._no_readyz = set()
        # One TLS context for every request: open_url builds a new one each time, loading the system's
        # trust store (about 50 ms of a core per request, plain HTTP included).
        self._session = None

    # -- transport ----------------------------------------------------------

    def _endpoint(self, endpoint):
        return normalize_endpoint(endpoint, self._tls)

    def _request(self, method, endpoint, path, data, headers):
        """One HTTP request through the client's session; EtcdUnreachable naming the files when the CA,
        certificate or key cannot be loaded."""
        if self._session is None:
            try:
                context = make_context(cafile=self.ca_cert, validate_certs=self.validate_certs,
                                       client_cert=self.client_cert, client_key=self.client_key)
            except (OSError, ValueError) as e:
                reason = 'the TLS files could not be loaded (ca_cert %s, client_cert %s, client_key %s): %s' % (
                    self.ca_cert, self.client_cert, self.client_key, e)
                raise EtcdUnreachable('%s%s was not asked: %s' % (endpoint, path, reason), endpoint=endpoint,
                                      reason=reason)
            self._session = Request(timeout=self.timeout, context=context, use_netrc=False,
                                    http_agent='ansible-quorum.etcd')
        return self._session.open(method, endpoint + path, data=data, headers=headers)

    def _open(self, method, endpoint, path, body=None, token=None):
        """One HTTP request; returns (status, decoded JSON or raw text)."""
        headers = {'Accept': 'application/json'}
        data = None
        if body is not None:
            data = json.dumps(body)
            headers['Content-Type'] = 'application/json'
        if token:
            headers['Authorization'] = token
        try:
            response = self._request(method, endpoint, path, data, headers)
            status, raw = response.getcode(), response.read()
        except HTTPError as e:
            # etcd answered with an error status: its body says why.
            status = e.code
            try:
                raw = e.read()
            except (OSError, HTTPException, AttributeError):
                raw = b''
        except URLError as e:
            reason = str(getattr(e, 'reason', e))
            raise EtcdUnreachable('%s%s did not answer: %s' % (endpoint, path, reason), endpoint=endpoint,
                                  reason=reason)
        except (OSError, HTTPException, ValueError) as e:
            # ValueError: the endpoint is not a URL at all.
            raise EtcdUnreachable('%s%s did not answer: %s' % (endpoint, path, e), endpoint=endpoint, reason=str(e))
        text = raw.decode('utf-8', 'replace') if isinstance(raw, bytes) else (raw or '')
        try:
            return status, json.loads(text)
        except ValueError:
            return status, text

    def _post(self, endpoint, path, body, retry_auth=True):
        self._authenticate(endpoint)
        status, answer = self._open('POST', endpoint, '/v3/' + path.lstrip('/'), body, self._token)
        if status == 200 and isinstance(answer, dict):
            return answer
        if isinstance(answer, dict):
            reason = answer.get('message') or answer.get('error') or json.dumps(answer)
            code = answer.get('code')
        else:
            reason, code = (answer.strip() or 'empty answer')[:300], None
        if status == 401 and self._token and retry_auth:
            # The token expired (simple tokens live 5 minutes by default): get a new one once.
            self._token = None
            return self._post(endpoint, path, body, retry_auth=False)
        error = EtcdUnavailable if (code == _GRPC_UNAVAILABLE or status == 503) else EtcdError
        raise error('%s answered /v3/%s with HTTP %s: %s' % (endpoint, path.lstrip('/'), status, reason),
                    endpoint=endpoint, status=status, code=code, reason=reason)

    def _authenticate(self, endpoint):
        if not self.user or self._token is not None:
            return
        status, answer = self._open('POST', endpoint, '/v3/auth/authenticate',
                                    {'name': self.user, 'password': self.password})
        if status == 200 and isinstance(answer, dict) and answer.get('token'):
            self._token = answer['token']
            return
        reason = answer.get('message', answer.get('error')) if isinstance(answer, dict) else answer
        if 'authentication is not enabled' in str(reason):
            # Same as etcdctl: credentials are not needed before auth is enabled.
            self._token = ''
            return
        error = EtcdUnavailable if status == 503 else EtcdError
        raise error('%s refused to authenticate user %s: HTTP %s: %s' % (endpoint, self.user, status, reason),
                    endpoint=endpoint, status=status, reason=reason)

    def call(self, path, body=None, endpoint=None):
        """POST ``body`` to ``<endpoint>/v3/<path>`` and return etcd's decoded JSON answer.

        With ``endpoint``, only that endpoint is asked. Otherwise the endpoints are
        tried in order until one answers; only unreachable or unavailable members are
        skipped, a real answer from etcd (even an error) is final.
        """
        candidates = [self._endpoint(endpoint)] if endpoint else self.endpoints
        failures = []
        for candidate in candidates:
            try:
                return self._post(candidate, path, {} if body is None else body)
            except (EtcdUnreachable, EtcdUnavailable) as e:
                failures.append(e)
        if len(failures) == 1:
            raise failures[0]
        # Unavailable when at least one member answered, unreachable when none did.
        error = EtcdUnavailable if any(isinstance(f, EtcdUnavailable) for f in failures) else EtcdUnreachable
        raise error('No etcd endpoint could serve /v3/%s: %s' % (path.lstrip('/'), '; '.join(str(f) for f in failures)))

    def _get(self, endpoint, path):
        endpoint = self._endpoint(endpoint)
        status, answer = self._open('GET', endpoint, path)
        if not isinstance(answer, dict):
            raise EtcdError('%s%s answered HTTP %s with something that is not JSON: %s'
                            % (endpoint, path, status, str(answer).strip()[:300]),
                            endpoint=endpoint, status=status)
        return status, answer

    # -- one endpoint -------------------------------------------------------

    def health(self, endpoint, exclude_alarms=()):
        """Whether one endpoint is ready to serve: {'health': bool, 'reason': str}.

        etcd 3.6 and recent 3.5 patches serve /readyz, which names each failed check; older releases
        answer 404 there, and /health is asked instead. A learner is ready when it serves reads: its
        non_learner check (3.5.19 and later) is left out, so that a joining member's gate can pass.
        /readyz checks no NOSPACE alarm; /health does, unless it is in ``exclude_alarms``.
        """
        endpoint = self._endpoint(endpoint)
        if endpoint not in self._no_readyz:
            status, answer = self._open('GET', endpoint, '/readyz?verbose&exclude=non_learner')
            if status != 404:
                return self._readyz(status, answer)
            self._no_readyz.add(endpoint)
        status, answer = self._get(endpoint, '/health' + ''.join(
            '%sexclude=%s' % ('&' if i else '?', alarm) for i, alarm in enumerate(exclude_alarms)))
        healthy = str(answer.get('health')).lower() == 'true'
        reason = answer.get('reason') or ''
        if not healthy and not reason:
            reason = 'HTTP %s, no reason given' % status  # etcd 3.4 never gives one
        return dict(health=healthy, reason=reason)

    @staticmethod
    def _readyz(status, answer):
        """/readyz?verbose answers 200 when every check passed, else 503 with one '[-]name failed: why' line
        per failed check."""
        text = answer if isinstance(answer, str) else json.dumps(answer)
        if status == 200:
            return dict(health=True, reason='')
        failed = [line[3:].strip() for line in text.splitlines() if line.startswith('[-]')]
        return dict(health=False, reason='; '.join(failed) or 'HTTP %s: %s' % (status, text.strip()[:300]))

    def version(self, endpoint):
        """GET /version of one endpoint: {'etcdserver': '3.5.1', 'etcdcluster': '3.5.0'}."""
        status, answer = self._get(endpoint, '/version')
        return dict(etcdserver=answer.get('etcdserver'), etcdcluster=answer.get('etcdcluster'))

    def status(self, endpoint):
        """maintenance/status of one endpoint (what ``etcdctl endpoint status`` shows)."""
        answer = self.call('maintenance/status', {}, endpoint=endpoint)
        header = answer.get('header', {})
        return dict(
            endpoint=self._endpoint(endpoint),
            cluster_id=id_to_hex(header.get('cluster_id')),
            member_id=id_to_hex(header.get('member_id')),
            leader=id_to_hex(answer.get('leader', 0)),  # '0': this member knows no leader
            version=answer.get('version'),
            db_size=_int(answer.get('dbSize')),
            db_size_in_use=_int(answer.get('dbSizeInUse'), None),  # not reported by old 3.4
            raft_term=_int(answer.get('raftTerm')),
            raft_index=_int(answer.get('raftIndex')),
            raft_applied_index=_int(answer.get('raftAppliedIndex')),
            is_learner=bool(answer.get('isLearner', False)),
            errors=list(answer.get('errors') or []),
            # 3.6 and later: the schema version of the member's data, and the cluster's downgrade job.
            storage_version=answer.get('storageVersion') or None,
            downgrade_enabled=bool((answer.get('downgradeInfo') or {}).get('enabled', False)),
            downgrade_target=(answer.get('downgradeInfo') or {}).get('targetVersion') or None,
        )

    def downgrade(self, action, version=''):
        """maintenance/downgrade: action VALIDATE, ENABLE or CANCEL, ``version`` a minor like '3.5'.
        Returns the cluster version etcd answered with (3.6 and later)."""
        answer = self.call('maintenance/downgrade', {'action': action, 'version': version})
        return answer.get('version')

    def move_leader(self, target_id, endpoint):
        """Hand leadership to ``target_id`` (hex). ``endpoint`` must be the current leader's."""
        self.call('maintenance/transfer-leadership', {'targetID': id_from_hex(target_id)}, endpoint=endpoint)

    # -- the cluster --------------------------------------------------------

    def member_list(self, endpoint=None):
        """All members: [{'id', 'name', 'peer_urls', 'client_urls', 'is_learner', 'started'}]."""
        return [_member(m) for m in self.call('cluster/member/list', {}, endpoint).get('members', [])]

    def cluster_id(self, endpoint=None):
        """The cluster ID (hex) as the answering member reports it."""
        answer = self.call('cluster/member/list', {}, endpoint)
        return id_to_hex(answer.get('header', {}).get('cluster_id'))

    def member_add(self, peer_urls, is_learner=False):
        """Add a member; returns {'member': the new member, 'members': all members}."""
        answer = self.call('cluster/member/add', {'peerURLs': list(peer_urls), 'isLearner': bool(is_learner)})
        return dict(member=_member(answer.get('member', {})),
                    members=[_member(m) for m in answer.get('members', [])])

    def member_remove(self, member_id):
        """Remove the member with this hex ID; returns the remaining members."""
        answer = self.call('cluster/member/remove', {'ID': id_from_hex(member_id)})
        return [_member(m) for m in answer.get('members', [])]

    def member_promote(self, member_id):
        """Promote the learner with this hex ID to a voting member; returns all members."""
        answer = self.call('cluster/member/promote', {'ID': id_from_hex(member_id)})
        return [_member(m) for m in answer.get('members', [])]

    def member_update(self, member_id, peer_urls):
        """Set the peer URLs of the member with this hex ID (etcdctl member update); returns all members."""
        answer = self.call('cluster/member/update', {'ID': id_from_hex(member_id), 'peerURLs': list(peer_urls)})
        return [_member(m) for m in answer.get('members', [])]

    def alarms(self, endpoint=None):
        """Active alarms: [{'member_id': hex, 'alarm': 'NOSPACE' or 'CORRUPT'}]."""
        answer = self.call('maintenance/alarm', {'action': 'GET'}, endpoint)
        return [dict(member_id=id_to_hex(a.get('memberID')), alarm=a.get('alarm', 'NONE'))
                for a in answer.get('alarms', [])]

    def alarm_disarm(self, member_id, alarm):
        """Deactivate one member's alarm (etcdctl alarm disarm does it for every alarm in turn)."""
        self.call('maintenance/alarm', {'action': 'DEACTIVATE', 'memberID': id_from_hex(member_id), 'alarm': alarm})

    def revision(self, endpoint=None):
        """The store's current revision, as a serializable read of one key names it in its header."""
        answer = self.call('kv/range', {'key': b64encode('\0'), 'limit': 1, 'keys_only': True,
                                        'serializable': endpoint is not None}, endpoint)
        return _int(answer.get('header', {}).get('revision'))

    def compact(self, revision):
        """Compact the history up to ``revision`` (physical: returns once the member that took the request
        has removed it; the others apply it from the raft log). Returns False when etcd had already
        compacted past it (nothing to do), True otherwise."""
        try:
            self.call('kv/compaction', {'revision': str(int(revision)), 'physical': True})
        except EtcdError as e:
            if 'required revision has been compacted' in (e.reason or str(e)):
                return False
            raise
        return True

    def defragment(self, endpoint):
        """Defragment the backend of the one member at ``endpoint`` (it blocks that member meanwhile)."""
        self.call('maintenance/defragment', {}, endpoint=endpoint)

    def auth_enabled(self, endpoint=None):
        """Whether authentication is enabled on the cluster.

        With credentials, the authentication itself tells. Without, etcd is asked to authenticate a
        user that does not exist: it answers "authentication is not enabled" only when it is not.
        (etcd 3.4 has no auth/status.) Raises EtcdUnreachable/EtcdUnavailable like call().
        """
        if self.user:
            candidates = [self._endpoint(endpoint)] if endpoint else self.endpoints
            failures = []
            for candidate in candidates:
                try:
                    self._authenticate(candidate)
                except (EtcdUnreachable, EtcdUnavailable) as e:
                    failures.append(e)
                    continue
                return bool(self._token)
            raise failures[-1]
        try:
            self.call('auth/authenticate', {'name': 'quorum.etcd-auth-probe', 'password': ''}, endpoint)
        except (EtcdUnreachable, EtcdUnavailable):
            raise
        except EtcdError as e:
            return 'authentication is not enabled' not in (e.reason or str(e))
        return True

    # -- health and leadership of members (shared by the member and leader modules)

    def member_health(self, member):
        """Ask /health on the client URLs a member advertises (a dict as member_list() returns it).

        Returns {'health': bool, 'reason': why not, 'endpoint': the URL that answered healthy or None}.
        A member that has not started advertises no client URL and is not healthy.
        """
        reasons = []
        for url in member.get('client_urls') or []:
            try:
                answer = self.health(url)
            except EtcdError as e:
                reasons.append(str(e))
                continue
            if answer['health']:
                return dict(health=True, reason='', endpoint=self._endpoint(url))
            reasons.append('%s is unhealthy: %s' % (url, answer['reason']))
        if not reasons:
            reasons.append('it advertises no client URL' if member.get('started') else 'it has not started yet')
        return dict(health=False, reason='; '.join(reasons), endpoint=None)

    def leads(self, member):
        """The client URL where ``member`` answers that it is the leader, or None."""
        for url in member.get('client_urls') or []:
            try:
                status = self.status(url)
            except EtcdError:
                continue
            if status['member_id'] == member['id'] and status['leader'] == member['id']:
                return status['endpoint']
        return None

    def find_leader(self, members=None):
        """The current leader as {'id', 'name', 'endpoint'}, or None when no answering member knows one.

        Asks the status of the endpoints, then of the client URLs the members advertise, and
        confirms with the leader itself; 'endpoint' is a client URL where the leader answers
        (None when it answers on none of them).
        """
        members = self.member_list() if members is None else members
        urls = []
        for url in list(self.endpoints) + [u for m in members for u in m['client_urls']]:
            url = self._endpoint(url)
            if url not in urls:
                urls.append(url)
        for url in urls:
            try:
                status = self.status(url)
            except EtcdError:
                continue
            leader_id = status['leader']
            if leader_id in (None, '0'):
                continue
            names = dict((m['id'], m['name']) for m in members)
            if status['member_id'] == leader_id:
                return dict(id=leader_id, name=names.get(leader_id), endpoint=url)
            leader = [m for m in members if m['id'] == leader_id]
            endpoint = self.leads(leader[0]) if leader else None
            return dict(id=leader_id, name=names.get(leader_id), endpoint=endpoint)
        return None

    def best_transferee(self, members, exclude_id=None):
        """The member to hand leadership to: the healthy, started voting member other than
        ``exclude_id`` with the highest raft index. Returns the member dict with 'endpoint' and
        'raft_index' added, or None when no member qualifies."""
        best = None
        for member in members:
            if member['id'] == exclude_id or member['is_learner'] or not member['started']:
                continue
            health = self.member_health(member)
            if not health['health']:
                continue
            try:
                status = self.status(health['endpoint'])
            except EtcdError:
                continue
            key = (status['raft_index'], status['raft_applied_index'])
            if best is None or key > best[0]:
                best = (key, dict(member, endpoint=health['endpoint'], raft_index=status['raft_index']))
        return best[1] if best else None

    def transfer_leadership(self, target, members=None, timeout=30.0):
        """Make ``target`` (a member dict as member_list() returns it) the leader and wait until it leads.

        move-leader is sent to the current leader's client URL, the only place etcd accepts it.
        Returns the leader before the move as find_leader() gives it. Raises EtcdUnavailable when
        no member knows a leader, EtcdUnreachable when the leader answers on none of its client
        URLs, and EtcdError when the target does not lead within ``timeout`` seconds.
        """
        members = self.member_list() if members is None else members
        leader = self.find_leader(members)
        if leader is None:
            raise EtcdUnavailable('No etcd member knows a leader: the cluster has lost quorum or is electing one.')
        if leader['id'] == target['id']:
            return leader
        if leader['endpoint'] is None:
            raise EtcdUnreachable('The leader %s (%s) does not answer on any client URL it advertises, so it cannot '
                                  'be asked to hand over leadership.' % (leader['name'], leader['id']))
        self.move_leader(target['id'], leader['endpoint'])
        deadline = time.time() + timeout
        while not self.leads(target):
            if time.time() >= deadline:
                raise EtcdError('%s accepted to hand leadership to %s (%s), but %s does not lead after %g seconds.'
                                % (leader['endpoint'], target['name'], target['id'], target['name'], timeout))
            time.sleep(0.1)
        return leader

    # -- keys ---------------------------------------------------------------

    @staticmethod
    def _put_request(key, value, lease=0):
        request = {'key': b64encode(key), 'value': b64encode(value)}
        if lease:
            request['lease'] = str(lease)
        return request

    def put(self, key, value, lease=0):
        """Write one key (attached to ``lease``, an ID, when set); returns the new revision of the store."""
        answer = self.call('kv/put', self._put_request(key, value, lease))
        return _int(answer.get('header', {}).get('revision'))

    def lease_grant(self, ttl):
        """A new lease of ``ttl`` seconds; returns its ID."""
        return _int(self.call('lease/grant', {'TTL': str(int(ttl))}).get('ID'))

    def get_kv(self, key):
        """One key with its revisions and lease, as range() gives each, or None when it does not exist."""
        kvs = self.call('kv/range', {'key': b64encode(key)}).get('kvs', [])
        return _kv(kvs[0]) if kvs else None

    def put_if(self, key, value, compare, lease=0):
        """Write one key only when ``compare`` holds: a txn comparing the key's ``value``, ``version``,
        ``mod_revision`` or ``create_revision`` (one of them, a dict of one entry) for equality.
        Returns (whether it held, the store's revision)."""
        (target, expected), = compare.items()
        wanted = b64encode(expected) if target == 'value' else str(int(expected))
        answer = self.call('kv/txn', {
            'compare': [{'key': b64encode(key), 'result': 'EQUAL', 'target': _COMPARE_TARGETS[target], target: wanted}],
            'success': [{'request_put': self._put_request(key, value, lease)}]})
        return bool(answer.get('succeeded')), _int(answer.get('header', {}).get('revision'))

    def get(self, key):
        """The value of one key as text, or None when the key does not exist."""
        found = self.get_kv(key)
        return found['value'] if found else None

    def range(self, prefix):
        """Every key starting with ``prefix``, sorted by key:
        [{'key', 'value', 'create_revision', 'mod_revision', 'version'}]."""
        body = {'key': b64encode(prefix), 'range_end': b64encode(prefix_range_end(prefix))}
        return [_kv(kv) for kv in self.call('kv/range', body).get('kvs', [])]

    def delete(self, key, prefix=False):
        """Delete one key (or every key under a prefix); returns how many were deleted."""
        body = {'key': b64encode(key)}
        if prefix:
            body['range_end'] = b64encode(prefix_range_end(key))
        return _int(self.call('kv/deleterange', body).get('deleted'))

    # -- snapshots (used by the snapshot module) ------------------------------

    def snapshot(self, endpoint, out):
        """Stream a snapshot of one member's database from ``endpoint`` into the binary file object ``out``.

        ``POST /v3/maintenance/snapshot`` answers with one JSON line per chunk (``{"result": {"blob": base64}}``),
        read and written one at a time so that a large database is never held in memory. The last chunk etcd
        sends is the SHA-256 of the database, so ``out`` gets exactly what ``etcdctl snapshot save`` writes.
        Returns the number of bytes written. Raises EtcdUnreachable when the endpoint cannot be asked and
        EtcdError when etcd reports an error or the stream ends before its last chunk.
        """
        endpoint = self._endpoint(endpoint)
        self._authenticate(endpoint)
        headers = {'Accept': 'application/json', 'Content-Type': 'application/json'}
        if self._token:
            headers['Authorization'] = self._token
        url = endpoint + '/v3/maintenance/snapshot'
        try:
            # No timeout for the whole transfer: self.timeout applies to each read.
            response = self._request('POST', endpoint, '/v3/maintenance/snapshot', '{}', headers)
        except HTTPError as e:
            try:
                reason = e.read().decode('utf-8', 'replace').strip()[:300]
            except (OSError, HTTPException, AttributeError):
                reason = ''
            raise EtcdError('%s answered HTTP %s: %s' % (url, e.code, reason or 'no reason given'),
                            endpoint=endpoint, status=e.code, reason=reason)
        except (URLError, OSError, HTTPException, ValueError) as e:
            reason = str(getattr(e, 'reason', e))
            raise EtcdUnreachable('%s did not answer: %s' % (url, reason), endpoint=endpoint, reason=reason)
        written = 0
        last = False
        try:
            for line in response:
                line = line.strip()
                if not line:
                    continue
                try:
                    message = json.loads(line.decode('utf-8'))
                except ValueError:
                    raise EtcdError('%s sent a line that is not JSON: %r' % (url, line[:200]), endpoint=endpoint)
                if 'error' in message:
                    error = message['error'] or {}
                    reason = error.get('message') or json.dumps(error)
                    raise EtcdError('%s stopped the snapshot: %s' % (url, reason), endpoint=endpoint,
                                    code=error.get('code'), reason=reason)
                result = message.get('result') or {}
                blob = base64.b64decode(result.get('blob') or '')
                out.write(blob)
                written += len(blob)
                # remaining_bytes counts down to 0 (then left out) on the database's last chunk; the SHA-256
                # chunk after it says 0 too. Whether the hash arrived whole is for the caller to check.
                last = _int(result.get('remaining_bytes')) == 0
        except (OSError, HTTPException) as e:
            raise EtcdUnreachable('%s broke off the snapshot after %d bytes: %s' % (url, written, e),
                                  endpoint=endpoint, reason=str(e))
        finally:
            response.close()
        if not last or written == 0:
            raise EtcdError('%s ended the snapshot stream after %d bytes, before its last chunk.' % (url, written),
                            endpoint=endpoint)
        return written

    # -- authentication: users, roles and permissions (used by the auth module) ---
    #
    # Every request below needs a user with the root role once authentication is enabled. Users and
    # roles that do not exist are returned as None; permissions as {'type', 'key', 'range_end'} with
    # type 'read', 'write' or 'readwrite' and the key range as text ('' range_end: the one key). Key
    # bytes that are not UTF-8 (a prefix's range_end can end in such a byte) are kept as surrogate
    # escapes, so that a permission read here is revoked with exactly its bytes.

    @staticmethod
    def _auth_text(value):
        """Base64 key bytes from the gateway -> text, bytes that are not UTF-8 as surrogate escapes."""
        return base64.b64decode(value or '').decode('utf-8', 'surrogateescape')

    @staticmethod
    def _auth_b64(text):
        """The inverse of _auth_text: text (with surrogate escapes) -> base64 of the original bytes."""
        return base64.b64encode(text.encode('utf-8', 'surrogateescape')).decode('ascii')

    def auth_set_enabled(self, enabled):
        """Enable or disable authentication. Enabling needs user root with role root."""
        self.call('auth/enable' if enabled else 'auth/disable', {})
        # The next request authenticates again: a token is needed now, or no longer.
        self._token = None

    def check_password(self, name, password):
        """Whether ``password`` authenticates ``name``: True, False, or None while authentication is
        disabled (etcd checks passwords only when it is enabled). Needs no token and changes nothing."""
        try:
            self.call('auth/authenticate', {'name': name, 'password': password})
        except (EtcdUnreachable, EtcdUnavailable):
            raise
        except EtcdError as e:
            reason = e.reason or str(e)
            if 'authentication is not enabled' in reason:
                return None
            if 'invalid user ID or password' in reason:
                # A wrong password or a user that does not exist. A user without password (no_password)
                # is another answer ("password was given for no password user"), raised as it is.
                return False
            raise
        return True

    def user_list(self):
        """Names of all users."""
        return list(self.call('auth/user/list', {}).get('users') or [])

    def _call_unless_missing(self, path, body, missing):
        """etcd's answer, or None when etcd refuses with ``missing`` (no such user or role)."""
        try:
            return self.call(path, body)
        except (EtcdUnreachable, EtcdUnavailable):
            raise
        except EtcdError as e:
            if missing in (e.reason or str(e)):
                return None
            raise

    def user_get(self, name):
        """The roles granted to user ``name`` (sorted), or None when there is no such user."""
        answer = self._call_unless_missing('auth/user/get', {'name': name}, 'user name not found')
        return None if answer is None else sorted(answer.get('roles') or [])

    def user_add(self, name, password=None):
        """Add a user; without ``password`` the user has none and can only log in with a client
        certificate whose CN is its name (etcd's no_password option, etcd 3.4 and later)."""
        if password is None:
            body = {'name': name, 'options': {'no_password': True}}
        else:
            body = {'name': name, 'password': password}
        self.call('auth/user/add', body)

    def user_delete(self, name):
        self.call('auth/user/delete', {'name': name})

    def user_change_password(self, name, password):
        self.call('auth/user/changepw', {'name': name, 'password': password})

    def user_grant_role(self, name, role):
        self.call('auth/user/grant', {'user': name, 'role': role})

    def user_revoke_role(self, name, role):
        self.call('auth/user/revoke', {'name': name, 'role': role})

    def role_list(self):
        """Names of all roles (never the built-in role root, which etcd does not store as a role)."""
        return list(self.call('auth/role/list', {}).get('roles') or [])

    def role_get(self, name):
        """The permissions of role ``name`` as etcd keeps them (sorted by key), or None when there is no such role."""
        answer = self._call_unless_missing('auth/role/get', {'role': name}, 'role name not found')
        if answer is None:
            return None
        # READ is the zero value of the enum, so the gateway leaves it out.
        return [dict(type=(perm.get('permType') or 'READ').lower(), key=self._auth_text(perm.get('key')),
                     range_end=self._auth_text(perm.get('range_end')))
                for perm in answer.get('perm') or []]

    def role_add(self, name):
        self.call('auth/role/add', {'name': name})

    def role_delete(self, name):
        """Delete a role; etcd revokes it from every user that has it."""
        self.call('auth/role/delete', {'role': name})

    def role_grant_permission(self, name, perm_type, key, range_end=''):
        """Grant ``perm_type`` ('read', 'write', 'readwrite') on a key range; a range the role already has a
        permission for gets the new type."""
        perm = {'permType': perm_type.upper(), 'key': self._auth_b64(key)}
        if range_end:
            perm['range_end'] = self._auth_b64(range_end)
        self.call('auth/role/grant', {'name': name, 'perm': perm})

    def role_revoke_permission(self, name, key, range_end=''):
        body = {'role': name, 'key': self._auth_b64(key)}
        if range_end:
            body['range_end'] = self._auth_b64(range_end)
        self.call('auth/role/revoke', body)
