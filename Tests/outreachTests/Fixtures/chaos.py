#!/usr/bin/env python3
"""Model-based chaos test of outreach's promise, run from the outside against the built binary.

    chaos.py --binary PATH --seed N --ops M [--seconds S] --workdir DIR
             [--disable OPS_OR_MODES] [--ignore-checks CHECKS] [--strict-stale] [-v]

The promise (SPEC §8, §9): no person receives the same step of a campaign twice, nobody is
contacted after their opt-out was committed, and no lead is lost.

One live campaign sends through `ledger-sendmail`, which appends every message it accepts to
DIR/ctl/ledger.jsonl: the ground truth of what left the machine. The driver appends its own
markers to the same file (opt-outs once their command returned, step lists once applied,
ticks that lost their lease), so the file's order is the order of events. A seeded random
sequence of operations (imports, opt-outs, step edits, live ticks with scripted sendmail
failures, kill -9 and SIGSTOP/SIGCONT of ticks) runs on a simulated clock (`--now`, forward
only); after each one the ledger is replayed and the database inspected. A drain phase then
ticks until nothing is due and checks that no lead was lost.

Exit 0 when every check passed; 1 with the first violation (operation number and what was
found); 2 when the driver itself could not go on. The seed is printed first: the same seed
replays the same operations and clock, though where a signal lands depends on timing.
The binary is copied into DIR first, so a rebuild during the run cannot mix two versions.
Python 3 standard library only.
"""
import argparse
import collections
import datetime
import fcntl
import glob
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time

SLUG = "chaos"
HERE = os.path.dirname(os.path.abspath(__file__))
# Every step id always means the same step (delay, subject, body), whatever the list's order.
STEP_POOL = {"intro": "0h", "followup1": "1h", "followup2": "2h", "nudge": "30m", "breakup": "3h"}
DOMAINS = ["d%d.example" % i for i in range(6)]
MODES = {"ok": 4, "fail75": 2, "fail67": 1, "slow": 1, "linger": 1, "delay": 2}
TIMEOUT = 2  # the campaign's transport timeout, seconds
ACCEPTED_FOR = {"ok": "sent", "linger": "sent", "delay": "sent", "slow": "unknown"}


class Violation(Exception):
    """A broken promise (or a crash) found by a check."""


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def snapshot_binary(path, folder, wait=300):
    """Copies the binary into the work folder, so a rebuild during the run cannot mix two
    versions (or fail with ETXTBSY). Waits while it is missing or still being written."""
    deadline = time.time() + wait
    while True:
        try:
            before = os.stat(path)
            time.sleep(0.5)
            if os.stat(path).st_mtime == before.st_mtime and before.st_size > 0:
                copy = os.path.join(folder, "outreach")
                shutil.copy2(path, copy)
                if subprocess.run([copy, "--help"], capture_output=True, timeout=60).returncode == 0:
                    return copy
        except (OSError, subprocess.TimeoutExpired):
            pass
        if time.time() > deadline:
            raise SystemExit("chaos: %s is missing or keeps changing; build it first" % path)
        time.sleep(2)


class Outreach:
    """Runs the real binary with --db and the simulated --now; output goes to files, never pipes
    (a lingering grandchild must not be able to hang the driver)."""

    def __init__(self, binary, db, workdir):
        self.binary, self.db, self.workdir = binary, db, workdir
        self.env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": workdir, "LANG": "C.UTF-8",
                    "OUTREACH_UNSUB_SECRET": "chaos-secret"}

    def start(self, args, now):
        argv = [self.binary] + args + (["--db", self.db] if now else []) + (["--now", iso(now)] if now else [])
        out = open(os.path.join(self.workdir, "last.out"), "w+")
        err = open(os.path.join(self.workdir, "last.err"), "w+")
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=self.env)
        proc.files, proc.argv = (out, err), argv
        return proc

    @staticmethod
    def finish(proc, timeout=60):
        """Waits (bounded) and returns (exit status, stdout, stderr)."""
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise Violation("`%s` did not finish within %ds" % (" ".join(proc.argv[1:4]), timeout))
        texts = []
        for f in proc.files:
            f.seek(0)
            texts.append(f.read())
            f.close()
        return proc.returncode, texts[0], texts[1]

    def run(self, args, now, ok=(0,)):
        status, out, err = self.finish(self.start(args, now))
        if ok is not None and status not in ok:
            raise Violation("`outreach %s` exited %d: %s" % (" ".join(args), status, err.strip()[-400:]))
        return status, out, err


