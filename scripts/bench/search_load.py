#!/usr/bin/env python3
"""Load generator for GET /api/v1/people (Python 3.11, standard library only).

    search_load.py run --url http://127.0.0.1:PORT --username staff --password zhengtong \
        --clients 32 --seconds 20 [--warmup 5] [--json OUT.json]
    search_load.py report RESULTS_DIR      # the summary table scripts/bench-directory prints

`run` signs in once, picks an org id from a first search result, checks that every query of the mix
answers 200, then starts one thread per client, each with its own keep-alive http.client connection,
issuing the fixed query mix back to back (no think time) for a warm-up and then for the measured
window. Only requests that complete inside the window count (closed-loop steady state); the ones still
running when it closes are waited for (so that runs do not overlap) but not counted. Latency is client-observed (request sent to
body read), so it includes this process's own overhead; with the server on the same machine both
compete for the same cores.

The mix is deterministic: request i of client c is MIX[(c * 7 + i) % len(MIX)], where MIX interleaves
the query kinds round-robin (every kind has the same weight) and cycles through each kind's variants.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import sys
import threading
import time
import urllib.parse

LIMIT = 20
COUNTY = "330110000000"  # 桐庐县, where the demo accounts live

# kind -> variants (query parameters without limit). "{org}" is replaced by the discovered org id.
KINDS: list[tuple[str, list[dict[str, str]]]] = [
    # One-character name substrings: common surnames, many matches.
    ("name_char", [{"q": "王"}, {"q": "陈"}, {"q": "林"}, {"q": "叶"}]),
    # Two-character full names (surname + one-character given name): exact matches ranked first.
    ("name_full", [{"q": "张伟"}, {"q": "王芳"}, {"q": "李娜"}, {"q": "陈静"}, {"q": "刘强"}]),
    # Given-name substrings, which no prefix index can serve.
    ("name_part", [{"q": "晓明"}, {"q": "佳怡"}, {"q": "志强"}]),
    # Full pinyin, compact or spaced, and a pinyin prefix.
    ("pinyin", [{"q": "wangfang"}, {"q": "zhang wei"}, {"q": "chenjing"}, {"q": "liqiang"}, {"q": "zhangw"}]),
    # Initials.
    ("initials", [{"q": "zw"}, {"q": "wf"}, {"q": "lq"}, {"q": "cj"}]),
    # Region filter (the county) with a query.
    ("region_q", [{"region": COUNTY, "q": "王"}, {"region": COUNTY, "q": "zhang"}, {"region": COUNTY, "q": "lj"}]),
    # Org filter: everyone visible in one org's subtree, alone and with a query.
    ("org", [{"org": "{org}"}, {"org": "{org}", "q": "wang"}]),
    # Line (条线) filter, alone and narrowed to the county.
    ("line", [{"line": "市场监管"}, {"line": "市场监管", "region": COUNTY}]),
    # Rank filter with a query, and alone.
    ("rank", [{"rank": "一级科员", "q": "王"}, {"rank": "四级主任科员", "q": "zhang"}, {"rank": "一级科员"}]),
]
KIND_NAMES = [k for k, _ in KINDS]


def query_string(params: dict[str, str]) -> str:
    # Spaces as %20, not "+": the server reads "+" literally (RFC 3986 rather than form encoding),
    # so "zhang+wei" would search for a plus sign.
    return urllib.parse.urlencode(params, quote_via=urllib.parse.quote)


def build_mix(org_id: str) -> list[tuple[str, str]]:
    """(kind, path) pairs: kinds round-robin, each kind cycling through its variants."""
    # lcm of the variant counts: every combination of round and variant appears once.
    rounds = math.lcm(*(len(v) for _, v in KINDS))
    mix = []
    for r in range(rounds):
        for kind, variants in KINDS:
            params = {k: v.replace("{org}", org_id) for k, v in variants[r % len(variants)].items()}
            params["limit"] = str(LIMIT)
            mix.append((kind, "/api/v1/people?" + query_string(params)))
    return mix


class Client:
    """One keep-alive connection; reconnects after any transport error."""

    def __init__(self, host: str, port: int, token: str | None, timeout: float):
        self.host, self.port, self.timeout = host, port, timeout
        self.headers = {"Accept": "application/json"}
        if token:
            self.headers["Authorization"] = "Bearer " + token
        self.conn: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None) -> tuple[int, bytes]:
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        h = dict(self.headers)
        if headers:
            h.update(headers)
        try:
            self.conn.request(method, path, body=body, headers=h)
            resp = self.conn.getresponse()
            data = resp.read()
            if resp.getheader("Connection", "").lower() == "close":
                self.close()
            return resp.status, data
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self.conn is not None:
            try:
                self.conn.close()
            finally:
                self.conn = None


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return float("nan")
    k = max(0, min(len(sorted_values) - 1, int(-(-p * len(sorted_values) // 100)) - 1))
    return sorted_values[k]


def stats(latencies: list[float], errors: int, seconds: float) -> dict:
    s = sorted(latencies)
    return {
        "requests": len(s),
        "errors": errors,
        "rps": len(s) / seconds if seconds > 0 else 0.0,
        "p50_ms": percentile(s, 50) * 1000,
        "p99_ms": percentile(s, 99) * 1000,
        "max_ms": (s[-1] * 1000) if s else float("nan"),
        "mean_ms": (sum(s) / len(s) * 1000) if s else float("nan"),
    }


def loadavg() -> str:
    """1-, 5- and 15-minute load averages: anything else running on the machine shows here."""
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "?"


def cpu_snapshot(server_pid: int | None) -> dict[str, float]:
    """CPU seconds used so far: by the server process, by this process, and by the whole machine (busy and
    total), so that a window's CPU can be split into server, load generator and everything else."""
    tick = os.sysconf("SC_CLK_TCK")
    snap = {"self": sum(os.times()[:2])}
    if server_pid:
        try:
            with open(f"/proc/{server_pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            snap["server"] = (int(fields[11]) + int(fields[12])) / tick
        except (OSError, IndexError, ValueError):
            pass
    try:
        with open("/proc/stat") as f:
            cpu = [int(x) for x in f.readline().split()[1:]]
        idle = cpu[3] + (cpu[4] if len(cpu) > 4 else 0)
        snap["machine_total"] = sum(cpu[:8]) / tick
        snap["machine_busy"] = (sum(cpu[:8]) - idle) / tick
    except (OSError, ValueError):
        pass
    return snap


def login(host: str, port: int, username: str, password: str, timeout: float) -> str:
    c = Client(host, port, None, timeout)
    status, body = c.request("POST", "/api/v1/auth/login", json.dumps({"username": username, "password": password}).encode(),
                             {"Content-Type": "application/json"})
    c.close()
    if status != 200:
        raise SystemExit(f"login as {username} failed: HTTP {status}: {body[:300]!r}")
    return json.loads(body)["token"]


def run(args: argparse.Namespace) -> int:
    u = urllib.parse.urlsplit(args.url)
    host, port = u.hostname or "127.0.0.1", u.port or 80
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("refusing to load anything but loopback")
    token = args.token or login(host, port, args.username, args.password, args.timeout)

    # Setup: an org id from the first search result's positions, then one probe of every query.
    probe = Client(host, port, token, args.timeout)
    status, body = probe.request("GET", "/api/v1/people?" + query_string({"q": "王", "region": COUNTY, "limit": str(LIMIT)}))
    if status != 200:
        raise SystemExit(f"setup search failed: HTTP {status}: {body[:300]!r}")
    org_id = org_name = None
    for item in json.loads(body)["items"]:
        if item.get("positions"):
            pos = item["positions"][0]  # the API encodes keys in snake_case
            org_id, org_name = pos.get("org_id", pos.get("orgId")), pos.get("org_name", pos.get("orgName"))
            break
    if org_id is None:
        raise SystemExit("setup: the first search returned no person with a visible position")
    mix = build_mix(org_id)
    probes = {}
    seen = set()
    for kind, path in mix:
        if path in seen or args.no_probe:
            continue
        seen.add(path)
        t0 = time.perf_counter()
        status, body = probe.request("GET", path)
        dt = time.perf_counter() - t0
        items = len(json.loads(body)["items"]) if status == 200 else None
        probes[path] = {"kind": kind, "status": status, "items": items, "cold_ms": round(dt * 1000, 1)}
        if not args.quiet:
            print(f"  probe {kind:<10} {urllib.parse.unquote(path):<70} HTTP {status} items={items} {dt * 1000:8.1f} ms",
                  file=sys.stderr)
        if status != 200:
            print(f"  ERROR: {path} -> HTTP {status}: {body[:300]!r}", file=sys.stderr)
    probe.close()

    start_barrier = threading.Barrier(args.clients + 1)
    t_start = [0.0]
    lat: list[dict[str, list[float]]] = [{k: [] for k in KIND_NAMES} for _ in range(args.clients)]
    errs: list[dict[str, int]] = [{k: 0 for k in KIND_NAMES} for _ in range(args.clients)]
    late: list[dict[str, list[float]]] = [{k: [] for k in KIND_NAMES} for _ in range(args.clients)]
    samples: list[str] = []
    samples_lock = threading.Lock()

    def worker(c: int) -> None:
        client = Client(host, port, token, args.timeout)
        start_barrier.wait()
        measure_from = t_start[0] + args.warmup
        stop_at = measure_from + args.seconds
        i = c * 7
        my_lat, my_err = lat[c], errs[c]
        while True:
            kind, path = mix[i % len(mix)]
            i += 1
            t0 = time.perf_counter()
            if t0 >= stop_at:
                break
            ok, note = True, ""
            try:
                status, body = client.request("GET", path)
                if status != 200:
                    ok, note = False, f"HTTP {status}: {body[:200]!r}"
            except Exception as e:  # noqa: BLE001 - any transport failure is an error of the run
                ok, note = False, f"{type(e).__name__}: {e}"
            t1 = time.perf_counter()
            # Counted: requests that complete inside the window (closed-loop steady state). Those still
            # running when it closes are waited for, so that runs do not overlap, but not counted.
            if t1 >= stop_at:
                late[c][kind].append(t1 - t0)
            elif t1 >= measure_from:
                if ok:
                    my_lat[kind].append(t1 - t0)
                else:
                    my_err[kind] += 1
            if not ok:
                with samples_lock:
                    if len(samples) < 10:
                        samples.append(f"{kind} {urllib.parse.unquote(path)}: {note}")
        client.close()

    load_before = loadavg()
    threads = [threading.Thread(target=worker, args=(c,), daemon=True) for c in range(args.clients)]
    for t in threads:
        t.start()
    t_start[0] = time.perf_counter()
    start_barrier.wait()
    # CPU over exactly the measured window.
    time.sleep(max(0.0, t_start[0] + args.warmup - time.perf_counter()))
    cpu_from = cpu_snapshot(args.server_pid)
    time.sleep(max(0.0, t_start[0] + args.warmup + args.seconds - time.perf_counter()))
    cpu_to = cpu_snapshot(args.server_pid)
    for t in threads:
        t.join(args.warmup + args.seconds + args.timeout + 30)
    stuck = sum(t.is_alive() for t in threads)

    result = {
        "clients": args.clients, "seconds": args.seconds, "warmup": args.warmup, "limit": LIMIT,
        "org_id": org_id, "org_name": org_name, "probes": probes, "error_samples": samples, "stuck_clients": stuck,
        "late": sum(len(x) for lc in late for x in lc.values()),
        "kinds": {}, "overall": None, "loadavg_before": load_before, "loadavg_after": loadavg(),
    }
    all_lat: list[float] = []
    all_err = 0
    for k in KIND_NAMES:
        kl = [x for c in range(args.clients) for x in lat[c][k]]
        ke = sum(errs[c][k] for c in range(args.clients))
        all_lat += kl
        all_err += ke
        result["kinds"][k] = stats(kl, ke, args.seconds)
        lk = [x for c in range(args.clients) for x in late[c][k]]
        result["kinds"][k]["late"] = len(lk)
        result["kinds"][k]["late_max_ms"] = max(lk) * 1000 if lk else None
    result["overall"] = stats(all_lat, all_err, args.seconds)
    cpu = {k: cpu_to[k] - cpu_from[k] for k in cpu_to if k in cpu_from}
    ncpu = os.cpu_count() or 1
    result["cpu"] = {
        "cores": ncpu,
        # Average cores busy during the window.
        "server_cores": cpu.get("server", float("nan")) / args.seconds,
        "loadgen_cores": cpu.get("self", float("nan")) / args.seconds,
        "machine_cores": cpu["machine_busy"] / cpu["machine_total"] * ncpu if cpu.get("machine_total") else float("nan"),
        "server_ms_per_request": cpu["server"] * 1000 / len(all_lat) if "server" in cpu and all_lat else float("nan"),
    }
    c = result["cpu"]
    server_cores = c["server_cores"] if c["server_cores"] == c["server_cores"] else 0.0
    c["other_cores"] = max(0.0, c["machine_cores"] - c["loadgen_cores"] - server_cores)
    all_late = [x for lc in late for v in lc.values() for x in v]
    result["overall"]["late"] = len(all_late)
    result["overall"]["late_max_ms"] = max(all_late) * 1000 if all_late else None

    print(f"{args.clients} clients, {args.seconds:g} s after {args.warmup:g} s warm-up, limit={LIMIT}, org {org_id} ({org_name}); "
          f"load average before {load_before}, after {result['loadavg_after']}")
    print(f"{'kind':<10} {'req':>7} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'errors':>6}")
    for k in KIND_NAMES + ["overall"]:
        s = result["overall"] if k == "overall" else result["kinds"][k]
        print(f"{k:<10} {s['requests']:>7} {s['rps']:>8.1f} {s['p50_ms']:>8.1f} {s['p99_ms']:>8.1f} {s['max_ms']:>8.1f} {s['errors']:>6}")
    print(f"  ({result['late']} requests still running when the window closed: waited for, not counted)")
    c = result["cpu"]
    print(f"  CPU in the window (cores busy of {c['cores']}): server {c['server_cores']:.2f}, load generator {c['loadgen_cores']:.2f}, "
          f"everything else {c['other_cores']:.2f} (PostgreSQL, other processes); server CPU per request {c['server_ms_per_request']:.2f} ms")
    for line in samples:
        print("  error: " + line)
    if stuck:
        print(f"  WARNING: {stuck} client threads did not finish")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1, ensure_ascii=False)
    return 1 if (all_err or stuck) else 0


