//! `GET /v1/products/{id}/discount-rate`: the rate that applies to a quantity and period (C3).

use actix_web::{get, web};
use contracts::catalog::DiscountRateQuote;
use domain::ProductId;
use platform::{ApiError, db::Db, error::Problem};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::db::products;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DiscountRateParams {
    /// Units bought by the group.
    pub quantity: u32,
    /// Days the group took to buy them, at least 1.
    #[param(minimum = 1)]
    pub period_days: u32,
}

/// Looks up the product's discount-rate table: the largest quantity row reached, then the
/// shortest period column that still covers `period_days`; 0 when no cell applies.
#[utoipa::path(
    tag = "products",
    params(("id" = ProductId, Path), DiscountRateParams),
    responses(
        (status = 200, body = DiscountRateQuote),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/products/{id}/discount-rate")]
pub async fn get_discount_rate(
    db: web::Data<Db>,
    id: web::Path<ProductId>,
    params: web::Query<DiscountRateParams>,
) -> Result<web::Json<DiscountRateQuote>, ApiError> {
    let (id, params) = (id.into_inner(), params.into_inner());
    if params.period_days == 0 {
        return Err(ApiError::invalid_field("period_days", "must be at least 1"));
    }
    let record = db
        .run(move |conn| products::find(conn, id))
        .await?
        .ok_or_else(|| ApiError::not_found(format!("product {id}")))?;
    Ok(web::Json(DiscountRateQuote {
        product_id: id,
        quantity: params.quantity,
        period_days: params.period_days,
        rate: record.terms.discount_rates.rate_for(params.quantity, params.period_days),
    }))
}
