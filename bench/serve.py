#!/usr/bin/env python3
"""`make bench`, part 2: `outreach serve` under load from wrk on loopback (SPEC §10, issue 10).

Measures, in one run against one server:
  1. the trivial endpoint (GET /healthz) — the server's ceiling on this machine;
  2. one-click POSTs (/u/{token}, every request a different lead's real token: one write each);
  3. one-click POSTs while a proof tick of --big leads runs on the same database.
Goals: (2) >= 0.5 x (1); during (3) no request fails and p99 < 1 s.
"""
import argparse, base64, hashlib, hmac, os, re, shutil, sqlite3, subprocess, sys, tempfile, time

SECRET = "bench-secret"
CAMPAIGN = """slug: {slug}
name: bench
timezone: UTC
sender: {{ from: "Bench <bench@example.com>", postal_address: "1 Main St" }}
limits: {{ per_tick: 1000000, daily_quota: 1000000, cooldown: 24h }}
window: {{ days: [mon, tue, wed, thu, fri, sat, sun], start: "00:00", end: "24:00" }}
transport: {{ kind: proof }}
unsubscribe: {{ url: "https://example.com/u/{{{{token}}}}", secret_env: OUTREACH_UNSUB_SECRET }}
steps:
  - {{ id: intro, delay: 0h, subject: "Hello {{{{first_name}}}}", body: "Hi {{{{first_name}}}}." }}
"""


def token(lead_id):
    mac = hmac.new(SECRET.encode(), f"outreach-unsubscribe:2:{lead_id}".encode(), hashlib.sha256).digest()
    return f"2.{lead_id}." + base64.urlsafe_b64encode(mac).decode().rstrip("=")


def run(binary, args, env, cwd):
    result = subprocess.run([binary] + args, env=env, cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"outreach {' '.join(args)} exited {result.returncode}: {result.stderr}")
    return result


def wrk(url, seconds, connections, script=None):
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "5s"]
    if script:
        command += ["-s", script]
    output = subprocess.run(command + [url], capture_output=True, text=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", output)
    p99_ms = float(p99.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[p99.group(2)]
    non2xx = int((re.search(r"Non-2xx or 3xx responses: (\d+)", output) or [0, 0])[1])
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    socket_errors = sum(int(x) for x in errors.groups()) if errors else 0
    total = int(re.search(r"(\d+) requests in", output).group(1))
    return {"rate": rate, "p99_ms": p99_ms, "failed": non2xx + socket_errors, "requests": total}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=".build/release/outreach")
    parser.add_argument("--leads", type=int, default=20000, help="leads whose tokens the POSTs use")
    parser.add_argument("--big", type=int, default=100000, help="leads of the proof tick that runs during phase 3")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    options = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed (Debian package wrk); `make bench` installs it.")
    binary = os.path.abspath(options.binary)
    work = tempfile.mkdtemp(prefix="outreach-serve-bench-")
    env = dict(os.environ, OUTREACH_UNSUB_SECRET=SECRET, OUTREACH_DB=os.path.join(work, "outreach.sqlite"))
    try:
        run(binary, ["migrate"], env, work)
        for slug, count in (("clicks", options.leads), ("big", options.big)):
            with open(os.path.join(work, f"{slug}.yaml"), "w") as f:
                f.write(CAMPAIGN.format(slug=slug))
            with open(os.path.join(work, f"{slug}.csv"), "w") as f:
                f.write("email,first_name\n" + "".join(f"{slug}{i}@example.org,L{i}\n" for i in range(count)))
            run(binary, ["campaign", "apply", f"{slug}.yaml"], env, work)
            run(binary, ["leads", "import", slug, f"{slug}.csv"], env, work)
        ids = [row[0] for row in sqlite3.connect(env["OUTREACH_DB"]).execute(
            "SELECT l.id FROM leads l JOIN campaigns c ON c.id = l.campaign_id WHERE c.slug = 'clicks' ORDER BY l.id")]
        half = len(ids) // 2
        for name, part in (("post1.lua", ids[:half]), ("post2.lua", ids[half:])):
            with open(os.path.join(work, name), "w") as f:
                f.write("local tokens = {" + ",".join(f'"{token(i)}"' for i in part) + "}\n")
                f.write("local n = 0\n")
                f.write('wrk.method = "POST"\nwrk.body = "List-Unsubscribe=One-Click"\n')
                f.write('wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\n')
                f.write("request = function()\n  n = n + 1\n  return wrk.format(nil, \"/u/\" .. tokens[(n % #tokens) + 1])\nend\n")
        log = open(os.path.join(work, "serve.log"), "w")
        # Logging at the default level, as in production (one line per recorded unsubscribe).
        server = subprocess.Popen([binary, "serve", "--listen", "127.0.0.1:0"], env=env, cwd=work,
                                  stdout=log, stderr=subprocess.STDOUT)
        port = None
        for _ in range(200):
            match = re.search(r"address=127\.0\.0\.1:(\d+)", open(os.path.join(work, "serve.log")).read())
            if match:
                port = int(match.group(1))
                break
            time.sleep(0.05)
        if port is None:
            sys.exit("outreach serve did not start: " + open(os.path.join(work, "serve.log")).read())
        base = f"http://127.0.0.1:{port}"
        try:
            trivial = wrk(f"{base}/healthz", options.seconds, options.connections)
            clicks = wrk(base, options.seconds, options.connections, os.path.join(work, "post1.lua"))
            tick = subprocess.Popen([binary, "tick", "big", "--mode", "proof", "-q"], env=env, cwd=work,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            started = time.time()
            during = wrk(base, options.seconds, options.connections, os.path.join(work, "post2.lua"))
            tick_error = tick.communicate()[1]
            tick_seconds = time.time() - started
            if tick.returncode != 0:
                sys.exit(f"the proof tick failed: {tick_error}")
        finally:
            server.kill()
            server.wait()
        recorded = sqlite3.connect(env["OUTREACH_DB"]).execute("SELECT count(*) FROM unsubscribes").fetchone()[0]
        dispatched = sqlite3.connect(env["OUTREACH_DB"]).execute(
            "SELECT count(*) FROM jobs j JOIN campaigns c ON c.id = j.campaign_id WHERE c.slug = 'big'").fetchone()[0]
        ratio = clicks["rate"] / trivial["rate"]
        print()
        print("| outreach serve (wrk, loopback, %d connections, %ds each) | requests/s | p99 | failed |" % (options.connections, options.seconds))
        print("|---|---:|---:|---:|")
        print("| GET /healthz (the trivial endpoint) | %.0f | %.1f ms | %d |" % (trivial["rate"], trivial["p99_ms"], trivial["failed"]))
        print("| POST /u/{token} one-click, a different lead each | %.0f | %.1f ms | %d |" % (clicks["rate"], clicks["p99_ms"], clicks["failed"]))
        print("| POST /u/{token} while a proof tick of %d leads runs | %.0f | %.1f ms | %d |" % (
            options.big, during["rate"], during["p99_ms"], during["failed"]))
        print()
        print(f"one-click / trivial: {ratio:.2f} (goal >= 0.5: {'met' if ratio >= 0.5 else 'MISSED'})")
        print(f"during the tick: {during['failed']} failed, p99 {during['p99_ms']:.1f} ms "
              f"(goal: none failed, p99 < 1 s: {'met' if during['failed'] == 0 and during['p99_ms'] < 1000 else 'MISSED'}); "
              f"the tick dispatched {dispatched} of {options.big} in {tick_seconds:.1f} s")
        print(f"unsubscribes recorded: {recorded} (distinct leads POSTed at least once)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


main()
