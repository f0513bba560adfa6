"""Helper of bench/bulk-flow: declares the bulk purchases, and waits for them to settle.

declare SECRET OPERATOR GROUPS PER_GROUP        prints "group purchaser_id token" per purchase
settle SECRET OPERATOR PURCHASES PER_GROUP STORE LABEL   prints the end-to-end figures"""

import base64, hashlib, hmac, http.client, json, statistics, sys, time
from datetime import datetime, timedelta, timezone

CATALOG, GROUPS, SHIPPING = 19381, 19382, 19385


def call(port, method, path, bearer=None, body=None, conns={}):
    conn = conns.get(port) or conns.setdefault(port, http.client.HTTPConnection("127.0.0.1", port, timeout=30))
    headers = {"content-type": "application/json"}
    if bearer:
        headers["authorization"] = f"Bearer {bearer}"
    conn.request(method, path, body=None if body is None else json.dumps(body), headers=headers)
    res = conn.getresponse()
    answer = json.loads(res.read() or b"null")
    assert res.status < 300, f"{method} {path}: {res.status} {answer}"
    return answer


def tokens(secret):
    b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=")
    head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    now = int(time.time())

    def token(subject, role="shopper"):
        claims = {"sub": subject, "role": role, "iss": "groupbuy", "aud": "groupbuy", "iat": now, "exp": now + 3600}
        signing = head + b"." + b64(json.dumps(claims).encode())
        return (signing + b"." + b64(hmac.new(secret.encode(), signing, hashlib.sha256).digest())).decode()

    return token


def declare(secret, operator, groups, per_group):
    token = tokens(secret)
    supplier = call(CATALOG, "POST", "/v1/suppliers", operator, {"name": "Bulk flow"})["id"]
    product = call(CATALOG, "POST", "/v1/products", operator, {
        "supplier_id": supplier, "name": "Bulk flow printer", "list_price": {"amount": "99.99", "currency": "EUR"},
        "details": {"kind": "specific", "manufacturer": "Bulk", "model": "F"},
        "discount_rates": [{"min_quantity": per_group, "within_days": 60, "rate": "0.10"}],
    })["id"]
    call(SHIPPING, "POST", "/v1/shipping-bases", operator, {"name": "Bulk depot", "supplier_ids": [supplier]})
    ends = (datetime.now(timezone.utc) + timedelta(days=30)).isoformat()
    for g in range(groups):
        purchasers = [{"name": f"P{g}-{n}", "email": f"p{g}.{n}@example.com", "quantity": 1} for n in range(per_group)]
        declared = call(GROUPS, "POST", "/v1/bulk-purchases", token(f"leader-{g}"), {
            "product_id": product, "completion_policy": "all_within_period", "period_ends_at": ends,
            "purchasers": purchasers,
        })
        for issued in declared["purchaser_ids"]:
            print(declared["id"], issued["purchaser_id"], token(f"buyer-{g}-{issued['slot']}"))


def settle(purchases_file, per_group, store, label):
    ids = sorted({line.split()[0] for line in open(purchases_file)})
    deadline = time.time() + 600
    # Asks about one group at a time (a poll must not load the service it measures).
    waiting = list(ids)
    while waiting:
        assert time.time() < deadline, f"{len(waiting)} of {len(ids)} groups not settled in 10 minutes"
        if call(GROUPS, "GET", f"/v1/groups/{waiting[-1]}")["state"] == "settled":
            waiting.pop()
        else:
            time.sleep(0.2)
    purchases = len(ids) * per_group
    lags, first_purchase, last_settled = [], None, None
    parse = lambda t: datetime.fromisoformat(t.replace("Z", "+00:00")).timestamp()
    for gid in ids:
        points = call(GROUPS, "GET", f"/v1/groups/{gid}/history")["points"]
        bought = [parse(p["recorded_at"]) for p in points if p["kind"] == "purchased"]
        refunds = [parse(p["recorded_at"]) for p in points if p["kind"] == "favor_refunded"]
        assert len(bought) == per_group, f"group {gid}: {len(bought)} purchases"
        assert len(refunds) == per_group, f"group {gid}: {len(refunds)} favors refunded"
        lags.append(max(refunds) - max(bought))
        settled_at = max(parse(p["recorded_at"]) for p in points if p["kind"] == "settled")
        first_purchase = min(first_purchase or min(bought), min(bought))
        last_settled = max(last_settled or settled_at, settled_at)
    # End to end: from the first purchase the groups recorded to the last group settled.
    took = last_settled - first_purchase
    rate = purchases / took
    lags.sort()
    p50, p99, worst = statistics.median(lags), lags[int(len(lags) * 0.99) - 1], lags[-1]
    print(f"{store:<10} {label + ': end to end (until all settled)':<44} {rate:>10.0f} {'-':>9} {'-':>9}  {purchases} purchases, {len(ids)} groups settled in {took:.2f} s; target ≥ 500/s {'met' if rate >= 500 else 'NOT met'}")
    print(f"{store:<10} {label + ': last purchase → last favor':<44} {'-':>10} {p50:>8.2f}s {p99:>8.2f}s  worst {worst:.2f} s; target ≤ 2 s {'met' if worst <= 2 else 'NOT met'}")


if __name__ == "__main__":
    if sys.argv[1] == "declare":
        declare(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
    else:
        settle(sys.argv[4], int(sys.argv[5]), sys.argv[6], sys.argv[7])
