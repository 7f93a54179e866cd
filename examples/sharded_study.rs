//! A study cut into shards (as separate processes or machines would run it),
//! merged with `StudyResult::merge`, and a checkpointed run that is
//! interrupted and resumed. Every random number is a pure function of
//! (seed, trajectory, step, stream), so both give the single run's result
//! bit for bit.
//!
//! Run: `cargo run --release --example sharded_study`

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

fn study() -> Study<Torus> {
    let pi = std::f64::consts::PI;
    Study::new(
        Torus::default(),
        Dynamics::two_timescale(
            Schedule::inverse_shifted_power(1.0)
                .exponent(1.0)
                .shift(1.0),
            Schedule::inverse_shifted_power(1.0)
                .exponent(0.5)
                .shift(1.0),
        ),
    )
    .trajectories(1_200)
    .steps(500)
    .noise(Noise::variance(0.1))
    .init(Init::Box {
        lo: vec![-pi, -pi],
        hi: vec![pi, pi],
    })
    .seed(11)
    .record(Record::finals().paths(250, Some(3)))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let whole = study().run::<f64>()?;
    println!(
        "one run: {} trajectories, circular mean of the final states ({:.4}, {:.4})",
        whole.count, whole.summary.mean[0], whole.summary.mean[1]
    );

    // Four shards, run in any order (here in reverse), then merged.
    let shards = (0..4)
        .rev()
        .map(|i| {
            let r = study().shard(i, 4).run::<f64>()?;
            println!(
                "  shard {i} of 4: trajectories {}..{}",
                r.first,
                r.first + r.count
            );
            Ok(r)
        })
        .collect::<Result<Vec<_>, StudyError>>()?;
    let merged = StudyResult::merge(shards)?;
    assert_eq!(merged, whole, "merged shards differ from the single run");
    println!("merged shards == one run (final states, fates, paths, summary)");

    // A checkpointed run, interrupted: blocks of 200 trajectories are
    // written as they finish; we delete two of them, as if the run had been
    // killed, and resume.
    let dir = std::env::temp_dir().join(format!("stackel-sharded-study-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let first = study().checkpoint(&dir, 200).run::<f64>()?;
    assert_eq!(first, whole);
    let mut blocks: Vec<_> = std::fs::read_dir(&dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("block-"))
        })
        .collect();
    blocks.sort();
    println!(
        "checkpoint folder holds {} blocks; removing the last two",
        blocks.len()
    );
    assert_eq!(blocks.len(), 6);
    for b in &blocks[4..] {
        std::fs::remove_file(b)?;
    }
    let resumed = study().checkpoint(&dir, 200).resume::<f64>()?;
    assert_eq!(
        resumed, whole,
        "the resumed run differs from the single run"
    );
    println!("resumed run == one run");
    std::fs::remove_dir_all(&dir)?;

    // Results of a different study refuse to merge.
    let other = study().seed(12).shard(1, 4).run::<f64>()?;
    let part = study().shard(0, 4).run::<f64>()?;
    assert!(StudyResult::merge(vec![part, other]).is_err());
    println!("ok: shards of different studies do not merge");
    Ok(())
}
