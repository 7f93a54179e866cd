//! A float dimension.
stackel::stackel_game! {
    game G {
        leader x: [2.5];
        follower y;
        cost x = x[0] * y;
        cost y = y ^ 2;
    }
}

fn main() {}
