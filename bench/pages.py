"""Latency of member pages under 50 concurrent users, against a real server.

    .venv/bin/python bench/pages.py [--database sqlite|postgres|both] [--workers 2]
                                    [--users 50] [--requests 2000] [--think 1] [--stress]

For each database: starts uvicorn on 127.0.0.1 (a free port) on a fresh database (SQLite
in a temporary folder; for PostgreSQL a disposable database `coopculture_bench` created
on 127.0.0.1:5432, or BENCH_POSTGRES_URL), loads the demo, then sends a bounded number of
requests from N concurrent users, each with its own keep-alive connection, who read each
page for a random 0.5-1.5 s (--think 1) before the next one: 50 people clicking about
once a second, far busier than real readers of a module. Prints p50/p95/p99 per page next
to the budget (DESIGN.md §6: p95 under 200 ms at 50 concurrent users on 2 cores). With
--stress, also the same users without think time (a closed loop: 50 requests always in
flight), which measures the saturation throughput rather than 50 users. The module page and
an activity page are taken from the demo content.
"""

import argparse
import http.client
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUDGET_P95_MS = 200
PAGES = {
    "home": "/",
    "coop public page": "/c/val-dorme/",
    "parcours home": "/c/val-dorme/parcours/",
    "sign-in by code": "/compte/login/code/",
    "healthz": "/healthz",
}
POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/coopculture_bench"
FIND_MODULE = (
    "from coopculture.learning.models import Module;"
    "m = Module.objects.filter(status='published').order_by('position').first();"
    "print(m.slug if m else '')"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(cmd, env) -> str:
    return subprocess.run(cmd, cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout


def wait_until_up(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the server did not start")


def measure(
    port: int,
    path: str,
    users: int,
    total: int,
    *,
    think: float = 0.0,
    headers: dict | Callable[[], dict] | None = None,
    expect: bytes = b"",
    status: int = 200,
) -> list[float]:
    """`total` GETs of `path` by `users` concurrent clients, each on its own keep-alive
    connection; returns the latencies in ms.

    `path` may hold "{n}": each request then asks for a random number (2-999) there.
    think: each user waits a random 0.5-1.5 x `think` seconds after each answer (reading
    the page) and before its first request (users do not all arrive at once); 0 is a
    closed loop without think time: 50 requests always in flight, a stress test rather
    than 50 people.
    headers: a dict, or a function called for each request's headers (a new visitor each
    time); status: the answer every request must get (302 for a redirect).
    """
    per_user = max(1, total // users)
    latencies: list[float] = []
    lock = threading.Lock()
    headers = headers or {}

    def get(conn, rng):
        # "{n}" in the path: a random number per request (pages no cache has seen).
        target = path.replace("{n}", str(rng.randint(2, 999))) if "{n}" in path else path
        conn.request("GET", target, headers=headers() if callable(headers) else headers)
        response = conn.getresponse()
        return response, response.read()

    def user(seed: int) -> None:
        rng = random.Random(seed)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine = []
        if think:
            time.sleep(rng.uniform(0, think))
        for _ in range(per_user):
            start = time.perf_counter()
            try:
                response, body = get(conn, rng)
            except (http.client.RemoteDisconnected, ConnectionResetError):
                # uvicorn closed an idle keep-alive connection just then: reconnect.
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                start = time.perf_counter()
                response, body = get(conn, rng)
            if response.status != status or expect not in body:
                raise SystemExit(f"{path} answered {response.status} (or without {expect!r})")
            mine.append((time.perf_counter() - start) * 1000)
            if think:
                time.sleep(rng.uniform(0.5 * think, 1.5 * think))
        conn.close()
        with lock:
            latencies.extend(mine)

    with ThreadPoolExecutor(max_workers=users) as pool:
        for future in [pool.submit(user, i) for i in range(users)]:
            future.result()
    return latencies


def start_server(env: dict, workers: int) -> tuple[int, subprocess.Popen]:
    """uvicorn on 127.0.0.1 (a free port) with `workers` processes; (port, process)."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "config.asgi:application", "--host", "127.0.0.1",
         "--port", str(port), "--workers", str(workers), "--log-level", "warning",
         "--no-access-log"],
        cwd=ROOT,
        env=env,
    )  # fmt: skip
    return port, server


def percentile(values: list[float], p: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def reset_postgres(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    for sql in (f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name}"):
        subprocess.run(["psql", admin, "-q", "-c", sql], check=True)


def bench_one(database: str, args) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "DJANGO_DEMO": "1", "VAR_DIR": tmp, "LOG_LEVEL": "WARNING"}
        env.pop("REDIS_URL", None)
        if database == "postgres":
            env["DATABASE_URL"] = os.environ.get("BENCH_POSTGRES_URL", POSTGRES_URL)
            reset_postgres(env["DATABASE_URL"])
        else:
            env["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
        python = sys.executable
        run([python, "manage.py", "migrate", "--no-input", "-v", "0"], env)
        run([python, "manage.py", "collectstatic", "--no-input", "-v", "0"], env)
        run([python, "manage.py", "load_demo"], env)
        pages = dict(PAGES)
        slug = run([python, "manage.py", "shell", "--no-imports", "-c", FIND_MODULE], env)
        slug = slug.strip().splitlines()[-1] if slug.strip() else ""
        if slug:
            pages["module page"] = f"/c/val-dorme/parcours/{slug}/"
            pages["activity page"] = f"/c/val-dorme/parcours/{slug}/1/"
        port, server = start_server(env, args.workers)
        worst = 0.0
        try:
            wait_until_up(port)
            print()
            print(
                f"{database}: {args.users} concurrent users (think time {args.think:g} s), "
                f"{args.requests} requests per page, {args.workers} uvicorn worker(s), "
                f"{os.cpu_count()} cores; stress: the same users without think time"
            )
            print(
                f"{'page':<20} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'req/s':>8}  "
                f"{'budget':<22} {'stress p95':>10} {'req/s':>6}"
            )
            for name, path in pages.items():
                measure(port, path, min(args.users, 10), 100)  # warm up
                start = time.perf_counter()
                latencies = measure(port, path, args.users, args.requests, think=args.think)
                rate = len(latencies) / (time.perf_counter() - start)
                p95 = percentile(latencies, 95)
                worst = max(worst, p95)
                verdict = "ok" if p95 <= BUDGET_P95_MS else "OVER"
                stress = ""
                if args.stress:
                    start = time.perf_counter()
                    hard = measure(port, path, args.users, args.requests)
                    hard_rate = len(hard) / (time.perf_counter() - start)
                    stress = f"{percentile(hard, 95):10.1f} {hard_rate:6.0f}"
                print(
                    f"{name:<20} {percentile(latencies, 50):8.1f} {p95:8.1f} "
                    f"{percentile(latencies, 99):8.1f} {rate:8.0f}  "
                    f"{'p95 ' + str(BUDGET_P95_MS) + ' ms ' + verdict:<22} {stress}"
                )
        finally:
            server.terminate()
            server.wait(timeout=10)
    return worst


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--requests", type=int, default=2000, help="per page")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument(
        "--think", type=float, default=1.0, help="mean think time per user, seconds (0: none)"
    )
    parser.add_argument(
        "--stress", action="store_true", help="also measure without think time (information)"
    )
    args = parser.parse_args()
    databases = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    worst = max(bench_one(database, args) for database in databases)
    return 0 if worst <= BUDGET_P95_MS else 1


if __name__ == "__main__":
    sys.exit(main())
