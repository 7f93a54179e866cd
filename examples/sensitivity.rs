//! How the Stackelberg point moves with a param: the torus location game
//! (paper 4.2). By the implicit function theorem a non-degenerate zero
//! x*(theta) of omega_S moves as dx*/dtheta = -J_S^-1 D_theta omega_S
//! (`sensitivity`, from the generated param derivatives). The example
//! checks that against central differences of re-solved points, then sweeps
//! alpha[0] (the leader's pull to its own location) and compares the
//! re-solved point with the first-order prediction.
//!
//! Run: `cargo run --release --example sensitivity`

use stackel::prelude::*;

stackel_game! {
    /// Location game on a torus (paper 4.2).
    pub game Torus {
        param alpha: [2] = [1.0, 1.3];
        param phi: [2] = [pi / 8.0, pi / 8.0];
        leader th1: angle;
        follower th2: angle;
        cost th1 = -alpha[0] * cos(th1 - phi[0]) + cos(th1 - th2);
        cost th2 = -alpha[1] * cos(th2 - phi[1]) + cos(th2 - th1);
    }
}

/// The Stackelberg point of `g` reached by Newton from `start`.
fn solve(g: &Torus, start: &[f64]) -> Result<Vec<f64>, Box<dyn std::error::Error>> {
    let r = EquilibriumReport::find(
        g,
        Field::STACKELBERG,
        &[start.to_vec()],
        &Default::default(),
        &Default::default(),
    )?;
    let p = r.points.first().ok_or("Newton did not converge")?;
    Ok(p.x.clone())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let game = Torus::default();
    let starts = grid_starts(&[(-3.1, 3.1), (-3.1, 3.1)], 9);
    let report = EquilibriumReport::find(
        &game,
        Field::STACKELBERG,
        &starts,
        &Default::default(),
        &Default::default(),
    )?;
    let stable: Vec<Vec<f64>> = report
        .points
        .iter()
        .filter(|c| c.differential_stackelberg.is_yes() && c.stable_stackelberg.is_yes())
        .map(|c| c.x.clone())
        .collect();
    assert!(
        !stable.is_empty(),
        "the torus game has stable differential Stackelberg points"
    );
    let names = ["alpha[0]", "alpha[1]", "phi[0]", "phi[1]"];

    for x in &stable {
        let s = sensitivity(&game, x, Field::STACKELBERG)?;
        println!("Stackelberg point (th1, th2) = ({:.5}, {:.5})", x[0], x[1]);
        for (j, name) in names.iter().enumerate() {
            // central differences of re-solved points
            let h = 1e-5;
            let moved = |d: f64| -> Result<Vec<f64>, Box<dyn std::error::Error>> {
                let mut g = game;
                match j {
                    0 | 1 => g.alpha[j] += d,
                    _ => g.phi[j - 2] += d,
                }
                solve(&g, x)
            };
            let (up, down) = (moved(h)?, moved(-h)?);
            for i in 0..2 {
                let fd = (up[i] - down[i]) / (2.0 * h);
                println!(
                    "  d{}/d{name} = {:+.6} (central difference {fd:+.6})",
                    ["th1", "th2"][i],
                    s[(i, j)]
                );
                assert!(
                    (fd - s[(i, j)]).abs() < 1e-5 * (1.0 + fd.abs()),
                    "{name}: {fd} vs {}",
                    s[(i, j)]
                );
            }
        }
        // A rotation of both locations rotates the point: d/dphi0 + d/dphi1 = (1, 1).
        for i in 0..2 {
            assert!((s[(i, 2)] + s[(i, 3)] - 1.0).abs() < 1e-9);
        }

        println!("  sweep of alpha[0]: re-solved point vs the first-order prediction");
        let mut start = x.clone();
        for step in 0..=5 {
            let da = 0.1 * step as f64;
            let mut g = game;
            g.alpha[0] += da;
            let p = solve(&g, &start)?;
            let pred = [x[0] + s[(0, 0)] * da, x[1] + s[(1, 0)] * da];
            println!(
                "    alpha[0] = {:.2}: ({:+.5}, {:+.5}), predicted ({:+.5}, {:+.5})",
                g.alpha[0], p[0], p[1], pred[0], pred[1]
            );
            start = p;
        }
    }
    println!("ok: the implicit-function sensitivities match re-solved points");
    Ok(())
}
