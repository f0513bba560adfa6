//! Quotes and history (PRODUCT.md G5, G10): what a unit would cost if more joined, and what the
//! group held at any past time.

use actix_web::{get, web};
use chrono::{DateTime, SubsecRound, Utc};
use contracts::groups::{History, NextTierDto, QuoteDto};
use domain::{GroupId, group::Tally};
use platform::{ApiError, db::Db, error::Problem};
use serde::Deserialize;
use utoipa::IntoParams;

use super::read::find;
use crate::db::groups;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QuoteParams {
    /// Members who would join, one unit each unless `add_quantity` says more.
    #[param(minimum = 0, maximum = 1000000)]
    pub add_members: Option<u32>,
    /// Units that would join in all.
    #[param(minimum = 0, maximum = 1000000)]
    pub add_quantity: Option<u32>,
}

const MAX_ADDED: u32 = 1_000_000;

/// The unit price now and if more joined, with the next cheaper tier: "3 more and the price
/// drops to 80.00". For a reverse auction both are its ceiling: its price comes from the award.
#[utoipa::path(
    tag = "groups",
    params(("id" = GroupId, Path), QuoteParams),
    responses(
        (status = 200, body = QuoteDto),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/groups/{id}/quote")]
pub async fn get_quote(
    db: web::Data<Db>,
    id: web::Path<GroupId>,
    params: web::Query<QuoteParams>,
) -> Result<web::Json<QuoteDto>, ApiError> {
    let id = id.into_inner();
    let members = params.add_members.unwrap_or(0);
    let quantity = params.add_quantity.unwrap_or(members);
    if members > MAX_ADDED || quantity > MAX_ADDED {
        return Err(ApiError::invalid_field("add_members", format!("at most {MAX_ADDED}")));
    }
    let group = db.run(move |conn| find(conn, id)).await?;
    let terms = group.terms().map_err(ApiError::internal)?;
    let now = group.tally();
    let mut quote = terms.price().quote(now, Tally { members, quantity });
    if let Some(ceiling) = group.ceiling_minor {
        // An auction's price comes from its award, whoever joins: the ceiling is the most it can be.
        let ceiling = group.money(ceiling);
        (quote.unit_price_now, quote.unit_price_then, quote.next_tier) = (ceiling, ceiling, None);
    }
    Ok(web::Json(QuoteDto {
        group_id: id,
        member_count: now.members,
        quantity: now.quantity,
        unit_price_now: quote.unit_price_now.into(),
        unit_price_then: quote.unit_price_then.into(),
        next_tier: quote.next_tier.map(|t| NextTierDto {
            basis: t.basis,
            more_needed: t.more_needed,
            unit_price: t.unit_price.into(),
        }),
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryParams {
    /// The point in force at this time (RFC 3339); the whole series when absent.
    pub at: Option<DateTime<Utc>>,
}

/// The group's member count, quantity, price and state after each event, or at one time.
#[utoipa::path(
    tag = "groups",
    params(("id" = GroupId, Path), HistoryParams),
    responses(
        (status = 200, body = History),
    )
)]
#[get("/v1/groups/{id}/history")]
pub async fn get_history(
    db: web::Data<Db>,
    id: web::Path<GroupId>,
    params: web::Query<HistoryParams>,
) -> Result<web::Json<History>, ApiError> {
    let id = id.into_inner();
    let at = params.at.map(|t| t.naive_utc().trunc_subsecs(6));
    let (group, events) =
        db.run(move |conn| Ok::<_, ApiError>((find(conn, id)?, groups::history(conn, id, at, 0)?))).await?;
    let points = events.iter().map(|e| e.to_dto(group.currency.0)).collect();
    Ok(web::Json(History { group_id: id, points }))
}
