//! The offer sets the award benchmarks solve (shared by `benches/award.rs` and
//! `examples/award_peak.rs`): 100,000 offers, seeded, so every run is alike.

use domain::award::Tender;

pub const OFFERS: usize = 100_000;

/// Each class: its label and how to make its offers.
pub const CLASSES: [&str; 7] = ["spread", "narrow", "lumpy", "tied-ranges", "tied-lots", "even-lots", "late-odd"];

/// 100,000 offers for 1 to 400 units. `spread`: a third all or nothing, a third with a minimum of
/// half their units, a third for any part; prices from 30.00 to 50.00, most near 40.00 (the sum
/// of two uniform draws). `narrow`: the same, all within 40.00 to 40.09, where many offers tie.
/// `lumpy`: narrow with no offer for any part (half all or nothing, half with minimums).
/// `tied-ranges`: every offer at 40.00 for 2 to 400 units with a minimum of 2; `tied-lots`: every
/// offer at 40.00 all or nothing, 2 to 400 units: only the tie rule (the earliest offers) decides.
/// `even-lots`: every offer at 40.00 all or nothing for an even number of units, so that an odd
/// quantity has no cover at all and no bound ever prunes; `late-odd`: the same, the last offer 3
/// units, the only way to an odd quantity (the known worst case: the first cover found bounds
/// little, so many small lots reach the programme; above target at large quantities).
pub fn offers(class: &str) -> Vec<Tender> {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move |below: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % below) as i64
    };
    (0..OFFERS)
        .map(|n| {
            let cost = match class {
                "spread" => 3_000 + next(1_001) + next(1_001),
                "narrow" | "lumpy" => 4_000 + next(10),
                _ => 4_000,
            };
            match class {
                "tied-ranges" => Tender { cost, min: 2, max: 2 + next(399) as u32 },
                "tied-lots" => {
                    let units = 2 + next(399) as u32;
                    Tender { cost, min: units, max: units }
                }
                "late-odd" if n == OFFERS - 1 => Tender { cost, min: 3, max: 3 },
                "even-lots" | "late-odd" => {
                    let units = 2 * (1 + next(200) as u32);
                    Tender { cost, min: units, max: units }
                }
                _ => {
                    let max = 1 + next(400) as u32;
                    let min = match n % if class == "lumpy" { 2 } else { 3 } {
                        0 => max,
                        1 => max.div_ceil(2),
                        _ => 1,
                    };
                    Tender { cost, min, max }
                }
            }
        })
        .collect()
}
