//! A study's results as CSV and JSON, for plotting elsewhere: one row per
//! trajectory (`finals.csv`), the recorded paths (`paths.csv`), and the
//! whole result as JSON (`result.json`, read back here with
//! `StudyResult::from_json`).
//!
//! Run: `cargo run --release --example export -- [OUT_DIR]` (default: a
//! folder in the system's temp dir).

use std::path::PathBuf;

use clap::Parser;
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

/// Writes a duopoly study as CSV and JSON.
#[derive(Parser)]
struct Args {
    /// Folder to write into (created if missing).
    out: Option<PathBuf>,
    /// Number of trajectories.
    #[arg(long, default_value_t = 200)]
    trajectories: u64,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let out = args.out.unwrap_or_else(|| {
        std::env::temp_dir().join(format!("stackel-export-{}", std::process::id()))
    });
    std::fs::create_dir_all(&out)?;

    let result = Study::new(
        Duopoly::default(),
        Dynamics::two_timescale(
            Schedule::inverse_power(1.0).offset(11.0).exponent(1.0),
            Schedule::inverse_power(1.0)
                .offset(11.0)
                .exponent(2.0 / 3.0),
        ),
    )
    .trajectories(args.trajectories)
    .steps(1_000)
    .noise(Noise::variance(10.0))
    .init(Init::Box {
        lo: vec![0.0, 0.0],
        hi: vec![60.0, 60.0],
    })
    .seed(5)
    .record(
        Record::finals()
            .paths(100, Some(5))
            .target(vec![46.0, 26.0], 2.0, 100),
    )
    .run::<f64>()?;

    let finals = out.join("finals.csv");
    result.write_csv(std::fs::File::create(&finals)?)?;
    let paths = out.join("paths.csv");
    result.write_paths_csv(std::fs::File::create(&paths)?)?;
    let json = out.join("result.json");
    std::fs::write(&json, result.to_json()?)?;
    for f in [&finals, &paths, &json] {
        println!(
            "wrote {} ({} bytes)",
            f.display(),
            std::fs::metadata(f)?.len()
        );
    }

    // The files say what the result says.
    let text = std::fs::read_to_string(&finals)?;
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().ok_or("empty CSV")?.split(',').collect();
    println!("finals.csv columns: {}", header.join(", "));
    assert_eq!(
        &header[..5],
        ["trajectory", "fate", "fate_step", "q1", "q2"]
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len() as u64, args.trajectories);
    for (i, row) in rows.iter().enumerate() {
        for (c, v) in row[3..5].iter().enumerate() {
            assert_eq!(v.parse::<f64>()?, result.final_state(i)[c], "row {i}");
        }
    }
    let back = StudyResult::from_json(&std::fs::read_to_string(&json)?)?;
    assert_eq!(back, result, "JSON round trip");
    let path_rows = std::fs::read_to_string(&paths)?.lines().count() - 1;
    assert_eq!(
        path_rows,
        5 * 11,
        "5 trajectories x 11 records (k = 0, 100, ..., 1000)"
    );
    println!("ok: CSV rows and the JSON round trip equal the result");
    Ok(())
}
