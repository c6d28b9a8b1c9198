"""The same directory query mix against Zhengtong (HTTP API, privacy applied) and OpenLDAP (slapd,
no privacy at all), at several client counts, alternating the two systems cell by cell.

Usage: python3 ldap_vs_zhengtong.py --zt http://127.0.0.1:PORT --ldap ldap://127.0.0.1:PORT \
           --region 330110000000 [--seconds 5] [--warmup 1] [--clients 1 8 32] [--json out.json]
           [--mix mix.json] [--python-clients | --census]
Builds the mix from real people (ldap3 is needed for that), writes it to --mix, and runs the cells with
zhengtong-dirbench (a compiled load generator; $ZHENGTONG_DIRBENCH, default
.build/release/zhengtong-dirbench under the repository root). --python-clients runs them with one
Python process per client instead, as before the load generator: those clients use more CPU than
either server on a small machine, so only their ratios mean anything. --census asks every query once
with Python and with zhengtong-dirbench and compares the result counts (exit status 1 if they differ).
Prints one table row per (clients, query, system) with throughput, p50/p99 in ms, results per query,
errors and the load generator's own CPU in % of one core, then the ratio. --warmup applies to
zhengtong-dirbench only. Every query asks for at most 20 results on both sides.
"""
import argparse
import http.client
import json
import multiprocessing as mp
import os
import random
import subprocess
import sys
import tempfile
import time
import urllib.parse

import ldap3

SUFFIX = "dc=zhengtong,dc=gov,dc=cn"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCOPES = {ldap3.BASE: "base", ldap3.LEVEL: "one", ldap3.SUBTREE: "sub"}
HEADER = "%-7s %-15s %-10s %9s %9s %9s %8s %7s %9s" % ("clients", "query", "system", "req/s", "p50 ms", "p99 ms", "results",
                                                      "errors", "gen cpu%")


def zt_login(base, username, password):
    u = urllib.parse.urlparse(base)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    c.request("POST", "/api/v1/auth/login", json.dumps({"username": username, "password": password}),
              {"Content-Type": "application/json"})
    r = c.getresponse()
    body = json.loads(r.read())
    assert r.status == 200, body
    return body["token"]


def zt_get(base, token, path):
    u = urllib.parse.urlparse(base)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    c.request("GET", path, headers={"Authorization": "Bearer " + token})
    r = c.getresponse()
    return json.loads(r.read())


def build_mix(args, token):
    """Queries of each kind, as (zhengtong path, (ldap base, scope, filter)) pairs, from real people."""
    people = []
    cursor = None
    while len(people) < 600:
        page = zt_get(args.zt, token, "/api/v1/people?q=" + urllib.parse.quote(random.choice("王李张刘陈杨黄赵吴周")) + "&limit=200"
                      + ("&cursor=" + cursor if cursor else ""))
        people += page["items"]
        cursor = page.get("next_cursor")
        if not cursor:
            break
    random.seed(7)
    random.shuffle(people)
    ld = ldap3.Connection(ldap3.Server(args.ldap), auto_bind=True)
    ld.search(SUFFIX, "(l=%s)" % args.region, attributes=[])
    county_dn = ld.entries[0].entry_dn
    mix = {"name_substring": [], "pinyin_prefix": [], "initials": [], "county_subtree": [], "dept_members": []}
    depts = []
    for p in people[:200]:
        name, pinyin, initials = p["name"], p["pinyin"].replace(" ", ""), p["initials"]
        if len(name) >= 2:
            part = name[1:3] if len(name) >= 3 else name[1]
            mix["name_substring"].append(("/api/v1/people?limit=20&q=" + urllib.parse.quote(part),
                                          (SUFFIX, ldap3.SUBTREE, "(cn=*%s*)" % part)))
        mix["pinyin_prefix"].append(("/api/v1/people?limit=20&q=" + pinyin[:5], (SUFFIX, ldap3.SUBTREE, "(givenName=%s*)" % pinyin[:5])))
        mix["initials"].append(("/api/v1/people?limit=20&q=" + initials, (SUFFIX, ldap3.SUBTREE, "(initials=%s*)" % initials)))
        mix["county_subtree"].append(("/api/v1/people?limit=20&region=%s&q=%s" % (args.region, urllib.parse.quote(name[0])),
                                      (county_dn, ldap3.SUBTREE, "(cn=%s*)" % name[0])))
        for pos in p.get("positions", [])[:1]:
            depts.append(pos["org_id"])
    for org in list(dict.fromkeys(depts))[:100]:
        ld.search(SUFFIX, "(&(objectClass=organizationalUnit)(ou=%s))" % org, attributes=[])
        if ld.entries:
            mix["dept_members"].append(("/api/v1/orgs/%s/members?limit=20" % org,
                                        (ld.entries[0].entry_dn, ldap3.LEVEL, "(objectClass=inetOrgPerson)")))
    ld.unbind()
    return mix


