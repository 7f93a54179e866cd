//! Indexed expressions: trees over player/param/direction/multiplier
//! entries at affine indices, with sums, indicators and Kronecker deltas
//! kept symbolic. Nodes are built through simplifying constructors
//! (constant folding, 0/1 rules, empty sums, flattened n-ary `+` and `*`)
//! and shared through `Rc`; each node records its free index variables.

use crate::model::UnaryFn;
use std::collections::HashMap;
use std::rc::Rc;

/// An index variable: a sum index of the model (same number as its
/// `SumVar`) or a fresh output index of a gradient.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ix(pub u32);

/// An affine index `var + offset` (`offset` alone when `var` is `None`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Aff {
    /// The index variable, if any.
    pub var: Option<Ix>,
    /// The constant part.
    pub offset: i64,
}

impl Aff {
    /// The constant index `c`.
    pub fn constant(c: i64) -> Aff {
        Aff {
            var: None,
            offset: c,
        }
    }
    /// The index `v + c`.
    pub fn of(v: Ix, c: i64) -> Aff {
        Aff {
            var: Some(v),
            offset: c,
        }
    }
    /// `self` with `var := target` (unchanged if `self` does not use `var`).
    pub fn subst(self, var: Ix, target: Aff) -> Aff {
        if self.var == Some(var) {
            Aff {
                var: target.var,
                offset: target.offset + self.offset,
            }
        } else {
            self
        }
    }
}

/// What an entry reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Leaf {
    /// The state of player `p` (0 leader, 1.. followers).
    State(usize),
    /// Param `q` (position in `GameModel::params`).
    Param(usize),
    /// The direction vector of an operator, player `p`'s block.
    Dir(usize),
    /// The direction in param space, param `q`'s block.
    ParamDir(usize),
    /// The multiplier (lambda or v), follower `p`'s block (p >= 1).
    Lambda(usize),
}

/// Shared handle of a node.
pub type E = Rc<Ex>;

/// A node and its free index variables (sorted, no repeats).
#[derive(Debug, PartialEq)]
pub struct Ex {
    /// The node.
    pub node: Node,
    /// Free index variables.
    pub free: Box<[Ix]>,
}

impl Ex {
    /// True if `v` occurs free.
    pub fn uses(&self, v: Ix) -> bool {
        self.free.binary_search(&v).is_ok()
    }
    /// The value if constant.
    pub fn as_num(&self) -> Option<f64> {
        match self.node {
            Node::Num(v) => Some(v),
            _ => None,
        }
    }
    /// True for the constant 0.
    pub fn is_zero(&self) -> bool {
        self.as_num() == Some(0.0)
    }
}

/// One node.
#[derive(Debug, PartialEq)]
pub enum Node {
    /// A constant.
    Num(f64),
    /// `leaf[index]` (empty index for a scalar).
    Entry {
        /// What is read.
        leaf: Leaf,
        /// Affine index per dimension.
        index: Vec<Aff>,
    },
    /// The value of an index, as a number.
    Index(Aff),
    /// n-ary sum (n >= 2).
    Add(Vec<E>),
    /// n-ary product (n >= 2), a constant factor first.
    Mul(Vec<E>),
    /// a / b
    Div(E, E),
    /// a ^ b
    Pow(E, E),
    /// f(a)
    Unary(UnaryFn, E),
    /// -1, 0 or 1 (0 at 0).
    Sign(E),
    /// 1 if a > 0 else 0.
    Heaviside(E),
    /// 1 if a <= b else 0.
    Le(E, E),
    /// a if a <= b else b.
    Min(E, E),
    /// a if a >= b else b.
    Max(E, E),
    /// `sum(var in lo..hi) body`, lo < hi.
    Sum {
        /// The bound index.
        var: Ix,
        /// First value.
        lo: i64,
        /// End (exclusive).
        hi: i64,
        /// The summand.
        body: E,
    },
    /// The indicator `[lo <= aff < hi]`.
    Range {
        /// The index tested.
        aff: Aff,
        /// Lowest value allowed.
        lo: i64,
        /// End (exclusive).
        hi: i64,
    },
    /// The Kronecker delta `[a == b]`.
    Delta(Aff, Aff),
}

fn merge(sets: &[&[Ix]]) -> Box<[Ix]> {
    let mut v: Vec<Ix> = sets.iter().flat_map(|s| s.iter().copied()).collect();
    v.sort_unstable();
    v.dedup();
    v.into_boxed_slice()
}

fn aff_vars(affs: &[Aff]) -> Box<[Ix]> {
    let mut v: Vec<Ix> = affs.iter().filter_map(|a| a.var).collect();
    v.sort_unstable();
    v.dedup();
    v.into_boxed_slice()
}

