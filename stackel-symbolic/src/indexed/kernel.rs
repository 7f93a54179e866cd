//! Loop kernels: the loop form of a game as data, for back ends that run
//! it without a Rust build (the run-time compiler's native code and its
//! interpreter, `stackel-jit`).
//!
//! A [`Kernel`] is structured code over six flat arrays ([`Array`]):
//! counted loops with constant bounds, locals, sums as accumulators,
//! indicators and deltas as branches, and stores into `out`. It is built
//! from the indexed expressions ([`super::IndexedGame`]) with the loop
//! form's own decisions ([`super::schedule`]), and computes every entry
//! with the same operations in the same order as the Rust the macro emits
//! for the game (`emit_rust::loops`): the same `+` and `*` folds, the same
//! accumulation order of sums and of the accumulating output loops, the same
//! negations and integer powers. Hoisting and sharing only decide where a
//! value is computed, never how, so the results agree bit for bit.
//!
//! [`LoopKernels::new`] builds one kernel per [`Method`] of the loop-form
//! `Game`: both kinds of cost, the gradients, omega, the six operators and
//! the five param-direction derivatives.

use super::expr::{Aff, Ex, Ix, Leaf, Node, E};
use super::schedule::{self, split_accumulating};
use super::{IndexedGame, Part};
use crate::model::{Shape, UnaryFn};
use std::collections::HashMap;
use std::rc::Rc;

/// The flat arrays a kernel reads and writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Array {
    /// The state x (len N).
    X,
    /// The flat params (len NP).
    P,
    /// The multiplier lambda (len d2).
    Lambda,
    /// The direction of an operator.
    Dir,
    /// The direction in param space (len NP).
    ParamDir,
    /// The output.
    Out,
}

/// A flat position `offset + sum(coef * counter)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Index {
    /// The constant part.
    pub offset: i64,
    /// Each counter with its coefficient.
    pub terms: Vec<(Ix, i64)>,
}

/// A branch condition on loop counters.
#[derive(Clone, Debug, PartialEq)]
pub enum Cond {
    /// `lo <= var + offset < hi`.
    InRange {
        /// The counter.
        var: Ix,
        /// Added to it.
        offset: i64,
        /// Lowest value allowed.
        lo: i64,
        /// End (exclusive).
        hi: i64,
    },
    /// `a == b + offset` (`a == offset` without `b`).
    Equal {
        /// The left counter.
        a: Ix,
        /// The right counter, if any.
        b: Option<Ix>,
        /// Added to the right side.
        offset: i64,
    },
}

/// A value (of the kernel's number type).
#[derive(Clone, Debug, PartialEq)]
pub enum Val {
    /// A constant.
    Const(f64),
    /// `array[index]`.
    Load(Array, Index),
    /// A local.
    Local(u32),
    /// The number `counter + offset`.
    Counter(Ix, i64),
    /// `((a + b) + c) + ..`.
    Add(Vec<Val>),
    /// `((a * b) * c) * ..` (1 when empty).
    Mul(Vec<Val>),
    /// -a
    Neg(Box<Val>),
    /// a / b
    Div(Box<Val>, Box<Val>),
    /// a^n by `Real::powi`.
    Powi(Box<Val>, i32),
    /// a^b by `Real::powf`.
    Powf(Box<Val>, Box<Val>),
    /// f(a) by the runtime's `Real` function.
    Unary(UnaryFn, Box<Val>),
    /// `Real::sign`.
    Sign(Box<Val>),
    /// `Real::heaviside`.
    Heaviside(Box<Val>),
    /// 1 if re(a) <= re(b) else 0.
    Le(Box<Val>, Box<Val>),
    /// `Real::min`.
    Min(Box<Val>, Box<Val>),
    /// `Real::max`.
    Max(Box<Val>, Box<Val>),
    /// The value if every condition holds, else 0 (evaluated only then).
    Guard(Vec<Cond>, Box<Val>),
    /// The statements, then the value.
    Block(Vec<Stmt>, Box<Val>),
}

