//! Params: their shapes and default values (scalars and array literals).

use super::*;

impl Checker<'_> {
    pub(super) fn eval_params(&mut self) -> Vec<Param> {
        let mut params = Vec::new();
        for at in 0..self.param_items.len() {
            let (name, _, default) = self.param_items[at];
            let Some(shape) = self.param_shapes[at] else {
                continue;
            };
            let default = default.and_then(|d| self.param_default(name, shape, d));
            params.push(Param {
                name: name.to_string(),
                span: name.span(),
                shape,
                default,
            });
        }
        params
    }

    /// The row-major default values of a param, checked against its shape.
    pub(super) fn param_default(
        &mut self,
        name: &Ident,
        shape: Shape,
        default: &ParamDefault,
    ) -> Option<Vec<f64>> {
        let mut values = Vec::new();
        match (shape, default) {
            (Shape::Scalar, ParamDefault::Scalar(e)) => values.push(self.eval_default(e)?),
            (Shape::Scalar, ParamDefault::Array(a)) => {
                self.error(
                    a.span,
                    format!("param `{name}` is a scalar, so its default is a number, not an array; declare `param {name}: [n] = [..];` for a vector"),
                );
                return None;
            }
            (_, ParamDefault::Scalar(e)) => {
                self.error(
                    e.span,
                    format!(
                        "param `{name}` has shape {}, so its default is an array literal {}",
                        shape_words(shape),
                        array_example(shape)
                    ),
                );
                return None;
            }
            (Shape::Vector(n), ParamDefault::Array(a)) => {
                values = self.default_row(name, a, n, shape)?;
            }
            (Shape::Matrix(n, m), ParamDefault::Array(a)) => {
                if a.elems.len() != n {
                    self.error(
                        a.span,
                        format!(
                            "param `{name}` is {}: its default needs {n} rows, found {}",
                            shape_words(shape),
                            a.elems.len()
                        ),
                    );
                    return None;
                }
                let mut ok = true;
                for row in &a.elems {
                    match row {
                        ArrayElem::Array(r) => match self.default_row(name, r, m, shape) {
                            Some(v) => values.extend(v),
                            None => ok = false,
                        },
                        ArrayElem::Expr(e) => {
                            self.error(
                                e.span,
                                format!(
                                    "param `{name}` is {}: each row of its default is an array `[..]` of {m} numbers",
                                    shape_words(shape)
                                ),
                            );
                            ok = false;
                        }
                    }
                }
                if !ok {
                    return None;
                }
            }
        }
        Some(values)
    }

    /// One flat row of `len` numbers.
    pub(super) fn default_row(
        &mut self,
        name: &Ident,
        a: &ast::ArrayLit,
        len: usize,
        shape: Shape,
    ) -> Option<Vec<f64>> {
        if a.elems.len() != len {
            self.error(
                a.span,
                format!(
                    "param `{name}` is {}: expected {len} numbers here, found {}",
                    shape_words(shape),
                    a.elems.len()
                ),
            );
            return None;
        }
        let mut out = Vec::new();
        for e in &a.elems {
            match e {
                ArrayElem::Expr(e) => out.push(self.eval_default(e)?),
                ArrayElem::Array(inner) => {
                    self.error(
                        inner.span,
                        format!(
                            "expected a number, found a nested array; param `{name}` is {}",
                            shape_words(shape)
                        ),
                    );
                    return None;
                }
            }
        }
        Some(out)
    }
}
