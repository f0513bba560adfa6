// A storefront's journey against groupbuy, typed from the committed OpenAPI documents alone
// (openapi-typescript) and sent with openapi-fetch: the operator lists a product, a leader starts
// a tiered group, three shoppers join (one retries with its Idempotency-Key), the storefront reads
// the group's progress and the quote "N more and the price drops to …", and a wrong join gets a
// problem+json answer. Every body below is checked by `tsc --strict` against the documents.
//
// Usage: CATALOG_URL, GROUPS_URL, OPERATOR_TOKEN, LEADER_TOKEN and SHOPPER_TOKENS (three,
// comma-separated) in the environment; node dist/journey.js
import createClient from "openapi-fetch";
import type { paths as CatalogPaths } from "./catalog.js";
import type { components, paths as GroupsPaths } from "./groups.js";

type Membership = components["schemas"]["Membership"];
type Problem = components["schemas"]["Problem"];

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`failed: ${what}`);
  console.log(`ok: ${what}`);
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const catalog = createClient<CatalogPaths>({ baseUrl: env("CATALOG_URL") });
const groups = createClient<GroupsPaths>({ baseUrl: env("GROUPS_URL") });
const [operator, leader] = [env("OPERATOR_TOKEN"), env("LEADER_TOKEN")];
const shoppers = env("SHOPPER_TOKENS").split(",");

const supplier = await catalog.POST("/v1/suppliers", { body: { name: "TypeScript storefront" }, headers: bearer(operator) });
if (!supplier.data) throw new Error(`supplier: ${JSON.stringify(supplier.error)}`);
const product = await catalog.POST("/v1/products", {
  headers: bearer(operator),
  body: {
    supplier_id: supplier.data.id,
    name: "Typed espresso machine",
    list_price: { amount: "100.00", currency: "EUR" },
    details: { kind: "specific", manufacturer: "Typed", model: "T1" },
    price_tiers: { basis: "member_count", tiers: [{ min: 10, unit_price: { amount: "80.00", currency: "EUR" } }] },
  },
});
if (!product.data) throw new Error(`product: ${JSON.stringify(product.error)}`);
const listed = await catalog.GET("/v1/products", { params: { query: { limit: 100 } } });
check(listed.data?.items.some((p) => p.id === product.data.id) === true, "the product is listed publicly");

const closesAt = new Date(Date.now() + 3600_000).toISOString();
const started = await groups.POST("/v1/groups", {
  headers: bearer(leader),
  body: { product_id: product.data.id, mode: "tiered", min_members: 3, closes_at: closesAt },
});
if (!started.data) throw new Error(`group: ${JSON.stringify(started.error)}`);
const group = started.data.id;
check(started.data.invite_code.length >= 32, "the leader gets an invite code");

const ship_to = { name: "Ada", line1: "1 Main St", city: "Berlin", postal_code: "10115", country: "DE" };
async function join(token: string, key: string): Promise<Membership> {
  const joined = await groups.POST("/v1/groups/{id}/members", {
    params: { path: { id: group }, header: { "Idempotency-Key": key } },
    headers: bearer(token),
    body: { quantity: 1, payment_method: { type: "card", token: "4242424242424242" }, ship_to },
  });
  if (!joined.data) throw new Error(`join: ${joined.response.status} ${JSON.stringify(joined.error)}`);
  return joined.data;
}
const memberships = await Promise.all(shoppers.map((token, n) => join(token, `ts-join-${group}-${n}`)));
const again = await join(shoppers[0] ?? "", `ts-join-${group}-0`);
check(again.joined_at === memberships[0]?.joined_at, "a retried join with its key returns the same membership");

const read = await groups.GET("/v1/groups/{id}", { params: { path: { id: group } } });
check(read.data?.member_count === 3 && read.data.current_unit_price.amount === "100.00", "the group shows 3 members at 100.00");
const quote = await groups.GET("/v1/groups/{id}/quote", { params: { path: { id: group }, query: { add_members: 7 } } });
const next = quote.data?.next_tier;
check(quote.data?.unit_price_then.amount === "80.00", "7 more and the price drops to 80.00");
check(next === null || next === undefined || next.more_needed >= 0, "the next tier is typed");

const wrong = await groups.POST("/v1/groups/{id}/members", {
  params: { path: { id: group } },
  headers: bearer(leader),
  body: { quantity: 0, payment_method: { type: "card", token: "4242424242424242" }, ship_to },
});
const problem = wrong.error as Problem | undefined;
check(wrong.response.status === 422 || wrong.response.status === 400, `a join of 0 units is refused (${wrong.response.status})`);
check(wrong.response.headers.get("content-type") === "application/problem+json" && typeof problem?.title === "string", "as problem+json");
console.log(`typescript storefront journey: group ${group}, ${memberships.length} members, quote ${quote.data?.unit_price_then.amount}`);
