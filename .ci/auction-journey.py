#!/usr/bin/env python3
"""The reverse-auction journey against a running `groupbuy up` (PRODUCT.md G3, G4, B1-B6, P1, S2),
over HTTP as a storefront, supplier systems and the operator would drive it:

1. a specification (`size` = `L`) and four suppliers whose products meet it, each with a shipping
   base; an auction group for 100 units (four shoppers of 25) at a 50.00 ceiling;
2. at close groups opens the bid request at bidding; the organizer and the operator cannot read
   offers, a supplier cannot list another's; an offer above the ceiling is refused;
3. offers 40.00 for exactly 60, 43.00 for exactly 50 twice and 50.00 for up to 40: the award is
   the two 50s (4,300.00), not cheapest-first 60 + 40 (4,400.00); every member is captured at
   25 × 43.00 (the rest of its 1,250.00 hold released), shipments are split 50/50 between the two
   winners' bases, the group settles with balanced books, and an offer after the window is refused;
4. a second auction whose only offer cannot cover its 30 units fails and all three holds are voided.

Usage: auction-journey.py DATA_DIR CATALOG GROUPS PAYMENTS SHIPPING BIDDING (ports). groupbuy up
must run with GROUPBUY_GROUPS__MIN_BID_WINDOW_SECONDS at most 15."""

import datetime
import sys

from journey import call, ok, tokens, until

data = sys.argv[1]
catalog, groups, payments, shipping, bidding = (f"http://127.0.0.1:{p}" for p in sys.argv[2:7])
token = tokens(data)


def euros(amount):
    return {"amount": amount, "currency": "EUR"}


op = token("operator")
organizer = token("shopper", "journey-organizer")


def supplier_with(details):
    supplier = ok("POST", f"{catalog}/v1/suppliers", op, {"name": "Journey supplier"})["id"]
    product = ok("POST", f"{catalog}/v1/products", op, {
        "supplier_id": supplier, "name": "Journey shirt", "list_price": euros("60.00"), "details": details,
    })["id"]
    return supplier, product


_, specification = supplier_with({"kind": "specification", "attributes": [{"operator": "equals", "attribute": "size", "value": "L"}]})
sellers = []
for n in range(4):
    seller, _ = supplier_with({"kind": "specific", "manufacturer": f"Maker {n}", "model": "T", "properties": {"size": "L"}})
    ok("POST", f"{shipping}/v1/shipping-bases", op, {"name": f"Depot {n}", "supplier_ids": [seller]})
    sellers.append((seller, token("supplier", f"journey-seller-{n}", seller)))
card = {"type": "card", "token": "4242424242424242"}
address = {"name": "J. Doe", "line1": "1 Journey St", "city": "Berlin", "postal_code": "10115", "country": "DE"}


def start_auction(members, quantity):
    now = datetime.datetime.now(datetime.timezone.utc)
    closes, bids_close = now + datetime.timedelta(seconds=6), now + datetime.timedelta(seconds=22)
    body = {"product_id": specification, "mode": "reverse_auction", "min_members": 1, "closes_at": closes.isoformat(),
            "auction": {"ceiling": euros("50.00"), "bids_close_at": bids_close.isoformat()}}
    group = ok("POST", f"{groups}/v1/groups", organizer, body)["id"]
    for _ in range(members):
        member = ok("POST", f"{groups}/v1/groups/{group}/members", token("shopper"),
                    {"quantity": quantity, "payment_method": card, "ship_to": address})
        assert member["held"]["amount"] == f"{quantity * 50}.00", member
    return group


def bid_request_of(group):
    read = until(f"the bid request of {group}", lambda: (g := ok("GET", f"{groups}/v1/groups/{group}"))["auction"]["bid_request_id"] and g)
    assert read["state"] == "closing", read
    return read["auction"]["bid_request_id"]


def offer(request, seller, price, low, high, expect=(201,)):
    body = {"unit_price": euros(price), "min_quantity": low, "max_quantity": high, "delivery_days": 3}
    return call("POST", f"{bidding}/v1/bid-requests/{request}/offers", seller[1], body)[0] in expect


