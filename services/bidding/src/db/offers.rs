//! Suppliers' offers (PRODUCT.md B3), sealed: queries take the supplier they serve, and only the
//! award reads every offer of a request.

use chrono::NaiveDateTime;
use contracts::bidding::{Offer, OfferReceipt, OfferState};
use diesel::prelude::*;
use domain::{Count, Currency, Money, SupplierId};
use platform::{
    ApiError,
    db::{DbConnection, StoreError, Stored},
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::{corrupt, schema::offers};

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = offers)]
pub struct OfferRow {
    pub id: Stored<Uuid>,
    pub bid_request_id: Stored<Uuid>,
    pub supplier_id: Stored<SupplierId>,
    pub unit_price_minor: i64,
    pub min_quantity: i64,
    pub max_quantity: i64,
    pub delivery_days: i64,
    pub terms: Option<String>,
    pub state: Stored<OfferState>,
    pub revision: i64,
    pub submitted_at: NaiveDateTime,
    pub salt: String,
    pub digest: String,
}

/// What an offer says, as a supplier sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Terms {
    pub unit_price_minor: i64,
    pub min_quantity: u32,
    pub max_quantity: u32,
    pub delivery_days: u32,
    pub terms: Option<String>,
}

fn count(n: i64) -> Result<Count, StoreError> {
    u32::try_from(n).ok().and_then(|n| Count::new(n).ok()).ok_or_else(|| corrupt("offer quantity"))
}

impl OfferRow {
    /// A new offer's first revision.
    pub fn new(request: Uuid, supplier: SupplierId, terms: Terms, currency: Currency, now: NaiveDateTime) -> Self {
        let mut row = Self {
            id: Stored(Uuid::now_v7()),
            bid_request_id: Stored(request),
            supplier_id: Stored(supplier),
            unit_price_minor: 0,
            min_quantity: 0,
            max_quantity: 0,
            delivery_days: 0,
            terms: None,
            state: Stored(OfferState::Active),
            revision: 0,
            submitted_at: now,
            salt: String::new(),
            digest: String::new(),
        };
        row.revise(terms, currency, now);
        row
    }

    /// The next revision with `terms`, made `now`, under a fresh receipt.
    pub fn revise(&mut self, terms: Terms, currency: Currency, now: NaiveDateTime) {
        self.unit_price_minor = terms.unit_price_minor;
        self.min_quantity = i64::from(terms.min_quantity);
        self.max_quantity = i64::from(terms.max_quantity);
        self.delivery_days = i64::from(terms.delivery_days);
        self.terms = terms.terms;
        self.revision += 1;
        self.submitted_at = now;
        self.salt = hex::encode(Uuid::new_v4().as_bytes());
        self.digest = digest(&self.salt, &self.canonical(currency));
    }

    pub fn terms(&self) -> Terms {
        let quantity = |n: i64| u32::try_from(n).unwrap_or(0);
        Terms {
            unit_price_minor: self.unit_price_minor,
            min_quantity: quantity(self.min_quantity),
            max_quantity: quantity(self.max_quantity),
            delivery_days: quantity(self.delivery_days),
            terms: self.terms.clone(),
        }
    }

    /// The offer's terms as digested; the free text comes last, so it cannot shift the rest.
    pub fn canonical(&self, currency: Currency) -> String {
        format!(
            "{}|{}|{}|{}|{}|{}|{}|{}|{}|{}",
            self.id.0,
            self.bid_request_id.0,
            self.supplier_id.0,
            Money::from_minor(self.unit_price_minor, currency).amount(),
            currency.code(),
            self.min_quantity,
            self.max_quantity,
            self.delivery_days,
            self.revision,
            self.terms.as_deref().unwrap_or_default()
        )
    }

    pub fn to_dto(&self, currency: Currency) -> Result<Offer, StoreError> {
        Ok(Offer {
            id: self.id.0,
            bid_request_id: self.bid_request_id.0,
            supplier_id: self.supplier_id.0,
            unit_price: Money::from_minor(self.unit_price_minor, currency).into(),
            min_quantity: count(self.min_quantity)?,
            max_quantity: count(self.max_quantity)?,
            delivery_days: count(self.delivery_days)?,
            terms: self.terms.clone(),
            state: self.state.0,
            revision: self.revision,
            submitted_at: self.submitted_at.and_utc(),
            receipt: OfferReceipt {
                digest: self.digest.clone(),
                salt: self.salt.clone(),
                canonical: self.canonical(currency),
            },
        })
    }
}

/// SHA-256 of the salt's bytes followed by the canonical text, in hex.
pub fn digest(salt_hex: &str, canonical: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(hex::decode(salt_hex).unwrap_or_default());
    hasher.update(canonical.as_bytes());
    hex::encode(hasher.finalize())
}

pub fn insert(conn: &mut DbConnection, row: &OfferRow) -> Result<(), StoreError> {
    diesel::insert_into(offers::table).values(row).execute(conn)?;
    Ok(())
}

/// Writes a revised or withdrawn offer.
pub fn save(conn: &mut DbConnection, row: &OfferRow) -> Result<(), StoreError> {
    diesel::update(offers::table.find(row.id)).set(row).execute(conn)?;
    Ok(())
}

/// One supplier's offer on a request, or a 404 (another supplier's offer is not found either).
pub fn get_own(conn: &mut DbConnection, request: Uuid, id: Uuid, supplier: SupplierId) -> Result<OfferRow, ApiError> {
    offers::table
        .find(Stored(id))
        .filter(offers::bid_request_id.eq(Stored(request)))
        .filter(offers::supplier_id.eq(Stored(supplier)))
        .select(OfferRow::as_select())
        .first(conn)
        .optional()
        .map_err(StoreError::from)?
        .ok_or_else(|| ApiError::not_found(format!("offer {id}")))
}

/// A request's offers, oldest first: one supplier's, or (for the award and, after it, the
/// operator) everyone's.
pub fn of_request(
    conn: &mut DbConnection,
    request: Uuid,
    supplier: Option<SupplierId>,
) -> Result<Vec<OfferRow>, StoreError> {
    let mut query = offers::table
        .filter(offers::bid_request_id.eq(Stored(request)))
        .select(OfferRow::as_select())
        .order((offers::submitted_at.asc(), offers::id.asc()))
        .into_boxed();
    if let Some(supplier) = supplier {
        query = query.filter(offers::supplier_id.eq(Stored(supplier)));
    }
    Ok(query.load(conn)?)
}
