//! NaN and infinities traced to the DSL source.
//!
//! [`trace_nonfinite`] evaluates a game's derivative blocks with its
//! generated code at a state (a trajectory's last finite state), finds the
//! first non-finite block entry (D1f1, D2f2, D2f1, D22f2, D21f2, D11f1,
//! D12f1, D22f1 in that order, entries row-major), then re-evaluates the
//! cost behind that entry with the source interpreter ([`crate::source`])
//! on [`Tangent`] numbers seeded along the entry's coordinates: the first
//! subexpression instance, in evaluation order, whose value or derivative
//! is not finite is where the NaN or infinity was born (its operands,
//! evaluated before it, are finite). The trace names it with its place in
//! the user's file and its operands' values:
//!
//! ```text
//! D1f1[0] is NaN: `ln(q1 - q2)` at tests/trace.rs:7:18 has argument -0.3
//! ```
//!
//! Entry (a, b) of a second-order block D_ij f is `d^2 f / dx_i[a] dx_j[b]`;
//! its cost is f1 for the f1 blocks and, for D2f2, D22f2 and D21f2, the cost
//! of the follower whose variable holds row a.

use crate::dynamics::Rule;
use crate::game::Game;
use crate::real::{Float, Real};
use crate::source::{GameSource, SourceError, Visit};
use crate::tangent::Tangent;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A derivative block the dynamics evaluate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub enum Block {
    D1f1,
    D2f1,
    D2f2,
    D11f1,
    D12f1,
    D22f1,
    D22f2,
    D21f2,
}

impl Block {
    /// Every block, gradients first.
    pub const ALL: [Block; 8] = [
        Block::D1f1,
        Block::D2f2,
        Block::D2f1,
        Block::D22f2,
        Block::D21f2,
        Block::D11f1,
        Block::D12f1,
        Block::D22f1,
    ];

    /// The blocks a step of `rule` evaluates: omega = (D1f1, D2f2) for
    /// simultaneous play, the Stackelberg blocks (and D2f2, D22f2 for the
    /// follower's Newton solve) otherwise.
    pub fn for_rule(rule: Rule) -> &'static [Block] {
        match rule {
            Rule::Simultaneous => &[Block::D1f1, Block::D2f2],
            _ => &Block::ALL[..5],
        }
    }

    /// "D1f1", "D22f2", ...
    pub fn name(self) -> &'static str {
        match self {
            Block::D1f1 => "D1f1",
            Block::D2f1 => "D2f1",
            Block::D2f2 => "D2f2",
            Block::D11f1 => "D11f1",
            Block::D12f1 => "D12f1",
            Block::D22f1 => "D22f1",
            Block::D22f2 => "D22f2",
            Block::D21f2 => "D21f2",
        }
    }

    /// Rows and columns (columns 0 for a gradient).
    pub(crate) fn shape<G: Game>(self, g: &G) -> (usize, usize) {
        let (d1, d2) = (g.d1(), g.d2());
        match self {
            Block::D1f1 => (d1, 0),
            Block::D2f1 | Block::D2f2 => (d2, 0),
            Block::D11f1 => (d1, d1),
            Block::D12f1 => (d1, d2),
            Block::D22f1 | Block::D22f2 => (d2, d2),
            Block::D21f2 => (d2, d1),
        }
    }

    /// The block at `x` with the generated code.
    pub(crate) fn eval<G: Game, T: Real>(self, g: &G, x: &[T], out: &mut [T]) {
        match self {
            Block::D1f1 => g.d1f1(x, out),
            Block::D2f1 => g.d2f1(x, out),
            Block::D2f2 => g.d2f2(x, out),
            Block::D11f1 => g.d11f1(x, out),
            Block::D12f1 => g.d12f1(x, out),
            Block::D22f1 => g.d22f1(x, out),
            Block::D22f2 => g.d22f2(x, out),
            Block::D21f2 => g.d21f2(x, out),
        }
    }

    /// Entry (a, b)'s cost (player number) and state coordinates.
    fn coordinates<G: Game>(self, g: &G, a: usize, b: usize) -> (usize, usize, Option<usize>) {
        let d1 = g.d1();
        let follower = |row: usize| {
            g.info()
                .followers
                .iter()
                .position(|f| row >= f.offset && row < f.offset + f.dim)
                .map_or(1, |i| i + 1)
        };
        match self {
            Block::D1f1 => (0, a, None),
            Block::D2f1 => (0, d1 + a, None),
            Block::D2f2 => (follower(d1 + a), d1 + a, None),
            Block::D11f1 => (0, a, Some(b)),
            Block::D12f1 => (0, a, Some(d1 + b)),
            Block::D22f1 => (0, d1 + a, Some(d1 + b)),
            Block::D22f2 => (follower(d1 + a), d1 + a, Some(d1 + b)),
            Block::D21f2 => (follower(d1 + a), d1 + a, Some(b)),
        }
    }
}

