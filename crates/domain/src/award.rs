//! The award of a bid request (PRODUCT.md B5, B7): the offers that cover the quantity exactly at
//! the least total cost, each offer taken for nothing or for a quantity between its minimum and its
//! maximum. Computed optimally, by a dynamic programme over quantities, never greedily: the
//! cheapest offer first can leave a remainder that only dear offers fill (60 at 40.00 plus 40 at
//! 50.00 costs more than 50 + 50 at 43.00).
//!
//! The solver works on integers: a tender's `cost` per unit is what the rule weighs, the price in
//! minor units for `lowest_price` or a weighted score for `best_value`. Among covers of equal cost
//! the one whose units come from earlier tenders wins (B5: ties go to the earliest offer).
//!
//! Speed: offers that cannot be part of a cover better than one already found are skipped before
//! the programme sees them, bounded by the cheapest cover with minimums ignored. Cost and tie are
//! compared as one key (cost, then lateness), so offers at one price prune as sharply as offers at
//! different prices; a quantity no choice of offers reaches is answered from a bitset first. With
//! 100,000 offers for 2,000 units a few dozen reach the programme (`bench/award`).

/// The largest quantity one award covers (a choice per offer and unit is kept as a `u16`).
pub const MAX_QUANTITY: u32 = u16::MAX as u32;
/// The largest cost per unit the solver weighs, so that no sum overflows.
pub const MAX_UNIT_COST: i64 = 10_000_000_000_000;

/// One offer as the solver sees it; tenders are given in the order the offers were made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tender {
    /// What one unit weighs: the price in minor units, or a `best_value` score.
    pub cost: i64,
    /// The least quantity the supplier accepts; equal to `max` for all or nothing.
    pub min: u32,
    /// The most it offers.
    pub max: u32,
}

impl Tender {
    /// Never awarded: no minimum, a minimum above the maximum, or a cost out of range.
    fn is_valid(&self) -> bool {
        self.min >= 1 && self.min <= self.max && (0..=MAX_UNIT_COST).contains(&self.cost)
    }
}

/// The awarded quantities, `(index of the tender, quantity)` in tender order, and their cost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cover {
    pub lots: Vec<(usize, u32)>,
    pub cost: i64,
}

/// The least-cost exact cover of `quantity` by `tenders`, or `None` when none exists (or the
/// quantity is above [`MAX_QUANTITY`]). Invalid tenders are never awarded.
pub fn cheapest_cover(tenders: &[Tender], quantity: u32) -> Option<Cover> {
    if quantity > MAX_QUANTITY {
        return None;
    }
    if quantity == 0 {
        return Some(Cover { lots: Vec::new(), cost: 0 });
    }
    let want = quantity as usize;
    let keys = Keys::new(tenders.len(), want);
    let mut order: Vec<usize> =
        (0..tenders.len()).filter(|&i| tenders[i].is_valid() && tenders[i].min <= quantity).collect();
    order.sort_by_key(|&i| (tenders[i].cost, i));
    let relaxed = Relaxed::of(tenders, &order, want, keys)?;
    // A first cover bounds the programme from its first tender on (without one no bound prunes,
    // and the programme would take every tender); without any, there is no award.
    let first = first_cover(tenders, &order, want)?;
    let first_key: i128 = first.iter().map(|&(i, took)| keys.unit(tenders[i].cost, i) * i128::from(took)).sum();

    let mut programme = Programme::new(want);
    let mut upper: Option<i128> = Some(first_key);
    // Units of any part that the tenders before this one offer: once they reach the quantity, a
    // cover that uses this tender is beaten by moving its units onto them (cheaper, or as cheap and
    // earlier), and so is one that uses any later tender.
    let mut any_part_before: u64 = 0;
    for &i in &order {
        let tender = tenders[i];
        if any_part_before >= u64::from(quantity) {
            break;
        }
        if tender.min == 1 {
            any_part_before += u64::from(tender.max);
        }
        let key = keys.unit(tender.cost, i);
        if let Some(upper) = upper {
            // Later tenders' units weigh more, and past the relaxed marginal unit taking one unit
            // is the cheapest way to use them: nothing after this one can beat `upper`.
            if key >= relaxed.marginal(want) && key + relaxed.cost(want - 1) > upper {
                break;
            }
            if relaxed.least_with(key, tender, want) > upper {
                continue;
            }
        }
        programme.add(i, tender, key, want);
        upper = programme.key(want).map_or(upper, |found| Some(found.min(first_key)));
    }
    match programme.cover(want, keys) {
        Some(cover) if programme.key(want).is_some_and(|found| found <= first_key) => Some(cover),
        // Every tender of the first cover was set aside as no better: it is the best.
        _ => {
            let mut lots = first;
            lots.sort_unstable();
            Some(Cover { lots, cost: keys.cost(first_key)? })
        }
    }
}

