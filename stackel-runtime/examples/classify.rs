//! Finds and classifies the critical points of the paper's games (duopoly,
//! torus, zero-sum example 1) under simultaneous play and Stackelberg
//! dynamics, and prints the reports (`--json` for JSON).
//!
//! Run: `cargo run -p stackel-runtime --example classify [-- --json]`

use std::f64::consts::PI;

use stackel_runtime::equilibria::{grid_starts, EquilibriumReport, Field};
use stackel_runtime::reference::{Duopoly, Torus, ZeroSumExample1};
use stackel_runtime::Game;

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
}