/// Which kind of non-finite number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum NonFinite {
    /// Not a number.
    NaN,
    /// +infinity.
    Inf,
    /// -infinity.
    NegInf,
}

impl NonFinite {
    /// The kind of `v`, `None` when it is finite.
    pub fn of(v: f64) -> Option<Self> {
        if v.is_nan() {
            Some(NonFinite::NaN)
        } else if v == f64::INFINITY {
            Some(NonFinite::Inf)
        } else if v == f64::NEG_INFINITY {
            Some(NonFinite::NegInf)
        } else {
            None
        }
    }
}

impl fmt::Display for NonFinite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NonFinite::NaN => "NaN",
            NonFinite::Inf => "inf",
            NonFinite::NegInf => "-inf",
        })
    }
}

/// Which part of a subexpression's number went non-finite.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Part {
    /// Its value.
    Value,
    /// Its first derivative along a coordinate of the block entry.
    Derivative,
    /// Its second derivative (second-order blocks).
    SecondDerivative,
}

/// The subexpression where a non-finite number was born.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SourceOrigin {
    /// Its node in [`GameSource::nodes`].
    pub node: u32,
    /// The file of the game.
    pub file: String,
    /// Line (1-based).
    pub line: u32,
    /// Column (1-based).
    pub column: u32,
    /// The subexpression as DSL text.
    pub text: String,
    /// The non-finite part.
    pub part: Part,
    /// What that part is.
    pub kind: NonFinite,
    /// Its operands' values (all finite; empty for a leaf or reduction).
    pub args: Vec<f64>,
    /// The values of the loops around it (name, value), outermost first.
    pub indices: Vec<(String, i64)>,
}

/// The first non-finite block entry at a state, and where it was born.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NonFiniteTrace {
    /// The block.
    pub block: Block,
    /// The entry: `[a]` in a gradient, `[a, b]` in a second-order block.
    pub entry: Vec<usize>,
    /// e.g. `D1f1[0]`, `D22f2[1,0]`.
    pub label: String,
    /// What the entry is.
    pub kind: NonFinite,
    /// The subexpression (None for a game without source, or when the
    /// interpreter finds every subexpression finite).
    pub origin: Option<SourceOrigin>,
}

impl fmt::Display for NonFiniteTrace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} is {}", self.label, self.kind)?;
        let Some(o) = &self.origin else {
            return write!(f, " (not traced to a subexpression of the source)");
        };
        let place = format!("`{}` at {}:{}:{}", o.text, o.file, o.line, o.column);
        let args = o
            .args
            .iter()
            .map(|a| a.to_string())
            .collect::<Vec<_>>()
            .join(", ");
        let s = if o.args.len() == 1 { "" } else { "s" };
        match (o.part, o.args.is_empty()) {
            (Part::Value, true) => write!(f, ": {place} is {}", o.kind)?,
            (Part::Value, false) => write!(f, ": {place} has argument{s} {args}")?,
            (p, true) => write!(f, ": the {} of {place} is {}", part_name(p), o.kind)?,
            (p, false) => write!(
                f,
                ": the {} of {place} is {} at argument{s} {args}",
                part_name(p),
                o.kind
            )?,
        }
        if !o.indices.is_empty() {
            let at: Vec<String> = o
                .indices
                .iter()
                .map(|(n, v)| format!("{n} = {v}"))
                .collect();
            write!(f, " (at {})", at.join(", "))?;
        }
        Ok(())
    }
}

