#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) quorum.etcd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: release
short_description: Install a verified etcd release side by side with others
version_added: 0.1.0
description:
  - Downloads the official etcd release tarball for one exact version, verifies its SHA-256 and unpacks it into
    O(install_dir)/vX.Y.Z, so several versions can be installed at once (for rolling upgrades).
  - Points stable symlinks in O(bin_dir) (C(etcd), C(etcdctl), and C(etcdutl) when the release has it) at that
    version when O(link=true).
  - Idempotent without the network; when the versioned directory holds the binaries and the marker file
    C(.quorum-etcd-release.json) that records the checksum they were verified with, nothing is downloaded.
  - Every change is atomic; the tarball is unpacked next to its target and renamed into place, links are replaced
    by renaming a new link over them. On any failure (download error, checksum mismatch, a tarball without the
    C(etcd) binary) nothing is installed or replaced and temporary files are removed.
  - With O(state=downloaded) the module only downloads and verifies the tarball into O(download_dir). Run it once
    on the controller (with C(delegate_to) and C(run_once)), copy the file to hosts without internet, then install
    it there with O(src) and O(checksum).
author:
  - quorum.etcd contributors (@quorum-etcd)
attributes:
  check_mode:
    description: Reports what would change (RV(actions)) without downloading or writing anything.
    support: full
  diff_mode:
    description: No diff is returned; RV(actions) lists the changes.
    support: none
