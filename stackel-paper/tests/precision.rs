//! `--only precision` end to end at smoke-test size: the audit and stall rows
//! of every paper game, with the numbers the module's model predicts.

use stackel_paper::{reproduce, Config};

#[test]
fn precision_section_audits_every_paper_game_and_finds_the_duopoly_stall() {
    let out = std::env::temp_dir().join(format!("stackel-paper-precision-{}", std::process::id()));
    let cfg = Config {
        out: out.clone(),
        quick: true,
        only: vec!["precision".into()],
        ..Config::default()
    };
    let summary = reproduce(&cfg).expect("the precision section runs");
    assert_eq!(summary.sections.len(), 1);
    let rows = &summary.sections[0].rows;
    let audits: Vec<_> = rows
        .iter()
        .filter(|r| r.quantity.ends_with("f32 error of the blocks"))
        .collect();
    assert_eq!(audits.len(), 4, "{rows:#?}");
    // the duopoly is quadratic: its blocks keep nearly all of f32's bits
    assert!(audits[0].quantity.starts_with("Duopoly"));
    assert!(
        audits[0].note.starts_with("f32 trustworthy"),
        "{}",
        audits[0].note
    );
    // each names the subexpression that cancels the most, from the game's source
    assert!(
        audits.iter().all(|r| r.note.contains("most cancelling: `")),
        "{audits:#?}"
    );
    // the Stackelberg run's leader stalls first, at q1 = 46, near k = 1.1e6:
    // gamma_k = 1/(k + 1) times the median |sigma z| = 0.6745 sqrt(10) below 2^-19
    let stall = rows
        .iter()
        .find(|r| r.quantity == "duopoly, Stackelberg dynamics at (46, 26): f32 stall")
        .expect("the duopoly Stackelberg stall row");
    assert!(
        stall.measured.starts_with("q1 = 46.0000 stalls at k = "),
        "{}",
        stall.measured
    );
    let k: f64 = stall.measured["q1 = 46.0000 stalls at k = ".len()..]
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let predicted = 0.674_489_75 * 10f64.sqrt() / 2f64.powi(-19) - 1.0;
    assert!((k / predicted - 1.0).abs() < 1e-3, "{k} vs {predicted}");
    assert!(summary.sections[0]
        .rows
        .iter()
        .all(|r| !r.measured.is_empty()));
    std::fs::remove_dir_all(&out).ok();
}
