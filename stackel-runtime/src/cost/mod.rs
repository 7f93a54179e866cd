//! Cost reports: how many operations a game's generated code and one
//! learning step take.
//!
//! Three sources, each exact for what it counts:
//!
//! - **Compiled** ([`CompiledCosts`], from [`Game::compiled_costs`]): counts
//!   the compiler makes at each stage of its pipeline and emits as static
//!   data. For every form, the costs as written ([`SourceCost`]: the DSL
//!   expression with lets inlined, each sum counted once per term, before any
//!   simplification). For the unrolled form also, per block and fused
//!   program ([`StageCounts`]): `tree`, the simplified entries evaluated
//!   each on its own (a shared subexpression counted at every use: the
//!   simplified code before CSE), `dag`, every distinct node of the
//!   hash-consed DAG once, and `cse`, the straight-line program the game
//!   runs (after value numbering of partial products and dead-code
//!   elimination). The loop and tape forms keep no unrolled DAG: their cost is
//!   what their loops execute, which the next source counts.
//! - **Executed** ([`CostReport::executed`]): each `Game` method run once on
//!   [`Counted`] numbers, which count every operation they take; loop bodies
//!   are counted once per trip, so this is the per-call cost of every form
//!   (and of hand-written games).
//! - **Per step** ([`RuleFlops`]): flops of one trajectory step of each
//!   learning rule on the dense path, from the executed counts of the
//!   methods the step calls plus the runtime's own arithmetic, each term a
//!   closed form of the code in [`crate::dynamics`], [`crate::field`] and
//!   [`crate::linalg`] (see [`rule_flops`]).
//!
//! Operation classes ([`OpCounts`]): `add` (+, -), `mul`, `div`,
//! `transcendental` (exp, ln, sqrt, sin, cos, tan, tanh, sigmoid, softplus,
//! real powers), `powi` (integer powers) and `other` (negation, abs, sign,
//! heaviside, relu, min, max, comparisons). A flop is one operation of the
//! first five classes; `other` is not counted as flops.
//!
//! With the `gpu` feature, [`WgslStats`] reads the game's WGSL kernel
//! through naga: its expression and statement counts and its
//! per-invocation state.

mod counted;
mod flops;
mod wgsl;

pub use counted::{count_ops, Counted};
pub use flops::{
    follower_solve_flops, lu_factor_flops, lu_solve_flops, matrix_free_rule_flops, rule_flops,
    RuleFlops,
};
pub use wgsl::{WgslStats, WgslSummary};

use crate::game::{Form, Game, SecondOrderParts, StackelbergParts};
use std::fmt;
use std::ops::{Add, Sub};

/// Operation counts by class (see the module docs).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct OpCounts {
    /// Additions and subtractions.
    pub add: u64,
    /// Multiplications.
    pub mul: u64,
    /// Divisions.
    pub div: u64,
    /// exp, ln, sqrt, sin, cos, tan, tanh, sigmoid, softplus, real powers.
    pub transcendental: u64,
    /// Integer powers.
    pub powi: u64,
    /// Negation, abs, sign, heaviside, relu, min, max, comparisons.
    pub other: u64,
}

impl OpCounts {
    /// No operation.
    pub const ZERO: OpCounts = OpCounts::new(0, 0, 0, 0, 0, 0);

    /// The counts (add, mul, div, transcendental, powi, other).
    pub const fn new(
        add: u64,
        mul: u64,
        div: u64,
        transcendental: u64,
        powi: u64,
        other: u64,
    ) -> Self {
        OpCounts {
            add,
            mul,
            div,
            transcendental,
            powi,
            other,
        }
    }

    /// flops = add + mul + div + transcendental + powi.
    pub const fn flops(&self) -> u64 {
        self.add + self.mul + self.div + self.transcendental + self.powi
    }

    /// Every class, `other` included.
    pub const fn total(&self) -> u64 {
        self.flops() + self.other
    }

    /// Each class at most the same class of `b`.
    pub fn le(&self, b: &OpCounts) -> bool {
        self.add <= b.add
            && self.mul <= b.mul
            && self.div <= b.div
            && self.transcendental <= b.transcendental
            && self.powi <= b.powi
            && self.other <= b.other
    }

    /// Every class times `k`.
    pub fn times(self, k: u64) -> OpCounts {
        OpCounts::new(
            self.add * k,
            self.mul * k,
            self.div * k,
            self.transcendental * k,
            self.powi * k,
            self.other * k,
        )
    }
}

impl Add for OpCounts {
    type Output = OpCounts;
    fn add(self, b: OpCounts) -> OpCounts {
        OpCounts::new(
            self.add + b.add,
            self.mul + b.mul,
            self.div + b.div,
            self.transcendental + b.transcendental,
            self.powi + b.powi,
            self.other + b.other,
        )
    }
}

