//! An unknown code form in `#[stackel(form = ..)]`.
stackel::stackel_game! {
    #[stackel(form = "fast")]
    game G {
        leader x;
        follower y;
        cost x = x * y;
        cost y = (y - x)^2;
    }
}

fn main() {}
