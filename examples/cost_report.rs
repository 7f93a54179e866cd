//! The cost report of the README's duopoly (see docs/cost.md): operation
//! counts of the costs as written, of every block at each compiler stage
//! and of every generated method per call, and flops per trajectory step
//! of each learning rule.
//!
//! Run: `cargo run --example cost_report` (add `--features gpu` for the
//! WGSL kernel's counts).

use stackel::prelude::*;
use stackel::CostReport;

stackel_game! {
    /// Cournot duopoly; firm 1 leads.
    pub game Duopoly {
        param a = 100.0;
        param c1 = 5.0;
        param c2 = 2.0;
        leader q1;
        follower q2;
        let price = a - q1 - q2;
        cost q1 = -(price - c1) * q1;
        cost q2 = -(price - c2) * q2;
    }
}

fn main() {
    let report = CostReport::of(&Duopoly::default());
    // D1 f1 = -a + c1 + 2 q1 + q2: three additions, one product
    assert_eq!(report.method("d1f1").map(|c| c.flops()), Some(4));
    println!("{report}");
}
