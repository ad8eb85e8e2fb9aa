"""``make bench-load``: fifty and two hundred people at once against one real server (issue 8).

One ``crm-server run`` (HTTPS, the CA made by ``crm-server init``, its defaults) on the
million-customer PostgreSQL database of ``make bench`` (``pg.py``, ``prepare.py``: the data is
generated only when missing). This process drives the simulated desktops of ``loadmix.py``
with asyncio + httpx, one connection each, and samples /proc every ``--sample`` seconds: the
server's RSS and CPU (with its workers), PostgreSQL's (postmaster and backends), its own CPU
and the machine's. Per phase (``--users 50,200``): sign-ins, ``--warmup`` seconds unmeasured,
``--duration`` seconds measured; then p50 / p95 / p99 per operation, errors by status, 409s
for stale versions apart, responses/s, CPU per request. A table, and ``bench/results/
load.json``.

``--queries`` counts SQL statements per request and route and reads PostgreSQL's time per
statement (``pgstat.py``), ``--tracemalloc`` diffs allocation
snapshots taken at the start of the first and the end of the last measured window (both
through ``instrumented_server.py``; they cost the server time, so the latency figures of such
a run are not the baseline); ``--profile`` samples the server with py-spy (``spy.py``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import ssl
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
for _part in ("common", "server"):
    if str(ROOT / _part) not in sys.path:
        sys.path.insert(0, str(ROOT / _part))

import loadmix  # noqa: E402
import pg  # noqa: E402
import pgstat  # noqa: E402
import prepare  # noqa: E402
import procstat  # noqa: E402
import spy  # noqa: E402
from figures import per_request_ms, rate  # noqa: E402
from server_proc import CLI, RunningServer, running_server  # noqa: E402

RESULTS = BENCH / "results"
SIGN_IN_SPREAD_S = 10.0  # sign-ins of a phase are spread over up to this long


def p95_target_ms(users: int) -> float:
    """The issue's goal: p95 ≤ 100 ms at 50 users, ≤ 300 ms at 200."""
    return 100.0 if users <= 50 else 300.0


class Sampler:
    """/proc every ``interval`` seconds while the benchmark runs."""

    def __init__(self, server_pid: int, postmaster: int | None, interval: float) -> None:
        self.server_pid, self.postmaster, self.interval = server_pid, postmaster, interval
        self.samples: list[tuple[str, procstat.Sample]] = []
        self.phase = "start"

    def take(self) -> procstat.Sample:
        now = procstat.sample(self.server_pid, self.postmaster)
        self.samples.append((self.phase, now))
        return now

    async def run(self) -> None:
        while True:
            self.take()
            await asyncio.sleep(self.interval)


def usage(first: procstat.Sample, last: procstat.Sample, responses: int) -> dict[str, Any]:
    """CPU of each party between two samples, as % of one core and ms per response."""
    seconds = last.at - first.at

    def cpu(before: procstat.TreeUsage | None,
            after: procstat.TreeUsage | None) -> dict[str, Any] | None:
        if before is None or after is None:
            return None
        used = after.cpu_s - before.cpu_s
        return {"core_percent": round(100 * used / seconds, 1),
                "ms_per_response": per_request_ms(used, responses),
                "processes": after.processes}

    generator = last.generator_cpu_s - first.generator_cpu_s
    busy = last.machine_busy_s - first.machine_busy_s
    total = last.machine_total_s - first.machine_total_s
    return {
        "seconds": round(seconds, 1),
        "server": cpu(first.server, last.server),
        "postgres": cpu(first.postgres, last.postgres),
        "generator": {"core_percent": round(100 * generator / seconds, 1),
                      "ms_per_response": per_request_ms(generator, responses)},
        "machine_busy_percent": round(100 * busy / total, 1) if total else None,
        "load_average": last.load,
    }


async def sign_in_all(users: list[loadmix.User]) -> list[loadmix.User]:
    """Sign every user in, spread over a few seconds as people arrive; those who could."""
    spread = min(SIGN_IN_SPREAD_S, len(users) * 0.05)

    async def arrive(user: loadmix.User, delay: float) -> bool:
        await asyncio.sleep(delay)
        return await user.sign_in()

    done = await asyncio.gather(*(arrive(u, spread * i / len(users))
                                  for i, u in enumerate(users)))
    return [u for u, ok in zip(users, done, strict=True) if ok]


