//! The members' side of a reverse auction's award (PRODUCT.md G4 `reverse_auction`, B5, B7):
//! what each member served is charged, and which winner ships which of its units. Pure, so that
//! groups applies an award the same way on every replica and after every restart.

use crate::SupplierId;

/// Splits the award's total among the members served by their quantities: each pays its share
/// of the blended price, rounded down to the minor unit, and the minor units left go one each to
/// the largest remainders (the earlier member first on a tie). The charges add up to the total
/// exactly, and none is more than one minor unit from its exact share.
pub fn charges(total_minor: i64, quantities: &[u32]) -> Vec<i64> {
    let units: i128 = quantities.iter().map(|&q| i128::from(q)).sum();
    if units == 0 || total_minor < 0 {
        return vec![0; quantities.len()];
    }
    let exact: Vec<(i128, i128)> = quantities
        .iter()
        .map(|&q| {
            let scaled = i128::from(total_minor) * i128::from(q);
            (scaled / units, scaled % units)
        })
        .collect();
    let mut charged: Vec<i64> = exact.iter().map(|&(whole, _)| i64::try_from(whole).unwrap_or(i64::MAX)).collect();
    let left = i128::from(total_minor) - exact.iter().map(|&(whole, _)| whole).sum::<i128>();
    let mut by_remainder: Vec<usize> = (0..quantities.len()).collect();
    by_remainder.sort_by(|&a, &b| exact[b].1.cmp(&exact[a].1).then(a.cmp(&b)));
    for &i in by_remainder.iter().take(usize::try_from(left).unwrap_or(0)) {
        charged[i] += 1;
    }
    charged
}

/// Which units of which lot go to which member: the lots (each a winner's quantity) are poured
/// into the members in order, so each member gets its quantity from as few lots as the order
/// allows. Returns per member its `(lot index, units)`; `None` when the lots and the members'
/// quantities do not add up to the same number.
pub fn allocate(lots: &[u32], members: &[u32]) -> Option<Vec<Vec<(usize, u32)>>> {
    let supplied: u64 = lots.iter().map(|&l| u64::from(l)).sum();
    let wanted: u64 = members.iter().map(|&m| u64::from(m)).sum();
    if supplied != wanted {
        return None;
    }
    let mut left_in_lot: Vec<u32> = lots.to_vec();
    let mut lot = 0;
    let mut allocation = Vec::with_capacity(members.len());
    for &quantity in members {
        let mut parts = Vec::new();
        let mut wanted = quantity;
        while wanted > 0 {
            while left_in_lot[lot] == 0 {
                lot += 1;
            }
            let taken = wanted.min(left_in_lot[lot]);
            parts.push((lot, taken));
            left_in_lot[lot] -= taken;
            wanted -= taken;
        }
        allocation.push(parts);
    }
    Some(allocation)
}

/// What one member served by an award owes, and who ships how many of its units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    pub charge_minor: i64,
    /// Each winner once, in the order its units were poured in.
    pub shipped_by: Vec<(SupplierId, u32)>,
}

/// The members' side of an award: `parts` are the winners' units in the award's order (a joint
/// lot split by its shares), poured into the members' `quantities` in order ([`allocate`]), and
/// `total_minor` split by units ([`charges`]). `None` when parts and members do not add up.
pub fn serve(total_minor: i64, parts: &[(SupplierId, u32)], quantities: &[u32]) -> Option<Vec<Service>> {
    let units: Vec<u32> = parts.iter().map(|&(_, units)| units).collect();
    let allocation = allocate(&units, quantities)?;
    let served = allocation
        .into_iter()
        .zip(charges(total_minor, quantities))
        .map(|(allocated, charge_minor)| {
            let mut shipped_by: Vec<(SupplierId, u32)> = Vec::new();
            for (part, units) in allocated {
                let supplier = parts[part].0;
                match shipped_by.iter_mut().find(|(s, _)| *s == supplier) {
                    Some((_, shipped)) => *shipped += units,
                    None => shipped_by.push((supplier, units)),
                }
            }
            Service { charge_minor, shipped_by }
        })
        .collect();
    Some(served)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    // The example: 100 units awarded for 4,300.00 to members of 30, 30 and 40 units pay
    // 43.00 a unit each.
    #[test]
    fn g4_members_pay_the_blended_price() {
        assert_eq!(charges(430_000, &[30, 30, 40]), vec![129_000, 129_000, 172_000]);
        assert_eq!(charges(1_000, &[1, 1, 1]), vec![334, 333, 333]);
        assert_eq!(
            allocate(&[50, 50], &[30, 30, 40]),
            Some(vec![vec![(0, 30)], vec![(0, 20), (1, 10)], vec![(1, 40)]])
        );
        assert_eq!(allocate(&[50], &[30, 30]), None);
    }

    #[test]
    fn g4_a_member_shipped_by_two_parts_of_one_supplier_names_it_once() {
        let (a, b) = (SupplierId::generate(), SupplierId::generate());
        let served = serve(10_000, &[(a, 1), (b, 2), (a, 1)], &[1, 3]).unwrap();
        assert_eq!(served[0], Service { charge_minor: 2_500, shipped_by: vec![(a, 1)] });
        assert_eq!(served[1], Service { charge_minor: 7_500, shipped_by: vec![(b, 2), (a, 1)] });
        assert_eq!(serve(10_000, &[(a, 3)], &[1, 3]), None);
    }

    proptest! {
        #[test]
        fn g4_charges_add_up_to_the_award_and_stay_within_a_cent_of_exact(
            total in 0i64..10_000_000_000, quantities in prop::collection::vec(1u32..1_000, 1..50),
        ) {
            let charged = charges(total, &quantities);
            prop_assert_eq!(charged.iter().sum::<i64>(), total);
            let units: i128 = quantities.iter().map(|&q| i128::from(q)).sum();
            for (charge, &q) in charged.iter().zip(&quantities) {
                let exact = i128::from(total) * i128::from(q);
                let scaled = i128::from(*charge) * units;
                prop_assert!(scaled + units > exact && scaled <= exact + units, "{} for {} of {}", charge, q, units);
            }
        }

        #[test]
        fn g4_every_member_gets_its_units_and_every_lot_ships_all_of_its(
            members in prop::collection::vec(1u32..100, 1..30), cuts in prop::collection::vec(0u32..100, 0..10),
        ) {
            // Lots that add up to the members' total, cut at arbitrary points.
            let total: u32 = members.iter().sum();
            let mut points: Vec<u32> = cuts.iter().map(|c| c % total).collect();
            points.extend([0, total]);
            points.sort_unstable();
            points.dedup();
            let lots: Vec<u32> = points.windows(2).map(|w| w[1] - w[0]).collect();
            let allocation = allocate(&lots, &members).unwrap();
            let mut shipped = vec![0u32; lots.len()];
            for (parts, &wanted) in allocation.iter().zip(&members) {
                prop_assert_eq!(parts.iter().map(|&(_, units)| units).sum::<u32>(), wanted);
                for &(lot, units) in parts {
                    prop_assert!(units > 0);
                    shipped[lot] += units;
                }
            }
            prop_assert_eq!(shipped, lots);
        }
    }
}