/// Some cover of `want`, minimums kept, or `None` when no choice of `tenders` reaches it: the
/// reachable quantities as bits, tender by tender (an all-or-nothing lot shifts them, a range
/// spreads them), each quantity noting the tender and units that first reached it, stopping as soon
/// as `want` is reached. Linear in the quantity per tender (a word per 64 units for a lot) and in
/// memory: a quick answer where there is no cover, and a first bound where there is.
fn first_cover(tenders: &[Tender], order: &[usize], want: usize) -> Option<Vec<(usize, u32)>> {
    let mut reach = vec![0u64; want / 64 + 1];
    reach[0] = 1;
    let has = |bits: &[u64], q: usize| bits[q / 64] >> (q % 64) & 1 == 1;
    // The tender and units that first reached each quantity.
    let mut first: Vec<(u32, u16)> = vec![(u32::MAX, 0); want + 1];
    let mut before = reach.clone();
    for &i in order {
        let (min, max) = (tenders[i].min as usize, (tenders[i].max as usize).min(want));
        let tender = u32::try_from(i).unwrap_or(u32::MAX);
        if min == max {
            // From the top down, each word reads words not yet shifted into: the lot is taken once.
            let (words, bits) = (min / 64, min % 64);
            for dst in (words..reach.len()).rev() {
                let src = dst - words;
                let mut moved = reach[src] << bits;
                if bits > 0 && src > 0 {
                    moved |= reach[src - 1] >> (64 - bits);
                }
                let mut new = moved & !reach[dst];
                reach[dst] |= moved;
                while new != 0 {
                    let q = dst * 64 + new.trailing_zeros() as usize;
                    if q <= want {
                        first[q] = (tender, u16::try_from(min).unwrap_or(u16::MAX));
                    }
                    new &= new - 1;
                }
            }
        } else {
            before.copy_from_slice(&reach);
            // The latest reachable j at most q - min; q is reached from it if it is at least q - max.
            let mut latest: Option<usize> = None;
            for q in min..=want {
                if has(&before, q - min) {
                    latest = Some(q - min);
                }
                if let Some(j) = latest.filter(|&j| j + max >= q && !has(&reach, q)) {
                    reach[q / 64] |= 1 << (q % 64);
                    first[q] = (tender, u16::try_from(q - j).unwrap_or(u16::MAX));
                }
            }
        }
        if has(&reach, want) {
            let (mut left, mut lots) = (want, Vec::new());
            while left > 0 {
                let (tender, took) = first[left];
                lots.push((tender as usize, u32::from(took)));
                left -= usize::from(took);
            }
            return Some(lots);
        }
    }
    None
}

/// Costs and ties as one number, so that bounds prune ties as sharply as costs (B5): a cover's key
/// is its cost times a scale above any lateness, plus its lateness (the sum over units of their
/// tender's index). Comparing keys compares costs, then which cover's units came earlier.
#[derive(Debug, Clone, Copy)]
struct Keys {
    scale: i128,
}

impl Keys {
    fn new(tenders: usize, want: usize) -> Self {
        Self { scale: (tenders as i128) * (want as i128) + 1 }
    }

    /// One unit of tender `index` at `cost`.
    fn unit(self, cost: i64, index: usize) -> i128 {
        i128::from(cost) * self.scale + index as i128
    }

    /// The cost of a cover of key `key`.
    fn cost(self, key: i128) -> Option<i64> {
        i64::try_from(key / self.scale).ok()
    }
}

/// The cheapest cover of every quantity up to the one wanted with the offers' minimums ignored (a
/// lower bound on any real cover): the lightest units first.
struct Relaxed {
    /// `keys[q]`: the key of the `q` lightest units.
    keys: Vec<i128>,
}

