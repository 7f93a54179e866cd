//! An inner sum reuses the index of an enclosing one.
stackel::stackel_game! {
    game G {
        leader v: [2, 2];
        follower y;
        cost v = sum(i in 0..2) sum(i in 0..2) v[i, i] * y;
        cost y = y ^ 2;
    }
}

fn main() {}
