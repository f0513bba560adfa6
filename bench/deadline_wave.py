#!/usr/bin/env python3
"""The driver of bench/deadline-wave: N tiered groups of 3 members with one deadline, started and
joined through two groups replicas; then the time from the deadline until each group closed and
settled, read from the groups database (the events' own timestamps), and a check that every member
was captured once. Usage: see bench/deadline-wave."""

import datetime
import http.client
import json
import subprocess
import sys
import threading
import time
import urllib.parse
import bench_tokens
from concurrent.futures import ThreadPoolExecutor

secret, n, lead, _bin, _data = sys.argv[1].encode(), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
catalog, replicas, psql = sys.argv[6], sys.argv[7:9], sys.argv[9]
shipping = "http://127.0.0.1:19585"
MEMBERS = 3


def token(subject, role="shopper"):
    return bench_tokens.token(secret, subject, role)


local = threading.local()


retries = []


def post(base, path, bearer, body, key):
    """POSTs on this thread's keep-alive connection to `base` with Idempotency-Key `key`; the answer
    (2xx expected). A 502, 503 or 429 is retried with the same key after its Retry-After (or a
    second), as a careful client does (counted)."""
    host = urllib.parse.urlparse(base).netloc
    connections = local.__dict__.setdefault("connections", {})
    for attempt in range(100):
        connection = connections.setdefault(host, http.client.HTTPConnection(host, timeout=60))
        try:
            headers = {"content-type": "application/json", "authorization": f"Bearer {bearer}", "idempotency-key": key}
            connection.request("POST", path, json.dumps(body), headers)
            response = connection.getresponse()
            answer = json.loads(response.read() or b"null")
        except (http.client.HTTPException, ConnectionError):
            connection.close()
            del connections[host]
            continue
        if response.status in (429, 502, 503):
            retries.append(response.status)
            time.sleep(float(response.getheader("retry-after") or 1))
            continue
        assert 200 <= response.status < 300, f"POST {path}: {response.status} {answer}"
        return answer
    raise RuntimeError(f"POST {path} failed 100 times")


def sql(query, db="groups"):
    return subprocess.check_output(f"{psql} -d {db} -c \"{query}\"", shell=True, text=True).strip()


op = token("wave-operator", "operator")
supplier = post(catalog, "/v1/suppliers", op, {"name": "Wave"}, "wave-supplier")["id"]
product = post(catalog, "/v1/products", op, {
    "supplier_id": supplier, "name": "Wave kettle", "list_price": {"amount": "30.00", "currency": "EUR"},
    "details": {"kind": "specific", "manufacturer": "Wave", "model": "W"},
    "price_tiers": {"basis": "member_count", "tiers": [{"min": 3, "unit_price": {"amount": "25.00", "currency": "EUR"}}]},
}, "wave-product")["id"]
post(shipping, "/v1/shipping-bases", op, {"name": "Wave depot", "supplier_ids": [supplier]}, "wave-base")
deadline = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0) + datetime.timedelta(seconds=lead)
address = {"name": "W", "line1": "1 Wave St", "city": "Berlin", "postal_code": "10115", "country": "DE"}
join = {"quantity": 1, "payment_method": {"type": "card", "token": "4242424242424242"}, "ship_to": address}


def start(i):
    base = replicas[i % 2]
    body = {"product_id": product, "mode": "tiered", "min_members": MEMBERS, "closes_at": deadline.isoformat()}
    group = post(base, "/v1/groups", token(f"wave-leader-{i}"), body, f"wave-group-{i}")["id"]
    for m in range(MEMBERS):
        post(base, f"/v1/groups/{group}/members", token(f"wave-{i}-{m}"), join, f"wave-join-{i}-{m}")


began = time.time()
with ThreadPoolExecutor(32) as pool:
    list(pool.map(start, range(n)))
took = time.time() - began
print(f"setup: {n} groups and {n * MEMBERS} joins through two replicas in {took:.1f} s "
      f"({n * (MEMBERS + 1) / took:.0f} requests/s; {len(retries)} answers 502/503/429 retried with their keys)")
while int(sql("SELECT count(*) FROM members WHERE state = 'held'")) < n * MEMBERS:
    time.sleep(0.5)
left = (deadline - datetime.datetime.now(datetime.timezone.utc)).total_seconds()
if left < 1:
    sys.exit(f"setup overran the deadline by {-left:.1f} s: raise WAVE_LEAD_SECONDS (now {lead})")
print(f"every hold placed {left:.1f} s before the deadline {deadline.isoformat()}")

while int(sql("SELECT count(*) FROM groups WHERE state = 'settled'")) < n:
    late = (datetime.datetime.now(datetime.timezone.utc) - deadline).total_seconds()
    if late > 900:
        sys.exit(f"only {sql('SELECT count(*) FROM groups WHERE state = ' + chr(39) + 'settled' + chr(39))} of {n} settled after 900 s")
    time.sleep(0.5)
epoch = deadline.timestamp()
# A close is stamped with its scheduler pass's start; the captures' and settlements' own times
# tell when the wave's work was done.
captured_by = float(sql("SELECT extract(epoch FROM max(updated_at)) FROM payments WHERE state = 'captured'", "payments")) - epoch
settled = float(sql("SELECT extract(epoch FROM max(recorded_at)) FROM group_events WHERE kind = 'settled'")) - epoch
captured = int(sql("SELECT count(*) FROM payments WHERE state = 'captured'", "payments"))
paid = int(sql("SELECT count(*) FROM members WHERE state = 'paid'"))
closes = int(sql("SELECT count(*) FROM group_events WHERE kind = 'closed'"))
assert captured == paid == n * MEMBERS and closes == n, (captured, paid, closes)
verdict = "met" if settled <= 30 else "NOT met"
print(f"wave: {n} groups × {MEMBERS}: every member captured by +{captured_by:.1f} s, every group settled by "
      f"+{settled:.1f} s after the deadline (target ≤ 30 s: {verdict}); {captured} captures, each member once, "
      f"each group closed once ({n / settled:.0f} groups/s settled)")
