//! Shapes: dimensions of players and params, and indices checked against
//! them and against the declared ranges of tensor lets (constant or affine
//! in the sum indices).

use super::*;

/// "a vector" / "a matrix" / "a scalar".
pub(super) fn shape_words(shape: Shape) -> String {
    match shape {
        Shape::Scalar => "a scalar".into(),
        Shape::Vector(n) => format!("a vector of {n} entries"),
        Shape::Matrix(n, m) => format!("a {n}x{m} matrix"),
    }
}

pub(super) fn array_example(shape: Shape) -> &'static str {
    match shape {
        Shape::Matrix(..) => "`[[..], [..]]`",
        _ => "`[..]`",
    }
}

/// An entry of a param or player variable (`None` for any other name).
pub(super) fn entry(g: Global, index: Vec<Index>) -> Option<Expr> {
    match g {
        Global::Param(param) => Some(Expr::Param { param, index }),
        Global::Player(player) => Some(Expr::Var { player, index }),
        Global::Data(data) => Some(Expr::Data { data, index }),
        Global::Part(player, part) => Some(Expr::Part {
            player,
            part,
            index,
        }),
        _ => None,
    }
}

impl Checker<'_> {
    /// Shape from optional dims; reports and returns `None` when wrong.
    pub(super) fn shape(&mut self, dims: Option<&ast::Dims>, owner: &str) -> Option<Shape> {
        let Some(dims) = dims else {
            return Some(Shape::Scalar);
        };
        if dims.dims.len() > 2 {
            self.error(
                dims.span,
                format!(
                    "`{owner}` has {} dimensions; a variable or param is a scalar, a vector `[n]` or a matrix `[n, m]`",
                    dims.dims.len()
                ),
            );
            return None;
        }
        let consts = self.const_values.len();
        let mut out = Vec::new();
        for d in &dims.dims {
            match self.eval_int(d, consts, &[], "a dimension") {
                Ok(n) if n > 0 => out.push(usize::try_from(n).unwrap_or(usize::MAX)),
                Ok(n) => {
                    self.error(
                        d.span,
                        format!("dimensions must be positive integers, found {n}"),
                    );
                    return None;
                }
                Err((span, msg)) => {
                    self.error(span, msg);
                    return None;
                }
            }
        }
        let entries = out.iter().try_fold(1usize, |acc, &n| acc.checked_mul(n));
        if entries.is_none_or(|e| e > MAX_ENTRIES) {
            self.error(
                dims.span,
                format!(
                    "`{owner}` is too large: a variable or param has at most {MAX_ENTRIES} entries"
                ),
            );
            return None;
        }
        Some(match out[..] {
            [n] => Shape::Vector(n),
            [n, m] => Shape::Matrix(n, m),
            _ => Shape::Scalar,
        })
    }

    /// Shapes of the params (by position) and of the players (by number).
    pub(super) fn eval_shapes(&mut self) {
        for at in 0..self.param_items.len() {
            let (name, dims, _) = self.param_items[at];
            let shape = self.shape(dims, &name.to_string());
            self.param_shapes.push(shape);
        }
        for at in 0..self.data_items.len() {
            let (name, dims) = self.data_items[at];
            let shape = self.shape(dims, &name.to_string());
            self.data_shapes.push(shape);
        }
        for at in 0..self.player_items.len() {
            let parts = self.part_items[at].clone();
            let part_shapes: Vec<Option<Shape>> = parts
                .iter()
                .map(|(name, dims)| self.shape(*dims, &name.to_string()))
                .collect();
            let shape = match self.player_items[at] {
                Some(_) if !parts.is_empty() => part_shapes
                    .iter()
                    .try_fold(0usize, |n, s| s.map(|s| n + s.len()))
                    .map(Shape::Vector),
                Some((name, _, dims)) => self.shape(dims, &name.to_string()),
                None => None,
            };
            self.part_shapes.push(part_shapes);
            self.player_shapes.push(shape);
        }
    }

    /// Evaluated shape of a declared player or param (`None` if it was wrong).
    pub(super) fn shape_of(&self, g: Global) -> Option<Shape> {
        match g {
            Global::Param(k) => self.param_shapes[k],
            Global::Player(p) => self.player_shapes[p],
            Global::Data(k) => self.data_shapes[k],
            Global::Part(p, k) => self.part_shapes[p][k],
            _ => None,
        }
    }

    pub(super) fn resolve_index(
        &mut self,
        name: &Ident,
        bracket: Span,
        indices: &[ast::Expr],
        bound: &[Bound],
        limits: Limits,
    ) -> Option<Expr> {
        let text = name.to_string();
        let target = if bound.iter().any(|b| b.name == text) {
            Err(format!(
                "`{text}` is a sum index (a number); it cannot be indexed"
            ))
        } else if text == "pi" {
            Err("`pi` is a number; it cannot be indexed".to_string())
        } else {
            match self.names.get(&text).copied() {
                None => {
                    let (span, msg) = self.unknown_name(name, bound);
                    self.error(span, msg);
                    return None;
                }
                Some(d) => match d.global {
                    Global::Poisoned => return None,
                    Global::Const(_) => Err(format!(
                        "`{text}` is a const (a number); it cannot be indexed"
                    )),
                    Global::Let(k) => {
                        return self.resolve_let_index(k, name, bracket, indices, bound, limits)
                    }
                    g @ (Global::Param(_)
                    | Global::Player(_)
                    | Global::Data(_)
                    | Global::Part(..)) => Ok((g, d.what)),
                },
            }
        };
        let (global, what) = match target {
            Ok(t) => t,
            Err(msg) => {
                self.error(name.span(), msg);
                return None;
            }
        };
        let shape = self.shape_of(global)?;
        let dims = shape.dims();
        if dims.is_empty() {
            self.error(
                bracket,
                format!("`{text}` is {what}, a scalar; it cannot be indexed: write `{text}`"),
            );
            return None;
        }
        if dims.len() != indices.len() {
            let example = if dims.len() == 2 {
                format!("`{text}[i, j]`")
            } else {
                format!("`{text}[i]`")
            };
            self.error(
                bracket,
                format!(
                    "`{text}` is {what}, {}, so it takes {} ({example}), found {}",
                    shape_words(shape),
                    if dims.len() == 1 {
                        "1 index".to_string()
                    } else {
                        format!("{} indices", dims.len())
                    },
                    indices.len()
                ),
            );
            return None;
        }
        let mut out = Vec::new();
        let mut ok = true;
        for (ix, &dim) in indices.iter().zip(&dims) {
            match self.affine(ix, bound) {
                Err((span, msg)) => {
                    self.error(span, msg);
                    ok = false;
                }
                Ok((b, offset)) => {
                    let valid = (0, dim as i64 - 1);
                    let target = format!("`{text}` has {dim} entries along this dimension");
                    if let Some(msg) = out_of_range(b, offset, valid, &target) {
                        self.error(ix.span, msg);
                        ok = false;
                    }
                    out.push(Index {
                        var: b.map(|b| b.var),
                        offset,
                    });
                }
            }
        }
        if !ok {
            return None;
        }
        entry(global, out)
    }

    /// `h[e1, e2]` for let `k`: a copy of the let with its indices replaced
    /// by the use's (checked to stay in the let's declared ranges).
    fn resolve_let_index(
        &mut self,
        k: usize,
        name: &Ident,
        bracket: Span,
        indices: &[ast::Expr],
        bound: &[Bound],
        limits: Limits,
    ) -> Option<Expr> {
        if !self.let_in_order(k, name, limits) {
            return None;
        }
        let binders = self.let_items[k].1;
        if binders.is_empty() {
            self.error(
                bracket,
                format!("`{name}` is a scalar let; it cannot be indexed: write `{name}` (a let with indices is declared `let {name}[i in 0..n] = ..;`)"),
            );
            return None;
        }
        if binders.len() != indices.len() {
            self.error(
                bracket,
                format!(
                    "`{name}` is a let with {} ({}), found {}",
                    index_count(binders.len()),
                    let_use(name, binders),
                    indices.len()
                ),
            );
            return None;
        }
        // `None` when a declared range was wrong (already reported).
        let declared = self.let_indices[k].clone();
        let mut subst = HashMap::new();
        let mut ok = true;
        for (at, (ix, b)) in indices.iter().zip(binders).enumerate() {
            match self.affine(ix, bound) {
                Err((span, msg)) => {
                    self.error(span, msg);
                    ok = false;
                }
                Ok((v, offset)) => {
                    let Some(d) = declared.as_ref().map(|d| d[at]) else {
                        continue;
                    };
                    let target = format!(
                        "let `{name}` is declared for `{} in {}..{}`",
                        b.var, d.lo, d.hi
                    );
                    if let Some(msg) = out_of_range(v, offset, (d.lo, d.hi - 1), &target) {
                        self.error(ix.span, msg);
                        ok = false;
                    }
                    subst.insert(
                        d.var,
                        Index {
                            var: v.map(|v| v.var),
                            offset,
                        },
                    );
                }
            }
        }
        if !ok || declared.is_none() {
            return None;
        }
        self.inline_let(k, name, subst)
    }

    /// An index as `sum index + constant` (or a constant).
    pub(super) fn affine<'b>(
        &self,
        e: &ast::Expr,
        bound: &'b [Bound],
    ) -> Result<(Option<&'b Bound>, i64), (Span, String)> {
        const FORM: &str = "an index is a constant integer, or one sum index (or index of the let) plus or minus a constant, with coefficient 1: `x[2]`, `x[M - 1]`, `x[i]`, `x[i + 1]`, `x[i - 1]`; `x[2 * i]`, `x[i * j]` and `x[-i]` are not allowed";
        let consts = self.const_values.len();
        let overflow = || (e.span, "integer overflow in an index".to_string());
        match &e.kind {
            ExprKind::Name(id) => {
                if let Some(b) = bound.iter().rev().find(|b| *id == b.name) {
                    return Ok((Some(b), 0));
                }
                let text = id.to_string();
                if let Some(k) = self.current_let {
                    if text != "pi" && !self.names.contains_key(&text) {
                        let (let_name, binders, _) = self.let_items[k];
                        return Err((
                            id.span(),
                            format!(
                                "unbound index `{text}` in the body of let `{let_name}`: an index there is one of the let's own indices ({}), an index bound by an enclosing `sum`, `mean`, `max` or `min`, or a constant; add it to the let (`let {let_name}[.., {text} in 0..n] = ..;`) or reduce over it (`sum({text} in 0..n) ..`)",
                                binders.iter().map(|b| format!("`{}`", b.var)).collect::<Vec<_>>().join(", ")
                            ),
                        ));
                    }
                }
                Ok((None, self.eval_int(e, consts, bound, "an index")?))
            }
            ExprKind::Binary { op, lhs, rhs, .. }
                if matches!(op, ast::BinOp::Add | ast::BinOp::Sub) =>
            {
                let (va, a) = self.affine(lhs, bound)?;
                let (vb, b) = self.affine(rhs, bound)?;
                match (op, va, vb) {
                    (_, Some(_), Some(_)) => Err((
                        e.span,
                        format!("an index may use only one sum index; {FORM}"),
                    )),
                    (ast::BinOp::Sub, _, Some(_)) => Err((
                        rhs.span,
                        format!("a sum index cannot be subtracted in an index; {FORM}"),
                    )),
                    (ast::BinOp::Add, v, w) => {
                        Ok((v.or(w), a.checked_add(b).ok_or_else(overflow)?))
                    }
                    (_, v, _) => Ok((v, a.checked_sub(b).ok_or_else(overflow)?)),
                }
            }
            _ => {
                if mentions_bound(e, bound) {
                    return Err((
                        e.span,
                        format!("this index is not a sum index plus a constant; {FORM}"),
                    ));
                }
                Ok((None, self.eval_int(e, consts, bound, "an index")?))
            }
        }
    }
}

