"""Which task engine carries face analysis: procrastinate (PostgreSQL), Dramatiq (Redis), Celery (RabbitMQ).

Each engine, in the same run, with the same job (it writes the time it started to a file named by its
token, sleeps for the job's seconds, then writes that it finished) and two worker processes of one job at a
time each, as face-engine workers would run:

- dispatch latency: 40 no-op jobs one after the other, from the moment the job is handed to the engine to
  the moment a worker starts it (p50, p95);
- throughput: 500 no-op jobs handed over at once, until the last one has run (jobs/s);
- a worker killed mid-job: a 2 s job starts, its worker is SIGKILLed, a fresh worker is started; the time
  from the kill to the job finishing elsewhere, and how many times it started (1 lost, 2 taken up again).

Each engine is run as its documented way of not losing a job: procrastinate with its worker heartbeats,
the stalled jobs of a worker gone silent retried by the surviving worker (what `registry worker` does);
Dramatiq's Redis broker with its heartbeat (a dead worker's messages go back after ``heartbeat_timeout``);
Celery on RabbitMQ with ``acks_late`` and ``reject_on_worker_lost`` (the message goes back when the
connection of the dead worker closes), its prefork pool of one process (``BENCH_CELERY_POOL=solo``: the job in
the worker's own process). Figures are compared as ratios to procrastinate's in the same run.

Run from the repository root:  .venv/bin/python -m benchmarks.queue_engines [--quick]
(needs PostgreSQL on TEST_DATABASE_URL, Redis on 127.0.0.1:6379 and RabbitMQ on 127.0.0.1:5672, guest/guest)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from benchmarks.load import percentile
from benchmarks.machine import OtherLoad, machine

MARKS = Path(os.environ.get("BENCH_QUEUE_MARKS", tempfile.gettempdir()))
PG_URL = os.environ.get("BENCH_QUEUE_PG", "")
REDIS_URL = os.environ.get("BENCH_QUEUE_REDIS", "redis://127.0.0.1:6379/7")
AMQP_URL = os.environ.get("BENCH_QUEUE_AMQP", "amqp://guest:guest@127.0.0.1:5672//")
STALLED_AFTER = 3.0  # seconds without a heartbeat before a worker's jobs are taken up again (all engines)


def mark(token: str, seconds: float) -> None:
    """The job every engine runs."""
    with (MARKS / f"{token}.start").open("a") as out:
        out.write(f"{time.time()}\n")
    if seconds:
        time.sleep(seconds)
        with (MARKS / f"{token}.done").open("a") as out:
            out.write(f"{time.time()}\n")


# ---- procrastinate ----------------------------------------------------------------------------------


def procrastinate_app():  # noqa: ANN201
    import procrastinate

    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=PG_URL))
    app.task(name="mark", queue="bench", retry=False)(mark)
    return app


async def _procrastinate_worker() -> None:
    app = procrastinate_app()
    async with app.open_async():

        async def rescue() -> None:
            while True:
                await asyncio.sleep(1.0)
                for job in await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=STALLED_AFTER):
                    await app.job_manager.retry_job(job)

        rescuing = asyncio.create_task(rescue())
        try:
            await app.run_worker_async(
                queues=["bench"],
                concurrency=1,
                update_heartbeat_interval=1.0,
                stalled_worker_timeout=STALLED_AFTER,
                install_signal_handlers=True,
            )
        finally:
            rescuing.cancel()


# ---- Dramatiq ---------------------------------------------------------------------------------------


def dramatiq_broker():  # noqa: ANN201
    import dramatiq
    from dramatiq.brokers.redis import RedisBroker

    broker = RedisBroker(url=REDIS_URL, heartbeat_timeout=int(STALLED_AFTER * 1000))
    dramatiq.set_broker(broker)
    dramatiq.actor(mark, actor_name="mark", queue_name="bench", max_retries=0)
    return broker


def _dramatiq_worker() -> None:
    from dramatiq import Worker

    broker = dramatiq_broker()
    worker = Worker(broker, worker_threads=1, worker_timeout=100)
    worker.start()
    signal.sigwait({signal.SIGTERM, signal.SIGINT})
    worker.stop()


# ---- Celery -----------------------------------------------------------------------------------------


def celery_app():  # noqa: ANN201
    from celery import Celery

    app = Celery("bench", broker=AMQP_URL)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_default_queue="bench",
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
    )
    app.task(name="mark")(mark)
    return app


def _celery_worker() -> None:
    # prefork: the job in a child process of the worker (its `solo` pool stalled about a second on many jobs here)
    pool = os.environ.get("BENCH_CELERY_POOL", "prefork")
    celery_app().worker_main(["worker", "-P", pool, "-c", "1", "--loglevel=WARNING", "--without-mingle", "-Q", "bench"])


# ---- the measurements -------------------------------------------------------------------------------


class Engine:
    def __init__(self, name: str) -> None:
        self.name = name
        self.workers: list[subprocess.Popen[bytes]] = []
        if name == "procrastinate":
            self._app = procrastinate_app()
            self._app.open()
            self._task = self._app.tasks["mark"]
        elif name == "dramatiq":
            self._broker = dramatiq_broker()
            self._broker.flush_all()
            import dramatiq

            self._actor = dramatiq.get_broker().get_actor("mark")
        else:
            self._celery = celery_app()
            self._celery.control.purge()

    def send(self, token: str, seconds: float = 0.0) -> None:
        if self.name == "procrastinate":
            self._task.defer(token=token, seconds=seconds)
        elif self.name == "dramatiq":
            self._actor.send(token, seconds)
        else:
            self._celery.send_task("mark", args=(token, seconds), queue="bench")

    def purge(self) -> None:
        if self.name == "procrastinate":
            self._app.connector.get_sync_connector().execute_query(
                query="DELETE FROM procrastinate_jobs WHERE status = 'todo'"
            )
        elif self.name == "dramatiq":
            self._broker.flush_all()
        else:
            self._celery.control.purge()

    def start_worker(self) -> subprocess.Popen[bytes]:
        env = {**os.environ, "BENCH_QUEUE_MARKS": str(MARKS), "BENCH_QUEUE_PG": PG_URL}
        worker = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.queue_engines", "--worker", self.name],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.workers.append(worker)
        return worker

    def close(self) -> None:
        for worker in self.workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
        for worker in self.workers:
            try:
                worker.wait(10)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
        if self.name == "procrastinate":
            self._app.close()


def wait_for(condition: Callable[[], bool], timeout: float, step: float = 0.002) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return False


def started_at(token: str) -> list[float]:
    path = MARKS / f"{token}.start"
    return [float(x) for x in path.read_text().split()] if path.exists() else []


def measure(name: str, *, latency_jobs: int, throughput_jobs: int) -> dict[str, float]:
    engine = Engine(name)
    try:
        for _ in range(2):
            engine.start_worker()
        warm = uuid.uuid4().hex
        engine.send(warm)
        if not wait_for(lambda: bool(started_at(warm)), 60):
            raise SystemExit(f"{name}: no worker ran a job within 60 s")
        latencies = []
        for _ in range(latency_jobs):
            token = uuid.uuid4().hex
            sent = time.time()
            engine.send(token)
            wait_for(lambda t=token: bool(started_at(t)), 30)  # type: ignore[misc]
            latencies.append(started_at(token)[0] - sent)
        tokens = [uuid.uuid4().hex for _ in range(throughput_jobs)]
        began = time.perf_counter()
        for token in tokens:
            engine.send(token)
        wait_for(lambda: all((MARKS / f"{t}.start").exists() for t in tokens[-20:]), 300, step=0.01)
        all_ran = wait_for(lambda: all((MARKS / f"{t}.start").exists() for t in tokens), 300, step=0.01)
        throughput = throughput_jobs / (time.perf_counter() - began) if all_ran else float("nan")
        if not all_ran:  # the next measurement would wait behind what is left: start it from an empty queue
            engine.purge()
        # A worker killed mid-job: stop one worker so that the survivor is the one killed.
        spare = engine.workers.pop()
        spare.send_signal(signal.SIGTERM)
        spare.wait(30)
        victim = engine.workers[0]
        token = uuid.uuid4().hex
        engine.send(token, 2.0)
        if not wait_for(lambda: bool(started_at(token)), 60):
            raise SystemExit(f"{name}: the 2 s job did not start within 60 s")
        killed = time.time()
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        engine.start_worker()
        finished = wait_for(lambda: (MARKS / f"{token}.done").exists(), 180, step=0.05)
        done = float((MARKS / f"{token}.done").read_text().split()[0]) if finished else float("nan")
        return {
            "latency_p50": percentile(latencies, 0.5),
            "latency_p95": percentile(latencies, 0.95),
            "throughput": throughput,
            "recovery": done - killed,
            "starts": float(len(started_at(token))),
        }
    finally:
        engine.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10 latency jobs, 100 throughput jobs")
    parser.add_argument("--worker", choices=("procrastinate", "dramatiq", "celery"), help=argparse.SUPPRESS)
    parser.add_argument("--only", nargs="*", default=["procrastinate", "dramatiq", "celery"])
    args = parser.parse_args()
    if args.worker == "procrastinate":
        asyncio.run(_procrastinate_worker())
        return
    if args.worker == "dramatiq":
        _dramatiq_worker()
        return
    if args.worker == "celery":
        _celery_worker()
        return
    from benchmarks.service import fresh_postgres

    global MARKS, PG_URL
    latency_jobs, throughput_jobs = (10, 100) if args.quick else (40, 500)
    print(machine())
    results: dict[str, dict[str, float]] = {}
    with fresh_postgres() as url, tempfile.TemporaryDirectory() as marks, OtherLoad() as other:
        MARKS, PG_URL = Path(marks), url
        import procrastinate

        with procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=url)).open() as app:
            app.schema_manager.apply_schema()
        for name in args.only:
            results[name] = measure(name, latency_jobs=latency_jobs, throughput_jobs=throughput_jobs)
            print(name, {k: round(v, 4) for k, v in results[name].items()}, flush=True)
    base = results.get("procrastinate")
    print(f"\nother processes used {other.share:.0%} of the CPU meanwhile")
    print("| engine | dispatch p50 / p95 | jobs/s (2 workers) | killed worker: job finished after | started |")
    print("|---|---|---|---|---|")
    for name, r in results.items():
        ratio = f" ({r['throughput'] / base['throughput']:.2f}×)" if base and name != "procrastinate" else ""
        rate = "not all run within 300 s" if r["throughput"] != r["throughput"] else f"{r['throughput']:.0f}{ratio}"
        print(
            f"| {name} | {1000 * r['latency_p50']:.1f} / {1000 * r['latency_p95']:.1f} ms | "
            f"{rate} | {r['recovery']:.1f} s | {r['starts']:.0f}× |"
        )


if __name__ == "__main__":
    main()