/// A statement.
#[derive(Clone, Debug, PartialEq)]
pub enum Stmt {
    /// `local = value`.
    Let(u32, Val),
    /// `local = local + value`.
    AddTo(u32, Val),
    /// `for var in lo..hi { body }` (lo < hi).
    Loop {
        /// The counter.
        var: Ix,
        /// First value.
        lo: i64,
        /// End (exclusive).
        hi: i64,
        /// The body.
        body: Vec<Stmt>,
    },
    /// `out[index] = value`.
    Store(Index, Val),
    /// `out[index] = out[index] + value`.
    StoreAdd(Index, Val),
}

/// One kernel: its statements, its number of locals and counters, and the
/// length of each array it may touch (the array lengths a caller passes).
#[derive(Clone, Debug, PartialEq)]
pub struct Kernel {
    /// The statements.
    pub body: Vec<Stmt>,
    /// Locals are numbered `0..locals`.
    pub locals: u32,
    /// Counters are numbered `0..counters`.
    pub counters: u32,
    /// The length of each array, in the order of [`Array`] (0: not read).
    pub lens: [usize; 6],
}

impl Kernel {
    /// The length of `a` in this kernel.
    pub fn len_of(&self, a: Array) -> usize {
        self.lens[a as usize]
    }
}

/// The methods of the loop-form `Game` that are one kernel each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// f1 into `out[0]`.
    LeaderCost,
    /// Follower i's cost into `out[0]`.
    FollowerCost(usize),
    /// D1 f1 (len d1).
    D1f1,
    /// D2 f1 (len d2).
    D2f1,
    /// D2 f2 (len d2).
    D2f2,
    /// omega (len N).
    Omega,
    /// H w, dir = w (len d2).
    HMul,
    /// H^T v, lambda = v (len d2).
    HTmul,
    /// B u, dir = u (len d2).
    BMul,
    /// B^T v, lambda = v (len d1).
    BTmul,
    /// (D^2 f1) dir (len N).
    F1Hvp,
    /// (D^2 phi) dir, lambda fixed (len N).
    PhiHvp,
    /// d/dp D1 f1 in the direction pdir (a column, len d1).
    D1pF1,
    /// d/dp D2 f1 (len d2).
    D2pF1,
    /// d/dp D2 f2 (len d2).
    D2pF2,
    /// d/dp D1 phi (len d1).
    D1pPhi,
    /// d/dp D2 phi (len d2).
    D2pPhi,
}

/// The methods after the costs, in kernel order.
const VECTOR_METHODS: [Method; 15] = [
    Method::D1f1,
    Method::D2f1,
    Method::D2f2,
    Method::Omega,
    Method::HMul,
    Method::HTmul,
    Method::BMul,
    Method::BTmul,
    Method::F1Hvp,
    Method::PhiHvp,
    Method::D1pF1,
    Method::D2pF1,
    Method::D2pF2,
    Method::D1pPhi,
    Method::D2pPhi,
];

/// The kernels of a loop-form game, one per [`Method`], numbered as
/// [`LoopKernels::number`]: the leader's cost, each follower's cost, then
/// the other methods in the order of [`Method`].
#[derive(Clone, Debug)]
pub struct LoopKernels {
    /// d1, d2, np.
    pub dims: [usize; 3],
    /// Number of followers.
    pub followers: usize,
    /// The kernels, numbered.
    pub kernels: Vec<Kernel>,
}