impl Relaxed {
    /// `None` when even all the units offered do not reach `want`.
    fn of(tenders: &[Tender], lightest_first: &[usize], want: usize, keys: Keys) -> Option<Self> {
        let mut sums = Vec::with_capacity(want + 1);
        sums.push(0i128);
        for &i in lightest_first {
            let tender = tenders[i];
            let unit = keys.unit(tender.cost, i);
            for _ in 0..(tender.max as usize).min(want + 1 - sums.len()) {
                let last = sums[sums.len() - 1];
                sums.push(last + unit);
            }
            if sums.len() > want {
                return Some(Self { keys: sums });
            }
        }
        (sums.len() > want).then_some(Self { keys: sums })
    }

    fn cost(&self, units: usize) -> i128 {
        self.keys[units]
    }

    /// What the `units`-th lightest unit weighs.
    fn marginal(&self, units: usize) -> i128 {
        if units == 0 {
            return 0;
        }
        self.keys[units] - self.keys[units - 1]
    }

    /// A lower bound on any cover of `want` taking `min..=max` units of a tender whose unit weighs
    /// `key`: `key × k + cost(want − k)` is convex in `k` (the marginal units get lighter as `k`
    /// grows), least at the first `k` where the tender's unit is no lighter than the one it
    /// replaces.
    fn least_with(&self, key: i128, tender: Tender, want: usize) -> i128 {
        let (min, max) = (tender.min as usize, (tender.max as usize).min(want));
        let (mut low, mut high) = (min, max);
        while low < high {
            let mid = low + (high - low) / 2;
            if key >= self.marginal(want - mid) { high = mid } else { low = mid + 1 }
        }
        key * low as i128 + self.cost(want - low)
    }
}

/// The key of a quantity not reached.
const UNREACHED: i128 = i128::MAX;

/// The dynamic programme: after each tender, the best cover of every quantity by the tenders added
/// so far (the least key), and what each added tender took in it.
struct Programme {
    best: Vec<i128>,
    scratch: Vec<i128>,
    /// The tenders added, in order, and per quantity what each took (0: nothing).
    added: Vec<usize>,
    took: Vec<u16>,
}

impl Programme {
    fn new(want: usize) -> Self {
        let mut best = vec![UNREACHED; want + 1];
        best[0] = 0;
        Self { scratch: best.clone(), best, added: Vec::new(), took: Vec::new() }
    }

    fn key(&self, quantity: usize) -> Option<i128> {
        (self.best[quantity] != UNREACHED).then_some(self.best[quantity])
    }

    /// Lets tender `index`, whose unit weighs `key`, take nothing or `min..=max` units towards
    /// every quantity.
    fn add(&mut self, index: usize, tender: Tender, key: i128, want: usize) {
        let (min, max) = (tender.min as usize, (tender.max as usize).min(want));
        let row = self.took.len();
        self.took.resize(row + want + 1, 0);
        let took = &mut self.took[row..];
        self.added.push(index);
        if min == max {
            // All or nothing: from the top down, so that each quantity reads the earlier best.
            for q in (min..=want).rev() {
                if self.best[q - min] != UNREACHED {
                    let candidate = self.best[q - min] + key * min as i128;
                    if candidate < self.best[q] {
                        self.best[q] = candidate;
                        took[q] = u16::try_from(min).unwrap_or(u16::MAX);
                    }
                }
            }
            return;
        }
        self.scratch.copy_from_slice(&self.best);
        // Reaching q by taking k = q - j units from j: the best j in the window [q - max, q - min]
        // minimises best[j] - key × j, kept in a deque of increasing values.
        let mut window: std::collections::VecDeque<(usize, i128)> = std::collections::VecDeque::new();
        for (q, took) in took.iter_mut().enumerate().skip(min) {
            let entering = q - min;
            if self.best[entering] != UNREACHED {
                let value = self.best[entering] - key * entering as i128;
                while window.back().is_some_and(|&(_, v)| v >= value) {
                    window.pop_back();
                }
                window.push_back((entering, value));
            }
            while window.front().is_some_and(|&(j, _)| j + max < q) {
                window.pop_front();
            }
            if let Some(&(from, value)) = window.front() {
                let candidate = value + key * q as i128;
                if candidate < self.scratch[q] {
                    self.scratch[q] = candidate;
                    *took = u16::try_from(q - from).unwrap_or(u16::MAX);
                }
            }
        }
        std::mem::swap(&mut self.best, &mut self.scratch);
    }

