//! A sum bound that is a param, not an integer.
stackel::stackel_game! {
    game G {
        param n = 3.0;
        leader x: [3];
        follower y;
        cost x = sum(i in 0..n) x[i] * y;
        cost y = y ^ 2;
    }
}

fn main() {}
