//! Bid requests (PRODUCT.md B1): opened by groups or the operator, closed by the award.

use chrono::NaiveDateTime;
use contracts::bidding::{Award, AwardRule, BestValueWeights, BidRequest, BidRequestState, Demand};
use diesel::prelude::*;
use domain::{AttributeConstraint, Count, Currency, GroupId, Money, ProductDetails, ProductId, SupplierId};
use platform::{
    ApiError,
    db::{DbConnection, StoreError, Stored},
};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::{corrupt, schema::bid_requests};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = bid_requests)]
pub struct RequestRow {
    pub id: Stored<Uuid>,
    pub group_id: Option<Stored<GroupId>>,
    pub product_id: Stored<ProductId>,
    pub supplier_id: Stored<SupplierId>,
    pub quantity: i64,
    pub currency: Stored<Currency>,
    pub ceiling_minor: i64,
    pub closes_at: NaiveDateTime,
    pub rule: Stored<AwardRule>,
    pub price_weight: Option<String>,
    pub delivery_day_weight: Option<String>,
    pub state: Stored<BidRequestState>,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub award: Option<String>,
    pub decided_at: Option<NaiveDateTime>,
    /// For a specification product: its constraints (JSON); any supplier meeting them may offer.
    pub specification: Option<String>,
    /// B7: the members' demands (JSON of [`StoredDemand`]).
    pub demands: Option<String>,
}

/// A member's demand as stored: units and the most it pays a unit, in minor units.
#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
pub struct StoredDemand {
    pub quantity: u32,
    pub max_minor: i64,
}

impl RequestRow {
    pub fn quantity(&self) -> Result<Count, StoreError> {
        u32::try_from(self.quantity).ok().and_then(|q| Count::new(q).ok()).ok_or_else(|| corrupt("quantity"))
    }

    pub fn ceiling(&self) -> Money {
        Money::from_minor(self.ceiling_minor, self.currency.0)
    }

    pub fn weights(&self) -> Result<Option<BestValueWeights>, StoreError> {
        let (Some(price), Some(day)) = (&self.price_weight, &self.delivery_day_weight) else { return Ok(None) };
        let parse = |s: &str| s.parse::<Decimal>().map_err(corrupt);
        Ok(Some(BestValueWeights { price_weight: parse(price)?, delivery_day_weight: parse(day)? }))
    }

    pub fn award(&self) -> Result<Option<Award>, StoreError> {
        self.award.as_deref().map(|a| serde_json::from_str(a).map_err(corrupt)).transpose()
    }

    pub fn demands(&self) -> Result<Option<Vec<StoredDemand>>, StoreError> {
        self.demands.as_deref().map(|d| serde_json::from_str(d).map_err(corrupt)).transpose()
    }

    pub fn specification(&self) -> Result<Option<Vec<AttributeConstraint>>, StoreError> {
        self.specification.as_deref().map(|s| serde_json::from_str(s).map_err(corrupt)).transpose()
    }

    /// Whether `supplier`, with these specific products, may offer on this request (B2): its own
    /// product's, or a specification one of them meets.
    pub fn is_for(&self, supplier: SupplierId, products: &[ProductDetails]) -> Result<bool, StoreError> {
        Ok(match self.specification()? {
            None => self.supplier_id.0 == supplier,
            Some(specification) => products.iter().any(|p| p.meets(&specification)),
        })
    }

    /// Open and before its close: offers are taken.
    pub fn takes_offers(&self, now: NaiveDateTime) -> bool {
        self.state.0 == BidRequestState::Open && now < self.closes_at
    }

    /// The request as a supplier reads it: without the members' own maxima, which stay sealed
    /// (B7: the award uses them, no bidder sees them).
    pub fn to_supplier_dto(&self) -> Result<BidRequest, StoreError> {
        Ok(BidRequest { demands: None, ..self.to_dto()? })
    }

    pub fn to_dto(&self) -> Result<BidRequest, StoreError> {
        Ok(BidRequest {
            id: self.id.0,
            group_id: self.group_id.map(|g| g.0),
            product_id: self.product_id.0,
            quantity: self.quantity()?,
            ceiling: self.ceiling().into(),
            closes_at: self.closes_at.and_utc(),
            rule: self.rule.0,
            weights: self.weights()?,
            demands: self
                .demands()?
                .map(|demands| {
                    demands
                        .iter()
                        .map(|d| {
                            Ok(Demand {
                                quantity: Count::new(d.quantity).map_err(corrupt)?,
                                max_unit_price: Money::from_minor(d.max_minor, self.currency.0).into(),
                            })
                        })
                        .collect::<Result<Vec<_>, StoreError>>()
                })
                .transpose()?,
            state: self.state.0,
            created_at: self.created_at.and_utc(),
        })
    }
}

pub fn insert(conn: &mut DbConnection, row: &RequestRow) -> Result<(), StoreError> {
    diesel::insert_into(bid_requests::table).values(row).execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut DbConnection, id: Uuid) -> Result<Option<RequestRow>, StoreError> {
    Ok(bid_requests::table.find(Stored(id)).select(RequestRow::as_select()).first(conn).optional()?)
}

/// The request, or a 404 problem.
pub fn get(conn: &mut DbConnection, id: Uuid) -> Result<RequestRow, ApiError> {
    find(conn, id)?.ok_or_else(|| ApiError::not_found(format!("bid request {id}")))
}

/// A page of requests after `after`, oldest first: every one, or for a supplier the open ones it
/// may be able to offer on (its products', and every specification's, to check against its
/// products).
pub fn page(
    conn: &mut DbConnection,
    supplier: Option<SupplierId>,
    after: Option<Uuid>,
    limit: u32,
) -> Result<Vec<RequestRow>, StoreError> {
    let mut query = bid_requests::table.select(RequestRow::as_select()).order(bid_requests::id.asc()).into_boxed();
    if let Some(supplier) = supplier {
        query = query
            .filter(bid_requests::supplier_id.eq(Stored(supplier)).or(bid_requests::specification.is_not_null()))
            .filter(bid_requests::state.eq(Stored(BidRequestState::Open)));
    }
    if let Some(after) = after {
        query = query.filter(bid_requests::id.gt(Stored(after)));
    }
    Ok(query.limit(i64::from(limit) + 1).load(conn)?)
}

/// Open requests whose window has closed, oldest close first.
pub fn due(conn: &mut DbConnection, now: NaiveDateTime, limit: i64) -> Result<Vec<Uuid>, StoreError> {
    let ids: Vec<Stored<Uuid>> = bid_requests::table
        .filter(bid_requests::state.eq(Stored(BidRequestState::Open)))
        .filter(bid_requests::closes_at.le(now))
        .order(bid_requests::closes_at.asc())
        .limit(limit)
        .select(bid_requests::id)
        .load(conn)?;
    Ok(ids.into_iter().map(|id| id.0).collect())
}

/// Records the award of a request still open; whether this call made it (another replica may
/// have).
pub fn decide(conn: &mut DbConnection, id: Uuid, award: &Award, now: NaiveDateTime) -> Result<bool, StoreError> {
    let body = serde_json::to_string(award).map_err(corrupt)?;
    let changed = diesel::update(
        bid_requests::table.find(Stored(id)).filter(bid_requests::state.eq(Stored(BidRequestState::Open))),
    )
    .set((bid_requests::state.eq(Stored(award.state)), bid_requests::award.eq(body), bid_requests::decided_at.eq(now)))
    .execute(conn)?;
    Ok(changed == 1)
}
