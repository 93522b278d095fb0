struct S;

#[rpc_core::rpc]
impl S {
    #[rpc(name = plus)]
    fn add(&self, a: i32, b: i32) -> i32 {
        a + b
    }
}

fn main() {}
