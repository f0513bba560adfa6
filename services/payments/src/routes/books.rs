//! Settlement and the books (PRODUCT.md P4): groups says a group is settled and the escrow left
//! becomes the supplier's payout; the operator reads a group's balanced books.

use actix_web::{HttpRequest, HttpResponse, get, http::StatusCode, post, web};
use contracts::payments::Books;
use diesel::prelude::*;
use domain::{GroupId, ledger::Entry};
use platform::{
    ApiError, ErrorCode,
    auth::{Authenticated, OperatorOnly},
    db::Db,
    error::Problem,
    outbox,
};

use platform::idempotency::{KeyUse, replay};

use super::idempotency::answer;
use crate::access::ServiceOnly;
use crate::db::{
    ledger,
    operations::{self, Claim},
    schema::{payments, refunds},
};

/// States that mean money may still move: a group with any of them cannot be settled.
const OPEN_STATES: [&str; 4] = ["pending", "processing", "requires_action", "authorized"];

/// Records that the group is settled: what is left in its escrow is paid out to the supplier.
#[utoipa::path(
    tag = "books",
    security(("bearer" = [])),
    params(("group_id" = GroupId, Path), ("Idempotency-Key" = String, Header, description = "Required")),
    responses(
        (status = 200, body = Books, description = "The books after the payout: the clearing balance is zero"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "Settled already, or payments still open"),
    )
)]
#[post("/v1/groups/{group_id}/settlement")]
#[tracing::instrument(skip_all, fields(group.id = %group_id))]
pub async fn settle_group(
    who: Authenticated<ServiceOnly>,
    req: HttpRequest,
    db: web::Data<Db>,
    group_id: web::Path<GroupId>,
) -> Result<HttpResponse, ApiError> {
    let group = group_id.into_inner();
    let op = KeyUse::required(&req, &who, &serde_json::Value::Null)?;
    let answered = db
        .transaction(move |conn| {
            match operations::claim(conn, &op, group)? {
                Claim::Replay { status, body } => return Ok(Err((status, body))),
                Claim::New | Claim::Resume { .. } => {}
            }
            let open: i64 = payments::table
                .filter(payments::group_id.eq(group.to_string()))
                .filter(payments::state.eq_any(OPEN_STATES))
                .count()
                .get_result(conn)?;
            let pending_refunds: i64 = refunds::table
                .inner_join(payments::table)
                .filter(payments::group_id.eq(group.to_string()))
                .filter(refunds::state.eq("pending"))
                .count()
                .get_result(conn)?;
            if open > 0 || pending_refunds > 0 {
                return Err(ApiError::new(
                    ErrorCode::StillOpen,
                    format!(
                        "{open} payments and {pending_refunds} refunds are still open: capture, void or wait first"
                    ),
                ));
            }
            if !ledger::mark_settled(conn, group)? {
                return Err(ApiError::conflict(format!("group {group} is settled already")));
            }
            for balance in ledger::clearing_balances(conn, group)? {
                if !balance.amount().is_zero() {
                    let entry = Entry::payout(group, balance).map_err(ApiError::internal)?;
                    ledger::post(conn, group, group, &entry)?;
                }
            }
            let books = ledger::books(conn, group)?;
            outbox::enqueue(conn, &group.to_string(), "group.settled", &books)?;
            let body = serde_json::to_string(&books).map_err(ApiError::internal)?;
            operations::finish(conn, &op, 200, &body)?;
            Ok(Ok(body))
        })
        .await?;
    match answered {
        Ok(body) => Ok(answer(StatusCode::OK, body)),
        Err((status, body)) => Ok(replay(status, body)),
    }
}

/// A group's books: every ledger entry, and per currency charges, refunds, payouts and the
/// clearing balance (zero once settled).
#[utoipa::path(
    tag = "books",
    security(("bearer" = [])),
    params(("group_id" = GroupId, Path)),
    responses(
        (status = 200, body = Books),
    )
)]
#[get("/v1/groups/{group_id}/books")]
pub async fn get_books(
    _who: Authenticated<OperatorOnly>,
    db: web::Data<Db>,
    group_id: web::Path<GroupId>,
) -> Result<web::Json<Books>, ApiError> {
    let group = group_id.into_inner();
    Ok(web::Json(db.run(move |conn| ledger::books(conn, group)).await?))
}
