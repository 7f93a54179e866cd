//! `x[i + 1]` runs past the end of `x`.
stackel::stackel_game! {
    game G {
        const N = 3;
        leader x: [N];
        follower y;
        cost x = sum(i in 0..N) x[i + 1] * x[i];
        cost y = y ^ 2;
    }
}

fn main() {}
