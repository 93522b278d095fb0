struct S;

#[rpc_core::rpc]
impl S {
    fn add(&self, #[rpc(optional)] a: i32) -> i32 {
        a
    }
}

fn main() {}
