struct S;

#[rpc_core::rpc]
impl S {
    fn sum(&self, numbers: &[u32]) -> u32 {
        numbers.iter().sum()
    }
}

fn main() {}
