#!/usr/bin/env python3
"""A real S3-compatible server for the tests: moto's server, with request signatures checked.

    s3_server.py start --bind 10.213.10.1 --port 9000 --state .cache/run/s3-NAME.json --bucket etcd-backups
    s3_server.py stop --state .cache/run/s3-NAME.json

start runs moto_server in the background (its pid in <state>.pid, its log in <state>.log),
lets through only the first three requests unauthenticated (INITIAL_NO_AUTH_ACTION_COUNT): they
create an IAM user, its access key and a policy allowing S3. Every later request must carry a valid
AWS Signature V4 of that key. The bucket is then created with the key, and start proves that a request
signed with a wrong secret is refused before it writes the state file: {url, bucket, region,
access_key, secret_key}. stop ends the server and removes the state and pid files; it is safe to run
when nothing runs.
"""

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time

import boto3
import botocore.config
import botocore.exceptions

REGION = "us-east-1"
POLICY = {"Version": "2012-10-17",
          "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}


def client(service, url, key, secret):
    return boto3.client(service, endpoint_url=url, region_name=REGION, aws_access_key_id=key,
                        aws_secret_access_key=secret,
                        config=botocore.config.Config(s3={"addressing_style": "path"},
                                                      retries={"max_attempts": 1}))


def wait_port(host, port, process, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if process.poll() is not None:
            raise SystemExit("moto_server exited with %s" % process.returncode)
        try:
            with socket.create_connection((host, port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("moto_server did not listen on %s:%d within %ds" % (host, port, timeout))


def start(args):
    pidfile, log = args.state + ".pid", args.state + ".log"
    if os.path.exists(pidfile):
        stop(args)
    os.makedirs(os.path.dirname(os.path.abspath(args.state)), exist_ok=True)
    moto = os.path.join(os.path.dirname(sys.executable), "moto_server")
    env = dict(os.environ, INITIAL_NO_AUTH_ACTION_COUNT="3", AWS_DEFAULT_REGION=REGION)
    with open(log, "ab") as out:
        process = subprocess.Popen([moto, "-H", args.bind, "-p", str(args.port)], stdout=out,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                                   start_new_session=True)
    with open(pidfile, "w") as f:
        f.write("%d\n" % process.pid)
    try:
        wait_port(args.bind, args.port, process)
        url = "http://%s:%d" % (args.bind, args.port)
        # The three unauthenticated requests; any credentials do for them.
        iam = client("iam", url, "bootstrap", "bootstrap")
        iam.create_user(UserName="etcd-backup")
        key = iam.create_access_key(UserName="etcd-backup")["AccessKey"]
        iam.put_user_policy(UserName="etcd-backup", PolicyName="s3", PolicyDocument=json.dumps(POLICY))
        access_key, secret_key = key["AccessKeyId"], key["SecretAccessKey"]

        client("s3", url, access_key, secret_key).create_bucket(Bucket=args.bucket)
        try:
            client("s3", url, access_key, secret_key + "x").list_objects_v2(Bucket=args.bucket)
        except botocore.exceptions.ClientError as e:
            refused = e.response["Error"]["Code"]
        else:
            raise SystemExit("moto_server accepted a request signed with a wrong secret: signatures are not checked")
        if refused != "SignatureDoesNotMatch":
            raise SystemExit("a wrong secret was refused with %s, not SignatureDoesNotMatch" % refused)
    except BaseException:
        stop(args)
        raise
    state = dict(url=url, bucket=args.bucket, region=REGION, access_key=access_key, secret_key=secret_key,
                 pid=process.pid)
    with open(args.state, "w") as f:
        os.fchmod(f.fileno(), 0o600)
        json.dump(state, f)
    print("moto_server %s pid %d, bucket %s, wrong secret refused with %s" % (url, process.pid, args.bucket, refused))


def stop(args):
    pidfile = args.state + ".pid"
    try:
        with open(pidfile) as f:
            pid = int(f.read().strip())
    except (OSError, ValueError):
        pid = None
    if pid:
        try:
            os.killpg(pid, signal.SIGTERM)  # its own session: moto's worker threads go with it
            for _ in range(50):
                os.kill(pid, 0)
                time.sleep(0.1)
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        print("stopped moto_server pid %d" % pid)
    for path in (pidfile, args.state):
        if os.path.exists(path):
            os.unlink(path)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=["start", "stop"])
    parser.add_argument("--state", required=True, help="JSON file with the URL and credentials")
    parser.add_argument("--bind", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--bucket", default="etcd-backups")
    args = parser.parse_args()
    start(args) if args.action == "start" else stop(args)


if __name__ == "__main__":
    main()
