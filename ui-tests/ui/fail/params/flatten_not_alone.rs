struct S;

#[rpc_core::rpc]
impl S {
    fn sum(&self, #[rpc(flatten)] numbers: Vec<i64>, scale: i64) -> i64 {
        numbers.iter().sum::<i64>() * scale
    }
}

fn main() {}