def payments_of(group):
    return ok("GET", f"{payments}/v1/payments?group_id={group}&limit=100", op)["items"]


big, short = start_auction(4, 25), start_auction(3, 10)
request, short_request = bid_request_of(big), bid_request_of(short)
print(f"auction 1: 4 members × 25 units held at 50.00; closed, bid request {request} opened at bidding")

offers = f"{bidding}/v1/bid-requests/{request}/offers"
assert call("GET", offers, organizer)[0] == 403, "the organizer reads no prices"
assert call("GET", offers, op)[0] == 403, "nor the operator before the award"
assert offer(request, sellers[3], "50.01", 1, 40, expect=(422,)), "an offer above the ceiling"
for seller, price, low, high in [(0, "40.00", 60, 60), (1, "43.00", 50, 50), (2, "43.00", 50, 50), (3, "50.00", 1, 40)]:
    assert offer(request, sellers[seller], price, low, high)
assert offer(short_request, sellers[0], "40.00", 1, 25)
assert call("GET", f"{offers}?supplier_id={sellers[0][0]}", sellers[1][1])[0] == 403, "another supplier's offers"
own = ok("GET", offers, sellers[1][1])
assert len(own) == 1 and own[0]["supplier_id"] == sellers[1][0], own
print("sealed: organizer 403, operator 403, another supplier's offers 403; above the ceiling 422")

settled = until("auction 1 settled", lambda: (g := ok("GET", f"{groups}/v1/groups/{big}"))["state"] == "settled" and g)
assert (settled["final_unit_price"]["amount"], settled["auction"]["award_total"]["amount"]) == ("43.00", "4300.00"), settled
award = ok("GET", f"{bidding}/v1/bid-requests/{request}/award", op)
winners = sorted((lot["supplier_id"], lot["quantity"], lot["unit_price"]["amount"]) for lot in award["lots"])
assert winners == sorted([(sellers[1][0], 50, "43.00"), (sellers[2][0], 50, "43.00")]), award
captured = until("4 captures", lambda: len(c := [p for p in payments_of(big) if p["state"] == "captured"]) == 4 and c)
assert all((p["amount"]["amount"], p["captured"]["amount"]) == ("1250.00", "1075.00") for p in captured), captured
shipments = until("4 shipments", lambda: len(s := ok("GET", f"{shipping}/v1/shipments?group_id={big}&limit=100", op)["items"]) >= 4 and s)
by_supplier = {}
for shipment in shipments:
    by_supplier[shipment["supplier_id"]] = by_supplier.get(shipment["supplier_id"], 0) + sum(i["quantity"] for i in shipment["items"])
assert by_supplier == {sellers[1][0]: 50, sellers[2][0]: 50}, by_supplier
books = ok("GET", f"{payments}/v1/groups/{big}/books", op)
assert books["balanced"] and books["currencies"][0]["charges"]["amount"] == "4300.00", books
assert offer(request, sellers[3], "30.00", 1, 40, expect=(409,)), "an offer after the window"
print("award: the two 50-unit offers at 43.00 (4,300.00, not 4,400.00); 4 captures of 1,075.00 from holds of "
      f"1,250.00; shipments {sorted(by_supplier.values())} from the two winners' bases; books balanced; late offer 409")

until("auction 2 failed", lambda: ok("GET", f"{groups}/v1/groups/{short}")["state"] == "failed")
voided = until("3 holds voided", lambda: (ps := payments_of(short)) and all(p["state"] == "voided" for p in ps) and ps)
assert len(voided) == 3, voided
assert ok("GET", f"{bidding}/v1/bid-requests/{short_request}/award", op)["state"] == "no_award"
assert not ok("GET", f"{shipping}/v1/shipments?group_id={short}", op)["items"]
print("auction 2: one offer of at most 25 for 30 units: no award, failed, all 3 holds voided, nothing shipped")
