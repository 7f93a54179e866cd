//! Resolving expressions: lets, costs, the players, and every name in an
//! expression (with the structure checks of the game).

use super::*;

pub(super) fn join(a: Span, b: Span) -> Span {
    a.join(b).unwrap_or(a)
}

impl Checker<'_> {
    /// Lets in order; each may use earlier lets only. A tensor let's body
    /// is resolved with its own indices bound (as fresh sum-index ids,
    /// substituted at every use).
    pub(super) fn resolve_lets(&mut self) {
        for at in 0..self.let_items.len() {
            let (name, binders, value) = self.let_items[at];
            self.start_statement(value);
            let let_name = name.to_string();
            let mut bound = Vec::new();
            let mut indices = Some(Vec::new());
            for b in binders {
                let (name_ok, range) = self.bind(b, &bound, Binder::Let(&let_name));
                let var = self.fresh_var();
                match (name_ok, range, indices.as_mut()) {
                    (true, Some((lo, hi)), Some(v)) => v.push(LetIndex { var, lo, hi }),
                    _ => indices = None,
                }
                bound.push(Bound {
                    name: b.var.to_string(),
                    var,
                    range,
                });
            }
            self.current_let = (!binders.is_empty()).then_some(at);
            let e = self.resolve(value, &mut bound, Limits { lets: at });
            self.current_let = None;
            let e = e.filter(|_| indices.is_some());
            self.let_indices.push(indices);
            self.let_sizes.push(e.as_ref().map_or(0, expr_size));
            self.let_heights
                .push(value.height.saturating_add(self.inlined_height));
            self.lets.push(e);
        }
    }

    /// Resets the per-statement bounds on inlined lets.
    pub(super) fn start_statement(&mut self, value: &ast::Expr) {
        self.inlined = Some(0);
        self.statement_height = value.height;
        self.inlined_height = 0;
    }

    /// One resolved cost per player number (`None` where missing or wrong).
    pub(super) fn resolve_costs(&mut self) -> Vec<Option<(Expr, Span)>> {
        let players = self.player_items.len();
        let mut costs: Vec<Option<(Expr, Span)>> = vec![None; players];
        let mut seen: Vec<bool> = vec![false; players];
        let all_lets = Limits {
            lets: self.let_items.len(),
        };
        let ast = self.ast;
        for item in &ast.items {
            let Item::Cost {
                keyword,
                name,
                value,
            } = item
            else {
                continue;
            };
            self.start_statement(value);
            let resolved = self.resolve(value, &mut Vec::new(), all_lets);
            match self.names.get(&name.to_string()).copied() {
                Some(Decl {
                    global: Global::Player(p),
                    ..
                }) => {
                    if seen[p] {
                        self.error(
                            name.span(),
                            format!("`{name}` has two costs; each player has exactly one `cost {name} = ..;`"),
                        );
                        continue;
                    }
                    seen[p] = true;
                    if let Some(e) = resolved {
                        costs[p] = Some((e, join(*keyword, value.span)));
                    }
                }
                Some(Decl {
                    global: Global::Poisoned,
                    ..
                }) => {}
                Some(_) if self.duplicated.contains(&name.to_string()) => {}
                Some(d) => self.error(
                    name.span(),
                    format!("`{name}` is {}, not a player; a cost is declared for the leader and for each follower", d.what),
                ),
                None => {
                    let (span, msg) = self.unknown_name(name, &[]);
                    self.error(span, format!("{msg} (a cost names a player: `cost x = ..;`)"));
                }
            }
        }
        if !ast.skipped.is_empty() {
            // A skipped statement may have been the missing cost.
            return costs;
        }
        for (p, has_cost) in seen.into_iter().enumerate() {
            let Some((name, _, _)) = self.player_items[p] else {
                continue;
            };
            if !has_cost {
                let role = if p == 0 { "the leader" } else { "follower" };
                self.error(
                    name.span(),
                    format!("{role} `{name}` has no cost; add `cost {name} = ..;`"),
                );
            }
        }
        costs
    }

    /// The leader and followers, when all are complete.
    pub(super) fn players(
        &self,
        costs: Vec<Option<(Expr, Span)>>,
    ) -> Option<(Player, Vec<Player>)> {
        let mut players = Vec::new();
        for (at, cost) in costs.into_iter().enumerate() {
            let (name, angle, _) = self.player_items[at]?;
            let shape = self.player_shapes[at]?;
            let (cost, cost_span) = cost?;
            players.push(Player {
                name: name.to_string(),
                span: name.span(),
                shape,
                angle: angle.is_some(),
                cost,
                cost_span,
                parts: self.player_parts(at)?,
                level: self.player_levels[at],
            });
        }
        let mut players = players.into_iter();
        let leader = players.next()?;
        let followers: Vec<Player> = players.collect();
        if followers.is_empty() {
            return None;
        }
        Some((leader, followers))
    }

    /// The parts of player `p`, with their offsets in its flat variable.
    fn player_parts(&self, p: usize) -> Option<Vec<PlayerPart>> {
        let mut offset = 0;
        let mut out = Vec::new();
        for (at, (name, _)) in self.part_items[p].iter().enumerate() {
            let shape = self.part_shapes[p][at]?;
            out.push(PlayerPart {
                name: name.to_string(),
                span: name.span(),
                shape,
                offset,
            });
            offset += shape.len();
        }
        Some(out)
    }

    /// The data inputs, with their offsets after the player entries.
    pub(super) fn data_inputs(&self) -> Vec<DataInput> {
        let mut offset = 0;
        let mut out = Vec::new();
        for (at, (name, _)) in self.data_items.iter().enumerate() {
            let Some(shape) = self.data_shapes[at] else {
                continue;
            };
            out.push(DataInput {
                name: name.to_string(),
                span: name.span(),
                shape,
                offset,
            });
            offset += shape.len();
        }
        out
    }

    /// Resolves an expression; reports its errors and returns `None` if any.
    pub(super) fn resolve(
        &mut self,
        e: &ast::Expr,
        bound: &mut Vec<Bound>,
        limits: Limits,
    ) -> Option<Expr> {
        match &e.kind {
            ExprKind::Num(n) => Some(Expr::Num(n.value)),
            ExprKind::Name(id) => self.resolve_name(id, bound, limits),
            ExprKind::Index {
                name,
                bracket,
                indices,
            } => self.resolve_index(name, *bracket, indices, bound, limits),
            ExprKind::Neg(inner) => Some(Expr::Neg(Box::new(self.resolve(inner, bound, limits)?))),
            ExprKind::Binary { op, lhs, rhs, .. } => {
                let a = self.resolve(lhs, bound, limits);
                let b = self.resolve(rhs, bound, limits);
                let op = match op {
                    ast::BinOp::Add => BinOp::Add,
                    ast::BinOp::Sub => BinOp::Sub,
                    ast::BinOp::Mul => BinOp::Mul,
                    ast::BinOp::Div => BinOp::Div,
                    ast::BinOp::Pow => BinOp::Pow,
                };
                Some(Expr::Binary(op, Box::new(a?), Box::new(b?)))
            }
            ExprKind::Call { name, paren, args } => {
                let f = self.function(name, *paren, args.len());
                if let (Ok(Func::LeakyRelu), [u, alpha]) = (&f, &args[..]) {
                    return self.leaky_relu(u, alpha, bound, limits);
                }
                let resolved: Vec<Option<Expr>> = args
                    .iter()
                    .map(|a| self.resolve(a, bound, limits))
                    .collect();
                let f = match f {
                    Ok(f) => f,
                    Err((span, msg)) => {
                        self.error(span, msg);
                        return None;
                    }
                };
                let mut resolved = resolved
                    .into_iter()
                    .collect::<Option<Vec<Expr>>>()?
                    .into_iter();
                match f {
                    Func::Unary(f) => Some(Expr::Unary(f, Box::new(resolved.next()?))),
                    // -softplus(-u): the stable softplus keeps it finite.
                    Func::LogSigmoid => Some(Expr::Neg(Box::new(Expr::Unary(
                        UnaryFn::Softplus,
                        Box::new(Expr::Neg(Box::new(resolved.next()?))),
                    )))),
                    Func::LeakyRelu => unreachable!("handled above with its constant slope"),
                    Func::Binary(f) => {
                        let a = resolved.next()?;
                        let b = resolved.next()?;
                        Some(Expr::Call2(f, Box::new(a), Box::new(b)))
                    }
                }
            }
            ExprKind::Sum {
                op, binders, body, ..
            } => self.resolve_reduction(*op, binders, body, bound, limits),
        }
    }

    /// `leaky_relu(u, alpha)` as relu(u) - alpha relu(-u), alpha a constant
    /// expression (its own function: `resolve` recurses deeply and keeps a
    /// small frame).
    #[inline(never)]
    fn leaky_relu(
        &mut self,
        u: &ast::Expr,
        alpha: &ast::Expr,
        bound: &mut Vec<Bound>,
        limits: Limits,
    ) -> Option<Expr> {
        let alpha = match self.eval_real(alpha) {
            Ok(a) => a,
            Err((span, _)) => {
                self.error(
                    span,
                    "the slope of `leaky_relu(u, alpha)` must be a constant expression (numbers, `pi`, consts, operators and functions), e.g. `leaky_relu(u, 0.2)`",
                );
                return None;
            }
        };
        let u = self.resolve(u, bound, limits)?;
        let relu = |e: Expr| Expr::Unary(UnaryFn::Relu, Box::new(e));
        let neg_part = Expr::Binary(
            BinOp::Mul,
            Box::new(Expr::Num(alpha)),
            Box::new(relu(Expr::Neg(Box::new(u.clone())))),
        );
        Some(Expr::Binary(
            BinOp::Sub,
            Box::new(relu(u)),
            Box::new(neg_part),
        ))
    }

    pub(super) fn resolve_name(
        &mut self,
        id: &Ident,
        bound: &[Bound],
        limits: Limits,
    ) -> Option<Expr> {
        let text = id.to_string();
        if let Some(b) = bound.iter().rev().find(|b| b.name == text) {
            return Some(Expr::SumIndex(Index {
                var: Some(b.var),
                offset: 0,
            }));
        }
        if text == "pi" {
            return Some(Expr::Num(std::f64::consts::PI));
        }
        let Some(decl) = self.names.get(&text).copied() else {
            let (span, msg) = self.unknown_name(id, bound);
            self.error(span, msg);
            return None;
        };
        match decl.global {
            Global::Poisoned => None,
            Global::Const(k) => self.const_values[k].map(|v| Expr::Num(v as f64)),
            Global::Let(k) => {
                if !self.let_in_order(k, id, limits) {
                    return None;
                }
                let binders = self.let_items[k].1;
                if !binders.is_empty() {
                    self.error(
                        id.span(),
                        format!(
                            "`{id}` is a let with {}, not a number; use one entry such as {}",
                            index_count(binders.len()),
                            let_use(id, binders)
                        ),
                    );
                    return None;
                }
                self.inline_let(k, id, HashMap::new())
            }
            g @ (Global::Param(_) | Global::Player(_) | Global::Data(_) | Global::Part(..)) => {
                let shape = self.shape_of(g)?;
                if shape != Shape::Scalar {
                    let example = if matches!(shape, Shape::Matrix(..)) {
                        format!("`{id}[i, j]`")
                    } else {
                        format!("`{id}[i]`")
                    };
                    self.error(
                        id.span(),
                        format!(
                            "`{id}` is {}, {}, not a number; use one entry such as {example} (inside a `sum` to add them up)",
                            decl.what,
                            shape_words(shape)
                        ),
                    );
                    return None;
                }
                entry(g, vec![])
            }
        }
    }

    /// Reports a let used before it is declared (or in its own body).
    pub(super) fn let_in_order(&mut self, k: usize, id: &Ident, limits: Limits) -> bool {
        if k < limits.lets {
            return true;
        }
        let msg = if k == limits.lets {
            format!("let `{id}` uses itself; a let may only use lets declared before it")
        } else {
            format!("let `{id}` is declared later; a let may only use lets declared before it")
        };
        self.error(id.span(), msg);
        false
    }

    /// A copy of resolved let `k` for one use, its own indices replaced as
    /// `subst` says (see [`Checker::refresh`]).
    pub(super) fn inline_let(
        &mut self,
        k: usize,
        id: &Ident,
        mut subst: HashMap<SumVar, Index>,
    ) -> Option<Expr> {
        if self.keep_lets {
            // The program pass: a reference to the let's array at the
            // use's indices (the let's own variables where not substituted).
            let declared = self.let_indices[k].as_ref()?;
            let index = declared
                .iter()
                .map(|d| {
                    subst.get(&d.var).copied().unwrap_or(Index {
                        var: Some(d.var),
                        offset: 0,
                    })
                })
                .collect();
            return Some(Expr::Let { id: k, index });
        }
        // Inlined copies are not shared: bound their total size,
        // and the height of the resulting tree.
        let total = self.inlined?.saturating_add(self.let_sizes[k]);
        let height = self.statement_height.saturating_add(self.let_heights[k]);
        let over = if total > MAX_INLINED {
            Some(format!("larger than {MAX_INLINED} nodes"))
        } else if height > MAX_RESOLVED_HEIGHT {
            Some(format!("more than {MAX_RESOLVED_HEIGHT} operations high"))
        } else {
            None
        };
        if let Some(over) = over {
            self.inlined = None;
            self.error(
                id.span(),
                format!("inlining `{id}` here makes this statement's expression {over} (lets are copied at every use); use a let fewer times or write a smaller expression"),
            );
            return None;
        }
        self.inlined_height = self.inlined_height.max(self.let_heights[k]);
        self.inlined = Some(total);
        let e = self.lets[k].clone()?;
        Some(self.refresh(&e, &mut subst))
    }
}

/// "1 index" / "2 indices".
pub(super) fn index_count(n: usize) -> String {
    if n == 1 {
        "1 index".into()
    } else {
        format!("{n} indices")
    }
}

/// How a tensor let is used, by the names of its indices: "`h[b, j]`".
pub(super) fn let_use(id: &Ident, binders: &[ast::SumBinder]) -> String {
    let names: Vec<String> = binders.iter().map(|b| b.var.to_string()).collect();
    format!("`{id}[{}]`", names.join(", "))
}