@dataclass
class Window:
    """The measured part of a phase: the samples that open and close it, and the
    instruments' findings."""

    first: procstat.Sample
    last: procstat.Sample
    extra: dict[str, Any]


async def phase(server: RunningServer, sampler: Sampler, count: int,
                args: argparse.Namespace, tls: ssl.SSLContext, url: str) -> dict[str, Any]:
    """Sign ``count`` users in, let them work through the warm-up and the measured window,
    sign them out; the phase's figures."""
    rng = random.Random(args.seed + count)
    recorder = loadmix.Recorder()
    clients = [loadmix.make_client(server.base_url, tls) for _ in range(count)]
    users = [loadmix.User(name, client, recorder, random.Random(rng.random()))
             for name, client in zip(loadmix.usernames(count, args.manager_share, rng), clients,
                                     strict=True)]
    sampler.phase = f"{count} users: sign-in"
    print(f"\n{count} users: signing in …", flush=True)
    signed_in = await sign_in_all(users)
    stop = asyncio.Event()
    running = [asyncio.create_task(u.run(stop)) for u in signed_in]
    sampler.phase = f"{count} users: warm-up"
    await asyncio.sleep(args.warmup)
    window = await measure(server, sampler, recorder, count, args, url)
    stop.set()
    await asyncio.gather(*running)
    sampler.phase = f"{count} users: sign-out"
    await asyncio.gather(*(u.sign_out() for u in signed_in))
    await asyncio.gather(*(c.aclose() for c in clients))
    if args.tracemalloc or args.queries:
        server.process.send_signal(signal.SIGUSR1)  # a snapshot; the query counts so far
    return phase_report(count, users, len(signed_in), recorder, window)


async def measure(server: RunningServer, sampler: Sampler, recorder: loadmix.Recorder,
                  count: int, args: argparse.Namespace, url: str) -> Window:
    """The measured window, with the instruments asked for running over it."""
    sampler.phase = f"{count} users"
    if args.tracemalloc:
        server.process.send_signal(signal.SIGUSR1)
    statements = args.queries and await asyncio.to_thread(pgstat.reset, url)
    profile_path = RESULTS / f"load-profile-{count}.txt"
    profiling = spy.start(server.process.pid, args.duration, profile_path) \
        if args.profile else None
    first = sampler.take()
    recorder.on = True
    await watch(sampler, recorder, args.duration, count)
    recorder.on = False
    last = sampler.take()
    extra: dict[str, Any] = {}
    if profiling is not None:
        await asyncio.to_thread(profiling.wait, 60)
        extra["profile"] = spy.summarise_file(profile_path)
    if statements:
        extra["postgres_statements"] = await asyncio.to_thread(pgstat.top, url)
    return Window(first, last, extra)


def phase_report(count: int, users: list[loadmix.User], signed_in: int,
                 recorder: loadmix.Recorder, window: Window) -> dict[str, Any]:
    target = p95_target_ms(count)
    first, last = window.first, window.last
    return {
        "users": count,
        "accounts": len({u.username for u in users}),
        "sign_in": {"failed_users": count - signed_in,
                    "retried_statuses": sorted({s for u in users for s in u.sign_in_failures}),
                    "retries": sum(len(u.sign_in_failures) for u in users)},
        "operations": {op: f.summary(target) for op, f in recorder.ops.items()},
        "responses": recorder.responses,
        "no_answer": dict(recorder.no_answer),
        "responses_per_s": rate(recorder.responses, last.at - first.at),
        "usage": usage(first, last, recorder.responses),
        "server_rss_mib": {"start": _rss(first), "end": _rss(last)},
        **window.extra,
    }


async def watch(sampler: Sampler, recorder: loadmix.Recorder, seconds: float,
                users: int) -> None:
    """Wait out the measured window, with a progress line a minute for long runs."""
    ends = time.monotonic() + seconds
    while (left := ends - time.monotonic()) > 0:
        await asyncio.sleep(min(60.0, left))
        if seconds > 90 and left > 60:
            now = sampler.samples[-1][1]
            print(f"  {users} users, {seconds - left + 60:5.0f} s: {recorder.responses:,} "
                  f"responses, server RSS {_rss(now)} MiB, load {now.load}", flush=True)