    /// The cover of `quantity`, walked back from the last tender added.
    fn cover(&self, quantity: usize, keys: Keys) -> Option<Cover> {
        let cost = keys.cost(self.key(quantity)?)?;
        let width = self.best.len();
        let mut left = quantity;
        let mut lots = Vec::new();
        for (row, &index) in self.added.iter().enumerate().rev() {
            let took = self.took[row * width + left] as usize;
            if took > 0 {
                lots.push((index, took as u32));
                left -= took;
            }
        }
        lots.sort_unstable();
        Some(Cover { lots, cost })
    }
}

/// A joint offer's lot split among its suppliers by their shares (B4): each gets quantity × its
/// share ÷ the shares' total, rounded down, and the units left go one each to the largest
/// remainders (the earlier supplier first on a tie), so the parts add up to the lot.
pub fn split_by_shares(quantity: u32, shares: &[u32]) -> Vec<u32> {
    let total: u64 = shares.iter().map(|&s| u64::from(s)).sum();
    if total == 0 {
        return vec![0; shares.len()];
    }
    let exact: Vec<(u64, u64)> = shares
        .iter()
        .map(|&s| {
            let scaled = u64::from(quantity) * u64::from(s);
            (scaled / total, scaled % total)
        })
        .collect();
    let mut parts: Vec<u32> = exact.iter().map(|&(whole, _)| u32::try_from(whole).unwrap_or(u32::MAX)).collect();
    let given: u64 = exact.iter().map(|&(whole, _)| whole).sum();
    let mut by_remainder: Vec<usize> = (0..shares.len()).collect();
    by_remainder.sort_by(|&a, &b| exact[b].1.cmp(&exact[a].1).then(a.cmp(&b)));
    for &i in by_remainder.iter().take(usize::try_from(u64::from(quantity) - given).unwrap_or(0)) {
        parts[i] += 1;
    }
    parts
}

/// A member's demand for B7: the units it wants and the most it pays per unit, in the tenders'
/// cost units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Demand {
    pub quantity: u32,
    pub max_unit_cost: i64,
}

/// Who an award serves and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    /// Indexes of the demands served, in the order given.
    pub served: Vec<usize>,
    pub cover: Cover,
}

