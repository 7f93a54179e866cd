//! A study's output folder:
//!
//! - `result.json`: the whole `StudyResult` (what `stackel merge` reads);
//! - `summary.txt` and `summary.json`: trajectories by fate, mean and
//!   covariance of the final states;
//! - `final_states.csv`, `.json` and (with `--format parquet`) `.parquet`: per trajectory its index, final state,
//!   fate (and the step it happened) and lock-in step.
//!
//! Every file is written into a temporary folder first and moved in when all
//! are complete (`result.json` last), so an interrupted run leaves no partial
//! file.

use crate::{fail, CliError};
use stackel_runtime::record::Fate;
use stackel_runtime::StudyResult;
use std::fmt::Write as _;
use std::path::Path;

/// An output format besides `result.json`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Comma-separated values.
    Csv,
    /// JSON.
    Json,
    /// Apache Parquet (final states only; one row per trajectory).
    Parquet,
}

impl Format {
    /// `csv,json` -> formats.
    pub fn parse_list(s: &str) -> Result<Vec<Format>, CliError> {
        s.split(',')
            .filter(|t| !t.trim().is_empty())
            .map(|t| match t.trim() {
                "csv" => Ok(Format::Csv),
                "json" => Ok(Format::Json),
                "parquet" => Ok(Format::Parquet),
                other => fail!("--format takes csv, json and parquet, not `{other}`"),
            })
            .collect()
    }
}

/// Writes `contents` to `dir/name`.
fn write_file(dir: &Path, name: &str, contents: &str) -> Result<(), CliError> {
    let to = dir.join(name);
    std::fs::write(&to, contents)
        .map_err(|e| CliError(format!("cannot write {}: {e}", to.display())))
}

/// (fate, step) of a trajectory as text.
pub(crate) fn fate(f: &Fate) -> (&'static str, String) {
    match f {
        Fate::Finished => ("finished", String::new()),
        Fate::Diverged { step } => ("diverged", step.to_string()),
        Fate::NonFinite { step } => ("non-finite", step.to_string()),
        Fate::Singular { step } => ("singular", step.to_string()),
        other => ("other", format!("{other:?}")),
    }
}

/// The basin (index of the nearest `--basin` point) of trajectory j, if
/// basins were counted and it finished.
pub(crate) fn basin(r: &StudyResult, j: usize) -> Option<usize> {
    r.basins.as_ref()?.assignment.get(j).copied().flatten()
}

/// The human-readable summary.
pub fn summary_text(r: &StudyResult) -> String {
    let s = &r.summary;
    let mut t = String::new();
    let _ = writeln!(
        t,
        "trajectories {}..{} ({}), {} steps, {}",
        r.first,
        r.first + r.count,
        r.count,
        r.steps,
        r.precision
    );
    let _ = writeln!(
        t,
        "finished {}, diverged {}, non-finite {}, singular {}, not converged {}",
        s.finished, s.diverged, s.non_finite, s.singular, s.not_converged
    );
    let locked = r.lock_in.iter().filter(|l| l.is_some()).count();
    if !r.lock_in.is_empty() {
        let _ = writeln!(t, "locked in: {locked} of {}", r.count);
    }
    if let Some(b) = &r.basins {
        for (p, c) in b.equilibria.iter().zip(&b.counts) {
            let _ = writeln!(t, "basin of {p:?}: {c}");
        }
    }
    let d = r.coordinates.len();
    // a network has thousands of coordinates: the first few here, all of
    // them in summary.csv / summary.json
    const SHOWN: usize = 24;
    for (i, name) in r.coordinates.iter().enumerate().take(SHOWN) {
        let var = s.covariance.get(i * d + i).copied().unwrap_or(f64::NAN);
        let _ = writeln!(
            t,
            "  {name}: mean {:.6}, std {:.6}",
            s.mean.get(i).copied().unwrap_or(f64::NAN),
            var.sqrt()
        );
    }
    if d > SHOWN {
        let _ = writeln!(t, "  ... {} more coordinates (summary files)", d - SHOWN);
    }
    t
}

