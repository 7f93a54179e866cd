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

use super::activity::{let_len, Cx};
use crate::model::{BinOp, BinaryFn, Expr, GameModel, Index, Shape, UnaryFn};
use std::cell::Cell;

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

/// A gradient program for directions that move the followers only (the
/// operators H w, H^T v and B^T v), split in two: the lets that do not
/// depend on a follower (a generator's layers) have a zero tangent, so
/// `primal` computes them in plain numbers (its `lets`, handed back to the
/// caller) and `tangent`, forward over reverse, takes them as `inputs`
/// (zero-tangent numbers) and computes the rest. Two to four times less
/// arithmetic than tangents of everything where those lets dominate, and
/// the same values, but for the sign of a zero tangent.
#[derive(Clone, Debug)]
pub struct Split {
    /// The direction-free lets (the forward pass only; cost 0).
    pub primal: TapeProgram,
    /// The gradient program, reading `primal`'s lets as inputs.
    pub tangent: TapeProgram,
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
    /// Split gradient programs for directions on the followers:
    /// `follower_tangents[which - 1][c]` for which 1-3 as in `grads` and
    /// follower cost c (the operators read f2's), `None` for the leader's
    /// cost and where every let cost c needs depends on a follower (nothing
    /// to split off).
    pub follower_tangents: [Vec<Option<Split>>; 3],
    /// The follower blocks: (offset in x, length).
    pub blocks: Vec<(usize, usize)>,
    /// d1, d2, NP, ND.
    pub dims: [usize; 4],
    /// The number of entries of each kept let.
    pub let_lens: Vec<usize>,
}

