//! `POST/GET/DELETE /v1/webhook-endpoints`: storefronts' endpoints for group events (PRODUCT.md
//! G9), registered by the operator. The secret is shown once, at registration.

use actix_web::{HttpResponse, delete, get, http::StatusCode, post, web};
use contracts::groups::{NewWebhookEndpoint, RegisteredWebhookEndpoint, WebhookEndpointPage};
use platform::{
    ApiError,
    auth::{Authenticated, OperatorOnly},
    db::Db,
    error::Problem,
    idempotency::IdempotentRequest,
    json::Json,
    outbound::TargetPolicy,
    pagination::{PageParams, page},
    webhook,
};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::storefronts::{self, EndpointRow};

/// Registers an endpoint for every group's events, or one group's (`group_id`). The answer holds
/// the endpoint's Standard Webhooks secret, shown only this once.
#[utoipa::path(
    tag = "webhook endpoints",
    security(("bearer" = [])),
    request_body = NewWebhookEndpoint,
    responses(
        (status = 201, body = RegisteredWebhookEndpoint),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/webhook-endpoints")]
#[tracing::instrument(skip_all)]
pub async fn create_webhook_endpoint(
    _who: Authenticated<OperatorOnly>,
    db: web::Data<Db>,
    policy: web::Data<TargetPolicy>,
    key: IdempotentRequest,
    body: Json<NewWebhookEndpoint>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    if let Err(why) = policy.check(&body.url) {
        return Err(ApiError::invalid_field("url", why));
    }
    let row = EndpointRow {
        id: format!("we_{}", uuid::Uuid::now_v7().simple()),
        url: body.url,
        secret: webhook::new_secret(),
        group_id: body.group_id.map(Into::into),
        created_at: db.clock().now(),
    };
    let registered = RegisteredWebhookEndpoint { endpoint: row.to_dto(), secret: row.secret.clone() };
    let answer = registered.clone();
    db.transaction(move |conn| {
        if let Some(group) = row.group_id
            && crate::db::groups::find(conn, group.0)?.is_none()
        {
            return Err(ApiError::invalid_field("group_id", format!("group {group} does not exist")));
        }
        storefronts::insert(conn, &row)?;
        key.complete(conn, StatusCode::CREATED, &answer)?;
        Ok(())
    })
    .await?;
    tracing::info!(endpoint.id = %registered.endpoint.id, "webhook endpoint registered");
    Ok(HttpResponse::Created()
        .insert_header(("location", format!("/v1/webhook-endpoints/{}", registered.endpoint.id)))
        .json(registered))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListEndpointsParams {
    pub cursor: Option<String>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}

/// Lists the registered endpoints (without their secrets), oldest first.
#[utoipa::path(
    tag = "webhook endpoints",
    security(("bearer" = [])),
    params(ListEndpointsParams),
    responses(
        (status = 200, body = WebhookEndpointPage),
    )
)]
#[get("/v1/webhook-endpoints")]
pub async fn list_webhook_endpoints(
    _who: Authenticated<OperatorOnly>,
    db: web::Data<Db>,
    params: web::Query<ListEndpointsParams>,
) -> Result<web::Json<WebhookEndpointPage>, ApiError> {
    let params = params.into_inner();
    let paging = PageParams { cursor: params.cursor, limit: params.limit };
    let (limit, after) = (paging.limit()?, paging.after()?);
    let rows = db.run(move |conn| storefronts::list(conn, after.as_deref(), i64::from(limit) + 1)).await?;
    let (rows, next_cursor) = page(rows, limit, |r| r.id.clone());
    Ok(web::Json(WebhookEndpointPage { items: rows.iter().map(EndpointRow::to_dto).collect(), next_cursor }))
}

/// Removes an endpoint: nothing more is sent to it.
#[utoipa::path(
    tag = "webhook endpoints",
    security(("bearer" = [])),
    params(("id" = String, Path)),
    responses(
        (status = 204, description = "Removed"),
    )
)]
#[delete("/v1/webhook-endpoints/{id}")]
pub async fn delete_webhook_endpoint(
    _who: Authenticated<OperatorOnly>,
    db: web::Data<Db>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let shown = id.clone();
    if !db.run(move |conn| storefronts::delete(conn, &id)).await? {
        return Err(ApiError::not_found(format!("webhook endpoint {shown}")));
    }
    Ok(HttpResponse::NoContent().finish())
}
