//! `POST /v1/webhooks/payments`, `/v1/webhooks/shipping` and `/v1/webhooks/bidding`: outcomes from
//! payments, shipping and bidding (PRODUCT.md G4, G7, S3, B6), each signed with Standard Webhooks
//! by its own secret. A message id
//! already applied is acknowledged and not applied again.

use actix_web::{HttpRequest, HttpResponse, post, web};
use chrono::NaiveDateTime;
use contracts::{bidding::Award, payments::Payment, shipping::ShipmentSummary};
use diesel::prelude::*;
use platform::{
    ApiError, ErrorCode,
    db::{Db, DbConnection, StoreError},
    error::Problem,
    json,
    webhook::{self, SigningKey},
};
use serde::{Deserialize, de::DeserializeOwned};

use crate::{
    Context, auction_flow,
    db::{members, schema::received_webhooks},
    payment_flow,
};

/// The envelope every outbox sends.
#[derive(Deserialize)]
struct Envelope {
    #[serde(rename = "type")]
    kind: String,
    data: serde_json::Value,
}

/// Who sends a webhook, and which of its events groups acts on.
struct Sender {
    name: &'static str,
    /// Events whose type starts with this carry a `T`; others are acknowledged and ignored.
    applies_to: &'static str,
}

/// Verifies, de-duplicates (per sender) and applies one message; `apply` gets the event's data
/// inside the transaction that notes the message.
async fn receive<T: DeserializeOwned + Send + 'static>(
    req: &HttpRequest,
    db: &Db,
    key: Option<&SigningKey>,
    sender: Sender,
    body: &[u8],
    apply: fn(&mut DbConnection, &T, NaiveDateTime) -> Result<(), StoreError>,
) -> Result<HttpResponse, ApiError> {
    let Sender { name: sender, applies_to } = sender;
    let key = key.ok_or_else(|| {
        ApiError::new(ErrorCode::InvalidSignature, format!("this service takes no {sender} webhooks: no secret is set"))
    })?;
    let message_id = format!("{sender}:{}", webhook::verify_standard_request(key, req, body)?);
    let envelope: Envelope = json::parse(body)?;
    let data: Option<T> = envelope
        .kind
        .starts_with(applies_to)
        .then(|| serde_json::from_value(envelope.data.clone()))
        .transpose()
        .map_err(|e| ApiError::invalid_field("data", e.to_string()))?;
    let now = db.clock().now();
    let applied = db
        .transaction(move |conn| {
            let first = platform::db::insert_if_new(conn, |conn| {
                diesel::insert_into(received_webhooks::table)
                    .values((received_webhooks::message_id.eq(&message_id), received_webhooks::received_at.eq(now)))
                    .execute(conn)
            })?;
            if first && let Some(data) = &data {
                apply(conn, data, now)?;
            }
            Ok::<_, ApiError>(first)
        })
        .await?;
    tracing::info!(event.type = %envelope.kind, applied, "{sender} webhook received");
    Ok(HttpResponse::NoContent().finish())
}

/// Receives a payment's outcome: a hold placed or failed, a capture, a void.
#[utoipa::path(
    tag = "webhooks",
    request_body(content = Object, description = "A payments event: `{type, timestamp, data}` with a payment as `data`"),
    responses(
        (status = 204, description = "Applied, or seen before"),
        (status = 400, body = Problem, content_type = "application/problem+json", description = "Bad or stale signature"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/webhooks/payments")]
#[tracing::instrument(skip_all)]
pub async fn receive_payments_webhook(
    req: HttpRequest,
    db: web::Data<Db>,
    context: web::Data<Context>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    // Refunds and settlements carry other bodies; groups acts on payments only.
    let sender = Sender { name: "payments", applies_to: "payment." };
    receive::<Payment>(&req, &db, context.payments_webhook.as_ref(), sender, &body, payment_flow::apply).await
}

/// Receives a shipment's progress: requested, dispatched, in transit, delivered, failed, returned.
#[utoipa::path(
    tag = "webhooks",
    request_body(content = Object, description = "A shipping event: `{type, timestamp, data}` with a shipment summary as `data`"),
    responses(
        (status = 204, description = "Applied, or seen before"),
        (status = 400, body = Problem, content_type = "application/problem+json", description = "Bad or stale signature"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/webhooks/shipping")]
#[tracing::instrument(skip_all)]
pub async fn receive_shipping_webhook(
    req: HttpRequest,
    db: web::Data<Db>,
    context: web::Data<Context>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let sender = Sender { name: "shipping", applies_to: "shipment." };
    receive::<ShipmentSummary>(&req, &db, context.shipping_webhook.as_ref(), sender, &body, |conn, s, now| {
        members::record_shipment(conn, &s.member, s.id, s.state, now)
    })
    .await
}

/// Receives bidding's decision on an auction group's bid request: awarded, or no award.
#[utoipa::path(
    tag = "webhooks",
    request_body(content = Object, description = "A bidding event: `{type, timestamp, data}` with the award as `data` (`bid_request.awarded`, `bid_request.no_award`)"),
    responses(
        (status = 204, description = "Applied, or seen before"),
        (status = 400, body = Problem, content_type = "application/problem+json", description = "Bad or stale signature"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/webhooks/bidding")]
#[tracing::instrument(skip_all)]
pub async fn receive_bidding_webhook(
    req: HttpRequest,
    db: web::Data<Db>,
    context: web::Data<Context>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let sender = Sender { name: "bidding", applies_to: "bid_request." };
    receive::<Award>(&req, &db, context.bidding_webhook.as_ref(), sender, &body, auction_flow::decided).await
}
