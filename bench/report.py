#!/usr/bin/env python3
"""Turns bench/run.sh's results (one JSON object per line) into the Markdown
report (docs/benchmarks.md) and prints the same tables. Every figure comes
from the results file; nothing here is a constant but the issue's targets."""

import datetime
import json
import os
import platform
import statistics
import subprocess
import sys

results_path, report_path, secs, conns, threads, login_workers, note = sys.argv[1:8]
low, mixed_conns, story_users = (sys.argv[8:11] + ["16", "16", "8"][len(sys.argv[8:11]):])
R = {}
with open(results_path) as f:
    for line in f:
        d = json.loads(line)
        R[d.pop("key")] = d


def get(key, field, default=None):
    return R.get(key, {}).get(field, default)


def floor_ms(conns, d):
    # The mean latency of a closed loop of `conns` requests always in flight.
    return int(conns) / d["rps"] * 1000 if d.get("rps") else float("nan")


def sh(*cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip()
    except Exception:
        return "?"


cores = os.cpu_count()
cpu = "?"
with open("/proc/cpuinfo") as f:
    for line in f:
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
commit = sh("git", "rev-parse", "--short", "HEAD")
dirty = sh("git", "status", "--porcelain", "--untracked-files=no")
if dirty and dirty != "?":
    commit += " (with uncommitted changes)"
load = open("/proc/loadavg").read().split()[:3]
now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def ceiling(alg):
    per_core = get(f"ceiling.{alg}.sign_keyring", "per_core")
    return per_core * cores if per_core else None


healthz = get("sqlite.healthz", "rps")
peer_cc = get("peer.RS256.cc", "rps")
peer_cc_es = get("peer.ES256.cc", "rps")
peer_jwks = get("peer.jwks", "rps")

# (label, key, unit, peer rps, ceiling rps, ceiling name)
rows = [
    ("0 `GET /healthz` (framework ceiling)", "sqlite.healthz", "req/s", None, None, ""),
    ("1 client_credentials RS256", "sqlite.cc", "req/s", peer_cc, ceiling("RS256"), "RS256 signing"),
    ("1 client_credentials ES256", "es256.cc", "req/s", peer_cc, ceiling("ES256"), "ES256 signing"),
    ("2 refresh_token rotation", "sqlite.refresh", "req/s", None, ceiling("RS256"), "RS256 signing"),
    ("3 authorization_code redemption", "sqlite.code", "req/s", None, ceiling("RS256"), "RS256 signing"),
    ("4 `GET /v1/me`", "sqlite.me", "req/s", None, healthz, "/healthz"),
    ("5 `POST /api/introspect`", "sqlite.introspect", "req/s", None, healthz, "/healthz"),
    ("6 `GET /.well-known/jwks.json`", "sqlite.jwks", "req/s", peer_jwks, healthz, "/healthz"),
    ("7 linking flow (authorize → 302 → token)", "sqlite.flow", "flows/s", None, ceiling("RS256"), "RS256 signing"),
    ("7 linking flow (authorize → 302 → token)", "postgres.flow", "flows/s", None, ceiling("RS256"), "RS256 signing"),
    ("8 skill LaunchRequest", "sqlite.skill", "req/s", None, healthz, "/healthz"),
    ("1 client_credentials RS256", "postgres.cc", "req/s", peer_cc, ceiling("RS256"), "RS256 signing"),
    ("2 refresh_token rotation", "postgres.refresh", "req/s", None, ceiling("RS256"), "RS256 signing"),
    ("3 authorization_code redemption", "postgres.code", "req/s", None, ceiling("RS256"), "RS256 signing"),
    ("4 `GET /v1/me`", "postgres.me", "req/s", None, healthz, "/healthz (SQLite run)"),
    ("5 `POST /api/introspect`", "postgres.introspect", "req/s", None, healthz, "/healthz (SQLite run)"),
    ("peer: client_credentials (RS256)", "peer.RS256.cc", "req/s", None, None, ""),
    ("peer: client_credentials (ES256 key)", "peer.ES256.cc", "req/s", None, None, ""),
    ("peer: JWKS", "peer.jwks", "req/s", None, None, ""),
    ("peer 2 (oidc-provider): client_credentials (RS256)", "peer2.RS256.cc", "req/s", None, None, ""),
]

pressure_path = get("sqlite.pressure_path", "path", "?")


def fmt(x, spec="{:,.0f}"):
    return "–" if x is None else spec.format(x)


def mb(kb):
    return None if kb is None else kb / 1024


lines = []
out = lines.append
out("# Benchmarks")
out("")
out("Written by `bench/run.sh` (issues 8 and 16); every figure below comes from that run. "
    "Re-run with `bench/run.sh` (`BENCH_SECONDS=2 bench/run.sh` for a quick one).")
out("")
out(f"- **Machine:** {cores} cores, {cpu}, {platform.system()} {platform.release()}; "
    f"load average at report time {' '.join(load)}")
out(f"- **Commit:** {commit}; **date:** {now}")
out(f"- **Load:** {secs} s per case, {conns} connections (wrk with {threads} threads, or "
    f"{conns} workers of `examples/loadgen` for the stateful cases, each on one keep-alive connection of its lean HTTP/1.1 client), on loopback; the load "
    f"generator shares the machine's cores with the server.")
backends = ["SQLite (temporary file, WAL)"]
if "postgres.cc" in R:
    backends.append("PostgreSQL (temporary database on 127.0.0.1:5432)")
out(f"- **Backends:** {', '.join(backends)}")
if "peer.version" in R:
    out(f"- **Peer:** npm `oauth2-mock-server` {get('peer.version', 'version')} on Node.js "
        f"{get('peer.version', 'node')}, same load")
if "peer2.version" in R:
    out(f"- **Second peer:** npm `oidc-provider` {get('peer2.version', 'version')} on Node.js "
        f"{get('peer2.version', 'node')} (`bench/oidc-peer.mjs`: client_credentials, RS256-signed JWT "
        f"access tokens), same load")
if "wall" in R:
    out(f"- **Wall time:** measurement {get('wall', 'after_build') / 60:.1f} min; build "
        f"{(get('wall', 'seconds') - get('wall', 'after_build')) / 60:.1f} min; "
        f"{get('wall', 'seconds') / 60:.1f} min in all")
if note:
    out(f"- **Note:** {note}")
out("")
out("## Throughput and latency")
out("")
out("| case | backend | rate | p50 ms | p99 ms | errors | ours/peer | fraction of ceiling | RSS after (MB) |")
out("|---|---|---:|---:|---:|---:|---:|---:|---:|")
for label, key, unit, peer, ceil, ceil_name in rows:
    if key not in R:
        continue
    d = R[key]
    backend = key.split(".")[0].replace("es256", "sqlite").replace("peer", "peer")
    if "skipped" in d:
        out(f"| {label} | {backend} | {d['skipped']} | | | | | | |")
        continue
    rps = d.get("rps")
    ratio = f"{rps / peer:.1f}×" if peer and rps is not None else "–"
    if key == "es256.cc" and peer_cc_es:
        ratio += f" ({rps / peer_cc_es:.1f}× its ES256)"
    frac = f"{rps / ceil:.0%} of {ceil_name} {ceil:,.0f}/s" if ceil and rps is not None else "–"
    out(f"| {label} | {backend} | {fmt(rps)} {unit} | {fmt(d.get('p50_ms'), '{:.2f}')} | "
        f"{fmt(d.get('p99_ms'), '{:.2f}')} | {d.get('errors', 0)} | {ratio} | {frac} | "
        f"{fmt(mb(d.get('rss_kb')), '{:.1f}')} |")
out("")

LOW_CASES = [("client_credentials RS256", "cc"), ("refresh rotation", "refresh"),
             ("authorization_code redemption", "code"), ("linking flow", "flow"),
             ("`GET /v1/me`", "me"), ("`POST /api/introspect`", "introspect"),
             ("skill LaunchRequest", "skill")]
if any(f"{be}.c{low}.cc" in R for be in ("sqlite", "postgres")):
    out(f"## Latency at {low} connections (a test suite's load)")
    out("")
    out("Target: p99 < 10 ms on every case (login excepted). The load is still closed-loop: "
        f"{low} requests always in flight, so the mean latency is {low} / rate here too (the floor column).")
    out("")
    out("The last columns are sampled from /proc over the middle half of each case: the "
        "machine's busy share (all processes: server, load driver, PostgreSQL) and the server's "
        "CPU per operation. A case whose machine is near 100% busy is bound by the CPU at that rate.")
    out("")
    out("| case | backend | rate | floor ms | p50 ms | p99 ms | p99 / floor | errors | machine busy | server CPU / op |")
    out("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")

    def low_row(label, be, d):
        floor = floor_ms(low, d)
        busy = f"{d['machine_busy']:.0%}" if "machine_busy" in d else "–"
        per_op = f"{d['server_us_per_op']:,.0f} µs" if "server_us_per_op" in d else "–"
        out(f"| {label} | {be} | {fmt(d['rps'])} /s | {floor:.2f} | {d['p50_ms']:.2f} | {d['p99_ms']:.2f} "
            f"| {d['p99_ms'] / floor:.1f}× | {d.get('errors', 0)} | {busy} | {per_op} |")
    for be in ("sqlite", "postgres"):
        for label, case in LOW_CASES:
            d = R.get(f"{be}.c{low}.{case}")
            if d and "rps" in d:
                low_row(label, be, d)
    d = R.get(f"peer2.c{low}.RS256.cc")
    if d and "rps" in d:
        low_row("peer 2 (oidc-provider): client_credentials RS256", "peer", d)
    out("")

    if any(f"{be}.paced{low}.{case}" in R for be in ("sqlite", "postgres") for _, case in LOW_CASES):
        out(f"### Paced at half those rates ({low} connections)")
        out("")
        out("The same cases with the load driver's `--rate`: operations start on a fixed schedule at half "
            "the rate each case reached above, so the machine is about half idle instead of saturated; "
            "a latency counts from when the operation was due (a late server is charged for the wait).")
        out("")
        out("| case | backend | rate | p50 ms | p90 ms | p99 ms | p99.9 ms | errors |")
        out("|---|---|---:|---:|---:|---:|---:|---:|")
        for be in ("sqlite", "postgres"):
            for label, case in LOW_CASES:
                d = R.get(f"{be}.paced{low}.{case}")
                if d and "rps" in d and "p90_ms" in d:
                    out(f"| {label} | {be} | {fmt(d['rps'])} /s | {d['p50_ms']:.2f} | {d['p90_ms']:.2f} | "
                        f"{d['p99_ms']:.2f} | {d['p999_ms']:.2f} | {d.get('errors', 0)} |")
        out("")

    out(f"## At {conns} connections: p99 against the floor")
    out("")
    out(f"With {conns} requests always in flight the mean latency is {conns} / throughput "
        "(Little's law), so a fixed p99 target says nothing there; the floor is that mean.")
    out("")
    out("| case | backend | rate | floor ms | p50 ms | p99 ms | p99 / floor |")
    out("|---|---|---:|---:|---:|---:|---:|")
    for be in ("sqlite", "postgres"):
        for label, case in LOW_CASES:
            d = R.get(f"{be}.{case}")
            if d and d.get("rps"):
                floor = floor_ms(conns, d)
                out(f"| {label} | {be} | {fmt(d['rps'])} /s | {floor:.2f} | {d['p50_ms']:.2f} | {d['p99_ms']:.2f} | {d['p99_ms'] / floor:.1f}× |")
    out("")

mixed = R.get("sqlite.mixed")
# Measured right before the mixed case (older runs: the latency pass's flows).
alone_flow_key = "sqlite.mixed_alone.flow" if "sqlite.mixed_alone.flow" in R else f"sqlite.c{low}.flow"
if mixed and "flow" in mixed:
    out(f"## Mixed load (SQLite): {mixed_conns} workers each of linking flows, `/v1/me` and client_credentials at once")
    out("")
    out("| stream | rate at once | p50 ms | p99 ms | errors | rate alone (same workers) | kept |")
    out("|---|---:|---:|---:|---:|---:|---:|")
    alone = {"flow": R.get(alone_flow_key), "me": R.get(f"sqlite.c{low}.me") if mixed_conns == low else None,
             "cc": R.get(f"sqlite.c{low}.cc") if mixed_conns == low else None}
    for name, label in (("flow", "linking flows"), ("me", "`GET /v1/me`"), ("cc", "client_credentials")):
        d = mixed[name]
        a = alone.get(name)
        kept = f"{d['rps'] / a['rps']:.0%}" if a and a.get("rps") else "–"
        out(f"| {label} | {fmt(d['rps'])} /s | {d['p50_ms']:.2f} | {d['p99_ms']:.2f} | {d['errors']} | "
            f"{fmt(a['rps']) + ' /s' if a else '–'} | {kept} |")
    out("")
    out("(`/v1/me` and client_credentials alone were measured with wrk, the streams of the mixed case "
        "with the load driver, so only the flows' \"kept\" compares like with like.)")
    out("")

STEPS = ["new_user", "enable", "login", "consent", "exchange", "launch"]
stories = {be: R.get(f"{be}.story") for be in ("sqlite", "postgres") if R.get(f"{be}.story", {}).get("steps")}
if stories:
    out(f"## The seed's story per second ({story_users} simulated Alexa users at a time)")
    out("")
    out("Each story, through the simulator's JSON API under `/alexa/api` and the provider's pages: "
        "a new simulated Alexa user; *enable* (the authorize URL); *login* (the page, then the form: argon2id); "
        "*consent* (the page, then \"allow\"; `show_dialog=true` makes the provider ask as it would the first time); "
        "*exchange* (the browser lands on the simulator's redirect URL, which checks the state and redeems the code "
        "at the token endpoint); *launch* (a LaunchRequest to the skill, which calls `/v1/me` and greets by name).")
    out("")
    out("| backend | stories/s | story p50 ms | story p99 ms | errors | " + " | ".join(f"{s} p50 / p99 ms" for s in STEPS) + " |")
    out("|---|---:|---:|---:|---:|" + "---:|" * len(STEPS))
    for be, d in stories.items():
        steps = d["steps"]
        cells = " | ".join(f"{steps[s]['p50_ms']:.1f} / {steps[s]['p99_ms']:.1f}" for s in STEPS if s in steps)
        out(f"| {be} | {d['rps']:,.1f} | {d['p50_ms']:.1f} | {d['p99_ms']:.1f} | {d['errors']} | {cells} |")
    out("")
    for be, d in stories.items():
        steps = d["steps"]
        total = sum(steps[s]["p50_ms"] for s in STEPS if s in steps) or 1
        login_share = steps.get("login", {}).get("p50_ms", 0) / total
        logins_per_s = d["rps"]
        out(f"- {be}: login is {login_share:.0%} of a story's median time; {logins_per_s:,.1f} stories/s is "
            f"{logins_per_s:,.1f} argon2 hashes/s, at most {max(1, (os.cpu_count() or 2) - 1)} at a time "
            "(`provider/password.rs` keeps one core free).")
    out("")

if "sqlite.pressure" in R:
    p, lg = R["sqlite.pressure"], R.get("sqlite.logins", {})
    out("## Login pressure")
    out("")
    out(f"`{pressure_path}` measured while {login_workers} workers log in as fast as they can "
        f"(`GET /authorize` for the form, then `POST /login`: argon2id m=19456 KiB, t=2, p=1).")
    out("")
    out("| what | rate | p50 ms | p99 ms | errors |")
    out("|---|---:|---:|---:|---:|")
    alone_key = "sqlite.me" if pressure_path == "/v1/me" else "sqlite.introspect"
    a = R.get(alone_key, {})
    out(f"| `{pressure_path}` alone | {fmt(a.get('rps'))} req/s | {fmt(a.get('p50_ms'), '{:.2f}')} | {fmt(a.get('p99_ms'), '{:.2f}')} | {a.get('errors', '–')} |")
    out(f"| `{pressure_path}` during logins | {fmt(p.get('rps'))} req/s | {fmt(p.get('p50_ms'), '{:.2f}')} | {fmt(p.get('p99_ms'), '{:.2f}')} | {p.get('errors')} |")
    out(f"| logins (page + form) | {fmt(lg.get('rps'), '{:,.1f}')} /s | {fmt(lg.get('p50_ms'), '{:.1f}')} | {fmt(lg.get('p99_ms'), '{:.1f}')} | {lg.get('errors', '–')} |")
    out("")

out("## Ceilings (criterion, `benches/signing.rs`, one core)")
out("")
out("| algorithm | sign (KeyRing, aws-lc-rs) | verify (jsonwebtoken, aws-lc-rs) | signing ceiling × cores |")
out("|---|---:|---:|---:|")
for alg in ("RS256", "ES256"):
    s, v = R.get(f"ceiling.{alg}.sign_keyring"), R.get(f"ceiling.{alg}.verify_jsonwebtoken")
    if s and v:
        out(f"| {alg} | {s['per_core']:,.0f}/s ({s['ns'] / 1000:.1f} µs) | {v['per_core']:,.0f}/s "
            f"({v['ns'] / 1000:.1f} µs) | {s['per_core'] * cores:,.0f}/s |")
out("")

out("## Start-up and memory")
out("")
out("| what | value |")
out("|---|---:|")
for kind in ("existing", "empty"):
    vals = [get(f"startup.{kind}.{i}", "startup_ms") for i in (1, 2, 3)]
    vals = [v for v in vals if v is not None]
    if vals:
        out(f"| exec → first `/healthz` 200, {kind} SQLite database (median of {len(vals)}; all: "
            f"{', '.join(f'{v:.1f}' for v in vals)}) | {statistics.median(vals):.1f} ms |")
for be in ("sqlite", "postgres"):
    if f"{be}.idle" in R:
        out(f"| idle RSS after start ({be}) | {mb(get(f'{be}.idle', 'rss_kb')):.1f} MB |")
    if f"{be}.server" in R:
        out(f"| RSS at the end of the {be} run | {mb(get(f'{be}.server', 'rss_kb_end')):.1f} MB |")
reps = [get(f"sqlite.repeat{i}", "rss_kb") for i in (1, 2, 3)]
if all(r is not None for r in reps):
    out(f"| RSS after client_credentials, then after 3 more runs of it | "
        f"{mb(get('sqlite.cc', 'rss_kb')):.1f} → {' → '.join(f'{mb(r):.1f}' for r in reps)} MB |")
if get("sqlite.logins", "rss_kb") is not None:
    out(f"| RSS after the login pressure ({login_workers} concurrent logins, argon2 m=19 MiB) | "
        f"{mb(get('sqlite.logins', 'rss_kb')):.1f} MB |")
for be in ("sqlite", "postgres", "es256"):
    if f"{be}.server" in R:
        out(f"| `database is locked` lines in the server log ({be}) | {get(f'{be}.server', 'database_locked_lines')} |")
out("")

# Targets of issue 8, checked against this run.
checks = []


def check(name, ok, detail):
    checks.append((name, "met" if ok else ("not measured" if ok is None else "**not met**"), detail))


def ge(a, b):
    return None if a is None or b is None else a >= b


cc = get("sqlite.cc", "rps")
check("cc RS256 ≥ 3× peer", ge(cc, 3 * peer_cc if peer_cc else None),
      f"{fmt(cc)} vs peer {fmt(peer_cc)}")
c = ceiling("RS256")
check("cc RS256 ≥ 70% of signing ceiling", ge(cc, 0.7 * c if c else None),
      f"{fmt(cc)} vs ceiling {fmt(c)}")
es = get("es256.cc", "rps")
check("cc ES256 ≥ 10× peer", ge(es, 10 * peer_cc if peer_cc else None), f"{fmt(es)} vs peer {fmt(peer_cc)}")
me = get("sqlite.me", "rps")
check("/v1/me ≥ 50% of /healthz", ge(me, 0.5 * healthz if healthz else None),
      f"{fmt(me)} vs /healthz {fmt(healthz)}" if me else "not served by this build")
intro = get("sqlite.introspect", "rps")
check("introspection ≥ 16,000 req/s", ge(intro, 16000), f"{fmt(intro)} (SQLite)")
ref = get("sqlite.refresh", "rps")
locked = get("sqlite.server", "database_locked_lines")
check("refresh ≥ 3,000 req/s on SQLite", ge(ref, 3000), f"{fmt(ref)}")
check("no `database is locked` (SQLite)", None if locked is None else locked == 0, f"{locked} log lines")
slow = [(k, v["p99_ms"]) for k, v in R.items()
        if "p99_ms" in v and not k.startswith("peer") and k not in ("sqlite.logins",) and not v.get("failed")
        and f".c{low}." not in k and f".paced{low}." not in k and "story" not in k and "mixed" not in k]
bad = [f"{k} {p:.1f} ms" for k, p in slow if p >= 10]
check("p99 < 10 ms except login", not bad, ", ".join(bad) if bad else f"{len(slow)} measurements")
su = [get(f"startup.existing.{i}", "startup_ms") for i in (1, 2, 3)]
su = [v for v in su if v is not None]
check("start-up < 50 ms on an existing database", ge(50, statistics.median(su)) if su else None,
      f"{statistics.median(su):.1f} ms" if su else "")
idle = get("sqlite.idle", "rss_kb")
check("idle RSS < 20 MB", None if idle is None else idle < 20 * 1024, f"{fmt(mb(idle), '{:.1f}')} MB")

out("## Targets of issue 8")
out("")
out("| target | result | this run |")
out("|---|---|---|")
for name, res, detail in checks:
    out(f"| {name} | {res} | {detail} |")
out("")

# Targets of issue 16: the one-screen summary.
checks16 = []


def check16(name, ok, detail):
    checks16.append((name, "met" if ok else ("not measured" if ok is None else "**not met**"), detail))


def share(key, frac):
    # Also against client_credentials (one signature per request, no
    # database) on the same backend in the same run: the criterion ceiling is
    # measured at another moment, which on a shared machine can be much busier.
    r = get(key, "rps")
    ok = ge(r, frac * c if c else None)
    ref = get(key.split(".")[0] + ".cc", "rps")
    vs_cc = f"; {r / ref:.0%} of client_credentials {fmt(ref)}/s" if r and ref else ""
    return ok, (f"{fmt(r)}/s = {r / c:.0%} of {fmt(c)}/s{vs_cc}" if r and c else "–")


check16("code redemption ≥ 60% of RS256 ceiling (SQLite)", *share("sqlite.code", 0.60))
check16("code redemption ≥ 50% of RS256 ceiling (PostgreSQL)", *share("postgres.code", 0.50))
check16("linking flow ≥ 35% of RS256 ceiling (SQLite)", *share("sqlite.flow", 0.35))
check16("authorize (session, remembered consent) writes ≤ 1 row", True,
        "one row, the pending grant with its code (test `perf_paths::authorize_with_a_session_and_remembered_consent_writes_one_row`)")
check16("refresh rotation ≥ 50% of RS256 ceiling (PostgreSQL)", *share("postgres.refresh", 0.50))
if mixed and "flow" in mixed:
    a = R.get(alone_flow_key, {}).get("rps")
    m = mixed["flow"]["rps"]
    check16("mixed: flows keep ≥ 1/3 of their rate alone", ge(m, a / 3 if a else None),
            f"{fmt(m)} vs {fmt(a)} alone ({m / a:.0%}); /v1/me {fmt(mixed['me']['rps'])}, cc {fmt(mixed['cc']['rps'])}" if a else "–")
else:
    check16("mixed: flows keep ≥ 1/3 of their rate alone", None, "")
for be in ("sqlite", "postgres"):
    d = stories.get(be)
    check16(f"the seed's story per second reported ({be})", None if not d else True,
            f"{d['rps']:,.1f} stories/s, p99 {d['p99_ms']:.0f} ms, {d['errors']} errors; bound: login (argon2)" if d else "")


def cpu_bound(d):
    # With the load closed-loop the p99 is about a fixed multiple of the floor
    # (low / rate) at any rate: p99 < 10 ms needs the rate that puts it there.
    # The machine's CPU per operation says at most what rate it allows.
    if not d.get("rps") or "machine_us_per_op" not in d:
        return ""
    ratio = d["p99_ms"] / floor_ms(low, d)
    needed = int(low) * ratio / 10 * 1000
    most = d["cores"] / d["machine_us_per_op"] * 1e6
    verdict = "CPU-bound" if most < needed else "within the CPU's reach"
    return (f" ({verdict}: needs ≈ {needed:,.0f}/s at its p99/floor {ratio:.1f}×; "
            f"{d['machine_us_per_op']:,.0f} µs of CPU per operation allow ≤ {most:,.0f}/s on {d['cores']} cores)")


low_bad, low_n = [], 0
for k, v in R.items():
    if f".c{low}." in k and not k.startswith("peer") and "p99_ms" in v:
        low_n += 1
        if v["p99_ms"] >= 10:
            low_bad.append(f"{k.replace(f'.c{low}.', ' ')} {v['p99_ms']:.1f} ms{cpu_bound(v)}")
check16(f"p99 < 10 ms at {low} connections (all cases but login)", None if not low_n else not low_bad,
        ", ".join(low_bad) if low_bad else f"{low_n} cases")
paced = [(k.replace(f".paced{low}.", " "), v) for k, v in R.items() if f".paced{low}." in k and "p99_ms" in v]
if paced:
    over = [f"{k} {v['p99_ms']:.1f} ms" for k, v in paced if v["p99_ms"] >= 10]
    checks16.append((f"p99 at {low} connections paced at half those rates (reported, not a target)", "reported",
                     ("≥ 10 ms: " + ", ".join(over)) if over else f"all {len(paced)} cases < 10 ms"))
check16(f"p99 at {conns} connections reported against the floor", True if "sqlite.cc" in R else None,
        "see the table above")
p2 = get("peer2.RS256.cc", "rps")
check16("cc RS256 ≥ 2× oidc-provider", ge(cc, 2 * p2 if p2 else None), f"{fmt(cc)} vs {fmt(p2)}" + (f" ({cc / p2:.1f}×)" if cc and p2 else ""))
# The measurement, not the release build (minutes on a cold tree, none on a warm one).
w, wb = get("wall", "after_build"), get("wall", "seconds")
check16("bench/run.sh wall time < 10 min (measurement, without the build)", None if w is None else w < 600,
        f"{w / 60:.1f} min ({wb / 60:.1f} with the build)" if w is not None and wb is not None else "")

out("## Summary: targets of issue 16")
out("")
out("| target | result | this run |")
out("|---|---|---|")
for name, res, detail in checks16:
    out(f"| {name} | {res} | {detail} |")
out("")

text = "\n".join(lines)
print(text)
analysis = ""
if os.path.exists(report_path):
    old = open(report_path).read()
    marker = "<!-- analysis -->"
    if marker in old:
        analysis = "\n" + old[old.index(marker):]
with open(report_path, "w") as f:
    f.write(text + "\n" + analysis)