class Ledger:
    """DIR/ctl: the sendmail stand-in's ledger, mode queue and running children."""

    def __init__(self, folder):
        self.folder = folder
        self.path = os.path.join(folder, "ledger.jsonl")
        os.makedirs(os.path.join(folder, "running"), exist_ok=True)
        with open(os.path.join(folder, "config.json"), "w") as f:
            json.dump({"slow_seconds": TIMEOUT + 2, "linger_seconds": 6, "delay_seconds": 0.3}, f)

    def mark(self, record):
        """Appends a driver marker the way ledger-sendmail appends a message (lock + one write)."""
        lock = os.open(self.path + ".lock", os.O_CREAT | os.O_RDWR, 0o644)
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            os.write(fd, (json.dumps(record, sort_keys=True) + "\n").encode())
            os.close(fd)
        finally:
            os.close(lock)

    def records(self):
        try:
            with open(self.path) as f:
                return [json.loads(line) for line in f if line.strip()]
        except FileNotFoundError:
            return []

    def queue(self, modes):
        with open(os.path.join(self.folder, "modes"), "w") as f:
            f.write("".join(m + "\n" for m in modes))

    def wait_children(self, seconds=20, fail=True, pids=()):
        """Waits until no ledger-sendmail is alive (orphans of a killed tick included), nor any
        of `pids` (children a tick had started, which may not have registered yet)."""
        deadline = time.time() + seconds
        while True:
            alive = [p for p in os.listdir(os.path.join(self.folder, "running")) if pid_alive(int(p))]
            alive += [p for p in pids if pid_alive(p)]
            if not alive:
                return True
            if time.time() > deadline:
                if fail:
                    raise Violation("sendmail children still running after %ds: %s" % (seconds, alive))
                return False
            time.sleep(0.05)


def pid_alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has finished
    except FileNotFoundError:
        return False
    except OSError:
        try:
            os.kill(pid, 0)
            return True
        except OSError:
            return False


def children_of(pid):
    """The live child processes of `pid` (ask while it is stopped, so it cannot start more)."""
    if not os.path.isdir("/proc"):
        found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True, timeout=10).stdout
        return [int(p) for p in found.split()]
    kids = []
    for entry in os.listdir("/proc"):
        try:
            with open("/proc/%s/stat" % entry) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if entry.isdigit() and int(fields[1]) == pid and fields[0] != "Z":
                kids.append(int(entry))
        except (OSError, IndexError):
            pass
    return kids


def key_fields(key):
    """`[installation:]campaign:lead:step_id:step_index` → (lead, step_id, normalised key)."""
    parts = ([""] * 4 + key.split(":"))[-4:] if key.count(":") < 3 else key.split(":")
    return parts[-3], parts[-2], ":".join(parts[-4:])


class Model:
    """What the driver knows: the clock, the leads, the step list, the opt-outs, counters."""

    def __init__(self, rng):
        self.rng = rng
        self.now = datetime.datetime(2026, 1, 5, 9, 0, 0)
        self.leads = []            # emails imported, in order
        self.steps = ["intro", "followup1"] + (["followup2"] if rng.random() < 0.5 else [])
        self.opted = set()         # emails opted out (any scope)
        self.domains = set()       # domains suppressed
        self.counts = collections.Counter()

    def tick_clock(self):
        """Moves the clock forward: mostly minutes, sometimes hours, rarely days (never back,
        and always at least a second, so no two operations share a timestamp)."""
        r = self.rng.random()
        seconds = self.rng.randint(1, 600) if r < 0.7 else self.rng.randint(600, 3 * 3600) if r < 0.95 \
            else self.rng.randint(6 * 3600, 2 * 86400)
        self.now += datetime.timedelta(seconds=seconds)

    def new_emails(self, n):
        start = len(self.leads)
        return ["p%d@%s" % (i, self.rng.choice(DOMAINS)) for i in range(start, start + n)]


