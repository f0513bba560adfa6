//! Rows as stored, and their wire forms.

use chrono::NaiveDateTime;
use contracts::{
    bulk::{BulkOutcome, BulkTerms},
    catalog::Product,
    groups::{AuctionTerms, Group, HistoryPoint, Membership, PublicMember},
    payments::MethodType,
};
use diesel::prelude::*;
use domain::{
    Count, Currency, GroupId, Money, MoneyError, ProductId, SupplierId,
    bulk::{CompletionPolicy, NoFavor},
    group::{GroupMode, GroupState, Limits, MemberState, PaymentPlan, Tally},
    payment::PaymentState,
    shipment::ShipmentState,
};
use platform::{auth::Role, db::Stored};

use super::schema::{bulk_groups, group_events, groups, members, purchasers};
use crate::model::Terms;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = groups)]
pub struct GroupRow {
    pub id: Stored<GroupId>,
    pub mode: Stored<GroupMode>,
    pub state: Stored<GroupState>,
    pub product_id: Stored<ProductId>,
    pub supplier_id: Stored<SupplierId>,
    pub organizer: String,
    pub organizer_role: Stored<Role>,
    pub invite_code: String,
    pub currency: Stored<Currency>,
    pub product: String,
    pub product_version: i64,
    pub min_members: i32,
    pub max_members: Option<i32>,
    pub max_quantity: Option<i64>,
    pub payment_methods: String,
    pub payment_plan: Stored<PaymentPlan>,
    pub opens_at: NaiveDateTime,
    pub closes_at: NaiveDateTime,
    pub member_count: i32,
    pub quantity: i64,
    pub seats_taken: i64,
    pub event_count: i64,
    pub final_unit_price_minor: Option<i64>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// Reverse auction: the most a unit may cost, and when offers close.
    pub ceiling_minor: Option<i64>,
    pub bids_close_at: Option<NaiveDateTime>,
    /// When groups asked bidding for the bid request, and its id once bidding answered.
    pub bid_requested_at: Option<NaiveDateTime>,
    pub bid_request_id: Option<String>,
    /// What the awarded lots cost together.
    pub award_total_minor: Option<i64>,
    /// Past its window with a seat's payment unanswered: when the scheduler looks again.
    pub close_waits_until: Option<NaiveDateTime>,
}

/// What a bulk group declared and its completion policy decided (see [`crate::bulk_flow`]).
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = bulk_groups)]
pub struct BulkRow {
    pub group_id: Stored<GroupId>,
    pub completion_policy: Stored<CompletionPolicy>,
    pub purchasers: i32,
    pub declared_quantity: i64,
    pub period_ends_at: Option<NaiveDateTime>,
    pub favor_rate: Option<String>,
    pub no_favor: Option<Stored<NoFavor>>,
    pub decided_quantity: Option<i64>,
    pub decided_days: Option<i32>,
    pub decided_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = members)]
pub struct MemberRow {
    pub id: String,
    pub group_id: Stored<GroupId>,
    pub shopper: String,
    pub seat: i64,
    pub quantity: i32,
    pub payment_method: Stored<MethodType>,
    pub state: Stored<MemberState>,
    pub held_unit_price_minor: i64,
    pub failure_code: Option<String>,
    pub joined_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub payment_id: Option<String>,
    pub payment_state: Option<Stored<PaymentState>>,
    /// The recipient (JSON) for a product that is shipped.
    pub ship_to: Option<String>,
    pub shipment_id: Option<String>,
    pub shipment_state: Option<Stored<ShipmentState>>,
    /// When the supplier confirmed a service delivered (G11).
    pub fulfilled_at: Option<NaiveDateTime>,
    /// Bulk purchase: the favor decided for this member, and when payments took its refund.
    pub favor_minor: Option<i64>,
    pub favor_refunded_at: Option<NaiveDateTime>,
    /// Reverse auction: the member's place in the bid request's demands, what the award charges
    /// it, and which winners ship how many of its units (JSON `[[supplier, units], …]`).
    pub demand_place: Option<i32>,
    pub charge_minor: Option<i64>,
    pub shipped_by: Option<String>,
}

/// A declared purchaser of a bulk group (003 Figs. 9, 10).
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = purchasers)]
pub struct PurchaserRow {
    pub id: String,
    pub group_id: Stored<GroupId>,
    pub slot: i64,
    pub name: Option<String>,
    pub email: Option<String>,
    pub quantity: i32,
    /// SHA-256 of the purchaser ID; `None` for a slot taken with the invite code.
    pub code_digest: Option<String>,
    pub shopper: Option<String>,
    pub member_id: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = group_events)]