options:
  version:
    description:
      - The exact etcd version, like V(3.5.1); a leading V(v) is accepted.
      - Moving targets such as V(latest) or V(3.5) are refused, so that every host gets the same binaries.
    type: str
    required: true
  state:
    description:
      - V(present) installs the release into O(install_dir) and, with O(link=true), links it from O(bin_dir).
      - V(downloaded) only downloads and verifies the tarball into O(download_dir); RV(tarball) is its path.
    type: str
    choices: [present, downloaded]
    default: present
  base_url:
    description:
      - Where releases are published, laid out like GitHub's release downloads.
      - The tarball is C({base_url}/v{version}/etcd-v{version}-linux-{arch}.tar.gz) and the checksums
        C({base_url}/v{version}/SHA256SUMS).
      - Use a local mirror over C(https://), C(http://) or C(file://) for hosts without the internet.
    type: str
    default: https://github.com/etcd-io/etcd/releases/download
  arch:
    description:
      - etcd's name for the CPU architecture of the release.
      - Defaults to the host's architecture as C(uname -m) prints it; V(x86_64) becomes V(amd64) and V(aarch64) becomes
        V(arm64).
    type: str
    choices: [amd64, arm64, ppc64le, s390x]
  checksum:
    description:
      - The SHA-256 of the tarball, as 64 hex digits (a V(sha256:) prefix is accepted).
      - When set, it is trusted instead of the release's C(SHA256SUMS), and an installed version that was verified
        with a different checksum is replaced.
      - Required with O(src).
    type: str
  src:
    description:
      - Path on the host of a release tarball already there (copied from the controller, for example).
      - Nothing is downloaded; the file is verified against O(checksum) and installed.
      - Only with O(state=present).
    type: path
  download_dir:
    description:
      - Directory for downloads. With O(state=present) the tarball is downloaded to a temporary file here and
        removed after installation; with O(state=downloaded) it is kept here, with a C(.sha256) file next to it.
      - A verified tarball already kept here is used instead of downloading it again.
    type: path
    default: /var/cache/etcd
  install_dir:
    description:
      - Directory that holds one subdirectory per installed version, C(v{version}).
    type: path
    default: /opt/etcd
  bin_dir:
    description:
      - Directory for the stable symlinks C(etcd), C(etcdctl) and C(etcdutl).
    type: path
    default: /usr/local/bin
  link:
    description:
      - Whether to point the symlinks in O(bin_dir) at this version.
      - Set to V(false) to install a new version side by side before a rolling upgrade switches to it.
      - When the release lacks a binary (etcd 3.4 has no C(etcdutl)), a link to it left from another version in
        O(install_dir) is removed.
    type: bool
    default: true
  timeout:
    description:
      - Seconds to wait for the download server to answer (per network operation, not for the whole download).
    type: float
    default: 30
  validate_certs:
    description:
      - Whether to verify the TLS certificate of an C(https://) O(base_url).
    type: bool
    default: true
notes:
  - Binaries are installed with mode 0755 and, when the module runs as root, owned by root.
  - The marker file C(.quorum-etcd-release.json) in each versioned directory records the version, architecture,
    SHA-256 and source of the release.
seealso:
  - name: etcd releases
    description: The official release downloads and their SHA256SUMS.
    link: https://github.com/etcd-io/etcd/releases
'''

EXAMPLES = r'''
- name: Install etcd 3.5.17 and link it from /usr/local/bin
  quorum.etcd.release:
    version: 3.5.17

- name: Install the next version side by side, without switching to it yet
  quorum.etcd.release:
    version: 3.5.17
    link: false
  register: etcd_release

- name: Run the new etcdctl by its versioned path
  ansible.builtin.command:
    cmd: "{{ etcd_release.install_path }}/etcdctl version"
  changed_when: false

- name: Download once on the controller, from an internal mirror
  quorum.etcd.release:
    version: 3.5.17
    state: downloaded
    base_url: https://mirror.example.com/etcd
    download_dir: "{{ playbook_dir }}/.cache/etcd"
  delegate_to: localhost
  run_once: true
  register: etcd_download

- name: Copy the tarball to the hosts
  ansible.builtin.copy:
    src: "{{ etcd_download.tarball }}"
    dest: /var/cache/etcd/
    mode: "0644"

- name: Install it from the copied tarball
  quorum.etcd.release:
    version: 3.5.17
    src: "/var/cache/etcd/{{ etcd_download.tarball | basename }}"
    checksum: "{{ etcd_download.checksum }}"
'''

RETURN = r'''
version:
  description: The version, without a leading V(v).
  returned: always
  type: str
  sample: 3.5.17
arch:
  description: The architecture of the release.
  returned: always
  type: str
  sample: amd64
install_path:
  description: The versioned directory that holds (or would hold) the binaries.
  returned: always
  type: str
  sample: /opt/etcd/v3.5.17
binaries:
  description:
    - Each binary of the release, mapped to its stable path in O(bin_dir).
    - The stable paths point at this version only when O(link=true); otherwise use RV(install_path).
  returned: when O(state=present)
  type: dict
  sample: {"etcd": "/usr/local/bin/etcd", "etcdctl": "/usr/local/bin/etcdctl", "etcdutl": "/usr/local/bin/etcdutl"}
checksum:
  description:
    - SHA-256 of the tarball the release was (or, in check mode, will be) verified with.
    - Null in check mode when it would first have to be downloaded.
  returned: always
  type: str
  sample: 8e42593a81abff8d9d247d257d069ffbac36be557a70994a3e21c5d38a18072c
tarball:
  description:
    - Path of the verified tarball; with O(state=downloaded) it stays in O(download_dir).
    - With O(src), the O(src) path. Null when a temporary download was removed after installing.
  returned: always
  type: str
  sample: /var/cache/etcd/etcd-v3.5.17-linux-amd64.tar.gz
downloaded:
  description: Whether the tarball was downloaded during this run.
  returned: always
  type: bool
  sample: true
actions:
  description: What the module did, or would do in check mode, one sentence each.
  returned: always
  type: list
  elements: str
  sample: ["download https://github.com/etcd-io/etcd/releases/download/v3.5.17/etcd-v3.5.17-linux-amd64.tar.gz",
           "install /opt/etcd/v3.5.17", "link /usr/local/bin/etcd -> /opt/etcd/v3.5.17/etcd"]
'''

import errno
import hashlib
import json
import os
import platform
import re
import shutil
import tarfile
import tempfile
import zlib
from http.client import HTTPException
from urllib.error import HTTPError, URLError

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.urls import open_url
from ansible_collections.quorum.etcd.plugins.module_utils.machine_lock import machine_lock

MARKER = '.quorum-etcd-release.json'
BINARIES = ('etcd', 'etcdctl', 'etcdutl')
REQUIRED_BINARIES = ('etcd', 'etcdctl')
MACHINE_ARCH = {'x86_64': 'amd64', 'amd64': 'amd64', 'aarch64': 'arm64', 'arm64': 'arm64',
                'ppc64le': 'ppc64le', 's390x': 's390x'}
CHUNK = 1024 * 1024


def sha256_file(path):
    digest = hashlib.sha256()
    with open(path, 'rb') as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b''):
            digest.update(chunk)
    return digest.hexdigest()


def _safe_parts(name):
    """Path components of a tar member, or None when it would escape the target directory."""
    parts = [p for p in name.replace('\\', '/').split('/') if p not in ('', '.')]
    if name.startswith('/') or '..' in parts:
        return None
    return parts


class Release(object):

    def __init__(self, module):
        self.module = module
        p = module.params
        self.check_mode = module.check_mode
        self.version = self._version(p['version'])
        self.checksum = self._checksum(p['checksum'])
        self.arch = p['arch'] or self._machine_arch()
        self.name = 'etcd-v%s-linux-%s' % (self.version, self.arch)
        self.tarball_name = self.name + '.tar.gz'
        self.release_url = '%s/v%s' % (p['base_url'].rstrip('/'), self.version)
        self.download_dir = p['download_dir']
        self.install_dir = os.path.normpath(p['install_dir'])
        self.install_path = os.path.join(self.install_dir, 'v' + self.version)
        self.bin_dir = p['bin_dir']
        self.kept_tarball = os.path.join(self.download_dir, self.tarball_name)
        self.actions = []
        self.downloaded = False
        self._created_dirs = []  # removed again if the run fails
        self._temp_paths = []

    # -- validation ---------------------------------------------------------

    def _version(self, version):
        match = re.match(r'^v?(\d+\.\d+\.\d+)$', version.strip())
        if not match:
            self.module.fail_json(
                msg="version must be an exact etcd release like 3.5.17 (or v3.5.17), got %r. Moving targets such as "
                    "'latest' or '3.5' are refused so that every host installs the same binaries." % version)
        return match.group(1)

    def _checksum(self, checksum):
        if checksum is None:
            return None
        value = checksum.strip().lower()
        if value.startswith('sha256:'):
            value = value[len('sha256:'):]
        if not re.match(r'^[0-9a-f]{64}$', value):
            self.module.fail_json(msg='checksum must be a SHA-256 as 64 hex digits (optionally prefixed with '
                                      'sha256:), got %r.' % checksum)
        return value

    def _machine_arch(self):
        machine = platform.machine()
        if machine not in MACHINE_ARCH:
            self.module.fail_json(msg='etcd publishes no release for this CPU (%s); set arch to one of %s if you '
                                      'know better.' % (machine, ', '.join(sorted(set(MACHINE_ARCH.values())))))
        return MACHINE_ARCH[machine]

    # -- files and failures -------------------------------------------------

    def fail(self, msg):
        self.cleanup(failed=True)
        self.module.fail_json(msg=msg, version=self.version, actions=self.actions)

    def cleanup(self, failed=False):
        for path in self._temp_paths:
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path, ignore_errors=True)
            elif os.path.lexists(path):
                os.unlink(path)
        self._temp_paths = []
        if failed:
            for path in reversed(self._created_dirs):
                try:
                    os.rmdir(path)  # only if still empty
                except OSError:
                    pass

    def makedirs(self, path):
        missing = []
        head = os.path.abspath(path)
        while not os.path.exists(head):
            missing.append(head)
            head = os.path.dirname(head)
        for directory in reversed(missing):
            try:
                os.mkdir(directory, 0o755)
            except OSError as e:
                if e.errno != errno.EEXIST:
                    self.fail('Could not create directory %s: %s.' % (directory, e))
                continue
            self._created_dirs.append(directory)

    def chown_root(self, path):
        if os.geteuid() == 0:
            os.lchown(path, 0, 0)

    # -- download -----------------------------------------------------------

    def _open(self, url):
        try:
            return open_url(url, timeout=self.module.params['timeout'],
                            validate_certs=self.module.params['validate_certs'],
                            http_agent='ansible-quorum.etcd', use_netrc=False)
        except HTTPError as e:
            if e.code == 404:
                self.fail('etcd v%s for linux-%s was not found: %s answered 404 Not Found. Check that the version '
                          'exists (https://github.com/etcd-io/etcd/releases) and that base_url and arch are right.'
                          % (self.version, self.arch, url))
            self.fail('Downloading %s failed: HTTP %s %s.' % (url, e.code, e.reason))
        except URLError as e:
            self.fail('Could not download %s: %s. Check base_url and the network, or install from a local '
                      'tarball with src and checksum.' % (url, e.reason))
        except (OSError, HTTPException, ValueError) as e:
            self.fail('Could not download %s: %s. Check base_url and the network.' % (url, e))

    def expected_checksum(self):
        """The pinned checksum, else the one the release's SHA256SUMS lists for our tarball."""
        if self.checksum:
            return self.checksum
        url = self.release_url + '/SHA256SUMS'
        try:
            text = self._open(url).read().decode('utf-8', 'replace')
        except (OSError, HTTPException) as e:
            self.fail('Could not read %s: %s.' % (url, e))
        for line in text.splitlines():
            fields = line.split()
            if len(fields) == 2 and fields[1].lstrip('*') == self.tarball_name:
                return fields[0].lower()
        self.fail('%s lists no checksum for %s: etcd may not publish this release for linux-%s.'
                  % (url, self.tarball_name, self.arch))

    def download(self, expected):
        """Download the tarball to a temporary file in download_dir and verify it; returns its path."""
        url = '%s/%s' % (self.release_url, self.tarball_name)
        response = self._open(url)
        self.makedirs(self.download_dir)
        fd, path = tempfile.mkstemp(prefix='.%s.' % self.tarball_name, suffix='.part', dir=self.download_dir)
        self._temp_paths.append(path)
        digest = hashlib.sha256()
        try:
            with os.fdopen(fd, 'wb') as out:
                for chunk in iter(lambda: response.read(CHUNK), b''):
                    digest.update(chunk)
                    out.write(chunk)
        except (OSError, HTTPException) as e:
            self.fail('Downloading %s failed part way: %s.' % (url, e))
        if digest.hexdigest() != expected:
            self.fail('Checksum mismatch for %s: its sha256 is %s but %s was expected (from %s). The download is '
                      'corrupt or the mirror was tampered with; nothing was installed.'
                      % (url, digest.hexdigest(), expected, 'checksum' if self.checksum else 'SHA256SUMS'))
        self.downloaded = True
        self.actions.append('download %s' % url)
        return path

    def kept_checksum(self):
        """Checksum of a tarball verified and kept in download_dir earlier, or None."""
        sidecar = self.kept_tarball + '.sha256'
        try:
            with open(sidecar) as handle:
                recorded = handle.read().split()[0].lower()
        except (OSError, IndexError):
            return None
        if self.checksum and recorded != self.checksum:
            return None
        if not os.path.isfile(self.kept_tarball) or sha256_file(self.kept_tarball) != recorded:
            return None
        return recorded

    # -- install ------------------------------------------------------------

    def installed(self):
        """The marker of this version when it is fully installed (and matches a pinned checksum), else None."""
        try:
            with open(os.path.join(self.install_path, MARKER)) as handle:
                marker = json.load(handle)
        except (OSError, ValueError):
            return None
        binaries = marker.get('binaries') or []
        if marker.get('version') != self.version or not marker.get('sha256'):
            return None
        if any(b not in binaries for b in REQUIRED_BINARIES):
            return None
        for binary in binaries:
            path = os.path.join(self.install_path, binary)
            if not (os.path.isfile(path) and os.access(path, os.X_OK)):
                return None
        if self.checksum and marker['sha256'] != self.checksum:
            return None
        return marker

    def _extract(self, tarball, target):
        """Unpack the release's files into target; returns the etcd binaries found."""
        try:
            with tarfile.open(tarball, 'r:gz') as tar:
                members = [m for m in tar.getmembers() if _safe_parts(m.name)]
                unsafe = [m.name for m in tar.getmembers() if _safe_parts(m.name) is None]
                if unsafe:
                    self.fail('%s holds paths outside its directory (%s); refusing to unpack it.'
                              % (tarball, ', '.join(unsafe[:3])))
                # Upstream tarballs hold everything under etcd-vX.Y.Z-linux-ARCH/: strip that top directory.
                tops = set(_safe_parts(m.name)[0] for m in members)
                strip = 1 if len(tops) == 1 and any(len(_safe_parts(m.name)) > 1 for m in members) else 0
                found = set()
                for member in members:
                    parts = _safe_parts(member.name)[strip:]
                    if not parts:
                        continue
                    dest = os.path.join(target, *parts)
                    if member.isdir():
                        if not os.path.isdir(dest):
                            os.makedirs(dest, 0o755)
                    elif member.isfile():  # links and devices are not part of a release
                        if not os.path.isdir(os.path.dirname(dest)):
                            os.makedirs(os.path.dirname(dest), 0o755)
                        binary = len(parts) == 1 and parts[0] in BINARIES
                        source = tar.extractfile(member)
                        with open(dest, 'wb') as out:
                            shutil.copyfileobj(source, out, CHUNK)
                        os.chmod(dest, 0o755 if binary or member.mode & 0o111 else 0o644)
                        if binary:
                            found.add(parts[0])
        except (tarfile.TarError, EOFError, OSError, zlib.error) as e:
            self.fail('Could not unpack %s into %s: %s. Nothing was installed.' % (tarball, target, e))
        return found

    def install(self, tarball, checksum, source):
        """Unpack next to the target, then rename the whole directory into place."""
        self.makedirs(self.install_dir)
        staging = tempfile.mkdtemp(prefix='.v%s.' % self.version, suffix='.tmp', dir=self.install_dir)
        self._temp_paths.append(staging)
        found = self._extract(tarball, staging)
        missing = [b for b in REQUIRED_BINARIES if b not in found]
        if missing:
            self.fail('%s is not an etcd release: it lacks %s (expected %s/etcd and %s/etcdctl). Nothing was '
                      'installed.' % (tarball, ' and '.join(missing), self.name, self.name))
        with open(os.path.join(staging, MARKER), 'w') as handle:
            json.dump(dict(version=self.version, arch=self.arch, sha256=checksum, source=source,
                           binaries=sorted(found)), handle, indent=2, sort_keys=True)
            handle.write('\n')
        os.chmod(os.path.join(staging, MARKER), 0o644)
        os.chmod(staging, 0o755)
        for root, dirs, files in os.walk(staging):
            for name in dirs + files:
                self.chown_root(os.path.join(root, name))
        self.chown_root(staging)
        replaced = None
        if os.path.lexists(self.install_path):
            # An incomplete or differently verified install of this version: swap it out.
            old = tempfile.mkdtemp(prefix='.v%s.' % self.version, suffix='.old', dir=self.install_dir)
            self._temp_paths.append(old)
            replaced = os.path.join(old, 'replaced')
            os.rename(self.install_path, replaced)
        try:
            os.rename(staging, self.install_path)
        except OSError:
            if replaced:
                os.rename(replaced, self.install_path)  # put the previous install back
            raise
        self._temp_paths.remove(staging)
        self.actions.append('install %s' % self.install_path)
        return sorted(found)

    # -- links --------------------------------------------------------------

    def _ours(self, link):
        """Whether a symlink points into install_dir, so this module may remove it."""
        target = os.path.join(os.path.dirname(link), os.readlink(link))
        return os.path.normpath(target).startswith(self.install_dir + os.sep)

    def link_changes(self, binaries):
        changes = []
        for name in BINARIES:
            link = os.path.join(self.bin_dir, name)
            target = os.path.join(self.install_path, name)
            if name in binaries:
                if os.path.islink(link) and os.readlink(link) == target:
                    continue
                if os.path.isdir(link) and not os.path.islink(link):
                    self.fail('%s is a directory; cannot link it to %s. Remove it or choose another bin_dir.'
                              % (link, target))
                changes.append((link, target))
            elif os.path.islink(link) and self._ours(link):
                changes.append((link, None))  # left from a version that had this binary
        return changes

    def relink(self, changes):
        for link, target in changes:
            if target is None:
                self.actions.append('remove %s' % link)
                if not self.check_mode:
                    os.unlink(link)
                continue
            self.actions.append('link %s -> %s' % (link, target))
            if self.check_mode:
                continue
            self.makedirs(self.bin_dir)
            temp = '%s.%s.tmp' % (os.path.join(self.bin_dir, '.' + os.path.basename(link)), os.getpid())
            self._temp_paths.append(temp)
            if os.path.lexists(temp):
                os.unlink(temp)
            os.symlink(target, temp)
            self.chown_root(temp)
            os.rename(temp, link)  # atomic: the link never disappears
            self._temp_paths.remove(temp)

    # -- states -------------------------------------------------------------

    def present(self):
        src = self.module.params['src']
        marker = self.installed()
        tarball = src
        if marker:
            binaries, checksum = marker['binaries'], marker['sha256']
        elif src:
            if not os.path.isfile(src):
                self.fail('src %s does not exist on the host; copy the release tarball there first.' % src)
            checksum = sha256_file(src)
            if checksum != self.checksum:
                self.fail('Checksum mismatch for %s: its sha256 is %s but checksum is %s. Nothing was installed.'
                          % (src, checksum, self.checksum))
            binaries = self._predicted_binaries()
            if not self.check_mode:
                binaries = self.install(src, checksum, src)
            else:
                self.actions.append('install %s from %s' % (self.install_path, src))
        else:
            checksum = self.kept_checksum()
            tarball = self.kept_tarball if checksum else None
            binaries = self._predicted_binaries()
            if self.check_mode:
                if not checksum:
                    self.actions.append('download %s/%s' % (self.release_url, self.tarball_name))
                self.actions.append('install %s' % self.install_path)
            else:
                if not checksum:
                    checksum = self.expected_checksum()
                    tarball = self.download(checksum)
                binaries = self.install(tarball, checksum, '%s/%s' % (self.release_url, self.tarball_name))
                if tarball != self.kept_tarball:
                    tarball = None  # the temporary download is removed below
        if self.module.params['link']:
            self.relink(self.link_changes(binaries))
        self.cleanup()
        return dict(checksum=checksum, tarball=tarball,
                    binaries=dict((b, os.path.join(self.bin_dir, b)) for b in binaries))

    def _predicted_binaries(self):
        """Binaries an uninstalled release will have: etcdutl came with 3.5."""
        major, minor = [int(x) for x in self.version.split('.')[:2]]
        return list(BINARIES) if (major, minor) >= (3, 5) else list(REQUIRED_BINARIES)

    def downloaded_state(self):
        if self.module.params['src']:
            self.fail('src only applies to state=present; with state=downloaded the tarball is downloaded from '
                      'base_url.')
        checksum = self.kept_checksum()
        if not checksum:
            if self.check_mode:
                self.actions.append('download %s/%s' % (self.release_url, self.tarball_name))
            else:
                checksum = self.expected_checksum()
                temp = self.download(checksum)
                with open(temp + '.sha256', 'w') as handle:
                    handle.write('%s  %s\n' % (checksum, self.tarball_name))
                self._temp_paths.append(temp + '.sha256')
                os.chmod(temp, 0o644)
                # The tarball first, then its .sha256: a kept tarball is only trusted with both.
                os.rename(temp, self.kept_tarball)
                os.rename(temp + '.sha256', self.kept_tarball + '.sha256')
                self._temp_paths = [p for p in self._temp_paths if not p.startswith(temp)]
        self.cleanup()
        return dict(checksum=checksum, tarball=self.kept_tarball)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            version=dict(type='str', required=True),
            state=dict(type='str', default='present', choices=['present', 'downloaded']),
            base_url=dict(type='str', default='https://github.com/etcd-io/etcd/releases/download'),
            arch=dict(type='str', choices=['amd64', 'arm64', 'ppc64le', 's390x']),
            checksum=dict(type='str'),
            src=dict(type='path'),
            download_dir=dict(type='path', default='/var/cache/etcd'),
            install_dir=dict(type='path', default='/opt/etcd'),
            bin_dir=dict(type='path', default='/usr/local/bin'),
            link=dict(type='bool', default=True),
            timeout=dict(type='float', default=30),
            validate_certs=dict(type='bool', default=True),
        ),
        required_by=dict(src='checksum'),
        supports_check_mode=True,
    )
    release = Release(module)
    try:
        # Instances on one machine install into the same directories: one at a time.
        with machine_lock(take=not module.check_mode):
            if module.params['state'] == 'downloaded':
                result = release.downloaded_state()
            else:
                result = release.present()
    except (OSError, IOError) as e:
        release.fail('Installing etcd v%s failed: %s. Temporary files were removed; fix the cause and run again.'
                     % (release.version, e))
    module.exit_json(changed=bool(release.actions), version=release.version, arch=release.arch,
                     install_path=release.install_path, downloaded=release.downloaded,
                     actions=release.actions, **result)


if __name__ == '__main__':
    main()
