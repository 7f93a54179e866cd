//! The README's game: a Cournot duopoly where firm 1 leads. Prints the
//! generated derivative formulas, then runs 2000 noisy two-timescale
//! Stackelberg trajectories and checks that they settle at the Stackelberg
//! point in closed form, q1* = (a - 2 c1 + c2) / 2 = 46, q2* = (a - c2 - q1*) / 2 = 26.
//!
//! Run: `cargo run --release --example duopoly`

use stackel::prelude::*;

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

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let game = Duopoly::default();
    println!("{} (generated derivative blocks):", game.info().name);
    for block in game.formulas() {
        for entry in &block.entries {
            println!("  {entry}");
        }
    }

    // The closed forms: Nash from D1f1 = D2f2 = 0, Stackelberg from Df1 = 0
    // along the follower's best response r(q1) = (a - c2 - q1) / 2.
    let (a, c1, c2) = (game.a, game.c1, game.c2);
    let nash = [(a - 2.0 * c1 + c2) / 3.0, (a - 2.0 * c2 + c1) / 3.0];
    let q1 = (a - 2.0 * c1 + c2) / 2.0;
    let stackelberg = [q1, (a - c2 - q1) / 2.0];
    println!("Nash {nash:?}, Stackelberg {stackelberg:?}");

    let steps = 2_000;
    let result = Study::new(
        game,
        Dynamics::two_timescale(
            Schedule::inverse_shifted_power(1.0)
                .exponent(1.0)
                .shift(1.0), // leader 1/(k + 1)
            Schedule::inverse_shifted_power(1.0)
                .exponent(2.0 / 3.0)
                .shift(1.0), // follower 1/(k^(2/3) + 1)
        ),
    )
    .trajectories(2_000)
    .steps(steps)
    .noise(Noise::variance(10.0))
    .init(Init::Point(vec![10.0, 10.0]))
    .seed(1)
    .record(Record::finals().target(stackelberg.to_vec(), 1.0, 100))
    .run::<f64>()?;

    let s = &result.summary;
    let locked = result.lock_in.iter().filter(|l| l.is_some()).count();
    println!(
        "{} of {} trajectories finished; mean final state ({:.3}, {:.3}), std ({:.3}, {:.3}); \
         {locked} stay within 1 of the Stackelberg point by step {steps}",
        s.finished,
        s.trajectories,
        s.mean[0],
        s.mean[1],
        s.covariance[0].sqrt(),
        s.covariance[3].sqrt(),
    );
    assert_eq!(s.finished, 2_000);
    assert!(
        (s.mean[0] - stackelberg[0]).abs() < 0.5 && (s.mean[1] - stackelberg[1]).abs() < 0.5,
        "the mean {:?} is not near the Stackelberg point {stackelberg:?}",
        s.mean
    );
    // and clearly not at Nash (q1 = 33, q2 = 32)
    assert!((s.mean[0] - nash[0]).abs() > 10.0);
    println!("ok: two-timescale Stackelberg learning finds the Stackelberg point, not Nash");
    Ok(())
}
