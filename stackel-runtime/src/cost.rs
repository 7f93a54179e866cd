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

use crate::game::{Form, Game, SecondOrderParts, StackelbergParts};
use crate::real::{Float, Real};
use std::cell::Cell;
use std::fmt;
use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

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

thread_local! {
    static TALLY: Cell<OpCounts> = const { Cell::new(OpCounts::ZERO) };
}

fn tally(f: impl FnOnce(&mut OpCounts)) {
    TALLY.with(|t| {
        let mut c = t.get();
        f(&mut c);
        t.set(c);
    });
}

/// One more operation of the class `class` picks.
fn bump(class: fn(&mut OpCounts) -> &mut u64) {
    tally(|c| *class(c) += 1);
}

/// An `f64` that counts, per thread, every operation taken on it (see
/// [`count_ops`]); constants (`of`) and reads (`re`) are free.
#[derive(Clone, Copy, Debug, Default, PartialEq, PartialOrd)]
pub struct Counted(pub f64);

/// The operations `f` takes on [`Counted`] numbers on this thread.
pub fn count_ops(f: impl FnOnce()) -> OpCounts {
    let before = TALLY.with(|t| t.get());
    f();
    TALLY.with(|t| t.get()) - before
}

macro_rules! counted_binop {
    ($tr:ident, $m:ident, $tra:ident, $ma:ident, $class:ident, $op:tt) => {
        impl $tr for Counted {
            type Output = Counted;
            fn $m(self, b: Counted) -> Counted {
                bump(|c| &mut c.$class);
                Counted(self.0 $op b.0)
            }
        }
        impl $tra for Counted {
            fn $ma(&mut self, b: Counted) {
                bump(|c| &mut c.$class);
                self.0 = self.0 $op b.0;
            }
        }
    };
}
counted_binop!(Add, add, AddAssign, add_assign, add, +);
counted_binop!(Sub, sub, SubAssign, sub_assign, add, -);
counted_binop!(Mul, mul, MulAssign, mul_assign, mul, *);
counted_binop!(Div, div, DivAssign, div_assign, div, /);

impl Neg for Counted {
    type Output = Counted;
    fn neg(self) -> Counted {
        tally(|c| c.other += 1);
        Counted(-self.0)
    }
}

impl fmt::Display for Counted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::LowerExp for Counted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::LowerExp::fmt(&self.0, f)
    }
}

/// One transcendental (or other-class) function of a counted number.
fn counted(class: fn(&mut OpCounts), v: f64) -> Counted {
    tally(class);
    Counted(v)
}

fn trans(c: &mut OpCounts) {
    c.transcendental += 1;
}

fn other(c: &mut OpCounts) {
    c.other += 1;
}

impl Real for Counted {
    fn of(x: f64) -> Self {
        Counted(x)
    }
    fn re(self) -> f64 {
        self.0
    }
    fn exp(self) -> Self {
        counted(trans, self.0.exp())
    }
    fn ln(self) -> Self {
        counted(trans, self.0.ln())
    }
    fn sqrt(self) -> Self {
        counted(trans, self.0.sqrt())
    }
    fn sin(self) -> Self {
        counted(trans, self.0.sin())
    }
    fn cos(self) -> Self {
        counted(trans, self.0.cos())
    }
    fn tan(self) -> Self {
        counted(trans, self.0.tan())
    }
    fn tanh(self) -> Self {
        counted(trans, self.0.tanh())
    }
    fn powi(self, n: i32) -> Self {
        counted(|c| c.powi += 1, self.0.powi(n))
    }
    fn powf(self, e: Self) -> Self {
        counted(trans, self.0.powf(e.0))
    }
    fn abs(self) -> Self {
        counted(other, self.0.abs())
    }
    fn sign(self) -> Self {
        counted(other, crate::real::Real::sign(self.0))
    }
    fn heaviside(self) -> Self {
        counted(other, crate::real::Real::heaviside(self.0))
    }
    fn min(self, b: Self) -> Self {
        counted(other, Real::min(self.0, b.0))
    }
    fn max(self, b: Self) -> Self {
        counted(other, Real::max(self.0, b.0))
    }
    fn sigmoid(self) -> Self {
        counted(trans, Real::sigmoid(self.0))
    }
    fn softplus(self) -> Self {
        counted(trans, Real::softplus(self.0))
    }
    fn relu(self) -> Self {
        counted(other, Real::relu(self.0))
    }
}

