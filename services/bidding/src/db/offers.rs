//! Suppliers' offers (PRODUCT.md B3), sealed: queries take the supplier they serve, and only the
//! award reads every offer of a request.

use chrono::NaiveDateTime;
use contracts::bidding::{Offer, OfferReceipt, OfferState, Partner};
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
#[diesel(table_name = offers, treat_none_as_null = true)]
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
    /// B4: a joint offer's partners (JSON of [`StoredPartner`]); none for one supplier's offer.
    pub partners: Option<String>,
}

/// A joint offer's partner as stored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StoredPartner {
    pub supplier_id: SupplierId,
    /// Percent of the units.
    pub share: u32,
    pub confirmed: bool,
}

/// What an offer says, as a supplier sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Terms {
    pub unit_price_minor: i64,
    pub min_quantity: u32,
    pub max_quantity: u32,
    pub delivery_days: u32,
    pub terms: Option<String>,
    /// A joint offer's partners and their shares in percent.
    pub partners: Vec<(SupplierId, u32)>,
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
            partners: None,
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
        let partners: Vec<StoredPartner> = terms
            .partners
            .iter()
            .map(|&(supplier_id, share)| StoredPartner { supplier_id, share, confirmed: false })
            .collect();
        self.partners = (!partners.is_empty()).then(|| serde_json::to_string(&partners).unwrap_or_default());
        self.revision += 1;
        self.submitted_at = now;
        self.salt = hex::encode(Uuid::new_v4().as_bytes());
        self.digest = digest(&self.salt, &self.canonical(currency, &partners));
    }

    pub fn terms(&self) -> Terms {
        let quantity = |n: i64| u32::try_from(n).unwrap_or(0);
        Terms {
            unit_price_minor: self.unit_price_minor,
            min_quantity: quantity(self.min_quantity),
            max_quantity: quantity(self.max_quantity),
            delivery_days: quantity(self.delivery_days),
            terms: self.terms.clone(),
            partners: self.partners().unwrap_or_default().iter().map(|p| (p.supplier_id, p.share)).collect(),
        }
    }

    pub fn delivery_days(&self) -> Result<Count, StoreError> {
        count(self.delivery_days)
    }

    pub fn partners(&self) -> Result<Vec<StoredPartner>, StoreError> {
        self.partners.as_deref().map_or(Ok(Vec::new()), |p| serde_json::from_str(p).map_err(corrupt))
    }

    /// Whether the award considers it: active, and confirmed by every partner.
    pub fn counts(&self) -> Result<bool, StoreError> {
        Ok(self.state.0 == OfferState::Active && self.partners()?.iter().all(|p| p.confirmed))
    }

    /// Whether `supplier` made the offer or is one of its partners.
    pub fn involves(&self, supplier: SupplierId) -> Result<bool, StoreError> {
        Ok(self.supplier_id.0 == supplier || self.partners()?.iter().any(|p| p.supplier_id == supplier))
    }

    /// Records `supplier`'s confirmation of this revision (or, `confirmed` false, takes it back);
    /// `false` when it is not a partner.
    pub fn confirm(&mut self, supplier: SupplierId, confirmed: bool) -> Result<bool, StoreError> {
        let mut partners = self.partners()?;
        let Some(partner) = partners.iter_mut().find(|p| p.supplier_id == supplier) else { return Ok(false) };
        partner.confirmed = confirmed;
        self.partners = Some(serde_json::to_string(&partners).map_err(corrupt)?);
        Ok(true)
    }

    /// Who delivers how many of `quantity` awarded units: the maker alone, or by the shares.
    pub fn split(&self, quantity: u32) -> Result<Vec<(SupplierId, u32)>, StoreError> {
        let partners = self.partners()?;
        let partners_share: u32 = partners.iter().map(|p| p.share).sum();
        let mut suppliers = vec![self.supplier_id.0];
        let mut shares = vec![100u32.saturating_sub(partners_share)];
        for partner in &partners {
            suppliers.push(partner.supplier_id);
            shares.push(partner.share);
        }
        let parts = domain::award::split_by_shares(quantity, &shares);
        Ok(suppliers.into_iter().zip(parts).filter(|&(_, part)| part > 0).collect())
    }

    /// The offer's terms as digested; the free text comes last, so it cannot shift the rest.
    fn canonical(&self, currency: Currency, partners: &[StoredPartner]) -> String {
        let partners: Vec<String> = partners.iter().map(|p| format!("{}={}", p.supplier_id, p.share)).collect();
        format!(
            "{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}",
            self.id.0,
            self.bid_request_id.0,
            self.supplier_id.0,
            Money::from_minor(self.unit_price_minor, currency).amount(),
            currency.code(),
            self.min_quantity,
            self.max_quantity,
            self.delivery_days,
            self.revision,
            partners.join(","),
            self.terms.as_deref().unwrap_or_default()
        )
    }

    pub fn to_dto(&self, currency: Currency) -> Result<Offer, StoreError> {
        let partners = self.partners()?;
        Ok(Offer {
            id: self.id.0,
            bid_request_id: self.bid_request_id.0,
            supplier_id: self.supplier_id.0,
            unit_price: Money::from_minor(self.unit_price_minor, currency).into(),
            min_quantity: count(self.min_quantity)?,
            max_quantity: count(self.max_quantity)?,
            delivery_days: self.delivery_days()?,
            terms: self.terms.clone(),
            state: self.state.0,
            revision: self.revision,
            submitted_at: self.submitted_at.and_utc(),
            counts: self.state.0 == OfferState::Active && partners.iter().all(|p| p.confirmed),
            receipt: OfferReceipt {
                digest: self.digest.clone(),
                salt: self.salt.clone(),
                canonical: self.canonical(currency, &partners),
            },
            partners: partners
                .into_iter()
                .map(|p| {
                    Ok(Partner {
                        supplier_id: p.supplier_id,
                        share: Count::new(p.share).map_err(corrupt)?,
                        confirmed: p.confirmed,
                    })
                })
                .collect::<Result<_, StoreError>>()?,
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

/// A request's offers, oldest first: those one supplier made or is a partner of, or (for the
/// award and, after it, the operator) everyone's.
/// How many active offers `supplier` made on `request`, its row locked first so that concurrent
/// offers of one request count each other.
pub fn live_of(conn: &mut DbConnection, request: Uuid, supplier: SupplierId) -> Result<i64, StoreError> {
    use super::schema::bid_requests;
    diesel::update(bid_requests::table.find(Stored(request)))
        .set(bid_requests::state.eq(bid_requests::state))
        .execute(conn)?;
    Ok(offers::table
        .filter(offers::bid_request_id.eq(Stored(request)))
        .filter(offers::supplier_id.eq(Stored(supplier)))
        .filter(offers::state.eq(Stored(OfferState::Active)))
        .count()
        .get_result(conn)?)
}

pub fn of_request(
    conn: &mut DbConnection,
    request: Uuid,
    supplier: Option<SupplierId>,
) -> Result<Vec<OfferRow>, StoreError> {
    let rows: Vec<OfferRow> = offers::table
        .filter(offers::bid_request_id.eq(Stored(request)))
        .select(OfferRow::as_select())
        .order((offers::submitted_at.asc(), offers::id.asc()))
        .load(conn)?;
    let Some(supplier) = supplier else { return Ok(rows) };
    let mut involving = Vec::new();
    for row in rows {
        if row.involves(supplier)? {
            involving.push(row);
        }
    }
    Ok(involving)
}

/// An offer on `request` that names `supplier` as a partner, or a 404.
pub fn get_as_partner(
    conn: &mut DbConnection,
    request: Uuid,
    id: Uuid,
    supplier: SupplierId,
) -> Result<OfferRow, ApiError> {
    let row = offers::table
        .find(Stored(id))
        .filter(offers::bid_request_id.eq(Stored(request)))
        .select(OfferRow::as_select())
        .first(conn)
        .optional()
        .map_err(StoreError::from)?;
    match row {
        Some(row) if row.partners()?.iter().any(|p| p.supplier_id == supplier) => Ok(row),
        _ => Err(ApiError::not_found(format!("offer {id}"))),
    }
}
