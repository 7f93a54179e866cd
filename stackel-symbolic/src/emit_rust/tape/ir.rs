//! The tape form as data: one [`TapeProgram`] per cost and set of
//! differentiated players, the forward pass (each needed let into its
//! array, a layer's activation f(pre) in a second loop over the stored
//! pre-activations, then the cost) and the reverse pass (adjoints of the active lets
//! in reverse order, the gradient into `Grad`), by source transformation:
//! `back(e, s)` adds `s * de/dleaf` into the adjoint of every leaf of `e`
//! that depends on the differentiated players, with the local rules
//! (u v)' = u' v + u v', (u / v)' = u' / v - u v' / v^2, f(u)' = f'(u) u',
//! a sum's adjoint to every term, a max/min's to its first best term (ties
//! to the smallest index, as the forward pass picks it); the values a rule
//! needs are recomputed from the let arrays (cheap: a let body is one
//! layer).
//!
//! Every back end runs these programs: the macro prints them as Rust
//! (`rust.rs`), `stackel-jit` compiles them with Cranelift or interprets
//! them. Each runs every [`Val`] with the `Real` operation of its name,
//! left to right as nested here, so all compute the same bits, in any
//! number type (plain, tangent, tangent of tangent).

use crate::model::{BinaryFn, UnaryFn};

mod build;

/// The arrays a tape program reads and writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Array {
    /// The state: N player entries, then the data.
    X,
    /// The flat params.
    P,
    /// Kept let `k`'s values (`t<k>`).
    Let(usize),
    /// Let `k`'s adjoints (`a<k>`).
    Adjoint(usize),
    /// The gradient over the N player entries (`g`).
    Grad,
}

/// A flat position `offset + sum(coef * counter)` (an `i64`, converted to
/// an index as the generated code's `as usize`).
#[derive(Clone, Debug, PartialEq)]
pub struct Addr {
    /// The constant part.
    pub offset: i64,
    /// Each counter (a sum variable's number) with its coefficient.
    pub terms: Vec<(u32, i64)>,
}

/// A value, evaluated with the `Real` operation of its name.
#[derive(Clone, Debug, PartialEq)]
pub enum Val {
    /// `S::zero()` for 0, else `S::of(c)`.
    Const(f64),
    /// `array[addr]`.
    Load(Array, Addr),
    /// `S::of((counter + offset) as f64)`.
    Counter(u32, i64),
    /// A local.
    Local(u32),
    /// -a
    Neg(Box<Val>),
    /// a + b
    Add(Box<Val>, Box<Val>),
    /// a - b
    Sub(Box<Val>, Box<Val>),
    /// a * b
    Mul(Box<Val>, Box<Val>),
    /// a / b
    Div(Box<Val>, Box<Val>),
    /// `a.powi(n)`
    Powi(Box<Val>, i32),
    /// `a.powf(b)`
    Powf(Box<Val>, Box<Val>),
    /// `a.f()`
    Unary(UnaryFn, Box<Val>),
    /// `a.min(b)`
    Min(Box<Val>, Box<Val>),
    /// `a.max(b)`
    Max(Box<Val>, Box<Val>),
    /// `a.sign()`
    Sign(Box<Val>),
    /// `a.heaviside()`
    Heaviside(Box<Val>),
    /// `{ let t = a; S::one() - t * t }` (tanh' from tanh)
    OneMinusSquare(Box<Val>),
    /// `{ let t = a; S::one() + t * t }` (tan' from tan)
    OnePlusSquare(Box<Val>),
    /// `{ let s = a; s * (S::one() - s) }` (sigmoid' from sigmoid)
    SigmoidSlope(Box<Val>),
    /// `sum(var in lo..hi) body`: with `lanes`, four accumulators a0..a3
    /// taking terms k, k+1, k+2, k+3 while k + 4 <= hi, the rest into a0,
    /// then `(a0 + a1) + (a2 + a3)`; else one accumulator from zero.
    Sum {
        /// The counter.
        var: u32,
        /// First value.
        lo: i64,
        /// End (exclusive).
        hi: i64,
        /// The term.
        body: Box<Val>,
        /// Four accumulators.
        lanes: bool,
    },
    /// The first best term of `body` over `lo..hi` (max or min by `re()`).
    Fold {
        /// Max or min.
        op: BinaryFn,
        /// The counter.
        var: u32,
        /// First value.
        lo: i64,
        /// End (exclusive).
        hi: i64,
        /// The term.
        body: Box<Val>,
    },
}

impl Val {
    /// The values this one is computed from (a sum's or fold's body
    /// included; none for a leaf).
    pub fn operands(&self) -> Vec<&Val> {
        match self {
            Val::Const(_) | Val::Load(..) | Val::Counter(..) | Val::Local(_) => Vec::new(),
            Val::Neg(a)
            | Val::Powi(a, _)
            | Val::Unary(_, a)
            | Val::Sign(a)
            | Val::Heaviside(a)
            | Val::OneMinusSquare(a)
            | Val::OnePlusSquare(a)
            | Val::SigmoidSlope(a)
            | Val::Sum { body: a, .. }
            | Val::Fold { body: a, .. } => vec![a],
            Val::Add(a, b)
            | Val::Sub(a, b)
            | Val::Mul(a, b)
            | Val::Div(a, b)
            | Val::Powf(a, b)
            | Val::Min(a, b)
            | Val::Max(a, b) => vec![a, b],
        }
    }
}

