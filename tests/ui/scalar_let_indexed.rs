//! The scalar let `f` indexed.
stackel::stackel_game! {
    game G {
        leader x: [3];
        follower y;
        let f = x[0] * y;
        cost x = f[0] + x[1];
        cost y = y ^ 2;
    }
}

fn main() {}
