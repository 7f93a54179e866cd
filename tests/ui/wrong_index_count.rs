//! A matrix indexed with one index.
stackel::stackel_game! {
    game G {
        leader v: [2, 2];
        follower y;
        cost v = sum(i in 0..2) v[i] * y;
        cost y = y ^ 2;
    }
}

fn main() {}
