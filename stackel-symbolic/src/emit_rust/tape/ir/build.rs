//! Building the tape programs from a game's model: each cost's forward
//! pass over the lets it needs, and its reverse passes by source
//! transformation (the rules in the parent module's docs), with the
//! activity analysis deciding what each pass skips.

use super::{Addr, Array, ReversePass, Split, Stmt, TapeProgram, TapePrograms, Val};
use crate::emit_rust::tape::activity::{has_reduction, let_len, Cx};
use crate::model::{BinOp, BinaryFn, Expr, GameModel, Index, Shape, UnaryFn};
use std::cell::Cell;

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
        let follower_tangents: Vec<Option<Split>> = (0..players)
            .map(|c| (c > 0).then(|| split(model, c, [1, 2, 3].map(|w| mask(w, c))))?)
            .collect();
        // D2f1 from the primal lets of a follower cost that needs the same
        // direction-free lets as the leader's cost
        let fixed0 = fixed_lets(model, 0);
        let leader_follower_gradient = (1..players)
            .find(|&c| follower_tangents[c].is_some() && fixed_lets(model, c) == fixed0)
            .map(|c| {
                (
                    c,
                    gradient_only(model, 0, Cx::new(model, mask(2, 0)), &fixed0),
                )
            });
        let blocks = (1..players)
            .map(|p| (model.player_offset(p), model.player(p).shape.len()))
            .collect();
        TapePrograms {
            costs,
            grads,
            omega,
            follower_tangents,
            leader_follower_gradient,
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

/// Cost `c`'s gradients over the players of each of `masks` (which 1-3),
/// split for directions on the followers ([`Split`]); `None` when every let
/// the cost needs depends on a follower.
fn split(model: &GameModel, c: usize, masks: [Vec<bool>; 3]) -> Option<Split> {
    let all = Cx::new(model, vec![true; 1 + model.followers.len()]);
    let lets = &model.program.lets;
    let fixed = fixed_lets(model, c);
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
    let tangent = masks.map(|mask| gradient_only(model, c, Cx::new(model, mask), &fixed));
    Some(Split { primal, tangent })
}

/// The lets cost `c` needs that do not depend on a follower.
fn fixed_lets(model: &GameModel, c: usize) -> Vec<bool> {
    let players = 1 + model.followers.len();
    let moved = Cx::new(model, (0..players).map(|p| p > 0).collect());
    let all = Cx::new(model, vec![true; players]);
    let lets = &model.program.lets;
    let mut need = vec![false; lets.len()];
    all.need(&model.program.costs[c], &mut need);
    (0..lets.len())
        .map(|k| need[k] && !moved.is_let_active(k))
        .collect()
}

/// Cost `c`'s gradient over `cx`'s mask without the cost's value (0): the
/// forward pass computes only the lets the reverse pass reads (and what
/// they need), not those only the value needs (the operators discard it:
/// B^T v skips the discriminator's real-data branch, H w the loss).
fn gradient_only(model: &GameModel, c: usize, cx: Cx<'_>, given: &[bool]) -> TapeProgram {
    let all = Cx::new(model, vec![true; 1 + model.followers.len()]);
    let (locals, counters) = (Cell::new(0), Cell::new(0));
    let pass = reverse_pass(&Builder::new(&cx, model, &locals, &counters), c);
    let lets = &model.program.lets;
    let mut read = vec![false; lets.len()];
    stmt_loads(&pass.body, &mut read);
    let mut need = vec![false; lets.len()];
    for k in (0..lets.len()).filter(|&k| read[k]) {
        need[k] = true;
        if !given[k] {
            all.need(&lets[k].body, &mut need);
        }
    }
    let b = Builder::new(&all, model, &locals, &counters);
    let (arrays, forward) = b.forward(&need, given);
    let inputs = inputs(model, &need, given);
    TapeProgram {
        lets: arrays,
        inputs,
        forward,
        cost: Val::Const(0.0),
        passes: vec![pass],
        locals: locals.get(),
        counters: counters.get(),
    }
}

/// The lets a program needs and is given: (let id, length).
fn inputs(model: &GameModel, need: &[bool], given: &[bool]) -> Vec<(usize, usize)> {
    let lets = &model.program.lets;
    (0..lets.len())
        .filter(|&k| need[k] && given[k])
        .map(|k| (k, let_len(&lets[k])))
        .collect()
}

/// Marks in `read` every let whose values `stmts` load.
fn stmt_loads(stmts: &[Stmt], read: &mut [bool]) {
    for s in stmts {
        match s {
            Stmt::Loop { body, .. } => stmt_loads(body, read),
            Stmt::Store(_, _, v) | Stmt::AddTo(_, _, v) | Stmt::Let(_, v) => val_loads(v, read),
            Stmt::Pick { then, other, .. } => {
                stmt_loads(then, read);
                stmt_loads(other, read);
            }
            Stmt::ArgBest { body, then, .. } => {
                val_loads(body, read);
                stmt_loads(then, read);
            }
        }
    }
}

/// Marks in `read` every let whose values `v` loads.
fn val_loads(v: &Val, read: &mut [bool]) {
    if let Val::Load(Array::Let(k), _) = v {
        read[*k] = true;
    }
    for a in v.operands() {
        val_loads(a, read);
    }
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
    let inputs = inputs(model, &need, given);
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

    /// The flat position of a player entry (a variable or a part's) in x
    /// and in the gradient (the same: the players come first in x).
    fn player_addr(&self, e: &Expr) -> Option<Addr> {
        let m = self.model;
        match e {
            Expr::Var { player, index } => {
                Some(self.flat(m.player_offset(*player), m.player(*player).shape, index))
            }
            Expr::Part {
                player,
                part,
                index,
            } => {
                let pt = &m.player(*player).parts[*part];
                Some(self.flat(m.player_offset(*player) + pt.offset, pt.shape, index))
            }
            _ => None,
        }
    }

    /// The value of `e`: an integer power up to 64 by `powi`, a sum of 8
    /// or more terms without an inner reduction in four lanes.
    fn val(&self, e: &Expr) -> Val {
        let m = self.model;
        match e {
            Expr::Num(v) => Val::Const(*v),
            Expr::Var { .. } | Expr::Part { .. } => {
                Val::Load(Array::X, self.player_addr(e).expect("a player entry"))
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
                lanes: hi - lo >= 8 && !has_reduction(body),
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
        let s = || Val::Local(seed);
        match e {
            Expr::Var { .. } | Expr::Part { .. } => vec![Stmt::AddTo(
                Array::Grad,
                self.player_addr(e).expect("a player entry"),
                s(),
            )],
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
