//! `mean`, `max` and `min` over an empty range have no value (an empty `sum` is 0).
stackel::stackel_game! {
    game G {
        const N = 0;
        leader x: [3];
        follower y;
        cost x = mean(i in 0..N) x[i] + max(i in 2..2) x[i] + min(i in 1..=0) x[i] + sum(i in 0..N) x[i] * y;
        cost y = y ^ 2;
    }
}

fn main() {}