fn part_name(p: Part) -> &'static str {
    match p {
        Part::Value => "value",
        Part::Derivative => "derivative",
        Part::SecondDerivative => "second derivative",
    }
}

/// Numbers whose every component (value, tangents) can be listed as `f64`.
pub trait Components: Real {
    /// Appends the components: the value first, then the tangents
    /// (`Tangent<Tangent<T>>`: v, d_inner, d_outer, dd).
    fn components(&self, out: &mut Vec<f64>);
}

impl Components for f64 {
    fn components(&self, out: &mut Vec<f64>) {
        out.push(*self);
    }
}

impl Components for f32 {
    fn components(&self, out: &mut Vec<f64>) {
        out.push(f64::from(*self));
    }
}

impl<T: Components> Components for Tangent<T> {
    fn components(&self, out: &mut Vec<f64>) {
        self.v.components(out);
        self.d.components(out);
    }
}

/// [`trace_nonfinite_in`] over every block ([`Block::ALL`]).
pub fn trace_nonfinite<G: Game, T: Float + Components>(
    game: &G,
    x: &[T],
) -> Result<Option<NonFiniteTrace>, SourceError> {
    trace_nonfinite_in(game, x, &Block::ALL)
}

/// The first non-finite entry of `blocks` (in order, entries row-major)
/// at `x` (len N + ND: the state, then the data sample), evaluated with the
/// generated code in `T`, traced to the source subexpression where it was
/// born; `None` when every entry is finite.
pub fn trace_nonfinite_in<G: Game, T: Float + Components>(
    game: &G,
    x: &[T],
    blocks: &[Block],
) -> Result<Option<NonFiniteTrace>, SourceError> {
    let needed = game.n() + game.nd();
    if x.len() < needed {
        return Err(SourceError::State {
            needed,
            got: x.len(),
        });
    }
    for &b in blocks {
        let (rows, cols) = b.shape(game);
        let mut out = vec![T::zero(); rows * cols.max(1)];
        b.eval(game, x, &mut out);
        let Some(k) = out.iter().position(|v| !v.is_finite()) else {
            continue;
        };
        let (entry, label) = match (k.checked_div(cols), k.checked_rem(cols)) {
            (Some(r), Some(c)) => (vec![r, c], format!("{}[{r},{c}]", b.name())),
            _ => (vec![k], format!("{}[{k}]", b.name())),
        };
        let kind = NonFinite::of(out[k].re()).unwrap_or(NonFinite::NaN);
        let origin = match game.source() {
            Some(src) => {
                let (p, i, j) = b.coordinates(game, entry[0], entry.get(1).copied().unwrap_or(0));
                origin(src, game, x, p, i, j)?
            }
            None => None,
        };
        return Ok(Some(NonFiniteTrace {
            block: b,
            entry,
            label,
            kind,
            origin,
        }));
    }
    Ok(None)
}

