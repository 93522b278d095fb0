struct S;

#[rpc_core::rpc]
impl S {
    #[rpc(skip, name = "x")]
    fn add(&self, a: i32, b: i32) -> i32 {
        a + b
    }
}

fn main() {}
