//! A Rust keyword as a param name (params become fields of the generated struct).
stackel::stackel_game! {
    game G {
        param type = 1.0;
        leader x;
        follower y;
        cost x = type * x * y;
        cost y = y ^ 2;
    }
}

fn main() {}
