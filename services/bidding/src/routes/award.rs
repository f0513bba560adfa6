//! The published award (PRODUCT.md B6).

use actix_web::{get, web};
use contracts::bidding::Award;
use platform::{ApiError, auth::Authenticated, db::Db, error::Problem};
use uuid::Uuid;

use crate::{access::AwardReaders, db::requests};

/// The award of a decided request: the winners' lots, their prices and total, and the receipt
/// digest of every offer considered, so that each supplier can find its own among them.
#[utoipa::path(
    tag = "award",
    security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = Award),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not decided yet", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/bid-requests/{id}/award")]
pub async fn get_award(
    _who: Authenticated<AwardReaders>,
    db: web::Data<Db>,
    id: web::Path<Uuid>,
) -> Result<web::Json<Award>, ApiError> {
    let id = id.into_inner();
    let row = db.run(move |conn| requests::get(conn, id)).await?;
    let award = row.award()?.ok_or_else(|| {
        ApiError::conflict(format!("the award is made when the window closes at {}", row.closes_at.and_utc()))
    })?;
    Ok(web::Json(award))
}