/// Wraps a node, computing its free variables.
pub fn mk(node: Node) -> E {
    let free = match &node {
        Node::Num(_) => Box::default(),
        Node::Entry { index, .. } => aff_vars(index),
        Node::Index(a) | Node::Range { aff: a, .. } => aff_vars(&[*a]),
        Node::Delta(a, b) => aff_vars(&[*a, *b]),
        Node::Add(xs) | Node::Mul(xs) => {
            let sets: Vec<&[Ix]> = xs.iter().map(|x| &*x.free).collect();
            merge(&sets)
        }
        Node::Div(a, b) | Node::Pow(a, b) | Node::Le(a, b) | Node::Min(a, b) | Node::Max(a, b) => {
            merge(&[&a.free, &b.free])
        }
        Node::Unary(_, a) | Node::Sign(a) | Node::Heaviside(a) => a.free.clone(),
        Node::Sum { var, body, .. } => body.free.iter().copied().filter(|v| v != var).collect(),
    };
    Rc::new(Ex { node, free })
}

/// The constant `v`.
pub fn num(v: f64) -> E {
    mk(Node::Num(v))
}

/// `leaf[index]`.
pub fn entry(leaf: Leaf, index: Vec<Aff>) -> E {
    mk(Node::Entry { leaf, index })
}

/// Sum of `xs`: nested sums flattened, constants folded, zeros dropped.
pub fn add(xs: Vec<E>) -> E {
    let mut c = 0.0;
    let mut out = Vec::new();
    for x in xs {
        match &x.node {
            Node::Num(v) => c += v,
            Node::Add(ys) => {
                for y in ys {
                    match y.node {
                        Node::Num(v) => c += v,
                        _ => out.push(y.clone()),
                    }
                }
            }
            _ => out.push(x),
        }
    }
    if c != 0.0 || out.is_empty() {
        out.insert(0, num(c));
    }
    if out.len() == 1 {
        return out.pop().expect("one term");
    }
    mk(Node::Add(out))
}

/// a + b
pub fn add2(a: E, b: E) -> E {
    add(vec![a, b])
}

/// a - b
pub fn sub(a: E, b: E) -> E {
    add(vec![a, neg(b)])
}

/// -a
pub fn neg(a: E) -> E {
    mul(vec![num(-1.0), a])
}

/// Product of `xs`: nested products flattened, constants folded into one
/// leading factor, ones dropped, 0 if a factor is the constant 0.
pub fn mul(xs: Vec<E>) -> E {
    let mut c = 1.0;
    let mut out = Vec::new();
    for x in xs {
        match &x.node {
            Node::Num(v) => c *= v,
            Node::Mul(ys) => {
                for y in ys {
                    match y.node {
                        Node::Num(v) => c *= v,
                        _ => out.push(y.clone()),
                    }
                }
            }
            _ => out.push(x),
        }
    }
    if c == 0.0 {
        return num(0.0);
    }
    if c != 1.0 || out.is_empty() {
        out.insert(0, num(c));
    }
    if out.len() == 1 {
        return out.pop().expect("one factor");
    }
    mk(Node::Mul(out))
}

/// a * b
pub fn mul2(a: E, b: E) -> E {
    mul(vec![a, b])
}

/// a / b; division by a power of two becomes the (exact) factor 1/b.
pub fn div(a: E, b: E) -> E {
    if a.is_zero() {
        return a;
    }
    match b.as_num() {
        Some(1.0) => a,
        Some(v) if a.as_num().is_some() => num(a.as_num().unwrap_or(0.0) / v),
        Some(v) if v != 0.0 && v.is_finite() && (1.0 / v) * v == 1.0 && is_power_of_two(v) => {
            mul2(num(1.0 / v), a)
        }
        _ => mk(Node::Div(a, b)),
    }
}

/// True for +-2^k (dividing by it and multiplying by its inverse agree
/// exactly).
fn is_power_of_two(v: f64) -> bool {
    let bits = v.abs().to_bits();
    bits & ((1u64 << 52) - 1) == 0 && (bits >> 52) != 0
}

/// a ^ b
pub fn pow(a: E, b: E) -> E {
    match (a.as_num(), b.as_num()) {
        (_, Some(0.0)) => num(1.0),
        (_, Some(1.0)) => a,
        _ => mk(Node::Pow(a, b)),
    }
}

/// f(a)
pub fn unary(f: UnaryFn, a: E) -> E {
    mk(Node::Unary(f, a))
}

