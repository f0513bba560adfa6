//! `POST /v1/webhooks/{provider}` (PRODUCT.md P3): the provider's signature checked (Stripe's
//! scheme, 300 s tolerance), each event applied once, the outcome forwarded to groups.

use actix_web::{HttpRequest, HttpResponse, post, web};
use diesel::prelude::*;
use platform::{ApiError, ErrorCode, db::Db, error::Problem, webhook};
use serde::Deserialize;

use crate::{
    db::{payments, schema::webhook_events},
    outcomes,
    provider::{Outcome, Provider},
};

#[derive(Debug, Deserialize)]
struct Event {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    data: EventData,
}

#[derive(Debug, Deserialize)]
struct EventData {
    object: serde_json::Value,
}

/// Receives a provider's event.
#[utoipa::path(
    tag = "webhooks",
    params(
        ("provider" = String, Path, description = "The configured provider: `sandbox` or `stripe`"),
        ("Stripe-Signature" = String, Header, description = "t=<unix time>,v1=<hex HMAC-SHA256 of \"t.body\">"),
    ),
    request_body(content = Object, description = "A Stripe-shaped event: id, type, data.object"),
    responses(
        (status = 200, description = "Applied, ignored as irrelevant, or a duplicate"),
        (status = 400, body = Problem, content_type = "application/problem+json", description = "Bad signature, stale timestamp or malformed event"),
    )
)]
#[post("/v1/webhooks/{provider}")]
#[tracing::instrument(skip_all, fields(provider = %name))]
pub async fn receive_webhook(
    req: HttpRequest,
    db: web::Data<Db>,
    provider: web::Data<Provider>,
    name: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    if name.as_str() != provider.name() {
        return Err(ApiError::not_found(format!("webhook endpoint for `{name}`")));
    }
    let signature = req.headers().get("stripe-signature").and_then(|v| v.to_str().ok()).unwrap_or_default();
    webhook::verify_stripe(provider.webhook_key(), signature, &body, chrono::Utc::now().timestamp())
        .map_err(|e| ApiError::new(ErrorCode::InvalidSignature, e.to_string()))?;
    let event: Event = serde_json::from_slice(&body).map_err(|e| ApiError::malformed(format!("not an event: {e}")))?;
    let provider_name = provider.name();
    let hold = provider.hold();
    let applied = db
        .transaction(move |conn| {
            let first_time = platform::db::insert_if_new(conn, |conn| {
                diesel::insert_into(webhook_events::table)
                    .values((
                        webhook_events::provider.eq(provider_name),
                        webhook_events::event_id.eq(&event.id),
                        webhook_events::event_type.eq(&event.kind),
                        webhook_events::received_at.eq(platform::db::now()),
                    ))
                    .execute(conn)
            });
            if !first_time? {
                return Ok::<_, ApiError>("duplicate");
            }
            let Some(object_id) = event.data.object.get("id").and_then(|v| v.as_str()) else { return Ok("ignored") };
            let Some(payment) = payments::find_by_provider_ref(conn, provider_name, object_id)? else {
                return Ok("ignored");
            };
            let Some((outcome, received)) = outcome_of(&event, object_id, hold) else { return Ok("ignored") };
            let captured = match received {
                // A provider never takes more than was authorized; a report that it did is refused
                // whole (and logged), never booked.
                Some(minor) if minor > payment.amount_minor => {
                    tracing::error!(payment.id = %payment.id, "a provider reported more received than authorized");
                    return Err(ApiError::invalid_field("data.object.amount_received", "exceeds the payment's amount"));
                }
                Some(minor) if minor > 0 => Some(payment.money(minor)),
                _ => None,
            };
            outcomes::apply(conn, &payment, &outcome, captured)?;
            Ok("applied")
        })
        .await?;
    tracing::info!(event.status = applied, "webhook received");
    Ok(HttpResponse::Ok().json(serde_json::json!({ "received": applied })))
}

/// The payment outcome an event reports, with the amount received for a success.
fn outcome_of(event: &Event, provider_ref: &str, hold: chrono::Duration) -> Option<(Outcome, Option<i64>)> {
    let object = &event.data.object;
    let provider_ref = provider_ref.to_owned();
    Some(match event.kind.as_str() {
        "payment_intent.amount_capturable_updated" => {
            (Outcome::Authorized { provider_ref, hold_expires_at: platform::db::now() + hold }, None)
        }
        "payment_intent.succeeded" => {
            (Outcome::Captured { provider_ref }, object.get("amount_received").and_then(|v| v.as_i64()))
        }
        "payment_intent.payment_failed" => {
            let code = object
                .pointer("/last_payment_error/code")
                .and_then(|v| v.as_str())
                .unwrap_or("payment_failed")
                .to_owned();
            (Outcome::Failed { provider_ref: Some(provider_ref), code }, None)
        }
        "payment_intent.canceled" => (Outcome::Voided { provider_ref }, None),
        _ => return None,
    })
}