impl Sub for OpCounts {
    type Output = OpCounts;
    /// Class-wise difference (saturating at 0).
    fn sub(self, b: OpCounts) -> OpCounts {
        OpCounts::new(
            self.add.saturating_sub(b.add),
            self.mul.saturating_sub(b.mul),
            self.div.saturating_sub(b.div),
            self.transcendental.saturating_sub(b.transcendental),
            self.powi.saturating_sub(b.powi),
            self.other.saturating_sub(b.other),
        )
    }
}

/// The counts of one block or fused program at each stage of the unrolled
/// compiler (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StageCounts {
    /// The block (`"D22f2"`, ...) or fused program (`"omega"`,
    /// `"stackelberg_parts"`, `"second_order_parts"`, `"f1"`, `"f2[i]"`).
    pub block: &'static str,
    /// Simplified entries, each evaluated on its own (no sharing).
    pub tree: OpCounts,
    /// Every distinct node of the simplified DAG once.
    pub dag: OpCounts,
    /// The emitted program (CSE'd, dead code removed).
    pub cse: OpCounts,
}

/// One player's cost as written (before simplification).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SourceCost {
    /// The player's name in the DSL.
    pub player: &'static str,
    /// Its cost expression as a tree, lets inlined, each sum counted once
    /// per term (n terms: n bodies and n - 1 additions).
    pub ops: OpCounts,
}

/// The counts the compiler emits with a game ([`Game::compiled_costs`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CompiledCosts {
    /// The code form.
    pub form: Form,
    /// Each player's cost as written (leader first).
    pub sources: &'static [SourceCost],
    /// Per block and fused program, the stage counts (unrolled form only;
    /// empty for the loop and tape forms).
    pub stages: &'static [StageCounts],
}

/// The executed operations of one `Game` method per call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MethodCost {
    /// The method (`"omega"`, `"stackelberg_parts"`, `"d22f2_tmul"`, ...).
    pub method: &'static str,
    /// What one call takes.
    pub ops: OpCounts,
}

/// Above this many coordinates (d1 + d2) the report does not run the
/// dense blocks (the matrix-free operators are counted instead).
pub const DENSE_LIMIT: usize = 256;

/// A game's cost report: compiled stage counts (generated games), executed
/// counts per method and flops per step of each rule, WGSL kernel size.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CostReport {
    /// The game's name.
    pub game: &'static str,
    /// The code form.
    pub form: Form,
    /// Leader dimension d1.
    pub d1: usize,
    /// Stacked follower dimension d2.
    pub d2: usize,
    /// Number of flat params.
    pub np: usize,
    /// What the compiler emitted, if anything (generated games).
    pub compiled: Option<&'static CompiledCosts>,
    /// Each method's executed operations per call.
    pub executed: Vec<MethodCost>,
    /// Flops per trajectory step of each rule: on the dense path (not
    /// above [`DENSE_LIMIT`]) and, for one follower, on the matrix-free
    /// path.
    pub rules: Vec<RuleFlops>,
    /// The WGSL kernel.
    pub wgsl: WgslSummary,
}