pub struct EventRow {
    pub group_id: Stored<GroupId>,
    pub sequence: i64,
    pub kind: String,
    pub state: Stored<GroupState>,
    pub member_count: i32,
    pub quantity: i64,
    pub unit_price_minor: i64,
    pub recorded_at: NaiveDateTime,
}

/// A count the schema bounds (CHECK constraints, `Count` on the way in) as an unsigned number.
fn count(n: impl TryInto<u32>) -> u32 {
    n.try_into().unwrap_or(0)
}

fn bounded(n: Option<impl Into<i64>>) -> Option<Count> {
    n.and_then(|n| Count::try_from(n.into()).ok())
}

impl GroupRow {
    pub fn id(&self) -> GroupId {
        self.id.0
    }

    pub fn state(&self) -> GroupState {
        self.state.0
    }

    pub fn tally(&self) -> Tally {
        Tally { members: count(self.member_count), quantity: count(self.quantity) }
    }

    pub fn limits(&self) -> Limits {
        Limits {
            min_members: bounded(Some(self.min_members)).unwrap_or(Count::ONE),
            max_members: bounded(self.max_members),
            max_quantity: bounded(self.max_quantity),
        }
    }

    pub fn product(&self) -> anyhow::Result<Product> {
        Ok(serde_json::from_str(&self.product)?)
    }

    pub fn terms(&self) -> anyhow::Result<Terms> {
        Terms::of(&self.product()?)
    }

    pub fn money(&self, minor: i64) -> Money {
        Money::from_minor(minor, self.currency.0)
    }

    /// The unit price as the group stands (what its events record): an auction's ceiling, the
    /// most it can be before its award; else the tier reached by the tally.
    pub fn unit_price_now(&self) -> anyhow::Result<Money> {
        Ok(self.unit_price_under(&self.terms()?))
    }

    /// [`Self::unit_price_now`] with the group's terms at hand.
    pub fn unit_price_under(&self, terms: &Terms) -> Money {
        match self.ceiling_minor {
            Some(ceiling) => self.money(ceiling),
            None => terms.price().at(self.tally()),
        }
    }

    pub fn payment_methods(&self) -> anyhow::Result<Vec<MethodType>> {
        Ok(serde_json::from_str(&self.payment_methods)?)
    }

    pub fn to_dto(&self) -> anyhow::Result<Group> {
        let product = self.product()?;
        let terms = Terms::of(&product)?;
        Ok(Group {
            id: self.id(),
            mode: self.mode.0,
            state: self.state(),
            product_id: self.product_id.0,
            supplier_id: self.supplier_id.0,
            product,
            min_members: count(self.min_members),
            max_members: self.max_members.map(count),
            max_quantity: self.max_quantity.map(count),
            opens_at: self.opens_at.and_utc(),
            closes_at: self.closes_at.and_utc(),
            payment_methods: self.payment_methods()?,
            payment_plan: self.payment_plan.0,
            member_count: count(self.member_count),
            quantity: count(self.quantity),
            current_unit_price: self.unit_price_under(&terms).into(),
            final_unit_price: self.final_unit_price_minor.map(|m| self.money(m).into()),
            bulk: None,
            auction: self.auction(),
            created_at: self.created_at.and_utc(),
            updated_at: self.updated_at.and_utc(),
        })
    }
}

impl GroupRow {
    /// A reverse auction's terms and outcome; `None` for the other modes.
    pub fn auction(&self) -> Option<AuctionTerms> {
        Some(AuctionTerms {
            ceiling: self.money(self.ceiling_minor?).into(),
            bids_close_at: self.bids_close_at?.and_utc(),
            bid_request_id: self.bid_request_id.as_deref().and_then(|id| id.parse().ok()),
            award_total: self.award_total_minor.map(|m| self.money(m).into()),
        })
    }

    pub fn is_auction(&self) -> bool {
        self.mode.0 == GroupMode::ReverseAuction
    }
}

impl BulkRow {
    pub fn terms(&self) -> BulkTerms {
        BulkTerms {
            completion_policy: self.completion_policy.0,
            purchasers: count(self.purchasers),
            declared_quantity: count(self.declared_quantity),
            period_ends_at: self.period_ends_at.map(|t| t.and_utc()),
            outcome: self.outcome(),
        }
    }

