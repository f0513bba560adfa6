//! Shipping bases (PRODUCT.md S1): registered by the operator for the suppliers they serve.

use actix_web::{HttpResponse, get, http::StatusCode, patch, post, web};
use contracts::shipping::{NewShippingBase, RegisteredShippingBase, ShippingBase, ShippingBaseUpdate};
use domain::{ShippingBaseId, SupplierId, Violations};
use platform::{
    ApiError,
    auth::{Authenticated, OperatorOnly},
    db::Db,
    error::Problem,
    idempotency::IdempotentRequest,
    json::Json,
    outbound::TargetPolicy,
};

use crate::access::ShippingOrOperator;
use crate::db::bases::{self, BaseRow};

const MAX_SUPPLIERS: usize = 1000;

/// What the types do not say: the suppliers listed once each and not too many, and a callback
/// that is a public http(s) URL (unless the policy allows private ones).
fn check_fields(v: &mut Violations, policy: &TargetPolicy, suppliers: Option<&[SupplierId]>, callback: Option<&str>) {
    if let Some(suppliers) = suppliers {
        v.list_len("supplier_ids", suppliers.len(), 0, MAX_SUPPLIERS);
        let mut seen = std::collections::HashSet::new();
        for (i, supplier) in suppliers.iter().enumerate() {
            v.check(seen.insert(supplier), format!("supplier_ids[{i}]"), "listed twice");
        }
    }
    if let Some(url) = callback
        && let Err(why) = policy.check(url)
    {
        v.add("callback_url", why);
    }
}

/// Registers a shipping base. The response carries its webhook secret, shown only this once.
#[utoipa::path(
    tag = "shipping bases",
    security(("bearer" = [])),
    request_body = NewShippingBase,
    responses(
        (status = 201, body = RegisteredShippingBase),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/shipping-bases")]
#[tracing::instrument(skip_all)]
pub async fn create_base(
    _who: Authenticated<OperatorOnly>,
    db: web::Data<Db>,
    policy: web::Data<TargetPolicy>,
    key: IdempotentRequest,
    body: Json<NewShippingBase>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let mut v = Violations::new();
    check_fields(&mut v, &policy, Some(&body.supplier_ids), body.callback_url.as_deref());
    v.into_result()?;
    let now = platform::db::now();
    let row = BaseRow {
        id: ShippingBaseId::generate().into(),
        name: body.name.trim().to_owned(),
        callback_url: body.callback_url,
        webhook_secret: platform::webhook::new_secret(),
        paused: false,
        created_at: now,
        updated_at: now,
    };
    let registered = db
        .transaction(move |conn| {
            bases::insert(conn, &row, &body.supplier_ids)?;
            let registered =
                RegisteredShippingBase { base: bases::to_dto(conn, &row)?, webhook_secret: row.webhook_secret };
            key.complete(conn, StatusCode::CREATED, &registered)?;
            Ok::<_, ApiError>(registered)
        })
        .await?;
    tracing::info!(base.id = %registered.base.id, "shipping base registered");
    Ok(HttpResponse::Created()
        .insert_header(("location", format!("/v1/shipping-bases/{}", registered.base.id)))
        .json(registered))
}

/// Reads a base: the operator any, a base itself.
#[utoipa::path(
    tag = "shipping bases",
    security(("bearer" = [])),
    params(("id" = ShippingBaseId, Path)),
    responses(
        (status = 200, body = ShippingBase),
    )
)]
#[get("/v1/shipping-bases/{id}")]
pub async fn get_base(
    who: Authenticated<ShippingOrOperator>,
    db: web::Data<Db>,
    id: web::Path<ShippingBaseId>,
) -> Result<web::Json<ShippingBase>, ApiError> {
    let id = id.into_inner();
    if !who.is_operator() && crate::access::acting_base(&who) != Some(id) {
        return Err(ApiError::forbidden("a base may read only itself"));
    }
    let base = db
        .run(move |conn| {
            let row = bases::get(conn, id)?;
            Ok::<_, ApiError>(bases::to_dto(conn, &row)?)
        })
        .await?;
    Ok(web::Json(base))
}

/// Changes a base: name, suppliers, callback, paused.
#[utoipa::path(
    tag = "shipping bases",
    security(("bearer" = [])),
    params(("id" = ShippingBaseId, Path)),
    request_body = ShippingBaseUpdate,
    responses(
        (status = 200, body = ShippingBase),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/v1/shipping-bases/{id}")]
#[tracing::instrument(skip_all, fields(base.id = %id))]
pub async fn update_base(
    _who: Authenticated<OperatorOnly>,
    db: web::Data<Db>,
    policy: web::Data<TargetPolicy>,
    id: web::Path<ShippingBaseId>,
    body: Json<ShippingBaseUpdate>,
) -> Result<web::Json<ShippingBase>, ApiError> {
    let (id, update) = (id.into_inner(), body.into_inner());
    let mut v = Violations::new();
    let callback = update.callback_url.clone().flatten();
    check_fields(&mut v, &policy, update.supplier_ids.as_deref(), callback.as_deref());
    v.into_result()?;
    let base = db
        .transaction(move |conn| {
            let mut row = bases::get(conn, id)?;
            if let Some(name) = &update.name {
                row.name = name.trim().to_owned();
            }
            if let Some(callback) = update.callback_url {
                row.callback_url = callback;
            }
            if let Some(paused) = update.paused {
                row.paused = paused;
            }
            row.updated_at = platform::db::now();
            bases::update(conn, &row)?;
            if let Some(suppliers) = &update.supplier_ids {
                bases::set_suppliers(conn, id, suppliers)?;
            }
            Ok::<_, ApiError>(bases::to_dto(conn, &row)?)
        })
        .await?;
    Ok(web::Json(base))
}
