//! Two leaders.
stackel::stackel_game! {
    game G {
        leader x;
        leader z;
        follower y;
        cost x = x * y;
        cost z = z * y;
        cost y = y ^ 2;
    }
}

fn main() {}