class Chaos:
    def __init__(self, args):
        self.args, self.seed = args, args.seed
        self.rng = random.Random(args.seed)
        self.disabled = set(filter(None, (args.disable or "").split(",")))
        self.ignored_checks = set(filter(None, (args.ignore_checks or "").split(",")))
        self.work = os.path.abspath(args.workdir)
        if os.path.exists(self.work):
            shutil.rmtree(self.work)
        os.makedirs(self.work)
        self.db = os.path.join(self.work, "outreach.sqlite")
        self.cli = Outreach(snapshot_binary(os.path.abspath(args.binary), self.work), self.db, self.work)
        self.ledger = Ledger(os.path.join(self.work, "ctl"))
        self.model = Model(self.rng)
        self.op_no, self.op_name = 0, "setup"
        self.has_verify = None
        self.log = open(os.path.join(self.work, "ops.log"), "w")
        self.stats = {}
        self.paused = None  # a tick this driver stopped: never leave it behind

    def note(self, text):
        self.log.write("#%d %s %s: %s\n" % (self.op_no, iso(self.model.now), self.op_name, text))
        self.log.flush()
        if self.args.verbose:
            print("  #%d %s: %s" % (self.op_no, self.op_name, text), file=sys.stderr)

    # MARK: - Campaign file, leads

    def campaign_yaml(self, per_tick=4):
        interpreter = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
        steps = "\n".join('  - { id: %s, delay: %s, subject: "%s for {{first_name}}", body: "Hi {{first_name}}, this is %s." }'
                          % (s, STEP_POOL[s], s, s) for s in self.model.steps)
        return """slug: %s
name: Chaos
timezone: UTC
sender: { from: "Chaos <chaos@example.com>", postal_address: "1 Main St, Springfield" }
limits: { per_tick: %d, daily_quota: 100000, cooldown: 0s }
window: { days: [mon, tue, wed, thu, fri, sat, sun], start: "00:00", end: "24:00" }
retry: { max_attempts: 3, base: 60s, cap: 1h }
circuit_breaker: { failures: 5, cooldown: 5m }
transport: { kind: sendmail, command: [%s, %s, %s, -t, -oi], timeout: %ds }
unsubscribe: { url: "https://example.com/u/{{token}}", mailto: "unsubscribe@example.com", secret_env: OUTREACH_UNSUB_SECRET }
steps:
%s
""" % (SLUG, per_tick, interpreter, os.path.join(HERE, "ledger-sendmail"), self.ledger.folder, TIMEOUT, steps)

    def apply_campaign(self, per_tick=4):
        path = os.path.join(self.work, "campaign.yaml")
        with open(path, "w") as f:
            f.write(self.campaign_yaml(per_tick))
        self.cli.run(["campaign", "apply", path], self.model.now)
        # Re-applying changed steps revokes the approval: approve the new content again.
        self.cli.run(["campaign", "approve", SLUG, "--by", "chaos"], self.model.now)
        self.ledger.mark({"kind": "steps", "steps": list(self.model.steps), "op": self.op_no})

    def import_leads(self, emails):
        path = os.path.join(self.work, "leads.csv")
        with open(path, "w") as f:
            f.write("email,first_name\n" + "".join("%s,P%s\n" % (e, e.split("@")[0][1:]) for e in emails))
        self.cli.run(["leads", "import", SLUG, path], self.model.now)
        self.model.leads += [e for e in emails if e not in self.model.leads]
        self.model.counts["imported"] += len(emails)

    def setup(self):
        self.cli.run(["migrate"], self.model.now)
        self.apply_campaign()
        self.import_leads(self.model.new_emails(self.rng.randint(6, 10)))
        help_text = self.cli.run(["--help"], None)[1]  # `verify` (SPEC §9.10) once it exists
        self.has_verify = any(line.strip().startswith("verify ") for line in help_text.splitlines())

    # MARK: - Operations

    def op_import(self):
        if len(self.model.leads) >= 60:
            return self.op_observe()
        emails = self.model.new_emails(self.rng.randint(1, 4))
        if self.model.leads and self.rng.random() < 0.3:
            emails.append(self.rng.choice(self.model.leads))  # an identical repeat: changes nothing
        self.import_leads(emails)
        self.note("imported %s" % emails)

    def op_optout(self, prefer=None):
        """One opt-out; once its command has returned, the ledger gets a marker after which no
        message may reach that address (or domain)."""
        candidates = [e for e in (prefer or self.model.leads) if e not in self.model.opted] or self.model.leads
        email = self.rng.choice(candidates)
        how = self.rng.choices(["unsubscribe", "unsubscribe_campaign", "suppress_email", "suppress_domain", "dnc"],
                               weights=[3, 3, 3, 1 if len(self.model.domains) < 2 else 0, 3])[0]
        domain = email.split("@")[1]
        argv = {"unsubscribe": ["unsubscribe", "add", email],
                "unsubscribe_campaign": ["unsubscribe", "add", email, "--campaign", SLUG],
                "suppress_email": ["suppress", "add", "--email", email, "--reason", "chaos"],
                "suppress_domain": ["suppress", "add", "--domain", domain, "--reason", "chaos"],
                "dnc": ["leads", "dnc", SLUG, email]}[how]
        self.cli.run(argv, self.model.now)
        if how == "suppress_domain":
            self.model.domains.add(domain)
            self.ledger.mark({"kind": "optout", "how": how, "domain": domain, "op": self.op_no})
        else:
            self.model.opted.add(email)
            self.ledger.mark({"kind": "optout", "how": how, "email": email, "op": self.op_no})
        self.model.counts["optouts"] += 1
        self.note("%s %s" % (how, domain if how == "suppress_domain" else email))

    def op_steps(self):
        """Inserts, removes or reorders steps (ids keep their content), re-applies, re-approves."""
        steps = list(self.model.steps)
        unused = [s for s in STEP_POOL if s not in steps]
        kind = self.rng.choice(["insert", "remove", "reorder"])
        if kind == "insert" and unused and len(steps) < 4:
            steps.insert(self.rng.randint(0, len(steps)), self.rng.choice(unused))
        elif kind == "remove" and len(steps) > 2:
            steps.pop(self.rng.randrange(len(steps)))
        else:
            kind = "reorder"
            i, j = self.rng.sample(range(len(steps)), 2)
            steps[i], steps[j] = steps[j], steps[i]
        self.model.steps = steps
        self.apply_campaign()
        self.model.counts["step_changes"] += 1
        self.note("%s → %s" % (kind, steps))

    def random_modes(self, extra=()):
        modes = [m for m in MODES if m not in self.disabled]
        if self.rng.random() < 0.5:
            return list(extra)
        picked = self.rng.choices(modes, weights=[MODES[m] for m in modes], k=self.rng.randint(1, 4))
        return picked + list(extra)

    def op_tick(self, modes=None):
        """A live tick that runs to its end, with sendmail behaviours queued."""
        modes = self.random_modes() if modes is None else modes
        self.ledger.queue(modes)
        proc = self.cli.start(["tick", SLUG, "--mode", "live"], self.model.now)
        status, out, err = self.cli.finish(proc)
        ended = time.time()
        self.ledger.wait_children()
        self.ledger.queue([])
        self.model.counts["ticks"] += 1
        self.note("tick %s exit %d: %s" % (modes, status, out.strip()))
        if status not in (0, 75):
            raise Violation("live tick exited %d (modes %s): %s" % (status, modes, err.strip()[-400:]))
        self.check_tick_outcomes(proc.pid, ended)
        return status

    def due_now(self):
        return self.query("SELECT (SELECT count(*) FROM leads WHERE status IN ('new', 'active') AND next_action_at <= ?)"
                          " + (SELECT count(*) FROM jobs WHERE status = 'retry_scheduled' AND next_attempt_at <= ?)",
                          (iso(self.model.now),) * 2)[0][0]

    def start_with_window(self):
        """Starts a tick with work to do, whose sends are slowed down a little, so that a signal
        can land mid-tick."""
        if not self.due_now():
            self.model.now += datetime.timedelta(seconds=self.rng.randint(3600, 4 * 3600))
        delays = [] if "delay" in self.disabled else ["delay"] * self.rng.randint(1, 3)
        modes = self.random_modes(extra=delays)
        self.rng.shuffle(modes)
        self.ledger.queue(modes)
        return self.cli.start(["tick", SLUG, "--mode", "live", "--lease-seconds", "2"], self.model.now), modes

    def op_kill(self):
        """kill -9 of a live tick at a random instant; its sendmail children finish on their own."""
        proc, modes = self.start_with_window()
        time.sleep(self.rng.uniform(0.005, 0.5))
        kids = []
        if proc.poll() is None:
            proc.send_signal(signal.SIGSTOP)  # so it cannot start a child while we list them
            kids = children_of(proc.pid)
            proc.send_signal(signal.SIGKILL)
            self.model.counts["kills"] += 1
        status = self.cli.finish(proc)[0]
        self.ledger.wait_children(pids=kids)
        self.ledger.queue([])
        self.note("kill -9 (modes %s) → %d" % (modes, status))
        if status not in (0, 75, -signal.SIGKILL):
            raise Violation("live tick exited %d before it could be killed" % status)

    def holds_lease(self, pid):
        try:
            owner = self.query("SELECT owner FROM leases", timeout=0.2)
        except sqlite3.OperationalError:  # stopped while it held a lock even readers need
            return False
        return bool(owner) and owner[0][0] is not None and owner[0][0].split(":")[-2] == str(pid)

    def write_locked(self):
        con = sqlite3.connect(self.db, timeout=0, isolation_level=None)
        try:
            con.execute("BEGIN IMMEDIATE")
            con.execute("ROLLBACK")
            return False
        except sqlite3.OperationalError:
            return True
        finally:
            con.close()

    def op_stop(self):
        """SIGSTOP a tick that holds the lease (outside a write transaction), let its lease expire,
        run another tick, opt some addresses out, SIGCONT the first: it must write nothing, and
        anything it still sends is counted as a stale send."""
        proc, modes = self.start_with_window()
        self.paused = proc
        time.sleep(self.rng.uniform(0.01, 0.3))
        stopped = False
        for _ in range(100):
            if proc.poll() is not None:
                break
            proc.send_signal(signal.SIGSTOP)
            if self.holds_lease(proc.pid) and not self.write_locked():
                stopped = True
                break
            proc.send_signal(signal.SIGCONT)
            time.sleep(0.003)
        if stopped and not self.ledger.wait_children(seconds=TIMEOUT + 4, fail=False, pids=children_of(proc.pid)):
            # A child still waits for the rest of its input from the stopped tick: not a clean stop.
            proc.send_signal(signal.SIGCONT)
            stopped = False
        if not stopped:
            status = self.cli.finish(proc)[0]
            self.ledger.wait_children()
            self.note("stop missed (modes %s) → %d" % (modes, status))
            if status not in (0, 75):
                raise Violation("live tick exited %d" % status)
            return
        self.model.counts["stops"] += 1
        self.model.now += datetime.timedelta(seconds=1)
        inflight = [r[0] for r in self.query("SELECT l.email FROM jobs j JOIN leads l ON l.id = j.lead_id "
                                             "WHERE j.status = 'dispatching'")]
        for _ in range(self.rng.randint(0, 2)):
            self.op_optout(prefer=inflight)
        self.model.now += datetime.timedelta(seconds=self.rng.randint(30, 600))  # past the 2 s lease
        status = self.op_tick()
        if status != 0:
            raise Violation("a tick could not take over the lease of a stopped tick after it expired (exit %d)" % status)
        before = self.snapshot()
        self.ledger.mark({"kind": "stale", "pid": proc.pid, "op": self.op_no})
        proc.send_signal(signal.SIGCONT)
        status = self.cli.finish(proc)[0]
        self.ledger.wait_children()
        self.ledger.queue([])
        self.note("SIGSTOP/SIGCONT (modes %s): resumed tick exited %d" % (modes, status))
        if status not in (0, 75):
            raise Violation("a tick resumed after losing its lease exited %d" % status)
        after = self.snapshot()
        for table in before:
            if before[table] != after.get(table):
                changed = [row for row in after.get(table, []) if row not in before[table]][:2]
                raise Violation("a tick resumed after losing its lease still wrote to `%s`: %s" % (table, changed))

    def op_observe(self):
        """Listings must be valid JSON and show every lead ever imported."""
        leads = json.loads(self.cli.run(["leads", "list", SLUG, "--format", "json"], self.model.now)[1])
        jobs = json.loads(self.cli.run(["jobs", "list", SLUG, "--format", "json"], self.model.now)[1])
        missing = set(self.model.leads) - {row["email"] for row in leads}
        if missing:
            raise Violation("leads list lost leads: %s" % sorted(missing))
        if len(jobs) != self.query("SELECT count(*) FROM jobs")[0][0]:
            raise Violation("jobs list shows %d jobs, the database has more or fewer" % len(jobs))
        self.note("%d leads, %d jobs" % (len(leads), len(jobs)))

    # MARK: - Checks

    def query(self, sql, args=(), timeout=10):
        con = sqlite3.connect("file:%s?mode=ro" % self.db, uri=True, timeout=timeout)
        try:
            return con.execute(sql, args).fetchall()
        finally:
            con.close()

    def snapshot(self):
        tables = [r[0] for r in self.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        return {t: self.query("SELECT * FROM \"%s\" ORDER BY 1" % t) for t in tables}

    def replay_ledger(self):
        """(a) no key, Message-ID or (recipient, step) twice; no step sent that comes, in the
        order in force, before a step the recipient already had; (b) nothing sent to an address
        after its opt-out (or its domain's) was committed. Returns the send records."""
        keys, ids, pairs = {}, {}, {}
        opted, domains, stale = set(), set(), set()
        received = collections.defaultdict(list)
        steps, sends = [], []
        self.stats.update(stale_sends=0, stale_late_optouts=0)
        for line, r in enumerate(self.ledger.records(), 1):
            if r["kind"] == "steps":
                steps = r["steps"]
            elif r["kind"] == "optout":
                (domains.add(r["domain"]) if "domain" in r else opted.add(r["email"]))
            elif r["kind"] == "stale":
                stale.add(r["pid"])
            elif r["kind"] == "send":
                sends.append(r)
                _, step, key = key_fields(r["key"])
                where = "ledger line %d (%s, key %s)" % (line, r["to"], r["key"])
                if key in keys:
                    raise Violation("duplicate: key sent twice, %s and line %d" % (where, keys[key]))
                if r["message_id"] in ids:
                    raise Violation("duplicate: Message-ID %s sent twice, %s and line %d" % (r["message_id"], where, ids[r["message_id"]]))
                if (r["to"], step) in pairs:
                    raise Violation("duplicate: %s received step %s twice, %s and line %d" % (r["to"], step, where, pairs[(r["to"], step)]))
                keys[key] = ids[r["message_id"]] = pairs[(r["to"], step)] = line
                if step in steps and "order" not in self.ignored_checks:
                    later = [s for s in received[r["to"]] if s in steps and steps.index(s) > steps.index(step)]
                    if later:
                        raise Violation("order: %s got step %s after %s, which comes later in %s" % (where, step, later, steps))
                received[r["to"]].append(step)
                late = r["to"] in opted or r["to"].split("@")[1] in domains
                if r["ppid"] in stale:
                    self.stats["stale_sends"] += 1
                    self.stats["stale_late_optouts"] += late
                    if late and self.args.strict_stale:
                        raise Violation("late opt-out: a tick resumed after losing its lease sent %s" % where)
                elif late:
                    raise Violation("late opt-out: %s was sent after the address's opt-out had been committed" % where)
        return sends

    def check_db(self, sends):
        """(c) integrity; (e) what the database believes was sent matches the ledger: every
        accepted message has its job, none is waiting for a retry or marked failed, and every job
        recorded `sent` was accepted; every imported lead still exists."""
        integrity = self.query("PRAGMA integrity_check")
        if integrity != [("ok",)]:
            raise Violation("PRAGMA integrity_check: %s" % integrity[:3])
        jobs = {key_fields(k)[2]: s for k, s in self.query("SELECT idempotency_key, status FROM jobs")}
        accepted = {key_fields(r["key"])[2] for r in sends}
        for key in sorted(accepted):
            if key not in jobs:
                raise Violation("sendmail accepted key %s but the database has no such job" % key)
            if jobs[key] in ("retry_scheduled", "dead", "failed"):
                raise Violation("sendmail accepted key %s but its job is `%s`: outreach believes it was not sent"
                                % (key, jobs[key]))
        for key, status in jobs.items():
            if status == "sent" and key not in accepted:
                raise Violation("job %s is recorded `sent` but sendmail never accepted it" % key)
        known = {r[0] for r in self.query("SELECT email FROM leads")}
        if set(self.model.leads) - known:
            raise Violation("imported leads disappeared: %s" % sorted(set(self.model.leads) - known))

    def check_tick_outcomes(self, pid, ended):
        """After a tick that ran to its end: each message it handed over is classified by how
        sendmail ended (ok/linger/delay → sent; slow, i.e. timed out after accepting → unknown),
        and a lingering background process did not hold the tick up."""
        mine = [r for r in self.ledger.records() if r.get("ppid") == pid and r["kind"] in ("send", "refused")]
        jobs = {key_fields(k)[2]: s for k, s in self.query("SELECT idempotency_key, status FROM jobs")}
        for n, r in enumerate(mine):
            key = key_fields(r["key"])[2]
            if r["kind"] == "refused":
                want = ("retry_scheduled", "dead") if r["code"] == 75 else ("failed",)
                if jobs.get(key) not in want:
                    raise Violation("sendmail exited %d for key %s, so its job should be %s; it is `%s`"
                                    % (r["code"], key, " or ".join(want), jobs.get(key)))
            elif jobs.get(key) != ACCEPTED_FOR.get(r["mode"], "sent"):
                want = ACCEPTED_FOR.get(r["mode"], "sent")  # slow = accepted, then timed out
                raise Violation("sendmail mode %s for key %s should leave the job `%s`, it is `%s`"
                                % (r["mode"], key, want, jobs.get(key)))
            if r["mode"] == "linger":
                following = mine[n + 1]["t"] if n + 1 < len(mine) else ended
                if following - r["t"] > self.args.linger_budget:
                    raise Violation("the tick waited %.1fs after a sendmail that left a background process "
                                    "holding its pipes had exited (key %s)" % (following - r["t"], key))

    def check_proofs(self):
        """(d) the proof checks: `outreach verify` when it exists, else the latest run's proof.sql."""
        if not self.query("SELECT 1 FROM runs LIMIT 1"):
            return
        if self.has_verify:
            status, out, err = self.cli.run(["verify", SLUG, "--format", "json"], self.model.now, ok=(0, 70))
            if status == 70:
                try:
                    found = ["%s=%s (%s)" % (c["check"], c["violations"], c["meaning"]) for c in json.loads(out)
                             if c["violations"] and c["check"] not in self.ignored_checks]
                except (ValueError, KeyError, TypeError):
                    found = [(out + err).strip()[-600:]]
                if found:
                    raise Violation("outreach verify: %s" % "; ".join(found))
            return
        out_dir = os.path.join(self.work, "export")
        shutil.rmtree(out_dir, ignore_errors=True)
        self.cli.run(["export", SLUG, "--latest", "--out", out_dir], self.model.now)
        proofs = glob.glob(os.path.join(out_dir, SLUG, "*", "proof.sql"))
        if not proofs:
            raise Violation("`outreach export %s --latest` wrote no proof.sql" % SLUG)
        with open(proofs[0]) as f:
            result = subprocess.run(["sqlite3", "-readonly", self.db], stdin=f, capture_output=True, text=True, timeout=60)
        failing = [line for line in result.stdout.splitlines() if "|" in line and line.rsplit("|", 1)[1].strip() != "0"
                   and line.split("|")[0] not in self.ignored_checks]
        if result.returncode != 0 or failing:
            raise Violation("proof checks fail: %s %s" % (failing, result.stderr.strip()[-300:]))

    def check_all(self):
        sends = self.replay_ledger()
        self.check_db(sends)
        self.check_proofs()
        self.stats["sends"] = len(sends)

    # MARK: - Drain and the end

    def drain(self):
        """Jumps far ahead with an honest sendmail until nothing is due, then (f) no lead is lost:
        each is completed, blocked, replied, bounced or failed, or has a job that reports it
        (unknown, dead, failed, cancelled)."""
        self.op_name = "drain"
        self.apply_campaign(per_tick=50)
        for _ in range(40):
            self.model.now += datetime.timedelta(days=1)
            sent_before = len(self.replay_ledger())
            self.op_tick(modes=[])
            self.check_all()
            pending = self.query("SELECT (SELECT count(*) FROM leads WHERE status IN ('new', 'active') AND next_action_at IS NOT NULL)"
                                 " + (SELECT count(*) FROM jobs WHERE status IN ('retry_scheduled', 'dispatching'))")[0][0]
            if pending == 0 and self.stats["sends"] == sent_before:
                break
        lost = self.query("""SELECT l.email, l.status, l.step_index, l.next_action_at FROM leads l
            WHERE l.status IN ('new', 'active') AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.lead_id = l.id
            AND j.status IN ('unknown', 'dead', 'failed', 'cancelled'))""")
        if lost:
            raise Violation("lost leads after the drain (status, step, next action): %s" % lost[:5])

    def summary(self, elapsed):
        try:
            jobs = dict(self.query("SELECT status, count(*) FROM jobs GROUP BY status"))
            retried = self.query("SELECT count(*) FROM jobs WHERE attempt > 1")[0][0]
        except sqlite3.Error:
            jobs, retried = {}, 0
        c = self.model.counts
        return ("chaos: seed=%d ops=%d kills=%d stops=%d ticks=%d sends=%d duplicates=%d late_optouts=%d optouts=%d "
                "step_changes=%d leads=%d unknown=%d dead=%d failed=%d retried=%d stale_sends=%d stale_late_optouts=%d elapsed=%.1fs"
                % (self.seed, self.op_no, c["kills"], c["stops"], c["ticks"], self.stats.get("sends", 0),
                   self.stats.get("duplicates", 0), self.stats.get("late_optouts", 0), c["optouts"], c["step_changes"],
                   len(self.model.leads), jobs.get("unknown", 0), jobs.get("dead", 0), jobs.get("failed", 0),
                   retried,
                   self.stats.get("stale_sends", 0), self.stats.get("stale_late_optouts", 0), elapsed))

    def run(self):
        started = time.time()
        operations = [(self.op_tick, 30), (self.op_kill, 8), (self.op_stop, 4), (self.op_import, 10),
                      (self.op_optout, 16), (self.op_steps, 6), (self.op_observe, 5)]
        operations = [(f, w) for f, w in operations if f.__name__[3:] not in self.disabled]
        try:
            self.setup()
            self.check_all()
            for self.op_no in range(1, self.args.ops + 1):
                if self.args.seconds and time.time() - started > self.args.seconds:
                    self.op_no -= 1
                    break
                op = self.rng.choices([f for f, _ in operations], weights=[w for _, w in operations])[0]
                self.op_name = op.__name__[3:]
                self.model.tick_clock()
                op()
                self.check_all()
            self.drain()
        except (OSError, subprocess.SubprocessError, sqlite3.Error, ValueError, KeyError) as error:
            # Not a finding about outreach: the driver itself could not go on.
            print("chaos: seed=%d DRIVER ERROR at op #%d (%s): %r" % (self.seed, self.op_no, self.op_name, error))
            print(self.summary(time.time() - started), flush=True)
            return 2
        except Violation as v:
            kind = str(v).split(":")[0]
            self.stats["duplicates"] = int(kind == "duplicate")
            self.stats["late_optouts"] = int(kind == "late opt-out")
            print("chaos: seed=%d VIOLATION at op #%d (%s, now %s): %s" % (self.seed, self.op_no, self.op_name, iso(self.model.now), v))
            print("chaos: replay: %s" % " ".join([sys.executable, os.path.abspath(__file__)] + sys.argv[1:]))
            print("chaos: evidence in %s (ops.log, ctl/ledger.jsonl, outreach.sqlite)" % self.work)
            print(self.summary(time.time() - started), flush=True)
            return 1
        finally:
            if self.paused and self.paused.poll() is None:
                self.paused.send_signal(signal.SIGCONT)
                self.paused.kill()
                self.paused.wait()
            self.ledger.queue([])
        print(self.summary(time.time() - started), flush=True)
        return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", required=True, help="the outreach binary")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: random, printed)")
    parser.add_argument("--ops", type=int, default=60, help="number of random operations before the drain")
    parser.add_argument("--seconds", type=float, default=None, help="stop starting new operations after S seconds")
    parser.add_argument("--workdir", required=True, help="scratch folder (emptied first; kept for evidence)")
    parser.add_argument("--disable", default="", help="comma-separated operations or sendmail modes to leave out: "
                        "tick,kill,stop,import,optout,steps,observe,ok,fail75,fail67,slow,linger,delay")
    parser.add_argument("--ignore-checks", default="", help="comma-separated checks not to fail on (known bugs): outreach's proof checks "
                        "by name, or `order` (the step-order rule of SPEC §9.5)")
    parser.add_argument("--strict-stale", action="store_true",
                        help="count a message sent to an opted-out address by a tick resumed after losing its lease as a violation")
    parser.add_argument("--linger-budget", type=float, default=2.0,
                        help="seconds a tick may take to move on after a lingering sendmail exits")
    parser.add_argument("-v", "--verbose", action="store_true", help="log each operation on stderr")
    args = parser.parse_args()
    if args.seed is None:
        args.seed = random.SystemRandom().randrange(1, 2**31)
        sys.argv += ["--seed", str(args.seed)]
    print("chaos: seed=%d" % args.seed, flush=True)
    return Chaos(args).run()


if __name__ == "__main__":
    sys.exit(main())