# ---------------------------------------------------------------------------------------------------
# report: the summary table of a results directory written by scripts/bench-directory.
#   BACKEND.meta        key=value lines (size, load_s, db_bytes, ready_s, rss_idle_kb, rss_kb, hwm_kb, status...)
#   BACKEND-cN.json     one `run --json` per client count


def read_meta(path: str) -> dict[str, str]:
    meta = {}
    with open(path) as f:
        for line in f:
            if "=" in line:
                k, v = line.rstrip("\n").split("=", 1)
                meta[k] = v
    return meta


def mib(kb_or_bytes: str | None, unit: int) -> str:
    try:
        return f"{int(kb_or_bytes) * unit / 1048576:,.0f} MiB"
    except (TypeError, ValueError):
        return "–"


def report(args: argparse.Namespace) -> int:
    d = args.dir
    backends = []
    for name in sorted(os.listdir(d)):
        if name.endswith(".meta"):
            backends.append(name[:-5])
    order = {"sqlite": 0, "postgres": 1}
    backends.sort(key=lambda b: order.get(b, 9))
    if not backends:
        print("no results")
        return 1

    metas = {b: read_meta(os.path.join(d, b + ".meta")) for b in backends}
    print("| | " + " | ".join(backends) + " |")
    print("|---|" + "---|" * len(backends))
    rows = [
        ("people loaded", lambda m: m.get("people", "–")),
        ("load (seed demo) wall time", lambda m: f"{float(m['load_s']):.1f} s" if m.get("load_s") else "–"),
        ("database size", lambda m: mib(m.get("db_bytes"), 1)),
        ("serve: start to /readyz", lambda m: f"{float(m['ready_s']):.2f} s" if m.get("ready_s") else "–"),
        ("server RSS idle (after ready)", lambda m: mib(m.get("rss_idle_kb"), 1024)),
        ("seed process peak RSS", lambda m: mib(m.get("load_maxrss_kb"), 1024)),
        ("server RSS after load", lambda m: mib(m.get("rss_kb"), 1024)),
        ("  of which anonymous / file-backed", lambda m: f"{mib(m.get('rss_anon_kb'), 1024)} / {mib(m.get('rss_file_kb'), 1024)}"),
        ("  proportional (PSS, counts shared file pages once)", lambda m: mib(m.get("pss_kb"), 1024)),
        ("server peak RSS (VmHWM)", lambda m: mib(m.get("hwm_kb"), 1024)),
        ("status", lambda m: m.get("status", "–")),
    ]
    for label, f in rows:
        print(f"| {label} | " + " | ".join(f(metas[b]) for b in backends) + " |")

    all_runs = {}
    for b in backends:
        runs = []
        for name in os.listdir(d):
            if name.startswith(b + "-c") and name.endswith(".json"):
                with open(os.path.join(d, name)) as f:
                    runs.append(json.load(f))
        runs.sort(key=lambda r: r["clients"])
        all_runs[b] = runs
        if not runs:
            continue
        print()
        print(f"**{b}** — search, limit={LIMIT}, {runs[0]['seconds']:g} s measured after {runs[0]['warmup']:g} s warm-up: "
              "req/s · p50 / p99 ms (requests measured)")
        print()
        print("| kind | " + " | ".join(f"{r['clients']} client{'s' if r['clients'] != 1 else ''}" for r in runs) + " |")
        print("|---|" + "---|" * len(runs))
        for k in KIND_NAMES + ["overall"]:
            cells = []
            for r in runs:
                st = r["overall"] if k == "overall" else r["kinds"][k]
                if st["requests"]:
                    cell = f"{num(st['rps'])} · {ms(st['p50_ms'])} / {ms(st['p99_ms'])} ({st['requests']})"
                else:
                    cell = "none finished in the window"
                    if st.get("late"):
                        cell += f" ({st['late']} finished after it, slowest {ms(st['late_max_ms'])} ms)"
                if st["errors"]:
                    cell += f", **{st['errors']} errors**"
                cells.append(cell)
            label = f"**{k}**" if k == "overall" else k
            print(f"| {label} | " + " | ".join(cells) + " |")
        print()
        print("CPU in the measured window, cores busy (of " + str(runs[0].get("cpu", {}).get("cores", "?")) + "): "
              + "; ".join(f"{r['clients']} clients: server {num2(r['cpu']['server_cores'])}, load generator "
                          f"{num2(r['cpu']['loadgen_cores'])}, other {num2(r['cpu']['other_cores'])}, "
                          f"server {num2(r['cpu']['server_ms_per_request'])} ms CPU/request"
                          for r in runs if "cpu" in r) + ".")
        print()
        print("Load average (1/5/15 min) before → after each run: "
              + "; ".join(f"{r['clients']} clients {r.get('loadavg_before', '?')} → {r.get('loadavg_after', '?')}" for r in runs)
              + ". Requests still running when the window closed (not counted): "
              + ", ".join(f"{r.get('late', '?')} at {r['clients']}" for r in runs) + ".")
        for r in runs:
            for line in r.get("error_samples", []):
                print(f"  - error ({r['clients']} clients): {line}")

    # One request at a time, before any load: every query of the mix once, with how many people it found.
    probes = {b: next((r["probes"] for r in all_runs.get(b, []) if r.get("probes")), {}) for b in backends}
    paths = []
    for b in backends:
        for path in probes[b]:
            if path not in paths:
                paths.append(path)
    if paths:
        paths.sort(key=lambda p: KIND_NAMES.index(next(probes[b][p]["kind"] for b in backends if p in probes[b])))
        print()
        print("Each query alone (one request, no other load; ms, people returned):")
        print()
        print("| kind | query | " + " | ".join(backends) + " |")
        print("|---|---|" + "---|" * len(backends))
        for path in paths:
            kind = next(probes[b][path]["kind"] for b in backends if path in probes[b])
            query = urllib.parse.unquote(path.split("?", 1)[1]).replace("&limit=20", "").replace("|", "\\|")
            cells = []
            for b in backends:
                pr = probes[b].get(path)
                if pr is None:
                    cells.append("–")
                elif pr["status"] != 200:
                    cells.append(f"**HTTP {pr['status']}**")
                else:
                    cells.append(f"{ms(pr['cold_ms'])} ({pr['items']})")
            print(f"| {kind} | `{query}` | " + " | ".join(cells) + " |")
    return 0


