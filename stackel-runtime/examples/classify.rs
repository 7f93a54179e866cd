//! Finds and classifies the critical points of the paper's games (duopoly,
//! torus, zero-sum example 1) under simultaneous play and Stackelberg
//! dynamics, and prints the reports (`--json` for JSON). Then groups the
//! covariance game's (m = 3) continuous orbits of critical points into
//! families, and shows the finder's bounds option.
//!
//! Run: `cargo run -p stackel-runtime --example classify [-- --json]`

use std::f64::consts::PI;

use stackel_runtime::equilibria::{
    find_critical_points, grid_starts, group_families, random_starts, EquilibriumReport, FamilyKey,
    Field, FindOptions,
};
use stackel_runtime::Game;
use stackel_testkit::twins::{Covariance3, Duopoly, Torus, ZeroSumExample1};

fn show<G: Game>(g: &G, bounds: &[(f64, f64)], per_dim: usize, json: bool) {
    let starts = grid_starts(bounds, per_dim);
    for field in [Field::Simultaneous, Field::STACKELBERG] {
        match EquilibriumReport::find(g, field, &starts, &Default::default(), &Default::default()) {
            Ok(r) if json => println!("{}", r.to_json()),
            Ok(r) => println!("{r}"),
            Err(e) => eprintln!("{}: {e}", g.info().name),
        }
    }
}

/// The covariance game's critical points come in orbits V -> V Q: the
/// finder returns many distinct points per orbit; `group_families` reports
/// each orbit once with its multiplicity and tangent dimension.
fn families() {
    let g = Covariance3 {
        sigma: [[2.0, 0.5, 0.2], [0.5, 1.5, 0.3], [0.2, 0.3, 1.0]],
        eta: 0.6,
    };
    let starts = random_starts(&[(-2.0, 2.0); 18], 200, 1);
    for field in [Field::Simultaneous, Field::STACKELBERG] {
        let found = match find_critical_points(&g, field, &starts, &Default::default()) {
            Ok(f) => f,
            Err(e) => return eprintln!("covariance: {e}"),
        };
        match group_families(&g, &found, FamilyKey::CostsAndSpectra, &Default::default()) {
            Ok(fams) => {
                println!(
                    "covariance m = 3, {}: {} distinct points in {} families",
                    field.symbol(),
                    found.points.len(),
                    fams.len()
                );
                for f in &fams {
                    println!(
                        "  f1 = {:>10.6}  multiplicity {:>3}  hits {:>3}  tangent dim {}",
                        g.leader_cost(&f.x),
                        f.multiplicity,
                        f.hits,
                        f.tangent_dim
                    );
                }
            }
            Err(e) => eprintln!("covariance families: {e}"),
        }
    }
    // Only the points in the box |x_i| <= 1; the others are dropped and counted.
    let opts = FindOptions {
        bounds: Some(vec![(-1.0, 1.0); 18]),
        ..Default::default()
    };
    if let Ok(f) = find_critical_points(&g, Field::STACKELBERG, &starts, &opts) {
        println!(
            "with bounds |x_i| <= 1: {} points kept, {} solves ended outside",
            f.points.len(),
            f.dropped_outside
        );
    }
}

fn main() {
    let json = std::env::args().any(|a| a == "--json");
    show(&Duopoly::default(), &[(0.0, 100.0), (0.0, 100.0)], 5, json);
    show(&Torus::default(), &[(-PI, PI), (-PI, PI)], 12, json);
    show(
        &ZeroSumExample1::default(),
        &[(-6.0, 6.0), (-6.0, 6.0)],
        13,
        json,
    );
    if !json {
        families();
    }
}