impl LoopKernels {
    /// Every kernel of `g`.
    pub fn new(g: &IndexedGame) -> LoopKernels {
        let (d1, d2, np) = (g.d1, g.d2, g.np);
        let n = d1 + d2;
        let state = |p: &Part| g.player_offset(p.player);
        let follower = |p: &Part| g.player_offset(p.player) - d1;
        // lens: x, p, lambda, dir, pdir, out
        let plain = |out: usize| [n, np, 0, 0, 0, out];
        let cost = |f: &E| {
            let mut b = Builder::new(g, 0);
            let v = b.val_shared(f);
            b.finish(vec![Stmt::Store(constant(0), v)], plain(1))
        };
        let vector = |parts: &[&[Part]], offset: &dyn Fn(&Part) -> usize, dir_base, lens| {
            let mut b = Builder::new(g, dir_base);
            let mut body = Vec::new();
            for p in parts {
                body.extend(b.write(p, offset, true));
            }
            b.finish(body, lens)
        };
        let column = |parts: &[Part], offset: &dyn Fn(&Part) -> usize, lens| {
            let mut b = Builder::new(g, 0);
            let body = b.write(parts, offset, false);
            b.finish(body, lens)
        };
        let mut kernels = vec![cost(&g.f1)];
        kernels.extend(g.f2.iter().map(cost));
        kernels.extend(VECTOR_METHODS.map(|m| match m {
            Method::D1f1 => vector(&[&g.d1f1], &state, 0, plain(d1)),
            Method::D2f1 => vector(&[&g.d2f1], &follower, 0, plain(d2)),
            Method::D2f2 => vector(&[&g.d2f2], &follower, 0, plain(d2)),
            Method::Omega => vector(&[&g.d1f1, &g.d2f2], &state, 0, plain(n)),
            Method::HMul => vector(&[&g.h_mul], &follower, d1, [n, np, 0, d2, 0, d2]),
            Method::HTmul => vector(&[&g.d2phi], &follower, 0, [n, np, d2, 0, 0, d2]),
            Method::BMul => vector(&[&g.b_mul], &follower, 0, [n, np, 0, d1, 0, d2]),
            Method::BTmul => vector(&[&g.d1phi], &state, 0, [n, np, d2, 0, 0, d1]),
            Method::F1Hvp => vector(&[&g.f1_hvp], &state, 0, [n, np, 0, n, 0, n]),
            Method::PhiHvp => vector(&[&g.phi_hvp], &state, 0, [n, np, d2, n, 0, n]),
            Method::D1pF1 => column(&g.d1p_f1, &state, [n, np, 0, 0, np, d1]),
            Method::D2pF1 => column(&g.d2p_f1, &follower, [n, np, 0, 0, np, d2]),
            Method::D2pF2 => column(&g.d2p_f2, &follower, [n, np, 0, 0, np, d2]),
            Method::D1pPhi => column(&g.d1p_phi, &state, [n, np, d2, 0, np, d1]),
            Method::D2pPhi => column(&g.d2p_phi, &follower, [n, np, d2, 0, np, d2]),
            Method::LeaderCost | Method::FollowerCost(_) => unreachable!("costs come first"),
        }));
        LoopKernels {
            dims: [d1, d2, np],
            followers: g.f2.len(),
            kernels,
        }
    }

    /// The number of `m`'s kernel; `None` for a follower that does not
    /// exist.
    pub fn number(&self, m: Method) -> Option<usize> {
        let after = 1 + self.followers;
        match m {
            Method::LeaderCost => Some(0),
            Method::FollowerCost(i) => (i < self.followers).then_some(1 + i),
            other => VECTOR_METHODS
                .iter()
                .position(|v| *v == other)
                .map(|k| after + k),
        }
    }

    /// `m`'s kernel.
    ///
    /// # Panics
    /// For a follower that does not exist.
    pub fn get(&self, m: Method) -> &Kernel {
        &self.kernels[self.number(m).expect("the follower exists")]
    }
}

fn constant(c: i64) -> Index {
    Index {
        offset: c,
        terms: vec![],
    }
}