impl Float for Counted {
    const EPS: Self = Counted(f64::EPSILON);
    const MAX: Self = Counted(f64::MAX);
    fn is_finite(self) -> bool {
        self.0.is_finite()
    }
    fn is_nan(self) -> bool {
        self.0.is_nan()
    }
    fn floor(self) -> Self {
        Counted(self.0.floor())
    }
}

/// The executed operations of one `Game` method per call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MethodCost {
    /// The method (`"omega"`, `"stackelberg_parts"`, `"d22f2_tmul"`, ...).
    pub method: &'static str,
    /// What one call takes.
    pub ops: OpCounts,
}

/// Flops of one trajectory step of a learning rule:
/// `game + runtime + k * per_iteration` for a step whose follower solve
/// takes k Krylov iterations (`per_iteration` is 0 on the dense path).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleFlops {
    /// The rule (`"simultaneous"`, `"two-timescale"`, `"best response"`, `"lola"`).
    pub rule: &'static str,
    /// `"dense"` or `"matrix-free"` (the follower solve's path).
    pub path: &'static str,
    /// Flops of the game's methods the step calls (once each).
    pub game: u64,
    /// Flops of the runtime's own arithmetic (solve, contraction, update).
    pub runtime: u64,
    /// Flops of one Krylov iteration (its operator product included).
    pub per_iteration: u64,
    /// How the step is counted.
    pub model: &'static str,
}

impl RuleFlops {
    /// game + runtime (the whole step on the dense path, the step without
    /// its Krylov iterations on the matrix-free path).
    pub fn total(&self) -> u64 {
        self.game + self.runtime
    }

    /// The step's flops when its follower solve takes `k` iterations.
    pub fn with_iterations(&self, k: u64) -> u64 {
        self.total() + k * self.per_iteration
    }
}

/// What the report says about the game's WGSL kernel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WgslSummary {
    /// The game has no WGSL module ([`Game::wgsl`] is `None`).
    None,
    /// The game has one but the runtime was built without the `gpu`
    /// feature (naga is not linked): its size in bytes only.
    NotParsed {
        /// Length of the game's WGSL module.
        bytes: usize,
    },
    /// The two-timescale study kernel (f32, plain update, noise) built
    /// around the game's module, as naga reads it (`WgslStats::of_kernel`, `gpu` feature).
    Stats {
        /// The whole kernel.
        kernel: WgslStats,
        /// The functions (and private globals) the game's module defines.
        game: WgslStats,
    },
    /// naga rejected the kernel.
    Error(String),
}

/// A WGSL module's size as naga's IR counts it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WgslStats {
    /// Functions plus entry points.
    pub functions: usize,
    /// Expressions in their arenas.
    pub expressions: usize,
    /// Statements, nested blocks' included.
    pub statements: usize,
    /// Bytes of function-local variables (naga's sizes; each function's
    /// locals summed over the functions: an upper bound on what one
    /// invocation holds at once).
    pub local_bytes: u64,
    /// Bytes of `var<private>` globals (per invocation).
    pub private_bytes: u64,
}

