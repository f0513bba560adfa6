#!/usr/bin/env bash
# Against the running suite (ports 18081/18082, CORS open to the page's origin 127.0.0.1:18090):
# a third-party TypeScript client typed from the committed documents, and the reference storefront
# page in headless Chromium (PRODUCT.md X5; issue 12). Usage: .ci/clients.sh DATA_DIR
set -euo pipefail
data=$1
token() { target/debug/groupbuy token --data-dir "$data" "$@"; }

echo "-- TypeScript client: openapi-typescript types from openapi/*.json, tsc --strict, a storefront journey in Node"
(cd examples/typescript-client && npm ci --no-audit --no-fund --loglevel=error && npm run --silent types >/dev/null \
    && npx --no-install tsc --strict --noEmit -p . && npx --no-install tsc -p .)
CATALOG_URL=http://127.0.0.1:18081 GROUPS_URL=http://127.0.0.1:18082 OPERATOR_TOKEN=$(token --role operator) \
    LEADER_TOKEN=$(token --role shopper) SHOPPER_TOKENS="$(token --role shopper),$(token --role shopper),$(token --role shopper)" \
    node examples/typescript-client/dist/journey.js

echo "-- the reference storefront page (examples/storefront) in headless Chromium"
command -v chromium >/dev/null || { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
(cd examples/storefront/check && npm ci --no-audit --no-fund --loglevel=error)
python3 -m http.server 18090 --bind 127.0.0.1 --directory examples/storefront >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
group=$(python3 - "$(token --role operator)" "$(token --role shopper)" "$(token --role shopper)" <<'PY'
import datetime, json, sys, urllib.request
op, leader, member = sys.argv[1:4]
def post(url, bearer, body):
    request = urllib.request.Request(url, json.dumps(body).encode(), {"content-type": "application/json", "authorization": f"Bearer {bearer}"})
    return json.load(urllib.request.urlopen(request))
supplier = post("http://127.0.0.1:18081/v1/suppliers", op, {"name": "Storefront page"})["id"]
product = post("http://127.0.0.1:18081/v1/products", op, {"supplier_id": supplier, "name": "Page espresso machine",
    "list_price": {"amount": "100.00", "currency": "EUR"}, "details": {"kind": "specific", "manufacturer": "Page", "model": "P"},
    "price_tiers": {"basis": "member_count", "tiers": [{"min": 5, "unit_price": {"amount": "80.00", "currency": "EUR"}}]}})["id"]
closes = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)).isoformat()
group = post("http://127.0.0.1:18082/v1/groups", leader, {"product_id": product, "mode": "tiered", "min_members": 2, "closes_at": closes})["id"]
address = {"name": "Page", "line1": "1 Page St", "city": "Berlin", "postal_code": "10115", "country": "DE"}
post(f"http://127.0.0.1:18082/v1/groups/{group}/members", member, {"quantity": 1, "payment_method": {"type": "card", "token": "4242424242424242"}, "ship_to": address})
print(group)
PY
)
for _ in $(seq 1 50); do curl -fs http://127.0.0.1:18090/index.html >/dev/null && break; sleep 0.1; done
node examples/storefront/check/check.mjs \
    "http://127.0.0.1:18090/index.html?api=http://127.0.0.1:18082&group=$group&token=$(token --role shopper)" \
    http://127.0.0.1:18082 "$group" "$(token --role shopper)" "$data/storefront.png"