/// Builds the statements of one kernel (the structure of
/// `emit_rust::loops::Gen`, producing data instead of tokens).
struct Builder<'a> {
    game: &'a IndexedGame,
    /// `Dir(p)` reads `dir[offset(p) - dir_base + flat]`.
    dir_base: usize,
    /// Nodes computed into a local that is in scope.
    hoisted: HashMap<*const Ex, u32>,
    locals: u32,
}

impl<'a> Builder<'a> {
    fn new(game: &'a IndexedGame, dir_base: usize) -> Self {
        Builder {
            game,
            dir_base,
            hoisted: HashMap::new(),
            locals: 0,
        }
    }

    fn finish(self, body: Vec<Stmt>, lens: [usize; 6]) -> Kernel {
        Kernel {
            body,
            locals: self.locals,
            counters: self.game.vars,
            lens,
        }
    }

    fn local(&mut self) -> u32 {
        self.locals += 1;
        self.locals - 1
    }

    fn is_hoisted(&self) -> impl Fn(&E) -> bool + '_ {
        |x: &E| self.hoisted.contains_key(&Rc::as_ptr(x))
    }

    /// `let` for each invariant of `e` in a loop over `inner`; registers
    /// them until [`Builder::unhoist`].
    fn hoist(&mut self, e: &E, inner: &[Ix]) -> (Vec<Stmt>, Vec<E>) {
        let mut found = Vec::new();
        schedule::invariants(e, &mut inner.to_vec(), &self.is_hoisted(), &mut found);
        let lets = self.bind(&found);
        (lets, found)
    }

    /// `let` for each node of `nodes` in order, each registered before the
    /// next is built.
    fn bind(&mut self, nodes: &[E]) -> Vec<Stmt> {
        nodes
            .iter()
            .map(|f| {
                let value = self.val(f);
                let h = self.local();
                self.hoisted.insert(Rc::as_ptr(f), h);
                Stmt::Let(h, value)
            })
            .collect()
    }

    fn unhoist(&mut self, found: &[E]) {
        for f in found {
            self.hoisted.remove(&Rc::as_ptr(f));
        }
    }

    /// `e` with its common subexpressions computed once.
    fn val_shared(&mut self, e: &E) -> Val {
        let found = schedule::shared(e, &self.is_hoisted());
        let lets = self.bind(&found);
        let value = self.val(e);
        self.unhoist(&found);
        if lets.is_empty() {
            value
        } else {
            Val::Block(lets, Box::new(value))
        }
    }

    fn flat(&self, offset: usize, shape: Shape, index: &[Aff]) -> Index {
        let mut out = Index {
            offset: offset as i64,
            terms: vec![],
        };
        let mut add = |a: &Aff, scale: i64| {
            out.offset += a.offset * scale;
            if let Some(v) = a.var {
                out.terms.push((v, scale));
            }
        };
        match shape {
            Shape::Scalar => {}
            Shape::Vector(_) => add(&index[0], 1),
            Shape::Matrix(_, m) => {
                add(&index[0], m as i64);
                add(&index[1], 1);
            }
        }
        out
    }

    fn cond(e: &E) -> Cond {
        match &e.node {
            Node::Range { aff, lo, hi } => Cond::InRange {
                var: aff.var.expect("constant indicators are folded"),
                offset: aff.offset,
                lo: *lo,
                hi: *hi,
            },
            Node::Delta(a, b) => {
                let (a, b) = if a.var.is_none() { (b, a) } else { (a, b) };
                Cond::Equal {
                    a: a.var.expect("constant deltas are folded"),
                    b: b.var,
                    offset: b.offset - a.offset,
                }
            }
            _ => unreachable!("not a guard"),
        }
    }

    fn val(&mut self, e: &E) -> Val {
        if let Some(&h) = self.hoisted.get(&Rc::as_ptr(e)) {
            return Val::Local(h);
        }
        let g = self.game;
        let bx = Box::new;
        match &e.node {
            Node::Num(v) => Val::Const(*v),
            Node::Entry { leaf, index } => match *leaf {
                Leaf::State(p) => {
                    Val::Load(Array::X, self.flat(g.player_offset(p), g.shapes[p], index))
                }
                Leaf::Dir(p) => Val::Load(
                    Array::Dir,
                    self.flat(g.player_offset(p) - self.dir_base, g.shapes[p], index),
                ),
                Leaf::Lambda(p) => Val::Load(
                    Array::Lambda,
                    self.flat(g.player_offset(p) - g.d1, g.shapes[p], index),
                ),
                Leaf::Param(q) => Val::Load(
                    Array::P,
                    self.flat(g.param_offset(q), g.param_shapes[q], index),
                ),
                Leaf::ParamDir(q) => Val::Load(
                    Array::ParamDir,
                    self.flat(g.param_offset(q), g.param_shapes[q], index),
                ),
            },
            Node::Index(a) => {
                Val::Counter(a.var.expect("constant index values are folded"), a.offset)
            }
            Node::Add(xs) => Val::Add(xs.iter().map(|x| self.val(x)).collect()),
            Node::Mul(xs) => {
                let mut conds = Vec::new();
                let mut factors = Vec::new();
                let mut negate = false;
                for (k, x) in xs.iter().enumerate() {
                    match &x.node {
                        Node::Range { .. } | Node::Delta(..) => conds.push(Self::cond(x)),
                        Node::Num(v) if k == 0 && *v == -1.0 => negate = true,
                        _ => factors.push(self.val(x)),
                    }
                }
                let product = match factors.len() {
                    0 => Val::Const(1.0),
                    1 => factors.pop().expect("one factor"),
                    _ => Val::Mul(factors),
                };
                let product = if negate {
                    Val::Neg(bx(product))
                } else {
                    product
                };
                if conds.is_empty() {
                    product
                } else {
                    Val::Guard(conds, bx(product))
                }
            }
            Node::Div(a, b) => Val::Div(bx(self.val(a)), bx(self.val(b))),
            Node::Pow(a, b) => {
                let a = self.val(a);
                match b.as_num() {
                    Some(n) if n.fract() == 0.0 && n.abs() < 1e9 => Val::Powi(bx(a), n as i32),
                    _ => Val::Powf(bx(a), bx(self.val(b))),
                }
            }
            Node::Unary(f, a) => Val::Unary(*f, bx(self.val(a))),
            Node::Sign(a) => Val::Sign(bx(self.val(a))),
            Node::Heaviside(a) => Val::Heaviside(bx(self.val(a))),
            Node::Le(a, b) => Val::Le(bx(self.val(a)), bx(self.val(b))),
            Node::Min(a, b) => Val::Min(bx(self.val(a)), bx(self.val(b))),
            Node::Max(a, b) => Val::Max(bx(self.val(a)), bx(self.val(b))),
            Node::Sum { var, lo, hi, body } => {
                let (mut stmts, found) = self.hoist(body, &[*var]);
                let value = self.val_shared(body);
                self.unhoist(&found);
                let s = self.local();
                stmts.push(Stmt::Let(s, Val::Const(0.0)));
                stmts.push(Stmt::Loop {
                    var: *var,
                    lo: *lo,
                    hi: *hi,
                    body: vec![Stmt::AddTo(s, value)],
                });
                Val::Block(stmts, bx(Val::Local(s)))
            }
            Node::Range { .. } | Node::Delta(..) => {
                Val::Guard(vec![Self::cond(e)], bx(Val::Const(1.0)))
            }
        }
    }

    /// Loop nests writing every entry of `parts`: entry `r` of the vector
    /// (part offset `offset(part)` + row-major position) into `out[r]`;
    /// `accumulate`: in the accumulating order where a part has it.
    fn write(
        &mut self,
        parts: &[Part],
        offset: &dyn Fn(&Part) -> usize,
        accumulate: bool,
    ) -> Vec<Stmt> {
        let mut nests = Vec::new();
        for part in parts {
            if accumulate {
                if let Some(code) = self.write_accumulating(part, offset(part)) {
                    nests.extend(code);
                    continue;
                }
            }
            // values a loop level does not depend on, before that level
            let mut levels = Vec::new();
            for l in 0..part.outs.len() {
                levels.push(self.hoist(&part.expr, &part.outs[l..]));
            }
            let value = self.val_shared(&part.expr);
            let idx: Vec<Aff> = part.outs.iter().map(|o| Aff::of(*o, 0)).collect();
            let r = self.flat(offset(part), self.game.shapes[part.player], &idx);
            let mut code = vec![Stmt::Store(r, value)];
            for ((o, d), (lets, found)) in part.outs.iter().zip(&part.dims).zip(levels).rev() {
                let mut level = lets;
                level.push(Stmt::Loop {
                    var: *o,
                    lo: 0,
                    hi: *d as i64,
                    body: code,
                });
                code = level;
                self.unhoist(&found);
            }
            nests.extend(code);
        }
        nests
    }

    /// The accumulating order (`emit_rust::loops::order`): `out[r] =
    /// plain terms` over the last output index b, then for each
    /// accumulated term `for k { f = outside; for b { out[r] += f * inside } }`.
    fn write_accumulating(&mut self, part: &Part, offset: usize) -> Option<Vec<Stmt>> {
        let b = *part.outs.last()?;
        let (plain, acc) = split_accumulating(&part.expr, b)?;
        let idx: Vec<Aff> = part.outs.iter().map(|o| Aff::of(*o, 0)).collect();
        let r = self.flat(offset, self.game.shapes[part.player], &idx);
        let d = *part.dims.last().expect("an output index") as i64;
        let first = self.val(&super::expr::add(plain));
        let mut body = vec![Stmt::Loop {
            var: b,
            lo: 0,
            hi: d,
            body: vec![Stmt::Store(r.clone(), first)],
        }];
        for a in acc {
            let f = self.val(&super::expr::mul(a.outside));
            let g = self.val(&super::expr::mul(a.inside));
            let local = self.local();
            body.push(Stmt::Loop {
                var: a.var,
                lo: a.lo,
                hi: a.hi,
                body: vec![
                    Stmt::Let(local, f),
                    Stmt::Loop {
                        var: b,
                        lo: 0,
                        hi: d,
                        body: vec![Stmt::StoreAdd(
                            r.clone(),
                            Val::Mul(vec![Val::Local(local), g]),
                        )],
                    },
                ],
            });
        }
        let mut code = body;
        for (o, d) in part.outs.iter().zip(&part.dims).rev().skip(1) {
            code = vec![Stmt::Loop {
                var: *o,
                lo: 0,
                hi: *d as i64,
                body: code,
            }];
        }
        Some(code)
    }
}