/// The first non-finite subexpression instance of player `p`'s cost, its
/// numbers seeded along coordinate `i` (and `j` for a second derivative).
fn origin<G: Game, T: Float + Components>(
    src: &GameSource,
    game: &G,
    x: &[T],
    p: usize,
    i: usize,
    j: Option<usize>,
) -> Result<Option<SourceOrigin>, SourceError> {
    let mut params = vec![0.0; game.np()];
    game.params(&mut params);
    let one = |k: usize, at: usize| if k == at { T::one() } else { T::zero() };
    match j {
        None => {
            let xt: Vec<Tangent<T>> = x
                .iter()
                .enumerate()
                .map(|(k, v)| Tangent::new(*v, one(k, i)))
                .collect();
            first_nonfinite(src, &xt, &params, p)
        }
        Some(j) => {
            let xt: Vec<Tangent<Tangent<T>>> = x
                .iter()
                .enumerate()
                .map(|(k, v)| {
                    Tangent::new(
                        Tangent::new(*v, one(k, i)),
                        Tangent::new(one(k, j), T::zero()),
                    )
                })
                .collect();
            first_nonfinite(src, &xt, &params, p)
        }
    }
}

/// The first node instance of player `p`'s cost (lets first) with a
/// non-finite component, in evaluation order.
fn first_nonfinite<U: Components>(
    src: &GameSource,
    x: &[U],
    params: &[f64],
    p: usize,
) -> Result<Option<SourceOrigin>, SourceError> {
    let mut found = None;
    let mut parts = Vec::new();
    src.run(x, params, &[p], &mut |v: Visit<'_, U>| {
        parts.clear();
        v.value.components(&mut parts);
        let Some((at, kind)) = parts
            .iter()
            .enumerate()
            .find_map(|(at, c)| NonFinite::of(*c).map(|k| (at, k)))
        else {
            return false;
        };
        let part = match (at, parts.len()) {
            (0, _) => Part::Value,
            (3, 4) => Part::SecondDerivative,
            _ => Part::Derivative,
        };
        let node = &src.nodes[v.node as usize];
        found = Some(SourceOrigin {
            node: v.node,
            file: src.file.to_string(),
            line: node.span.line,
            column: node.span.column,
            text: node.span.text.to_string(),
            part,
            kind,
            args: v.args.iter().map(|a| a.re()).collect(),
            indices: node
                .loops
                .iter()
                .map(|&s| (src.loops[s as usize].name.to_string(), v.env[s as usize]))
                .collect(),
        });
        true
    })?;
    Ok(found)
}

/// The traces of a study result's non-finite trajectories
/// ([`crate::Study::trace_nonfinite`]): each final state (the last finite
/// one) with the data sample of the failing step, in the study's precision
/// `T` (f32 or f64), over the blocks of the plan's rule.
pub(crate) fn trace_study<G: Game, T: crate::rng::NoiseFloat>(
    plan: &crate::plan::Plan<'_, G>,
    result: &crate::record::StudyResult,
) -> Vec<crate::record::TrajectoryTrace> {
    let single = std::any::TypeId::of::<T>() == std::any::TypeId::of::<f32>();
    let mut out = Vec::new();
    for (j, fate) in result.fates.iter().enumerate() {
        let crate::record::Fate::NonFinite { step } = *fate else {
            continue;
        };
        let trajectory = result.first + j as u64;
        let state = result.final_state(j);
        let trace = if single {
            trace_state::<G, f32>(plan, trajectory, step, state)
        } else {
            trace_state::<G, f64>(plan, trajectory, step, state)
        };
        out.push(crate::record::TrajectoryTrace {
            trajectory,
            step,
            trace,
        });
    }
    out
}

/// The trace at `state` in precision `U`, with the data of `step`.
fn trace_state<G: Game, U: Float + Components>(
    plan: &crate::plan::Plan<'_, G>,
    trajectory: u64,
    step: u64,
    state: &[f64],
) -> Option<NonFiniteTrace> {
    let (n, nd) = (plan.game.n(), plan.game.nd());
    let mut x: Vec<U> = state.iter().map(|v| U::of(*v)).collect();
    x.resize(n + nd, U::zero());
    if nd > 0 {
        plan.fill_data(trajectory, step, &mut Vec::new(), &mut x[n..]);
    }
    // x has N + ND entries: the only error (a short state) cannot happen
    trace_nonfinite_in(plan.game, &x, Block::for_rule(plan.dynamics.rule))
        .ok()
        .flatten()
}
