//! The hash-consed expression DAG.
//!
//! Every node is interned: building a node that already exists returns the
//! existing [`Id`], so equal subexpressions are one node and the lowering
//! computes them once. Children always exist before their parents, so
//! ascending ids are a topological order.
//!
//! Nodes are built through the simplifying constructors in
//! [`crate::simplify`] (`add`, `sum`, `mul`, `product`, `powi`, ...), which
//! keep them in a canonical form: sums and products are n-ary and flat, with
//! operands sorted by id; a sum has at most one constant term and its terms
//! are `coefficient * base` with like terms collected; a product has at most
//! one (leading) constant factor and repeated factors merged into powers;
//! subtraction is `a + (-1)*b` and division is `a * b^-1`.

use crate::model::UnaryFn;
use std::collections::HashMap;

/// A node's position in its [`Dag`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Id(pub u32);

impl Id {
    /// The position as a `usize`.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// One expression node over child ids.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Node {
    /// A numeric constant, stored as `f64` bits.
    Const(u64),
    /// Flat state entry `x[k]` (leader first, then the followers).
    State(u32),
    /// Flat param entry `p[k]`.
    Param(u32),
    /// Multiplier entry `lambda[k]` (phi blocks).
    Lambda(u32),
    /// n-ary sum (n >= 2), operands sorted by id, at most one constant.
    Add(Box<[Id]>),
    /// n-ary product (n >= 2), operands sorted by id except a leading constant.
    Mul(Box<[Id]>),
    /// a^n, n an integer other than 0 and 1.
    Powi(Id, i32),
    /// a^b for a non-integer or non-constant exponent b.
    Powf(Id, Id),
    /// A one-argument function of a.
    Unary(UnaryFn, Id),
    /// -1, 0 or 1 (0 at 0).
    Sign(Id),
    /// 1 if a > 0 else 0.
    Heaviside(Id),
    /// a if a <= b else b.
    Min(Id, Id),
    /// a if a >= b else b.
    Max(Id, Id),
    /// 1 if a <= b else 0.
    Le(Id, Id),
}

impl Node {
    /// The child ids, in order.
    pub fn children(&self) -> Vec<Id> {
        match self {
            Node::Const(_) | Node::State(_) | Node::Param(_) | Node::Lambda(_) => vec![],
            Node::Add(xs) | Node::Mul(xs) => xs.to_vec(),
            Node::Powi(a, _) | Node::Unary(_, a) | Node::Sign(a) | Node::Heaviside(a) => {
                vec![*a]
            }
            Node::Powf(a, b) | Node::Min(a, b) | Node::Max(a, b) | Node::Le(a, b) => {
                vec![*a, *b]
            }
        }
    }
}

/// The bits a constant is interned by (`-0.0` stays distinct from `0.0`:
/// `x / -0.0` is `-inf * x`).
pub fn const_bits(v: f64) -> u64 {
    v.to_bits()
}

/// An interning arena of [`Node`]s.
#[derive(Clone, Debug, Default)]
pub struct Dag {
    nodes: Vec<Node>,
    memo: HashMap<Node, Id>,
    /// Per node: does it depend on a state entry or a param (the leaves the
    /// differentiation treats as variables)?
    varies: Vec<bool>,
}

impl Dag {
    /// An empty DAG.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of nodes interned so far.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// True when no node has been interned.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The node at `id`.
    pub fn node(&self, id: Id) -> &Node {
        &self.nodes[id.index()]
    }

    /// True if `id` depends on some state entry or param.
    pub fn varies(&self, id: Id) -> bool {
        self.varies[id.index()]
    }

    /// The node as a constant, if it is one.
    pub fn as_const(&self, id: Id) -> Option<f64> {
        match self.node(id) {
            Node::Const(b) => Some(f64::from_bits(*b)),
            _ => None,
        }
    }

    /// Interns `node` as is (no simplification; see [`crate::simplify`]).
    pub fn intern(&mut self, node: Node) -> Id {
        if let Some(&id) = self.memo.get(&node) {
            return id;
        }
        let id = Id(u32::try_from(self.nodes.len()).expect("DAG over 2^32 nodes"));
        let varies = match &node {
            Node::State(_) | Node::Param(_) => true,
            other => other.children().iter().any(|c| self.varies[c.index()]),
        };
        self.nodes.push(node.clone());
        self.varies.push(varies);
        self.memo.insert(node, id);
        id
    }

    /// The constant v (interned once per bit pattern).
    pub fn constant(&mut self, v: f64) -> Id {
        self.intern(Node::Const(const_bits(v)))
    }
    /// State entry x_k.
    pub fn state(&mut self, k: usize) -> Id {
        self.intern(Node::State(k as u32))
    }
    /// Flat param entry theta_k.
    pub fn param(&mut self, k: usize) -> Id {
        self.intern(Node::Param(k as u32))
    }
    /// Entry lambda_k of the phi multiplier.
    pub fn lambda(&mut self, k: usize) -> Id {
        self.intern(Node::Lambda(k as u32))
    }

