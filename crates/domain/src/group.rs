//! A group's life (PRODUCT.md G1, G3, G4, G6, G10): its lifecycle, who may join, what a member
//! owes under the tiered mode, and quotes. Settlement modes plug in through [`GroupMode`]; the
//! lifecycle and admission are shared by all of them.

use serde::{Deserialize, Serialize};

use crate::{Count, Money, PriceTiers, TierBasis};

/// How a group buys (G4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum GroupMode {
    /// The price falls as the group grows; fixed at close from the tier reached.
    Tiered,
    /// Members pledge up to a ceiling; suppliers bid for the pooled quantity.
    ReverseAuction,
    /// Members buy at list price with purchaser IDs; a favor is refunded once the group delivered.
    BulkPurchase,
}

/// Where a group is in its life (G6). `Open` takes joins inside the window; at the deadline it
/// closes into `Closing` (settlement under way) or fails; `Settled`, `Failed` and `Cancelled` are
/// final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum GroupState {
    Open,
    Closing,
    Settled,
    Failed,
    Cancelled,
}

/// What happens to a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupTransition {
    /// The join window ended; `met_minimum` says whether enough joined.
    Close { met_minimum: bool },
    /// Every member's payment is settled and the payout recorded.
    Settle,
    /// Settlement could not happen (no award, nobody paid).
    Fail,
    /// The organizer or the operator called it off while it was open.
    Cancel,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a group that is {from:?} cannot {transition:?}")]
pub struct TransitionRefused {
    pub from: GroupState,
    pub transition: GroupTransition,
}

impl GroupState {
    pub const ALL: [GroupState; 5] = [Self::Open, Self::Closing, Self::Settled, Self::Failed, Self::Cancelled];

    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Closing => "closing",
            Self::Settled => "settled",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn is_final(&self) -> bool {
        matches!(self, Self::Settled | Self::Failed | Self::Cancelled)
    }

    /// The state after `transition`, or why it cannot happen now.
    pub fn apply(self, transition: GroupTransition) -> Result<GroupState, TransitionRefused> {
        use GroupState as S;
        use GroupTransition as T;
        match (self, transition) {
            (S::Open, T::Close { met_minimum: true }) => Ok(S::Closing),
            (S::Open, T::Close { met_minimum: false }) => Ok(S::Failed),
            (S::Open, T::Cancel) => Ok(S::Cancelled),
            (S::Closing, T::Settle) => Ok(S::Settled),
            (S::Closing, T::Fail) => Ok(S::Failed),
            (from, transition) => Err(TransitionRefused { from, transition }),
        }
    }
}

/// Members and units a group holds now.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    pub members: u32,
    pub quantity: u32,
}

/// The limits a group was created with (G1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// Fewer members at the deadline and the group fails.
    pub min_members: Count,
    pub max_members: Option<Count>,
    /// Units the group may take in all.
    pub max_quantity: Option<Count>,
}

/// Why a join is refused (G3).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JoinRefused {
    #[error("the group is {} and takes no joins", .0.as_str())]
    NotOpen(GroupState),
    #[error("the join window has not opened yet")]
    NotYetOpen,
    #[error("the join window has closed")]
    WindowClosed,
    #[error("the group is full")]
    Full,
    #[error("only {0} more units can join")]
    TooMany(u32),
}

impl Limits {
    /// Admits `quantity` more units as one new member at `now` to a group in `state` whose window
    /// is `[opens_at, closes_at)`, holding `tally`: the tally afterwards, or why not. The limits
    /// are never exceeded, whatever the order of joins and leaves.
    pub fn admit<T: Ord>(
        &self,
        state: GroupState,
        tally: Tally,
        quantity: Count,
        now: T,
        (opens_at, closes_at): (T, T),
    ) -> Result<Tally, JoinRefused> {
        if state != GroupState::Open {
            return Err(JoinRefused::NotOpen(state));
        }
        if now < opens_at {
            return Err(JoinRefused::NotYetOpen);
        }
        if now >= closes_at {
            return Err(JoinRefused::WindowClosed);
        }
        let members = tally.members.saturating_add(1);
        if self.max_members.is_some_and(|max| members > max.get()) {
            return Err(JoinRefused::Full);
        }
        let units = tally.quantity.saturating_add(quantity.get());
        if let Some(max) = self.max_quantity
            && units > max.get()
        {
            return Err(if tally.quantity >= max.get() {
                JoinRefused::Full
            } else {
                JoinRefused::TooMany(max.get() - tally.quantity)
            });
        }
        Ok(Tally { members, quantity: units })
    }
}