def worker(system, args, token, queries, deadline, out):
    lat = []
    results = errors = 0
    cpu = time.process_time()
    if system == "zhengtong":
        u = urllib.parse.urlparse(args.zt)
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
        headers = {"Authorization": "Bearer " + token}
        i = random.randrange(len(queries))
        while time.time() < deadline:
            path = queries[i % len(queries)][0]
            i += 1
            t = time.perf_counter()
            conn.request("GET", path, headers=headers)
            r = conn.getresponse()
            body = r.read()
            lat.append(time.perf_counter() - t)
            if r.status == 200:
                results += len(json.loads(body)["items"])
            else:
                errors += 1
    else:
        conn = ldap3.Connection(ldap3.Server(args.ldap), auto_bind=True)
        i = random.randrange(len(queries))
        while time.time() < deadline:
            base, scope, flt = queries[i % len(queries)][1]
            i += 1
            t = time.perf_counter()
            conn.search(base, flt, search_scope=scope, size_limit=20, attributes=["uid", "cn", "title", "mobile"])
            lat.append(time.perf_counter() - t)
            results += len(conn.entries)
            if conn.result["result"] not in (0, 4):
                errors += 1
        conn.unbind()
    out.put((lat, results, errors, time.process_time() - cpu))


def cell(system, args, token, queries, clients):
    out = mp.Queue()
    deadline = time.time() + args.seconds
    procs = [mp.Process(target=worker, args=(system, args, token, queries, deadline, out)) for _ in range(clients)]
    for p in procs:
        p.start()
    lat, results, errors, cpu = [], 0, 0, 0.0
    for _ in procs:
        l, r, e, c = out.get()
        lat += l
        results += r
        errors += e
        cpu += c
    for p in procs:
        p.join()
    lat.sort()
    n = len(lat)
    # loadgen_cpu_*: the client processes' CPU inside their query loops (not their start-up).
    return {"requests": n, "rps": n / args.seconds, "p50_ms": lat[n // 2] * 1000 if n else None,
            "p99_ms": lat[min(n - 1, int(n * 0.99))] * 1000 if n else None, "results_per_query": results / n if n else 0,
            "errors": errors, "loadgen_cpu_s": cpu, "loadgen_cpu_pct": cpu / args.seconds * 100}


def write_mix(mix, path):
    """The mix as zhengtong-dirbench reads it; "kinds" keeps the order, which decides who goes first."""
    doc = {"kinds": list(mix)}
    for kind, queries in mix.items():
        doc[kind] = [{"http": path_, "ldap": {"base": base, "scope": SCOPES[scope], "filter": flt}}
                     for path_, (base, scope, flt) in queries]
    with open(path, "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, indent=1)


def dirbench(args, token, mix_path, *extra):
    exe = os.environ.get("ZHENGTONG_DIRBENCH") or os.path.join(ROOT, ".build/release/zhengtong-dirbench")
    cmd = [exe, "--zt", args.zt, "--token", token, "--ldap", args.ldap, "--mix", mix_path, *extra]
    sys.stdout.flush()
    subprocess.run(cmd, check=True)


def python_cells(args, token, mix):
    rows = []
    print(HEADER)
    for clients in args.clients:
        for n, (kind, queries) in enumerate(mix.items()):
            if not queries:
                continue
            order = ["zhengtong", "openldap"] if n % 2 == 0 else ["openldap", "zhengtong"]
            got = {}
            for system in order:
                got[system] = cell(system, args, token, queries, clients)
                r = got[system]
                print("%-7d %-15s %-10s %9.0f %9.2f %9.2f %8.1f %7d %9.1f" % (clients, kind, system, r["rps"], r["p50_ms"], r["p99_ms"],
                                                                             r["results_per_query"], r["errors"], r["loadgen_cpu_pct"]),
                      flush=True)
            ratio = got["zhengtong"]["rps"] / got["openldap"]["rps"] if got["openldap"]["rps"] else float("inf")
            print("%-7d %-15s %-10s %9.2f×" % (clients, kind, "ratio", ratio), flush=True)
            rows.append({"clients": clients, "query": kind, **{s: got[s] for s in got}, "throughput_ratio": ratio})
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)


def census(args, token, mix, mix_path):
    """Every query once, counted by the Python clients and by zhengtong-dirbench: the counts must agree."""
    u = urllib.parse.urlparse(args.zt)
    http_conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    ld = ldap3.Connection(ldap3.Server(args.ldap), auto_bind=True)
    mine = {}
    for kind, queries in mix.items():
        if not queries:
            continue
        zt = lda = 0
        for path, (base, scope, flt) in queries:
            http_conn.request("GET", path, headers={"Authorization": "Bearer " + token})
            r = http_conn.getresponse()
            body = r.read()
            zt += len(json.loads(body)["items"]) if r.status == 200 else 0
            ld.search(base, flt, search_scope=scope, size_limit=20, attributes=["uid", "cn", "title", "mobile"])
            lda += len(ld.entries)
        mine[(kind, "zhengtong")] = (len(queries), zt)
        mine[(kind, "openldap")] = (len(queries), lda)
    ld.unbind()
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "census.json")
        dirbench(args, token, mix_path, "--census", "--json", out)
        with open(out) as f:
            theirs = {(r["query"], r["system"]): (r["queries"], r["results"]) for r in json.load(f)}
    print("%-15s %-10s %8s %12s %12s" % ("query", "system", "queries", "python", "dirbench"))
    same = True
    for key, (n, results) in mine.items():
        other = theirs.get(key, (None, None))
        same &= other == (n, results)
        print("%-15s %-10s %8d %12d %12s%s" % (*key, n, results, other[1], "" if other == (n, results) else "  DIFFERENT"))
    print("census: the two clients agree" if same else "census: the two clients DISAGREE")
    return same


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--zt", required=True)
    ap.add_argument("--ldap", required=True)
    ap.add_argument("--region", default="330110000000")
    ap.add_argument("--user", default="staff")
    ap.add_argument("--password", default="zhengtong")
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--warmup", type=float, default=1)
    ap.add_argument("--clients", type=int, nargs="+", default=[1, 8, 32])
    ap.add_argument("--threads", type=int, default=1, help="zhengtong-dirbench event loop threads")
    ap.add_argument("--json")
    ap.add_argument("--mix", help="where to write the query mix (default: a temp file)")
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--python-clients", action="store_true", help="one Python process per client (the old reference)")
    mode.add_argument("--census", action="store_true", help="check that Python and zhengtong-dirbench count alike")
    args = ap.parse_args()
    token = zt_login(args.zt, args.user, args.password)
    mix = build_mix(args, token)
    with tempfile.TemporaryDirectory() as tmp:
        mix_path = args.mix or os.path.join(tmp, "mix.json")
        write_mix(mix, mix_path)
        if args.census:
            sys.exit(0 if census(args, token, mix, mix_path) else 1)
        if args.python_clients:
            python_cells(args, token, mix)
        else:
            dirbench(args, token, mix_path, "--seconds", str(args.seconds), "--warmup", str(args.warmup),
                     "--threads", str(args.threads), "--clients", *map(str, args.clients),
                     *(["--json", args.json] if args.json else []))


if __name__ == "__main__":
    main()
