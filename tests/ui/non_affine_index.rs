//! `v[i * i]` is not a sum index plus a constant.
stackel::stackel_game! {
    game G {
        leader v: [4];
        follower y;
        cost v = sum(i in 0..2) v[i * i] * y;
        cost y = y ^ 2;
    }
}

fn main() {}