/// What a tiered group's member pays per unit: the list price, lowered by the tier reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TieredPrice<'a> {
    pub list_price: Money,
    pub tiers: Option<&'a PriceTiers>,
}

impl TieredPrice<'_> {
    /// The unit price if the group closed with `tally`.
    pub fn at(&self, tally: Tally) -> Money {
        let Some(tiers) = self.tiers else { return self.list_price };
        let count = match tiers.basis {
            TierBasis::MemberCount => tally.members,
            TierBasis::Quantity => tally.quantity,
        };
        tiers.price_at(count).copied().unwrap_or(self.list_price)
    }

    /// The most a member joining with `quantity` can owe per unit, whatever happens until the
    /// close: the price at the smallest tally with which the group still succeeds (prices only
    /// fall as a group grows). Held at join (G4).
    pub fn most_owed(&self, limits: &Limits, quantity: Count) -> Money {
        let least = limits.min_members.get();
        self.at(Tally { members: least, quantity: quantity.get().saturating_add(least - 1) })
    }

    /// The price now, the price with `more` added, and the next cheaper tier from `then` (G10).
    pub fn quote(&self, now: Tally, more: Tally) -> Quote {
        let then = Tally {
            members: now.members.saturating_add(more.members),
            quantity: now.quantity.saturating_add(more.quantity),
        };
        let next_tier = self.tiers.and_then(|tiers| {
            let reached = match tiers.basis {
                TierBasis::MemberCount => then.members,
                TierBasis::Quantity => then.quantity,
            };
            tiers.tiers.iter().filter(|t| t.min.get() > reached).min_by_key(|t| t.min).map(|t| NextTier {
                basis: tiers.basis,
                more_needed: t.min.get() - reached,
                unit_price: t.unit_price,
            })
        });
        Quote { unit_price_now: self.at(now), unit_price_then: self.at(then), then, next_tier }
    }
}

/// What a group would cost if more joined (G10).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quote {
    pub unit_price_now: Money,
    pub unit_price_then: Money,
    pub then: Tally,
    pub next_tier: Option<NextTier>,
}

/// The next cheaper tier: `more_needed` members (or units) beyond the quoted tally.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NextTier {
    pub basis: TierBasis,
    pub more_needed: u32,
    pub unit_price: Money,
}

/// How a tiered member pays (G4): a hold captured at close, or, where the window outlasts the
/// provider's hold, a charge at join with the difference refunded at close.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum PaymentPlan {
    HoldThenCapture,
    ChargeThenRefund,
}

impl PaymentPlan {
    /// The plan for a window of `window` that must fit within a hold of `hold`.
    pub fn for_window<D: Ord>(window: D, hold: D) -> Self {
        if window < hold { Self::HoldThenCapture } else { Self::ChargeThenRefund }
    }
}

/// A member's place in a group (G3, G4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum MemberState {
    /// The seat is taken; the payment is requested.
    Reserved,
    /// The payment is held (to be captured at close).
    Held,
    /// The member has paid (captured or charged).
    Paid,
    /// The payment failed: the seat is free again.
    Released,
    /// The member left while the group was open; the payment is voided or refunded.
    Left,
    /// The group failed or was cancelled; the payment is voided or refunded.
    Cancelled,
}

/// What happens to a membership.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberEvent {
    PaymentSecured(PaymentPlan),
    PaymentFailed,
    Captured,
    Leave,
    GroupEnded,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a member who is {} cannot {event:?}", .from.as_str())]
