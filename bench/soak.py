#!/usr/bin/env python3
"""The driver of bench/soak: mixed traffic against the five services, first at full speed for
CAPACITY_SECONDS (the measured capacity, the run's ceiling), then paced at half of it for
DURATION seconds. Each minute: requests, errors, p99 latency and each service's resident memory.
Usage: see bench/soak."""

import http.client
import json
import queue
import random
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
import bench_tokens
from datetime import datetime, timedelta, timezone

secret, duration, launcher = sys.argv[1].encode(), int(sys.argv[2]), sys.argv[3]
CATALOG, GROUPS = "http://127.0.0.1:19681", "http://127.0.0.1:19682"
SERVICES = ["catalog", "groups", "payments", "shipping", "bidding"]
CAPACITY_SECONDS = 30
THREADS = 32
CARD = "4242424242424242"
ADDRESS = {"name": "S. Oak", "line1": "1 Soak St", "city": "Berlin", "postal_code": "10115", "country": "DE"}


def token(subject, role="shopper"):
    return bench_tokens.token(secret, subject, role)


local = threading.local()


def call(method, base, path, bearer=None, body=None):
    """One request on this thread's keep-alive connection: (status, answer); status 0 when the
    connection failed."""
    host = urllib.parse.urlparse(base).netloc
    connections = local.__dict__.setdefault("connections", {})
    connection = connections.setdefault(host, http.client.HTTPConnection(host, timeout=30))
    headers = {"content-type": "application/json"}
    if bearer:
        headers["authorization"] = f"Bearer {bearer}"
    if method == "POST":
        headers["idempotency-key"] = str(uuid.uuid4())
    try:
        connection.request(method, path, json.dumps(body) if body is not None else None, headers)
        response = connection.getresponse()
        data = response.read()
        return response.status, (json.loads(data) if data and response.status < 300 else None)
    except (http.client.HTTPException, ConnectionError, TimeoutError, OSError):
        connection.close()
        del connections[host]
        return 0, None


def at(seconds):
    return (datetime.now(timezone.utc) + timedelta(seconds=seconds)).isoformat()


operator = token("soak-operator", "operator")
status, supplier = call("POST", CATALOG, "/v1/suppliers", operator, {"name": "Soak"})
assert status == 201, status
product_body = {
    "supplier_id": supplier["id"], "name": "Soak kettle",
    "list_price": {"amount": "50.00", "currency": "EUR"},
    "details": {"kind": "specific", "manufacturer": "Soak", "model": "S1"},
    "price_tiers": {"basis": "member_count", "tiers": [{"min": 3, "unit_price": {"amount": "45.00", "currency": "EUR"}}]},
}
status, product = call("POST", CATALOG, "/v1/products", operator, product_body)
assert status == 201, status
status, _ = call("POST", "http://127.0.0.1:19685", "/v1/shipping-bases", operator,
                 {"name": "Soak depot", "supplier_ids": [supplier["id"]]})
assert status == 201, status

# Groups open for joins: (id, closes at); a new one opens every few operations, each closing a
# minute later, so that closes, captures, shipments and settlements run all along.
open_groups, lock = [], threading.Lock()


def start_group():
    status, group = call("POST", GROUPS, "/v1/groups", token(f"lead-{uuid.uuid4()}"),
                         {"product_id": product["id"], "mode": "tiered", "min_members": 2, "closes_at": at(60)})
    if status == 201:
        with lock:
            open_groups.append((group["id"], time.time() + 60))
    return status


def joinable():
    """A group with at least 15 s of its window left."""
    with lock:
        now = time.time()
        open_groups[:] = [g for g in open_groups if g[1] > now + 15]
        return random.choice(open_groups)[0] if open_groups else None


def operation():
    """One request of the mix: (name, status, expected), expected telling a refusal that is not an
    error."""
    roll = random.random()
    if roll < 0.45:
        return "product page", call("GET", CATALOG, "/v1/products?limit=20")[0], False
    if roll < 0.60:
        return "product", call("GET", CATALOG, f"/v1/products/{product['id']}")[0], False
    group = joinable()
    if roll < 0.80 and group:
        return "group", call("GET", GROUPS, f"/v1/groups/{group}")[0], False
    if roll < 0.85:
        return "group page", call("GET", GROUPS, "/v1/groups?limit=20")[0], False
    if roll < 0.97 and group:
        body = {"quantity": 1, "payment_method": {"type": "card", "token": CARD}, "ship_to": ADDRESS}
        status = call("POST", GROUPS, f"/v1/groups/{group}/members", token(f"s-{uuid.uuid4()}"), body)[0]
        return "join", status, status == 409  # the window closed meanwhile
    return "new group", start_group(), False


