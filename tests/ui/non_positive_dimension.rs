//! A zero dimension.
stackel::stackel_game! {
    game G {
        const N = 1;
        leader x: [N - 1];
        follower y;
        cost x = x[0] * y;
        cost y = y ^ 2;
    }
}

fn main() {}
