//! `--only mog` end to end at smoke-test size (a few steps, 4 trainings per
//! rule): the figures and summary exist, every end point is classified as
//! one of the three kinds, mode coverage is within 0..=modes, and the study
//! counts add up.

use stackel_paper::{reproduce, Config};

#[test]
fn mog_runs_alone_with_figures_verdicts_and_study() {
    let out = std::env::temp_dir().join(format!("stackel-paper-mog-{}", std::process::id()));
    let cfg = Config {
        out: out.clone(),
        quick: true,
        only: vec!["mog".into()],
        ..Config::default()
    };
    let summary = reproduce(&cfg).expect("the mog experiments run");
    for f in [
        "summary.md",
        "summary.json",
        "mog_diamond.png",
        "mog_diamond.svg",
        "mog_circle.png",
        "mog_circle.svg",
        "mog_study.png",
        "mog_study.svg",
    ] {
        let meta = std::fs::metadata(out.join(f)).unwrap_or_else(|e| panic!("{f}: {e}"));
        assert!(meta.len() > 100, "{f} is nearly empty");
    }
    assert_eq!(summary.sections.len(), 1);
    let sec = &summary.sections[0];
    let kinds = ["Nash", "non-Nash Stackelberg", "neither"];
    for (name, modes) in [("diamond", 4u64), ("circle", 8)] {
        let d = &sec.data[name];
        let runs = d["runs"].as_array().unwrap();
        assert_eq!(runs.len(), 2);
        for r in runs {
            let v = r["verdict"].as_str().unwrap();
            assert!(kinds.contains(&v), "{name}: verdict {v}");
            assert!(r["modes_covered"].as_u64().unwrap() <= modes);
            // one loss pair per checkpoint, all finite at this length
            let losses = r["losses"].as_array().unwrap();
            assert!(losses.len() >= 2);
            for l in losses {
                assert!(l[1].as_f64().unwrap().is_finite() && l[2].as_f64().unwrap().is_finite());
            }
        }
        let studies = d["study"].as_array().unwrap();
        assert_eq!(studies.len(), 2);
        for st in studies {
            let r = st["trajectories"].as_u64().unwrap();
            assert_eq!(r, 4);
            let cov: Vec<u64> = st["coverage"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c.as_u64().unwrap())
                .collect();
            assert_eq!(cov.len() as u64, modes + 1);
            assert_eq!(cov.iter().sum::<u64>(), r);
            let fractions: Vec<f64> = st["kinds"]
                .as_array()
                .unwrap()
                .iter()
                .map(|k| {
                    assert!(kinds.contains(&k[0].as_str().unwrap()));
                    let e = &k[1];
                    let (v, lo, hi) = (
                        e["value"].as_f64().unwrap(),
                        e["lo"].as_f64().unwrap(),
                        e["hi"].as_f64().unwrap(),
                    );
                    assert!(lo <= v && v <= hi, "{e}");
                    v
                })
                .collect();
            assert!((fractions.iter().sum::<f64>() - 1.0).abs() < 1e-12);
            assert!(st["steps_per_second"].as_f64().unwrap() > 0.0);
        }
    }
    let md = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(
        md.contains("60000") && md.contains("GPU"),
        "lengths and the GPU note are stated"
    );
    std::fs::remove_dir_all(&out).ok();
}
