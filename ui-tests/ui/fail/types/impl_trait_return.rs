struct S;

#[rpc_core::rpc]
impl S {
    fn numbers(&self) -> impl serde::Serialize {
        [1, 2, 3]
    }
}

fn main() {}
