//! The source interpreter (`stackel::source`) equals the generated code on
//! the paper games: costs, gradients (forward mode on `Tangent` numbers
//! over the interpreter) and, for the small games, Hessian blocks (nested
//! `Tangent`s), at random points.

use stackel::source::GameSource;
use stackel::{Game, Tangent};
use stackel_testkit::games::{
    CircleGan, Covariance3, DiamondGan, Duopoly, LeaderThreeFollowerTwo, Torus, ZeroSumExample1,
};

/// splitmix64 in [-1, 1).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9e3779b97f4a7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58476d1ce4e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d049bb133111eb);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    }
}

fn close(a: f64, b: f64, tol: f64, what: &str) {
    assert!(
        (a - b).abs() <= tol * (1.0 + b.abs()),
        "{what}: interpreter {a} vs generated {b}"
    );
}

fn params<G: Game>(g: &G) -> Vec<f64> {
    let mut p = vec![0.0; g.np()];
    g.params(&mut p);
    p
}

/// The cost of player p (0 leader) with the generated code.
fn generated_cost<G: Game>(g: &G, p: usize, x: &[f64]) -> f64 {
    if p == 0 {
        g.leader_cost(x)
    } else {
        g.follower_cost(p - 1, x)
    }
}

/// d cost_p / dx_k by the interpreter on Tangent numbers.
fn interp_partial(src: &GameSource, p: usize, x: &[f64], params: &[f64], k: usize) -> f64 {
    let xt: Vec<Tangent<f64>> = x
        .iter()
        .enumerate()
        .map(|(i, v)| Tangent::new(*v, if i == k { 1.0 } else { 0.0 }))
        .collect();
    let c = src.cost(p, &xt, params).unwrap();
    c.d
}

/// d^2 cost_p / dx_i dx_j by the interpreter on nested Tangents.
fn interp_second(src: &GameSource, p: usize, x: &[f64], params: &[f64], i: usize, j: usize) -> f64 {
    let e = |k: usize, at: usize| if k == at { 1.0 } else { 0.0 };
    let xt: Vec<Tangent<Tangent<f64>>> = x
        .iter()
        .enumerate()
        .map(|(k, v)| Tangent::new(Tangent::new(*v, e(k, i)), Tangent::new(e(k, j), 0.0)))
        .collect();
    src.cost(p, &xt, params).unwrap().d.d
}

/// The follower (1-based player number) owning x2 entry b.
fn owner<G: Game>(g: &G, b: usize) -> usize {
    let k = g.d1() + b;
    1 + g
        .info()
        .followers
        .iter()
        .position(|f| k >= f.offset && k < f.offset + f.dim)
        .unwrap()
}

/// Costs, the gradient coordinates `coords` (all when None) and, when
/// `hessians`, D11f1 and D22f2, at `points` random points of scale `scale`.
fn agree<G: Game>(
    g: &G,
    scale: f64,
    points: usize,
    coords: Option<&[usize]>,
    hessians: bool,
    tol: f64,
) {
    let src = g.source().expect("a macro game has its source");
    let p = params(g);
    let (d1, d2, n) = (g.d1(), g.d2(), g.n());
    let mut rng = Rng(7 + n as u64);
    let all: Vec<usize> = (0..n).collect();
    let coords = coords.unwrap_or(&all);
    for _ in 0..points {
        let x: Vec<f64> = (0..n + g.nd()).map(|_| scale * rng.next()).collect();
        let ev = src.evaluate(&x, &p).unwrap();
        for pl in 0..=g.info().followers.len() {
            let want = generated_cost(g, pl, &x);
            close(ev.cost(src, pl), want, tol, &format!("cost {pl}"));
            close(
                src.cost(pl, &x, &p).unwrap(),
                want,
                tol,
                &format!("cost {pl}"),
            );
        }
        let (mut g1, mut g21, mut g2) = (vec![0.0; d1], vec![0.0; d2], vec![0.0; d2]);
        g.d1f1(&x, &mut g1);
        g.d2f1(&x, &mut g21);
        g.d2f2(&x, &mut g2);
        for &k in coords {
            let want = if k < d1 { g1[k] } else { g21[k - d1] };
            close(
                interp_partial(src, 0, &x, &p, k),
                want,
                tol,
                &format!("Df1[{k}]"),
            );
            if k >= d1 {
                let b = k - d1;
                let got = interp_partial(src, owner(g, b), &x, &p, k);
                close(got, g2[b], tol, &format!("D2f2[{b}]"));
            }
        }
        if hessians {
            let (mut h11, mut h22) = (vec![0.0; d1 * d1], vec![0.0; d2 * d2]);
            g.d11f1(&x, &mut h11);
            g.d22f2(&x, &mut h22);
            for a in 0..d1 {
                for b in 0..d1 {
                    let got = interp_second(src, 0, &x, &p, a, b);
                    close(got, h11[a * d1 + b], tol, &format!("D11f1[{a},{b}]"));
                }
            }
            for a in 0..d2 {
                for b in 0..d2 {
                    let got = interp_second(src, owner(g, a), &x, &p, d1 + a, d1 + b);
                    close(got, h22[a * d2 + b], tol, &format!("D22f2[{a},{b}]"));
                }
            }
        }
    }
}

#[test]
fn small_paper_games() {
    agree(&Duopoly::default(), 50.0, 20, None, true, 1e-12);
    agree(&Torus::default(), 3.0, 20, None, true, 1e-12);
    agree(&ZeroSumExample1::default(), 3.0, 20, None, true, 1e-12);
    agree(&LeaderThreeFollowerTwo, 2.0, 20, None, true, 1e-12);
}