    /// Every node reachable from `roots`, in ascending (topological) order.
    pub fn reachable(&self, roots: &[Id]) -> Vec<Id> {
        let mut seen = vec![false; self.nodes.len()];
        let mut stack: Vec<Id> = roots.to_vec();
        let mut out = Vec::new();
        while let Some(id) = stack.pop() {
            if std::mem::replace(&mut seen[id.index()], true) {
                continue;
            }
            out.push(id);
            stack.extend(self.node(id).children());
        }
        out.sort_unstable();
        out
    }

    /// Number of non-leaf nodes reachable from `roots`: the number of
    /// operations straight-line code for them needs.
    pub fn op_count(&self, roots: &[Id]) -> usize {
        self.reachable(roots)
            .into_iter()
            .filter(|&id| !self.node(id).children().is_empty())
            .count()
    }

    /// Evaluates every node up to and including `upto` in `f64` at a point
    /// (an interpreter for tests and for checking the emitted code).
    pub fn eval_upto(&self, upto: Id, x: &[f64], p: &[f64], lambda: &[f64]) -> Vec<f64> {
        let mut v: Vec<f64> = Vec::with_capacity(upto.index() + 1);
        for node in &self.nodes[..=upto.index()] {
            let g = |id: &Id| v[id.index()];
            let value = match node {
                Node::Const(b) => f64::from_bits(*b),
                Node::State(k) => x[*k as usize],
                Node::Param(k) => p[*k as usize],
                Node::Lambda(k) => lambda[*k as usize],
                Node::Add(xs) => xs.iter().map(g).sum(),
                Node::Mul(xs) => xs.iter().map(g).product(),
                Node::Powi(a, n) => g(a).powi(*n),
                Node::Powf(a, b) => g(a).powf(g(b)),
                Node::Unary(f, a) => apply_unary(*f, g(a)),
                Node::Sign(a) => sign(g(a)),
                Node::Heaviside(a) => heaviside(g(a)),
                Node::Min(a, b) => pick_min(g(a), g(b)),
                Node::Max(a, b) => pick_max(g(a), g(b)),
                Node::Le(a, b) => indicator_le(g(a), g(b)),
            };
            v.push(value);
        }
        v
    }

    /// Value of one node at a point.
    pub fn eval(&self, id: Id, x: &[f64], p: &[f64], lambda: &[f64]) -> f64 {
        self.eval_upto(id, x, p, lambda)[id.index()]
    }
}

/// -1, 0 or 1, with 0 at 0 (unlike `f64::signum`).
pub fn sign(v: f64) -> f64 {
    if v > 0.0 {
        1.0
    } else if v < 0.0 {
        -1.0
    } else {
        0.0
    }
}

/// 1 if v > 0 else 0.
pub fn heaviside(v: f64) -> f64 {
    f64::from(u8::from(v > 0.0))
}

/// min(a, b) = a if a <= b else b (a on ties; b if either is NaN).
pub fn pick_min(a: f64, b: f64) -> f64 {
    if a <= b {
        a
    } else {
        b
    }
}

/// max(a, b) = a if a >= b else b (a on ties; b if either is NaN).
pub fn pick_max(a: f64, b: f64) -> f64 {
    if a >= b {
        a
    } else {
        b
    }
}

/// [a <= b]: 1 if a <= b else 0 (the a.e. derivative of min(a, b) in a).
pub fn indicator_le(a: f64, b: f64) -> f64 {
    f64::from(u8::from(a <= b))
}

/// The DSL's unary functions on `f64`, with the runtime's definitions.
pub fn apply_unary(f: UnaryFn, a: f64) -> f64 {
    match f {
        UnaryFn::Exp => a.exp(),
        UnaryFn::Ln => a.ln(),
        UnaryFn::Sqrt => a.sqrt(),
        UnaryFn::Sin => a.sin(),
        UnaryFn::Cos => a.cos(),
        UnaryFn::Tan => a.tan(),
        UnaryFn::Tanh => a.tanh(),
        UnaryFn::Sigmoid => {
            if a >= 0.0 {
                1.0 / (1.0 + (-a).exp())
            } else {
                let e = a.exp();
                e / (1.0 + e)
            }
        }
        UnaryFn::Softplus => {
            if a > 0.0 {
                a + (1.0 + (-a).exp()).ln()
            } else {
                (1.0 + a.exp()).ln()
            }
        }
        UnaryFn::Abs => a.abs(),
        UnaryFn::Relu => {
            if a > 0.0 {
                a
            } else {
                0.0
            }
        }
    }
}
