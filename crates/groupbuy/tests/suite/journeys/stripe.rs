//! The tiered journey with payments on the `stripe` provider against localstripe (PRODUCT.md P1,
//! P3): holds are PaymentIntents with manual capture, captured at the tier's price at close, and
//! localstripe's signed webhooks, registered for this suite, reach payments and are applied.

use platform::store_test;
use serde_json::json;

use super::{Suite, in_seconds, shopper_token};

const STRIPE_URL_VAR: &str = "GROUPBUY_TEST_STRIPE_URL";
const WEBHOOK_SECRET: &str = "whsec_journey_localstripe";

/// Where localstripe listens: the test command starts it; skipped only when asked to be.
fn localstripe() -> Option<String> {
    match std::env::var(STRIPE_URL_VAR) {
        Ok(url) => Some(url),
        Err(_) if std::env::var("GROUPBUY_TEST_SKIP_STRIPE").as_deref() == Ok("1") => {
            eprintln!("SKIPPED: Stripe journey (GROUPBUY_TEST_SKIP_STRIPE=1)");
            None
        }
        Err(_) => panic!("{STRIPE_URL_VAR} is not set: run the README's test command"),
    }
}

store_test!(p3_a_tiered_journey_pays_through_stripe_and_its_webhooks, |backend| async move {
    let Some(stripe) = localstripe() else { return };
    let provider = [
        ("GROUPBUY_PAYMENTS__PROVIDER", "stripe"),
        ("GROUPBUY_PAYMENTS__STRIPE__BASE_URL", stripe.as_str()),
        ("GROUPBUY_PAYMENTS__STRIPE__API_KEY", "sk_test_journey"),
        ("GROUPBUY_PAYMENTS__STRIPE__WEBHOOK_SECRET", WEBHOOK_SECRET),
    ];
    let Some(suite) = Suite::start_with(backend, &provider) else { return };
    // localstripe signs every event for the endpoints registered with it, as Stripe's dashboard
    // would be told of payments' webhook URL.
    let endpoint = format!("{}/v1/webhooks/stripe", suite.payments);
    let registration = [("url", endpoint.as_str()), ("secret", WEBHOOK_SECRET)];
    let id = uuid::Uuid::new_v4().simple().to_string();
    let res = suite.client.post(format!("{stripe}/_config/webhooks/{id}")).form(&registration).send().await.unwrap();
    assert!(res.status().is_success(), "localstripe took the webhook endpoint");

    let details = json!({ "kind": "specific", "manufacturer": "Journey", "model": "S1" });
    let tiers = json!({ "price_tiers": { "basis": "member_count", "tiers": [
        { "min": 3, "unit_price": { "amount": "90.00", "currency": "EUR" } }
    ] } });
    let (_, product) = suite.supplier_with(details, "100.00", tiers).await;
    let body = json!({ "product_id": product, "mode": "tiered", "min_members": 3, "closes_at": in_seconds(6) });
    let group = suite.post(&format!("{}/v1/groups", suite.groups), &shopper_token("stripe-leader"), &body).await;
    let group = group["id"].as_str().unwrap().to_owned();
    for n in 0..3 {
        // A Stripe test payment method: the token a storefront's Stripe.js would hand over.
        suite.join(&group, &format!("stripe-{n}"), 1, "pm_card_visa").await;
    }

    let settled = suite.group_becomes(&group, "settled").await;
    assert_eq!(settled["final_unit_price"]["amount"], "90.00");
    let payments = suite.payments_of(&group).await;
    assert!(
        payments
            .iter()
            .all(|p| p["provider"] == "stripe" && p["provider_ref"].as_str().is_some_and(|r| r.starts_with("pi_")))
    );
    assert!(payments.iter().all(|p| p["state"] == "captured" && p["captured"]["amount"] == "90.00"), "{payments:?}");
    // Each capture's `payment_intent.succeeded` among them, applied (not ignored as unknown).
    let applied =
        |log: &String| log.lines().filter(|l| l.contains("webhook received") && l.contains("applied")).count() >= 3;
    suite.until("localstripe's webhooks applied by payments", || async { suite.log() }, applied).await;
    suite.books_balance_and_nothing_is_twice(&group).await;
});
