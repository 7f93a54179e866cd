//! A cost for a param.
stackel::stackel_game! {
    game G {
        param p = 1.0;
        leader x;
        follower y;
        cost x = x * y;
        cost y = y ^ 2;
        cost p = x;
    }
}

fn main() {}