impl CostReport {
    /// The report of `g`: its methods run once on [`Counted`] numbers at
    /// x = 0.5 (and lambda, directions 0.5; counts do not depend on the
    /// point except through data-dependent branches, which generated code
    /// does not take).
    pub fn of<G: Game>(g: &G) -> CostReport {
        let info = g.info();
        let (d1, d2, nd) = (g.d1(), g.d2(), g.nd());
        let n = d1 + d2;
        let x = vec![Counted(0.5); n + nd];
        let half = |k: usize| vec![Counted(0.5); k];
        let zero = |k: usize| vec![Counted(0.0); k];
        let mut executed = Vec::new();
        let mut run = |method: &'static str, f: &mut dyn FnMut()| {
            executed.push(MethodCost {
                method,
                ops: count_ops(f),
            });
        };
        run("leader_cost", &mut || {
            g.leader_cost(&x);
        });
        for i in 0..info.followers.len() {
            run(FOLLOWER_COST[i.min(FOLLOWER_COST.len() - 1)], &mut || {
                g.follower_cost(i, &x);
            });
        }
        run("omega", &mut || g.omega(&x, &mut zero(n)));
        run("d1f1", &mut || g.d1f1(&x, &mut zero(d1)));
        run("d2f1", &mut || g.d2f1(&x, &mut zero(d2)));
        run("d2f2", &mut || g.d2f2(&x, &mut zero(d2)));
        run("d22f2_mul", &mut || {
            g.d22f2_mul(&x, &half(d2), &mut zero(d2))
        });
        run("d22f2_tmul", &mut || {
            g.d22f2_tmul(&x, &half(d2), &mut zero(d2))
        });
        run("d21f2_mul", &mut || {
            g.d21f2_mul(&x, &half(d1), &mut zero(d2))
        });
        run("d21f2_tmul", &mut || {
            g.d21f2_tmul(&x, &half(d2), &mut zero(d1))
        });
        let dense = n <= DENSE_LIMIT;
        if dense {
            run("d22f2", &mut || g.d22f2(&x, &mut zero(d2 * d2)));
            run("d21f2", &mut || g.d21f2(&x, &mut zero(d2 * d1)));
            run("stackelberg_parts", &mut || {
                let (mut a, mut b, mut c) = (zero(d1), zero(d2), zero(d2));
                let (mut h, mut bb) = (zero(d2 * d2), zero(d2 * d1));
                g.stackelberg_parts(
                    &x,
                    StackelbergParts {
                        d1f1: &mut a,
                        d2f1: &mut b,
                        d2f2: &mut c,
                        d22f2: &mut h,
                        d21f2: &mut bb,
                    },
                );
            });
            run("second_order_parts", &mut || {
                let (mut a, mut c, mut e) = (zero(d1 * d1), zero(d1 * d2), zero(d2 * d2));
                let (mut h, mut b) = (zero(d2 * d2), zero(d2 * d1));
                let (mut p11, mut p12) = (zero(d1 * d1), zero(d1 * d2));
                let (mut p21, mut p22) = (zero(d2 * d1), zero(d2 * d2));
                g.second_order_parts(
                    &x,
                    &half(d2),
                    SecondOrderParts {
                        d11f1: &mut a,
                        d12f1: &mut c,
                        d22f1: &mut e,
                        d22f2: &mut h,
                        d21f2: &mut b,
                        d11phi: &mut p11,
                        d12phi: &mut p12,
                        d21phi: &mut p21,
                        d22phi: &mut p22,
                    },
                );
            });
        }
        let flops = |m: &str| {
            executed
                .iter()
                .find(|c| c.method == m)
                .map_or(0, |c| c.ops.flops())
        };
        let angles = info.angle_mask().iter().filter(|a| **a).count() as u64;
        let mut rules = Vec::new();
        if dense {
            rules = rule_flops(
                d1 as u64,
                d2 as u64,
                angles,
                flops("omega"),
                flops("stackelberg_parts"),
                flops("d2f2"),
                flops("d22f2"),
            );
        }
        if info.followers.len() == 1 {
            rules.extend(matrix_free_rule_flops(
                d1 as u64,
                d2 as u64,
                angles,
                flops("omega"),
                flops("omega") + flops("d2f1"),
                flops("d22f2_tmul"),
                flops("d21f2_tmul"),
            ));
        }
        if let Some(r) = staggered_rule_flops(g, angles) {
            rules.push(r);
        }
        CostReport {
            game: info.name,
            form: info.form,
            d1,
            d2,
            np: g.np(),
            compiled: g.compiled_costs(),
            executed,
            rules,
            wgsl: WgslSummary::of(g),
        }
    }

    /// The executed counts of `method`, if it was run.
    pub fn method(&self, method: &str) -> Option<OpCounts> {
        self.executed
            .iter()
            .find(|c| c.method == method)
            .map(|c| c.ops)
    }
}

/// The N-timescale rule of a game with staggered levels (appendix F.1),
/// counted: one [`crate::hierarchy::Hierarchy::staggered_field`] on
/// [`Counted`] numbers at x = 0.5, plus the plain update. `game` is every
/// player's generated gradient and Hessian (each called once per step);
/// `runtime` the rest: the lower levels' phi Hessians (called per
/// multiplier) and the chained solves. `None` for a game without levels
/// below 1 or without the generated blocks.
fn staggered_rule_flops<G: Game>(g: &G, angles: u64) -> Option<RuleFlops> {
    let info = g.info();
    if info.players().all(|p| p.level <= 1) {
        return None;
    }
    let h = crate::hierarchy::Hierarchy::of(g).ok()?;
    let n = g.d1() + g.d2();
    let x = vec![Counted(0.5); n + g.nd()];
    let mut out = vec![Counted(0.0); n];
    let mut field_ok = true;
    let field = count_ops(|| field_ok = h.staggered_field(g, &x, &mut out).is_ok());
    let mut blocks = OpCounts::ZERO;
    for p in 0..info.players().count() {
        let mut grad = vec![Counted(0.0); n];
        let mut hess = vec![Counted(0.0); n * n];
        blocks = blocks
            + count_ops(|| {
                let _ = g.staggered_gradient(p, &x, &mut grad);
            })
            + count_ops(|| {
                let _ = g.staggered_hessian(p, &x, &mut hess);
            });
    }
    field_ok.then(|| RuleFlops {
        rule: "staggered",
        path: "dense",
        per_iteration: 0,
        game: blocks.flops(),
        runtime: field.flops() - blocks.flops() + 4 * n as u64 + 4 * angles,
        model:
            "counted: every player's gradient + Hessian, phi Hessians + chained solves, 4n + wrap",
    })
}