/// Inclusive ranges of the counters in scope.
type Ranges = HashMap<Ix, (i64, i64)>;

impl Kernel {
    /// Proves that every load and store stays inside its array (lengths
    /// [`Kernel::lens`]) for every value the loops and branches let the
    /// counters take, so a back end may index without checks; the first
    /// access it cannot prove, otherwise.
    pub fn check_bounds(&self) -> Result<(), String> {
        let mut ranges = Ranges::new();
        self.stmts_in_bounds(&self.body, &mut ranges)
    }

    fn stmts_in_bounds(&self, stmts: &[Stmt], r: &mut Ranges) -> Result<(), String> {
        for s in stmts {
            match s {
                Stmt::Let(_, v) | Stmt::AddTo(_, v) => self.val_in_bounds(v, r)?,
                Stmt::Loop { var, lo, hi, body } => {
                    if lo >= hi {
                        return Err(format!("an empty loop over i{}", var.0));
                    }
                    let outer = r.insert(*var, (*lo, hi - 1));
                    self.stmts_in_bounds(body, r)?;
                    match outer {
                        Some(o) => r.insert(*var, o),
                        None => r.remove(var),
                    };
                }
                Stmt::Store(i, v) | Stmt::StoreAdd(i, v) => {
                    self.index_in_bounds(Array::Out, i, r)?;
                    self.val_in_bounds(v, r)?;
                }
            }
        }
        Ok(())
    }

