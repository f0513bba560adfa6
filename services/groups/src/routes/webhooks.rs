//! `POST /v1/webhooks/payments`: payment outcomes from payments (PRODUCT.md G4, G7), signed with
//! Standard Webhooks. A message id already applied is acknowledged and not applied again.

use actix_web::{HttpRequest, HttpResponse, post, web};
use contracts::payments::Payment;
use diesel::prelude::*;
use platform::{ApiError, db::Db, error::Problem, json, webhook};
use serde::Deserialize;

use crate::{Context, db::schema::received_webhooks, payment_flow};

/// The envelope payments' outbox sends.
#[derive(Deserialize)]
struct Envelope {
    #[serde(rename = "type")]
    kind: String,
    data: serde_json::Value,
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
    let key = context.payments_webhook.as_ref().ok_or_else(|| {
        ApiError::new(
            platform::ErrorCode::InvalidSignature,
            "this service takes no payments webhooks: no secret is set",
        )
    })?;
    let message_id = webhook::verify_standard_request(key, &req, &body)?;
    let envelope: Envelope = json::parse(&body)?;
    let payment = match envelope.kind.as_str() {
        kind if kind.starts_with("payment.") => Some(json::parse::<Payment>(envelope.data.to_string().as_bytes())?),
        _ => None, // refunds and settlements: nothing for groups to do yet
    };
    let now = db.clock().now();
    let applied = db
        .transaction(move |conn| {
            let first = platform::db::insert_if_new(conn, |conn| {
                diesel::insert_into(received_webhooks::table)
                    .values((received_webhooks::message_id.eq(&message_id), received_webhooks::received_at.eq(now)))
                    .execute(conn)
            })?;
            if first && let Some(payment) = &payment {
                payment_flow::apply(conn, payment, now)?;
            }
            Ok::<_, ApiError>(first)
        })
        .await?;
    tracing::info!(event.type = %envelope.kind, applied, "payments webhook received");
    Ok(HttpResponse::NoContent().finish())
}
