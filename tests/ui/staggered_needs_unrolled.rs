//! A staggered hierarchy is generated in the unrolled form only.
stackel::stackel_game! {
    #[stackel(form = "loops")]
    game Chain {
        leader x;
        follower y;
        follower z after y;
        cost x = x^2 + x * z;
        cost y = y^2 + y * z;
        cost z = z^2 - z * (x + y);
    }
}

fn main() {}
