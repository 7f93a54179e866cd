//! Constant evaluation: consts, the budget, param defaults, dimensions,
//! sum bounds and indices (integer and real constant expressions).

use super::*;

/// A resolved function.
#[derive(Clone, Copy)]
pub(super) enum Func {
    Unary(UnaryFn),
    Binary(BinaryFn),
    /// `log_sigmoid(u)` = -softplus(-u) (stable; derivative sigmoid(-u)).
    LogSigmoid,
    /// `leaky_relu(u, alpha)` = relu(u) - alpha relu(-u), alpha a constant;
    /// derivative 1 for u > 0, alpha for u < 0, 0 at u = 0 (relu's a.e.
    /// convention).
    LeakyRelu,
}

/// The value of `log_sigmoid(u)`, without overflow.
pub(super) fn eval_log_sigmoid(u: f64) -> f64 {
    -eval_unary(UnaryFn::Softplus, -u)
}

/// The value of a one-argument function (for constant param defaults).
pub(super) fn eval_unary(f: UnaryFn, x: f64) -> f64 {
    match f {
        UnaryFn::Exp => x.exp(),
        UnaryFn::Ln => x.ln(),
        UnaryFn::Sqrt => x.sqrt(),
        UnaryFn::Sin => x.sin(),
        UnaryFn::Cos => x.cos(),
        UnaryFn::Tan => x.tan(),
        UnaryFn::Tanh => x.tanh(),
        UnaryFn::Sigmoid => 1.0 / (1.0 + (-x).exp()),
        UnaryFn::Softplus => x.max(0.0) + (-x.abs()).exp().ln_1p(),
        UnaryFn::Abs => x.abs(),
        UnaryFn::Relu => x.max(0.0),
    }
}

