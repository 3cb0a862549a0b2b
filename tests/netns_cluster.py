"""Several hosts on one machine: each host a network namespace (``ip netns``, which needs root), joined by a veth
pair to a bridge in the root namespace, with its own address on a private /24 that this module picks unused.

On them run a PostgreSQL instance of its own (the machine's server binaries, ``PG_BIN``: initdb into a temporary
folder, as the ``postgres`` OS user, listening on its host's address only), SeaweedFS (tests/object_store.py),
API hosts (``registry serve``) and worker hosts (``registry worker``), every process with the same DATABASE_URL,
store, keys and REGISTRY_ANALYSIS=external.
The test or the benchmark runs in the root namespace and reaches each host at its address, as a proxy would.

A host is cut off by taking its link down (its TCP connections stall, as when a cable is pulled) and brought back
by taking it up. Everything made is undone at the end, whatever happened: the processes (each its own process
group, and anything else still in a namespace made here), the namespaces, the links and the bridge. Nothing of
the machine's own PostgreSQL or network set-up is touched.

Used by tests/test_cluster.py and benchmarks/cluster.py.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg

from tests.object_store import S3Server, seaweedfs
from tests.paths import ROOT

PG_BIN = max(  # the newest PostgreSQL Debian's packages installed (15 on the project's machines)
    Path("/usr/lib/postgresql").glob("*/bin"),
    key=lambda path: int(path.parent.name) if path.parent.name.isdigit() else 0,
    default=Path("/usr/lib/postgresql/15/bin"),
)
ADMIN, ADMIN_PASSWORD = "principal@district.example.org", "a long admin password"
API_PORT, PG_PORT = 8000, 5432
START_SECONDS = 180


def netns_refusal() -> str | None:
    """Why namespaces cannot be made here (not root, no ``ip``, a sandbox refusing it), or None if they can."""
    if shutil.which("ip") is None:
        return "the `ip` command (iproute2) is not installed"
    if os.geteuid() != 0:
        return "network namespaces (`ip netns add`) need root"
    probe = f"regprobe-{uuid.uuid4().hex[:6]}"
    made = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True)
    if made.returncode != 0:
        return f"`ip netns add` is not permitted here: {made.stderr.strip()}"
    subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    return None


def _ip(*args: str) -> None:
    done = subprocess.run(["ip", *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {done.stderr.strip()}")


def _unused_subnet() -> str:
    """A private /24 no interface of the machine has an address in (10.213.N.0/24)."""
    taken = subprocess.run(["ip", "-4", "-o", "addr"], capture_output=True, text=True).stdout
    for third in range(100, 250):
        if f" 10.213.{third}." not in taken:
            return f"10.213.{third}"
    raise RuntimeError("no unused 10.213.N.0/24 for the test hosts")


@dataclass
class Host:
    name: str
    namespace: str
    address: str
    link: str  # the root namespace's end of its veth pair: down cuts the host off
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def launcher(self) -> tuple[str, ...]:
        return ("ip", "netns", "exec", self.namespace)

    def start(self, command: list[str], *, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
        """``command`` on this host, in its own process group, its output in ``log``."""
        with log.open("ab") as output:
            process = subprocess.Popen(
                [*self.launcher, *command],
                cwd=ROOT,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.processes.append(process)
        return process

    def cut_off(self) -> None:
        _ip("link", "set", self.link, "down")

    def bring_back(self) -> None:
        _ip("link", "set", self.link, "up")

    def stop(self, process: subprocess.Popen[bytes], *, first: int = signal.SIGTERM, seconds: float = 30) -> None:
        if process.poll() is None:
            _signal_group(process, first)
            try:
                process.wait(seconds)
            except subprocess.TimeoutExpired:
                _signal_group(process, signal.SIGKILL)
                process.wait(10)

    def stop_all(self) -> None:
        for process in reversed(self.processes):
            self.stop(process, seconds=20)
        # Anything else still running in the namespace (it was started here, through this module) goes too.
        pids = subprocess.run(["ip", "netns", "pids", self.namespace], capture_output=True, text=True).stdout
        for pid in pids.split():
            with suppress(ProcessLookupError, ValueError):
                os.kill(int(pid), signal.SIGKILL)


def _signal_group(process: subprocess.Popen[bytes], number: int) -> None:
    with suppress(ProcessLookupError):
        os.killpg(process.pid, number)


@contextmanager
def network(names: list[str]) -> Iterator[dict[str, Host]]:
    """A host per name, each its own namespace on one bridge; all removed at the end."""
    tag = uuid.uuid4().hex[:4]
    subnet = _unused_subnet()
    bridge = f"rc{tag}br"
    hosts: dict[str, Host] = {}
    try:
        _ip("link", "add", bridge, "type", "bridge")
        _ip("addr", "add", f"{subnet}.1/24", "dev", bridge)
        _ip("link", "set", bridge, "up")
        for number, name in enumerate(names):
            host = Host(name, f"regcluster-{tag}-{name}", f"{subnet}.{10 + number}", f"rc{tag}h{number}")
            hosts[name] = host
            inside = f"rc{tag}n{number}"
            _ip("netns", "add", host.namespace)
            _ip("link", "add", host.link, "type", "veth", "peer", "name", inside, "netns", host.namespace)
            _ip("link", "set", host.link, "master", bridge, "up")
            _ip("-n", host.namespace, "addr", "add", f"{host.address}/24", "dev", inside)
            _ip("-n", host.namespace, "link", "set", inside, "up")
            _ip("-n", host.namespace, "link", "set", "lo", "up")
        yield hosts
    finally:
        for host in hosts.values():
            host.stop_all()
        for host in hosts.values():
            subprocess.run(["ip", "link", "del", host.link], capture_output=True)
            subprocess.run(["ip", "netns", "del", host.namespace], capture_output=True)
        subprocess.run(["ip", "link", "del", bridge], capture_output=True)


@contextmanager
def postgres_on(host: Host, log: Path) -> Iterator[str]:
    """A PostgreSQL 15 of its own on ``host`` (its data in a temporary folder owned by the ``postgres`` OS user,
    since initdb refuses root), trusting the hosts' /24; the URL of its empty database ``registry``."""
    folder = Path(tempfile.mkdtemp(prefix="registry-cluster-pg-"))
    as_postgres = ["setpriv", "--reuid=postgres", "--regid=postgres", "--clear-groups"]
    try:
        shutil.chown(folder, "postgres", "postgres")
        data = folder / "data"
        done = subprocess.run(
            [*as_postgres, str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "--no-sync"],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise RuntimeError(f"initdb: {done.stdout}{done.stderr}")
        subnet = host.address.rsplit(".", 1)[0]
        with (data / "pg_hba.conf").open("a") as hba:
            hba.write(f"host all all {subnet}.0/24 trust\n")
        settings = {
            "listen_addresses": host.address,
            "port": str(PG_PORT),
            "unix_socket_directories": str(folder),
            "max_connections": "200",
            "fsync": "off",  # a test's database: nothing here must survive a power cut
            "synchronous_commit": "off",
            "full_page_writes": "off",
            # A host cut off mid-transaction must not hold its row locks for the hours the OS would wait: its
            # connections are given up after about 20 s of silence, as a district's server should be set.
            "tcp_keepalives_idle": "10",
            "tcp_keepalives_interval": "2",
            "tcp_keepalives_count": "3",
            "tcp_user_timeout": "20000",
        }
        options = [part for key, value in settings.items() for part in ("-c", f"{key}={value}")]
        server = host.start([*as_postgres, str(PG_BIN / "postgres"), "-D", str(data), *options], env={}, log=log)
        admin = f"postgresql://postgres@{host.address}:{PG_PORT}/postgres"
        deadline = time.monotonic() + 60
        while True:
            try:
                with psycopg.connect(admin, autocommit=True, connect_timeout=2) as conn:
                    conn.execute("CREATE DATABASE registry")
                break
            except psycopg.OperationalError as exc:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"PostgreSQL did not start: {exc}\n{log.read_text()[-3000:]}") from exc
                time.sleep(0.3)
        try:
            yield f"postgresql://postgres@{host.address}:{PG_PORT}/registry"
        finally:
            host.stop(server, first=signal.SIGINT)  # a fast shutdown
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@dataclass
class Cluster:
    hosts: dict[str, Host]
    database_url: str
    store: S3Server
    env: dict[str, str]
    logs: Path
    servers: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    workers: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def url(self, api: str) -> str:
        return f"http://{self.hosts[api].address}:{API_PORT}"

    def start_api(self, name: str) -> str:
        host = self.hosts[name]
        env = {**self.env, "REGISTRY_DATA_DIR": str(self.logs / f"data-{name}")}
        command = [sys.executable, "-m", "scripts.cli", "serve", "--host", host.address, "--port", str(API_PORT)]
        self.servers[name] = host.start(command, env=env, log=self.logs / f"{name}.log")
        url = self.url(name)
        deadline = time.monotonic() + START_SECONDS
        while True:
            if self.servers[name].poll() is not None:
                raise RuntimeError(f"{name} stopped at start:\n{(self.logs / f'{name}.log').read_text()[-3000:]}")
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    return url
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not answer in {START_SECONDS} s")
            time.sleep(0.3)

    def start_worker(self, name: str) -> subprocess.Popen[bytes]:
        env = {**self.env, "REGISTRY_DATA_DIR": str(self.logs / f"data-{name}")}
        command = [sys.executable, "-m", "scripts.cli", "worker"]
        self.workers[name] = self.hosts[name].start(command, env=env, log=self.logs / f"{name}.log")
        return self.workers[name]

    def wait_for_workers(self, api: str, count: int) -> None:
        """Until ``count`` workers beat (their face models loaded and the queue taken up)."""
        deadline = time.monotonic() + START_SECONDS
        while httpx.get(f"{self.url(api)}/healthz", timeout=10).json().get("face_engine_workers", 0) < count:
            for name, worker in self.workers.items():
                if worker.poll() is not None:
                    raise RuntimeError(f"{name} stopped:\n{(self.logs / f'{name}.log').read_text()[-3000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{count} workers did not start in {START_SECONDS} s")
            time.sleep(0.3)

    def stop_workers(self) -> None:
        for name, worker in self.workers.items():
            self.hosts[name].stop(worker, seconds=60)
        self.workers.clear()

    def query(self, sql: str, *args: object) -> list[tuple[object, ...]]:
        with psycopg.connect(self.database_url, connect_timeout=10) as conn:
            cursor = conn.execute(sql, args)
            return cursor.fetchall() if cursor.description else []

    def sign_in(self, api: str) -> dict[str, str]:
        account = {"username": self.env["REGISTRY_ADMIN_EMAIL"], "password": self.env["REGISTRY_ADMIN_PASSWORD"]}
        token = httpx.post(f"{self.url(api)}/api/v1/auth/token", data=account, timeout=30)
        token.raise_for_status()
        return {"Authorization": f"Bearer {token.json()['access_token']}"}


