// The reference storefront's logic: plain browser JavaScript against the groups API.
const params = new URLSearchParams(location.search);
const api = (params.get("api") ?? "http://127.0.0.1:8082").replace(/\/$/, "");
const token = params.get("token");
const $ = (id) => document.getElementById(id);
const money = (m) => `${m.amount} ${m.currency}`;
// Every kind of change a group's stream carries (PRODUCT.md G8).
const KINDS = ["created", "joined", "left", "released", "closed", "awarded", "failed", "cancelled", "settled",
  "purchased", "decided", "favor_refunded"];

async function getJson(path) {
  const res = await fetch(`${api}${path}`);
  if (!res.ok) throw new Error(`${path}: ${res.status}`);
  return res.json();
}

async function listGroups() {
  const page = await getJson("/v1/groups?state=open&limit=20");
  const list = $("groups");
  list.replaceChildren(...page.items.map((group) => {
    const item = document.createElement("li");
    const link = document.createElement("a");
    link.href = `?${new URLSearchParams({ ...Object.fromEntries(params), group: group.id })}`;
    const members = group.member_count === 1 ? "1 member" : `${group.member_count} members`;
    link.textContent = `${group.product.name}: ${members}, ${money(group.current_unit_price)}`;
    link.dataset.group = group.id;
    item.append(link);
    return item;
  }));
  return page.items;
}

// "3 more and the price drops to 80.00", from the quote endpoint.
async function showNextDrop(id) {
  const quote = await getJson(`/v1/groups/${id}/quote`);
  const next = quote.next_tier;
  $("next-drop").textContent = next
    ? `${next.more_needed} more and the price drops to ${next.unit_price.amount}`
    : "This is the best price.";
}

function showProgress(point) {
  $("members").textContent = String(point.member_count);
  $("quantity").textContent = String(point.quantity);
  $("price").textContent = money(point.unit_price ?? point.current_unit_price);
  $("state").textContent = point.state;
}

async function follow(id) {
  const group = await getJson(`/v1/groups/${id}`);
  $("group").hidden = false;
  $("group-title").textContent = group.product.name;
  $("closes").textContent = new Date(group.closes_at).toLocaleString();
  showProgress(group);
  await showNextDrop(id);
  // Each change arrives as an event; a dropped connection resumes with Last-Event-ID by itself.
  const events = new EventSource(`${api}/v1/groups/${id}/events`);
  for (const kind of KINDS) {
    events.addEventListener(kind, async (event) => {
      showProgress(JSON.parse(event.data));
      await showNextDrop(id);
    });
  }
  events.onopen = () => { $("status").textContent = "Live"; document.body.dataset.live = "true"; };
  events.onerror = () => { $("status").textContent = "Reconnecting…"; };
}

async function join(id, form) {
  const data = new FormData(form);
  const body = {
    quantity: Number(data.get("quantity")),
    payment_method: { type: "card", token: data.get("card") },
    ship_to: Object.fromEntries(["name", "line1", "city", "postal_code", "country"].map((k) => [k, data.get(k)])),
  };
  const res = await fetch(`${api}/v1/groups/${id}/members`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}`, "idempotency-key": crypto.randomUUID() },
    body: JSON.stringify(body),
  });
  const answer = await res.json();
  $("join-result").textContent = res.ok ? `Joined as ${answer.alias}: ${answer.state}` : `Not joined: ${answer.detail ?? answer.title}`;
}

try {
  const groups = await listGroups();
  const id = params.get("group") ?? groups[0]?.id;
  if (id) {
    await follow(id);
    $("join").addEventListener("submit", (event) => { event.preventDefault(); join(id, event.target); });
    $("join").querySelector("button").disabled = !token;
  }
  $("status").textContent = id ? "Connecting…" : "No open groups";
} catch (error) {
  $("status").textContent = `The groups service could not be reached (${error.message})`;
}