    fn index_in_bounds(&self, a: Array, i: &Index, r: &Ranges) -> Result<(), String> {
        let (mut lo, mut hi) = (i.offset, i.offset);
        for (v, c) in &i.terms {
            let &(vl, vh) = r
                .get(v)
                .ok_or_else(|| format!("{a:?} indexed by i{}, which no loop binds", v.0))?;
            let (x, y) = (vl * c, vh * c);
            lo += x.min(y);
            hi += x.max(y);
        }
        let len = self.len_of(a) as i64;
        if lo < 0 || hi >= len {
            return Err(format!(
                "{a:?} indexed in {lo}..={hi}, but it has {len} entries"
            ));
        }
        Ok(())
    }

    fn val_in_bounds(&self, v: &Val, r: &Ranges) -> Result<(), String> {
        match v {
            Val::Const(_) | Val::Local(_) => Ok(()),
            Val::Counter(var, _) => r
                .contains_key(var)
                .then_some(())
                .ok_or_else(|| format!("the value of i{}, which no loop binds", var.0)),
            Val::Load(a, i) => self.index_in_bounds(*a, i, r),
            Val::Add(xs) | Val::Mul(xs) => xs.iter().try_for_each(|x| self.val_in_bounds(x, r)),
            Val::Neg(a) | Val::Powi(a, _) | Val::Unary(_, a) | Val::Sign(a) | Val::Heaviside(a) => {
                self.val_in_bounds(a, r)
            }
            Val::Div(a, b) | Val::Powf(a, b) | Val::Le(a, b) | Val::Min(a, b) | Val::Max(a, b) => {
                self.val_in_bounds(a, r)?;
                self.val_in_bounds(b, r)
            }
            Val::Guard(conds, a) => {
                let mut inner = r.clone();
                for c in conds {
                    if !refine(c, &mut inner)? {
                        // never taken
                        return Ok(());
                    }
                }
                self.val_in_bounds(a, &inner)
            }
            Val::Block(stmts, a) => {
                let mut inner = r.clone();
                self.stmts_in_bounds(stmts, &mut inner)?;
                self.val_in_bounds(a, &inner)
            }
        }
    }
}