@contextmanager
def cluster(folder: Path, *, apis: int = 2, workers: int = 2, **settings: str) -> Iterator[Cluster]:
    """PostgreSQL, the object store, ``apis`` API hosts (started, one after the other: the first migrates) and
    ``workers`` worker hosts (not started: ``start_worker``), each on its own namespace. ``settings`` are
    extra environment variables for every registry process."""
    api_names = [f"api-{n}" for n in range(1, apis + 1)]
    worker_names = [f"worker-{n}" for n in range(1, workers + 1)]
    folder.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        hosts = stack.enter_context(network(["postgres", "store", *api_names, *worker_names]))
        database_url = stack.enter_context(postgres_on(hosts["postgres"], folder / "postgres.log"))
        store = stack.enter_context(
            seaweedfs(folder / "store", ip=hosts["store"].address, launcher=hosts["store"].launcher)
        )
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": os.environ.get("HOME", "/root"),
            "LANG": "C.UTF-8",
            "PYTHONWARNINGS": "ignore",
            **store.env(),
            "DATABASE_URL": database_url,
            "REGISTRY_STORAGE_URL": store.fresh_url(),
            "REGISTRY_ANALYSIS": "external",
            "REGISTRY_SECRET_KEY": "cluster-hosts-" + "k" * 40,
            "REGISTRY_ADMIN_EMAIL": ADMIN,
            "REGISTRY_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "REGISTRY_WORKER_HEARTBEAT_SECONDS": "1",
            "REGISTRY_REPEAT_UPLOAD_MINUTES": "0",
            "REGISTRY_RATE_LIMIT_UPLOADS_PER_CLIENT": "0",
            "REGISTRY_RATE_LIMIT_UPLOADS_PER_ACCOUNT": "0",
            "REGISTRY_RATE_LIMIT_SIGN_IN_PER_CLIENT": "0",
            "REGISTRY_RATE_LIMIT_SIGN_IN_PER_ACCOUNT": "0",
            "REGISTRY_ANALYSIS_PROCESSES": "1",
            **settings,
        }
        running = Cluster(hosts, database_url, store, env, folder)
        for name in api_names:
            running.start_api(name)
        try:
            yield running
        finally:
            running.stop_workers()
            for name, server in running.servers.items():
                hosts[name].stop(server)
