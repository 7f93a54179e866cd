//! The `stackel` binary, run as a user runs it: every command on the paper
//! games, shards merged bit for bit, resume, and bad input (a clear message,
//! a non-zero exit code, no output file).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn stackel(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_stackel"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn ok(args: &[&str]) -> String {
    let o = stackel(args);
    assert!(
        o.status.success(),
        "stackel {args:?} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

fn game(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../games")
        .join(name)
        .display()
        .to_string()
}

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("stackel-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn result(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("result.json")).unwrap()).unwrap()
}

/// The duopoly study of the README: two-timescale, noise variance 10.
fn study_args<'a>(out: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut a = vec![
        "study",
        "--rule",
        "two-timescale",
        "--leader-rate",
        "1,11,1",
        "--follower-rate",
        "1,11,0.6666667",
        "--trajectories",
        "400",
        "--steps",
        "1500",
        "--noise",
        "10",
        "--init-box",
        "5,60",
        "--seed",
        "7",
        "--out",
        out,
    ];
    a.extend_from_slice(extra);
    a
}

#[test]
fn check_describes_every_paper_game() {
    for (file, name) in [
        ("duopoly.stk", "Duopoly"),
        ("torus.stk", "Torus"),
        ("example1.stk", "ZeroSumExample1"),
        ("covariance3.stk", "Covariance3"),
    ] {
        let out = ok(&["check", &game(file)]);
        assert!(out.contains(&format!("ok: game {name}")), "{out}");
        assert!(out.contains("compiles to native code"), "{out}");
    }
}

#[test]
fn formulas_are_the_closed_forms() {
    let out = ok(&["formulas", &game("duopoly.stk")]);
    // D1 f1 = -(a - 2 q1 - q2 - c1): its entry names q1 and q2
    let d1f1 = out
        .lines()
        .skip_while(|l| !l.starts_with("D1f1"))
        .nth(1)
        .unwrap();
    assert!(d1f1.contains("q1") && d1f1.contains("q2"), "{d1f1}");
    let d22f2 = out
        .lines()
        .skip_while(|l| !l.starts_with("D22f2"))
        .nth(1)
        .unwrap();
    assert!(d22f2.trim().ends_with("= 2"), "{d22f2}");
}

fn points(report: &serde_json::Value) -> Vec<Vec<f64>> {
    report["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            p["x"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap())
                .collect()
        })
        .collect()
}