/// Writes `result.json` and the files of `formats` into `dir`: all of
/// them into a temporary folder inside `dir` first, then moved in
/// (`result.json` last, so its presence means the folder is complete); on
/// an error the temporary folder is removed and `dir` keeps what it held.
pub fn write_outputs(dir: &Path, r: &StudyResult, formats: &[Format]) -> Result<(), CliError> {
    std::fs::create_dir_all(dir)
        .map_err(|e| CliError(format!("cannot create {}: {e}", dir.display())))?;
    let tmp = dir.join(format!(".partial-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir(&tmp)
        .map_err(|e| CliError(format!("cannot create {}: {e}", tmp.display())))?;
    let written = write_all(&tmp, r, formats).and_then(|names| {
        for name in names {
            std::fs::rename(tmp.join(&name), dir.join(&name)).map_err(|e| {
                CliError(format!("cannot write {}: {e}", dir.join(&name).display()))
            })?;
        }
        Ok(())
    });
    let _ = std::fs::remove_dir_all(&tmp);
    written
}

/// Writes every file into `dir`; returns their names, `result.json` last.
fn write_all(dir: &Path, r: &StudyResult, formats: &[Format]) -> Result<Vec<String>, CliError> {
    let mut names = Vec::new();
    let d = r.coordinates.len();
    for f in formats {
        match f {
            Format::Csv => {
                let mut csv = String::from("trajectory");
                for c in &r.coordinates {
                    let _ = write!(csv, ",{c}");
                }
                csv.push_str(",fate,fate_step,lock_in,basin\n");
                for (j, x) in r.final_states.chunks(d.max(1)).enumerate() {
                    let _ = write!(csv, "{}", r.first + j as u64);
                    for v in x {
                        let _ = write!(csv, ",{v:e}");
                    }
                    let (name, step) = fate(&r.fates[j]);
                    let lock = r
                        .lock_in
                        .get(j)
                        .copied()
                        .flatten()
                        .map(|k| k.to_string())
                        .unwrap_or_default();
                    let basin = basin(r, j).map(|k| k.to_string()).unwrap_or_default();
                    let _ = writeln!(csv, ",{name},{step},{lock},{basin}");
                }
                write_file(dir, "final_states.csv", &csv)?;
                names.push("final_states.csv".to_string());
                let mut summary = String::from("coordinate,mean,variance\n");
                for (i, c) in r.coordinates.iter().enumerate() {
                    let _ = writeln!(
                        summary,
                        "{c},{:e},{:e}",
                        r.summary.mean.get(i).copied().unwrap_or(f64::NAN),
                        r.summary
                            .covariance
                            .get(i * d + i)
                            .copied()
                            .unwrap_or(f64::NAN)
                    );
                }
                write_file(dir, "summary.csv", &summary)?;
                names.push("summary.csv".to_string());
            }
            Format::Parquet => {
                crate::parquet_file::write_final_states(&dir.join("final_states.parquet"), r)?;
                names.push("final_states.parquet".to_string());
            }
            Format::Json => {
                let rows: Vec<serde_json::Value> = r
                    .final_states
                    .chunks(d.max(1))
                    .enumerate()
                    .map(|(j, x)| {
                        let (name, step) = fate(&r.fates[j]);
                        serde_json::json!({
                            "trajectory": r.first + j as u64,
                            "state": x,
                            "fate": name,
                            "fate_step": step.parse::<u64>().ok(),
                            "lock_in": r.lock_in.get(j).copied().flatten(),
                            "basin": basin(r, j),
                        })
                    })
                    .collect();
                let all = serde_json::json!({ "coordinates": r.coordinates, "trajectories": rows });
                write_file(dir, "final_states.json", &serde_json::to_string(&all)?)?;
                names.push("final_states.json".to_string());
                let summary = serde_json::json!({
                    "first": r.first,
                    "count": r.count,
                    "steps": r.steps,
                    "precision": r.precision,
                    "coordinates": r.coordinates,
                    "summary": r.summary,
                    "basins": r.basins,
                    "warnings": r.warnings,
                });
                write_file(
                    dir,
                    "summary.json",
                    &serde_json::to_string_pretty(&summary)?,
                )?;
                names.push("summary.json".to_string());
            }
        }
    }
    write_file(dir, "summary.txt", &summary_text(r))?;
    names.push("summary.txt".to_string());
    // last: its presence means the folder is complete (`--resume`)
    write_file(dir, "result.json", &serde_json::to_string(r)?)?;
    names.push("result.json".to_string());
    Ok(names)
}