pub struct MemberEventRefused {
    pub from: MemberState,
    pub event: MemberEvent,
}

impl MemberState {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Reserved => "reserved",
            Self::Held => "held",
            Self::Paid => "paid",
            Self::Released => "released",
            Self::Left => "left",
            Self::Cancelled => "cancelled",
        }
    }

    /// Whether the member counts toward the tally (holds a seat).
    pub fn holds_seat(&self) -> bool {
        matches!(self, Self::Reserved | Self::Held | Self::Paid)
    }

    pub fn apply(self, event: MemberEvent) -> Result<MemberState, MemberEventRefused> {
        use MemberEvent as E;
        use MemberState as S;
        match (self, event) {
            (S::Reserved, E::PaymentSecured(PaymentPlan::HoldThenCapture)) => Ok(S::Held),
            (S::Reserved, E::PaymentSecured(PaymentPlan::ChargeThenRefund)) => Ok(S::Paid),
            // A hold refused at join, or a capture refused at close (the hold is then voided).
            (S::Reserved | S::Held, E::PaymentFailed) => Ok(S::Released),
            (S::Held, E::Captured) => Ok(S::Paid),
            (S::Reserved | S::Held | S::Paid, E::Leave) => Ok(S::Left),
            (S::Reserved | S::Held | S::Paid, E::GroupEnded) => Ok(S::Cancelled),
            (from, event) => Err(MemberEventRefused { from, event }),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]

    use proptest::prelude::*;

    use super::*;
    use crate::{Currency, PriceTier};

    fn eur(minor: i64) -> Money {
        Money::from_minor(minor, "EUR".parse::<Currency>().unwrap())
    }

    fn count(n: u32) -> Count {
        Count::new(n).unwrap()
    }

    fn tiers(basis: TierBasis, steps: &[(u32, i64)]) -> PriceTiers {
        PriceTiers {
            basis,
            tiers: steps.iter().map(|&(min, price)| PriceTier { min: count(min), unit_price: eur(price) }).collect(),
        }
    }

    #[test]
    fn g6_final_states_take_no_transition() {
        let all = [
            GroupTransition::Close { met_minimum: true },
            GroupTransition::Close { met_minimum: false },
            GroupTransition::Settle,
            GroupTransition::Fail,
            GroupTransition::Cancel,
        ];
        for state in GroupState::ALL.into_iter().filter(GroupState::is_final) {
            for t in all {
                assert!(state.apply(t).is_err(), "{state:?} {t:?}");
            }
        }
        assert_eq!(GroupState::Open.apply(GroupTransition::Close { met_minimum: false }), Ok(GroupState::Failed));
        assert!(GroupState::Closing.apply(GroupTransition::Cancel).is_err(), "settlement under way");
    }

    #[test]
    fn g10_quote_names_the_next_tier() {
        let t = tiers(TierBasis::MemberCount, &[(10, 8000)]);
        let price = TieredPrice { list_price: eur(10000), tiers: Some(&t) };
        let q = price.quote(Tally { members: 7, quantity: 7 }, Tally::default());
        assert_eq!(q.unit_price_now, eur(10000));
        assert_eq!(
            q.next_tier,
            Some(NextTier { basis: TierBasis::MemberCount, more_needed: 3, unit_price: eur(8000) })
        );
        let q = price.quote(Tally { members: 7, quantity: 7 }, Tally { members: 3, quantity: 3 });
        assert_eq!((q.unit_price_then, q.next_tier), (eur(8000), None));
    }

    #[derive(Debug, Clone)]
    enum Step {
        Join(u32),
        Leave(usize),
    }

    fn steps() -> impl Strategy<Value = Vec<Step>> {
        prop::collection::vec(prop_oneof![(1_u32..6).prop_map(Step::Join), (0_usize..50).prop_map(Step::Leave)], 0..80)
    }

    proptest! {
        // G3: whatever the order of joins and leaves, the caps hold and the tally is the sum of
        // the seats held.
        #[test]
        fn g3_admission_never_exceeds_the_limits(
            max_members in prop::option::of(1_u32..12),
            max_quantity in prop::option::of(1_u32..30),
            steps in steps(),
        ) {
            let limits = Limits { min_members: count(1), max_members: max_members.map(count), max_quantity: max_quantity.map(count) };
            let mut tally = Tally::default();
            let mut seats: Vec<u32> = Vec::new();
            for step in steps {
                match step {
                    Step::Join(q) => {
                        if let Ok(next) = limits.admit(GroupState::Open, tally, count(q), 5, (0, 10)) {
                            tally = next;
                            seats.push(q);
                        }
                    }
                    Step::Leave(i) if !seats.is_empty() => {
                        let q = seats.remove(i % seats.len());
                        tally = Tally { members: tally.members - 1, quantity: tally.quantity - q };
                    }
                    Step::Leave(_) => {}
                }
                prop_assert!(max_members.is_none_or(|m| tally.members <= m));
                prop_assert!(max_quantity.is_none_or(|m| tally.quantity <= m));
                prop_assert_eq!(tally, Tally { members: seats.len() as u32, quantity: seats.iter().sum() });
            }
        }

        // G4: the hold taken at join covers what the member owes at any successful close.
        #[test]
        fn g4_the_hold_covers_the_final_price(
            by_quantity: bool,
            min_members in 1_u32..8,
            quantity in 1_u32..10,
            others in prop::collection::vec(1_u32..10, 0..15),
        ) {
            let basis = if by_quantity { TierBasis::Quantity } else { TierBasis::MemberCount };
            let t = tiers(basis, &[(3, 9000), (6, 8000), (12, 7000)]);
            let price = TieredPrice { list_price: eur(10000), tiers: Some(&t) };
            let limits = Limits { min_members: count(min_members), max_members: None, max_quantity: None };
            let held = price.most_owed(&limits, count(quantity));
            let members = 1 + others.len() as u32;
            prop_assume!(members >= min_members);
            let close = Tally { members, quantity: quantity + others.iter().sum::<u32>() };
            prop_assert!(price.at(close) <= held);
        }

        // G10: a quote is the price the group would have with the added members.
        #[test]
        fn g10_a_quote_is_the_price_after_the_join(members in 0_u32..20, more in 0_u32..20) {
            let t = tiers(TierBasis::MemberCount, &[(5, 9000), (10, 8000)]);
            let price = TieredPrice { list_price: eur(10000), tiers: Some(&t) };
            let now = Tally { members, quantity: members };
            let q = price.quote(now, Tally { members: more, quantity: more });
            prop_assert_eq!(q.unit_price_then, price.at(Tally { members: members + more, quantity: members + more }));
            if let Some(next) = q.next_tier {
                let reached = Tally { members: members + more + next.more_needed, quantity: 0 };
                prop_assert_eq!(price.at(reached), next.unit_price);
                prop_assert!(next.unit_price < q.unit_price_then);
            }
        }
    }

    #[test]
    fn g3_members_move_only_forward() {
        use MemberEvent as E;
        use MemberState as S;
        assert_eq!(S::Reserved.apply(E::PaymentSecured(PaymentPlan::HoldThenCapture)), Ok(S::Held));
        assert_eq!(S::Reserved.apply(E::PaymentFailed), Ok(S::Released));
        assert_eq!(S::Held.apply(E::PaymentFailed), Ok(S::Released), "a capture refused at close");
        assert_eq!(S::Held.apply(E::Captured), Ok(S::Paid));
        for done in [S::Released, S::Left, S::Cancelled] {
            assert!(!done.holds_seat());
            for e in [E::PaymentFailed, E::Captured, E::Leave, E::GroupEnded] {
                assert!(done.apply(e).is_err(), "{done:?} {e:?}");
            }
        }
        assert!(S::Paid.apply(E::PaymentFailed).is_err(), "a late failure never frees a paid seat");
    }
}