/// B7: the award that serves the most members whose maximum the blended unit cost respects, at
/// the least total cost. Members are served from the highest maximum down, members with the same
/// maximum together (nobody is dropped while someone who would pay less is served), so the
/// candidates are every member whose maximum is at least some threshold; the widest one with a
/// cover whose cost per unit is within the threshold wins.
pub fn serve_most(tenders: &[Tender], demands: &[Demand]) -> Option<Service> {
    let mut thresholds: Vec<i64> = demands.iter().map(|d| d.max_unit_cost).collect();
    thresholds.sort_unstable();
    thresholds.dedup();
    for &threshold in &thresholds {
        let served: Vec<usize> = (0..demands.len()).filter(|&i| demands[i].max_unit_cost >= threshold).collect();
        let quantity: u64 = served.iter().map(|&i| u64::from(demands[i].quantity)).sum();
        let Ok(quantity) = u32::try_from(quantity) else { continue };
        if quantity == 0 {
            continue;
        }
        if let Some(cover) = cheapest_cover(tenders, quantity)
            && i128::from(cover.cost) <= i128::from(threshold) * i128::from(quantity)
        {
            return Some(Service { served, cover });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn exactly(cost: i64, units: u32) -> Tender {
        Tender { cost, min: units, max: units }
    }

    // The example: cheapest first (60 at 40.00, then 40 at 50.00) costs 4,400.00; the
    // optimum is the two 50-unit offers at 43.00.
    #[test]
    fn b5_the_award_is_optimal_not_greedy() {
        let tenders = [exactly(4000, 60), exactly(4300, 50), exactly(4300, 50), Tender { cost: 5000, min: 1, max: 40 }];
        let cover = cheapest_cover(&tenders, 100).unwrap();
        assert_eq!(cover, Cover { lots: vec![(1, 50), (2, 50)], cost: 430_000 });
    }

    #[test]
    fn b5_ties_go_to_the_earliest_offer() {
        let tenders = [Tender { cost: 10, min: 1, max: 5 }, Tender { cost: 10, min: 1, max: 5 }];
        assert_eq!(cheapest_cover(&tenders, 5).unwrap().lots, vec![(0, 5)]);
        assert_eq!(cheapest_cover(&tenders, 7).unwrap().lots, vec![(0, 5), (1, 2)]);
    }

    #[test]
    fn b5_no_cover_no_award() {
        assert_eq!(cheapest_cover(&[exactly(10, 3), exactly(10, 3)], 5), None);
        assert_eq!(cheapest_cover(&[Tender { cost: 10, min: 1, max: 4 }], 5), None);
        assert_eq!(
            cheapest_cover(&[Tender { cost: 10, min: 0, max: 5 }], 5),
            None,
            "invalid tenders are never awarded"
        );
    }

    #[test]
    fn abuse_4_no_cover_is_found_quickly() {
        // Even lots only: an odd quantity has no cover, and nothing may be awarded.
        let lots: Vec<Tender> = (0..1000).map(|n| exactly(100, 2 + 2 * (n % 50))).collect();
        assert_eq!(cheapest_cover(&lots, 2001), None);
        assert!(cheapest_cover(&lots, 2000).is_some());
        let ranges = [Tender { cost: 5, min: 200, max: 201 }; 3];
        assert_eq!(cheapest_cover(&ranges, 399), None);
        assert_eq!(cheapest_cover(&ranges, 402).map(|c| c.cost), Some(2010));
    }

    #[test]
    fn b7_the_award_serves_the_most_members_it_can() {
        let tenders = [exactly(4000, 60), Tender { cost: 4500, min: 1, max: 100 }];
        // 100 units cost 40 × 60 + 45 × 40 = 4,200.00: 42.00 a unit, above the third member's 41.00.
        let demands = [
            Demand { quantity: 30, max_unit_cost: 5000 },
            Demand { quantity: 30, max_unit_cost: 4300 },
            Demand { quantity: 40, max_unit_cost: 4100 },
        ];
        let service = serve_most(&tenders, &demands).unwrap();
        assert_eq!(service.served, vec![0, 1]);
        assert_eq!(service.cover, Cover { lots: vec![(0, 60)], cost: 240_000 });
    }

    /// A cover's cost, then its lateness (the sum over units of their tender's index).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
    struct Best {
        cost: i64,
        lateness: i64,
    }

    impl Best {
        fn plus(self, tender: Tender, index: usize, units: usize) -> Self {
            let units = units as i64;
            Self { cost: self.cost + tender.cost * units, lateness: self.lateness + index as i64 * units }
        }
    }

    /// Every way to take nothing or min..=max from each tender, the best by (cost, lateness).
    fn exhaustive(tenders: &[Tender], quantity: u32) -> Option<Best> {
        fn walk(tenders: &[Tender], at: usize, left: u32, so_far: Best, best: &mut Option<Best>) {
            if at == tenders.len() {
                if left == 0 && best.is_none_or(|b| so_far < b) {
                    *best = Some(so_far);
                }
                return;
            }
            walk(tenders, at + 1, left, so_far, best);
            let tender = tenders[at];
            if !tender.is_valid() {
                return;
            }
            for units in tender.min..=tender.max.min(left) {
                walk(tenders, at + 1, left - units, so_far.plus(tender, at, units as usize), best);
            }
        }
        let mut best = None;
        walk(tenders, 0, quantity, Best { cost: 0, lateness: 0 }, &mut best);
        best
    }

    /// Few prices, so that most covers tie and only the tie rule decides.
    fn tied_tenders() -> impl Strategy<Value = Vec<Tender>> {
        prop::collection::vec(
            (1i64..3, 1u32..6, 0u32..3).prop_map(|(cost, min, extra)| Tender { cost, min, max: min + extra }),
            0..8,
        )
    }

    fn tenders() -> impl Strategy<Value = Vec<Tender>> {
        prop::collection::vec(
            (1i64..8, 0u32..5, 0u32..6).prop_map(|(cost, min, extra)| Tender { cost, min, max: min + extra }),
            0..7,
        )
    }

    #[test]
    fn b4_a_joint_lot_is_split_by_shares() {
        assert_eq!(split_by_shares(100, &[60, 40]), vec![60, 40]);
        assert_eq!(split_by_shares(10, &[1, 1, 1]), vec![4, 3, 3]);
        assert_eq!(split_by_shares(0, &[50, 50]), vec![0, 0]);
    }

    proptest! {
        #[test]
        fn b4_shares_add_up_to_the_lot_and_stay_within_a_unit_of_exact(quantity in 0u32..100_000, shares in prop::collection::vec(1u32..100, 1..8)) {
            let parts = split_by_shares(quantity, &shares);
            prop_assert_eq!(parts.iter().map(|&p| u64::from(p)).sum::<u64>(), u64::from(quantity));
            let total: u64 = shares.iter().map(|&s| u64::from(s)).sum();
            for (part, share) in parts.iter().zip(&shares) {
                let exact = u64::from(quantity) * u64::from(*share);
                prop_assert!(u64::from(*part) * total + total > exact && u64::from(*part) * total <= exact + total);
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2_000))]

        #[test]
        fn b5_the_solver_matches_exhaustive_search(tenders in tenders(), quantity in 0u32..16) {
            let found = cheapest_cover(&tenders, quantity);
            let expected = exhaustive(&tenders, quantity);
            prop_assert_eq!(found.as_ref().map(|c| c.cost), expected.map(|b| b.cost));
            if let Some(cover) = found {
                let mut units = 0;
                let mut cost = 0;
                let mut lateness = 0;
                for &(i, took) in &cover.lots {
                    prop_assert!(tenders[i].min <= took && took <= tenders[i].max);
                    units += took;
                    cost += tenders[i].cost * i64::from(took);
                    lateness += i as i64 * i64::from(took);
                }
                prop_assert_eq!(units, quantity);
                prop_assert_eq!(cost, cover.cost);
                prop_assert_eq!(lateness, expected.unwrap().lateness, "ties go to the earliest offers");
            }
        }

        // Issue 22, finding 4: ties defeated the pruning; now they prune as costs do, and the
        // earliest offers still win.
        #[test]
        fn abuse_4_ties_prune_and_still_go_to_the_earliest_offers(tenders in tied_tenders(), quantity in 0u32..20) {
            let found = cheapest_cover(&tenders, quantity);
            let expected = exhaustive(&tenders, quantity);
            prop_assert_eq!(found.as_ref().map(|c| c.cost), expected.map(|b| b.cost));
            if let (Some(cover), Some(expected)) = (found, expected) {
                let lateness: i64 = cover.lots.iter().map(|&(i, took)| i as i64 * i64::from(took)).sum();
                prop_assert_eq!(lateness, expected.lateness);
                prop_assert_eq!(cover.lots.iter().map(|&(_, took)| took).sum::<u32>(), quantity);
            }
        }

        #[test]
        fn b7_no_wider_set_of_members_could_be_served(tenders in tenders(), demands in prop::collection::vec((1u32..5, 1i64..8), 1..5)) {
            let demands: Vec<Demand> = demands.into_iter().map(|(quantity, max_unit_cost)| Demand { quantity, max_unit_cost }).collect();
            let service = serve_most(&tenders, &demands);
            for threshold in demands.iter().map(|d| d.max_unit_cost) {
                let wider: Vec<usize> = (0..demands.len()).filter(|&i| demands[i].max_unit_cost >= threshold).collect();
                let quantity: u32 = wider.iter().map(|&i| demands[i].quantity).sum();
                let affordable = exhaustive(&tenders, quantity).is_some_and(|b| b.cost <= threshold * i64::from(quantity));
                if affordable {
                    let served = service.as_ref().map_or(0, |s| s.served.len());
                    prop_assert!(served >= wider.len(), "{} members could be served, {} were", wider.len(), served);
                }
            }
            if let Some(service) = service {
                let quantity: u32 = service.served.iter().map(|&i| demands[i].quantity).sum();
                let least = service.served.iter().map(|&i| demands[i].max_unit_cost).min().unwrap();
                prop_assert!(service.cover.cost <= least * i64::from(quantity));
                prop_assert_eq!(Some(service.cover.cost), exhaustive(&tenders, quantity).map(|b| b.cost));
            }
        }
    }
}
