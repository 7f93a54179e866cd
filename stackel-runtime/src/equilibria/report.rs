//! Found and classified critical points as a text table and as JSON.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use super::{
    classify, find_critical_points, Classification, ClassifyOptions, EquilibriumError, Failure,
    Field, FindOptions, Found,
};
use crate::game::Game;

/// Critical points of one field of one game, each classified, plus the
/// failed solves. `Display` prints a table; [`EquilibriumReport::to_json`]
/// the same data as JSON.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EquilibriumReport {
    /// The game's name.
    pub game: String,
    /// Names of the flat-state entries (`q1`, `v[0,2]`, ...).
    pub coordinates: Vec<String>,
    /// Leader first, then the followers.
    pub players: Vec<String>,
    /// The field whose zeros were sought.
    pub field: Field,
    /// How many starts the finder ran.
    pub starts: usize,
    /// The finder's options.
    pub find_options: FindOptions,
    /// The classifier's options.
    pub classify_options: ClassifyOptions,
    /// The distinct critical points found, each classified.
    pub points: Vec<Classification>,
    /// How many starts reached each point (same order as `points`).
    pub hits: Vec<usize>,
    /// Whether each point lies outside [`FindOptions::bounds`] (same order
    /// as `points`; all false without bounds).
    pub outside: Vec<bool>,
    /// Converged solves dropped because they ended outside the bounds.
    pub dropped_outside: usize,
    /// Failed solves per reason.
    pub failure_counts: BTreeMap<String, usize>,
    /// Every failed solve, with its start and reason.
    pub failures: Vec<Failure>,
}

impl EquilibriumReport {
    /// Classifies every point of `found`. Points of a regularised field
    /// `Field::Stackelberg { eta }` are classified with that eta (it
    /// replaces `classify_options.eta`), so "critical" means critical for the
    /// field that was solved.
    pub fn new<G: Game>(
        g: &G,
        found: &Found,
        find_options: &FindOptions,
        classify_options: &ClassifyOptions,
    ) -> Result<Self, EquilibriumError> {
        let info = g.info();
        let classify_options = &ClassifyOptions {
            eta: match found.field {
                Field::Stackelberg { eta } => eta,
                Field::Simultaneous => classify_options.eta,
            },
            ..*classify_options
        };
        let points = found
            .points
            .iter()
            .map(|p| classify(g, &p.x, classify_options))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(EquilibriumReport {
            game: info.name.to_string(),
            coordinates: (0..g.n()).map(|k| info.coordinate_name(k)).collect(),
            players: info.players().map(|p| p.name.to_string()).collect(),
            field: found.field,
            starts: found.starts,
            find_options: find_options.clone(),
            classify_options: *classify_options,
            points,
            hits: found.points.iter().map(|p| p.hits).collect(),
            outside: found.points.iter().map(|p| p.outside).collect(),
            dropped_outside: found.dropped_outside,
            failure_counts: found
                .failure_counts()
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
            failures: found.failures.clone(),
        })
    }

    /// [`find_critical_points`] then [`EquilibriumReport::new`].
    pub fn find<G: Game>(
        g: &G,
        field: Field,
        starts: &[Vec<f64>],
        find_options: &FindOptions,
        classify_options: &ClassifyOptions,
    ) -> Result<Self, EquilibriumError> {
        let found = find_critical_points(g, field, starts, find_options)?;
        Self::new(g, &found, find_options, classify_options)
    }

    /// The report as pretty-printed JSON (non-finite numbers become `null`).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a report holds only serialisable data")
    }
}

fn join<T: fmt::Display>(v: &[T]) -> String {
    v.iter()
        .map(|e| format!("{e}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn join_f(v: &[f64]) -> String {
    v.iter()
        .map(|e| format!("{e:.4e}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl fmt::Display for EquilibriumReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let field = match self.field {
            Field::Simultaneous => "omega (simultaneous play)".to_string(),
            Field::Stackelberg { eta: 0.0 } => "omega_S (Stackelberg)".to_string(),
            Field::Stackelberg { eta } => format!("omega_S (Stackelberg, eta = {eta})"),
        };
        let failed: usize = self.failure_counts.values().sum();
        writeln!(
            f,
            "{}: critical points of {field} from {} starts: {} distinct, {failed} failed solves",
            self.game,
            self.starts,
            self.points.len()
        )?;
        for (reason, count) in &self.failure_counts {
            writeln!(f, "  failed: {count} x {reason}")?;
        }
        if self.dropped_outside > 0 {
            writeln!(
                f,
                "  dropped: {} solves ended outside the bounds",
                self.dropped_outside
            )?;
        }
        let w = 11;
        write!(f, "{:>3} ", "#")?;
        for c in &self.coordinates {
            write!(f, "{c:>w$} ")?;
        }
        write!(f, "{:>9} {:>5} ", "|field|", "hits")?;
        write!(
            f,
            "{:>6} {:>6} {:>6} {:>6} {:>6} {:>8} ",
            "Nash", "Stack", "st(J)", "st(JS)", "st(2T)", "non-Nash"
        )?;
        for p in &self.players {
            write!(f, "{:>w$} ", format!("f({p})"))?;
        }
        writeln!(f)?;
        for (i, (p, hits)) in self.points.iter().zip(&self.hits).enumerate() {
            write!(f, "{i:>3} ")?;
            for v in &p.x {
                write!(f, "{v:>w$.5} ")?;
            }
            let res = match self.field {
                Field::Simultaneous => p.omega_residual,
                Field::Stackelberg { .. } => p.omega_s_residual.unwrap_or(f64::NAN),
            };
            write!(f, "{res:>9.1e} {hits:>5} ")?;
            write!(
                f,
                "{:>6} {:>6} {:>6} {:>6} {:>6} {:>8} ",
                p.differential_nash,
                p.differential_stackelberg,
                p.stable_simultaneous,
                p.stable_stackelberg,
                p.stable_two_timescale,
                p.non_nash_attractor
            )?;
            for c in &p.costs {
                write!(f, "{c:>w$.5} ")?;
            }
            writeln!(f)?;
        }
        for (i, p) in self.points.iter().enumerate() {
            let s = &p.spectra;
            let tag = if self.outside.get(i) == Some(&true) {
                " (outside the bounds)"
            } else {
                ""
            };
            writeln!(f, "point {i}:{tag}")?;
            writeln!(f, "  spec J        = [{}]", join(&s.j))?;
            match &s.j_s {
                Some(js) => writeln!(f, "  spec J_S      = [{}]", join(js))?,
                None => writeln!(f, "  spec J_S      = undefined (singular D22 f2)")?,
            }
            writeln!(f, "  spec D11 f1   = [{}]", join_f(&s.d11f1))?;
            writeln!(f, "  spec D22 f2   = [{}]", join(&s.d22f2))?;
            match &s.stackelberg_hessian {
                Some(h) => writeln!(f, "  spec Stack. H = [{}]", join_f(h))?,
                None => writeln!(f, "  spec Stack. H = undefined (singular D22 f2)")?,
            }
            if let Some(h) = &s.stackelberg_hessian_unsymmetrised {
                writeln!(f, "  spec Stack. H (unsymmetrised) = [{}]", join(h))?;
            }
            writeln!(f, "  scale S       = {:.4e}", s.scale)?;
            if !p.degenerate.is_empty() {
                writeln!(f, "  degenerate: {:?}", p.degenerate)?;
            }
        }
        Ok(())
    }
}