def num(x: float) -> str:
    return "–" if x != x else (f"{x:.0f}" if x >= 100 else f"{x:.1f}" if x >= 1 else f"{x:.2f}")


def num2(x: float) -> str:
    return "–" if x != x else f"{x:.2f}"


def ms(x: float) -> str:
    return "–" if x != x else (f"{x:,.0f}" if x >= 100 else f"{x:.1f}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="run the load")
    r.add_argument("--url", required=True, help="server base URL (loopback only)")
    r.add_argument("--token", help="bearer token (otherwise sign in with --username/--password)")
    r.add_argument("--username", default="staff")
    r.add_argument("--password", default="zhengtong")
    r.add_argument("--clients", type=int, default=32)
    r.add_argument("--seconds", type=float, default=20)
    r.add_argument("--warmup", type=float, default=5)
    r.add_argument("--timeout", type=float, default=120, help="per-request socket timeout (s)")
    r.add_argument("--json", help="write the results here")
    r.add_argument("--quiet", action="store_true", help="do not print the probes")
    r.add_argument("--server-pid", type=int, help="server process, to measure its CPU time in the window")
    r.add_argument("--no-probe", action="store_true", help="skip the one-by-one probe of every query before the load")
    p = sub.add_parser("report", help="summarise a results directory")
    p.add_argument("dir")
    args = ap.parse_args()
    return run(args) if args.cmd == "run" else report(args)


if __name__ == "__main__":
    sys.exit(main())
