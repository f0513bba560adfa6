//! One award solved in a process of its own: its time and the process's peak memory (VmHWM), for
//! the performance table's "≤ 100 ms and ≤ 128 MB; ≤ 1 s at the largest quantity a request may
//! carry". `bench/award` runs it for every class at 2,000 and 65,535 units.
//! Usage: award_peak CLASS UNITS

#[path = "../benches/offers.rs"]
mod offers;

use std::time::Instant;

fn peak_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .unwrap_or(f64::NAN);
    kib / 1024.0
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(class), Some(units)) = (args.get(1), args.get(2).and_then(|u| u.parse::<u32>().ok())) else {
        eprintln!("usage: award_peak CLASS UNITS (classes: {})", offers::CLASSES.join(", "));
        std::process::exit(2);
    };
    let tenders = offers::offers(class);
    let before = peak_mib();
    let started = Instant::now();
    let cover = domain::award::cheapest_cover(&tenders, units);
    let elapsed = started.elapsed();
    let cost = cover.as_ref().map_or("no cover".to_owned(), |c| format!("{}.{:02}", c.cost / 100, c.cost % 100));
    println!(
        "{class:>12} {units:>6} units, {} offers: {:>9.1} ms, peak {:>7.1} MiB (offers alone {:.1} MiB), {} lots, total {cost}",
        offers::OFFERS,
        elapsed.as_secs_f64() * 1000.0,
        peak_mib(),
        before,
        cover.map_or(0, |c| c.lots.len()),
    );
}
