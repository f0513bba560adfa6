//! The award solver (PRODUCT.md B5, performance table: "award: 100,000 offers for 2,000 units,
//! lowest price with partial and all-or-nothing offers, optimal: ≤ 100 ms") beside a greedy pass
//! over the same offers, the cheapest first, which is fast but neither optimal nor sure to cover.
//! Run with `bench/award`.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use domain::award::{Tender, cheapest_cover};

const OFFERS: usize = 100_000;
const TARGET_MS: u32 = 100;

/// 100,000 offers for 1 to 400 units: a third all or nothing, a third with a minimum of half
/// their units, a third for any part. Prices from 30.00 to 50.00 (the ceiling), most near 40.00
/// (the sum of two uniform draws), or, `narrow`, all within 40.00 to 40.09, where many offers tie;
/// `lumpy` is narrow with no offer for any part (half all or nothing, half with minimums), the
/// hardest case: few offers can be set aside unsolved. Seeded, so every run is alike.
fn offers(narrow: bool, lumpy: bool) -> Vec<Tender> {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move |below: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % below) as i64
    };
    (0..OFFERS)
        .map(|n| {
            let cost = if narrow { 4_000 + next(10) } else { 3_000 + next(1_001) + next(1_001) };
            let max = 1 + next(400) as u32;
            let min = match n % if lumpy { 2 } else { 3 } {
                0 => max,
                1 => max.div_ceil(2),
                _ => 1,
            };
            Tender { cost, min, max }
        })
        .collect()
}

/// The cheapest offers first, each taken as far as it fits; an offer whose minimum no longer fits
/// is passed over. `None` when it does not come out exact.
fn greedy(tenders: &[Tender], quantity: u32) -> Option<i64> {
    let mut order: Vec<usize> = (0..tenders.len()).collect();
    order.sort_by_key(|&i| (tenders[i].cost, i));
    let (mut left, mut cost) = (quantity, 0i64);
    for i in order {
        let take = tenders[i].max.min(left);
        if take >= tenders[i].min {
            left -= take;
            cost += tenders[i].cost * i64::from(take);
        }
        if left == 0 {
            return Some(cost);
        }
    }
    None
}

fn award(c: &mut Criterion) {
    for (label, narrow, lumpy) in [("spread", false, false), ("narrow", true, false), ("lumpy", true, true)] {
        let tenders = offers(narrow, lumpy);
        for units in [2_000, 10_000] {
            let optimal = cheapest_cover(&tenders, units).map(|cover| cover.cost);
            let money =
                |cost: Option<i64>| cost.map_or("no cover".to_owned(), |c| format!("{}.{:02}", c / 100, c % 100));
            println!(
                "{label} prices, {units} units from {OFFERS} offers: optimal award {}, greedy pass {} (target: optimal in ≤ {TARGET_MS} ms for 2,000 units)",
                money(optimal),
                money(greedy(&tenders, units))
            );
            let mut group = c.benchmark_group(format!("award {label} {units} units"));
            group.sample_size(20);
            group.bench_function("optimal", |b| b.iter(|| cheapest_cover(black_box(&tenders), black_box(units))));
            group.bench_function("greedy", |b| b.iter(|| greedy(black_box(&tenders), black_box(units))));
            group.finish();
        }
    }
}

criterion_group!(benches, award);
criterion_main!(benches);
