"""A real S3 API for the lakehouse tests: moto's server (`moto[server]`, in a venv of its own that
`make test-lakehouse` builds beside .venv-lakehouse) on a free loopback port, stopped afterwards.

moto checks every request's signature once its first SETUP_ACTIONS requests have created an IAM
user and its access key: the lake then works only with that user's credentials, and a wrong
secret is refused (403) as S3 refuses it. The tests look at the bucket through boto3, which moto
brings, run in moto's venv: a view of the bucket that does not go through DuckDB.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from tests.lakehouse.postgres import free_port

REGION = "us-east-1"
# CreateUser, CreateAccessKey, PutUserPolicy: moto answers these unsigned, then checks signatures.
SETUP_ACTIONS = 3
CLIENT = """
import json, os, sys
import boto3

command, *args = sys.argv[1:]
endpoint, region = os.environ["MOTO_ENDPOINT"], os.environ["AWS_DEFAULT_REGION"]
if command == "user":
    iam = boto3.client("iam", endpoint_url=endpoint, region_name=region)
    iam.create_user(UserName="lake")
    key = iam.create_access_key(UserName="lake")["AccessKey"]
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
    iam.put_user_policy(UserName="lake", PolicyName="lake", PolicyDocument=json.dumps(policy))
    print(json.dumps([key["AccessKeyId"], key["SecretAccessKey"]]))
    sys.exit()
s3 = boto3.client("s3", endpoint_url=endpoint, region_name=region)
if command == "create-bucket":
    s3.create_bucket(Bucket=args[0])
elif command == "objects":
    # Every object's key, and whether its bytes hold the secret the client signs with.
    secret = os.environ["AWS_SECRET_ACCESS_KEY"].encode()
    found = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=args[0]):
        for item in page.get("Contents", []):
            found[item["Key"]] = secret in s3.get_object(Bucket=args[0], Key=item["Key"])["Body"].read()
    print(json.dumps(found))
"""


class S3Server:
    """One running moto server and the IAM user's credentials (`key_id`, `secret`) it accepts."""

    def __init__(self, python: Path) -> None:
        self.python = python
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="trackerlake-s3-"))
        self.log = self.root / "log"
        self.key_id = self.secret = ""
        self._process: subprocess.Popen | None = None

    @property
    def endpoint(self) -> str:
        """host:port, as `lakehouse.s3.endpoint` takes it."""
        return f"127.0.0.1:{self.port}"

    def start(self) -> S3Server:
        env = {**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": str(SETUP_ACTIONS)}
        with self.log.open("wb") as log:
            self._process = subprocess.Popen(
                [str(self.python), "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if self._process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"moto's server did not start: {self.log.read_text()[-2000:]}"
                    ) from None
                time.sleep(0.2)
        self.key_id, self.secret = json.loads(self._client("user", key_id="setup", secret="setup"))
        return self

    def _client(self, *args: str, key_id: str | None = None, secret: str | None = None) -> str:
        env = {
            **os.environ,
            "MOTO_ENDPOINT": f"http://{self.endpoint}",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ACCESS_KEY_ID": key_id or self.key_id,
            "AWS_SECRET_ACCESS_KEY": secret or self.secret,
        }
        ended = subprocess.run(
            [str(self.python), "-c", CLIENT, *args], env=env, capture_output=True, text=True, timeout=120
        )
        if ended.returncode != 0:
            raise RuntimeError(f"boto3 {args[0]}: {ended.stderr[-2000:]}")
        return ended.stdout

    def create_bucket(self, name: str) -> None:
        self._client("create-bucket", name)

    def objects(self, bucket: str) -> dict[str, bool]:
        """The bucket's keys, each with whether its bytes hold the secret."""
        return json.loads(self._client("objects", bucket))

    def stop(self) -> None:
        try:
            if self._process is not None:
                self._process.terminate()
                self._process.wait(timeout=30)
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