#[test]
fn equilibria_of_the_duopoly_are_the_closed_forms() {
    let out = ok(&[
        "equilibria",
        &game("duopoly.stk"),
        "--box",
        "0,100",
        "--grid",
        "3",
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    // Nash: q1 = (a - 2 c1 + c2) / 3, q2 = (a - 2 c2 + c1) / 3
    let nash = points(&v[0]);
    assert_eq!(nash.len(), 1);
    assert!((nash[0][0] - 92.0 / 3.0).abs() < 1e-9 && (nash[0][1] - 101.0 / 3.0).abs() < 1e-9);
    // Stackelberg: q1 = (a - 2 c1 + c2) / 2 = 46, q2 = (a - q1 - c2) / 2 = 26
    let stack = points(&v[1]);
    assert_eq!(stack.len(), 1);
    assert!((stack[0][0] - 46.0).abs() < 1e-9 && (stack[0][1] - 26.0).abs() < 1e-9);
    // a param set on the command line: a = 110 gives (51, 28.5)
    let out = ok(&[
        "equilibria",
        &game("duopoly.stk"),
        "--box",
        "0,100",
        "--grid",
        "3",
        "--field",
        "stackelberg",
        "--json",
        "--param",
        "a=110",
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let p = points(&v[0]);
    assert!(
        (p[0][0] - 51.0).abs() < 1e-9 && (p[0][1] - 28.5).abs() < 1e-9,
        "{p:?}"
    );
}

#[test]
fn four_shards_merged_are_the_whole_study_bit_for_bit() {
    let whole = scratch("whole");
    ok(&study_args(whole.to_str().unwrap(), &[]).insert_game(&game("duopoly.stk")));
    let mut dirs = Vec::new();
    for i in 0..4 {
        let d = scratch(&format!("shard{i}"));
        let shard = format!("{i}/4");
        ok(&study_args(d.to_str().unwrap(), &["--shard", &shard])
            .insert_game(&game("duopoly.stk")));
        dirs.push(d);
    }
    let merged = scratch("merged");
    let mut args = vec!["merge".to_string(), merged.display().to_string()];
    args.extend(dirs.iter().map(|d| d.display().to_string()));
    ok(&args.iter().map(|s| s.as_str()).collect::<Vec<_>>());
    let (a, b) = (result(&whole), result(&merged));
    assert_eq!(a, b, "the merged shards differ from the whole study");
    assert_eq!(a["count"], 400);
    // the CSV of the merged study is the whole study's, byte for byte
    let csv = |d: &Path| std::fs::read_to_string(d.join("final_states.csv")).unwrap();
    assert_eq!(csv(&whole), csv(&merged));
    // the Parquet file holds the same rows as the CSV (with lock-in and basins)
    let pq = scratch("parquet");
    ok(&study_args(
        pq.to_str().unwrap(),
        &[
            "--format",
            "csv,json,parquet",
            "--target",
            "46,26",
            "--eps",
            "2",
            "--basin",
            "46,26",
        ],
    )
    .insert_game(&game("duopoly.stk")));
    let lock_in = result(&pq)["lock_in"].clone();
    let file = std::fs::File::open(pq.join("final_states.parquet")).unwrap();
    let reader = parquet::file::reader::SerializedFileReader::new(file).unwrap();
    let rows: Vec<parquet::record::Row> =
        parquet::file::reader::FileReader::get_row_iter(&reader, None)
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
    assert_eq!(rows.len(), 400);
    use parquet::record::RowAccessor;
    let states = a["final_states"].as_array().unwrap();
    for (j, row) in rows.iter().enumerate() {
        assert_eq!(row.get_long(0).unwrap(), j as i64);
        assert_eq!(row.get_double(1).unwrap(), states[2 * j].as_f64().unwrap());
        assert_eq!(
            row.get_double(2).unwrap(),
            states[2 * j + 1].as_f64().unwrap()
        );
        assert_eq!(row.get_string(3).unwrap(), "finished");
        assert_eq!(
            row.get_long(5).unwrap() as u64,
            lock_in[j].as_u64().unwrap()
        );
        assert_eq!(row.get_long(6).unwrap(), 0);
    }
    // and the study lands near the Stackelberg point (46, 26)
    let mean = &a["summary"]["mean"];
    assert!((mean[0].as_f64().unwrap() - 46.0).abs() < 1.0, "{mean}");
    assert!((mean[1].as_f64().unwrap() - 26.0).abs() < 1.0, "{mean}");
}

trait InsertGame<'a> {
    fn insert_game(self, g: &'a str) -> Vec<&'a str>;
}

impl<'a> InsertGame<'a> for Vec<&'a str> {
    /// The study arguments with the game file after `study`.
    fn insert_game(mut self, g: &'a str) -> Vec<&'a str> {
        self.insert(1, g);
        self
    }
}

#[test]
fn resume_skips_a_complete_study_and_reruns_a_different_one() {
    let d = scratch("resume");
    let dir = d.to_str().unwrap().to_string();
    let g = game("duopoly.stk");
    ok(&study_args(&dir, &["--f32"]).insert_game(&g));
    let first = result(&d);
    assert_eq!(first["precision"], "f32");
    let o = stackel(&study_args(&dir, &["--f32", "--resume"]).insert_game(&g));
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("complete"));
    assert_eq!(result(&d), first);
    // another seed is another study: it runs
    let mut args = study_args(&dir, &["--f32", "--resume"]).insert_game(&g);
    let k = args.iter().position(|a| *a == "--seed").unwrap();
    args[k + 1] = "8";
    ok(&args);
    assert_ne!(result(&d)["final_states"], first["final_states"]);
}

#[test]
fn lock_in_and_basins_are_recorded() {
    let d = scratch("lock");
    let dir = d.to_str().unwrap().to_string();
    let g = game("duopoly.stk");
    // basins of the Stackelberg point (46, 26) and of the Nash point
    // (30.67, 33.67): every trajectory of the Stackelberg rule ends in the first
    ok(&study_args(
        &dir,
        &[
            "--target",
            "46,26",
            "--eps",
            "2",
            "--basin",
            "46,26",
            "--basin",
            "30.67,33.67",
        ],
    )
    .insert_game(&g));
    let r = result(&d);
    assert_eq!(r["basins"]["counts"], serde_json::json!([400, 0]));
    let csv = std::fs::read_to_string(d.join("final_states.csv")).unwrap();
    assert!(csv.lines().next().unwrap().ends_with(",lock_in,basin"));
    // every trajectory locks in at some step (the noise is small late)
    let locked: Vec<u64> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(5).unwrap().parse().unwrap())
        .collect();
    assert_eq!(locked.len(), 400);
    assert!(locked.iter().all(|&k| k <= 1500));
    assert!(csv.lines().skip(1).all(|l| l.ends_with(",0")));
    let summary = std::fs::read_to_string(d.join("summary.txt")).unwrap();
    assert!(summary.contains("locked in: 400 of 400"), "{summary}");
    // no temporary folder is left behind
    let names: Vec<String> = std::fs::read_dir(&d)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.starts_with('.')), "{names:?}");
    // a target of the wrong length is refused
    let o = stackel(&study_args(&dir, &["--target", "46"]).insert_game(&g));
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn bad_input_is_a_clear_message_and_no_output() {
    let bad = scratch("bad-game");
    std::fs::create_dir_all(&bad).unwrap();
    let file = bad.join("bad.stk");
    std::fs::write(
        &file,
        "game G {\n    leader x;\n    follower y;\n    cost x = x * z;\n    cost y = y * y;\n}\n",
    )
    .unwrap();
    let o = stackel(&["check", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("bad.stk:4:18") && err.contains("unknown name `z`"),
        "{err}"
    );

    let o = stackel(&["check", "/no/such/game.stk"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("cannot read"));

    // a flag clap does not know: usage error, exit code 2
    let o = stackel(&["study", &game("duopoly.stk"), "--no-such-flag"]);
    assert_eq!(o.status.code(), Some(2));

    // invalid values: exit code 1, the output folder is never created
    let out = scratch("never");
    let g = game("duopoly.stk");
    for extra in [
        vec!["--rule", "gradient-ascent"],
        vec!["--init", "1,2,3"],
        vec!["--shard", "4/4"],
        vec!["--leader-rate", "1,11"],
        vec!["--param", "b=3"],
        vec!["--noise", "-1"],
    ] {
        let mut args = study_args(out.to_str().unwrap(), &[]).insert_game(&g);
        for pair in extra.chunks(2) {
            match args.iter().position(|a| *a == pair[0]) {
                Some(k) => args[k + 1] = pair[1],
                None => args.extend_from_slice(pair),
            }
        }
        if extra[0] == "--init" {
            let k = args.iter().position(|a| *a == "--init-box").unwrap();
            args.drain(k..k + 2);
        }
        let o = stackel(&args);
        assert_eq!(
            o.status.code(),
            Some(1),
            "{extra:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(!String::from_utf8_lossy(&o.stderr).is_empty());
        assert!(!out.exists(), "{extra:?} left an output folder");
    }
}

/// The covariance game at m = 15 (450 coordinates): past the size at which
/// the compiler unrolls, so it takes the loop form, from a file as from the
/// macro.
fn covariance15() -> String {
    let text = std::fs::read_to_string(game("covariance3.stk"))
        .unwrap()
        .replace("const M = 3", "const M = 15")
        .replace(" = [[1, 0, 0], [0, 1, 0], [0, 0, 1]]", "");
    let dir = scratch("cov15");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("covariance15.stk");
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

/// `--param` setting the m = 15 game's sigma to the identity.
fn identity_sigma() -> String {
    let entries: Vec<&str> = (0..225)
        .map(|k| if k % 16 == 0 { "1" } else { "0" })
        .collect();
    format!("sigma={}", entries.join(","))
}

/// Simultaneous play on the m = 15 game from near the origin, with sigma
/// set with `--param` ([`identity_sigma`]).
fn covariance15_study<'a>(
    g: &'a str,
    out: &'a str,
    sigma: &'a str,
    extra: &[&'a str],
) -> Vec<&'a str> {
    let mut a = vec![
        "study",
        g,
        "--rule",
        "simultaneous",
        "--rate",
        "0.05,1,0",
        "--trajectories",
        "16",
        "--steps",
        "200",
        "--noise",
        "0.0001",
        "--init-box",
        "-0.1,0.1",
        "--seed",
        "3",
        "--param",
        sigma,
        "--out",
        out,
    ];
    a.extend_from_slice(extra);
    a
}

#[test]
fn a_game_too_large_to_unroll_runs_in_the_loop_form() {
    let g = covariance15();
    let out = ok(&["check", &g]);
    assert!(out.contains("in the loop form"), "{out}");
    assert!(
        out.contains("param sigma (225 entries), no default"),
        "{out}"
    );
    let f = ok(&["formulas", &g]);
    assert!(
        f.contains("D2f1(w)[a,b] = sigma[a,b] - sum(i in 0..15) v[a,i]*v[b,i]"),
        "{f}"
    );
    let dir = scratch("cov15-study");
    let sigma = identity_sigma();
    ok(&covariance15_study(&g, dir.to_str().unwrap(), &sigma, &[]));
    let r = result(&dir);
    let fin = r["final_states"].as_array().unwrap();
    assert_eq!(fin.len(), 16 * 450);
    assert!(fin.iter().all(|v| v.as_f64().unwrap().is_finite()));
}

/// The circle GAN's data flags: the 8 modes on the unit circle.
fn circle_data() -> String {
    let means: Vec<String> = (0..8)
        .map(|k| {
            let w = k as f64 * std::f64::consts::FRAC_PI_4;
            format!("{},{}", w.sin(), w.cos())
        })
        .collect();
    format!("x=mixture:0.3:{}", means.join(";"))
}

#[test]
fn a_gan_with_data_inputs_trains_from_text() {
    let g = game("mog_circle.stk");
    let out = ok(&["check", &g]);
    assert!(out.contains("in the tape form"), "{out}");
    assert!(out.contains("data x (512 entries)"), "{out}");
    let f = ok(&["formulas", &g]);
    assert!(f.contains("let h1[") && f.contains("cost gen ="), "{f}");
    let data = circle_data();
    let run = |dir: &Path, rule: &[&str], extra: &[&str]| {
        let mut a = vec!["study", &g];
        a.extend_from_slice(rule);
        a.extend_from_slice(&[
            "--trajectories",
            "2",
            "--steps",
            "3",
            "--init-kaiming",
            "--adam",
            "--data",
            &data,
            "--data",
            "z=normal",
            "--seed",
            "5",
            "--out",
            dir.to_str().unwrap(),
        ]);
        a.extend_from_slice(extra);
        stackel(&a)
    };
    let simultaneous = ["--rule", "simultaneous", "--rate", "4e-4,1,0"];
    let (a, b) = (scratch("gan-a"), scratch("gan-b"));
    for dir in [&a, &b] {
        let o = run(dir, &simultaneous, &["--f32"]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let (ra, rb) = (result(&a), result(&b));
    let fin = ra["final_states"].as_array().unwrap();
    assert_eq!(fin.len(), 2 * (1666 + 129));
    assert!(fin.iter().all(|v| v.as_f64().unwrap().is_finite()));
    assert_eq!(
        ra["final_states"], rb["final_states"],
        "same seed, same training"
    );
    // the regularised Stackelberg leader update (matrix-free follower solve)
    let c = scratch("gan-stackelberg");
    let stackelberg = [
        "--rule",
        "two-timescale",
        "--leader-rate",
        "1e-4,1,0",
        "--follower-rate",
        "1e-4,1,0",
        "--eta",
        "1",
    ];
    let o = run(&c, &stackelberg, &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let fin = result(&c)["final_states"].as_array().unwrap().clone();
    assert!(fin.iter().all(|v| v.as_f64().unwrap().is_finite()));
    // bad data flags: a clear error and no output
    let d = scratch("gan-bad-data");
    for (data, message) in [
        (&["z=normal"][..], "data input `x` has no sampler"),
        (&["x=mixture:-1:0,1", "z=normal"], "variance must be"),
    ] {
        let mut a = vec!["study", &g, "--rule", "simultaneous", "--rate", "4e-4,1,0"];
        a.extend(["--init-kaiming", "--out", d.to_str().unwrap()]);
        for spec in data {
            a.extend(["--data", spec]);
        }
        let o = stackel(&a);
        assert!(!o.status.success());
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(message), "{err}");
        assert!(!d.join("result.json").exists());
    }
}

#[cfg(feature = "gpu")]
#[test]
fn a_loop_form_gpu_study_agrees_with_the_cpu_study() {
    // the loop-form WGSL module of a game read from a file, on lavapipe in CI
    let g = covariance15();
    let sigma = identity_sigma();
    let (cpu, gpu) = (scratch("cov15-cpu"), scratch("cov15-gpu"));
    ok(&covariance15_study(
        &g,
        cpu.to_str().unwrap(),
        &sigma,
        &["--f32"],
    ));
    ok(&covariance15_study(
        &g,
        gpu.to_str().unwrap(),
        &sigma,
        &["--f32", "--gpu"],
    ));
    let (a, b) = (result(&cpu), result(&gpu));
    let (a, b) = (
        a["final_states"].as_array().unwrap(),
        b["final_states"].as_array().unwrap(),
    );
    assert_eq!(a.len(), b.len());
    let worst = a
        .iter()
        .zip(b)
        .map(|(x, y)| (x.as_f64().unwrap() - y.as_f64().unwrap()).abs())
        .fold(0.0, f64::max);
    assert!(worst < 1e-4, "f32 GPU vs CPU: worst difference {worst}");
}

/// Worst absolute difference between the final states of two results.
#[cfg(feature = "gpu")]
fn worst_difference(a: &Path, b: &Path) -> f64 {
    let (a, b) = (result(a), result(b));
    let (a, b) = (
        a["final_states"].as_array().unwrap(),
        b["final_states"].as_array().unwrap(),
    );
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x.as_f64().unwrap() - y.as_f64().unwrap()).abs())
        .fold(0.0, f64::max)
}

#[cfg(feature = "gpu")]
#[test]
fn a_long_gpu_study_of_many_coordinates_agrees_with_the_cpu_study() {
    // lavapipe ends a shader function's loops after 65 535 trips in all: a
    // 120-coordinate game (unrolled) for 600 steps needs several dispatches
    let text = "game Coupled { leader x: [60]; follower y: [60];
        cost x = sum(i in 0..60) (x[i] - 1)^2 + sum(i in 0..60) x[i] * y[i];
        cost y = sum(i in 0..60) (y[i] - 0.5 * x[i])^2; }";
    let dir = scratch("coupled");
    std::fs::create_dir_all(&dir).unwrap();
    let g = dir.join("coupled.stk");
    std::fs::write(&g, text).unwrap();
    let g = g.display().to_string();
    let (cpu, gpu) = (scratch("coupled-cpu"), scratch("coupled-gpu"));
    for (out, extra) in [(&cpu, &["--f32"][..]), (&gpu, &["--f32", "--gpu"][..])] {
        let mut a = vec![
            "study",
            &g,
            "--rule",
            "simultaneous",
            "--rate",
            "0.01,1,0",
            "--trajectories",
            "8",
            "--steps",
            "600",
            "--init-box",
            "-1,1",
            "--seed",
            "5",
            "--out",
        ];
        a.push(out.to_str().unwrap());
        a.extend_from_slice(extra);
        ok(&a);
    }
    let worst = worst_difference(&cpu, &gpu);
    assert!(worst < 1e-4, "f32 GPU vs CPU: worst difference {worst}");
}

#[cfg(feature = "gpu")]
#[test]
fn a_gpu_study_agrees_with_the_cpu_study() {
    // CI has lavapipe: the GPU engine must run here
    let g = game("duopoly.stk");
    let (cpu, gpu) = (scratch("cpu"), scratch("gpu"));
    ok(&study_args(cpu.to_str().unwrap(), &["--f32"]).insert_game(&g));
    ok(&study_args(gpu.to_str().unwrap(), &["--f32", "--gpu"]).insert_game(&g));
    let (a, b) = (result(&cpu), result(&gpu));
    let (a, b) = (
        a["final_states"].as_array().unwrap(),
        b["final_states"].as_array().unwrap(),
    );
    let worst = a
        .iter()
        .zip(b)
        .map(|(x, y)| {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            (x - y).abs() / x.abs().max(1.0)
        })
        .fold(0.0, f64::max);
    assert!(
        worst < 1e-4,
        "f32 GPU vs CPU: worst relative difference {worst}"
    );
}
