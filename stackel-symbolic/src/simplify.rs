//! Simplifying constructors: every node the compiler builds goes through
//! these, so the DAG stays in the canonical form described in [`crate::dag`].
//!
//! - constant folding of every operator and function;
//! - sums: flattened, like terms collected (`c*x + d*x = (c+d)*x`, `x - x = 0`,
//!   `x + 0 = x`), numeric multiples of sums distributed
//!   (`x - (x + y) = -y`), operands sorted by id;
//! - products: flattened, constants multiplied (`x*1 = x`, `x*0 = 0`,
//!   `--x = x`), repeated factors merged into integer powers (`x*x = x^2`,
//!   `x/x = 1`, `(x^2)^3 = x^6`), integer powers of products distributed
//!   (`(2*x)^2 = 4*x^2`), operands sorted by id;
//! - `a^b` with a constant integer `b` becomes `a^n` (`powi`).
//!
//! The identities are those of real arithmetic: `x*0 = 0` and `x/x = 1` are
//! applied even though they differ from IEEE arithmetic when `x` is infinite
//! or NaN (the generated code then returns the mathematically intended value
//! where the unsimplified code would have returned NaN).

use crate::dag::{apply_unary, heaviside, indicator_le, pick_max, pick_min, sign, Dag, Id, Node};
use crate::model::UnaryFn;
use std::collections::HashMap;

/// Accumulates (key -> coefficient) in first-seen order.
struct Collect<V> {
    order: Vec<Id>,
    map: HashMap<Id, V>,
}

impl<V: Copy + std::ops::AddAssign> Collect<V> {
    fn new() -> Self {
        Collect {
            order: Vec::new(),
            map: HashMap::new(),
        }
    }
    fn add(&mut self, k: Id, v: V) {
        match self.map.get_mut(&k) {
            Some(old) => *old += v,
            None => {
                self.order.push(k);
                self.map.insert(k, v);
            }
        }
    }
    /// (key, value) sorted by key.
    fn sorted(mut self) -> Vec<(Id, V)> {
        self.order.sort_unstable();
        self.order.iter().map(|k| (*k, self.map[k])).collect()
    }
}

impl Dag {
    /// a + b.
    pub fn add(&mut self, a: Id, b: Id) -> Id {
        self.sum(vec![a, b])
    }

    /// a - b.
    pub fn sub(&mut self, a: Id, b: Id) -> Id {
        let nb = self.neg(b);
        self.sum(vec![a, nb])
    }

    /// -a.
    pub fn neg(&mut self, a: Id) -> Id {
        self.scale(-1.0, a)
    }

    /// c * a.
    pub fn scale(&mut self, c: f64, a: Id) -> Id {
        let k = self.constant(c);
        self.product(vec![k, a])
    }

    /// a * b.
    pub fn mul(&mut self, a: Id, b: Id) -> Id {
        self.product(vec![a, b])
    }

    /// a / b = a * b^-1.
    pub fn div(&mut self, a: Id, b: Id) -> Id {
        self.product_of_powers(vec![(a, 1), (b, -1)])
    }

    /// a ^ n.
    pub fn powi(&mut self, a: Id, n: i32) -> Id {
        self.product_of_powers(vec![(a, n)])
    }

    /// Splits a term into (numeric coefficient, base): `3*x*y` -> (3, x*y).
    pub fn split_coefficient(&mut self, id: Id) -> (f64, Id) {
        if let Node::Mul(xs) = self.node(id) {
            if let Some(k) = self.as_const(xs[0]) {
                let rest: Vec<Id> = xs[1..].to_vec();
                let base = if rest.len() == 1 {
                    rest[0]
                } else {
                    self.intern(Node::Mul(rest.into()))
                };
                return (k, base);
            }
        }
        (1.0, id)
    }

    /// The sum of `terms`, canonical: flattened, like terms collected.
    pub fn sum(&mut self, terms: Vec<Id>) -> Id {
        let mut constant = 0.0;
        let mut coefficients = Collect::<f64>::new();
        let mut stack: Vec<(Id, f64)> = terms.into_iter().map(|t| (t, 1.0)).collect();
        while let Some((id, c)) = stack.pop() {
            match self.node(id) {
                Node::Const(b) => constant += c * f64::from_bits(*b),
                Node::Add(xs) => stack.extend(xs.iter().map(|x| (*x, c))),
                Node::Mul(_) => {
                    let (k, base) = self.split_coefficient(id);
                    if matches!(self.node(base), Node::Add(_)) {
                        stack.push((base, c * k));
                    } else {
                        coefficients.add(base, c * k);
                    }
                }
                _ => coefficients.add(id, c),
            }
        }
        let mut out = Vec::new();
        for (base, c) in coefficients.sorted() {
            if c == 0.0 {
                continue;
            }
            out.push(if c == 1.0 {
                base
            } else {
                let k = self.constant(c);
                self.product(vec![k, base])
            });
        }
        if constant != 0.0 {
            out.push(self.constant(constant));
        }
        match out.len() {
            0 => self.constant(0.0),
            1 => out[0],
            _ => {
                out.sort_unstable();
                self.intern(Node::Add(out.into()))
            }
        }
    }

    /// The product of `factors`, canonical.
    pub fn product(&mut self, factors: Vec<Id>) -> Id {
        self.product_of_powers(factors.into_iter().map(|f| (f, 1)).collect())
    }