/// A statement.
#[derive(Clone, Debug, PartialEq)]
pub enum Stmt {
    /// `for var in lo..hi { body }`.
    Loop {
        /// The counter.
        var: u32,
        /// First value.
        lo: i64,
        /// End (exclusive).
        hi: i64,
        /// The body.
        body: Vec<Stmt>,
    },
    /// `array[addr] = value`.
    Store(Array, Addr, Val),
    /// `array[addr] += value`.
    AddTo(Array, Addr, Val),
    /// `local = value`.
    Let(u32, Val),
    /// `if re(a) <= re(b) { then } else { other }` (`>=` with `ge`), a and
    /// b locals.
    Pick {
        /// Left local.
        a: u32,
        /// Right local.
        b: u32,
        /// `>=` instead of `<=`.
        ge: bool,
        /// Where the test holds.
        then: Vec<Stmt>,
        /// Where it does not.
        other: Vec<Stmt>,
    },
    /// Sets counter `var` to the index of the first best term of `body`
    /// over `lo..hi` (as [`Val::Fold`] finds it), then runs `then`.
    ArgBest {
        /// Max or min.
        op: BinaryFn,
        /// The counter.
        var: u32,
        /// First value.
        lo: i64,
        /// End (exclusive).
        hi: i64,
        /// The term.
        body: Val,
        /// Run with the counter at the best index.
        then: Vec<Stmt>,
    },
}

/// One tape program: the forward pass, a cost and the reverse passes,
/// each adding a gradient over the players its mask selects into `Grad`.
#[derive(Clone, Debug, PartialEq)]
pub struct TapeProgram {
    /// The let arrays the forward pass fills: (let id, length); every
    /// other let array stays empty.
    pub lets: Vec<(usize, usize)>,
    /// The let arrays the caller supplies, filled (read only): (let id,
    /// length); see [`Split`].
    pub inputs: Vec<(usize, usize)>,
    /// The forward pass (stores into `Let` arrays).
    pub forward: Vec<Stmt>,
    /// The cost, after the forward pass.
    pub cost: Val,
    /// The reverse passes, one after the other: none for a cost, one for a
    /// gradient, one per player for omega.
    pub passes: Vec<ReversePass>,
    /// Locals used (numbered from 0).
    pub locals: u32,
    /// Counters used (numbered by sum variable, from 0).
    pub counters: u32,
}

/// One reverse pass: a cost's gradient over the players of a mask.
#[derive(Clone, Debug, PartialEq)]
pub struct ReversePass {
    /// The adjoint arrays it uses: (let id, length), zero at its start.
    pub adjoints: Vec<(usize, usize)>,
    /// Its statements.
    pub body: Vec<Stmt>,
}

/// A follower cost's gradient programs for directions that move the
/// followers only (the operators H w, H^T v and B^T v), split in two: the
/// lets that do not depend on a follower (a generator's layers) have a zero
/// tangent, so `primal` computes them in plain numbers (its `lets`, handed
/// back to the caller) and each `tangent` program, forward over reverse,
/// takes them as `inputs` (zero-tangent numbers) and computes the rest.
/// Less arithmetic than tangents of everything where those lets dominate,
/// and the same values, but for the sign of a zero tangent.
#[derive(Clone, Debug)]
pub struct Split {
    /// The direction-free lets (the forward pass only; cost 0).
    pub primal: TapeProgram,
    /// The gradient programs over the players which 1-3 select (as in
    /// [`TapePrograms::grads`]: the leader, the followers, the cost's own
    /// player), reading some of `primal`'s lets as inputs; their cost is 0
    /// (the operators use the gradient only, so the forward pass skips
    /// the lets only the cost's value needs).
    pub tangent: [TapeProgram; 3],
}

/// The programs of one game, as the tape form's generated methods select
/// them.
#[derive(Clone, Debug)]
pub struct TapePrograms {
    /// `__tape_cost`: one per cost (0 the leader, 1.. the followers).
    pub costs: Vec<TapeProgram>,
    /// `__tape_grad`: `grads[which][c]` for which in all (0), the leader
    /// (1), the followers (2), cost c's own player (3); `None` for the
    /// leader's own (which 3, c 0), never generated.
    pub grads: [Vec<Option<TapeProgram>>; 4],
    /// omega = (D1f1, D2f2): one forward pass, then the leader's gradient
    /// of f1 and each follower's gradient of its own cost (the same bits
    /// as `grads[1][0]` and `grads[3][i]` run one by one).
    pub omega: TapeProgram,
    /// Split gradient programs for directions on the followers, per cost
    /// c (the operators read the followers'): `None` for the leader's cost
    /// and where every let cost c needs depends on a follower (nothing to
    /// split off).
    pub follower_tangents: Vec<Option<Split>>,
    /// D2f1 from given lets: `(c, program)`, the leader cost's gradient
    /// over the followers reading the direction-free lets of follower cost
    /// c's [`Split::primal`] (which needs the same ones), so that D2f1 and
    /// the operators of a Stackelberg step share them (`None` where no
    /// follower cost needs the same direction-free lets).
    pub leader_follower_gradient: Option<(usize, TapeProgram)>,
    /// The follower blocks: (offset in x, length).
    pub blocks: Vec<(usize, usize)>,
    /// d1, d2, NP, ND.
    pub dims: [usize; 4],
    /// The number of entries of each kept let.
    pub let_lens: Vec<usize>,
}