def pids():
    found = {}
    for name in SERVICES:
        out = subprocess.run(["pgrep", "-P", launcher, "-f", f"serve {name}$"], capture_output=True, text=True).stdout.split()
        found[name] = out[0] if out else None
    return found


def rss_mib(pid):
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return float("nan")
    return float("nan")


results = []  # (finished at, latency s, ok)


def worker(tickets, stop):
    while not stop.is_set():
        if tickets is not None:
            try:
                tickets.get(timeout=0.5)
            except queue.Empty:
                continue
        started = time.perf_counter()
        name, status, expected = operation()
        ok = 200 <= status < 300 or expected
        results.append((time.time(), time.perf_counter() - started, ok, f"{name} {status}"))


def run(seconds, rate):
    """Traffic for `seconds`: unpaced when `rate` is None, else `rate` requests a second."""
    stop = threading.Event()
    tickets = None if rate is None else queue.Queue()
    threads = [threading.Thread(target=worker, args=(tickets, stop), daemon=True) for _ in range(THREADS)]
    for t in threads:
        t.start()
    began = time.time()
    if rate is None:
        time.sleep(seconds)
    else:
        sent = 0
        while time.time() - began < seconds:
            due = int((time.time() - began) * rate)
            for _ in range(due - sent):
                tickets.put(1)
            sent = due
            time.sleep(0.005)
    stop.set()
    for t in threads:
        t.join()
    return began


for _ in range(20):
    start_group()
results.clear()
began = run(CAPACITY_SECONDS, None)
capacity = len([r for r in results if r[2]]) / CAPACITY_SECONDS
print(f"capacity (the ceiling, measured now): {capacity:.0f} requests/s of the mix at {THREADS} clients, "
      f"{sum(1 for r in results if not r[2])} errors; soaking at half: {capacity / 2:.0f}/s for {duration} s")
results.clear()

services = pids()
memory = []
sampler_stop = threading.Event()


def sample():
    while not sampler_stop.wait(60):
        memory.append({name: rss_mib(pid) for name, pid in services.items()})


sampler = threading.Thread(target=sample, daemon=True)
sampler.start()
began = run(duration, capacity / 2)
sampler_stop.set()
memory.append({name: rss_mib(pid) for name, pid in services.items()})

print(f"{'min':>3} {'requests':>9} {'errors':>6} {'p99 ms':>7}  " + " ".join(f"{n + ' MiB':>12}" for n in SERVICES))
errors_total, p99s = 0, []
for minute in range((duration + 59) // 60):
    window = [r for r in results if began + minute * 60 <= r[0] < began + (minute + 1) * 60]
    latencies = sorted(r[1] for r in window)
    errors = sum(1 for r in window if not r[2])
    errors_total += errors
    p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000 if latencies else float("nan")
    p99s.append(p99)
    rss = memory[min(minute, len(memory) - 1)]
    print(f"{minute + 1:>3} {len(window):>9} {errors:>6} {p99:>7.1f}  " + " ".join(f"{rss[n]:>12.1f}" for n in SERVICES))
statuses = {}
for r in results:
    if not r[2]:
        statuses[r[3]] = statuses.get(r[3], 0) + 1
growth = {n: (max(m[n] for m in memory[1:]) / memory[0][n] - 1) * 100 if len(memory) > 1 else 0.0 for n in SERVICES}
print(f"errors: {errors_total} (target 0){' by request and status ' + str(statuses) if statuses else ''}")
print("RSS growth after the first minute (target ≤ 10 %): " + ", ".join(f"{n} {g:+.1f} %" for n, g in growth.items()))
print(f"p99 per minute: {min(p99s):.1f}–{max(p99s):.1f} ms (capacity {capacity:.0f}/s, soaked at {capacity / 2:.0f}/s)")
