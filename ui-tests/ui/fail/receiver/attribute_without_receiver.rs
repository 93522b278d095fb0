struct S;

#[rpc_core::rpc]
impl S {
    #[rpc(name = "make")]
    fn new() -> Self {
        S
    }
}

fn main() {}