const FOLLOWER_COST: [&str; 4] = [
    "follower_cost(0)",
    "follower_cost(1)",
    "follower_cost(2)",
    "follower_cost(3..)",
];

fn row(f: &mut fmt::Formatter<'_>, name: &str, c: &OpCounts) -> fmt::Result {
    writeln!(
        f,
        "  {name:<20} {:>8} {:>8} {:>6} {:>6} {:>6} {:>6} {:>9}",
        c.add,
        c.mul,
        c.div,
        c.transcendental,
        c.powi,
        c.other,
        c.flops()
    )
}

fn header(f: &mut fmt::Formatter<'_>, first: &str) -> fmt::Result {
    writeln!(
        f,
        "  {first:<20} {:>8} {:>8} {:>6} {:>6} {:>6} {:>6} {:>9}",
        "add", "mul", "div", "trans", "powi", "other", "flops"
    )
}

impl fmt::Display for CostReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "cost report: {} ({:?} form; d1 = {}, d2 = {}, np = {})",
            self.game, self.form, self.d1, self.d2, self.np
        )?;
        if let Some(c) = self.compiled {
            writeln!(f, "costs as written (before simplification):")?;
            header(f, "player")?;
            for s in c.sources {
                row(f, s.player, &s.ops)?;
            }
            if !c.stages.is_empty() {
                writeln!(
                    f,
                    "blocks by stage (flops: tree = simplified, no sharing; dag = distinct nodes; cse = emitted):"
                )?;
                writeln!(
                    f,
                    "  {:<20} {:>9} {:>9} {:>9}   cse: {:>6} {:>6} {:>5} {:>5} {:>5} {:>5}",
                    "block", "tree", "dag", "cse", "add", "mul", "div", "trans", "powi", "other"
                )?;
                let free = |s: &&StageCounts| s.tree.total() == 0;
                for s in c.stages.iter().filter(|s| !free(s)) {
                    let k = &s.cse;
                    writeln!(
                        f,
                        "  {:<20} {:>9} {:>9} {:>9}        {:>6} {:>6} {:>5} {:>5} {:>5} {:>5}",
                        s.block,
                        s.tree.flops(),
                        s.dag.flops(),
                        k.flops(),
                        k.add,
                        k.mul,
                        k.div,
                        k.transcendental,
                        k.powi,
                        k.other
                    )?;
                }
                let zero: Vec<&str> = c.stages.iter().filter(free).map(|s| s.block).collect();
                if !zero.is_empty() {
                    writeln!(
                        f,
                        "  no operation (every entry a constant or an input): {}",
                        zero.join(", ")
                    )?;
                }
            }
        }
        writeln!(f, "executed per call:")?;
        header(f, "method")?;
        for m in &self.executed {
            row(f, m.method, &m.ops)?;
        }
        writeln!(
            f,
            "flops per trajectory step (plain update; matrix-free: + k x per iteration for k Krylov iterations):"
        )?;
        if !self.rules.iter().any(|r| r.path == "dense") {
            writeln!(f, "  dense path: not counted (d1 + d2 > {DENSE_LIMIT})")?;
        }
        for r in &self.rules {
            let iter = if r.per_iteration > 0 {
                format!(" + k x {}", r.per_iteration)
            } else {
                String::new()
            };
            writeln!(
                f,
                "  {:<14} {:<12} {:>9}{iter} = game {} + runtime {}{iter}   [{}]",
                r.rule,
                r.path,
                r.total(),
                r.game,
                r.runtime,
                r.model
            )?;
        }
        match &self.wgsl {
            WgslSummary::None => writeln!(f, "wgsl: none emitted"),
            WgslSummary::NotParsed { bytes } => writeln!(
                f,
                "wgsl: {bytes} bytes (build with the `gpu` feature for naga's counts)"
            ),
            WgslSummary::Error(e) => writeln!(
                f,
                "wgsl: naga rejected it: {}",
                e.split_whitespace().collect::<Vec<_>>().join(" ")
            ),
            WgslSummary::Stats { kernel, game } => {
                writeln!(
                    f,
                    "wgsl (two-timescale study kernel, f32): {} functions, {} expressions, {} statements; per invocation {} bytes of locals, {} bytes private",
                    kernel.functions, kernel.expressions, kernel.statements, kernel.local_bytes, kernel.private_bytes
                )?;
                writeln!(
                    f,
                    "wgsl (the game's module in it): {} functions, {} expressions, {} statements; {} bytes of locals",
                    game.functions, game.expressions, game.statements, game.local_bytes
                )
            }
        }
    }
}