#[test]
fn covariance_m3() {
    agree(&Covariance3::default(), 1.0, 5, None, true, 1e-12);
}

#[test]
fn gans_in_tape_form() {
    // costs at every point; gradients along a few coordinates of each player
    let d1 = DiamondGan::D1;
    let coords = [0, 17, d1 - 1, d1, d1 + 40, DiamondGan::N - 1];
    agree(&DiamondGan, 0.5, 1, Some(&coords), false, 1e-12);
    agree(&CircleGan, 0.5, 1, Some(&coords), false, 1e-12);
}

#[test]
fn node_metadata_and_f32_values() {
    let g = Duopoly::default();
    let src = g.source().unwrap();
    assert_eq!(src.costs.len(), 2);
    // `let price = a - q1 - q2;` is kept as a let, read by both costs
    assert_eq!(src.lets.len(), 1);
    assert_eq!(src.lets[0].name, "price");
    assert_eq!(
        src.nodes[src.lets[0].root as usize].span.text,
        "a - q1 - q2"
    );
    let root = &src.nodes[src.costs[0] as usize];
    assert_eq!(root.span.text, "-(price - c1) * q1");
    assert_eq!(root.op.name(), "*");
    for (i, n) in src.nodes.iter().enumerate() {
        assert!(
            n.children.iter().all(|&c| (c as usize) < i),
            "children come first"
        );
        assert!(n.span.line > 0 && n.span.column > 0);
    }
    let p = params(&g);
    let x = [10.0, 20.0];
    let e64 = src.evaluate(&x, &p).unwrap();
    let e32 = src.evaluate(&[10.0f32, 20.0], &p).unwrap();
    for (a, b) in e64.values.iter().zip(&e32.values) {
        assert_eq!(a.len(), b.len());
        for (u, v) in a.iter().zip(b) {
            assert!((u - f64::from(*v)).abs() <= 1e-5 * (1.0 + u.abs()));
        }
    }
    // -(100 - 10 - 20 - 5) * 10
    assert_eq!(e64.cost(src, 0), -650.0);
}

#[test]
fn loop_instances_in_lexicographic_order() {
    let g = Covariance3::default();
    let src = g.source().unwrap();
    let p = params(&g);
    let x: Vec<f64> = (0..18).map(|k| k as f64 * 0.1).collect();
    let ev = src.evaluate(&x, &p).unwrap();
    // the innermost product v[i, k] * v[j, k] of the leader's cost: 27 instances
    let (n, node) = src
        .nodes
        .iter()
        .enumerate()
        .find(|(_, n)| n.span.text == "v[i, k] * v[j, k]")
        .unwrap();
    assert_eq!(node.loops.len(), 3);
    assert_eq!(ev.values[n].len(), 27);
    for (at, v) in ev.values[n].iter().enumerate() {
        let ix = src.instance(n as u32, at);
        let names: Vec<&str> = ix.iter().map(|(name, _)| *name).collect();
        assert_eq!(names, ["i", "j", "k"]);
        let (i, j, k) = (ix[0].1 as usize, ix[1].1 as usize, ix[2].1 as usize);
        assert_eq!(*v, x[i * 3 + k] * x[j * 3 + k]);
    }
}

#[test]
fn hand_written_games_have_no_source() {
    assert!(stackel_testkit::twins::Duopoly::default()
        .source()
        .is_none());
}

/// One game using every function, reduction and let kind of the DSL, in
/// each code form.
macro_rules! every_function {
    ($name:ident, $form:literal) => {
        stackel::stackel_game! {
            #[stackel(form = $form)]
            pub game $name {
                const K = 3;
                param a = 0.7;
                param w: [3] = [0.5, -1.0, 2.0];
                leader x: [3];
                follower y: [2];
                let r = x[0] - y[1];
                let t[i in 0..K] = tanh(w[i] * x[i]) + sigmoid(x[i] - r);
                cost x = sum(i in 0..K) t[i] * exp(-x[i]^2) + ln(1 + r^2) + sqrt(2 + y[0]^2)
                    + sin(x[1]) * cos(x[2]) + tan(0.3 * x[0]) + softplus(x[2] * y[0])
                    + abs(x[0] - 0.1) + relu(x[1]) + min(x[0], y[0]) + max(x[2], y[1])
                    + log_sigmoid(a * x[0]) + leaky_relu(x[1] - y[1], 0.2)
                    + mean(i in 0..K, j in 0..2) x[i] * y[j] * (i + 1)
                    + max(i in 0..K) x[i] * y[0] - min(j in 0..2) (y[j] - x[j])^2
                    + (1.5 + x[0]^2)^-2 + (2 + x[1]^2)^a;
                cost y = sum(j in 0..2) (y[j] - t[j] * x[j])^2 + a * y[0] * y[1] + r^3;
            }
        }
    };
}

every_function!(EveryUnrolled, "unrolled");
every_function!(EveryLoops, "loops");
every_function!(EveryTape, "tape");

#[test]
fn every_function_in_every_form() {
    assert_eq!(
        EveryUnrolled::default().info().form,
        stackel::Form::Unrolled
    );
    assert_eq!(EveryLoops::default().info().form, stackel::Form::Loops);
    assert_eq!(EveryTape::default().info().form, stackel::Form::Tape);
    agree(&EveryUnrolled::default(), 1.5, 20, None, true, 1e-12);
    agree(&EveryLoops::default(), 1.5, 20, None, true, 1e-12);
    agree(&EveryTape::default(), 1.5, 20, None, true, 1e-12);
}
