//! Refunds: partial or full, never more than was captured and not yet refunded (PRODUCT.md P1).

use actix_web::{HttpRequest, HttpResponse, get, http::StatusCode, post, web};
use contracts::payments::{NewRefund, Refund, RefundPage, RefundSettled, RefundState};
use domain::{GroupId, PaymentId, RefundId, Violations};
use platform::{
    ApiError,
    auth::Authenticated,
    db::Db,
    error::Problem,
    idempotency::{KeyUse, replay},
    json::Json,
    outbox,
    pagination::{PageParams, page},
};
use serde::Deserialize;
use utoipa::IntoParams;

use super::{
    idempotency::{answer, provider_failed},
    payments::payment_error,
};
use crate::access::{ServiceOnly, ServiceOrOperator};
use crate::{
    db::{
        ledger,
        operations::{self, Claim},
        payments,
        rows::{PaymentRow, RefundRow},
    },
    provider::{Provider, RefundOutcome},
};

enum Step {
    Go(Box<(RefundRow, PaymentRow)>),
    Replay(u16, Vec<u8>),
}

/// Refunds part or all of a captured payment.
#[utoipa::path(
    tag = "refunds",
    security(("bearer" = [])),
    params(("id" = PaymentId, Path), ("Idempotency-Key" = String, Header, description = "Required")),
    request_body = NewRefund,
    responses(
        (status = 201, body = Refund, description = "The refund: succeeded, or failed at the provider"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json", description = "More than can still be refunded"),
        (status = 502, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/payments/{id}/refunds")]
#[tracing::instrument(skip_all, fields(payment.id = %id))]
pub async fn create_refund(
    who: Authenticated<ServiceOnly>,
    req: HttpRequest,
    db: web::Data<Db>,
    provider: web::Data<Provider>,
    id: web::Path<PaymentId>,
    body: Json<NewRefund>,
) -> Result<HttpResponse, ApiError> {
    let (id, body) = (id.into_inner(), body.into_inner());
    let op = KeyUse::required(&req, &who, &body)?;
    let mut v = Violations::new();
    let amount = body.amount.parse_non_negative("amount", &mut v);
    let reason = body.reason.as_ref().map_or("requested", |r| r.as_str()).to_owned();
    v.into_result()?;
    let amount = amount.ok_or_else(|| ApiError::invalid_field("amount", "is invalid"))?;
    let amount_minor = amount.to_minor().map_err(|e| ApiError::invalid_field("amount.amount", e.to_string()))?;

    let claim_op = op.clone();
    let refund_id = RefundId::generate();
    let step = db
        .transaction(move |conn| {
            let payment = payments::get(conn, id)?;
            match operations::claim(conn, &claim_op, refund_id)? {
                Claim::Replay { status, body } => return Ok(Step::Replay(status, body)),
                Claim::Resume { resource_id } => {
                    let id = resource_id.parse().map_err(ApiError::internal)?;
                    let refund = payments::find_refund(conn, id)?.ok_or_else(|| ApiError::not_found("refund"))?;
                    return Ok(Step::Go(Box::new((refund, payment))));
                }
                Claim::New => {}
            }
            let group = payment.group_id.0;
            if ledger::settled_at(conn, group)?.is_some() {
                return Err(ApiError::conflict(format!("group {group} is settled")));
            }
            if amount.currency() != payment.currency() {
                return Err(ApiError::invalid_field(
                    "amount.currency",
                    format!("the payment is in {}", payment.currency),
                ));
            }
            // The domain decides; the store writes its decision under the payment's lock.
            let (payment, ()) =
                payments::transition(conn, payment.id(), |book| book.reserve_refund(amount).map_err(payment_error))?;
            let now = platform::db::now();
            let refund = RefundRow {
                id: refund_id.into(),
                payment_id: payment.id,
                amount_minor,
                reason,
                state: RefundState::Pending.into(),
                provider_ref: None,
                failure_code: None,
                created_at: now,
                updated_at: now,
            };
            payments::insert_refund(conn, &refund)?;
            Ok(Step::Go(Box::new((refund, payment))))
        })
        .await?;
    let (refund, payment) = match step {
        Step::Replay(status, body) => return Ok(replay(status, body)),
        Step::Go(pair) => *pair,
    };
    let provider_ref = payment.provider_ref.clone().unwrap_or_default();
    let outcome = match provider.refund(&provider_ref, amount, &refund.id.to_string()).await {
        Ok(outcome) => outcome,
        Err(e) => return Err(provider_failed(&db, &op, e).await),
    };
    let body = db
        .transaction(move |conn| {
            record(conn, &refund, &outcome)?;
            let stored = payments::find_refund(conn, refund.id.0)?.ok_or_else(|| ApiError::not_found("refund"))?;
            let body = serde_json::to_string(&stored.to_dto(payment.currency())).map_err(ApiError::internal)?;
            operations::finish(conn, &op, 201, &body)?;
            Ok::<_, ApiError>(body)
        })
        .await?;
    Ok(answer(StatusCode::CREATED, body))
}

/// Books the provider's answer: the refund's state, the payment's amounts, the ledger, the event.
pub(crate) fn record(
    conn: &mut platform::db::DbConnection,
    refund: &RefundRow,
    outcome: &RefundOutcome,
) -> Result<(), ApiError> {
    let (state, provider_ref, code) = match outcome {
        RefundOutcome::Succeeded { provider_ref } => (RefundState::Succeeded, Some(provider_ref.as_str()), None),
        RefundOutcome::Failed { code } => (RefundState::Failed, None, Some(code.as_str())),
    };
    if !payments::settle_refund(conn, refund.id.0, state, provider_ref, code)? {
        return Ok(()); // recorded already
    }
    let payment = if state == RefundState::Succeeded {
        let (payment, entry) = payments::transition(conn, refund.payment_id.0, |book| {
            let amount = domain::Money::from_minor(refund.amount_minor, book.amount.currency());
            book.refund_succeeded(amount).map_err(ApiError::internal)
        })?;
        ledger::post(conn, payment.group_id.0, refund.id, &entry)?;
        payment
    } else {
        let (payment, ()) = payments::transition(conn, refund.payment_id.0, |book| {
            let amount = domain::Money::from_minor(refund.amount_minor, book.amount.currency());
            book.refund_failed(amount).map_err(ApiError::internal)
        })?;
        payment
    };
    let stored = payments::find_refund(conn, refund.id.0)?.ok_or_else(|| ApiError::not_found("refund"))?;
    let event = RefundSettled { refund: stored.to_dto(payment.currency()), payment: payment.to_dto() };
    let state = contracts::wire_name(&state);
    outbox::enqueue(conn, &payment.group_id.0.to_string(), &format!("refund.{state}"), &event)?;
    tracing::info!(refund.id = %refund.id, state, "refund recorded");
    Ok(())
}

/// Reads a refund.
#[utoipa::path(
    tag = "refunds",
    security(("bearer" = [])),
    params(("id" = RefundId, Path)),
    responses(
        (status = 200, body = Refund),
    )
)]
#[get("/v1/refunds/{id}")]
pub async fn get_refund(
    _who: Authenticated<ServiceOrOperator>,
    db: web::Data<Db>,
    id: web::Path<RefundId>,
) -> Result<web::Json<Refund>, ApiError> {
    let id = id.into_inner();
    let refund = db
        .run(move |conn| {
            let refund = payments::find_refund(conn, id)?.ok_or_else(|| ApiError::not_found(format!("refund {id}")))?;
            let payment = payments::get(conn, refund.payment_id.0)?;
            Ok::<_, ApiError>(refund.to_dto(payment.currency()))
        })
        .await?;
    Ok(web::Json(refund))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListRefundsParams {
    /// The group whose refunds to list.
    pub group_id: GroupId,
    pub cursor: Option<String>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}

/// Lists a group's refunds, oldest first.
#[utoipa::path(
    tag = "refunds",
    security(("bearer" = [])),
    params(ListRefundsParams),
    responses(
        (status = 200, body = RefundPage),
    )
)]
#[get("/v1/refunds")]
pub async fn list_refunds(
    _who: Authenticated<ServiceOrOperator>,
    db: web::Data<Db>,
    params: web::Query<ListRefundsParams>,
) -> Result<web::Json<RefundPage>, ApiError> {
    let params = params.into_inner();
    let paging = PageParams { cursor: params.cursor, limit: params.limit };
    let (limit, after) = (paging.limit()?, paging.after_as()?);
    let group = params.group_id;
    let rows = db.run(move |conn| payments::list_refunds_by_group(conn, group, after, i64::from(limit) + 1)).await?;
    let (rows, next_cursor) = page(rows, limit, |(r, _)| r.id.to_string());
    let items = rows.iter().map(|(refund, currency)| refund.to_dto(currency.0)).collect();
    Ok(web::Json(RefundPage { items, next_cursor }))
}