impl WgslStats {
    /// The stats of the whole module `src` and of the part of it the game's
    /// module `game_wgsl` defines (functions named `fn NAME(` and
    /// globals `var<private> NAME` in it).
    #[cfg(feature = "gpu")]
    pub fn of_kernel(src: &str, game_wgsl: &str) -> Result<(WgslStats, WgslStats), String> {
        use naga::{AddressSpace, Block, Statement};
        fn statements(b: &Block) -> usize {
            b.iter()
                .map(|s| {
                    1 + match s {
                        Statement::Block(b) => statements(b),
                        Statement::If { accept, reject, .. } => {
                            statements(accept) + statements(reject)
                        }
                        Statement::Switch { cases, .. } => {
                            cases.iter().map(|c| statements(&c.body)).sum()
                        }
                        Statement::Loop {
                            body, continuing, ..
                        } => statements(body) + statements(continuing),
                        _ => 0,
                    }
                })
                .sum()
        }
        let module = naga::front::wgsl::parse_str(src).map_err(|e| e.emit_to_string(src))?;
        let size = |ty: naga::Handle<naga::Type>| -> u64 {
            u64::from(module.types[ty].inner.size(module.to_ctx()))
        };
        let in_game = |f: &naga::Function| {
            f.name
                .as_deref()
                .is_some_and(|n| game_wgsl.contains(&format!("fn {n}(")))
        };
        let functions: Vec<&naga::Function> = module
            .functions
            .iter()
            .map(|(_, f)| f)
            .chain(module.entry_points.iter().map(|e| &e.function))
            .collect();
        let stats = |pick: &dyn Fn(&naga::Function) -> bool, game_only: bool| WgslStats {
            functions: functions.iter().filter(|f| pick(f)).count(),
            expressions: functions
                .iter()
                .filter(|f| pick(f))
                .map(|f| f.expressions.len())
                .sum(),
            statements: functions
                .iter()
                .filter(|f| pick(f))
                .map(|f| statements(&f.body))
                .sum(),
            local_bytes: functions
                .iter()
                .filter(|f| pick(f))
                .flat_map(|f| f.local_variables.iter())
                .map(|(_, v)| size(v.ty))
                .sum(),
            private_bytes: module
                .global_variables
                .iter()
                .filter(|(_, g)| g.space == AddressSpace::Private)
                .filter(|(_, g)| {
                    !game_only
                        || g.name
                            .as_deref()
                            .is_some_and(|n| game_wgsl.contains(&format!("var<private> {n}")))
                })
                .map(|(_, g)| size(g.ty))
                .sum(),
        };
        Ok((stats(&|_| true, false), stats(&in_game, true)))
    }

    /// The two-timescale study kernel of `G` around `game_wgsl` (f32,
    /// plain update, noise; the loop-form kernel with its default Krylov
    /// options for loop-form games), as [`WgslStats::of_kernel`] reads it.
    #[cfg(feature = "gpu")]
    pub fn of_study_kernel<G: Game>(
        g: &G,
        game_wgsl: &str,
    ) -> Result<(WgslStats, WgslStats), String> {
        use crate::dynamics::Rule;
        use crate::gpu::kernel::{loops_kernel, study_kernel, KernelSpec, LoopSpec};
        use crate::gpu::Precision;
        let players = 1 + g.info().followers.len();
        let src = if g.info().form == Form::Unrolled {
            study_kernel(
                &KernelSpec {
                    precision: Precision::F32,
                    rule: Rule::TwoTimescale,
                    adam: false,
                    noise: true,
                    d1: G::D1,
                    d2: G::D2,
                    np: G::NP,
                    players,
                    small: false,
                },
                game_wgsl,
            )
        } else {
            loops_kernel(
                &LoopSpec {
                    precision: Precision::F32,
                    rule: Rule::TwoTimescale,
                    adam: false,
                    noise: true,
                    d1: G::D1,
                    d2: G::D2,
                    np: G::NP,
                    players,
                    krylov: crate::krylov::KrylovOptions::default(),
                    workgroup: false,
                },
                game_wgsl,
            )
        };
        WgslStats::of_kernel(&src, game_wgsl)
    }
}

