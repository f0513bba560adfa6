//! A shipment's states (PRODUCT.md S2): `requested → dispatched → in_transit → delivered`, or
//! `failed` / `returned`. A shipment never moves backwards.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ShipmentState {
    Requested,
    Dispatched,
    InTransit,
    Delivered,
    Failed,
    Returned,
}

impl ShipmentState {
    pub const ALL: [ShipmentState; 6] =
        [Self::Requested, Self::Dispatched, Self::InTransit, Self::Delivered, Self::Failed, Self::Returned];

    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Requested => "requested",
            Self::Dispatched => "dispatched",
            Self::InTransit => "in_transit",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
            Self::Returned => "returned",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Whether a shipment in this state may move to `next`: only forwards, never out of
    /// `failed` or `returned`, and a delivered parcel can only come back.
    pub fn can_move_to(self, next: ShipmentState) -> bool {
        use ShipmentState::*;
        matches!(
            (self, next),
            (Requested, Dispatched | Failed)
                | (Dispatched, InTransit | Delivered | Failed | Returned)
                | (InTransit, Delivered | Failed | Returned)
                | (Delivered, Returned)
        )
    }

    /// Moving here needs a tracking number and a carrier.
    pub fn needs_tracking(self) -> bool {
        self == Self::Dispatched
    }
}

#[cfg(test)]
mod tests {
    use super::{ShipmentState::*, *};

    #[test]
    fn s2_the_happy_path_moves_forward() {
        assert!(Requested.can_move_to(Dispatched));
        assert!(Dispatched.can_move_to(InTransit));
        assert!(InTransit.can_move_to(Delivered));
    }

    #[test]
    fn s2_no_state_moves_backwards_or_stays() {
        let order = |s: ShipmentState| ShipmentState::ALL.iter().position(|&x| x == s).unwrap_or(0);
        for from in ShipmentState::ALL {
            for to in ShipmentState::ALL {
                if from.can_move_to(to) {
                    assert!(order(to) > order(from), "{from:?} → {to:?} goes backwards");
                }
            }
            assert!(!from.can_move_to(from), "{from:?} → itself");
        }
        assert!(!Delivered.can_move_to(InTransit));
        assert!(!Failed.can_move_to(Dispatched));
        assert!(!Returned.can_move_to(Delivered));
    }
}