/// [lo <= aff < hi], folded when `aff` is constant or the range is empty.
pub fn range(aff: Aff, lo: i64, hi: i64) -> E {
    if lo >= hi {
        return num(0.0);
    }
    if aff.var.is_none() {
        return num(f64::from(u8::from(lo <= aff.offset && aff.offset < hi)));
    }
    mk(Node::Range { aff, lo, hi })
}

/// [a == b], folded when both are constant or use the same variable.
pub fn delta(a: Aff, b: Aff) -> E {
    if a.var == b.var {
        return num(f64::from(u8::from(a.offset == b.offset)));
    }
    mk(Node::Delta(a, b))
}

/// `sum(var in lo..hi) body`: 0 for an empty range or a zero body,
/// `(hi - lo) * body` when the body does not use `var`.
pub fn sum(var: Ix, lo: i64, hi: i64, body: E) -> E {
    if lo >= hi || body.is_zero() {
        return num(0.0);
    }
    if !body.uses(var) {
        return mul2(num((hi - lo) as f64), body);
    }
    mk(Node::Sum { var, lo, hi, body })
}

/// Rebuilds `e` with `f` applied to every child (through the simplifying
/// constructors); leaves and index nodes go through `leaf`.
pub fn map_children(e: &E, f: &mut dyn FnMut(&E) -> E) -> E {
    match &e.node {
        Node::Num(_)
        | Node::Entry { .. }
        | Node::Index(_)
        | Node::Range { .. }
        | Node::Delta(..) => e.clone(),
        Node::Add(xs) => add(xs.iter().map(&mut *f).collect()),
        Node::Mul(xs) => mul(xs.iter().map(&mut *f).collect()),
        Node::Div(a, b) => div(f(a), f(b)),
        Node::Pow(a, b) => pow(f(a), f(b)),
        Node::Unary(g, a) => unary(*g, f(a)),
        Node::Sign(a) => mk(Node::Sign(f(a))),
        Node::Heaviside(a) => mk(Node::Heaviside(f(a))),
        Node::Le(a, b) => mk(Node::Le(f(a), f(b))),
        Node::Min(a, b) => mk(Node::Min(f(a), f(b))),
        Node::Max(a, b) => mk(Node::Max(f(a), f(b))),
        Node::Sum { var, lo, hi, body } => sum(*var, *lo, *hi, f(body)),
    }
}

/// Results of a rewrite by node, for shared subtrees to stay shared (the
/// input is kept so that its address is not reused).
pub type Memo = HashMap<*const Ex, (E, E)>;

/// `e` with index variable `var := target` everywhere (`var` must not be
/// bound inside `e`).
pub fn subst(e: &E, var: Ix, target: Aff) -> E {
    subst_in(e, var, target, &mut Memo::new())
}

/// [`subst`] with a memo shared by several calls for the same `var`.
pub fn subst_in(e: &E, var: Ix, target: Aff, memo: &mut Memo) -> E {
    if !e.uses(var) {
        return e.clone();
    }
    if let Some((_, out)) = memo.get(&Rc::as_ptr(e)) {
        return out.clone();
    }
    let out = match &e.node {
        Node::Entry { leaf, index } => {
            entry(*leaf, index.iter().map(|a| a.subst(var, target)).collect())
        }
        Node::Index(a) => {
            let a = a.subst(var, target);
            match a.var {
                None => num(a.offset as f64),
                Some(_) => mk(Node::Index(a)),
            }
        }
        Node::Range { aff, lo, hi } => range(aff.subst(var, target), *lo, *hi),
        Node::Delta(a, b) => delta(a.subst(var, target), b.subst(var, target)),
        _ => map_children(e, &mut |c| subst_in(c, var, target, memo)),
    };
    memo.insert(Rc::as_ptr(e), (e.clone(), out.clone()));
    out
}

/// The children of a node, in order.
pub fn children(e: &E) -> Vec<&E> {
    match &e.node {
        Node::Num(_)
        | Node::Entry { .. }
        | Node::Index(_)
        | Node::Range { .. }
        | Node::Delta(..) => vec![],
        Node::Add(xs) | Node::Mul(xs) => xs.iter().collect(),
        Node::Div(a, b) | Node::Pow(a, b) | Node::Le(a, b) | Node::Min(a, b) | Node::Max(a, b) => {
            vec![a, b]
        }
        Node::Unary(_, a) | Node::Sign(a) | Node::Heaviside(a) => vec![a],
        Node::Sum { body, .. } => vec![body],
    }
}

/// Number of nodes of the tree (shared nodes counted once per use).
pub fn tree_size(e: &E) -> usize {
    1 + children(e).into_iter().map(tree_size).sum::<usize>()
}