impl Checker<'_> {
    /// Consts in order; each may use earlier consts only.
    pub(super) fn eval_consts(&mut self) {
        for at in 0..self.const_items.len() {
            let (name, value) = self.const_items[at];
            let result = self.eval_int(value, at, &[], "a const's value");
            let result = match result {
                Ok(v) => Some(v),
                Err((span, msg)) => {
                    self.error(span, msg);
                    None
                }
            };
            if let Some(v) = result {
                self.consts.push(Const {
                    name: name.to_string(),
                    value: v,
                });
            } else if let Some(d) = self.names.get_mut(&name.to_string()) {
                d.global = Global::Poisoned;
            }
            self.const_values.push(result);
        }
    }

    pub(super) fn eval_budget(&mut self) -> Option<usize> {
        let mut budget = None;
        let ast = self.ast;
        for item in &ast.items {
            if let Item::Budget { keyword, value } = item {
                if budget.is_some() {
                    self.error(*keyword, "`budget` is set twice; set it once");
                    continue;
                }
                let consts = self.const_values.len();
                match self.eval_int(value, consts, &[], "the budget") {
                    Ok(v) if v > 0 => budget = usize::try_from(v).ok(),
                    Ok(v) => self.error(
                        value.span,
                        format!("the budget must be a positive number of nodes, found {v}"),
                    ),
                    Err((span, msg)) => self.error(span, msg),
                }
            }
        }
        budget
    }

    pub(super) fn eval_default(&mut self, e: &ast::Expr) -> Option<f64> {
        match self.eval_real(e) {
            Ok(v) if v.is_finite() => Some(v),
            Ok(v) => {
                self.error(
                    e.span,
                    format!("this default evaluates to {v}; defaults must be finite numbers"),
                );
                None
            }
            Err((span, msg)) => {
                self.error(span, msg);
                None
            }
        }
    }

    /// A constant real expression (param defaults): numbers, `pi`, consts,
    /// operators and functions.
    pub(super) fn eval_real(&self, e: &ast::Expr) -> Result<f64, (Span, String)> {
        const ALLOWED: &str =
            "a param default is a constant: numbers, `pi`, consts, operators and functions";
        Ok(match &e.kind {
            ExprKind::Num(n) => n.value,
            ExprKind::Name(id) if id == "pi" => std::f64::consts::PI,
            ExprKind::Name(id) => match self.names.get(&id.to_string()) {
                Some(Decl {
                    global: Global::Const(k),
                    ..
                }) => match self.const_values.get(*k).copied().flatten() {
                    Some(v) => v as f64,
                    None => {
                        return Err((
                            id.span(),
                            format!("const `{id}` has no value (see its error)"),
                        ))
                    }
                },
                Some(d) => return Err((id.span(), format!("`{id}` is {}; {ALLOWED}", d.what))),
                None => return Err(self.unknown_name(id, &[])),
            },
            ExprKind::Neg(inner) => -self.eval_real(inner)?,
            ExprKind::Binary { op, lhs, rhs, .. } => {
                let (a, b) = (self.eval_real(lhs)?, self.eval_real(rhs)?);
                match op {
                    ast::BinOp::Add => a + b,
                    ast::BinOp::Sub => a - b,
                    ast::BinOp::Mul => a * b,
                    ast::BinOp::Div => a / b,
                    ast::BinOp::Pow => a.powf(b),
                }
            }
            ExprKind::Call { name, paren, args } => {
                let f = self.function(name, *paren, args.len())?;
                let values = args
                    .iter()
                    .map(|a| self.eval_real(a))
                    .collect::<Result<Vec<_>, _>>()?;
                match f {
                    Func::Unary(f) => eval_unary(f, values[0]),
                    Func::LogSigmoid => eval_log_sigmoid(values[0]),
                    Func::LeakyRelu => values[0].max(0.0) - values[1] * (-values[0]).max(0.0),
                    Func::Binary(BinaryFn::Min) => {
                        if values[1] < values[0] {
                            values[1]
                        } else {
                            values[0]
                        }
                    }
                    Func::Binary(BinaryFn::Max) => {
                        if values[1] > values[0] {
                            values[1]
                        } else {
                            values[0]
                        }
                    }
                }
            }
            ExprKind::Index { name, .. } => {
                return Err((
                    name.span(),
                    format!("`{name}[..]` is not a constant; {ALLOWED}"),
                ))
            }
            ExprKind::Sum { keyword, op, .. } => {
                return Err((
                    *keyword,
                    format!("a `{}` is not allowed here; {ALLOWED}", op.keyword()),
                ))
            }
        })
    }

    /// Looks up a function and checks its arity.
    pub(super) fn function(
        &self,
        name: &Ident,
        paren: Span,
        args: usize,
    ) -> Result<Func, (Span, String)> {
        let text = name.to_string();
        let (f, arity) = if let Some(f) = unary_fn(&text) {
            (Func::Unary(f), 1)
        } else if let Some(f) = binary_fn(&text) {
            (Func::Binary(f), 2)
        } else if text == "log_sigmoid" {
            (Func::LogSigmoid, 1)
        } else if text == "leaky_relu" {
            (Func::LeakyRelu, 2)
        } else {
            let mut msg = match self.names.get(&text) {
                Some(d) => format!("`{text}` is {}, not a function; ", d.what),
                None => format!("unknown function `{text}`; "),
            };
            msg.push_str(&format!(
                "the functions are {}, log_sigmoid (one argument) and min, max, leaky_relu(u, alpha) (two arguments)",
                unary_list()
            ));
            let all: Vec<&str> = UnaryFn::ALL
                .iter()
                .map(|f| f.name())
                .chain(["log_sigmoid", "min", "max", "leaky_relu"])
                .collect();
            if let Some(s) = suggest(&text, all.iter().copied()) {
                msg.push_str(&format!("; did you mean {s}?"));
            }
            return Err((name.span(), msg));
        };
        if args != arity {
            let plural = if arity == 1 { "argument" } else { "arguments" };
            return Err((
                paren,
                format!("`{text}` takes {arity} {plural}, found {args}"),
            ));
        }
        Ok(f)
    }

    /// A compile-time integer: numbers, consts (below `consts`), `+ - * / ^`.
    /// `bound` are the sum indices in scope (named in errors only).
    pub(super) fn eval_int(
        &self,
        e: &ast::Expr,
        consts: usize,
        bound: &[Bound],
        what: &str,
    ) -> Result<i64, (Span, String)> {
        let allowed = format!(
            "{what} must be an integer built from integer literals, consts and `+ - * / ^`"
        );
        let overflow = || (e.span, format!("integer overflow while evaluating {what}"));
        match &e.kind {
            ExprKind::Num(n) => n.int.ok_or_else(|| {
                (
                    e.span,
                    if n.value.fract() == 0.0 && n.value.abs() < 1e18 {
                        format!(
                            "{what} must be an integer; write `{}` without the decimal point",
                            n.value as i64
                        )
                    } else {
                        format!("{what} must be an integer, found `{}`", n.value)
                    },
                )
            }),
            ExprKind::Name(id) => {
                let text = id.to_string();
                if bound.iter().any(|b| b.name == text) {
                    return Err((
                        id.span(),
                        format!("`{id}` is a sum index, but {what} must be a constant integer (sum ranges cannot depend on other sum indices)"),
                    ));
                }
                match self.names.get(&text) {
                    Some(Decl {
                        global: Global::Const(k),
                        ..
                    }) => {
                        if *k >= consts {
                            Err((id.span(), format!("const `{id}` is declared later; a const may only use consts declared before it")))
                        } else {
                            self.const_values[*k].ok_or_else(|| {
                                (
                                    id.span(),
                                    format!("const `{id}` has no value (see its error)"),
                                )
                            })
                        }
                    }
                    Some(d) => Err((id.span(), format!("`{id}` is {}; {allowed}", d.what))),
                    None if text == "pi" => {
                        Err((id.span(), format!("`pi` is not an integer; {allowed}")))
                    }
                    None => Err(self.unknown_name(id, bound)),
                }
            }
            ExprKind::Neg(inner) => self
                .eval_int(inner, consts, bound, what)?
                .checked_neg()
                .ok_or_else(overflow),
            ExprKind::Binary {
                op,
                op_span,
                lhs,
                rhs,
            } => {
                let a = self.eval_int(lhs, consts, bound, what)?;
                let b = self.eval_int(rhs, consts, bound, what)?;
                match op {
                    ast::BinOp::Add => a.checked_add(b).ok_or_else(overflow),
                    ast::BinOp::Sub => a.checked_sub(b).ok_or_else(overflow),
                    ast::BinOp::Mul => a.checked_mul(b).ok_or_else(overflow),
                    ast::BinOp::Div => {
                        if b == 0 {
                            Err((*op_span, format!("division by zero in {what}")))
                        } else if a % b != 0 {
                            Err((
                                *op_span,
                                format!("{a} / {b} is not an integer; {what} must divide exactly"),
                            ))
                        } else {
                            a.checked_div(b).ok_or_else(overflow)
                        }
                    }
                    ast::BinOp::Pow => {
                        let exp = u32::try_from(b).map_err(|_| {
                            (rhs.span, format!("the exponent in {what} must be a non-negative integer, found {b}"))
                        })?;
                        a.checked_pow(exp).ok_or_else(overflow)
                    }
                }
            }
            ExprKind::Call { name, .. } | ExprKind::Index { name, .. } => Err((
                name.span(),
                format!("`{name}` is not allowed here; {allowed}"),
            )),
            ExprKind::Sum { keyword, op, .. } => Err((
                *keyword,
                format!("a `{}` is not allowed here; {allowed}", op.keyword()),
            )),
        }
    }
}
