// Opens the reference storefront in headless Chromium (Debian's), reads the group's member count
// from the page, joins the group from outside (as another shopper's storefront would), and waits
// for the page to show the new count without a reload, over its Server-Sent Events stream.
// Usage: node check.mjs PAGE_URL GROUPS_URL GROUP_ID SHOPPER_TOKEN SCREENSHOT_PATH
import { chromium } from "playwright-core";

const [page_url, groups, group, shopper, screenshot] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"],
});
try {
  const page = await browser.newPage({ viewport: { width: 900, height: 900 } });
  page.on("console", (message) => console.log(`page: ${message.text()}`));
  await page.goto(page_url);
  await page.waitForSelector("body[data-live=true]", { timeout: 15000 });
  const before = Number(await page.textContent("#members"));
  const drop = await page.textContent("#next-drop");
  const listed = await page.locator(`#groups a[data-group="${group}"]`).count();
  console.log(`page: ${before} members, "${drop}", the group listed: ${listed === 1}`);
  if (listed !== 1 || !/more and the price drops to/.test(drop ?? "")) throw new Error("the page did not show the group");
  let navigations = 0;
  page.on("framenavigated", () => { navigations += 1; });

  const joined = await fetch(`${groups}/v1/groups/${group}/members`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${shopper}` },
    body: JSON.stringify({
      quantity: 1, payment_method: { type: "card", token: "4242424242424242" },
      ship_to: { name: "Outside", line1: "2 Side St", city: "Berlin", postal_code: "10115", country: "DE" },
    }),
  });
  if (joined.status !== 201) throw new Error(`the outside join: ${joined.status} ${await joined.text()}`);
  await page.waitForFunction((n) => Number(document.querySelector("#members")?.textContent) === n, before + 1, { timeout: 15000 });
  const after = Number(await page.textContent("#members"));
  const dropAfter = await page.textContent("#next-drop");
  if (navigations !== 0) throw new Error("the page reloaded");
  await page.screenshot({ path: screenshot, fullPage: true });
  console.log(`storefront page: members ${before} → ${after} without a reload ("${dropAfter}"); screenshot ${screenshot}`);
} finally {
  await browser.close();
}
