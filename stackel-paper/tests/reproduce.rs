//! The main job end to end at smoke-test size: every figure and summary file
//! is produced, and the numbers that have an independent reference (closed
//! forms, the paper's equilibria, the classification) agree with it.

use stackel_paper::{reproduce, Config};

#[test]
fn reproduces_every_experiment_with_its_files_and_checked_numbers() {
    let out = std::env::temp_dir().join(format!("stackel-paper-test-{}", std::process::id()));
    let cfg = Config {
        out: out.clone(),
        seeds: 300,
        quick: true,
        // the mixture-of-Gaussians GANs have their own end-to-end test (tests/mog.rs)
        only: ["duopoly", "torus", "example1", "covariance"]
            .map(String::from)
            .to_vec(),
        ..Config::default()
    };
    let summary = reproduce(&cfg).expect("the reproduction runs");

    for f in [
        "summary.md",
        "summary.json",
        "duopoly.png",
        "duopoly.svg",
        "duopoly_lock_in.png",
        "duopoly_lock_in.svg",
        "torus.png",
        "torus.svg",
        "torus_lock_in.png",
        "torus_lock_in.svg",
        "torus_equilibria.txt",
        "example1.png",
        "example1.svg",
        "example1_lock_in.png",
        "example1_lock_in.svg",
        "example1_equilibria.txt",
        "covariance.png",
        "covariance.svg",
    ] {
        let meta = std::fs::metadata(out.join(f)).unwrap_or_else(|e| panic!("{f}: {e}"));
        assert!(meta.len() > 100, "{f} is nearly empty");
    }
    let svg = std::fs::read_to_string(out.join("torus.svg")).unwrap();
    assert!(svg.contains("theta1 (leader)") && svg.contains("Stackelberg equilibria"));

    // Every row with a reference agrees with it.
    let bad: Vec<_> = summary
        .disagreements()
        .into_iter()
        .map(|(s, r)| format!("[{s}] {}: {} vs {:?}", r.quantity, r.measured, r.reference))
        .collect();
    assert!(bad.is_empty(), "disagreements: {bad:#?}");
    let checked = summary
        .sections
        .iter()
        .flat_map(|s| &s.rows)
        .filter(|r| r.agrees.is_some())
        .count();
    assert!(
        checked >= 12,
        "only {checked} rows were checked against a reference"
    );

    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let titles: Vec<&str> = json["sections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles.len(), 4, "{titles:?}");
    std::fs::remove_dir_all(&out).ok();
}