def _rss(sample: procstat.Sample) -> float | None:
    return round(sample.server.rss_mib, 1) if sample.server else None


async def drive(server: RunningServer, postmaster: int | None, args: argparse.Namespace,
                url: str) -> dict[str, Any]:
    tls = ssl.create_default_context(cafile=str(server.ca_path))
    sampler = Sampler(server.process.pid, postmaster, args.sample)
    sampling = asyncio.create_task(sampler.run())
    phases = []
    try:
        for count in args.users:
            phases.append(await phase(server, sampler, count, args, tls, url))
            print_phase(phases[-1])
    finally:
        sampling.cancel()
    return {"phases": phases, "timeline": timeline(sampler)}


def timeline(sampler: Sampler) -> list[dict[str, Any]]:
    """Every sample, with CPU as % of one core since the previous one."""
    rows: list[dict[str, Any]] = []
    previous: procstat.Sample | None = None
    start = sampler.samples[0][1].at if sampler.samples else 0.0
    for name, now in sampler.samples:
        row: dict[str, Any] = {"t": round(now.at - start, 1), "phase": name,
                               "server_rss_mib": _rss(now), "load": now.load}
        if previous is not None and now.at > previous.at:
            spent = usage(previous, now, 0)
            row.update(server_cpu=(spent["server"] or {}).get("core_percent"),
                       postgres_cpu=(spent["postgres"] or {}).get("core_percent"),
                       generator_cpu=spent["generator"]["core_percent"],
                       machine_busy=spent["machine_busy_percent"])
        rows.append(row)
        previous = now
    return rows


def print_phase(result: dict[str, Any]) -> None:
    print(f"\n{result['users']} users ({result['accounts']} accounts), "
          f"{result['usage']['seconds']} s measured; p95 target "
          f"{p95_target_ms(result['users']):.0f} ms")
    print(f"  {'operation':<11} {'count':>6} {'p50':>8} {'p95':>8} {'p99':>8} {'max':>8}  "
          "errors / expected 409")
    for op, f in result["operations"].items():
        print(f"  {op:<11} {f['count']:>6} {_ms(f['p50_ms'])} {_ms(f['p95_ms'])} "
              f"{_ms(f['p99_ms'])} {_ms(f['max_ms'])}  {f['errors'] or '-'} / "
              f"{f['expected_refusals'] or '-'}{'' if f['pass'] is not False else '  MISS'}")
    if result["no_answer"]:
        print(f"  status 0 (no answer) by the client's error: {result['no_answer']}")
    used = result["usage"]
    print(f"  {result['responses']:,} responses, {result['responses_per_s']} responses/s "
          f"(goal ≥ 200); load average {used['load_average']}, machine busy "
          f"{used['machine_busy_percent']} %")
    for party in ("server", "postgres", "generator"):
        figures = used[party]
        if figures:
            print(f"  {party:<9} CPU {figures['core_percent']:6.1f} % of a core, "
                  f"{figures['ms_per_response']} ms per response")
    rss = result["server_rss_mib"]
    print(f"  server RSS {rss['start']} → {rss['end']} MiB; sign-in: {result['sign_in']} "
          f"(the server's messages: {RESULTS / 'load-server.log'})")
    if "profile" in result:
        print_profile(result["profile"])
    if "postgres_statements" in result:
        print_statements(result["postgres_statements"])


def print_statements(rows: list[dict[str, Any]], lines: int = 12) -> None:
    total = sum(row["total_ms"] for row in rows) or 1.0
    print("  PostgreSQL, the statements with the most planning + execution time "
          "(pg_stat_statements; % of these):")
    for row in rows[:lines]:
        print(f"    {100 * row['total_ms'] / total:5.1f} %  {row['calls']:>6} calls "
              f"{row['mean_ms']:8.3f} ms (plan {row['plan_ms']:.3f})  {row['query'][:90]}")