/// Narrows the counter ranges to where `c` holds; false if it never does.
fn refine(c: &Cond, r: &mut Ranges) -> Result<bool, String> {
    let get = |r: &Ranges, v: &Ix| {
        r.get(v)
            .copied()
            .ok_or_else(|| format!("a branch on i{}, which no loop binds", v.0))
    };
    let meet = |(a, b): (i64, i64), (c, d): (i64, i64)| (a.max(c), b.min(d));
    match c {
        Cond::InRange {
            var,
            offset,
            lo,
            hi,
        } => {
            let n = meet(get(r, var)?, (lo - offset, hi - 1 - offset));
            r.insert(*var, n);
            Ok(n.0 <= n.1)
        }
        Cond::Equal { a, b: None, offset } => {
            let n = meet(get(r, a)?, (*offset, *offset));
            r.insert(*a, n);
            Ok(n.0 <= n.1)
        }
        Cond::Equal {
            a,
            b: Some(b),
            offset,
        } => {
            let (ra, rb) = (get(r, a)?, get(r, b)?);
            let na = meet(ra, (rb.0 + offset, rb.1 + offset));
            let nb = meet(rb, (na.0 - offset, na.1 - offset));
            r.insert(*a, na);
            r.insert(*b, nb);
            Ok(na.0 <= na.1 && nb.0 <= nb.1)
        }
    }
}
