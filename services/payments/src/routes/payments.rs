//! Holds, charges, captures and voids (PRODUCT.md P1, P5).

use actix_web::{HttpRequest, HttpResponse, get, http::StatusCode, post, web};
use contracts::payments::{CaptureMethod, CaptureRequest, MethodType, NewPayment, Payment, PaymentPage};
use domain::{GroupId, Money, PaymentId, Violations, payment::PaymentState};
use platform::{
    ApiError,
    auth::Authenticated,
    db::Db,
    error::Problem,
    json::Json,
    pagination::{PageParams, page},
};
use serde::Deserialize;
use utoipa::IntoParams;

use platform::idempotency::{KeyUse, replay};

use super::idempotency::{answer, provider_failed};
use crate::access::{ServiceOnly, ServiceOrOperator};
use crate::{
    db::{
        ledger,
        operations::{self, Claim},
        payments,
        rows::PaymentRow,
    },
    outcomes,
    provider::{PaymentOrder, Provider},
};

/// What the first transaction decided.
enum Step {
    Go(Box<PaymentRow>),
    Replay(u16, Vec<u8>),
}

fn validate(body: &NewPayment, capture_now: bool, provider: &str) -> Result<PaymentRow, ApiError> {
    let mut v = Violations::new();
    let amount = body.amount.parse_non_negative("amount", &mut v);
    if amount.is_some_and(|a| a.amount().is_zero()) {
        v.add("amount.amount", "must be greater than 0");
    }
    let token = body.method.token.as_deref();
    if body.method.kind == MethodType::Card {
        v.check(token.is_some(), "method.token", "a card needs a token");
    }
    v.into_result()?;
    let amount = amount.ok_or_else(|| ApiError::invalid_field("amount", "is invalid"))?;
    let now = platform::db::now();
    Ok(PaymentRow {
        id: PaymentId::generate().into(),
        group_id: body.group_id.into(),
        member: body.member.to_string(),
        purpose: body.purpose.to_string(),
        currency: amount.currency().into(),
        amount_minor: amount.to_minor().map_err(|e| ApiError::invalid_field("amount.amount", e.to_string()))?,
        captured_minor: 0,
        refunded_minor: 0,
        refund_reserved_minor: 0,
        capture_method: if capture_now { CaptureMethod::Automatic } else { CaptureMethod::Manual }.into(),
        method_type: body.method.kind.into(),
        // Only the last four characters of a card token are ever kept.
        method_last4: token.map(|t| t.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect()),
        provider: provider.to_owned(),
        provider_ref: None,
        state: PaymentState::Pending.into(),
        failure_code: None,
        hold_expires_at: None,
        created_at: now,
        updated_at: now,
    })
}

async fn create_payment(
    who: Authenticated<ServiceOnly>,
    req: HttpRequest,
    db: web::Data<Db>,
    provider: web::Data<Provider>,
    body: NewPayment,
    capture_now: bool,
) -> Result<HttpResponse, ApiError> {
    let op = KeyUse::required(&req, &who, &body)?;
    let draft = validate(&body, capture_now, provider.name())?;
    let group = body.group_id;
    let claim_op = op.clone();
    let step = db
        .transaction(move |conn| match operations::claim(conn, &claim_op, draft.id)? {
            Claim::Replay { status, body } => Ok(Step::Replay(status, body)),
            Claim::Resume { resource_id } => {
                let id = resource_id.parse().map_err(ApiError::internal)?;
                Ok(Step::Go(Box::new(payments::get(conn, id)?)))
            }
            Claim::New => {
                if ledger::settled_at(conn, group)?.is_some() {
                    return Err(ApiError::conflict(format!("group {group} is settled")));
                }
                payments::insert(conn, &draft)?;
                Ok(Step::Go(Box::new(draft)))
            }
        })
        .await?;
    let row = match step {
        Step::Replay(status, body) => return Ok(replay(status, body)),
        Step::Go(row) => row,
    };
    let amount = row.money(row.amount_minor);
    let created = provider
        .create(PaymentOrder {
            amount,
            method: body.method.kind,
            token: body.method.token.as_deref(),
            capture_now,
            idempotency_key: format!("{}:create", row.id),
        })
        .await;
    let outcome = match created {
        Ok(outcome) => outcome,
        Err(e) => return Err(provider_failed(&db, &op, e).await),
    };
    let body = db
        .transaction(move |conn| {
            let current = payments::get(conn, row.id())?;
            let next = outcomes::apply(conn, &current, &outcome, capture_now.then_some(amount))?;
            let body = serde_json::to_string(&next.to_dto()).map_err(ApiError::internal)?;
            operations::finish(conn, &op, 201, &body)?;
            Ok::<_, ApiError>(body)
        })
        .await?;
    Ok(answer(StatusCode::CREATED, body))
}

