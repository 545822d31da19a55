#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) quorum.etcd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: container_image
short_description: Make the etcd image of one release present and name it in the member's unit settings
version_added: 0.1.0
description:
  - For members that run etcd in a container (the server role's C(etcd_runtime=podman) or C(docker)).
  - Without O(repository), builds the image C(localhost/quorum-etcd:vX.Y.Z) from the release installed under
    O(install_dir)/vX.Y.Z (the binaries the release module verified), so the container runs the same etcd as the
    host's C(etcdctl) and C(etcdutl); no registry is needed.
  - With O(repository), pulls O(repository):vX.Y.Z, for example C(gcr.io/etcd-development/etcd), whose images keep
    C(etcd) in C(/usr/local/bin) as the built ones do.
  - Writes C(QUORUM_ETCD_IMAGE=<image>) into O(env_file), which the unit reads at each start; a new image takes
    effect at the member's next restart, as new links do for etcd on the host.
author:
  - quorum.etcd contributors (@quorum-etcd)
attributes:
  check_mode:
    description: Reports whether the image would be built or pulled (RV(made)) and the file written, changing nothing.
    support: full
  diff_mode:
    description: No diff is returned.
    support: none
options:
  version:
    description: The etcd release, X.Y.Z.
    type: str
    required: true
  engine:
    description: The container engine's command on the host.
    type: str
    choices: [podman, docker]
    default: podman
  repository:
    description: An image repository to pull C(<repository>:vX.Y.Z) from; empty builds the image from the release.
    type: str
    default: ''
  install_dir:
    description: Where the release module unpacked the releases.
    type: path
    default: /opt/etcd
  env_file:
    description: The file naming the image for the unit, C(<config dir>/container.env).
    type: path
    required: true
'''

EXAMPLES = r'''
- name: Build the image of etcd 3.6.16 and name it for the member's next start
  quorum.etcd.container_image:
    version: 3.6.16
    env_file: /etc/etcd/container.env
'''

RETURN = r'''
image:
  description: The image the member starts from at its next start.
  returned: always
  type: str
  sample: localhost/quorum-etcd:v3.6.16
made:
  description: How the image came to the host in this run, C(built), C(pulled), or empty when it was there.
  returned: always
  type: str
'''

import io
import os
import tarfile

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.quorum.etcd.plugins.module_utils.atomic_file import write_atomically
from ansible_collections.quorum.etcd.plugins.module_utils.machine_lock import machine_lock

LOCAL_REPOSITORY = 'localhost/quorum-etcd'
BINARIES = ('etcd', 'etcdctl', 'etcdutl')


def image_name(repository, version):
    return '%s:v%s' % (repository or LOCAL_REPOSITORY, version)


def release_tar(release_dir):
    """The image's only layer: the release's binaries in /usr/local/bin, where etcd's own images keep them."""
    if not os.path.isfile(os.path.join(release_dir, 'etcd')):
        raise ValueError('%s holds no etcd binary: install the release first (quorum.etcd.release)' % release_dir)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode='w') as tar:
        for directory in ('usr', 'usr/local', 'usr/local/bin', 'tmp'):
            info = tarfile.TarInfo(directory)
            info.type = tarfile.DIRTYPE
            info.mode = 0o1777 if directory == 'tmp' else 0o755
            tar.addfile(info)
        for name in BINARIES:
            path = os.path.join(release_dir, name)
            if os.path.isfile(path):
                tar.add(path, arcname='usr/local/bin/' + name, recursive=False)
    return buffer.getvalue()


def env_file_text(image):
    return '# The image the etcd unit starts (quorum.etcd.container_image).\nQUORUM_ETCD_IMAGE=%s\n' % image


def ensure_image(module, engine, image, repository, release_dir):
    """Return how the image came here: '' when present, else 'built' or 'pulled' (check mode: would be)."""
    rc, _out, _err = module.run_command([engine, 'image', 'inspect', image])
    if rc == 0:
        return ''
    made = 'pulled' if repository else 'built'
    if module.check_mode:
        return made
    if repository:
        rc, out, err = module.run_command([engine, 'pull', image])
    else:
        rc, out, err = module.run_command([engine, 'import', '--change', 'CMD ["/usr/local/bin/etcd"]', '-', image],
                                          data=release_tar(release_dir), binary_data=True)
    if rc != 0:
        module.fail_json(msg='%s could not %s the image %s: %s' % (engine, 'pull' if repository else 'build', image,
                                                                   (err or out).strip()))
    return made


def main():
    module = AnsibleModule(
        argument_spec=dict(
            version=dict(type='str', required=True),
            engine=dict(type='str', choices=['podman', 'docker'], default='podman'),
            repository=dict(type='str', default=''),
            install_dir=dict(type='path', default='/opt/etcd'),
            env_file=dict(type='path', required=True),
        ),
        supports_check_mode=True,
    )
    p = module.params
    engine = module.get_bin_path(p['engine'], required=True)
    image = image_name(p['repository'], p['version'])
    release_dir = os.path.join(p['install_dir'], 'v' + p['version'])
    # Members on one machine share the image store.
    with machine_lock(take=not module.check_mode):
        try:
            made = ensure_image(module, engine, image, p['repository'], release_dir)
        except ValueError as e:
            module.fail_json(msg=str(e))
    text = env_file_text(image)
    try:
        with open(p['env_file']) as current:
            env_changed = current.read() != text
    except (IOError, OSError):
        env_changed = True
    if env_changed and not module.check_mode:
        write_atomically(p['env_file'], text.encode('utf-8'), os.getuid(), os.getgid(), 0o644)
    module.exit_json(changed=bool(made) or env_changed, image=image, made=made)


if __name__ == '__main__':
    main()