    /// What the completion policy decided, once it did.
    pub fn outcome(&self) -> Option<BulkOutcome> {
        Some(BulkOutcome {
            favor_rate: self.favor_rate.clone(),
            no_favor: self.no_favor.map(|n| n.0),
            quantity: count(self.decided_quantity.unwrap_or(0)),
            period_days: count(self.decided_days.unwrap_or(0)),
            decided_at: self.decided_at?.and_utc(),
        })
    }
}

impl GroupRow {
    /// Counts one more member of `quantity` units at `now` (its seat is the next number, its
    /// arrival an event); the caller holds the row's lock and writes it with `set_tally`.
    pub fn seat_one(&mut self, quantity: u32, now: NaiveDateTime) {
        self.member_count += 1;
        self.quantity += i64::from(quantity);
        self.seats_taken += 1;
        self.event_count += 1;
        self.updated_at = now;
    }
}

/// Who a new member is and what it asked for.
pub struct NewMember<'a> {
    pub shopper: &'a str,
    pub seat: i64,
    pub quantity: i32,
    pub method: MethodType,
    /// The unit price its payment is for (the most it can owe, or the list price).
    pub unit_price_minor: i64,
    pub ship_to: Option<String>,
}

impl MemberRow {
    /// A member of `group` whose payment is being requested (`reserved`) as of `now`.
    pub fn reserved(group: &GroupRow, new: NewMember<'_>, now: NaiveDateTime) -> Self {
        Self {
            id: uuid::Uuid::now_v7().to_string(),
            group_id: group.id,
            shopper: new.shopper.to_owned(),
            seat: new.seat,
            quantity: new.quantity,
            payment_method: new.method.into(),
            state: MemberState::Reserved.into(),
            held_unit_price_minor: new.unit_price_minor,
            failure_code: None,
            joined_at: now,
            updated_at: now,
            payment_id: None,
            payment_state: None,
            ship_to: new.ship_to,
            shipment_id: None,
            shipment_state: None,
            fulfilled_at: None,
            favor_minor: None,
            favor_refunded_at: None,
            demand_place: None,
            charge_minor: None,
            shipped_by: None,
        }
    }

    /// How other shoppers see the member.
    pub fn alias(&self) -> String {
        format!("member {}", self.seat)
    }

    /// What is held (or charged) at join: the most the member can owe.
    pub fn held_total(&self, currency: Currency) -> Result<Money, MoneyError> {
        Money::from_minor(self.held_unit_price_minor, currency).times(count(self.quantity))
    }

    pub fn to_dto(&self, currency: Currency) -> Membership {
        // Bounded at join (below `Money::LIMIT`), so the product fits.
        let held = self.held_total(currency).unwrap_or_else(|_| Money::zero(currency));
        Membership {
            group_id: self.group_id.0,
            shopper: self.shopper.clone(),
            alias: self.alias(),
            quantity: count(self.quantity),
            state: self.state.0,
            payment_method: self.payment_method.0,
            held: held.into(),
            charge: self.charge_minor.map(|m| Money::from_minor(m, currency).into()),
            payment_id: self.payment_id.as_deref().and_then(|id| id.parse().ok()),
            shipment_id: self.shipment_id.as_deref().and_then(|id| id.parse().ok()),
            shipment_state: self.shipment_state.map(|s| s.0),
            fulfilled_at: self.fulfilled_at.map(|t| t.and_utc()),
            failure_code: self.failure_code.clone(),
            joined_at: self.joined_at.and_utc(),
            updated_at: self.updated_at.and_utc(),
        }
    }

    pub fn to_public(&self) -> PublicMember {
        PublicMember {
            alias: self.alias(),
            quantity: count(self.quantity),
            state: self.state.0,
            joined_at: self.joined_at.and_utc(),
        }
    }
}

impl EventRow {
    /// The event numbered `group.event_count`, with the group's tally and state.
    pub fn of(group: &GroupRow, kind: &str, unit_price_minor: i64, at: NaiveDateTime) -> Self {
        Self {
            group_id: group.id,
            sequence: group.event_count,
            kind: kind.to_owned(),
            state: group.state,
            member_count: group.member_count,
            quantity: group.quantity,
            unit_price_minor,
            recorded_at: at,
        }
    }

    pub fn to_dto(&self, currency: Currency) -> HistoryPoint {
        HistoryPoint {
            sequence: self.sequence,
            kind: self.kind.clone(),
            state: self.state.0,
            member_count: count(self.member_count),
            quantity: count(self.quantity),
            unit_price: Money::from_minor(self.unit_price_minor, currency).into(),
            recorded_at: self.recorded_at.and_utc(),
        }
    }
}