/// Places a hold for a member: captured later (at most the hold) or voided.
#[utoipa::path(
    tag = "payments",
    security(("bearer" = [])),
    params(("Idempotency-Key" = String, Header, description = "Required: the same key returns the same result and never moves money twice")),
    request_body = NewPayment,
    responses(
        (status = 201, body = Payment, description = "The payment in its state now: authorized, processing, requires_action or failed"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 502, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/payments/authorizations")]
#[tracing::instrument(skip_all)]
pub async fn create_authorization(
    who: Authenticated<ServiceOnly>,
    req: HttpRequest,
    db: web::Data<Db>,
    provider: web::Data<Provider>,
    body: Json<NewPayment>,
) -> Result<HttpResponse, ApiError> {
    create_payment(who, req, db, provider, body.into_inner(), false).await
}

/// Charges a member at once (authorize and capture).
#[utoipa::path(
    tag = "payments",
    security(("bearer" = [])),
    params(("Idempotency-Key" = String, Header, description = "Required: the same key returns the same result and never moves money twice")),
    request_body = NewPayment,
    responses(
        (status = 201, body = Payment, description = "The payment in its state now: captured, processing, requires_action or failed"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 502, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/payments/charges")]
#[tracing::instrument(skip_all)]
pub async fn create_charge(
    who: Authenticated<ServiceOnly>,
    req: HttpRequest,
    db: web::Data<Db>,
    provider: web::Data<Provider>,
    body: Json<NewPayment>,
) -> Result<HttpResponse, ApiError> {
    create_payment(who, req, db, provider, body.into_inner(), true).await
}

/// Claims the key for an operation on an existing payment and checks it may happen.
async fn begin_on_payment(
    db: &Db,
    op: &KeyUse,
    id: PaymentId,
    check: impl FnOnce(&PaymentRow) -> Result<(), ApiError> + Send + 'static,
) -> Result<Step, ApiError> {
    let op = op.clone();
    db.transaction(move |conn| {
        payments::lock(conn, id)?;
        let row = payments::get(conn, id)?;
        match operations::claim(conn, &op, row.id)? {
            Claim::Replay { status, body } => Ok(Step::Replay(status, body)),
            Claim::Resume { .. } => Ok(Step::Go(Box::new(row))),
            Claim::New => {
                // Two captures (or a capture and a void) under different keys: the first goes to
                // the provider, the other is refused rather than answered with the first's result.
                if operations::another_open_on(conn, row.id, &op)? {
                    return Err(ApiError::conflict("another operation on this payment is under way"));
                }
                let group = row.group_id.0;
                if ledger::settled_at(conn, group)?.is_some() {
                    return Err(ApiError::conflict(format!("group {group} is settled")));
                }
                check(&row)?;
                Ok(Step::Go(Box::new(row)))
            }
        }
    })
    .await
}

/// Records the provider's answer to an operation on `id` and stores the response.
async fn finish_on_payment(
    db: &Db,
    op: KeyUse,
    id: PaymentId,
    outcome: crate::provider::Outcome,
    captured: Option<Money>,
    expected: PaymentState,
) -> Result<HttpResponse, ApiError> {
    let body = db
        .transaction(move |conn| {
            let current = payments::get(conn, id)?;
            let next = outcomes::apply(conn, &current, &outcome, captured)?;
            if next.state() != expected {
                return Err(ApiError::conflict(format!("the payment is {} now", next.state().as_str())));
            }
            let body = serde_json::to_string(&next.to_dto()).map_err(ApiError::internal)?;
            operations::finish(conn, &op, 200, &body)?;
            Ok(body)
        })
        .await?;
    Ok(answer(StatusCode::OK, body))
}

/// Captures an authorized payment: the whole hold, or `amount` of it (never more).
#[utoipa::path(
    tag = "payments",
    security(("bearer" = [])),
    params(("id" = PaymentId, Path), ("Idempotency-Key" = String, Header, description = "Required")),
    request_body = CaptureRequest,
    responses(
        (status = 200, body = Payment),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 502, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/payments/{id}/capture")]
#[tracing::instrument(skip_all, fields(payment.id = %id))]
pub async fn capture_payment(
    who: Authenticated<ServiceOnly>,
    req: HttpRequest,
    db: web::Data<Db>,
    provider: web::Data<Provider>,
    id: web::Path<PaymentId>,
    body: Json<CaptureRequest>,
) -> Result<HttpResponse, ApiError> {
    let (id, body) = (id.into_inner(), body.into_inner());
    let op = KeyUse::required(&req, &who, &body)?;
    let requested = match &body.amount {
        Some(dto) => {
            let mut v = Violations::new();
            let amount = dto.parse_non_negative("amount", &mut v);
            v.into_result()?;
            amount
        }
        None => None,
    };
    let now = op.now;
    let step = begin_on_payment(&db, &op, id, move |row| {
        let amount = requested.unwrap_or(row.money(row.amount_minor));
        if row.hold_expires_at.is_some_and(|t| t < now) {
            return Err(ApiError::conflict("the hold has expired"));
        }
        row.book().check_capture(amount).map_err(payment_error)
    })
    .await?;
    let row = match step {
        Step::Replay(status, body) => return Ok(replay(status, body)),
        Step::Go(row) => row,
    };
    let amount = requested.unwrap_or(row.money(row.amount_minor));
    let provider_ref = row.provider_ref.clone().unwrap_or_default();
    let outcome = match provider.capture(&provider_ref, amount, &format!("{}:{}", row.id, op.key)).await {
        Ok(outcome) => outcome,
        Err(e) => return Err(provider_failed(&db, &op, e).await),
    };
    finish_on_payment(&db, op, row.id(), outcome, Some(amount), PaymentState::Captured).await
}

/// Releases an authorized hold.
#[utoipa::path(
    tag = "payments",
    security(("bearer" = [])),
    params(("id" = PaymentId, Path), ("Idempotency-Key" = String, Header, description = "Required")),
    responses(
        (status = 200, body = Payment),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 502, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/payments/{id}/void")]
#[tracing::instrument(skip_all, fields(payment.id = %id))]
pub async fn void_payment(
    who: Authenticated<ServiceOnly>,
    req: HttpRequest,
    db: web::Data<Db>,
    provider: web::Data<Provider>,
    id: web::Path<PaymentId>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let op = KeyUse::required(&req, &who, &serde_json::Value::Null)?;
    let step = begin_on_payment(&db, &op, id, |row| row.book().check_void().map_err(payment_error)).await?;
    let row = match step {
        Step::Replay(status, body) => return Ok(replay(status, body)),
        Step::Go(row) => row,
    };
    let provider_ref = row.provider_ref.clone().unwrap_or_default();
    let outcome = match provider.void(&provider_ref, &format!("{}:{}", row.id, op.key)).await {
        Ok(outcome) => outcome,
        Err(e) => return Err(provider_failed(&db, &op, e).await),
    };
    finish_on_payment(&db, op, row.id(), outcome, None, PaymentState::Voided).await
}

/// A refused operation: a 409 for the wrong state, a 422 for an amount.
pub fn payment_error(e: domain::payment::PaymentError) -> ApiError {
    use domain::payment::PaymentError as E;
    match e {
        E::WrongState(..) => ApiError::conflict(e.to_string()),
        E::OverCapture(_) | E::OverRefund(_) | E::NotPositive | E::Money(_) => {
            ApiError::invalid_field("amount", e.to_string())
        }
    }
}

/// Reads a payment.
#[utoipa::path(
    tag = "payments",
    security(("bearer" = [])),
    params(("id" = PaymentId, Path)),
    responses(
        (status = 200, body = Payment),
    )
)]
#[get("/v1/payments/{id}")]
pub async fn get_payment(
    _who: Authenticated<ServiceOrOperator>,
    db: web::Data<Db>,
    id: web::Path<PaymentId>,
) -> Result<web::Json<Payment>, ApiError> {
    let id = id.into_inner();
    let row = db.run(move |conn| payments::get(conn, id)).await?;
    Ok(web::Json(row.to_dto()))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListPaymentsParams {
    /// The group whose payments to list.
    pub group_id: GroupId,
    pub cursor: Option<String>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}

/// Lists a group's payments, oldest first.
#[utoipa::path(
    tag = "payments",
    security(("bearer" = [])),
    params(ListPaymentsParams),
    responses(
        (status = 200, body = PaymentPage),
    )
)]
#[get("/v1/payments")]
pub async fn list_payments(
    _who: Authenticated<ServiceOrOperator>,
    db: web::Data<Db>,
    params: web::Query<ListPaymentsParams>,
) -> Result<web::Json<PaymentPage>, ApiError> {
    let params = params.into_inner();
    let paging = PageParams { cursor: params.cursor, limit: params.limit };
    let (limit, after) = (paging.limit()?, paging.after_as()?);
    let group = params.group_id;
    let rows = db.run(move |conn| payments::list_by_group(conn, group, after, i64::from(limit) + 1)).await?;
    let (rows, next_cursor) = page(rows, limit, |r| r.id.to_string());
    let items = rows.iter().map(PaymentRow::to_dto).collect();
    Ok(web::Json(PaymentPage { items, next_cursor }))
}
