//! Status reports (PRODUCT.md S3): from the base by API with a `shipping` token bound to it, or
//! by a webhook signed with its secret (Standard Webhooks, de-duplicated by `webhook-id`). Each
//! change is an event kept in order and sent on to groups.

use actix_web::{HttpRequest, get, post, web};
use contracts::shipping::{BaseWebhookReport, NewShipmentEvent, Shipment, ShipmentEvent};
use domain::{ShipmentId, ShippingBaseId};
use platform::{
    ApiError,
    auth::Authenticated,
    db::{Db, DbConnection},
    error::Problem,
    idempotency::IdempotentRequest,
    json::{self, Json},
    outbox, webhook,
};

use super::shipments::may_read;
use crate::access::{ShipmentReaders, ShippingOrOperator};
use crate::db::{bases, shipments};

/// Applies a report to a shipment of `base` (any base when `None`): the state, the event, the
/// message for groups.
fn apply(
    conn: &mut DbConnection,
    id: ShipmentId,
    base: Option<ShippingBaseId>,
    report: &NewShipmentEvent,
    source: &str,
) -> Result<Shipment, ApiError> {
    let current = shipments::get(conn, id)?;
    if base.is_some_and(|b| b != current.base_id.0) {
        return Err(ApiError::forbidden("another base handles this shipment"));
    }
    let next = shipments::record_event(conn, &current, report, source)?;
    let (from, to) = (current.state.0.as_str(), next.state.0.as_str());
    outbox::enqueue(conn, &next.group_id.0.to_string(), &format!("shipment.{to}"), &next.summary()?)?;
    tracing::info!(shipment.id = %id, from, to, source, "shipment state changed");
    Ok(next.to_dto()?)
}

/// Reports a new state for a shipment: its base, or the operator.
#[utoipa::path(
    tag = "shipments",
    security(("bearer" = [])),
    params(("id" = ShipmentId, Path)),
    request_body = NewShipmentEvent,
    responses(
        (status = 200, body = Shipment),
        (status = 403, body = Problem, content_type = "application/problem+json", description = "Another base's shipment"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "Not a forward move"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/shipments/{id}/events")]
#[tracing::instrument(skip_all, fields(shipment.id = %id))]
pub async fn report_event(
    who: Authenticated<ShippingOrOperator>,
    db: web::Data<Db>,
    key: IdempotentRequest,
    id: web::Path<ShipmentId>,
    body: Json<NewShipmentEvent>,
) -> Result<web::Json<Shipment>, ApiError> {
    let (id, report) = (id.into_inner(), body.into_inner());
    let base = crate::access::acting_base(&who);
    let shipment = db
        .transaction(move |conn| {
            let shipment = apply(conn, id, base, &report, "api")?;
            key.complete(conn, actix_web::http::StatusCode::OK, &shipment)?;
            Ok::<_, ApiError>(shipment)
        })
        .await?;
    Ok(web::Json(shipment))
}

/// A shipment's events, in the order they happened.
#[utoipa::path(
    tag = "shipments",
    security(("bearer" = [])),
    params(("id" = ShipmentId, Path)),
    responses(
        (status = 200, body = Vec<ShipmentEvent>),
    )
)]
#[get("/v1/shipments/{id}/events")]
pub async fn list_events(
    who: Authenticated<ShipmentReaders>,
    db: web::Data<Db>,
    id: web::Path<ShipmentId>,
) -> Result<web::Json<Vec<ShipmentEvent>>, ApiError> {
    let id = id.into_inner();
    let (row, events) = db
        .run(move |conn| {
            let row = shipments::get(conn, id)?;
            let events = shipments::events(conn, id)?;
            Ok::<_, ApiError>((row, events))
        })
        .await?;
    if !may_read(&who, &row) {
        return Err(ApiError::forbidden("another base handles this shipment"));
    }
    Ok(web::Json(events.iter().map(|e| e.to_dto()).collect()))
}

/// A base's status report by webhook, signed with the base's secret (Standard Webhooks headers
/// `webhook-id`, `webhook-timestamp`, `webhook-signature`; 300 s tolerance). A message id already
/// seen is acknowledged and not applied again.
#[utoipa::path(
    tag = "shipments",
    params(("base_id" = ShippingBaseId, Path)),
    request_body = BaseWebhookReport,
    responses(
        (status = 200, body = Shipment, description = "Applied, or the shipment as it is for a repeated message"),
        (status = 400, body = Problem, content_type = "application/problem+json", description = "Bad or stale signature"),
        (status = 403, body = Problem, content_type = "application/problem+json", description = "The shipment belongs to another base"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/webhooks/bases/{base_id}")]
#[tracing::instrument(skip_all, fields(base.id = %base_id))]
pub async fn receive_base_webhook(
    req: HttpRequest,
    db: web::Data<Db>,
    base_id: web::Path<ShippingBaseId>,
    body: web::Bytes,
) -> Result<web::Json<Shipment>, ApiError> {
    let base_id = base_id.into_inner();
    let base = db.run(move |conn| bases::get(conn, base_id)).await?;
    let message_id =
        webhook::verify_standard_request(&webhook::SigningKey::standard(&base.webhook_secret), &req, &body)?;
    let report: BaseWebhookReport = json::parse(&body)?;
    let event = NewShipmentEvent {
        state: report.state,
        tracking_number: report.tracking_number,
        carrier: report.carrier,
        note: report.note,
    };
    let shipment = db
        .transaction(move |conn| {
            if !shipments::first_delivery(conn, &base.id.to_string(), &message_id)? {
                // A repeated message answers with the shipment as it is now, but only to the base
                // handling it: a reused id must not open another base's shipment.
                let row = shipments::get(conn, report.shipment_id)?;
                if row.base_id != base.id {
                    return Err(ApiError::forbidden("another base handles this shipment"));
                }
                return Ok(row.to_dto()?);
            }
            apply(conn, report.shipment_id, Some(base_id), &event, "webhook")
        })
        .await?;
    Ok(web::Json(shipment))
}