impl TapePrograms {
    /// Every program of `model`'s tape form.
    pub fn new(model: &GameModel) -> Self {
        let players = 1 + model.followers.len();
        let mask = |which: u8, c: usize| -> Vec<bool> {
            (0..players)
                .map(|p| match which {
                    0 => true,
                    1 => p == 0,
                    2 => p > 0,
                    _ => p == c,
                })
                .collect()
        };
        let none = vec![false; model.program.lets.len()];
        let costs = (0..players).map(|c| build(model, c, &[], &none)).collect();
        let grads = [0u8, 1, 2, 3].map(|which| {
            (0..players)
                .map(|c| {
                    if which == 3 && c == 0 {
                        return None;
                    }
                    Some(build(
                        model,
                        c,
                        &[(c, Cx::new(model, mask(which, c)))],
                        &none,
                    ))
                })
                .collect()
        });
        let passes: Vec<(usize, Cx<'_>)> = (0..players)
            .map(|c| (c, Cx::new(model, mask(if c == 0 { 1 } else { 3 }, c))))
            .collect();
        let omega = build(model, 0, &passes, &none);
        let follower_tangents = [1u8, 2, 3].map(|which| {
            (0..players)
                .map(|c| (c > 0).then(|| split(model, c, mask(which, c)))?)
                .collect()
        });
        let blocks = (1..players)
            .map(|p| (model.player_offset(p), model.player(p).shape.len()))
            .collect();
        TapePrograms {
            costs,
            grads,
            omega,
            follower_tangents,
            blocks,
            let_lens: model.program.lets.iter().map(let_len).collect(),
            dims: [
                model.leader_dim(),
                model.follower_dim(),
                model.param_len(),
                model.data_len(),
            ],
        }
    }
}

/// Cost `c`'s gradient over the players of `mask`, split for directions
/// on the followers ([`Split`]); `None` when every let the cost needs
/// depends on a follower.
fn split(model: &GameModel, c: usize, mask: Vec<bool>) -> Option<Split> {
    let players = 1 + model.followers.len();
    let moved = Cx::new(model, (0..players).map(|p| p > 0).collect());
    let all = Cx::new(model, vec![true; players]);
    let lets = &model.program.lets;
    let mut need = vec![false; lets.len()];
    all.need(&model.program.costs[c], &mut need);
    let fixed: Vec<bool> = (0..lets.len())
        .map(|k| need[k] && !moved.is_let_active(k))
        .collect();
    if !fixed.contains(&true) {
        return None;
    }
    let (locals, counters) = (Cell::new(0), Cell::new(0));
    let b = Builder::new(&all, model, &locals, &counters);
    let (arrays, forward) = b.forward(&fixed, &vec![false; lets.len()]);
    let primal = TapeProgram {
        lets: arrays,
        inputs: Vec::new(),
        forward,
        cost: Val::Const(0.0),
        passes: Vec::new(),
        locals: locals.get(),
        counters: counters.get(),
    };
    let tangent = build(model, c, &[(c, Cx::new(model, mask))], &fixed);
    Some(Split { primal, tangent })
}

/// The program of cost `c`, with a reverse pass for each (cost, mask) of
/// `passes`: the forward pass computes the lets any of them needs but those
/// marked in `given` (the program's inputs).
fn build(model: &GameModel, c: usize, passes: &[(usize, Cx<'_>)], given: &[bool]) -> TapeProgram {
    let all = Cx::new(model, vec![true; 1 + model.followers.len()]);
    let (locals, counters) = (Cell::new(0), Cell::new(0));
    let b = Builder::new(&all, model, &locals, &counters);
    let lets = &model.program.lets;
    let cost = &model.program.costs[c];
    let mut need = vec![false; lets.len()];
    all.need(cost, &mut need);
    for (p, _) in passes {
        all.need(&model.program.costs[*p], &mut need);
    }
    let (arrays, forward) = b.forward(&need, given);
    let inputs = lets
        .iter()
        .enumerate()
        .filter(|&(k, _)| need[k] && given[k])
        .map(|(k, l)| (k, let_len(l)))
        .collect();
    let value = b.val(cost);
    let passes = passes
        .iter()
        .map(|(p, cx)| {
            let b = Builder::new(cx, model, &locals, &counters);
            reverse_pass(&b, *p)
        })
        .collect();
    TapeProgram {
        lets: arrays,
        inputs,
        forward,
        cost: value,
        passes,
        locals: locals.get(),
        counters: counters.get(),
    }
}

/// The gradient of cost `c` over `b`'s mask, added into `Grad`: the cost's
/// own adjoint, then each let it needs that depends on the mask, in
/// reverse order.
fn reverse_pass(b: &Builder<'_, '_>, c: usize) -> ReversePass {
    let (model, cx) = (b.model, b.cx);
    let lets = &model.program.lets;
    let cost = &model.program.costs[c];
    let mut need = vec![false; lets.len()];
    cx.need(cost, &mut need);
    let mut adjoints = Vec::new();
    for (k, l) in lets.iter().enumerate() {
        if need[k] && cx.is_let_active(k) {
            adjoints.push((k, let_len(l)));
        }
    }
    let seed = b.local();
    let mut body = vec![Stmt::Let(seed, Val::Const(1.0))];
    body.extend(b.back(cost, seed));
    for (k, l) in lets.iter().enumerate().rev() {
        if !(need[k] && cx.is_let_active(k)) {
            continue;
        }
        let at = b.let_addr(k, &b.own(k));
        let adj = b.local();
        let mut each = vec![Stmt::Let(adj, Val::Load(Array::Adjoint(k), at.clone()))];
        each.extend(b.back_stored(&l.body, Val::Load(Array::Let(k), at), adj));
        body.extend(b.let_loops(k, each));
    }
    ReversePass { adjoints, body }
}

/// `Val` constructors.
fn bx(v: Val) -> Box<Val> {
    Box::new(v)
}

fn mul(a: Val, b: Val) -> Val {
    Val::Mul(bx(a), bx(b))
}

struct Builder<'a, 'b> {
    cx: &'a Cx<'b>,
    model: &'a GameModel,
    /// Locals handed out (shared by a program's passes).
    locals: &'a Cell<u32>,
    /// One more than the largest counter seen.
    counters: &'a Cell<u32>,
}

impl<'a, 'b> Builder<'a, 'b> {
    fn new(
        cx: &'a Cx<'b>,
        model: &'a GameModel,
        locals: &'a Cell<u32>,
        counters: &'a Cell<u32>,
    ) -> Self {
        Builder {
            cx,
            model,
            locals,
            counters,
        }
    }

    fn local(&self) -> u32 {
        let k = self.locals.get();
        self.locals.set(k + 1);
        k
    }

    fn counter(&self, v: crate::model::SumVar) -> u32 {
        self.counters.set(self.counters.get().max(v.0 + 1));
        v.0
    }

    /// `var + offset` into `addr`, times `scale`.
    fn add_index(&self, addr: &mut Addr, i: &Index, scale: i64) {
        addr.offset += i.offset * scale;
        if let Some(v) = i.var {
            let c = self.counter(v);
            addr.terms.push((c, scale));
        }
    }

    /// `base + flat(index)` for a row-major `shape`.
    fn flat(&self, base: usize, shape: Shape, index: &[Index]) -> Addr {
        let mut a = Addr {
            offset: base as i64,
            terms: Vec::new(),
        };
        match (shape, index) {
            (Shape::Scalar, _) => {}
            (Shape::Vector(_), [i]) => self.add_index(&mut a, i, 1),
            (Shape::Matrix(_, m), [i, j]) => {
                self.add_index(&mut a, i, m as i64);
                self.add_index(&mut a, j, 1);
            }
            _ => unreachable!("the checker matches index counts to shapes"),
        }
        a
    }

    /// Let `id`'s own indices as an index.
    fn own(&self, id: usize) -> Vec<Index> {
        self.model.program.lets[id]
            .indices
            .iter()
            .map(|(v, _, _)| Index {
                var: Some(*v),
                offset: 0,
            })
            .collect()
    }

    /// Where entry `index` of let `id` sits in its array (row-major over
    /// the let's index ranges).
    fn let_addr(&self, id: usize, index: &[Index]) -> Addr {
        let l = &self.model.program.lets[id];
        let mut a = Addr {
            offset: 0,
            terms: Vec::new(),
        };
        let mut stride = 1i64;
        for (k, (_, lo, hi)) in l.indices.iter().enumerate().rev() {
            self.add_index(&mut a, &index[k], stride);
            a.offset -= lo * stride;
            stride *= hi - lo;
        }
        a
    }

    /// The let arrays and the forward pass computing the lets marked in
    /// `need` but not in `given`, in order.
    fn forward(&self, need: &[bool], given: &[bool]) -> (Vec<(usize, usize)>, Vec<Stmt>) {
        let mut forward = Vec::new();
        let mut arrays = Vec::new();
        for (k, l) in self.model.program.lets.iter().enumerate() {
            if !need[k] || given[k] {
                continue;
            }
            let len = let_len(l);
            arrays.push((k, len));
            let at = self.let_addr(k, &self.own(k));
            match &l.body {
                // a layer's activation in a loop of its own over the stored
                // pre-activations (the same values): a loop of one inlined
                // function over an array, which the compiler vectorises
                Expr::Unary(f, inner) if !l.indices.is_empty() => {
                    let pre = self.val(inner);
                    forward.extend(self.let_loops(k, vec![Stmt::Store(Array::Let(k), at, pre)]));
                    let var = self.counters.get();
                    self.counters.set(var + 1);
                    let each = Addr {
                        offset: 0,
                        terms: vec![(var, 1)],
                    };
                    let act = Val::Unary(*f, bx(Val::Load(Array::Let(k), each.clone())));
                    forward.push(Stmt::Loop {
                        var,
                        lo: 0,
                        hi: len as i64,
                        body: vec![Stmt::Store(Array::Let(k), each, act)],
                    });
                }
                body => {
                    let body = self.val(body);
                    forward.extend(self.let_loops(k, vec![Stmt::Store(Array::Let(k), at, body)]));
                }
            }
        }
        (arrays, forward)
    }

    /// Loops over let `id`'s own indices around `body`.
    fn let_loops(&self, id: usize, body: Vec<Stmt>) -> Vec<Stmt> {
        let l = &self.model.program.lets[id];
        let mut out = body;
        for (v, lo, hi) in l.indices.iter().rev() {
            out = vec![Stmt::Loop {
                var: self.counter(*v),
                lo: *lo,
                hi: *hi,
                body: out,
            }];
        }
        out
    }

    /// The value of `e`: an integer power up to 64 by `powi`, a sum of 8
    /// or more terms without an inner reduction in four lanes.
    fn val(&self, e: &Expr) -> Val {
        let m = self.model;
        match e {
            Expr::Num(v) => Val::Const(*v),
            Expr::Var { player, index } => Val::Load(
                Array::X,
                self.flat(m.player_offset(*player), m.player(*player).shape, index),
            ),
            Expr::Part {
                player,
                part,
                index,
            } => {
                let pt = &m.player(*player).parts[*part];
                Val::Load(
                    Array::X,
                    self.flat(m.player_offset(*player) + pt.offset, pt.shape, index),
                )
            }
            Expr::Data { data, index } => {
                let d = &m.data[*data];
                let n = m.leader_dim() + m.follower_dim();
                Val::Load(Array::X, self.flat(n + d.offset, d.shape, index))
            }
            Expr::Param { param, index } => {
                let offset: usize = m.params[..*param].iter().map(|p| p.shape.len()).sum();
                Val::Load(Array::P, self.flat(offset, m.params[*param].shape, index))
            }
            Expr::Let { id, index } => Val::Load(Array::Let(*id), self.let_addr(*id, index)),
            Expr::SumIndex(i) => {
                let v = i.var.expect("a sum index has its variable");
                Val::Counter(self.counter(v), i.offset)
            }
            Expr::Neg(a) => Val::Neg(bx(self.val(a))),
            Expr::Binary(op, a, b) => {
                if let (BinOp::Pow, Expr::Num(k)) = (op, &**b) {
                    if k.fract() == 0.0 && k.abs() <= 64.0 {
                        return Val::Powi(bx(self.val(a)), *k as i32);
                    }
                }
                let (a, b) = (bx(self.val(a)), bx(self.val(b)));
                match op {
                    BinOp::Add => Val::Add(a, b),
                    BinOp::Sub => Val::Sub(a, b),
                    BinOp::Mul => Val::Mul(a, b),
                    BinOp::Div => Val::Div(a, b),
                    BinOp::Pow => Val::Powf(a, b),
                }
            }
            Expr::Unary(f, a) => Val::Unary(*f, bx(self.val(a))),
            Expr::Call2(f, a, b) => {
                let (a, b) = (bx(self.val(a)), bx(self.val(b)));
                match f {
                    BinaryFn::Min => Val::Min(a, b),
                    BinaryFn::Max => Val::Max(a, b),
                }
            }
            Expr::Sum { var, lo, hi, body } => Val::Sum {
                var: self.counter(*var),
                lo: *lo,
                hi: *hi,
                lanes: hi - lo >= 8 && !super::activity::has_reduction(body),
                body: bx(self.val(body)),
            },
            Expr::Fold {
                op,
                var,
                lo,
                hi,
                body,
            } => Val::Fold {
                op: *op,
                var: self.counter(*var),
                lo: *lo,
                hi: *hi,
                body: bx(self.val(body)),
            },
        }
    }

    /// `let u = val(e)`: the statement and the local.
    fn bind(&self, e: &Expr) -> (Stmt, u32) {
        let u = self.local();
        (Stmt::Let(u, self.val(e)), u)
    }

    /// `back(e, seed)` with `seed` bound to a fresh local.
    fn scaled(&self, e: &Expr, seed: Val) -> Vec<Stmt> {
        if !self.cx.active(e) {
            return Vec::new();
        }
        let s = self.local();
        let mut out = vec![Stmt::Let(s, seed)];
        out.extend(self.back(e, s));
        out
    }

    /// Adds `seed * de/dleaf` into the adjoint of every active leaf of `e`
    /// (module docs).
    fn back(&self, e: &Expr, seed: u32) -> Vec<Stmt> {
        if !self.cx.active(e) {
            return Vec::new();
        }
        let m = self.model;
        let s = || Val::Local(seed);
        match e {
            Expr::Var { player, index } => vec![Stmt::AddTo(
                Array::Grad,
                self.flat(m.player_offset(*player), m.player(*player).shape, index),
                s(),
            )],
            Expr::Part {
                player,
                part,
                index,
            } => {
                let pt = &m.player(*player).parts[*part];
                vec![Stmt::AddTo(
                    Array::Grad,
                    self.flat(m.player_offset(*player) + pt.offset, pt.shape, index),
                    s(),
                )]
            }
            Expr::Let { id, index } => vec![Stmt::AddTo(
                Array::Adjoint(*id),
                self.let_addr(*id, index),
                s(),
            )],
            Expr::Num(_) | Expr::Param { .. } | Expr::Data { .. } | Expr::SumIndex(_) => Vec::new(),
            Expr::Neg(a) => self.scaled(a, Val::Neg(bx(s()))),
            Expr::Binary(op, a, b) => match op {
                BinOp::Add => {
                    let mut out = self.back(a, seed);
                    out.extend(self.back(b, seed));
                    out
                }
                BinOp::Sub => {
                    let mut out = self.back(a, seed);
                    out.extend(self.scaled(b, Val::Neg(bx(s()))));
                    out
                }
                BinOp::Mul => {
                    let mut out = Vec::new();
                    if self.cx.active(a) {
                        out.extend(self.scaled(a, mul(s(), self.val(b))));
                    }
                    if self.cx.active(b) {
                        out.extend(self.scaled(b, mul(s(), self.val(a))));
                    }
                    out
                }
                BinOp::Div => {
                    let (lb, q) = self.bind(b);
                    let mut out = vec![lb];
                    out.extend(self.scaled(a, Val::Div(bx(s()), bx(Val::Local(q)))));
                    if self.cx.active(b) {
                        let num = mul(s(), self.val(a));
                        let den = mul(Val::Local(q), Val::Local(q));
                        out.extend(self.scaled(b, Val::Neg(bx(Val::Div(bx(num), bx(den))))));
                    }
                    out
                }
                BinOp::Pow => {
                    let (la, u) = self.bind(a);
                    let mut out = vec![la];
                    if let Expr::Num(k) = &**b {
                        let d = if k.fract() == 0.0 && k.abs() <= 64.0 {
                            Val::Powi(bx(Val::Local(u)), *k as i32 - 1)
                        } else {
                            Val::Powf(bx(Val::Local(u)), bx(Val::Const(k - 1.0)))
                        };
                        // `seed * k * d`, left to right
                        out.extend(self.scaled(a, mul(mul(s(), Val::Const(*k)), d)));
                        return out;
                    }
                    let (lb, w) = self.bind(b);
                    out.push(lb);
                    let (u, w) = (|| Val::Local(u), || Val::Local(w));
                    let da = mul(
                        mul(s(), w()),
                        Val::Powf(bx(u()), bx(Val::Sub(bx(w()), bx(Val::Const(1.0))))),
                    );
                    out.extend(self.scaled(a, da));
                    let db = mul(
                        mul(s(), Val::Powf(bx(u()), bx(w()))),
                        Val::Unary(UnaryFn::Ln, bx(u())),
                    );
                    out.extend(self.scaled(b, db));
                    out
                }
            },
            Expr::Unary(f, a) => {
                let (la, u) = self.bind(a);
                let u = || bx(Val::Local(u));
                let seed = match f {
                    UnaryFn::Exp => mul(s(), Val::Unary(UnaryFn::Exp, u())),
                    // `seed * S::one() / u`, left to right
                    UnaryFn::Ln => Val::Div(bx(mul(s(), Val::Const(1.0))), u()),
                    UnaryFn::Sqrt => Val::Div(
                        bx(mul(s(), Val::Const(0.5))),
                        bx(Val::Unary(UnaryFn::Sqrt, u())),
                    ),
                    UnaryFn::Sin => mul(s(), Val::Unary(UnaryFn::Cos, u())),
                    UnaryFn::Cos => mul(s(), Val::Neg(bx(Val::Unary(UnaryFn::Sin, u())))),
                    UnaryFn::Tan => mul(s(), Val::OnePlusSquare(bx(Val::Unary(UnaryFn::Tan, u())))),
                    UnaryFn::Tanh => {
                        mul(s(), Val::OneMinusSquare(bx(Val::Unary(UnaryFn::Tanh, u()))))
                    }
                    UnaryFn::Sigmoid => mul(
                        s(),
                        Val::SigmoidSlope(bx(Val::Unary(UnaryFn::Sigmoid, u()))),
                    ),
                    UnaryFn::Softplus => mul(s(), Val::Unary(UnaryFn::Sigmoid, u())),
                    UnaryFn::Abs => mul(s(), Val::Sign(u())),
                    UnaryFn::Relu => mul(s(), Val::Heaviside(u())),
                };
                let mut out = vec![la];
                out.extend(self.scaled(a, seed));
                out
            }
            Expr::Call2(f, a, b) => {
                let (la, u) = self.bind(a);
                let (lb, w) = self.bind(b);
                vec![
                    la,
                    lb,
                    Stmt::Pick {
                        a: u,
                        b: w,
                        ge: *f == BinaryFn::Max,
                        then: self.back(a, seed),
                        other: self.back(b, seed),
                    },
                ]
            }
            Expr::Sum { var, lo, hi, body } => vec![Stmt::Loop {
                var: self.counter(*var),
                lo: *lo,
                hi: *hi,
                body: self.back(body, seed),
            }],
            Expr::Fold {
                op,
                var,
                lo,
                hi,
                body,
            } => vec![Stmt::ArgBest {
                op: *op,
                var: self.counter(*var),
                lo: *lo,
                hi: *hi,
                body: self.val(body),
                then: self.back(body, seed),
            }],
        }
    }

    /// `back(body, seed)` for a let's body whose value is stored: a root
    /// tanh, sigmoid or exp takes its derivative from the stored value.
    fn back_stored(&self, body: &Expr, stored: Val, seed: u32) -> Vec<Stmt> {
        if let Expr::Unary(f, a) = body {
            let d = match f {
                UnaryFn::Tanh => Some(Val::OneMinusSquare(bx(stored))),
                UnaryFn::Sigmoid => Some(Val::SigmoidSlope(bx(stored))),
                UnaryFn::Exp => Some(stored),
                _ => None,
            };
            if let Some(d) = d {
                return self.scaled(a, mul(Val::Local(seed), d));
            }
        }
        self.back(body, seed)
    }
}
