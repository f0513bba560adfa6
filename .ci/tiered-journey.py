#!/usr/bin/env python3
"""The tiered journey against a running `groupbuy up` (PRODUCT.md G3, G4, G6, P1-P3, S2), over HTTP
as a storefront and the operator would drive it:

1. a product with tiers 1-9 at 100.00 and 10+ at 80.00; a group with minimum 3 and a short
   window; 12 shoppers join; at close all 12 holds are captured at 80.00, 12 shipments are
   requested, the group is settled and its books balance;
2. a second group with 2 joiners (minimum 3) fails and both holds are voided;
3. a declined card releases its seat (a group of one) to the next joiner.

Usage: tiered-journey.py DATA_DIR CATALOG_PORT GROUPS_PORT PAYMENTS_PORT SHIPPING_PORT
(tokens come from `target/debug/groupbuy token --data-dir DATA_DIR`)."""

import datetime
import sys

from journey import call, ok, tokens, until

data, catalog, groups, payments, shipping = sys.argv[1], *(f"http://127.0.0.1:{p}" for p in sys.argv[2:6])
token = tokens(data)


op = token("operator")
supplier = ok("POST", f"{catalog}/v1/suppliers", op, {"name": "Journey supplier"})["id"]
product = ok("POST", f"{catalog}/v1/products", op, {
    "supplier_id": supplier, "name": "Journey espresso machine",
    "list_price": {"amount": "100.00", "currency": "EUR"},
    "details": {"kind": "specific", "manufacturer": "Journey", "model": "J1"},
    "price_tiers": {"basis": "member_count", "tiers": [{"min": 10, "unit_price": {"amount": "80.00", "currency": "EUR"}}]},
})["id"]
ok("POST", f"{shipping}/v1/shipping-bases", op, {"name": "Journey depot", "supplier_ids": [supplier]})
card = {"type": "card", "token": "4242424242424242"}
declined = {"type": "card", "token": "4000000000000002"}
address = {"name": "J. Doe", "line1": "1 Journey St", "city": "Berlin", "postal_code": "10115", "country": "DE"}


def start_group(seconds, **conditions):
    closes = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=seconds)
    body = {"product_id": product, "mode": "tiered", "min_members": 3, "closes_at": closes.isoformat(), **conditions}
    return ok("POST", f"{groups}/v1/groups", token("shopper"), body)["id"]


def join(group, shopper, method=card):
    return call("POST", f"{groups}/v1/groups/{group}/members", shopper, {"quantity": 1, "payment_method": method, "ship_to": address})


def payments_of(group):
    return ok("GET", f"{payments}/v1/payments?group_id={group}&limit=100", op)["items"]


def settled_state(group, state):
    return until(f"group {group} {state}", lambda: (g := ok("GET", f"{groups}/v1/groups/{group}"))["state"] == state and g)


# 1. Twelve shoppers reach the 80.00 tier; the group closes, captures, ships and settles.
big, small = start_group(8), start_group(8)
for _ in range(12):
    status, answer = join(big, token("shopper"))
    assert status == 201, answer
read = ok("GET", f"{groups}/v1/groups/{big}")
assert (read["member_count"], read["current_unit_price"]["amount"]) == (12, "80.00"), read
# 2. Two joiners only: below the minimum of 3.
for _ in range(2):
    status, answer = join(small, token("shopper"))
    assert status == 201, answer

settled = settled_state(big, "settled")
assert settled["final_unit_price"]["amount"] == "80.00", settled
captured = [p for p in payments_of(big) if p["state"] == "captured"]
assert len(captured) == 12 and all(p["captured"]["amount"] == "80.00" for p in captured), captured
# Each shipment is requested with its capture's answer; the calls to shipping may still be on
# their way when payments settles the group.
shipments = until("12 shipments", lambda: len(s := ok("GET", f"{shipping}/v1/shipments?group_id={big}&limit=100", op)["items"]) >= 12 and s)
assert len(shipments) == 12, shipments
books = ok("GET", f"{payments}/v1/groups/{big}/books", op)
assert books["balanced"], books
print(f"group 1: 12 members, settled at 80.00; 12 captures of 80.00, {len(shipments)} shipments, books balanced")

settled_state(small, "failed")
voided = until("both holds voided", lambda: (ps := payments_of(small)) and all(p["state"] == "voided" for p in ps) and ps)
assert len(voided) == 2, voided
assert not ok("GET", f"{shipping}/v1/shipments?group_id={small}", op)["items"]
print("group 2: 2 members below the minimum of 3: failed, both holds voided, nothing shipped")

# 3. A declined card gives its seat back to the next joiner.
single = start_group(60, min_members=1, max_members=1)
status, answer = join(single, token("shopper", "journey-declined"), declined)
assert status == 201 and answer["state"] == "reserved", answer
status, _ = join(single, token("shopper", "journey-next"))
assert status == 409, "the seat is reserved while the payment is decided"
until("the declined seat offered again", lambda: join(single, token("shopper", "journey-next"))[0] == 201)
members = ok("GET", f"{groups}/v1/groups/{single}/members", op)["members"]
states = sorted((m["shopper"], m["state"]) for m in members)
assert states[0] == ("journey-declined", "released") and states[1][0] == "journey-next", states
print(f"group 3: a declined card released its seat; the next joiner took it ({states})")
