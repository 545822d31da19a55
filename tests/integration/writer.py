"""A client that writes while the cluster is being changed, then proves that
every acknowledged write survived.

    with Writer(endpoints, prefix="/scale/", tls=lab.client_tls()) as writer:
        ...change the cluster...
    report = writer.verify(endpoints)   # asserts; returns the figures

Writes go to etcd's v3 JSON gateway with requests, one endpoint after another;
a write counts as acknowledged only when etcd answered it with a revision.
``tls`` is requests' {verify, cert} for a cluster with client certificates, and
``auth`` a (user, password) for a cluster with authentication enabled. With
``new_connections`` every write opens a new connection (a TLS handshake with the
certificate files as they are then), as short-lived clients do.
Only lab addresses are written to: the endpoints the scenario passes in.
"""

import base64
import threading
import time

import requests


def _b64(text):
    return base64.b64encode(text.encode()).decode()


def _range_end(prefix):
    return _b64(prefix[:-1] + chr(ord(prefix[-1]) + 1))


class Writer:
    def __init__(self, endpoints, prefix, interval=0.02, timeout=1.0, max_seconds=600, tls=None, auth=None,
                 new_connections=False):
        self.endpoints = list(endpoints)
        self.prefix = prefix
        self.interval = interval
        self.timeout = timeout
        self.max_seconds = max_seconds  # the writer stops by itself, whatever happens to the test
        self.acknowledged = {}
        self.attempts = 0
        self.errors = 0
        self.longest_gap = 0.0
        # An endpoint that did not answer waits this long at the back of the order: a destroyed host's
        # address costs a connect timeout per try, which would slow every write while it stays listed.
        self.backoff = 1.0
        self._failed_until = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._session = requests.Session()
        # Lab traffic only: no proxy, and no CA bundle from the environment in place of ``tls``.
        self._session.trust_env = False
        if tls:
            self._session.verify = tls["verify"]
            self._session.cert = tls["cert"]
        self.auth = auth
        if new_connections:
            # etcd closes the connection after its answer; requests reads the files again for the next one.
            self._session.headers["Connection"] = "close"

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def stop(self):
        self._stop.set()
        self._thread.join()

    def _login(self, endpoint):
        """A token from the endpoint for ``auth`` (etcd's tokens are per member)."""
        answer = self._session.post(endpoint + "/v3/auth/authenticate", timeout=self.timeout,
                                    json={"name": self.auth[0], "password": self.auth[1]})
        answer.raise_for_status()
        self._session.headers["Authorization"] = answer.json()["token"]

    def _post(self, endpoint, path, body, timeout):
        if self.auth and "Authorization" not in self._session.headers:
            self._login(endpoint)
        answer = self._session.post(endpoint + path, timeout=timeout, json=body)
        if self.auth and answer.status_code in (400, 401) and "token" in answer.text:
            self._login(endpoint)  # the token expired, or the member that issued it is gone
            answer = self._session.post(endpoint + path, timeout=timeout, json=body)
        answer.raise_for_status()
        return answer.json()

    def _put(self, endpoint, key, value):
        answer = self._post(endpoint, "/v3/kv/put", {"key": _b64(key), "value": _b64(value)}, self.timeout)
        return int(answer["header"]["revision"])

    def _run(self):
        started = last_success = time.monotonic()
        turn = 0
        while not self._stop.is_set() and time.monotonic() - started < self.max_seconds:
            key = "%s%08d" % (self.prefix, self.attempts)
            value = "written at %.3f" % time.time()
            self.attempts += 1
            for endpoint in self._order(turn):
                try:
                    self._put(endpoint, key, value)
                except (requests.ConnectionError, requests.Timeout):
                    self.errors += 1
                    self._failed_until[endpoint] = time.monotonic() + self.backoff
                    self._session.headers.pop("Authorization", None)
                    continue
                except (requests.RequestException, ValueError, KeyError):
                    self.errors += 1
                    # A token from before a restore makes the restored members wait (until their raft index
                    # reaches the token's) past this writer's timeout: log in again on the next attempt.
                    self._session.headers.pop("Authorization", None)
                    continue
                self.acknowledged[key] = value
                now = time.monotonic()
                self.longest_gap = max(self.longest_gap, now - last_success)
                last_success = now
                break
            turn += 1
            self._stop.wait(self.interval)
        self.longest_gap = max(self.longest_gap, time.monotonic() - last_success)

    def _order(self, turn):
        """The endpoints from this turn's on, those that did not answer lately last (still tried)."""
        now = time.monotonic()
        turned = [self.endpoints[(turn + offset) % len(self.endpoints)] for offset in range(len(self.endpoints))]
        return ([e for e in turned if self._failed_until.get(e, 0) <= now]
                + [e for e in turned if self._failed_until.get(e, 0) > now])

    def _read_all(self, endpoint, serializable):
        answer = self._post(endpoint, "/v3/kv/range", {
            "key": _b64(self.prefix), "range_end": _range_end(self.prefix), "serializable": serializable}, 10)
        return {base64.b64decode(kv["key"]).decode(): base64.b64decode(kv["value"]).decode()
                for kv in answer.get("kvs", [])}

    def verify(self, endpoints, settle_seconds=10):
        """Every acknowledged write is present with its value, read through the
        cluster, and every member holds the same keys (read locally on each)."""
        assert not self._thread.is_alive(), "stop the writer first"
        assert self.acknowledged, "the writer got no write acknowledged (%d attempts)" % self.attempts
        cluster = self._read_all(endpoints[0], serializable=False)
        missing = [k for k, v in self.acknowledged.items() if cluster.get(k) != v]
        assert not missing, "%d acknowledged writes missing or changed, e.g. %s" % (len(missing), missing[:5])
        # Members apply the log at their own pace: allow them a moment to agree.
        deadline = time.monotonic() + settle_seconds
        while True:
            local = {endpoint: self._read_all(endpoint, serializable=True) for endpoint in endpoints}
            if all(data == cluster for data in local.values()) or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        differ = {e: len(set(d.items()) ^ set(cluster.items())) for e, d in local.items() if d != cluster}
        assert not differ, "members disagree with the cluster (differing keys per endpoint): %s" % differ
        report = {"acknowledged": len(self.acknowledged), "lost": len(missing), "attempts": self.attempts,
                  "errors": self.errors, "longest_gap_seconds": round(self.longest_gap, 3)}
        print("writer: %(acknowledged)d writes acknowledged, %(lost)d lost, of %(attempts)d attempts, %(errors)d"
              " errors, longest gap without a write %(longest_gap_seconds).3f s" % report)
        return report