impl WgslSummary {
    /// The summary of `g`'s WGSL module ([`Game::wgsl`]).
    pub fn of<G: Game>(g: &G) -> WgslSummary {
        match g.wgsl() {
            None => WgslSummary::None,
            #[cfg(feature = "gpu")]
            Some(s) => match WgslStats::of_study_kernel(g, s) {
                Ok((kernel, game)) => WgslSummary::Stats { kernel, game },
                Err(e) => WgslSummary::Error(e),
            },
            #[cfg(not(feature = "gpu"))]
            Some(s) => WgslSummary::NotParsed { bytes: s.len() },
        }
    }
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
        let (d1, d2, nd) = (G::D1, G::D2, G::ND);
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
                flops("d1f1") + flops("d2f1") + flops("d2f2"),
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
            np: G::NP,
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
    let n = G::D1 + G::D2;
    let x = vec![Counted(0.5); n + G::ND];
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

/// Flops of the dense follower solve lambda <- (H + eta I)^-T lambda in one
/// step ([`crate::field::follower_solve`] with `CLOSED = 1`) at eta = 0 (the
/// default; eta != 0 adds d2 for d2 >= 2): d2 = 1 is h + eta and one
/// division (2); above, the LU factorisation ([`lu_factor_flops`]) and the
/// transposed solve ([`lu_solve_flops`]).
pub fn follower_solve_flops(d2: u64) -> u64 {
    if d2 == 1 {
        2
    } else {
        lu_factor_flops(d2) + lu_solve_flops(d2)
    }
}

/// Flops of [`crate::linalg::Lu::factor`] on an n x n matrix with no zero
/// multiplier: the pivot tolerance n eps max|a_ij| (2), then for each pivot
/// k, n - k - 1 divisions and 2 (n - k - 1)^2 multiply-subtracts:
/// 2 + sum_{j < n} (j + 2 j^2) = 2 + n(n-1)/2 + n(n-1)(2n-1)/3 (0 for
/// n = 1, which only checks the number).
pub fn lu_factor_flops(n: u64) -> u64 {
    if n <= 1 {
        return 0;
    }
    2 + n * (n - 1) / 2 + n * (n - 1) * (2 * n - 1) / 3
}

/// Flops of [`crate::linalg::Lu::solve`] or `solve_transpose` (n x n):
/// 2 n(n-1) multiply-subtracts and n divisions, 2 n^2 - n (1 for n = 1).
pub fn lu_solve_flops(n: u64) -> u64 {
    2 * n * n - n
}

/// The flops of one trajectory step of each rule on the dense path,
/// plain optimiser, from the flops of the game's `omega`, fused
/// `stackelberg_parts`, `d2f2` and `d22f2` (n = d1 + d2):
///
/// - simultaneous: omega + update(n);
/// - two-timescale: parts + solve(d2) + B^T lambda + update(n);
/// - LOLA: parts + d2 (lambda = gamma2 D2 f1) + B^T lambda + update(n);
/// - best response, one Newton iteration with one line-search trial:
///   d2f2 + 1 (tolerance) + [d22f2 + newton(d2) + 2 (step test) + 2 d2 +
///   d2f2] + parts + solve(d2) + B^T lambda + update(d1);
///
/// with B^T lambda = D1 f1 - B^T lambda over d1 rows (2 d1 d2: d2
/// multiplications, d2 - 1 additions, one subtraction), update(m) = 4m
/// (x_i -= gamma_i (g_i + sigma_i z_i)) and solve(d2) =
/// [`follower_solve_flops`], newton(d2) = [`lu_factor_flops`] +
/// [`lu_solve_flops`], and 4 per angle coordinate for the wrap
/// x - 2 pi floor((x + pi) / 2 pi) after every rule. Adam adds 14 flops per
/// updated coordinate. Comparisons, abs and max (the Newton test's norms)
/// are not flops.
pub fn rule_flops(
    d1: u64,
    d2: u64,
    angles: u64,
    omega: u64,
    parts: u64,
    d2f2: u64,
    d22f2: u64,
) -> Vec<RuleFlops> {
    let n = d1 + d2;
    let update = |m: u64| 4 * m + 4 * angles;
    let bt = 2 * d1 * d2;
    let solve = follower_solve_flops(d2);
    let newton_solve = lu_factor_flops(d2) + lu_solve_flops(d2);
    vec![
        RuleFlops {
            rule: "simultaneous",
            path: "dense",
            per_iteration: 0,
            game: omega,
            runtime: update(n),
            model: "omega + 4n + wrap",
        },
        RuleFlops {
            rule: "two-timescale",
            path: "dense",
            per_iteration: 0,
            game: parts,
            runtime: solve + bt + update(n),
            model: "parts + solve(d2) + 2 d1 d2 + 4n + wrap",
        },
        RuleFlops {
            rule: "best response",
            path: "dense",
            per_iteration: 0,
            game: 2 * d2f2 + d22f2 + parts,
            runtime: 3 + newton_solve + 2 * d2 + solve + bt + update(d1),
            model: "2 d2f2 + d22f2 + parts + 3 + newton(d2) + 2 d2 + solve(d2) + 2 d1 d2 + 4 d1 + wrap (1 Newton iteration)",
        },
        RuleFlops {
            rule: "lola",
            path: "dense",
            per_iteration: 0,
            game: parts,
            runtime: d2 + bt + update(n),
            model: "parts + d2 + 2 d1 d2 + 4n + wrap",
        },
    ]
}

/// The flops of one step on the matrix-free path with one follower
/// (conjugate gradients, [`crate::krylov::Krylov::cg`]), plain update:
/// `grads` = d1f1 + d2f1 + d2f2, A = d22f2_tmul + 2 d2 (the operator with
/// eta v added), and for a solve of k iterations
/// cg(k) = (k + 1) A + 5 d2 + 5 + k (10 d2 + 4) (the initial residual and
/// the two norms, then per iteration two dot products, three updates, two
/// divisions, a square root and the tolerance test):
///
/// - simultaneous: omega + 4n (as dense);
/// - two-timescale: grads + cg(k) + d21f2_tmul + d1 + 4n;
/// - LOLA: grads + d2 + d21f2_tmul + d1 + 4n;
///
/// plus 4 per angle coordinate. Best response (Newton steps solved by CG)
/// is not modelled.
pub fn matrix_free_rule_flops(
    d1: u64,
    d2: u64,
    angles: u64,
    omega: u64,
    grads: u64,
    d22f2_tmul: u64,
    d21f2_tmul: u64,
) -> Vec<RuleFlops> {
    let update = 4 * (d1 + d2) + 4 * angles;
    vec![
        RuleFlops {
            rule: "simultaneous",
            path: "matrix-free",
            game: omega,
            runtime: update,
            per_iteration: 0,
            model: "omega + 4n + wrap",
        },
        RuleFlops {
            rule: "two-timescale",
            path: "matrix-free",
            game: grads + d22f2_tmul + d21f2_tmul,
            runtime: 2 * d2 + 5 * d2 + 5 + d1 + update,
            per_iteration: d22f2_tmul + 12 * d2 + 4,
            model: "grads + cg(k) + d21f2_tmul + d1 + 4n + wrap",
        },
        RuleFlops {
            rule: "lola",
            path: "matrix-free",
            game: grads + d21f2_tmul,
            runtime: d2 + d1 + update,
            per_iteration: 0,
            model: "grads + d2 + d21f2_tmul + d1 + 4n + wrap",
        },
    ]
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linalg::Lu;

    #[test]
    fn counted_numbers_count_each_class() {
        let (a, b) = (Counted(1.5), Counted(-0.5));
        let c = count_ops(|| {
            let s = a + b - a * b / a;
            let t = Real::exp(s).powi(3) + Real::powf(a, b);
            let _ = -Real::abs(t).max(Counted::of(2.0));
        });
        assert_eq!(c, OpCounts::new(3, 1, 1, 2, 1, 3));
        assert_eq!(c.flops(), 8);
    }

    /// The closed forms of the LU flops against the factorisation and the
    /// transposed solve run on counted numbers (a dense, diagonally
    /// dominant matrix: no zero multiplier).
    #[test]
    fn lu_flops_match_the_code() {
        for n in 1..=7usize {
            let a: Vec<Counted> = (0..n * n)
                .map(|k| {
                    let (i, j) = (k / n, k % n);
                    Counted(if i == j {
                        10.0 + i as f64
                    } else {
                        0.3 + 0.1 * (i + 2 * j) as f64
                    })
                })
                .collect();
            let mut lu = Lu::new(n);
            let factor = count_ops(|| lu.factor(&a).expect("regular"));
            assert_eq!(factor.flops(), lu_factor_flops(n as u64), "factor n = {n}");
            let mut b = vec![Counted(1.0); n];
            let solve = count_ops(|| lu.solve_transpose(&mut b));
            assert_eq!(solve.flops(), lu_solve_flops(n as u64), "solve^T n = {n}");
            let solve = count_ops(|| lu.solve(&mut b));
            assert_eq!(solve.flops(), lu_solve_flops(n as u64), "solve n = {n}");
        }
    }

    #[test]
    fn follower_solve_flops_match_the_code() {
        for d2 in 1..=5usize {
            let mut h: Vec<Counted> = (0..d2 * d2)
                .map(|k| Counted(if k % (d2 + 1) == 0 { 4.0 } else { 0.25 }))
                .collect();
            let mut lambda = vec![Counted(1.0); d2];
            let mut lu = Lu::new(d2);
            let c = count_ops(|| {
                crate::field::follower_solve::<Counted, 1>(
                    &mut h,
                    Counted(0.0),
                    &mut lambda,
                    Some(&mut lu),
                )
                .expect("regular");
            });
            assert_eq!(c.flops(), follower_solve_flops(d2 as u64), "d2 = {d2}");
        }
    }
}