def print_profile(summary: dict[str, Any], lines: int = 12) -> None:
    print(f"  py-spy, {summary['samples']:,} samples of the server on CPU:")
    for title, key in (("self, by library", "self_by_library_percent"),
                       ("self, top functions", "self_top_percent"),
                       ("crm_server, inclusive", "crm_server_inclusive_percent")):
        print(f"    {title}:")
        for name, percent in summary[key][:lines]:
            print(f"      {percent:5.1f} %  {name}")


def _ms(value: float | None) -> str:
    return f"{value:8.1f}" if value is not None else f"{'-':>8}"


def tracemalloc_diff(directory: Path, top: int = 25) -> list[str]:
    """What grew between the first and the last snapshot, by allocating line."""
    import tracemalloc

    files = sorted(directory.glob("snapshot-*.pickle"), key=lambda p: int(p.stem.split("-")[1]))
    if len(files) < 2:
        return []
    first, last = (tracemalloc.Snapshot.load(str(f)) for f in (files[0], files[-1]))
    return [str(stat) for stat in last.compare_to(first, "lineno")[:top]]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Load benchmark: the mix of issue 8")
    parser.add_argument("--users", type=lambda s: [int(n) for n in s.split(",")],
                        default=[50, 200], help="users per phase, e.g. 50,200")
    parser.add_argument("--duration", type=float, default=120.0, help="measured s per phase")
    parser.add_argument("--warmup", type=float, default=20.0, help="unmeasured s per phase")
    parser.add_argument("--manager-share", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--sample", type=float, default=1.0, help="s between /proc samples")
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--pg-dir", type=Path, default=ROOT / "var" / "bench" / "pg")
    parser.add_argument("--data-dir", type=Path, default=RESULTS / "load-server")
    parser.add_argument("--queries", action="store_true", help="count SQL per request")
    parser.add_argument("--tracemalloc", action="store_true", help="diff allocations")
    parser.add_argument("--profile", action="store_true",
                        help="py-spy the server during each measured window")
    parser.add_argument("--output", type=Path, default=RESULTS / "load.json")
    parser.add_argument("--server-env", action="append", default=[], metavar="NAME=VALUE",
                        help="extra environment of the server, e.g. MALLOC_ARENA_MAX=2")
    return parser.parse_args(argv)


def server_instruments(args: argparse.Namespace) -> tuple[tuple[str, ...], dict[str, str]]:
    env = dict(item.split("=", 1) for item in args.server_env)
    if not (args.queries or args.tracemalloc):
        return CLI, env
    if args.queries:
        env["CRM_BENCH_QUERIES"] = str(RESULTS / "load-queries.json")
    if args.tracemalloc:
        env["CRM_BENCH_TRACEMALLOC"] = str(RESULTS / "load-tracemalloc")
        for old in (RESULTS / "load-tracemalloc").glob("snapshot-*.pickle"):
            old.unlink()
    return (str(BENCH / "instrumented_server.py"),), env


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    RESULTS.mkdir(parents=True, exist_ok=True)
    launcher, env = server_instruments(args)
    with pg.database(False, args.pg_dir, pgstat.PRELOAD if args.queries else None) as url:
        setup = {"migration": prepare.ensure_schema(url),
                 "data": prepare.ensure_data(url, args.customers),
                 "statistics": prepare.ensure_statistics(url)}
        postmaster = None if os.environ.get("CRM_BENCH_DATABASE_URL") else \
            procstat.postmaster_pid(args.pg_dir.resolve() / "data")
        with running_server(args.data_dir, url, launcher, env, RESULTS / "load-server.log") \
                as server:
            result = asyncio.run(drive(server, postmaster, args, url))
    report: dict[str, Any] = {
        "server": "crm_server.cli run, HTTPS on 127.0.0.1, defaults", "cpus": os.cpu_count(),
        "arguments": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        **setup, **result}
    if args.queries:
        report["queries_per_request"] = json.loads(
            (RESULTS / "load-queries.json").read_text("utf-8"))
    if args.tracemalloc:
        report["tracemalloc_growth"] = tracemalloc_diff(RESULTS / "load-tracemalloc")
        print("\ntracemalloc, growth from the first to the last phase's end:")
        print("\n".join(f"  {line}" for line in report["tracemalloc_growth"]))
    args.output.write_text(json.dumps(report, ensure_ascii=False, indent=2), "utf-8")
    print(f"\nWrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
