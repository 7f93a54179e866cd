//! Finds and classifies the critical points of a game you write: here the
//! paper's zero-sum example 1 (section 2.2.1), f1 = f, f2 = -f with
//! f = -exp(-0.01 (x1^2 + x2^2)) ((a x1^2 + x2)^2 + (b x2^2 + x1)^2).
//!
//! Newton solves from a grid of starts find the zeros of omega (simultaneous
//! play) and of omega_S (Stackelberg dynamics); each point is classified
//! (differential Nash? differential Stackelberg? stable under which
//! dynamics?). The paper's point: simultaneous gradient play has stable
//! critical points that are not Nash equilibria, and some of them are
//! differential Stackelberg equilibria. The example checks that, and checks
//! each reported point against the game's own omega.
//!
//! Run: `cargo run --release --example equilibria`

use stackel::prelude::*;

stackel_game! {
    /// Zero-sum example 1 (paper 2.2.1).
    pub game Example1 {
        param a = 0.15;
        param b = 0.25;
        leader x1;
        follower x2;
        let f = -exp(-0.01 * (x1^2 + x2^2)) * ((a * x1^2 + x2)^2 + (b * x2^2 + x1)^2);
        cost x1 = f;
        cost x2 = -f;
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let game = Example1::default();
    let starts = grid_starts(&[(-8.0, 8.0), (-8.0, 8.0)], 21);
    let (find, classify) = (Default::default(), Default::default());

    let simultaneous =
        EquilibriumReport::find(&game, Field::Simultaneous, &starts, &find, &classify)?;
    println!("{simultaneous}");
    let stackelberg =
        EquilibriumReport::find(&game, Field::STACKELBERG, &starts, &find, &classify)?;
    println!("{stackelberg}");

    // Every reported critical point of omega is one: omega(x) = 0 from the
    // generated code, independently of the solver's own residual.
    let mut omega = [0.0; 2];
    for c in &simultaneous.points {
        game.omega(&c.x, &mut omega);
        assert!(
            omega.iter().all(|v| v.abs() < 1e-8),
            "omega({:?}) = {omega:?}",
            c.x
        );
    }
    // The origin is a critical point of every zero-sum game of this form.
    assert!(simultaneous
        .points
        .iter()
        .any(|c| c.x.iter().all(|v| v.abs() < 1e-8)));

    let attractors: Vec<_> = simultaneous
        .points
        .iter()
        .filter(|c| c.non_nash_attractor.is_yes() && c.differential_stackelberg.is_yes())
        .collect();
    for c in &attractors {
        println!(
            "non-Nash attractor of simultaneous play that is a differential Stackelberg equilibrium: ({:.4}, {:.4})",
            c.x[0], c.x[1]
        );
    }
    assert!(
        !attractors.is_empty(),
        "the paper's example 1 has stable non-Nash points that are differential Stackelberg"
    );
    // A differential Stackelberg equilibrium is a zero of omega_S too.
    for c in &attractors {
        assert!(stackelberg.points.iter().any(|s| {
            s.x.iter().zip(&c.x).all(|(p, q)| (p - q).abs() < 1e-6)
                && s.differential_stackelberg == Verdict::Yes
        }));
    }
    println!(
        "ok: {} such points, each also found as a zero of omega_S",
        attractors.len()
    );
    Ok(())
}
