//! Shipments (PRODUCT.md S2): requested by groups per purchase, read by the operator, the
//! services and the base handling them.

use actix_web::{HttpRequest, HttpResponse, get, http::StatusCode, post, web};
use contracts::shipping::{NewShipment, Shipment, ShipmentPage};
use domain::{GroupId, ShipmentId, ShippingBaseId, Violations, shipment::ShipmentState};
use platform::{
    ApiError, ErrorCode,
    auth::{Authenticated, Principal},
    db::Db,
    error::Problem,
    idempotency::IdempotentRequest,
    json::Json,
    outbox,
    pagination::{PageParams, page},
};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::access::{ServiceOnly, ShipmentReaders};
use crate::db::{
    bases,
    shipments::{self, ShipmentFilter, ShipmentRow},
};

const MAX_ITEMS: usize = 100;

/// What the types do not say: the country's form and the number of items (texts and quantities
/// are bounded types).
fn validate(body: &NewShipment) -> Result<(), ApiError> {
    let mut v = Violations::new();
    body.recipient.check("recipient", &mut v);
    v.list_len("items", body.items.len(), 1, MAX_ITEMS);
    Ok(v.into_result()?)
}

/// Whether `who` may see this shipment, address and all.
pub fn may_read(who: &Principal, row: &ShipmentRow) -> bool {
    match crate::access::acting_base(who) {
        Some(base) => base == row.base_id.0,
        None => true, // the operator and the services: ShipmentReaders admits no one else
    }
}

/// Requests a shipment for one purchase; the base serving the supplier is chosen. Asking again
/// for the same purchase returns the shipment already made.
#[utoipa::path(
    tag = "shipments",
    security(("bearer" = [])),
    params(("Idempotency-Key" = String, Header, description = "Required: one key per purchase")),
    request_body = NewShipment,
    responses(
        (status = 201, body = Shipment),
        (status = 200, body = Shipment, description = "The purchase already had this shipment"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "The purchase has a different shipment"),
        (status = 422, body = Problem, content_type = "application/problem+json", description = "Invalid, or no active base serves the supplier"),
    )
)]
#[post("/v1/shipments")]
#[tracing::instrument(skip_all)]
pub async fn create_shipment(
    _who: Authenticated<ServiceOnly>,
    req: HttpRequest,
    db: web::Data<Db>,
    key: IdempotentRequest,
    body: Json<NewShipment>,
) -> Result<HttpResponse, ApiError> {
    if !req.headers().contains_key(platform::idempotency::HEADER) {
        return Err(ApiError::new(ErrorCode::IdempotencyKeyRequired, "send an Idempotency-Key, one per purchase"));
    }
    let body = body.into_inner();
    validate(&body)?;
    let (created, row) = db
        .transaction(move |conn| {
            if let Some(existing) = shipments::find_by_purchase(conn, &body.purchase_id)? {
                let same = existing.supplier_id.0 == body.supplier_id
                    && existing.group_id.0 == body.group_id
                    && existing.items == serde_json::to_string(&body.items).map_err(ApiError::internal)?;
                if !same {
                    return Err(ApiError::conflict("this purchase already has a different shipment"));
                }
                key.complete(conn, StatusCode::OK, &existing.to_dto()?)?;
                return Ok((false, existing));
            }
            let base = bases::serving(conn, body.supplier_id)?.ok_or_else(|| {
                ApiError::invalid_field(
                    "supplier_id",
                    format!("no active shipping base serves supplier {}", body.supplier_id),
                )
            })?;
            let now = platform::db::now();
            let row = ShipmentRow {
                id: ShipmentId::generate().into(),
                purchase_id: body.purchase_id.to_string(),
                group_id: body.group_id.into(),
                member: body.member.to_string(),
                supplier_id: body.supplier_id.into(),
                base_id: base.id,
                recipient: serde_json::to_string(&body.recipient).map_err(ApiError::internal)?,
                items: serde_json::to_string(&body.items).map_err(ApiError::internal)?,
                state: ShipmentState::Requested.into(),
                tracking_number: None,
                carrier: None,
                event_count: 1,
                created_at: now,
                updated_at: now,
            };
            shipments::insert(conn, &row)?;
            if base.callback_url.is_some() {
                let (target, lane) = (bases::target(base.id.0), row.group_id.0.to_string());
                outbox::enqueue_to(conn, Some(&target), &lane, "shipment.requested", &row.to_dto()?)?;
            }
            outbox::enqueue(conn, &row.group_id.0.to_string(), "shipment.requested", &row.summary()?)?;
            key.complete(conn, StatusCode::CREATED, &row.to_dto()?)?;
            Ok::<_, ApiError>((true, row))
        })
        .await?;
    let dto = row.to_dto()?;
    if created {
        tracing::info!(shipment.id = %dto.id, base.id = %dto.base_id, "shipment requested");
        Ok(HttpResponse::Created().insert_header(("location", format!("/v1/shipments/{}", dto.id))).json(dto))
    } else {
        Ok(HttpResponse::Ok().json(dto))
    }
}

/// Reads a shipment: the operator, the services, or the base handling it.
#[utoipa::path(
    tag = "shipments",
    security(("bearer" = [])),
    params(("id" = ShipmentId, Path)),
    responses(
        (status = 200, body = Shipment),
    )
)]
#[get("/v1/shipments/{id}")]
pub async fn get_shipment(
    who: Authenticated<ShipmentReaders>,
    db: web::Data<Db>,
    id: web::Path<ShipmentId>,
) -> Result<web::Json<Shipment>, ApiError> {
    let id = id.into_inner();
    let row = db.run(move |conn| shipments::get(conn, id)).await?;
    if !may_read(&who, &row) {
        return Err(ApiError::forbidden("another base handles this shipment"));
    }
    Ok(web::Json(row.to_dto()?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListShipmentsParams {
    pub group_id: Option<GroupId>,
    /// A base sees only its own shipments, whatever it asks.
    pub base_id: Option<ShippingBaseId>,
    pub state: Option<ShipmentState>,
    pub cursor: Option<String>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}

/// Lists shipments by group, base and state, oldest first.
#[utoipa::path(
    tag = "shipments",
    security(("bearer" = [])),
    params(ListShipmentsParams),
    responses(
        (status = 200, body = ShipmentPage),
    )
)]
#[get("/v1/shipments")]
pub async fn list_shipments(
    who: Authenticated<ShipmentReaders>,
    db: web::Data<Db>,
    params: web::Query<ListShipmentsParams>,
) -> Result<web::Json<ShipmentPage>, ApiError> {
    let params = params.into_inner();
    let paging = PageParams { cursor: params.cursor, limit: params.limit };
    let (limit, after) = (paging.limit()?, paging.after_as()?);
    if let (Some(own), Some(asked)) = (crate::access::acting_base(&who), params.base_id)
        && own != asked
    {
        return Err(ApiError::forbidden("a base sees only its own shipments"));
    }
    let filter = ShipmentFilter {
        group_id: params.group_id,
        base_id: crate::access::acting_base(&who).or(params.base_id),
        state: params.state,
    };
    let rows = db.run(move |conn| shipments::list(conn, &filter, after, i64::from(limit) + 1)).await?;
    let (rows, next_cursor) = page(rows, limit, |r| r.id.to_string());
    let items = rows.iter().map(ShipmentRow::to_dto).collect::<Result<_, _>>()?;
    Ok(web::Json(ShipmentPage { items, next_cursor }))
}