/// The error for an index `b + offset` (or the constant `offset` when `b` is
/// `None`) that leaves `valid` (inclusive) for some value of `b`, naming
/// the first value of `b` that does; `target` says what the valid range
/// is ("`x` has 3 entries along this dimension").
pub(super) fn out_of_range(
    b: Option<&Bound>,
    offset: i64,
    valid: (i64, i64),
    target: &str,
) -> Option<String> {
    let (vlo, vhi) = valid;
    let allowed = format!("{target} (indices {vlo}..={vhi})");
    let Some(b) = b else {
        return (offset < vlo || offset > vhi)
            .then(|| format!("index out of range: this index is {offset}, but {allowed}"));
    };
    // An empty range (or one already reported) has no value to check.
    let (lo, hi) = b.range.filter(|(lo, hi)| lo < hi)?;
    let (first, last) = (lo.saturating_add(offset), (hi - 1).saturating_add(offset));
    if first >= vlo && last <= vhi {
        return None;
    }
    // The first value of the index variable that leaves the range.
    let at = if first < vlo {
        lo
    } else {
        vhi.saturating_sub(offset).saturating_add(1).max(lo)
    };
    let name = &b.name;
    Some(format!(
        "index out of range: this index runs over {first}..={last} for `{name}` in {lo}..{hi}, but {allowed}: at `{name} = {at}` it is {}",
        at.saturating_add(offset)
    ))
}