    /// prod_i base_i ^ n_i, canonical: flattened, constants folded, equal
    /// bases merged by adding exponents.
    pub fn product_of_powers(&mut self, items: Vec<(Id, i32)>) -> Id {
        let mut k = 1.0;
        let mut exponents = Collect::<i32>::new();
        let mut stack = items;
        while let Some((id, n)) = stack.pop() {
            match self.node(id) {
                Node::Const(b) => k *= f64::from_bits(*b).powi(n),
                Node::Mul(xs) => stack.extend(xs.iter().map(|x| (*x, n))),
                Node::Powi(a, m) => stack.push((*a, m.saturating_mul(n))),
                _ => exponents.add(id, n),
            }
        }
        if k == 0.0 {
            return self.constant(0.0);
        }
        let mut out = Vec::new();
        for (base, n) in exponents.sorted() {
            match n {
                0 => {}
                1 => out.push(base),
                _ => out.push(self.intern(Node::Powi(base, n))),
            }
        }
        match (k == 1.0, out.len()) {
            (_, 0) => self.constant(k),
            (true, 1) => out[0],
            (true, _) => self.intern(Node::Mul(out.into())),
            (false, _) => {
                let kc = self.constant(k);
                out.insert(0, kc);
                self.intern(Node::Mul(out.into()))
            }
        }
    }

    /// a ^ b: `powi` when b is a constant integer, folded when both are constants.
    pub fn pow(&mut self, a: Id, b: Id) -> Id {
        if let Some(e) = self.as_const(b) {
            if e.fract() == 0.0 && e.abs() <= f64::from(i32::MAX) {
                return self.powi(a, e as i32);
            }
            if let Some(base) = self.as_const(a) {
                return self.constant(base.powf(e));
            }
        }
        self.intern(Node::Powf(a, b))
    }

    /// f(a), folded on constants.
    pub fn unary(&mut self, f: UnaryFn, a: Id) -> Id {
        if let Some(v) = self.as_const(a) {
            return self.constant(apply_unary(f, v));
        }
        if let Node::Unary(UnaryFn::Exp, u) = self.node(a) {
            if f == UnaryFn::Ln {
                return *u;
            }
        }
        if f == UnaryFn::Abs && matches!(self.node(a), Node::Unary(UnaryFn::Abs, _)) {
            return a;
        }
        // Odd and even functions of a negated argument: sin(b - a) = -sin(a - b),
        // cos(b - a) = cos(a - b), so both spellings share one node.
        let odd = matches!(f, UnaryFn::Sin | UnaryFn::Tan | UnaryFn::Tanh);
        let even = matches!(f, UnaryFn::Cos | UnaryFn::Abs);
        if (odd || even) && self.is_negated_form(a) {
            let na = self.neg(a);
            let na = self.sum(vec![na]);
            let v = self.intern(Node::Unary(f, na));
            return if odd { self.neg(v) } else { v };
        }
        self.intern(Node::Unary(f, a))
    }

    /// sign(a) (0 at 0).
    pub fn sign(&mut self, a: Id) -> Id {
        match self.as_const(a) {
            Some(v) => self.constant(sign(v)),
            None => self.intern(Node::Sign(a)),
        }
    }

    /// heaviside(a) (0 at 0).
    pub fn heaviside(&mut self, a: Id) -> Id {
        match self.as_const(a) {
            Some(v) => self.constant(heaviside(v)),
            None => self.intern(Node::Heaviside(a)),
        }
    }

    /// 1 if a <= b else 0.
    pub fn le(&mut self, a: Id, b: Id) -> Id {
        match (self.as_const(a), self.as_const(b)) {
            (Some(x), Some(y)) => self.constant(indicator_le(x, y)),
            _ if a == b => self.constant(1.0),
            _ => self.intern(Node::Le(a, b)),
        }
    }

    /// min(a, b) (a on ties).
    pub fn min(&mut self, a: Id, b: Id) -> Id {
        match (self.as_const(a), self.as_const(b)) {
            (Some(x), Some(y)) => self.constant(pick_min(x, y)),
            _ if a == b => a,
            _ => self.intern(Node::Min(a, b)),
        }
    }

    /// max(a, b) (a on ties).
    pub fn max(&mut self, a: Id, b: Id) -> Id {
        match (self.as_const(a), self.as_const(b)) {
            (Some(x), Some(y)) => self.constant(pick_max(x, y)),
            _ if a == b => a,
            _ => self.intern(Node::Max(a, b)),
        }
    }

    /// True if `a` reads as a negation in canonical form: a product with a
    /// negative coefficient, or a sum whose term with the smallest base (the
    /// first non-constant factor) has one. Exactly one of `u` and `-u` is.
    fn is_negated_form(&self, a: Id) -> bool {
        // (smallest base id, coefficient) of a term.
        let term = |t: Id| match self.node(t) {
            Node::Mul(xs) => match self.as_const(xs[0]) {
                Some(k) => (xs[1], k),
                None => (xs[0], 1.0),
            },
            _ => (t, 1.0),
        };
        match self.node(a) {
            Node::Mul(_) => term(a).1 < 0.0,
            Node::Add(xs) => xs
                .iter()
                .filter(|t| self.as_const(**t).is_none())
                .map(|t| term(*t))
                .min_by_key(|(base, _)| *base)
                .is_some_and(|(_, k)| k < 0.0),
            _ => false,
        }
    }

    /// True if `a` is structurally the constant 0.
    pub fn is_zero(&self, a: Id) -> bool {
        self.as_const(a) == Some(0.0)
    }
}
